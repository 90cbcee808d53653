# Several LLM sources: the source comparison (synthsurvey.evaluation.sources). Thin wrappers; no
# statistics here. Formulas name other sources and items as in Python: llm_mean[gpt4o],
# llm_mean[q2], llm_mean[q2, gpt4o], llm_mean["gpt-4o"] (see .reference_to_python in convert.R).

#' Compare LLM sources: each alone and combined
#'
#' Refits each debiasing fit on every LLM source of its samples (a \code{source} column) alone and
#' on all sources combined in one debiaser (every term reading draw features repeated per source,
#' e.g. \code{llm_auto[base] + llm_auto[persona]}), with the same pilot, covariates and options, and
#' sets side by side: the population mean with PPI++ (half-width and \code{n_effective}, the pilot
#' answers the estimate is worth), marginal, individual, structural, subgroup and belief-action
#' coherence fidelity, the analyst's coefficients' \code{n_effective}, a draws curve
#' (\code{n_effective} against draws per person) and, with \code{half_width}, a cost view (the
#' cheapest pilot size and number of people with predictions reaching it). When a source was
#' declared \code{tuned_on} pilot ids, a \code{combined untuned} variant combines the others.
#'
#' @param fits An \code{ss_debias} fit or a list of them (one per item), made from samples with a
#'   \code{source} column and a formula written with plain feature names.
#' @param formula Optional analyst model (a formula) for the structural axis and coefficients.
#' @param by Optional covariate names for the subgroup axis.
#' @param coherence Optional pair of item names: a belief and a binary action.
#' @param draws Draws per person for the draws curve (\code{NA}: all of them; \code{NULL}: no curve).
#' @param half_width Target confidence-interval half-width of the mean (item units) for the cost view.
#' @param cost_human,cost_draw,cost_person Cost of a human answer, of one LLM draw, of reaching a person.
#' @param folds,seed Cross-fitting folds and seed.
#' @return An object of class \code{ss_sources}: a list of data.frames \code{wide} (one row per
#'   variant and item), \code{coefficients}, \code{draws}, \code{cost}, and \code{notes}.
#' @examples
#' \donttest{
#' study <- ss_simulate_sources(n_people = 400, n_pilot = 120)
#' fit <- ss_debias(belief ~ llm_auto + age + ideology, study$samples, study$pilot, study$covariates,
#'                  source = "base", tuned_on = study$tuned_on)
#' ss_compare_sources(fit, draws = c(1, NA))
#' }
#' @export
ss_compare_sources <- function(fits, formula = NULL, by = NULL, coherence = NULL, draws = c(1, 2, 5, 10, 20, NA),
                               half_width = NULL, cost_human = 1, cost_draw = 0, cost_person = 0, folds = 5L,
                               seed = 0L) {
  if (inherits(fits, "ss_debias")) fits <- list(fits)
  result <- .call("compare_sources", lapply(fits, .fit_py),
                  if (is.null(formula)) NULL else ss_formula_to_python(formula), as.list(by),
                  if (is.null(coherence)) NULL else as.list(coherence), as.list(draws), half_width, cost_human,
                  cost_draw, cost_person, as.integer(folds), as.integer(seed))
  tables <- lapply(result$tables, .frame_out)
  tables$coefficients <- .tidy_names(tables$coefficients)
  structure(c(tables, list(notes = unlist(result$notes), py = result$py)), class = "ss_sources")
}

#' Methods for source comparisons
#'
#' \code{print} shows the side-by-side table, the draws curve and the cheapest plans;
#' \code{as.data.frame} returns the side-by-side table.
#'
#' @param x An \code{ss_sources} object.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored.
#' @name ss_sources-methods
NULL

#' @rdname ss_sources-methods
#' @export
print.ss_sources <- function(x, ...) {
  cat("LLM sources compared: each alone and combined\n\n")
  print(x$wide, row.names = FALSE, digits = 3)
  if (nrow(x$draws)) {
    cat("\nDraws curve (n_effective of the mean by draws per person):\n")
    print(x$draws[, c("variant", "draws", "draws_per_person", "n_effective_mean", "rho")], row.names = FALSE,
          digits = 3)
  }
  if (nrow(x$cost)) {
    cat("\nCheapest study per variant:\n")
    print(x$cost[x$cost$best, ], row.names = FALSE, digits = 4)
  }
  invisible(x)
}

#' @rdname ss_sources-methods
#' @export
as.data.frame.ss_sources <- function(x, row.names = NULL, optional = FALSE, ...) x$wide

#' A simulated study with three LLM sources
#'
#' The seeded world of the Python core's \code{simulate_sources}: a hedging \code{base} model, a
#' \code{persona}-prompted one with shifted means, and a \code{finetuned} one with less bias but
#' more noise, tuned on half the pilot.
#'
#' @param n_people,n_pilot People in the population and in the pilot.
#' @param seed Seed of the simulation.
#' @return A list: samples (id, item, source, draw, response), pilot, covariates, holdout and
#'   tuned_on (a named list: the ids the fine-tuned source was tuned on).
#' @export
ss_simulate_sources <- function(n_people = 2000L, n_pilot = 250L, seed = 20261123L) {
  study <- .call("simulate_sources", as.integer(n_people), as.integer(n_pilot), as.integer(seed))
  tables <- lapply(study$tables, .frame_out)
  c(tables, list(tuned_on = lapply(study$tuned_on, unlist)))
}
