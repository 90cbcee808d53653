# Several LLM sources from R: the bracket syntax translates, names other sources and items, errors
# name the unknown label, tuned_on holds out the tuned pilot answers, and the comparison returns
# data.frames (the numbers are the Python core's, tested there).

test_that("bracket references translate to the core's syntax", {
  expect_equal(ss_formula_to_python(belief ~ llm_mean[gpt4o] + llm_sd["gpt-4o"] + llm_mean[q2, gpt4o]:age),
               "belief ~ llm_mean[gpt4o] + llm_sd[\"gpt-4o\"] + llm_mean[q2, gpt4o]:age")
  expect_equal(ss_formula_to_python(y ~ llm_auto[base] + llm_auto + llm_mean[my.item, 2]),
               "y ~ llm_auto[base] + llm_auto + llm_mean[\"my.item\", 2]")
  expect_equal(ss_formula_to_python(y ~ I(llm_mean[a]^2)), "y ~ I(llm_mean[a] ** 2)")
  expect_error(ss_formula_to_python(y ~ llm_mean[]), "labels are names or strings", class = "synthsurvey_error")
  expect_error(ss_formula_to_python(y ~ x[1]), "llm_x\\[source\\]", class = "synthsurvey_error")
  expect_error(ss_formula_to_python(y ~ llm_mean[a, b, c]), "cannot be translated", class = "synthsurvey_error")
})

sources <- ss_simulate_sources(n_people = 300L, n_pilot = 120L, seed = 3L)

test_that("a fit reads other sources and items, with R's term names", {
  fit <- ss_debias(belief ~ llm_mean + llm_mean[persona] + llm_sd["finetuned"] + llm_mean[action] + age,
                   sources$samples, sources$pilot, sources$covariates, source = "base")
  expect_equal(names(coef(fit)), c("(Intercept)", "llm_mean", "llm_mean[persona]", "llm_sd[finetuned]",
                                   "llm_mean[action]", "age"))
  feats <- ss_features(sources$samples)
  persona <- feats[feats$item == "belief" & feats$source == "persona", ]
  expect_equal(nrow(persona), 300)
  expect_error(ss_debias(belief ~ llm_mean[gpt4o], sources$samples, sources$pilot, sources$covariates),
               "unknown item or source 'gpt4o'.*sources: 'base', 'finetuned', 'persona'",
               class = "synthsurvey_error")
  expect_error(ss_debias(belief ~ llm_mean, sources$samples, sources$pilot, sources$covariates),
               "name one, e.g. llm_mean\\[base\\], or pass source=", class = "synthsurvey_error")
})

test_that("tuned_on holds out the tuned pilot answers", {
  tuned <- ss_debias(belief ~ llm_mean + age, sources$samples, sources$pilot, sources$covariates,
                     source = "finetuned", tuned_on = sources$tuned_on)
  expect_equal(nobs(tuned), 60L)
  expect_output(print(summary(tuned)), "60 untouched pilot answer\\(s\\) remain")
  # the population mean and the analyst's coefficients still use all 120 answers: stacked
  mean <- ss_population_mean(tuned)
  expect_equal(mean$table$n_labeled, 120)
  expect_match(mean$notes, "stacked over the tuned source: every one of the 120 pilot answers", all = FALSE)
  coefficients <- ss_population_ols(tuned, belief ~ age)
  expect_equal(unique(coefficients$table$n_labeled), 120)
  kept <- ss_population_mean(tuned, method = "ppi")
  expect_equal(kept$table$n_labeled, 60)
  expect_match(kept$notes, "60 pilot answer\\(s\\) of people a source was tuned on are not used", all = FALSE)
})

test_that("ss_compare_sources returns the side-by-side tables", {
  fit <- ss_debias(belief ~ llm_auto + age + ideology, sources$samples, sources$pilot, sources$covariates,
                   source = "base", tuned_on = sources$tuned_on)
  result <- ss_compare_sources(fit, formula = belief ~ age + ideology, draws = c(1, NA), half_width = 0.3,
                               cost_human = 5, cost_draw = 0.01)
  expect_s3_class(result, "ss_sources")
  expect_equal(result$wide$variant, c("base", "finetuned", "persona", "combined", "combined untuned"))
  expect_equal(result$wide$n_pilot, c(120, 60, 120, 60, 120))
  expect_true(all(c("term", "estimate", "std.error", "n_effective", "variant") %in% names(result$coefficients)))
  expect_equal(nrow(result$draws), 10)
  expect_true(any(result$cost$best))
  expect_output(print(result), "Draws curve")
  path <- tempfile(fileext = ".html")
  ss_report(result, path)
  expect_true(any(grepl("LLM sources compared", readLines(path, warn = FALSE))))
})
