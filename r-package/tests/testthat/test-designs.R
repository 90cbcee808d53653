covariates <- transform(small_covariates, household = (id - 1) %/% 4, region = c("a", "b")[((id - 1) %/% 4) %% 2 + 1])
fit <- ss_debias(belief ~ llm_mean + llm_sd + age, small_samples, small_pilot, covariates)

test_that("a svydesign-like description reaches every estimate", {
  clustered <- ss_design(fit, ids = ~household, strata = ~region)
  expect_s3_class(clustered, "ss_debias")
  expect_equal(clustered$pilot_design$cluster, "household")
  expect_equal(clustered$pilot_design$strata, "region")
  est <- ss_population_mean(clustered)
  pilot_households <- unique(covariates$household[covariates$id %in% small_pilot$id[small_pilot$item == "belief"]])
  # clusters - strata, fewer for clusters of unequal sizes (Satterthwaite)
  expect_lte(est$table$df, length(pilot_households) - 2)
  expect_gt(est$table$df, 1)
  expect_match(est$table$design, "strata=region, cluster=household")
  plain <- ss_population_mean(fit, method = "classical")
  expect_equal(plain$table$df, sum(small_pilot$item == "belief") - 1)
  expect_error(ss_design(fit, ids = ~nope), "'nope'", class = "synthsurvey_error")
  expect_error(ss_design(fit, ids = ~household + region), "names one column")
})

test_that("population totals are the classical Horvitz-Thompson total", {
  total <- ss_population_total(fit, method = "classical")
  answers <- small_pilot$response[small_pilot$item == "belief"]
  expect_equal(unname(coef(total)), length(predict(fit)) * mean(answers), tolerance = 1e-10)
  expect_output(print(total), "total")
})

test_that("a pilot planned from the draws goes back into ss_debias", {
  plan <- ss_design_pilot(small_samples, small_covariates, 80, "belief", by = "educ", min_per_group = 8)
  expect_s3_class(plan, "ss_pilot_design")
  expect_equal(sum(plan$table$estimate), 80)
  expect_equal(nrow(plan$recruit), 80)
  expect_true(all(tapply(plan$table$estimate, plan$table$educ, sum) >= 8))
  expect_output(print(plan), "Pilot design")
  everyone <- rbind(study$pilot, study$holdout)
  humans <- everyone[everyone$id %in% plan$recruit$id, ]
  planned <- ss_design(ss_debias(belief ~ llm_mean + llm_sd, small_samples, humans, plan$covariates),
                       strata = ~pilot_stratum)
  classical <- ss_population_mean(planned, method = "classical")
  frame <- merge(plan$covariates, humans[humans$item == "belief", ], by = "id")
  sizes <- table(plan$covariates$pilot_stratum)
  stratum_means <- tapply(frame$response, frame$pilot_stratum, mean)
  expect_equal(unname(coef(classical)), sum(sizes[names(stratum_means)] * stratum_means) / sum(sizes),
               tolerance = 1e-10)
})
