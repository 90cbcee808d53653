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

#' Features of the LLM draws
#'
#' One row per (key, item): number of draws, mean, sd, skew, excess kurtosis,
#' quantiles (mid-distribution quantiles for discrete items), IQR and, for
#' discrete items, the category shares \code{llm_p<level>}, extreme, middle and
#' modal shares and the entropy in bits.
#'
#' @param samples data.frame with columns \code{key}, \code{item}, \code{draw}, \code{response}.
#' @param key Column linking draws to respondents (or personas).
#' @param scales Optional named list: item = numeric levels, \code{"binary"} or \code{"continuous"}.
#' @return A data.frame.
#' @export
ss_features <- function(samples, key = "id", scales = NULL) {
  .frame_out(.call("features", .frame_in(samples, "samples"), key, scales))
}

#' Fit a debiasing regression
#'
#' Regresses one item's pilot human answers on its LLM draw features
#' (\code{llm_*} names) and covariates, and predicts everybody.
#'
#' @param formula Two-sided formula; the left-hand side names an item.
#' @param samples,humans,covariates data.frames of LLM draws (key, item, draw,
#'   response), pilot answers (id, item, response) and one row per person.
#' @param family \code{"ols"}, \code{"ordinal"}, \code{"logit"}, \code{"mnlogit"} or \code{"quantreg"}.
#' @param key Column linking samples to people (their id, or a persona column).
#' @param scales Optional named list of item scales (see \code{\link{ss_features}}).
#' @param link Link of the ordinal family: \code{"logit"} or \code{"probit"}.
#' @param q Quantile of the quantreg family.
#' @param source With several LLM sources (a \code{source} column in samples), the one plain
#'   feature names read; \code{llm_mean[gpt4o]}, \code{llm_mean[q2]} and \code{llm_mean[q2, gpt4o]}
#'   name another source's or item's feature (see \code{\link{ss_compare_sources}}).
#' @param tuned_on Ids a source was tuned on: a named list (source = ids), or the ids with one
#'   source. Their pilot answers neither fit nor correct the debiaser.
#' @return An object of class \code{ss_debias}.
#' @examples
#' \donttest{
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + llm_sd + age + factor(educ),
#'                  samples = study$samples, humans = study$pilot,
#'                  covariates = study$covariates)
#' summary(fit)
#' }
#' @export
ss_debias <- function(formula, samples, humans, covariates = NULL, family = "ols", key = "id",
                      scales = NULL, link = "logit", q = 0.5, source = NULL, tuned_on = NULL) {
  python_formula <- ss_formula_to_python(formula)
  fit <- .call("debias", python_formula, .frame_in(samples, "samples"), .frame_in(humans, "humans"),
               .frame_in(covariates, "covariates"), family, key, scales, link, q, source,
               if (is.list(tuned_on)) as.list(tuned_on) else tuned_on)
  structure(list(py = fit, info = .call("fit_info", fit), call = match.call(), formula = formula,
                 python_formula = python_formula), class = "ss_debias")
}

.fit_frame <- function(fit, what, ...) .frame_out(.call(what, fit$py, ...))

#' Predictions of every method side by side
#'
#' @param fit An \code{ss_debias} fit.
#' @return data.frame: id, is_pilot, response (NA outside the pilot), base, scalar, pilot, debiased.
#' @export
ss_baselines <- function(fit) .fit_frame(fit, "fit_baselines")

.population <- function(function_name, fit, options, what) {
  .new_population(.call("population_table", function_name, fit$py, options), what)
}

.options <- function(...) {
  options <- list(...)
  options[!vapply(options, is.null, logical(1))]
}

#' Population estimates with prediction-powered confidence intervals
#'
#' Cross-fitted PPI++ estimates of the item's population mean (optionally per
#' subgroup), level shares or a quantile over the people of the fit's population.
#'
#' @param fit An \code{ss_debias} fit.
#' @param by Optional covariate column: one estimate per level.
#' @param q Quantile in (0, 1).
#' @param method \code{"ppi++"}, \code{"ppi"} or \code{"classical"} (pilot only).
#' @param design \code{"subsample"} (pilot is a random subsample of the population) or \code{"independent"}.
#' @param alpha Error level: intervals cover with probability 1 - alpha.
#' @param cross_fit,folds,seed Cross-fitting of the predictions.
#' @param weights,pilot_weights Optional design weights: a column name or one number per person.
#' @return An object of class \code{ss_population}.
#' @export
ss_population_mean <- function(fit, by = NULL, method = "ppi++", design = "subsample", alpha = 0.05,
                               cross_fit = TRUE, folds = 5L, seed = 0L, weights = NULL,
                               pilot_weights = NULL) {
  options <- .options(by = by, method = method, design = design, alpha = alpha, cross_fit = cross_fit,
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
  options <- .options(q = q, method = method, design = design, alpha = alpha, cross_fit = cross_fit,
                      folds = folds, seed = seed, weights = weights, pilot_weights = pilot_weights)
  .population("population_quantile", fit, options, "quantile")
}

.coefficients <- function(function_name, fit, formula, options) {
  .fit_first(fit, formula, function_name)
  result <- .call("coefficient_table", sub("^ss_", "", function_name), fit$py, ss_formula_to_python(formula), options)
  .new_population(result, "coefficients")
}

#' Coefficients of the analyst's regression on the human population
#'
#' PPI++ estimates (cross-fitted, sandwich standard errors) of the OLS or
#' logistic-regression coefficients the analyst's model would have if every
#' person in the fit's population had answered.
#'
#' @param fit An \code{ss_debias} fit.
#' @param formula Two-sided formula whose left-hand side is the fit's item.
#' @inheritParams ss_population_mean
#' @return An object of class \code{ss_population}.
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
#' @return An object of class \code{ss_pilot_plan}.
#' @export
ss_plan_pilot <- function(fit = NULL, half_width = NULL, rho = NULL, sd = NULL, n_population = NULL,
                          alpha = 0.05) {
  if (is.numeric(fit)) .abort(sprintf("ss_plan_pilot takes the fit first: ss_plan_pilot(fit, half_width = %s)", fit))
  plan <- .call("plan_pilot", if (is.null(fit)) NULL else fit$py, half_width, rho, sd, n_population, alpha)
  plan$table <- .tidy_names(.frame_out(plan$table))
  plan$curve <- .frame_out(plan$curve)
  structure(plan, class = "ss_pilot_plan")
}

#' The bundled simulated study
#'
#' @return A list of data.frames: samples, pilot, covariates, holdout.
#' @export
ss_load_simulated <- function() lapply(.call("load_simulated"), .frame_out)

#' Does the analyst's regression survive? Coefficients by estimator
#'
#' The analyst's model estimated from the human pilot, one LLM draw per person,
#' the draw mean, the debiased predictions plugged in naively, and PPI++, with
#' their agreement with the human pilot (see \code{summary}).
#'
#' @param fit An \code{ss_debias} fit.
#' @param formula Two-sided formula whose left-hand side is the fit's item.
#' @param family \code{"ols"} or \code{"logit"} (binary items).
#' @param alpha Error level of the intervals.
#' @return An object of class \code{ss_recovery}.
#' @export
ss_recover <- function(fit, formula, family = "ols", alpha = 0.05) {
  .fit_first(fit, formula, "ss_recover")
  result <- .call("recover", fit$py, ss_formula_to_python(formula), family, alpha)
  structure(list(table = .tidy_names(.frame_out(result$table)), per_term = .tidy_names(.frame_out(result$per_term)),
                 overall = .frame_out(result$overall), alpha = result$alpha, notes = unlist(result$notes)),
            class = "ss_recovery")
}

#' Three-axis fidelity of raw and debiased LLM answers
#'
#' Marginal distances to the human pilot (with the human floor), coefficient
#' recovery of an analyst's model, held-out individual errors, subgroup
#' distances and belief-action coherence.
#'
#' @param fits An \code{ss_debias} fit or a list of them (one per item).
#' @param formula Optional analyst model (a formula) for the structural axis.
#' @param by Optional covariate names for the subgroup axis.
#' @param coherence Optional pair of item names: a belief and a binary action.
#' @param replications Number of repeated random subpilots (80\% of the pilot people, every fit
#'   refit) for the mean and sd of every marginal, individual and structural metric.
#' @return An object of class \code{ss_fidelity}: a list of data.frames.
#' @export
ss_fidelity <- function(fits, formula = NULL, by = NULL, coherence = NULL, replications = 0L) {
  if (inherits(fits, "ss_debias")) fits <- list(fits)
  result <- .call("fidelity", lapply(fits, `[[`, "py"),
                  if (is.null(formula)) NULL else ss_formula_to_python(formula),
                  as.list(by), if (is.null(coherence)) NULL else as.list(coherence), as.integer(replications))
  tables <- lapply(result$tables, .frame_out)
  structure(c(tables, list(py = result$py)), class = "ss_fidelity")
}

#' Write the HTML fidelity report
#'
#' A self-contained HTML file with tables and figures: distributions per item,
#' a coefficient forest plot per source, a subgroup heatmap.
#'
#' @param x An \code{ss_fidelity} object, an \code{ss_debias} fit or a list of fits, or an
#'   \code{ss_sources} comparison (\code{\link{ss_compare_sources}}).
#' @param path File to write.
#' @param title Title of the page.
#' @inheritParams ss_fidelity
#' @return The path, invisibly.
#' @export
ss_report <- function(x, path, title = "synthsurvey fidelity report", formula = NULL, by = NULL,
                      coherence = NULL) {
  if (inherits(x, "ss_sources")) return(invisible(.call("sources_report", x$py, path, title)))
  target <- if (inherits(x, "ss_fidelity")) x$py else lapply(if (inherits(x, "ss_debias")) list(x) else x, `[[`, "py")
  written <- .call("report", target, path, title, if (is.null(formula)) NULL else ss_formula_to_python(formula),
                   as.list(by), if (is.null(coherence)) NULL else as.list(coherence))
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
