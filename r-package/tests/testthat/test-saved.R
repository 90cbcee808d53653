# saveRDS/readRDS of every result in a new R process: the Python objects are restored on first
# use (a fit is refit from its stored inputs, an estimate unpickled), and the numbers are the same.

test_that("every result survives saveRDS and readRDS in a fresh Rscript process", {
  fit <- ss_debias(belief ~ llm_mean + age + sex, small_samples, small_pilot, typed_covariates)
  action <- ss_debias(action ~ llm_mean + ideology, small_samples, small_pilot, typed_covariates, family = "logit")
  old <- options(contrasts = c("contr.sum", "contr.poly"))
  summed <- ss_debias(belief ~ llm_mean + region, small_samples, small_pilot, typed_covariates)
  options(old)
  saved <- list(fit = fit, mean = small_groups(ss_population_mean(fit, by = "sex")), shares = ss_population_shares(fit),
                ols = ss_population_ols(fit, belief ~ age), recovery = ss_recover(fit, belief ~ age),
                fidelity = ss_fidelity(list(fit, action)), plan = ss_plan_pilot(fit, half_width = 0.2),
                summed = summed)
  expected <- list(coef = coef(fit), predict = predict(fit, newdata = pilot_frame("belief")[1:3, ]),
                   population = predict(fit), mean = confint(saved$mean, level = 0.9),
                   recovery = confint(saved$recovery, level = 0.8), summary = summary(fit)$coefficients,
                   summed = coef(summed))
  folder <- tempfile("saved")
  dir.create(folder)
  saveRDS(saved, file.path(folder, "saved.rds"))
  saveRDS(pilot_frame("belief")[1:3, ], file.path(folder, "newdata.rds"))
  script <- file.path(folder, "read.R")
  writeLines(c(
    "suppressPackageStartupMessages(library(synthsurvey))",
    sprintf("saved <- readRDS('%s')", file.path(folder, "saved.rds")),
    sprintf("newdata <- readRDS('%s')", file.path(folder, "newdata.rds")),
    "fit <- saved$fit",
    "out <- list(coef = coef(fit), predict = predict(fit, newdata = newdata), population = predict(fit),",
    "            mean = confint(saved$mean, level = 0.9), recovery = confint(saved$recovery, level = 0.8),",
    "            summary = summary(fit)$coefficients, summed = coef(saved$summed))",
    "ss_report(saved$fidelity, file.path(dirname(commandArgs(TRUE)[1]), 'report.html'))",
    "print(saved$plan); print(summary(saved$shares))",
    "saveRDS(out, commandArgs(TRUE)[1])"), script)
  output <- file.path(folder, "out.rds")
  rscript <- file.path(R.home("bin"), "Rscript")
  log <- system2(rscript, c(shQuote(script), shQuote(output)), stdout = TRUE, stderr = TRUE)
  expect_true(file.exists(output), info = paste(log, collapse = "\n"))
  expect_equal(readRDS(output), expected, tolerance = 1e-12)
  expect_true(file.exists(file.path(folder, "report.html")))
})
