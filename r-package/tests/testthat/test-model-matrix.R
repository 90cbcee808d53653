# A fit from R has R's model matrix: the names, order and values lm()/glm()/polr() give on the
# same formula and the pilot's rows (the reference implementations).

# The reference is lm() on the pilot rows that have every column the formula reads: the core
# leaves the others out before R builds the design, so data-dependent bases (poly()) are those of
# the complete rows (lm() would compute them before dropping rows with NA).
fit_and_lm <- function(formula, ...) {
  frame <- pilot_frame(all.vars(formula)[1])
  frame <- frame[stats::complete.cases(frame[intersect(all.vars(formula[[3]]), names(frame))]), ]
  list(fit = ss_debias(formula, small_samples, small_pilot, typed_covariates, ...),
       ref = lm(on_response(formula), data = frame))
}

test_that("OLS: names, order and values are lm's, with interactions, character and ordered factors", {
  both <- fit_and_lm(belief ~ llm_mean + llm_sd + age * sex + educ_o + factor(region) + age:sex)
  expect_identical(names(coef(both$fit)), names(coef(both$ref)))
  expect_true(all(c("sexmale", "age:sexmale", "educ_o.L", "educ_o.Q", "educ_o.C", "factor(region)south") %in%
                    names(coef(both$fit))))
  expect_equal(coef(both$fit), coef(both$ref), tolerance = 1e-10)
  expect_equal(vcov(both$fit), vcov(both$ref), tolerance = 1e-10)
  expect_equal(confint(both$fit, level = 0.9), confint(both$ref, level = 0.9), tolerance = 1e-10)
  expect_identical(unname(model.matrix(both$fit)), unname(model.matrix(both$ref)))
  expect_identical(colnames(model.matrix(both$fit)), colnames(model.matrix(both$ref)))
  expect_identical(attr(model.matrix(both$fit), "contrasts"), attr(model.matrix(both$ref), "contrasts"))
})

test_that("an interaction without its main effect, poly(), I(), logical and Date columns code as in lm", {
  both <- fit_and_lm(belief ~ llm_mean + age:sex + poly(ideology, 2) + I(age^2) + urban + interviewed)
  expect_identical(names(coef(both$fit)), names(coef(both$ref)))
  expect_true(all(c("age:sexfemale", "age:sexmale", "urbanTRUE", "interviewed", "poly(ideology, 2)2") %in%
                    names(coef(both$fit))))
  expect_equal(coef(both$fit), coef(both$ref), tolerance = 1e-8)
  # rows missing urban (a logical NA) are left out and counted, as lm's na.omit leaves them out
  expect_equal(nobs(both$fit), nobs(both$ref))
  expect_match(capture.output(print(summary(both$fit))), "missing value in column 'urban'", all = FALSE)
})

test_that("options(contrasts =) is respected", {
  old <- options(contrasts = c("contr.sum", "contr.poly"))
  on.exit(options(old))
  both <- fit_and_lm(belief ~ llm_mean + sex + factor(educ) + region)
  expect_identical(names(coef(both$fit)), c("(Intercept)", "llm_mean", "sex1", "factor(educ)1", "factor(educ)2",
                                            "factor(educ)3", "region1", "region2"))
  expect_equal(coef(both$fit), coef(both$ref), tolerance = 1e-10)
  options(contrasts = c("contr.treatment", "contr.treatment"))
  ordered <- fit_and_lm(belief ~ llm_mean + educ_o)
  expect_identical(names(coef(ordered$fit)), c("(Intercept)", "llm_mean", "educ_oschool", "educ_ocollege",
                                               "educ_ograd"))
  expect_equal(coef(ordered$fit), coef(ordered$ref), tolerance = 1e-10)
})

test_that("new data are coded with the fit's levels and contrasts (predict equals predict.lm)", {
  both <- fit_and_lm(belief ~ llm_mean + sex * age + educ_o + region)
  newdata <- pilot_frame("belief")[c(5, 1, 9), ]
  newdata$region <- as.character(newdata$region)  # a character column in newdata
  newdata <- newdata[newdata$region != "", ]
  expect_equal(unname(predict(both$fit, newdata = newdata)), unname(predict(both$ref, newdata = newdata)),
               tolerance = 1e-10)
  only_one <- newdata[1, ]  # one row has a single level of each factor: the stored levels code it
  expect_equal(unname(predict(both$fit, newdata = only_one)), unname(predict(both$ref, newdata = only_one)),
               tolerance = 1e-10)
  unknown <- newdata
  unknown$region[1] <- "west"
  expect_error(predict(both$fit, newdata = unknown), "covariate 'region' has level\\(s\\) west",
               class = "synthsurvey_error")
})

test_that("logit: glm's names, values, deviance and AIC", {
  formula <- action ~ llm_mean + ideology + sex + educ_o
  fit <- ss_debias(formula, small_samples, small_pilot, typed_covariates, family = "logit")
  ref <- glm(on_response(formula), family = binomial, data = pilot_frame("action"))
  expect_identical(names(coef(fit)), names(coef(ref)))
  expect_equal(coef(fit), coef(ref), tolerance = 1e-6)
  expect_equal(sqrt(diag(vcov(fit))), sqrt(diag(vcov(ref))), tolerance = 1e-5)
  expect_equal(deviance(fit), deviance(ref), tolerance = 1e-8)
  expect_equal(AIC(fit), AIC(ref), tolerance = 1e-8)
  expect_equal(BIC(fit), BIC(ref), tolerance = 1e-8)
  expect_equal(summary(fit)$null.deviance, ref$null.deviance, tolerance = 1e-8)
})

test_that("ordinal: MASS::polr's and ordinal::clm's slopes and thresholds 1|2, 2|3, ...", {
  formula <- belief ~ llm_mean + ideology + sex
  fit <- ss_debias(formula, small_samples, small_pilot, typed_covariates, family = "ordinal")
  frame <- pilot_frame("belief")
  frame$answer <- factor(frame$response)
  polr <- MASS::polr(answer ~ llm_mean + ideology + sex, data = frame, Hess = TRUE)
  reference <- c(coef(polr), polr$zeta)
  expect_identical(names(coef(fit)), names(reference))
  expect_identical(names(coef(fit)), c("llm_mean", "ideology", "sexmale", "1|2", "2|3", "3|4", "4|5"))
  expect_equal(coef(fit), reference, tolerance = 1e-5)
  expect_equal(sqrt(diag(vcov(fit))), sqrt(diag(vcov(polr))), tolerance = 1e-4)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(polr)), tolerance = 1e-8)
  expect_equal(AIC(fit), AIC(polr), tolerance = 1e-8)
  clm <- ordinal::clm(answer ~ llm_mean + ideology + sex, data = frame)
  expect_equal(unname(coef(fit)[c("1|2", "2|3", "3|4", "4|5")]), unname(coef(clm)[1:4]), tolerance = 1e-5)
  expect_equal(unname(coef(fit)[1:3]), unname(coef(clm)[5:7]), tolerance = 1e-5)
  expect_error(ss_debias(belief ~ llm_mean - 1, small_samples, small_pilot, typed_covariates, family = "ordinal"),
               "needs the intercept", class = "synthsurvey_error")
})

test_that("a formula in the Python syntax keeps the core's design, in R's spelling", {
  fit <- ss_debias("belief ~ llm_mean + C(educ)", small_samples, small_pilot, small_covariates)
  expect_identical(names(coef(fit)), c("(Intercept)", "factor(educ)2", "factor(educ)3", "factor(educ)4", "llm_mean"))
  both <- fit_and_lm(belief ~ llm_mean + factor(educ))
  expect_equal(coef(fit)[names(coef(both$ref))], coef(both$ref), tolerance = 1e-10)
})
