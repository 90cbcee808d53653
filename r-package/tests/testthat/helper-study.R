# One small simulated study shared by the tests (from the Python core's seeded generator).
study <- ss_load_simulated()
small_samples <- study$samples[study$samples$id <= 400, ]
small_covariates <- study$covariates[study$covariates$id <= 400, ]
small_pilot <- study$pilot[study$pilot$id <= 400, ]
