test_that("formulas translate to the Python core's syntax", {
  expect_equal(ss_formula_to_python(belief ~ llm_mean + factor(educ)), "belief ~ llm_mean + C(educ)")
  expect_equal(ss_formula_to_python(y ~ I(age^2) + log(age) - 1), "y ~ I(age ** 2) + log(age) - 1")
  expect_equal(ss_formula_to_python(y ~ a:b + a * b + as.factor(c)), "y ~ a:b + a * b + C(c)")
  expect_equal(ss_formula_to_python(y ~ (a + b)^2 + 0), "y ~ (a + b) ** 2 + 0")
  expect_equal(ss_formula_to_python(`my item` ~ my.var), "Q(\"my item\") ~ Q(\"my.var\")")
  expect_equal(ss_formula_to_python("y ~ C(a)"), "y ~ C(a)")
  expect_error(ss_formula_to_python(y ~ poly(age, 2)), "poly\\(age, 2\\).*cannot be translated",
               class = "synthsurvey_error")
  expect_error(ss_formula_to_python(y ~ .), "'\\.' cannot be translated", class = "synthsurvey_error")
  expect_error(ss_formula_to_python(~ x), "two-sided", class = "synthsurvey_error")
})

test_that("term names of the core's own designs come back in R's spelling", {
  expect_equal(synthsurvey:::.term_names_to_r(c("Intercept", "C(educ)[T.2]", "I(age ** 2)", "Q(\"a b\")",
                                                "urban[T.True]", "sex[T.male]:age", "2:Intercept", "mean[region=a]")),
               c("(Intercept)", "factor(educ)2", "I(age^2)", "`a b`", "urbanTRUE", "sexmale:age", "2:(Intercept)",
                 "mean[region=a]"))
  expect_equal(synthsurvey:::.term_names_to_r(c("Intercept", "x[1]", "sexmale"), r_design = TRUE),
               c("(Intercept)", "x[1]", "sexmale"))
})

test_that("types and NA round-trip through pandas", {
  frame <- data.frame(
    int = c(1L, NA, 3L), dbl = c(1.5, NA, -2), lgl = c(TRUE, NA, FALSE), chr = c("b", NA, "a"),
    fct = factor(c("x", NA, "y")), ord = factor(c("lo", "hi", NA), levels = c("lo", "hi"), ordered = TRUE),
    date = as.Date(c("2020-01-31", NA, "1969-12-31")), int_full = 1:3, lgl_full = c(TRUE, FALSE, TRUE),
    time = as.POSIXct(c("2024-03-01 08:30:00", NA, "1960-01-01 00:00:01"), tz = "UTC"),
    stringsAsFactors = FALSE
  )
  result <- synthsurvey:::.roundtrip(frame)
  expect_identical(result$frame, frame)
  expect_equal(unname(result$dtypes[c("int", "lgl", "chr", "fct", "ord", "int_full", "lgl_full", "dbl")]),
               c("Int32", "boolean", "category", "category", "category", "int32", "bool", "float64"))
  expect_match(result$dtypes[["date"]], "datetime64")
  expect_match(result$dtypes[["time"]], "datetime64.*UTC")
  expect_identical(levels(result$frame$ord), c("lo", "hi"))
})

test_that("tibbles, haven_labelled values and unusable columns", {
  skip_if_not_installed("tibble")
  skip_if_not_installed("haven")
  frame <- tibble::tibble(id = 1:3, party = haven::labelled(c(1, 2, 1), c(Left = 1, Right = 2)),
                          answer = haven::labelled(c("a", "b", NA), c(Yes = "a")))
  result <- synthsurvey:::.roundtrip(frame)
  expect_identical(result$frame$id, 1:3)
  expect_identical(levels(result$frame$party), c("Left", "Right"))  # labels name the values' levels
  expect_identical(as.character(result$frame$party), c("Left", "Right", "Left"))
  expect_identical(as.character(result$frame$answer), c("Yes", "b", NA))
  expect_error(synthsurvey:::.roundtrip(data.frame(x = I(list(1, 2)))), "column 'x' is a list column",
               class = "synthsurvey_error")
  complex <- data.frame(z = complex(real = 1:2, imaginary = 0))
  expect_error(synthsurvey:::.roundtrip(complex), "column 'z' has class complex", class = "synthsurvey_error")
})

test_that("an integer NA never arrives as -2147483648", {
  result <- synthsurvey:::.roundtrip(data.frame(x = c(NA_integer_, 5L)))
  expect_true(is.na(result$frame$x[1]))
  expect_false(any(result$frame$x < -1e9, na.rm = TRUE))
})

test_that("character codes: NA kept, levels in order of first appearance, many levels, encodings merged", {
  x <- c(rep("a", 200000), "rare", NA, rep("b", 5), NA)
  coded <- synthsurvey:::.character_codes(x)
  expect_identical(coded$levels, c("a", "rare", "b"))
  expect_identical(coded$levels[coded$codes], x)
  expect_true(is.na(coded$codes[200002]) && is.na(coded$codes[200008]))
  expect_identical(synthsurvey:::.character_codes(character())$codes, integer())
  expect_identical(synthsurvey:::.character_codes(NA_character_)$levels, character())
  many <- sample(sprintf("level %05d", 1:20000), 60000, replace = TRUE)  # the table grows many times
  coded <- synthsurvey:::.character_codes(many)
  expect_identical(coded$levels, unique(many))
  expect_identical(coded$codes, match(many, unique(many)))
  deferred <- as.character(1:1000 %% 7)  # an ALTREP (deferred string) vector
  expect_identical(synthsurvey:::.character_codes(deferred)$codes, match(deferred, unique(deferred)))
  latin <- iconv("caf\u00e9", "UTF-8", "latin1")
  utf8 <- enc2utf8("caf\u00e9")
  expect_false(identical(Encoding(latin), Encoding(utf8)))
  coded <- synthsurvey:::.character_codes(c(latin, utf8, "x", latin))
  expect_identical(coded$codes, c(1L, 1L, 2L, 1L))
  expect_length(coded$levels, 2)
})

test_that("the bridge reads columns in place: large, empty and non-ASCII frames round-trip", {
  n <- 300000L
  big <- data.frame(id = seq_len(n), x = as.double(seq_len(n)) / 7, item = rep(c("q1", "q\u00e9"), n / 2),
                    stringsAsFactors = FALSE)
  expect_identical(synthsurvey:::.roundtrip(big)$frame, big)
  empty <- big[0, ]
  rownames(empty) <- NULL
  expect_identical(synthsurvey:::.roundtrip(empty)$frame, empty)
})
