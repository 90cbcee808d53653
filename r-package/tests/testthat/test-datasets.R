test_that("the bundled real data sets load in the core's long format", {
  twin <- ss_load_twin2k500()
  expect_equal(names(twin$samples), c("id", "item", "draw", "response"))
  expect_equal(nrow(twin$covariates), 799L)
  expect_match(twin$notes, "48 pair")
  expect_equal(twin$scales[["rating1"]], c(1, 2, 3, 4, 5))
  smartvote <- ss_load_smartvote()
  expect_equal(smartvote$key, "party")
  expect_equal(names(smartvote$samples), c("party", "item", "draw", "response"))
  expect_type(smartvote$samples$party, "character")
  expect_match(smartvote$notes, "109 GPT-4")
  fit <- ss_debias(q32214 ~ llm_mean, smartvote$samples, smartvote$humans, smartvote$covariates,
                   key = "party", scales = smartvote$scales)
  expect_equal(fit$info$n_population, 1029L - sum(smartvote$covariates$party == "Übrige"))
})

test_that("ss_load_bfi reshapes psychTools::bfi with NA kept missing", {
  bfi <- ss_load_bfi()
  expect_equal(nrow(bfi$covariates), 2800L)
  expect_equal(length(unique(bfi$humans$item)), 25L)
  expect_true(all(bfi$humans$response %in% 1:6))
  expect_true(anyNA(bfi$covariates$education))
  expect_equal(nrow(bfi$humans) + as.integer(sub(" .*", "", bfi$notes)), 2800L * 25L)
})

test_that("group cells, calibration and the alignment curve from R", {
  smartvote <- ss_load_smartvote()
  cells <- ss_group_cells(smartvote$samples, smartvote$humans, smartvote$covariates, key = "party")
  expect_type(cells$group, "character")
  sums <- aggregate(cbind(human_prob, llm_prob) ~ item + group, data = cells, FUN = sum)
  expect_equal(sums$human_prob, rep(1, nrow(sums)), tolerance = 1e-12)
  expect_equal(sums$llm_prob, rep(1, nrow(sums)), tolerance = 1e-12)
  # one cell by hand: the human answers of one party to one question (source of truth: table())
  one <- cells[cells$item == "q32214" & cells$group == cells$group[1], ]
  answers <- merge(smartvote$humans[smartvote$humans$item == "q32214", ], smartvote$covariates, by = "id")
  answers <- answers$response[answers$party == one$group[1]]
  expect_equal(one$human_prob, as.vector(table(factor(answers, levels = one$level))) / length(answers))
  labeled <- unique(cells[c("item", "group")])[1:10, ]
  calibration <- ss_calibrate_groups(cells, labeled)
  expect_equal(nrow(calibration$evaluation), nrow(unique(cells[c("item", "group")])) - 10)
  expect_output(print(calibration), "fit on 10 labeled cell")
  expect_identical(calibration$cv_gain >= 0 || calibration$member == "identity", TRUE)
  curve <- ss_alignment_curve(cells, sizes = c(1, 5), replications = 2)
  expect_s3_class(curve, "ss_alignment_curve")
  expect_identical(curve$settings$n_labeled, c(1L, 5L))
  expect_equal(curve$settings$gain, curve$settings$alignment_after - curve$settings$alignment_before, tolerance = 1e-12)
  expect_identical(nrow(curve$draws), 4L)
  expect_output(print(curve), "Alignment before and after calibration")
})

test_that("the alignment curve per setting: every setting's curve, the summary across them", {
  smartvote <- ss_load_smartvote()
  cells <- ss_group_cells(smartvote$samples, smartvote$humans, smartvote$covariates, key = "party")
  # two settings made from one: the first half of the questions and the second (a stand-in for the
  # benchmark's model x method settings, which the package cannot bundle)
  items <- sort(unique(cells$item))
  cells$half <- ifelse(cells$item %in% items[seq_len(length(items) %/% 2)], "first", "second")
  curve <- ss_alignment_curve(cells, sizes = c(3, 10), replications = 2, by = ~ half)
  expect_identical(curve$by, "half")
  expect_identical(curve$settings$half, c("first", "first", "second", "second"))
  summary <- curve$summary
  expect_identical(summary$settings, c(2L, 2L))
  for (size in c(3, 10)) {  # the summary is the mean and sd across the settings' rows (source: mean(), sd())
    rows <- curve$settings[curve$settings$n_labeled == size, ]
    expect_equal(summary$alignment_before[summary$n_labeled == size], mean(rows$alignment_before), tolerance = 1e-12)
    expect_equal(summary$sd_after[summary$n_labeled == size], sd(rows$alignment_after), tolerance = 1e-12)
  }
  # each setting's curve is the curve of its cells alone (each setting draws from its own seeded stream)
  alone <- ss_alignment_curve(cells[cells$half == "second", ], sizes = c(3, 10), replications = 2, by = "half")
  expect_equal(curve$settings$gain[3:4], alone$settings$gain, tolerance = 1e-12)
  fixed <- ss_alignment_curve(cells, sizes = 3, replications = 2, by = "half", members = "temperature_uniform",
                              blends = 1)
  expect_true(all(fixed$draws$member == "temperature_uniform"))
  expect_error(ss_alignment_curve(cells, by = "model"), "by names column\\(s\\) 'model'", class = "synthsurvey_error")
})

test_that("the distributional-alignment benchmark is read from outside the package", {
  expect_error(ss_load_distalign(file.path(tempdir(), "no-such-folder")), "the data have no license",
               class = "synthsurvey_error")
  shared <- Sys.getenv("SYNTHSURVEY_SHARED_DATA")
  folder <- file.path(shared, "distalign_benchmark")
  skip_if(!nzchar(shared) || !dir.exists(folder), "the benchmark is not beside the repository")
  bench <- ss_load_distalign(folder, models = "gpt-4", dropped = TRUE)
  cells <- bench$cells
  expect_setequal(unique(cells$method), c("express_distribution", "model_logprobs", "sequence"))
  sums <- aggregate(cbind(human_prob, llm_prob) ~ method + item + group, data = cells, FUN = sum)
  expect_equal(sums$human_prob, rep(1, nrow(sums)), tolerance = 1e-9)
  expect_true(all(c("reason", "cells") %in% names(bench$dropped_summary)))
  curve <- ss_alignment_curve(cells, sizes = 10, replications = 1, by = c("model", "method"))
  expect_identical(nrow(curve$settings), 3L)
})
