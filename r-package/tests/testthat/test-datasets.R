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
  curve <- ss_alignment_curve(cells, sizes = c(1, 5), replications = 2)
  expect_identical(curve$n_labeled, c(1L, 5L))
  expect_equal(curve$gain, curve$alignment_after - curve$alignment_before, tolerance = 1e-12)
})
