# The generics R users reach for, each against lm()/glm() on the pilot (reference
# implementations) or against the core's own numbers.

formula <- belief ~ llm_mean + llm_sd + age + sex
fit <- ss_debias(formula, small_samples, small_pilot, typed_covariates)
ref <- lm(on_response(formula), data = pilot_frame("belief"))
logit <- ss_debias(action ~ llm_mean + ideology, small_samples, small_pilot, typed_covariates, family = "logit")
logit_ref <- glm(response ~ llm_mean + ideology, family = binomial, data = pilot_frame("action"))

test_that("fitted, residuals, df.residual, deviance, logLik, AIC, BIC, sigma, nobs equal lm's", {
  ids <- as.character(pilot_frame("belief")$id)
  expect_equal(fitted(fit), stats::setNames(unname(fitted(ref)), ids), tolerance = 1e-10)
  expect_equal(residuals(fit), stats::setNames(unname(residuals(ref)), ids), tolerance = 1e-10)
  expect_equal(df.residual(fit), df.residual(ref))
  expect_equal(deviance(fit), deviance(ref), tolerance = 1e-10)
  expect_equal(logLik(fit), logLik(ref), tolerance = 1e-10)
  expect_equal(AIC(fit), AIC(ref), tolerance = 1e-10)
  expect_equal(BIC(fit), BIC(ref), tolerance = 1e-10)
  expect_equal(sigma(fit), sigma(ref), tolerance = 1e-10)
  expect_equal(nobs(fit), nobs(ref))
})

test_that("glm's residual types and sigma for a logit fit", {
  for (type in c("deviance", "pearson", "working", "response")) {
    expect_equal(unname(residuals(logit, type = type)), unname(residuals(logit_ref, type = type)), tolerance = 1e-6,
                 label = type)
  }
  expect_equal(unname(fitted(logit)), unname(fitted(logit_ref)), tolerance = 1e-6)
  expect_equal(sigma(logit), sigma(logit_ref), tolerance = 1e-8)
  expect_equal(df.residual(logit), df.residual(logit_ref))
  expect_identical(family(logit)$family, "binomial")
  expect_identical(family(fit)$family, "gaussian")
})

test_that("formula, terms, model.matrix and update", {
  expect_identical(formula(fit), formula)
  expect_identical(attr(terms(fit), "term.labels"), attr(terms(ref), "term.labels"))
  expect_identical(dim(model.matrix(fit)), dim(model.matrix(ref)))
  updated <- update(fit, . ~ . - llm_sd)
  expect_identical(names(coef(updated)), c("(Intercept)", "llm_mean", "age", "sexmale"))
  expect_equal(coef(updated), coef(lm(response ~ llm_mean + age + sex, data = pilot_frame("belief"))), tolerance = 1e-10)
  expect_identical(update(fit, family = "quantreg")$info$family, "quantreg")
})

test_that("summary has what summary.lm shows", {
  mine <- summary(fit)
  theirs <- summary(ref)
  expect_equal(mine$coefficients, theirs$coefficients, tolerance = 1e-10)
  expect_equal(mine$r.squared, theirs$r.squared, tolerance = 1e-12)
  expect_equal(mine$adj.r.squared, theirs$adj.r.squared, tolerance = 1e-12)
  expect_equal(mine$fstatistic, theirs$fstatistic, tolerance = 1e-10)
  expect_equal(mine$sigma, theirs$sigma, tolerance = 1e-12)
  expect_equal(mine$df, theirs$df)
  printed <- capture.output(print(mine))
  expect_match(printed, "Adjusted R-squared", all = FALSE)
  expect_match(printed, sprintf("F-statistic: .* on 4 and %d DF", df.residual(ref)), all = FALSE)
  glm_summary <- summary(logit)
  expect_equal(glm_summary$coefficients, summary(logit_ref)$coefficients, tolerance = 1e-5)
  expect_equal(glm_summary$aic, AIC(logit_ref), tolerance = 1e-8)
  expect_match(capture.output(print(glm_summary)), "Residual deviance", all = FALSE)
  expect_match(capture.output(print(glm_summary)), "AIC", all = FALSE)
})

test_that("predict: a vector by default; newdata, type, se.fit and interval as predict.lm / predict.glm", {
  everybody <- predict(fit)
  expect_type(everybody, "double")
  expect_length(everybody, length(unique(small_samples$id)))
  base <- predict(fit, predictor = "base")
  belief_features <- small_features[small_features$item == "belief", ]
  expect_equal(unname(base), belief_features$llm_mean[match(names(base), belief_features$id)])
  newdata <- pilot_frame("belief")[1:6, ]
  expect_equal(unname(predict(fit, newdata)), unname(predict(ref, newdata)), tolerance = 1e-10)
  with_se <- predict(fit, newdata, se.fit = TRUE)
  reference <- predict(ref, newdata, se.fit = TRUE)
  expect_equal(unname(with_se$se.fit), unname(reference$se.fit), tolerance = 1e-10)
  expect_equal(with_se$df, reference$df)
  expect_equal(with_se$residual.scale, reference$residual.scale, tolerance = 1e-12)
  for (interval in c("confidence", "prediction")) {
    expect_equal(unname(predict(fit, newdata, interval = interval, level = 0.9)),
                 unname(predict(ref, newdata, interval = interval, level = 0.9)), tolerance = 1e-10)
  }
  action <- pilot_frame("action")[1:5, ]
  for (type in c("link", "response")) {
    mine <- predict(logit, action, type = type, se.fit = TRUE)
    theirs <- predict(logit_ref, action, type = type, se.fit = TRUE)
    expect_equal(unname(mine$fit), unname(theirs$fit), tolerance = 1e-6)
    expect_equal(unname(mine$se.fit), unname(theirs$se.fit), tolerance = 1e-5)
  }
  expect_error(predict(logit, interval = "prediction"), "prediction intervals need the ols family",
               class = "synthsurvey_error")
})

test_that("ordinal predictions: probabilities by level, classes, expected answers", {
  ordinal <- ss_debias(belief ~ llm_mean + ideology, small_samples, small_pilot, small_covariates, family = "ordinal")
  probs <- predict(ordinal, type = "probs")
  expect_identical(colnames(probs), as.character(1:5))
  expect_equal(unname(rowSums(probs)), rep(1, nrow(probs)), tolerance = 1e-10)
  expect_equal(predict(ordinal), drop(probs %*% 1:5), tolerance = 1e-10)
  expect_true(all(predict(ordinal, type = "class") %in% 1:5))
  expect_error(residuals(ordinal), "no residuals", class = "synthsurvey_error")
  expect_error(family(ordinal), "has no stats::family", class = "synthsurvey_error")
  expect_output(print(summary(ordinal)), "ordinal \\(logit link\\)")
  expect_output(print(summary(ordinal)), "Residual deviance")
})

test_that("population estimates: coef, confint at any level, vcov, nobs, summary; by= forms", {
  est <- ss_population_mean(fit)
  expect_equal(confint(est, level = 0.9), confint(ss_population_mean(fit, alpha = 0.1)), tolerance = 1e-12)
  expect_identical(colnames(confint(est, level = 0.8)), c("10 %", "90 %"))
  expect_equal(unname(sqrt(diag(vcov(est)))), est$table$std.error)
  expect_null(attr(vcov(est), "note"))  # one estimate: its variance is the whole covariance
  expect_equal(nobs(est), nobs(fit))
  expect_output(print(summary(est)), "n_effective")
  expect_output(print(summary(est, level = 0.9)), "5 %")
  by_name <- small_groups(ss_population_mean(fit, by = "region"))
  by_formula <- small_groups(ss_population_mean(fit, by = ~ region))
  expect_identical(by_name$table, by_formula$table)
  expect_type(by_name$table$region, "character")
  expect_identical(by_name$table$region, c("east", "north", "south"))
  two <- small_groups(ss_population_mean(fit, by = ~ sex + educ_o))
  expect_identical(small_groups(ss_population_mean(fit, by = c("sex", "educ_o")))$table, two$table)
  expect_s3_class(two$table$educ_o, "ordered")
  expect_identical(levels(two$table$educ_o), levels(typed_covariates$educ_o))
  expect_identical(as.character(unique(two$table$educ_o)), levels(typed_covariates$educ_o))
  logical_groups <- small_groups(ss_population_mean(fit, by = "urban"))
  expect_type(logical_groups$table$urban, "logical")
  expect_true(any(grepl("missing urban value are in no group", logical_groups$notes)))
  quantile <- ss_population_quantile(fit, 0.5)
  expect_error(confint(quantile, level = 0.9), "computed at alpha=0.05", class = "synthsurvey_error")
  ols <- ss_population_ols(fit, belief ~ age + sex)
  expect_identical(names(coef(ols)), c("(Intercept)", "sexmale", "age"))
  # t intervals on the design's degrees of freedom (the table's df)
  expect_equal(confint(ols, level = 0.99)[, 2] - coef(ols), qt(0.995, ols$table$df) * ols$table$std.error,
               ignore_attr = TRUE, tolerance = 1e-10)
  rec <- ss_recover(fit, belief ~ age + ideology)
  expect_equal(nobs(rec), nobs(fit))
  expect_equal(unname(sqrt(diag(vcov(rec)))), rec$table$std.error)
  expect_identical(colnames(confint(rec, level = 0.5)), c("25 %", "75 %"))
})

test_that("haven_labelled columns: values in the model, labels as level names of groups", {
  skip_if_not_installed("haven")
  covariates <- typed_covariates
  covariates$party <- haven::labelled(ifelse(covariates$ideology > 4, 2, 1), c(Left = 1, Right = 2))
  labelled_fit <- ss_debias(belief ~ llm_mean + party, small_samples, small_pilot, covariates)
  plain <- covariates
  plain$party <- as.numeric(plain$party)
  expect_equal(coef(labelled_fit), coef(ss_debias(belief ~ llm_mean + party, small_samples, small_pilot, plain)))
  groups <- small_groups(ss_population_mean(labelled_fit, by = "party"))
  expect_identical(as.character(groups$table$party), c("Left", "Right"))
  factor_fit <- ss_debias(belief ~ llm_mean + haven::as_factor(party), small_samples, small_pilot, covariates)
  expect_identical(names(coef(factor_fit))[3], "haven::as_factor(party)Right")
  answers <- small_pilot
  answers$response <- haven::labelled(answers$response, c(Disagree = 1, Agree = 5))
  expect_equal(coef(ss_debias(belief ~ llm_mean, small_samples, answers, covariates)),
               coef(ss_debias(belief ~ llm_mean, small_samples, small_pilot, covariates)))
})

test_that("vcov of shares and coefficients is the core's covariance; of subgroups a noted diagonal", {
  ordinal <- ss_debias(belief ~ llm_mean + age, small_samples, small_pilot, typed_covariates, family = "ordinal")
  shares <- ss_population_shares(ordinal)
  v <- vcov(shares)
  expect_identical(rownames(v), sprintf("share[%d]", 1:5))
  expect_equal(unname(sqrt(diag(v))), shares$table$std.error, tolerance = 1e-12)
  # closed form: the shares sum to 1 whatever the pilot (one common lam), so the covariance of their
  # sum, sum(V), is 0 and each row sums to 0; a diagonal matrix would not
  expect_equal(sum(shares$table$estimate), 1, tolerance = 1e-12)
  expect_equal(unname(rowSums(v)), rep(0, 5), tolerance = 1e-12)
  expect_true(all(v[upper.tri(v)] != 0))
  coefficients <- ss_population_ols(fit, belief ~ age + ideology)
  vc <- vcov(coefficients)
  expect_identical(rownames(vc), c("(Intercept)", "age", "ideology"))
  expect_equal(unname(sqrt(diag(vc))), coefficients$table$std.error, tolerance = 1e-12)
  expect_true(isSymmetric(unname(vc)) && vc["age", "ideology"] != 0)
  groups <- small_groups(ss_population_mean(fit, by = "sex"))
  expect_match(attr(vcov(groups), "note"), "^diagonal: the core computes no covariance")
})
