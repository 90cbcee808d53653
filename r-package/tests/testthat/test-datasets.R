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
