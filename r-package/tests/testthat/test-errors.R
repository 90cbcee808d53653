# Bad input from R: each is a condition of class synthsurvey_error whose message names the
# column, id, value or argument at fault; never a Python traceback.

fit <- ss_debias(belief ~ llm_mean + age, small_samples, small_pilot, small_covariates)

bad_inputs <- list(
  list(quote(ss_debias(belief ~ llm_mean + income, small_samples, small_pilot, small_covariates)),
       "unknown column\\(s\\) 'income'"),
  list(quote(ss_debias(trust ~ llm_mean, small_samples, small_pilot)), "formula item 'trust' is not an item"),
  list(quote(ss_debias(belief ~ llm_mean + factor(nope), small_samples, small_pilot, small_covariates)),
       "formula 'belief ~ llm_mean \\+ factor\\(nope\\)' names unknown column\\(s\\) 'nope'"),
  list(quote(ss_calibrate_groups(data.frame(x = 1), data.frame(item = "a", group = "b"))),
       "cells is missing column\\(s\\) 'item'"),
  list(quote(confint(fit, parm = "nope")), "parm names no row: 'nope'"),
  list(quote(ss_debias(log(belief) ~ llm_mean, small_samples, small_pilot)), "transforms of the answers"),
  list(quote(ss_debias(~ llm_mean, small_samples, small_pilot)), "two-sided formula"),
  list(quote(ss_debias(belief ~ ., small_samples, small_pilot)), "'\\.' is not supported"),
  list(quote(ss_debias(belief ~ llm_mean + offset(age), small_samples, small_pilot, small_covariates)),
       "offset\\(\\) terms are not supported"),
  list(quote(ss_debias(belief ~ llm_mean, "not a frame", small_pilot)), "samples must be a data.frame"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, covariates = 1:3)),
       "covariates must be a data.frame"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, family = "probit")),
       "family = \"probit\" is not one of"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, family = c("ols", "logit"))),
       "family must be one string"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, key = 1)), "key must be one string"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, q = "a")), "q must be one number"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, link = "cloglog")),
       "link = \"cloglog\" is not one of"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, scales = list(5))), "scales must be a named list"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, scales = list(belief = 1:3))),
       "outside its levels"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, family = "logit")),
       "'logit' needs a binary item"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples[, -4], small_pilot)), "samples is missing column\\(s\\) 'response'"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot[, -3])), "humans is missing column\\(s\\) 'response'"),
  list(quote(ss_debias(belief ~ llm_mean, rbind(small_samples, small_samples[1, ]), small_pilot)),
       "rows that repeat a \\(id, item, draw\\)"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, within(small_pilot, response[1] <- 6),
                       scales = list(belief = 1:5, action = 0:1))),
       "answer\\(s\\) 6(\\.0)? outside its levels"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, rbind(small_pilot, small_pilot[1, ]))),
       "repeat a \\(id, item\\) combination"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, within(small_pilot, id[1] <- 99999L))),
       "absent from the LLM samples.*99999"),
  list(quote(ss_debias(belief ~ llm_mean, small_samples, small_pilot, within(small_covariates, item <- 1))),
       "reserves for its frame"),
  list(quote(ss_debias(belief ~ llm_mean + llm_p1 + llm_p2 + llm_p3 + llm_p4 + llm_p5, small_samples, small_pilot)),
       "rank-deficient"),
  list(quote(ss_debias(belief ~ llm_mean + x, small_samples, small_pilot, data.frame(id = 1:400, x = I(as.list(1:400))))),
       "column 'x' is a list column"),
  list(quote(ss_population_mean(fit, alpha = 5)), "alpha must lie strictly between 0 and 1"),
  list(quote(ss_population_mean(fit, alpha = "a")), "alpha must be one number"),
  list(quote(ss_population_mean(fit, by = "nope")), "by='nope' is not a column"),
  list(quote(ss_population_mean(fit, by = 3)), "by must be a column name"),
  list(quote(ss_population_mean(fit, folds = 1)), "folds must be"),
  list(quote(ss_population_mean(fit, folds = 2.5)), "folds must be one whole number"),
  list(quote(ss_population_mean(fit, method = "bayes")), "method"),
  list(quote(ss_population_mean(fit, weights = "nope")), "weights='nope' is not a column"),
  list(quote(ss_population_mean(fit, weights = 1:3)), "weights must have one value per person"),
  list(quote(ss_population_mean(belief ~ age)), "needs an ss_debias fit first"),
  list(quote(ss_population_quantile(fit, q = 2)), "q must lie strictly between 0 and 1"),
  list(quote(ss_population_ols(fit, action ~ age)), "but the fit debiases 'belief'"),
  list(quote(ss_population_ols(fit, belief ~ poly(age, 2))), "poly\\(age, 2\\).*cannot be translated"),
  list(quote(ss_population_ols(belief ~ age, fit)), "takes the fit first"),
  list(quote(confint(fit, level = 5)), "level must lie strictly between 0 and 1 \\(level = 0.95 gives 95% intervals\\), got 5"),
  list(quote(confint(ss_population_mean(fit), level = 1.5)), "level must lie strictly between 0 and 1"),
  list(quote(predict(fit, interval = "confidence", level = -1)), "level must lie strictly between 0 and 1"),
  list(quote(predict(fit, newdata = data.frame(llm_mean = 1))), "object 'age' not found"),
  list(quote(predict(fit, newdata = "x")), "newdata must be a data.frame"),
  list(quote(ss_recover(fit, belief ~ age, family = "probit")), "family = \"probit\" is not one of"),
  list(quote(ss_fidelity(list(fit, 3))), "fits must be an ss_debias fit or a list of them"),
  list(quote(ss_fidelity(fit, coherence = "belief")), "coherence must be two item names"),
  list(quote(ss_plan_pilot(fit)), "needs half_width"),
  list(quote(ss_plan_pilot(half_width = 0.1)), "rho"),
  list(quote(ss_features(small_samples, key = "nope")), "samples is missing column\\(s\\) 'nope'")
)

test_that("bad inputs raise synthsurvey_error naming the culprit", {
  for (case in bad_inputs) {
    condition <- tryCatch(eval(case[[1]]), error = function(error) error)
    label <- paste(deparse(case[[1]]), collapse = " ")
    expect_s3_class(condition, "synthsurvey_error")
    expect_false(inherits(condition, "synthsurvey_python_error"), label = label)
    expect_match(conditionMessage(condition), case[[2]], label = label)
    expect_false(grepl("Traceback|File \"", conditionMessage(condition)), label = label)
  }
})

test_that("alpha and levels checked in Python give the same message in R", {
  python <- "alpha must lie strictly between 0 and 1 (alpha=0.05 gives 95% intervals), got 5.0"
  expect_error(ss_population_mean(fit, alpha = 5), python, fixed = TRUE, class = "synthsurvey_error")
  expect_error(ss_recover(fit, belief ~ age, alpha = 5), python, fixed = TRUE, class = "synthsurvey_error")
  expect_error(ss_plan_pilot(fit, half_width = 0.1, alpha = 5), python, fixed = TRUE, class = "synthsurvey_error")
})
