# Thin wrappers over the Python core (synthsurvey.interfaces.rapi). No statistics here.
# Every function that takes a fit takes it first, as in Python.

# A clear error when a formula comes where the fit belongs (the order before 0.2: formula, fit).
.fit_first <- function(fit, formula, function_name) {
  if (inherits(fit, "formula") && inherits(formula, "ss_debias")) {
    .abort(sprintf("%s takes the fit first: %s(fit, %s)", function_name, function_name,
                   paste(deparse(fit), collapse = " ")))
  }
  if (!inherits(fit, "ss_debias")) .abort(sprintf("%s needs an ss_debias fit first, not %s", function_name,
                                                 class(fit)[1]))
}

# Argument checks whose failure R can name before Python sees the value.
.check_string <- function(value, name, choices = NULL) {
  if (!is.character(value) || length(value) != 1 || is.na(value)) {
    .abort(sprintf("%s must be one string%s, not %s", name,
                   if (is.null(choices)) "" else paste0(" (", paste0("\"", choices, "\"", collapse = ", "), ")"),
                   paste(deparse(value), collapse = " ")))
  }
  if (!is.null(choices) && !value %in% choices) {
    .abort(sprintf("%s = \"%s\" is not one of %s", name, value, paste0("\"", choices, "\"", collapse = ", ")))
  }
  value
}

.check_number <- function(value, name, integer = FALSE) {
  if (!is.numeric(value) || length(value) != 1 || is.na(value) || (integer && value != round(value))) {
    .abort(sprintf("%s must be one %s, not %s", name, if (integer) "whole number" else "number",
                   paste(deparse(value), collapse = " ")))
  }
  if (integer) as.integer(value) else as.double(value)
}

.check_flag <- function(value, name) {
  if (!is.logical(value) || length(value) != 1 || is.na(value)) {
    .abort(sprintf("%s must be TRUE or FALSE, not %s", name, paste(deparse(value), collapse = " ")))
  }
  value
}

.check_scales <- function(scales) {
  if (is.null(scales)) return(NULL)
  if (!is.list(scales) && !is.atomic(scales) || is.null(names(scales)) || any(!nzchar(names(scales)))) {
    .abort("scales must be a named list: item = numeric levels, \"binary\" or \"continuous\"")
  }
  lapply(as.list(scales), function(spec) if (is.numeric(spec)) as.list(as.double(spec)) else spec)
}

# A factor response (e.g. labelled answers) becomes the numbers its levels spell; levels that
# are not numbers are an error naming them (as.integer(x) gives the codes, if they are meant).
.numeric_responses <- function(frame, what) {
  if (is.null(frame) || !is.data.frame(frame) || !"response" %in% names(frame)) return(frame)
  response <- frame[["response"]]
  if (inherits(response, "haven_labelled")) {
    frame[["response"]] <- as.vector(unclass(response))
    attributes(frame[["response"]]) <- NULL
  } else if (is.factor(response)) {
    values <- suppressWarnings(as.numeric(levels(response)))
    if (anyNA(values)) {
      bad <- levels(response)[is.na(values)]
      .abort(sprintf("%s column 'response' is a factor with level(s) %s that are not numbers; give the answers as numbers (as.integer(response) gives the level codes)",
                     what, paste0("'", utils::head(bad, 5), "'", collapse = ", ")))
    }
    frame[["response"]] <- values[response]
  }
  frame
}

#' Features of the LLM draws
#'
#' One row per (key, item): number of draws, mean, sd, skew, excess kurtosis,
#' quantiles (mid-distribution quantiles for discrete items), IQR and, for
#' discrete items, the category shares \code{llm_p<level>}, extreme, middle and
#' modal shares and the entropy in bits.
#'
#' @param samples data.frame (or tibble) with columns \code{key}, \code{item}, \code{draw}, \code{response}.
#' @param key Column linking draws to respondents (or personas).
#' @param scales Optional named list: item = numeric levels, \code{"binary"} or \code{"continuous"}.
#' @return A data.frame.
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' head(ss_features(study$samples[study$samples$id <= 5, ]))
#' @export
ss_features <- function(samples, key = "id", scales = NULL) {
  .check_string(key, "key")
  samples <- .numeric_responses(samples, "samples")
  .frame_out(.call("features", .frame_in(samples, "samples"), key, .check_scales(scales)), like = samples)
}

#' Fit a debiasing regression
#'
#' Regresses one item's pilot human answers on its LLM draw features
#' (\code{llm_*} names) and covariates, and predicts everybody in the population.
#'
#' The formula is an ordinary R formula: its design is built by R's own
#' \code{model.matrix} on the item's frame, so coefficients carry the names and
#' order \code{lm()}/\code{glm()} give on the same formula (\code{sexmale},
#' \code{age:sexfemale}, \code{factor(educ)2}, \code{educ.L} for an ordered
#' factor), character columns are factors, \code{options(contrasts = )} is
#' respected, and any function \code{model.matrix} understands may be used
#' (\code{poly(age, 2)}, \code{splines::ns(age, 3)}, \code{relevel(region, "north")},
#' \code{I(age^2)}, \code{log(llm_sd + 0.1)}). Dates count as numbers, as in
#' \code{lm()}. Factor levels and contrasts are those of the pilot's rows (as
#' \code{lm()} on the pilot would make them); a level that only people outside
#' the pilot have is an error. People missing a value the formula reads are left
#' out and counted (\code{summary(fit)}). The fitting itself is the Python
#' core's (OLS, ordinal, logistic, multinomial or quantile regression);
#' ordinal fits report \code{MASS::polr}'s thresholds \code{1|2}, \code{2|3}, ...
#'
#' Ids may be numbers in one table and text in another (\code{read.csv} of a
#' file with string ids beside integer ids) when they match as text.
#'
#' @param formula Two-sided formula; the left-hand side names an item. A string is
#'   taken in the Python core's syntax (its own design, patsy's names).
#' @param samples,humans,covariates data.frames (or tibbles) of LLM draws (key, item, draw,
#'   response), pilot answers (id, item, response) and one row per person.
#' @param family \code{"ols"}, \code{"ordinal"}, \code{"logit"}, \code{"mnlogit"} or \code{"quantreg"}.
#' @param key Column linking samples to people (their id, or a persona column).
#' @param scales Optional named list of item scales (see \code{\link{ss_features}}).
#' @param link Link of the ordinal family: \code{"logit"} or \code{"probit"}.
#' @param q Quantile of the quantreg family.
#' @param features Optional feature table made by \code{\link{ss_features}} (then \code{samples}
#'   may be \code{NULL}): refitting on many pilots does not recompute the features.
#' @return An object of class \code{ss_debias}, with the methods of
#'   \code{\link{ss_debias-methods}} (\code{coef}, \code{summary}, \code{predict},
#'   \code{residuals}, \code{AIC}, \code{tidy} ...).
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + llm_sd + age + factor(educ),
#'                  samples = study$samples, humans = study$pilot,
#'                  covariates = study$covariates)
#' summary(fit)
#' head(predict(fit))
#' @export
ss_debias <- function(formula, samples, humans, covariates = NULL, family = "ols", key = "id",
                      scales = NULL, link = "logit", q = 0.5, features = NULL) {
  inputs <- list(formula = formula, samples = samples, humans = humans, covariates = covariates,
                 family = family, key = key, scales = scales, link = link, q = q, features = features)
  fit <- .debias(inputs)
  fit$call <- match.call()
  fit
}

.families <- c("ols", "ordinal", "logit", "mnlogit", "quantreg")

.debias <- function(inputs) {
  family <- .check_string(inputs$family, "family", .families)
  key <- .check_string(inputs$key, "key")
  link <- .check_string(inputs$link, "link", c("logit", "probit"))
  q <- .check_number(inputs$q, "q")
  scales <- .check_scales(inputs$scales)
  formula <- inputs$formula
  samples <- .numeric_responses(inputs$samples, "samples")
  humans <- .numeric_responses(inputs$humans, "humans")
  covariates <- inputs$covariates
  if (!is.null(covariates) && !is.data.frame(covariates)) {
    .abort(sprintf("covariates must be a data.frame, not %s", class(covariates)[1]))
  }
  if (is.character(formula) && length(formula) == 1) {  # the core's own syntax and design
    py <- .call("debias", formula, .frame_in(samples, "samples"), .frame_in(humans, "humans"),
                .frame_in(covariates, "covariates"), family, key, scales, link, q,
                .frame_in(inputs$features, "features"))
    return(.new_fit(py, inputs, formula, NULL))
  }
  item <- .formula_item(formula)
  columns <- .formula_columns(formula, covariates)
  columns_formula <- .columns_formula(item, columns)
  built <- withCallingHandlers(
    .call("debias_model", columns_formula, .frame_in(samples, "samples"), .frame_in(humans, "humans"),
          .frame_in(covariates, "covariates"), family, key, scales, link, q, .frame_in(inputs$features, "features")),
    synthsurvey_error = function(error) {  # the core knows the columns' formula; the user wrote the R one
      message <- sub(sprintf("formula '%s'", columns_formula),
                     sprintf("formula '%s'", paste(deparse(formula), collapse = " ")), conditionMessage(error),
                     fixed = TRUE)
      if (!identical(message, conditionMessage(error))) .abort(message)
    })
  frame <- .frame_out(built$frame)
  data <- .design_data(frame, covariates, columns)
  design <- .build_design(formula, data, frame$is_pilot, family, inputs$contrasts)
  py <- .call("debias_fit", built$model, .matrix_in(design$x), as.list(design$reads_llm))
  design$x_pilot <- design$x[frame$is_pilot, , drop = FALSE]
  attr(design$x_pilot, "assign") <- attr(design$x, "assign")
  attr(design$x_pilot, "contrasts") <- attr(design$x, "contrasts")
  rownames(design$x_pilot) <- as.character(frame$id[frame$is_pilot])
  design$x <- NULL
  .new_fit(py, inputs, formula, design)
}

# A fit: the Python DebiasResults behind a handle (read it with .fit_py(), which restores it after
# saveRDS/readRDS; `py` is the same object, kept for code written before the handle), what R's
# methods show (`info`), R's design (terms, levels, contrasts, the pilot's model matrix) and the
# inputs it was made from.
.new_fit <- function(py, inputs, formula, design) {
  structure(list(handle = .handle(py), py = py, info = .call("fit_info", py), formula = formula, design = design,
                 inputs = inputs, call = NULL), class = "ss_debias")
}

# The Python DebiasResults of a fit; after saveRDS/readRDS, refit from the stored inputs (the
# same data, the same numbers; the contrasts the fit was made with, whatever options(contrasts)
# the new session has).
.fit_py <- function(fit) {
  .py(fit, function(x) .debias(c(x$inputs, list(contrasts = x$design$contrasts)))$handle$py)
}

.fit_frame <- function(fit, what, ...) .frame_out(.call(what, .fit_py(fit), ...))

#' Predictions of every method side by side
#'
#' @param fit An \code{ss_debias} fit.
#' @return data.frame: id, is_pilot, response (NA outside the pilot), base, scalar, pilot, debiased.
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + age, study$samples, study$pilot, study$covariates)
#' head(ss_baselines(fit))
#' @export
ss_baselines <- function(fit) {
  .fit_first(fit, NULL, "ss_baselines")
  .fit_frame(fit, "fit_baselines")
}

#' The default debiasing formula of an item
#'
#' The item's full draw vector (mean, spread, shape, quantiles and shares; see
#' \code{\link{ss_features}}) or, with \code{variant = "mean"}, the draw mean alone, plus
#' covariate terms. With \code{features}, features that are constant for the item there
#' (\code{llm_sd} with one draw per person) or linear in the others are left out.
#'
#' @param item The item's name.
#' @param scale Its levels (\code{1:5}), \code{"binary"} or \code{"continuous"}.
#' @param covariates Covariate terms in R's syntax (\code{c("age", "factor(educ)")}).
#' @param variant \code{"full"} or \code{"mean"}.
#' @param features Optional feature table from \code{\link{ss_features}}.
#' @return A formula (its environment the caller's).
#' @examplesIf ss_available()
#' ss_default_formula("belief", 1:5, c("age", "factor(educ)"))
#' @export
ss_default_formula <- function(item, scale, covariates = character(), variant = "full", features = NULL) {
  .check_string(item, "item")
  .check_string(variant, "variant", c("full", "mean"))
  if (is.numeric(scale)) scale <- as.list(as.double(scale))
  text <- .call("default_formula", item, scale, as.list(as.character(covariates)), variant,
                .frame_in(features, "features"))
  text <- gsub("Q\\(\"([^\"]*)\"\\)", "`\\1`", text)
  stats::as.formula(text, env = parent.frame())
}

# by = a name, several names or a one-sided formula (~ region, ~ sex + party): the names.
.by_names <- function(by) {
  if (is.null(by)) return(NULL)
  if (inherits(by, "formula")) {
    if (length(by) != 2) .abort("by must be a one-sided formula such as ~ region (or a column name)")
    return(as.list(all.vars(by[[2]])))
  }
  if (!is.character(by) || !length(by) || anyNA(by)) {
    .abort(sprintf("by must be a column name, several names or a one-sided formula such as ~ region, not %s",
                   paste(deparse(by), collapse = " ")))
  }
  as.list(by)
}

.population <- function(function_name, fit, options, what) {
  .fit_first(fit, NULL, paste0("ss_", function_name))
  result <- .call("population_table", function_name, .fit_py(fit), options)
  .new_population(result, what, fit)
}

.options <- function(...) {
  options <- list(...)
  options <- options[!vapply(options, is.null, logical(1))]
  for (name in intersect(c("folds", "seed"), names(options))) options[[name]] <- .check_number(options[[name]], name, TRUE)
  if (!is.null(options$cross_fit)) .check_flag(options$cross_fit, "cross_fit")
  if (!is.null(options$alpha)) options$alpha <- .check_number(options$alpha, "alpha")
  for (name in intersect(c("method", "design"), names(options))) .check_string(options[[name]], name)
  for (name in intersect(c("weights", "pilot_weights"), names(options))) {
    value <- options[[name]]
    if (!(is.character(value) && length(value) == 1) && !is.numeric(value)) {
      .abort(sprintf("%s must be a column name or one number per person, not %s", name, class(value)[1]))
    }
    if (is.numeric(value)) options[[name]] <- as.list(as.double(value))
  }
  options
}

#' Population estimates with prediction-powered confidence intervals
#'
#' Cross-fitted PPI++ estimates of the item's population mean (optionally per
#' subgroup), level shares or a quantile over the people of the fit's population.
#'
#' @param fit An \code{ss_debias} fit.
#' @param by Optional subgroups: a covariate name, several names (\code{c("sex", "party")})
#'   or a one-sided formula (\code{~ region}, \code{~ sex + party}); one estimate per group, in
#'   the order of the factor's levels (sorted values for other columns), with the group columns in
#'   their R types (a haven_labelled column's groups named by its labels).
#' @param q Quantile in (0, 1).
#' @param method \code{"ppi++"}, \code{"ppi"} or \code{"classical"} (pilot only).
#' @param design \code{"subsample"} (pilot is a random subsample of the population) or \code{"independent"}.
#' @param alpha Error level: intervals cover with probability 1 - alpha (\code{confint()} gives any other level).
#' @param cross_fit,folds,seed Cross-fitting of the predictions.
#' @param weights,pilot_weights Optional design weights: a column name or one number per person.
#' @return An object of class \code{ss_population} (see \code{\link{ss_population-methods}}).
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + llm_sd + age, study$samples, study$pilot, study$covariates)
#' ss_population_mean(fit)
#' ss_population_mean(fit, by = ~ educ)
#' @export
ss_population_mean <- function(fit, by = NULL, method = "ppi++", design = "subsample", alpha = 0.05,
                               cross_fit = TRUE, folds = 5L, seed = 0L, weights = NULL,
                               pilot_weights = NULL) {
  options <- .options(by = .by_names(by), method = method, design = design, alpha = alpha, cross_fit = cross_fit,
                      folds = folds, seed = seed, weights = weights, pilot_weights = pilot_weights)
  .population("population_mean", fit, options, "mean")
}

#' @rdname ss_population_mean
#' @export
ss_population_shares <- function(fit, method = "ppi++", design = "subsample", alpha = 0.05,
                                 cross_fit = TRUE, folds = 5L, seed = 0L, weights = NULL,
                                 pilot_weights = NULL) {
  options <- .options(method = method, design = design, alpha = alpha, cross_fit = cross_fit,
                      folds = folds, seed = seed, weights = weights, pilot_weights = pilot_weights)
  .population("population_shares", fit, options, "shares")
}

#' @rdname ss_population_mean
#' @export
ss_population_quantile <- function(fit, q = 0.5, method = "ppi++", design = "subsample", alpha = 0.05,
                                   cross_fit = TRUE, folds = 5L, seed = 0L, weights = NULL,
                                   pilot_weights = NULL) {
  options <- .options(q = .check_number(q, "q"), method = method, design = design, alpha = alpha,
                      cross_fit = cross_fit, folds = folds, seed = seed, weights = weights,
                      pilot_weights = pilot_weights)
  .population("population_quantile", fit, options, "quantile")
}

.coefficients <- function(function_name, fit, formula, options) {
  .fit_first(fit, formula, function_name)
  result <- .call("coefficient_table", sub("^ss_", "", function_name), .fit_py(fit), ss_formula_to_python(formula),
                  options)
  .new_population(result, "coefficients", fit)
}

#' Coefficients of the analyst's regression on the human population
#'
#' PPI++ estimates (cross-fitted, sandwich standard errors) of the OLS or
#' logistic-regression coefficients the analyst's model would have if every
#' person in the fit's population had answered. The analyst's formula is built
#' by the Python core's formula engine (see \code{\link{ss_formula_to_python}}
#' for what it accepts): terms are named in R's spelling but ordered as the core
#' orders them (factor terms first).
#'
#' @param fit An \code{ss_debias} fit.
#' @param formula Two-sided formula whose left-hand side is the fit's item.
#' @inheritParams ss_population_mean
#' @return An object of class \code{ss_population}.
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + llm_sd + age, study$samples, study$pilot, study$covariates)
#' ss_population_ols(fit, belief ~ age + ideology)
#' @export
ss_population_ols <- function(fit, formula, method = "ppi++", design = "subsample", alpha = 0.05,
                              cross_fit = TRUE, folds = 5L, seed = 0L, weights = NULL, pilot_weights = NULL) {
  options <- .options(method = method, design = design, alpha = alpha, cross_fit = cross_fit,
                      folds = folds, seed = seed, weights = weights, pilot_weights = pilot_weights)
  .coefficients("ss_population_ols", fit, formula, options)
}

#' @rdname ss_population_ols
#' @export
ss_population_logit <- function(fit, formula, method = "ppi++", design = "subsample", alpha = 0.05,
                                cross_fit = TRUE, folds = 5L, seed = 0L, weights = NULL, pilot_weights = NULL) {
  options <- .options(method = method, design = design, alpha = alpha, cross_fit = cross_fit,
                      folds = folds, seed = seed, weights = weights, pilot_weights = pilot_weights)
  .coefficients("ss_population_logit", fit, formula, options)
}

#' Pilot size for a confidence-interval half-width
#'
#' @param fit Optional \code{ss_debias} fit giving sd, the prediction-answer correlation and N.
#' @param half_width Target half-width of the population mean's interval, in item units.
#' @param rho,sd Assumed correlation and answer standard deviation, without a fit.
#' @param n_population Optional population size (finite-population correction).
#' @param alpha Error level.
#' @param sizes Pilot sizes of the plan's \code{curve} (expected half-widths; default: a range
#'   around the plan's sizes).
#' @return An object of class \code{ss_pilot_plan}: \code{n_ppi}, \code{n_classical}, \code{rho},
#'   \code{sd}, \code{curve} (n, half_width_classical, half_width_ppi).
#' @examplesIf ss_available()
#' ss_plan_pilot(half_width = 0.1, rho = 0.6, sd = 1.2)
#' @export
ss_plan_pilot <- function(fit = NULL, half_width = NULL, rho = NULL, sd = NULL, n_population = NULL,
                          alpha = 0.05, sizes = NULL) {
  if (is.numeric(fit)) .abort(sprintf("ss_plan_pilot takes the fit first: ss_plan_pilot(fit, half_width = %s)", fit))
  if (!is.null(fit)) .fit_first(fit, NULL, "ss_plan_pilot")
  if (is.null(half_width)) .abort("ss_plan_pilot needs half_width, the target half-width of the interval")
  half_width <- .check_number(half_width, "half_width")
  for (name in c("rho", "sd", "n_population")) {
    value <- get(name)
    if (!is.null(value)) assign(name, .check_number(value, name))
  }
  if (!is.null(sizes) && (!is.numeric(sizes) || anyNA(sizes))) .abort("sizes must be pilot sizes (numbers)")
  plan <- .call("plan_pilot", if (is.null(fit)) NULL else .fit_py(fit), half_width, rho, sd, n_population,
                .check_number(alpha, "alpha"), if (is.null(sizes)) NULL else as.list(as.integer(sizes)))
  plan$table <- .tidy_names(.frame_out(plan$table))
  plan$curve <- .frame_out(plan$curve)
  plan$handle <- .handle(plan$py)
  plan$py <- NULL
  structure(plan, class = "ss_pilot_plan")
}

#' The bundled simulated study
#'
#' @return A list of data.frames: samples, pilot, covariates, holdout.
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' str(study$covariates)
#' @export
ss_load_simulated <- function() lapply(.call("load_simulated"), .frame_out)

#' Does the analyst's regression survive? Coefficients by estimator
#'
#' The analyst's model estimated from the human pilot, one LLM draw per person,
#' the draw mean, the debiased predictions plugged in naively, and PPI++, with
#' their agreement with the human pilot (see \code{summary}).
#'
#' @param fit An \code{ss_debias} fit.
#' @param formula Two-sided formula whose left-hand side is the fit's item (see
#'   \code{\link{ss_formula_to_python}} for the terms it may use).
#' @param family \code{"ols"} or \code{"logit"} (binary items).
#' @param alpha Error level of the intervals.
#' @return An object of class \code{ss_recovery} (see \code{\link{ss_recovery-methods}}).
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + llm_sd + age + ideology, study$samples, study$pilot, study$covariates)
#' summary(ss_recover(fit, belief ~ age + ideology))
#' @export
ss_recover <- function(fit, formula, family = "ols", alpha = 0.05) {
  .fit_first(fit, formula, "ss_recover")
  result <- .call("recover", .fit_py(fit), ss_formula_to_python(formula), .check_string(family, "family", c("ols", "logit")),
                  .check_number(alpha, "alpha"))
  structure(list(table = .tidy_names(.frame_out(result$table)), per_term = .tidy_names(.frame_out(result$per_term)),
                 overall = .frame_out(result$overall), alpha = result$alpha, notes = unlist(result$notes),
                 handle = .handle(result$py), pickle = result$pickle, nobs = .fit_py_nobs(fit)),
            class = "ss_recovery")
}

.fit_py_nobs <- function(fit) as.integer(fit$info$nobs)

#' Three-axis fidelity of raw and debiased LLM answers
#'
#' Marginal distances to the human pilot (with the human floor), coefficient
#' recovery of an analyst's model, held-out individual errors, subgroup
#' distances and belief-action coherence.
#'
#' @param fits An \code{ss_debias} fit or a list of them (one per item).
#' @param formula Optional analyst model (a formula) for the structural axis.
#' @param by Optional covariate names (or a one-sided formula) for the subgroup axis.
#' @param coherence Optional pair of item names: a belief and a binary action.
#' @param replications Number of repeated random subpilots (80\% of the pilot people, every fit
#'   refit) for the mean and sd of every marginal, individual and structural metric.
#' @return An object of class \code{ss_fidelity}: a list of data.frames.
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + llm_sd + age, study$samples, study$pilot, study$covariates)
#' ss_fidelity(fit)
#' @export
ss_fidelity <- function(fits, formula = NULL, by = NULL, coherence = NULL, replications = 0L) {
  if (inherits(fits, "ss_debias")) fits <- list(fits)
  if (!is.list(fits) || !length(fits) || !all(vapply(fits, inherits, logical(1), "ss_debias"))) {
    .abort("fits must be an ss_debias fit or a list of them")
  }
  if (!is.null(coherence) && (!is.character(coherence) || length(coherence) != 2)) {
    .abort("coherence must be two item names: a belief and a binary action")
  }
  result <- .call("fidelity", lapply(fits, .fit_py), if (is.null(formula)) NULL else ss_formula_to_python(formula),
                  .by_names(by), if (is.null(coherence)) NULL else as.list(coherence),
                  .check_number(replications, "replications", TRUE))
  tables <- lapply(result$tables, .frame_out)
  structure(c(tables, list(handle = .handle(result$py), pickle = result$pickle)), class = "ss_fidelity")
}

#' Write the HTML fidelity report
#'
#' A self-contained HTML file with tables and figures: distributions per item,
#' a coefficient forest plot per source, a subgroup heatmap.
#'
#' @param x An \code{ss_fidelity} object, an \code{ss_debias} fit or a list of fits.
#' @param path File to write.
#' @param title Title of the page.
#' @inheritParams ss_fidelity
#' @return The path, invisibly.
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + llm_sd + age, study$samples, study$pilot, study$covariates)
#' ss_report(fit, tempfile(fileext = ".html"))
#' @export
ss_report <- function(x, path, title = "synthsurvey fidelity report", formula = NULL, by = NULL,
                      coherence = NULL) {
  .check_string(path, "path")
  .check_string(title, "title")
  target <- if (inherits(x, "ss_fidelity")) {
    .py(x, function(object) .call("restore", object$pickle))
  } else {
    fits <- if (inherits(x, "ss_debias")) list(x) else x
    if (!is.list(fits) || !length(fits) || !all(vapply(fits, inherits, logical(1), "ss_debias"))) {
      .abort("x must be an ss_fidelity object, an ss_debias fit or a list of fits")
    }
    lapply(fits, .fit_py)
  }
  written <- .call("report", target, path, title, if (is.null(formula)) NULL else ss_formula_to_python(formula),
                   .by_names(by), if (is.null(coherence)) NULL else as.list(coherence))
  invisible(written)
}

.load_dataset <- function(name) {
  data <- .call("load_dataset", name)
  for (table in c("samples", "humans", "covariates", "items")) data[[table]] <- .frame_out(data[[table]])
  data$notes <- unlist(data$notes)
  data
}

#' Bundled real data sets
#'
#' \code{ss_load_twin2k500()}: Twin-2K-500 Mega-Study, real US respondents beside their LLM
#' digital twins (Apache-2.0). \code{ss_load_smartvote()}: Swiss candidates beside 50 GPT-4
#' draws per party persona (MIT; samples keyed by \code{party}). The same tables as the Python
#' loaders: provenance and licenses in the repository's \code{data/README.md}.
#'
#' @return A list: samples, humans, covariates, items (metadata), key, scales (a named list
#'   to pass to \code{ss_debias}), notes (rows left out) and citation.
#' @examplesIf ss_available()
#' twin <- ss_load_twin2k500()
#' twin$citation
#' @export
ss_load_twin2k500 <- function() .load_dataset("twin2k500")

#' @rdname ss_load_twin2k500
#' @export
ss_load_smartvote <- function() .load_dataset("smartvote")

#' psychTools::bfi in synthsurvey's long format (human answers only)
#'
#' 2,800 people's answers to 25 six-point personality items, with gender,
#' education and age; the same tables as the Python loader \code{load_bfi()}.
#' Needs the psychTools package (Debian: r-cran-psychtools).
#'
#' @return A list: samples (empty), humans (id, item, response), covariates,
#'   scales, notes (answers left out) and citation.
#' @examples
#' if (requireNamespace("psychTools", quietly = TRUE)) str(ss_load_bfi()$covariates)
#' @export
ss_load_bfi <- function() {
  if (!requireNamespace("psychTools", quietly = TRUE)) {
    .abort("ss_load_bfi needs the psychTools package (Debian: apt-get install r-cran-psychtools)")
  }
  bfi <- psychTools::bfi
  items <- setdiff(names(bfi), c("gender", "education", "age"))
  humans <- data.frame(id = rep(seq_len(nrow(bfi)), times = length(items)),
                       item = rep(items, each = nrow(bfi)),
                       response = as.numeric(unlist(bfi[items], use.names = FALSE)))
  missing <- is.na(humans$response)
  humans <- humans[!missing, ]
  rownames(humans) <- NULL
  covariates <- data.frame(id = seq_len(nrow(bfi)), gender = bfi$gender, education = bfi$education,
                           age = bfi$age, female = as.integer(bfi$gender == 2))
  list(samples = data.frame(id = integer(), item = character(), draw = integer(), response = double()),
       humans = humans, covariates = covariates, key = "id",
       scales = stats::setNames(rep(list(1:6), length(items)), items),
       notes = sprintf("%d missing item answer(s) left out of humans", sum(missing)),
       citation = "psychTools::bfi (Revelle), International Personality Item Pool items")
}
