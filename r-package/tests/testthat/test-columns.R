# R's ordinary columns through every function: a study written with write.csv and read back
# with read.csv (character ids and items, as Qualtrics/Prolific give them), and every column type.

# The small study with character ids like "R_3fGh0001", written to CSV and read back.
csv_study <- local({
  ids <- sprintf("R_%s%04d", c("3fGh", "a9Kz")[1 + small_covariates$id %% 2], small_covariates$id)
  as_text <- function(frame) {
    frame$id <- ids[match(frame$id, small_covariates$id)]
    frame
  }
  covariates <- as_text(typed_covariates[c("id", "age", "female", "educ", "ideology", "sex", "region")])
  folder <- tempfile("study")
  dir.create(folder)
  write.csv(as_text(small_samples), file.path(folder, "samples.csv"), row.names = FALSE)
  write.csv(as_text(small_pilot), file.path(folder, "pilot.csv"), row.names = FALSE)
  write.csv(covariates, file.path(folder, "covariates.csv"), row.names = FALSE)
  list(samples = read.csv(file.path(folder, "samples.csv")), pilot = read.csv(file.path(folder, "pilot.csv")),
       covariates = read.csv(file.path(folder, "covariates.csv")), ids = ids)
})

test_that("a study read with read.csv (character ids, items, covariates) runs through every function", {
  expect_type(csv_study$samples$id, "character")
  expect_type(csv_study$samples$item, "character")
  formula <- belief ~ llm_mean + llm_sd + age + sex + factor(region)
  fit <- ss_debias(formula, csv_study$samples, csv_study$pilot, csv_study$covariates)
  reference <- ss_debias(formula, small_samples, small_pilot, typed_covariates)
  expect_equal(coef(fit), coef(reference), tolerance = 1e-12)
  expect_true(all(names(predict(fit)) %in% csv_study$ids))
  expect_equal(unname(predict(fit)[csv_study$ids[match(names(predict(reference)), small_covariates$id)]]),
               unname(predict(reference)), tolerance = 1e-12)
  # the population frame is sorted by id: the character ids sort differently, so the folds differ;
  # estimates without cross-fitting do not depend on the order
  expect_equal(coef(ss_population_mean(fit, cross_fit = FALSE)), coef(ss_population_mean(reference, cross_fit = FALSE)),
               tolerance = 1e-12)
  groups <- small_groups(ss_population_mean(fit, by = "region"))
  expect_identical(groups$table$region, c("east", "north", "south"))
  expect_equal(sum(coef(ss_population_shares(fit))), 1, tolerance = 1e-10)
  expect_s3_class(ss_population_ols(fit, belief ~ age + sex), "ss_population")
  expect_s3_class(ss_recover(fit, belief ~ age + sex), "ss_recovery")
  action <- ss_debias(action ~ llm_mean + sex, csv_study$samples, csv_study$pilot, csv_study$covariates,
                      family = "logit")
  fidelity <- ss_fidelity(list(fit, action), formula = belief ~ age, by = "region", coherence = c("belief", "action"))
  expect_s3_class(fidelity, "ss_fidelity")
  path <- tempfile(fileext = ".html")
  ss_report(fidelity, path)
  expect_true(file.exists(path))
  features <- ss_features(csv_study$samples)
  expect_type(features$id, "character")
  expect_identical(sort(unique(features$id)), sort(unique(csv_study$samples$id)))
})

test_that("newdata with a character column", {
  fit <- ss_debias(belief ~ llm_mean + sex + region, csv_study$samples, csv_study$pilot, csv_study$covariates)
  newdata <- data.frame(llm_mean = c(2.5, 3.5), sex = c("male", "female"), region = c("south", "east"))
  expected <- coef(fit)[["(Intercept)"]] + coef(fit)[["llm_mean"]] * newdata$llm_mean +
    c(coef(fit)[["sexmale"]], 0) + c(coef(fit)[["regionsouth"]], 0)
  expect_equal(unname(predict(fit, newdata)), expected, tolerance = 1e-12)
})

test_that("ids: character in one table and integer in another when they match as text, else an error", {
  covariates <- small_covariates
  covariates$id <- as.character(covariates$id)
  mixed <- ss_debias(belief ~ llm_mean + age, small_samples, small_pilot, covariates)
  expect_equal(coef(mixed), coef(ss_debias(belief ~ llm_mean + age, small_samples, small_pilot, small_covariates)))
  pilot <- small_pilot
  pilot$id <- as.character(pilot$id)
  expect_equal(coef(ss_debias(belief ~ llm_mean, small_samples, pilot)),
               coef(ss_debias(belief ~ llm_mean, small_samples, small_pilot)))
  double_ids <- small_pilot
  double_ids$id <- as.double(double_ids$id)
  expect_equal(coef(ss_debias(belief ~ llm_mean, small_samples, double_ids)),
               coef(ss_debias(belief ~ llm_mean, small_samples, small_pilot)))
  padded <- small_pilot
  padded$id <- sprintf("%03d", padded$id)  # "001" is not the text of 1
  expect_error(ss_debias(belief ~ llm_mean, small_samples, padded), "humans has .* id\\(s\\) absent",
               class = "synthsurvey_error")
  expect_error(ss_debias(belief ~ llm_mean + age, csv_study$samples, csv_study$pilot, small_covariates),
               "ids of samples \\(id: text, e.g. 'R_.*\\) and of covariates \\(id: numbers, e.g. 1.*do not match as text",
               class = "synthsurvey_error")
  factor_ids <- csv_study$pilot
  factor_ids$id <- factor(factor_ids$id)
  expect_equal(coef(ss_debias(belief ~ llm_mean, csv_study$samples, factor_ids)),
               coef(ss_debias(belief ~ llm_mean, csv_study$samples, csv_study$pilot)))
})

test_that("every column type as a covariate: logical and integer with NA, Date, POSIXct, tibbles", {
  fit <- ss_debias(belief ~ llm_mean + urban + income + interviewed + started, small_samples, small_pilot,
                   typed_covariates)
  reference <- lm(response ~ llm_mean + urban + income + interviewed + started, data = pilot_frame("belief"))
  expect_identical(names(coef(fit)), names(coef(reference)))
  expect_equal(coef(fit), coef(reference), tolerance = 1e-8)
  exclusions <- summary(fit)$exclusions
  expect_identical(exclusions$reason, c("missing value in column 'urban'", "missing value in column 'income'"))
  expect_equal(nobs(fit), nobs(reference))
  skip_if_not_installed("tibble")
  tibbles <- ss_debias(belief ~ llm_mean + sex, tibble::as_tibble(small_samples), tibble::as_tibble(small_pilot),
                       tibble::as_tibble(typed_covariates))
  expect_equal(coef(tibbles), coef(ss_debias(belief ~ llm_mean + sex, small_samples, small_pilot, typed_covariates)))
  expect_equal(as.data.frame(small_groups(ss_population_mean(tibbles, by = "sex")))$sex, c("female", "male"))
})

test_that("a factor response with numeric levels counts as its numbers; other levels are an error", {
  pilot <- small_pilot
  pilot$response <- factor(pilot$response)
  expect_equal(coef(ss_debias(belief ~ llm_mean, small_samples, pilot)),
               coef(ss_debias(belief ~ llm_mean, small_samples, small_pilot)))
  pilot$response <- factor(c("A", "B")[1 + (small_pilot$response > 2)])
  expect_error(ss_debias(belief ~ llm_mean, small_samples, pilot), "'response' is a factor with level\\(s\\) 'A', 'B'",
               class = "synthsurvey_error")
})

test_that("the analyst's formulas (built by the core) read logical NA, integer NA, Date and POSIXct columns", {
  fit <- ss_debias(belief ~ llm_mean + age, small_samples, small_pilot, typed_covariates)
  formula <- belief ~ age + urban + income + interviewed
  classical <- ss_population_ols(fit, formula, method = "classical")
  reference <- lm(on_response(formula), data = pilot_frame("belief"))
  expect_identical(sort(names(coef(classical))), sort(names(coef(reference))))
  expect_equal(coef(classical)[names(coef(reference))], coef(reference), tolerance = 1e-8)
  expect_match(classical$notes, "missing value in column 'urban'", all = FALSE)
  expect_s3_class(ss_recover(fit, belief ~ age + started), "ss_recovery")
})
