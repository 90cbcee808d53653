test_that("ss_features returns one row per (id, item)", {
  feats <- ss_features(small_samples)
  expect_s3_class(feats, "data.frame")
  expect_equal(nrow(feats), 2 * length(unique(small_samples$id)))
  expect_true(all(c("llm_mean", "llm_sd", "llm_p1", "llm_entropy") %in% names(feats)))
  one <- small_samples[small_samples$id == 1 & small_samples$item == "belief", "response"]
  row <- feats[feats$id == 1 & feats$item == "belief", ]
  expect_equal(row$llm_mean, mean(one))
  expect_equal(row$llm_p5, mean(one == 5))
})

test_that("ss_debias has the S3 methods R users expect", {
  fit <- ss_debias(belief ~ llm_mean + llm_sd + age + factor(educ), small_samples, small_pilot,
                   small_covariates)
  expect_s3_class(fit, "ss_debias")
  expect_equal(names(coef(fit)), c("(Intercept)", "llm_mean", "llm_sd", "age", "factor(educ)2", "factor(educ)3",
                                   "factor(educ)4"))
  expect_equal(nobs(fit), nrow(small_pilot[small_pilot$item == "belief", ]))
  v <- vcov(fit)
  expect_equal(dimnames(v)[[1]], names(coef(fit)))
  expect_equal(sqrt(diag(v)), as.data.frame(fit)$std.error, ignore_attr = TRUE)
  ci <- confint(fit, level = 0.9)
  expect_equal(colnames(ci), c("5 %", "95 %"))
  expect_true(all(ci[, 1] < coef(fit) & coef(fit) < ci[, 2]))
  expect_equal(confint(fit, "age"), confint(fit)["age", , drop = FALSE])
  expect_output(print(summary(fit)), "Residual standard error")
  expect_output(print(summary(fit)), "Pilot answers fitted")
  expect_output(print(fit), "Coefficients")
  pred <- predict(fit)
  expect_length(pred, length(unique(small_samples$id)))
  expect_identical(names(pred), as.character(sort(unique(small_samples$id))))
  expect_equal(names(ss_baselines(fit)), c("id", "is_pilot", "response", "base", "scalar", "pilot", "debiased"))
  baselines <- ss_baselines(fit)
  expect_equal(baselines$debiased, unname(pred))
  # the pilot-only baseline: the design's columns that read no llm_* feature, as lm() fits them
  pilot_only <- lm(response ~ age + factor(educ), data = pilot_frame("belief", small_covariates))
  expect_equal(baselines$pilot[baselines$is_pilot], unname(fitted(pilot_only)), tolerance = 1e-10)
  tidy <- as.data.frame(fit)
  expect_equal(names(tidy), c("term", "estimate", "std.error", "statistic", "p.value", "conf.low", "conf.high", "df"))
})

test_that("ordinal fits give per-level probabilities", {
  fit <- ss_debias(belief ~ llm_mean + ideology, small_samples, small_pilot, small_covariates, family = "ordinal")
  probs <- predict(fit, type = "probs")
  expect_equal(colnames(probs), as.character(1:5))
  expect_equal(unname(rowSums(probs)), rep(1, nrow(probs)), tolerance = 1e-10)
  expect_true(all(predict(fit, type = "class") %in% 1:5))
  expect_output(print(summary(fit)), "ordinal \\(logit link\\)")
})

test_that("persona keys work from R", {
  samples <- data.frame(party = rep(c("A", "B"), each = 20), item = "q", draw = rep(0:19, 2),
                        response = c(rnorm(20, 1, 0.1), rnorm(20, 2, 0.1)))
  people <- data.frame(id = 1:30, party = rep(c("A", "B", "C"), 10))
  humans <- data.frame(id = 1:12, item = "q", response = rnorm(12))
  humans <- humans[people$party[humans$id] != "C", ]
  fit <- ss_debias(q ~ llm_mean, samples, humans, people, key = "party", scales = list(q = "continuous"))
  expect_equal(fit$info$n_population, 20L)
})

test_that("Python errors surface as synthsurvey_error with the core's message", {
  expect_error(ss_debias(belief ~ llm_mean + income, small_samples, small_pilot, small_covariates),
               "unknown column\\(s\\) 'income'", class = "synthsurvey_error")
  expect_error(ss_debias(belief ~ llm_mean, small_samples, small_pilot, small_covariates, family = "logit"),
               "'logit' needs a binary item", class = "synthsurvey_error")
  bad <- rbind(small_samples, small_samples[1, ])
  expect_error(ss_debias(belief ~ llm_mean, bad, small_pilot, small_covariates),
               "rows that repeat a \\(id, item, draw\\)", class = "synthsurvey_error")
  expect_error(ss_debias(belief ~ llm_mean, "not a frame", small_pilot), "must be a data.frame",
               class = "synthsurvey_error")
})

test_that("ss_python reads the option first", {
  old <- options(synthsurvey.python = "/some/python")
  on.exit(options(old))
  expect_equal(ss_python(), "/some/python")
})
