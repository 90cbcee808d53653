# Whole questionnaires from R (ss_debias_items): a study written with write.csv and read back with
# read.csv (character ids, a don't-know code), counts that add up to the input's, the fallback of an
# unfittable item, scale declarations with missing codes, and errors. Sources of truth: the counts
# of the input tables (computed here in R), the core's ss_debias on one item, and the pilot's own
# answers for the pilot-alone estimate.

questionnaire <- local({
  q <- ss_simulate_questionnaire(n_people = 600, n_draws = 8, n_pilot = 160, seed = 4, ids = "qualtrics",
                                 dont_know = c(99, 0.05), pilot_missing = 0.03,
                                 items = c(q01 = 5, q02 = 5, q03 = 2))
  folder <- tempfile("questionnaire")
  dir.create(folder)
  for (name in c("samples", "pilot", "covariates")) write.csv(q[[name]], file.path(folder, name), row.names = FALSE)
  c(lapply(stats::setNames(nm = c("samples", "pilot", "covariates")), function(name) read.csv(file.path(folder, name))),
    list(truth = q$truth))
})

study <- ss_debias_items(questionnaire$samples, questionnaire$pilot, questionnaire$covariates,
                         scales = list(missing = 99), covariate_terms = c("age", "factor(educ)"),
                         families = list(q01 = "ordinal"))

test_that("a questionnaire read with read.csv is fitted item by item, with R's generics on each fit", {
  expect_type(questionnaire$pilot$id, "character")
  expect_s3_class(study, "ss_questionnaire")
  expect_identical(study$items, c("q01", "q02", "q03"))
  expect_identical(unname(study$families), c("ordinal", "ols", "logit"))
  expect_match(study$scales[["q02"]], "missing 99", fixed = TRUE)
  fit <- study[["q02"]]
  expect_s3_class(fit, "ss_debias")
  expect_identical(study[[2]], fit)
  expect_true("factor(educ)2" %in% names(coef(fit)))  # the core's design, named in R's spelling
  expect_s3_class(summary(fit), "summary.ss_debias")
  expect_length(predict(fit), 600)
  expect_true(all(grepl("^R_", names(predict(fit)))))
  # the same item fitted alone by ss_debias with the same formula (a string: the core's design)
  alone <- ss_debias(study$formulas[["q02"]], questionnaire$samples, questionnaire$pilot, questionnaire$covariates,
                     scales = list(q02 = list(levels = 1:5, missing = 99)))
  expect_equal(predict(fit), predict(alone), tolerance = 1e-10)
  expect_output(print(study), "3 item\\(s\\): 3 fitted, 0 with the pilot alone")
  expect_output(print(summary(study)), "population means of 3 item")
})

test_that("the population table has a row per item, estimand and method, and its counts add up", {
  population <- ss_population(study)
  table <- as.data.frame(population)
  expect_setequal(unique(table$method), c("ppi++", "classical", "base LLM"))
  means <- table[table$term == "mean" & table$method == "ppi++", ]
  expect_identical(means$item, study$items)
  expect_identical(means$family, c("ordinal", "ols", "logit"))
  expect_true(all(means$n_input == 600))
  expect_equal(means$n_labeled + means$n_unlabeled, means$n_input - means$n_excluded)
  pilot <- questionnaire$pilot
  for (item in study$items) {
    answers <- pilot$response[pilot$item == item]
    not_used <- sum(is.na(answers)) + sum(answers == 99, na.rm = TRUE)
    row <- means[means$item == item, ]
    expect_equal(row$n_labeled, length(answers) - not_used, info = item)  # every pilot person has draws
    expect_equal(nobs(study[[item]]), row$n_labeled, info = item)
    if (sum(answers == 99, na.rm = TRUE)) {  # the don't-know code counted, never a level
      expect_match(row$answers_not_used, sprintf("%d missing-value code\\(s\\) 99", sum(answers == 99, na.rm = TRUE)))
    }
    expect_match(row$answers_not_used, sprintf("%d missing answer", sum(is.na(answers))), info = item)
  }
  shares <- table[table$item == "q01" & table$estimand == "share" & table$method == "ppi++", ]
  expect_identical(shares$term, sprintf("share[%d]", 1:5))
  expect_equal(sum(shares$estimate), 1, tolerance = 1e-10)
  # the pilot alone's mean is the mean of the usable answers (source of truth: mean() in R)
  classical <- table[table$term == "mean" & table$method == "classical", ]
  usable <- pilot[!is.na(pilot$response) & pilot$response != 99, ]
  expect_equal(classical$estimate, as.vector(tapply(usable$response, usable$item, mean)[classical$item]),
               tolerance = 1e-12)
  # each PPI++ mean within reach of the truth (3 items, |z| < 3.5 has probability 1 - 5e-4 each)
  truth <- questionnaire$truth$mean[match(means$item, questionnaire$truth$item)]
  expect_true(all(abs(means$estimate - truth) / means$std.error < 3.5))
  expect_identical(names(coef(population))[1:2], c("q01:ppi++:mean", "q01:ppi++:share[1]"))
  expect_equal(nobs(population), sum(classical$n_labeled))
  v <- vcov(population)
  expect_equal(unname(diag(v)), table$std.error^2)
  expect_match(attr(v, "note"), "diagonal")
  expect_s3_class(tidy(study), "tbl_df")
  expect_equal(nrow(as.data.frame(study)), nrow(table))
})

test_that("an item that cannot be fitted falls back to the pilot alone, and its rows say why", {
  samples <- questionnaire$samples
  flat <- samples[samples$item == "q01", ]
  flat$item <- "flat"
  flat$response <- 3  # the LLM answers 3 to everybody: nothing to regress on
  answers <- questionnaire$pilot[questionnaire$pilot$item == "q01", ]
  answers$item <- "flat"
  with_flat <- ss_debias_items(rbind(samples, flat), rbind(questionnaire$pilot, answers), questionnaire$covariates,
                               items = c("q02", "flat"), scales = list(missing = 99), formulas = ~ llm_mean)
  expect_identical(names(with_flat$fits), "q02")
  expect_match(with_flat$failures[["flat"]], "constant in the pilot")
  expect_error(with_flat[["flat"]], "item 'flat' was not fitted", class = "synthsurvey_error")
  table <- as.data.frame(ss_population(with_flat))
  rows <- table[table$item == "flat" & table$term == "mean", ]
  expect_identical(rows$method, "classical")
  usable <- answers$response[!is.na(answers$response) & answers$response != 99]
  expect_equal(rows$estimate, mean(usable), tolerance = 1e-12)
  expect_match(rows$note, "^not fitted, pilot alone: formula 'flat ~ llm_mean' is rank-deficient")
  expect_output(print(with_flat), "1 with the pilot alone")
  expect_error(ss_debias_items(rbind(samples, flat), rbind(questionnaire$pilot, answers), questionnaire$covariates,
                               items = "flat", scales = list(missing = 99), formulas = ~ llm_mean, errors = "raise"),
               "item 'flat': formula 'flat ~ llm_mean' is rank-deficient", class = "synthsurvey_error")
})

test_that("scales with missing codes are declared per item or for every item", {
  pilot <- questionnaire$pilot
  pilot$response[pilot$item == "q02" & pilot$response %in% 99] <- 8  # q02's don't know coded 8, q01's 99
  samples <- questionnaire$samples
  samples$response[samples$item == "q02" & samples$response == 99] <- 8
  study <- ss_debias_items(samples, pilot, questionnaire$covariates, items = c("q01", "q02"), formulas = ~ llm_mean,
                           scales = list(q01 = list(levels = 1:5, missing = 99), q02 = list(levels = 1:5, missing = c(8, 9))))
  expect_identical(unname(study$scales), c("ordinal 1..5, missing 99", "ordinal 1..5, missing 8/9"))
  means <- as.data.frame(ss_population(study, shares = FALSE))
  means <- means[means$method == "classical", ]
  for (item in c("q01", "q02")) {
    answers <- pilot$response[pilot$item == item]
    expect_equal(means$n_labeled[means$item == item], sum(!is.na(answers) & !answers %in% c(8, 9, 99)))
  }
  # undeclared, the code 99 is refused with the remedy
  expect_error(ss_debias_items(questionnaire$samples, questionnaire$pilot, questionnaire$covariates, items = "q01"),
               "look like missing-value codes", class = "synthsurvey_error")
  # and the remedy is spelled in R
  expect_error(ss_debias_items(questionnaire$samples, questionnaire$pilot, questionnaire$covariates, items = "q01"),
               'e.g. scales = list(q01 = list(kind = "ordinal", levels = 1:5, missing = 99)) (or scales = list(missing = 99) for every item)',
               fixed = TRUE, class = "synthsurvey_error")
})

test_that("bad questionnaire inputs are synthsurvey errors naming the culprit", {
  q <- questionnaire
  expect_error(ss_debias_items(q$samples, q$pilot, q$covariates, items = "q9"), "items 'q9' are not items",
               class = "synthsurvey_error")
  expect_error(ss_debias_items(q$samples, q$pilot, q$covariates, scales = list(q01 = list(levels = 1:5, codes = 9))),
               "scales\\$q01 has unknown key\\(s\\) 'codes'", class = "synthsurvey_error")
  expect_error(ss_debias_items(q$samples, q$pilot, q$covariates, scales = list(missing = "99")),
               "scales\\$missing must be numbers", class = "synthsurvey_error")
  expect_error(ss_debias_items(q$samples, q$pilot, q$covariates, families = list(q01 = "poisson")),
               "family = \"poisson\" is not one of", class = "synthsurvey_error")
  expect_error(ss_debias_items(q$samples, q$pilot, q$covariates, scales = list(missing = 99), formulas = list(q7 = ~ llm_mean)),
               "formulas= names items that are not fitted: 'q7'", class = "synthsurvey_error")
  expect_error(ss_debias_items(q$samples, q$pilot, q$covariates, errors = "ignore"), "errors = \"ignore\" is not one of",
               class = "synthsurvey_error")
  expect_error(study[["q9"]], "'q9' is not an item of this questionnaire", class = "synthsurvey_error")
  expect_error(ss_population(study[["q01"]]), "ss_population needs an ss_debias_items\\(\\) result",
               class = "synthsurvey_error")
  expect_error(ss_population(study, alpha = 2), "alpha", class = "synthsurvey_error")
})

test_that("scale findings of the core are R warnings of class synthsurvey_warning", {
  samples <- questionnaire$samples[questionnaire$samples$item == "q01", ]
  samples$response[samples$response == 99] <- 3
  samples$response[1:3] <- 2.5  # a half point among whole numbers
  expect_warning(ss_features(samples), "not whole numbers", class = "synthsurvey_warning")
})

test_that("a questionnaire and its fits survive saveRDS and readRDS, and its report is written", {
  folder <- tempfile("saved")
  dir.create(folder)
  saveRDS(study, file.path(folder, "study.rds"))
  expected <- list(coef = coef(study[["q01"]]), population = as.data.frame(ss_population(study)))
  script <- file.path(folder, "read.R")
  writeLines(c(
    "suppressPackageStartupMessages(library(synthsurvey))",
    sprintf("study <- readRDS('%s')", file.path(folder, "study.rds")),
    "out <- list(coef = coef(study[['q01']]), population = as.data.frame(ss_population(study)))",
    "ss_report(study, file.path(dirname(commandArgs(TRUE)[1]), 'report.html'))",
    "saveRDS(out, commandArgs(TRUE)[1])"), script)
  output <- file.path(folder, "out.rds")
  log <- system2(file.path(R.home("bin"), "Rscript"), c(shQuote(script), shQuote(output)), stdout = TRUE, stderr = TRUE)
  expect_true(file.exists(output), info = paste(log, collapse = "\n"))
  expect_equal(readRDS(output), expected, tolerance = 1e-12)
  html <- readLines(file.path(folder, "report.html"), warn = FALSE)
  expect_true(any(grepl("synthsurvey questionnaire report", html, fixed = TRUE)))
  expect_true(any(grepl("q03", html, fixed = TRUE)))
})
