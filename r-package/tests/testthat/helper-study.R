# One small simulated study shared by the tests (from the Python core's seeded generator), with
# covariates of every R column type added (seeded), and the pilot's merged frame for reference
# fits with lm(), glm() and MASS::polr().
study <- ss_load_simulated()
small_samples <- study$samples[study$samples$id <= 400, ]
small_covariates <- study$covariates[study$covariates$id <= 400, ]
small_pilot <- study$pilot[study$pilot$id <= 400, ]

typed_covariates <- local({
  covariates <- small_covariates
  n <- nrow(covariates)
  old <- if (exists(".Random.seed", globalenv())) get(".Random.seed", globalenv()) else NULL
  set.seed(17)
  covariates$sex <- ifelse(covariates$female == 1, "female", "male")                 # character
  covariates$region <- sample(c("north", "south", "east"), n, replace = TRUE)       # character
  covariates$educ_o <- factor(covariates$educ, levels = 1:4, ordered = TRUE,        # ordered factor
                              labels = c("none", "school", "college", "grad"))
  covariates$urban <- sample(c(TRUE, FALSE, NA), n, replace = TRUE, prob = c(0.45, 0.45, 0.1))  # logical NA
  covariates$income <- ifelse(runif(n) < 0.1, NA_integer_, sample(1:9, n, replace = TRUE))       # integer NA
  covariates$interviewed <- as.Date("2024-03-01") + sample(0:60, n, replace = TRUE)              # Date
  covariates$started <- as.POSIXct("2024-03-01 08:00:00", tz = "UTC") + sample(0:86400, n, replace = TRUE)
  if (!is.null(old)) assign(".Random.seed", old, globalenv())
  covariates
})

small_features <- ss_features(small_samples)

# The pilot's answers to `item` beside every covariate and the item's features: the data a
# reference lm()/glm()/polr() of the pilot sees, ordered by id.
pilot_frame <- function(item, covariates = typed_covariates) {
  answers <- small_pilot[small_pilot$item == item, c("id", "response")]
  merged <- merge(merge(answers, covariates, by = "id"), small_features[small_features$item == item, ], by = "id")
  merged[order(merged$id), ]
}

# The same formula with the answers (`response`) on the left, for reference fits.
on_response <- function(formula) stats::update(formula, response ~ .)

# The small study's subgroups have fewer than 30 pilot answers, which the core warns about (an R
# warning of class synthsurvey_warning); tests that are about something else muffle that warning
# (test-population.R checks it).
small_groups <- function(expr) {
  withCallingHandlers(expr, synthsurvey_warning = function(warning) {
    if (grepl("(under 30)", conditionMessage(warning), fixed = TRUE)) invokeRestart("muffleWarning")
  })
}
