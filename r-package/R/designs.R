# Pilot designs (issue 15): a svydesign-like description of how the pilot was drawn, pilots
# planned from the draws, population totals. Thin wrappers: every number comes from Python.

.design_column <- function(term, argument) {
  if (is.null(term)) return(NULL)
  if (is.character(term) && length(term) == 1) return(term)
  if (!inherits(term, "formula")) .abort(sprintf("%s must be a one-sided formula (~column) or a column name", argument))
  names <- all.vars(term)
  if (length(names) == 0) return(NULL)
  if (length(names) > 1) .abort(sprintf("%s names one column, got %s", argument, paste(names, collapse = ", ")))
  names
}

#' Describe how the pilot was drawn
#'
#' Attaches the pilot's sampling design to a fit, described as \code{survey::svydesign} would
#' describe it: whole clusters (\code{ids}), strata, inclusion probabilities or weights, each a
#' column of the covariates. Every estimate from the returned fit (means, totals, shares,
#' quantiles, subgroups, coefficients, recovery, fidelity, planning) uses it: Hajek estimators,
#' design-based (cluster-robust, stratified) variances as in the survey package, t intervals on
#' the design's degrees of freedom, cross-fitting folds of whole clusters.
#'
#' @param fit An \code{ss_debias} fit.
#' @param ids \code{~1} (rows sampled one by one) or \code{~cluster}: the pilot recruited whole clusters.
#' @param strata Optional \code{~stratum}: the pilot was drawn separately in each stratum.
#' @param probs Optional \code{~pi}: each row's (cluster's) inclusion probability.
#' @param weights Optional \code{~w}: sampling weights (1 / probability), instead of \code{probs}.
#' @param fpc \code{TRUE}: finite-population corrections from the frame (strata sizes, each unit's
#'   1 - pi); \code{FALSE}: with-replacement variances (e.g. for relative weights).
#' @return The fit (class \code{ss_debias}) with the design (its description in \code{fit$pilot_design}).
#' @examples
#' \donttest{
#' study <- ss_load_simulated()
#' covariates <- transform(study$covariates, household = (id - 1) %/% 4)
#' fit <- ss_debias(belief ~ llm_mean + age, study$samples, study$pilot, covariates)
#' ss_population_mean(ss_design(fit, ids = ~household))
#' }
#' @export
ss_design <- function(fit, ids = ~1, strata = NULL, probs = NULL, weights = NULL, fpc = TRUE) {
  if (!inherits(fit, "ss_debias")) .abort(sprintf("ss_design needs an ss_debias fit first, not %s", class(fit)[1]))
  spec <- list(strata = .design_column(strata, "strata"), ids = .design_column(ids, "ids"),
               probs = .design_column(probs, "probs"), weights = .design_column(weights, "weights"),
               fpc = isTRUE(fpc))
  py <- .apply_design(.fit_py(fit), spec)
  fit$handle <- .handle(py)
  fit$py <- py
  fit$inputs$pilot_design <- spec  # re-applied when a saved fit is restored (.fit_py)
  fit$pilot_design <- .call("fit_design", py)
  fit$info <- .call("fit_info", py)
  fit
}

# The Python fit `py` with the pilot design `spec` (a list: strata, ids, probs, weights, fpc).
.apply_design <- function(py, spec) {
  .call("with_design", py, spec$strata, spec$ids, spec$probs, spec$weights, spec$fpc)
}

#' Population totals with prediction-powered confidence intervals
#'
#' The total of the item's human answers over the fit's population (optionally per subgroup):
#' the predictions' total plus the Horvitz-Thompson total of the pilot's residuals
#' (\code{survey::svytotal} for \code{method = "classical"}).
#'
#' @inheritParams ss_population_mean
#' @param weights Optional population weights (they define the estimand): a column name or one
#'   number per person.
#' @return An object of class \code{ss_population}.
#' @export
ss_population_total <- function(fit, by = NULL, method = "ppi++", alpha = 0.05, cross_fit = TRUE, folds = 5L,
                                seed = 0L, weights = NULL) {
  options <- .options(by = by, method = method, alpha = alpha, cross_fit = cross_fit, folds = folds, seed = seed,
                      weights = weights)
  .population("population_total", fit, options, "total")
}

#' Plan a pilot from the LLM draws
#'
#' Before anyone is recruited, every person's draws and covariates exist: strata from the
#' analyst's subgroups (each level gets at least \code{min_per_group} answers) crossed with bands
#' of the draws' spread, a shrunk Neyman allocation guarded to stay within 2\% of a simple random
#' pilot's interval width, and a seeded draw of whom to recruit. Pass \code{plan$covariates} to
#' \code{ss_debias} and the fit to \code{ss_design(fit, strata = ~pilot_stratum)}.
#'
#' @param samples,covariates data.frames of LLM draws and one row per person.
#' @param n Pilot size.
#' @param item The item the pilot is planned for.
#' @param by Optional covariate name(s) whose every level must be in the pilot.
#' @param key Column linking draws to people (their id, or a persona column).
#' @param scales Optional named list of item scales.
#' @param min_per_group Least pilot answers per level of \code{by}.
#' @param seed Seed of the draw.
#' @return An object of class \code{ss_pilot_design}: \code{table} (one row per stratum),
#'   \code{recruit} (whom to recruit, with probability and weight), \code{covariates} (with the
#'   stratum column), \code{strata} (its name), \code{predicted_width_ratio}, \code{notes}.
#' @export
ss_design_pilot <- function(samples, covariates, n, item, by = NULL, key = "id", scales = NULL,
                            min_per_group = 10L, seed = 0L) {
  plan <- .call("design_pilot", .frame_in(samples, "samples"), .frame_in(covariates, "covariates"), n, item,
                if (is.null(by)) NULL else as.list(by), key, scales, min_per_group, seed)
  structure(list(table = .tidy_names(.frame_out(plan$table)), recruit = .frame_out(plan$recruit),
                 covariates = .frame_out(plan$covariates), strata = plan$strata, n = plan$n,
                 predicted_width_ratio = plan$predicted_width_ratio, worst_width_ratio = plan$worst_width_ratio,
                 notes = unlist(plan$notes)), class = "ss_pilot_design")
}

#' @export
print.ss_pilot_design <- function(x, ...) {
  cat(sprintf("Pilot design: %d people in %d strata; CI width x%.3f against a simple random pilot if the draws' spreads hold\n",
              x$n, nrow(x$table), x$predicted_width_ratio))
  print(x$table[, setdiff(names(x$table), c("std.error", "statistic", "p.value", "conf.low", "conf.high", "df"))],
        row.names = FALSE, digits = 4)
  for (note in x$notes) cat("Note:", note, "\n")
  invisible(x)
}

#' @export
as.data.frame.ss_pilot_design <- function(x, ...) x$table
