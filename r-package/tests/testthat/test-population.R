fit <- ss_debias(belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + factor(educ), small_samples,
                 small_pilot, small_covariates)

test_that("population means, subgroups, shares and quantiles", {
  est <- ss_population_mean(fit)
  expect_s3_class(est, "ss_population")
  expect_true(est$table$conf.low < est$table$estimate && est$table$estimate < est$table$conf.high)
  expect_equal(colnames(confint(est)), c("2.5 %", "97.5 %"))
  expect_equal(confint(est, level = 0.95), confint(est))
  est90 <- ss_population_mean(fit, alpha = 0.1)
  expect_equal(colnames(confint(est90, level = 0.9)), c("5 %", "95 %"))
  classical <- ss_population_mean(fit, method = "classical")
  pilot_answers <- small_pilot$response[small_pilot$item == "belief"]
  expect_equal(unname(coef(classical)), mean(pilot_answers))
  expect_warning(groups <- ss_population_mean(fit, by = "educ"), "pilot answer\\(s\\) \\(under 30\\): normal-approximation intervals",
                 class = "synthsurvey_warning")  # the core's warning, as an R warning
  expect_equal(names(coef(groups)), c("1", "2", "3", "4"))
  shares <- ss_population_shares(fit)
  expect_equal(sum(coef(shares)), 1, tolerance = 1e-10)
  # logit-scale intervals by default (svyciprop's), Wald on request, the same standard errors
  wald <- ss_population_shares(fit, interval = "wald")
  expect_equal(wald$table$std.error, shares$table$std.error)
  expect_equal(unname(confint(wald)[, 2] - coef(wald)), unname(coef(wald) - confint(wald)[, 1]))
  p <- coef(shares)
  half <- qt(0.975, shares$table$df) * shares$table$std.error / (p * (1 - p))
  expect_equal(unname(confint(shares)[, 1]), unname(plogis(qlogis(p) - half)))
  expect_error(ss_population_shares(fit, interval = "beta"), 'interval = "beta" is not one of', class = "synthsurvey_error")
  expect_output(print(shares), "LLM draw shares")
  median <- ss_population_quantile(fit, q = 0.5)
  expect_true(coef(median) %in% 1:5)
  expect_error(ss_population_mean(fit, by = "nope"), "by='nope'", class = "synthsurvey_error")
  weighted <- ss_population_mean(fit, weights = rep(2, length(predict(fit))))
  expect_equal(coef(weighted), coef(est))
})

test_that("coefficients of the analyst's model", {
  ols <- ss_population_ols(fit, belief ~ age + female + factor(educ))
  # the analyst's design is the core's (factor terms first), named in R's spelling
  expect_equal(names(coef(ols)), c("(Intercept)", "factor(educ)2", "factor(educ)3", "factor(educ)4", "age", "female"))
  expect_output(print(ols), "coefficients")
  action <- ss_debias(action ~ llm_mean + ideology, small_samples, small_pilot, small_covariates, family = "logit")
  logit <- ss_population_logit(action, action ~ ideology, method = "classical")
  pilot <- merge(small_pilot[small_pilot$item == "action", ], small_covariates, by = "id")
  reference <- coef(glm(response ~ ideology, family = binomial, data = pilot))
  expect_equal(unname(coef(logit)), unname(reference), tolerance = 1e-6)
  expect_error(ss_population_ols(fit, action ~ age), "but the fit debiases 'belief'", class = "synthsurvey_error")
  expect_error(ss_population_ols(action ~ age, fit), "takes the fit first", class = "synthsurvey_error")
})

test_that("pilot planning", {
  plan <- ss_plan_pilot(half_width = 0.1, rho = 0.6, sd = 1.2)
  expect_equal(plan$n_classical, ceiling((qnorm(0.975) * 1.2 / 0.1)^2))
  expect_s3_class(as.data.frame(plan), "data.frame")
  expect_output(print(ss_plan_pilot(fit, half_width = 0.1)), "with PPI\\+\\+")
  expect_error(ss_plan_pilot(0.1, fit), "takes the fit first", class = "synthsurvey_error")
})
