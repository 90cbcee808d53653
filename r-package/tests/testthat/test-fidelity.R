belief <- ss_debias(belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + ideology + rural,
                    small_samples, small_pilot, small_covariates)
action <- ss_debias(action ~ llm_mean + ideology, small_samples, small_pilot, small_covariates, family = "logit")

test_that("ss_recover compares estimators with the human pilot", {
  rec <- ss_recover(belief, belief ~ age + ideology + rural)
  expect_s3_class(rec, "ss_recovery")
  expect_equal(unique(rec$table$estimator), c("human pilot", "LLM one draw", "LLM draw mean", "debiased (naive)", "PPI++"))
  expect_equal(names(coef(rec))[1], "human pilot: (Intercept)")
  ci <- confint(rec)
  expect_true(all(ci[, 1] <= coef(rec) & coef(rec) <= ci[, 2]))
  expect_output(print(summary(rec)), "attenuation_slope")
  pilot <- merge(small_pilot[small_pilot$item == "belief", ], small_covariates, by = "id")
  human <- rec$table[rec$table$estimator == "human pilot", ]
  expect_equal(human$estimate, unname(coef(lm(response ~ age + ideology + rural, data = pilot))), tolerance = 1e-8)
})

test_that("ss_fidelity and ss_report", {
  fid <- ss_fidelity(list(belief, action), formula = belief ~ age + ideology, by = "educ",
                     coherence = c("belief", "action"))
  expect_s3_class(fid, "ss_fidelity")
  expect_true(all(c("marginal", "individual", "subgroups", "coherence", "structural_overall") %in% names(fid)))
  base <- fid$marginal[fid$marginal$predictor == "base" & fid$marginal$item == "belief", ]
  expect_true(base$floor_wasserstein < base$wasserstein)
  expect_output(print(fid), "Marginal fidelity")
  path <- tempfile(fileext = ".html")
  ss_report(fid, path)
  html <- paste(readLines(path, warn = FALSE), collapse = "\n")
  expect_match(html, "<h3>Marginal fidelity \\(held-out answers\\)</h3>")
  expect_match(html, "data:image/png;base64")
  path2 <- tempfile(fileext = ".html")
  ss_report(belief, path2)
  expect_true(file.exists(path2))
  expect_error(ss_fidelity(belief, formula = trust ~ age), "none of the fits debiases", class = "synthsurvey_error")
  expect_error(ss_recover(belief ~ age, belief), "takes the fit first", class = "synthsurvey_error")
})
