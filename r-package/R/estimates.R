# Wrappers of the core's estimates: population means, shares, quantiles and coefficients, pilot
# plans, coefficient recovery, fidelity and its report. Every function takes the fit first.

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
#' @param interval Shares' intervals: \code{"logit"} (symmetric on the log-odds scale, as
#'   \code{survey::svyciprop}'s default) or \code{"wald"} (estimate +- quantile x std.error, as
#'   \code{svymean}'s); the standard errors are the same.
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
                                 pilot_weights = NULL, interval = "logit") {
  options <- .options(method = method, design = design, alpha = alpha, cross_fit = cross_fit,
                      folds = folds, seed = seed, weights = weights, pilot_weights = pilot_weights,
                      interval = .check_string(interval, "interval", c("logit", "wald")))
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
#' @param fits An \code{ss_debias} fit or a list of them (one per item), or an
#'   \code{ss_questionnaire} (its fitted items).
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
  if (inherits(fits, "ss_questionnaire")) fits <- unname(fits$fits)
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
#' a coefficient forest plot per source, a subgroup heatmap. For a questionnaire
#' (\code{\link{ss_debias_items}}), the methodologist's report: one row per item with the base
#' LLM, the pilot alone and PPI++, a forest plot of the population estimates, then a section per
#' item (held-out marginal comparison with its human floor, subgroups, coherence, exclusions and
#' scale notes, and the structural axis of the item's analyst formula).
#'
#' @param x An \code{ss_fidelity} object, an \code{ss_debias} fit or a list of fits, an
#'   \code{ss_questionnaire}, or an \code{ss_sources} comparison (\code{\link{ss_compare_sources}}).
#' @param path File to write.
#' @param title Title of the page (for a questionnaire, by default "synthsurvey questionnaire report").
#' @param formula Optional analyst model (a formula) for the structural axis; for a questionnaire,
#'   a formula or a list of formulas, each about one item (its left-hand side).
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
  if (inherits(x, "ss_questionnaire") && missing(title)) title <- "synthsurvey questionnaire report"
  .check_string(title, "title")
  if (inherits(x, "ss_sources")) return(invisible(.call("sources_report", x$py, path, title)))
  if (inherits(x, "ss_questionnaire")) return(invisible(.questionnaire_report(x, path, title, formula, by, coherence)))
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

