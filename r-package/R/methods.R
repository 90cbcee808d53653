# S3 methods: printing and accessors, all derived from the core's tidy tables.

# The conf.low/conf.high columns of a tidy table as R's confint matrix ("2.5 %", "97.5 %").
# A level other than the one the intervals were computed with (1 - alpha) is an error, not
# silently ignored.
.interval_matrix <- function(table, labels, alpha, parm, level = NULL) {
  if (!is.null(level) && abs(level - (1 - alpha)) > 1e-9) {
    .abort(sprintf("level = %g, but these intervals were computed at %g; estimate again with alpha = %g",
                   level, 1 - alpha, 1 - level))
  }
  result <- cbind(table$conf.low, table$conf.high)
  probs <- c(alpha / 2, 1 - alpha / 2)
  dimnames(result) <- list(labels, sprintf("%s %%", format(100 * probs, trim = TRUE, digits = 3)))
  if (!missing(parm)) result <- result[parm, , drop = FALSE]
  result
}

.fit_table <- function(object, alpha = 0.05) .tidy_names(.frame_out(.call("fit_table", object$py, alpha)))

#' Methods for debiasing fits
#'
#' \code{coef}, \code{vcov}, \code{confint}, \code{nobs} (pilot answers fitted),
#' \code{predict} (a data.frame: id, is_pilot and the prediction or one
#' \code{prob_<level>} column per level), \code{summary} (like
#' \code{summary.lm}) and \code{as.data.frame} (tidy coefficients: term,
#' estimate, std.error, statistic, p.value, conf.low, conf.high).
#'
#' @param object,x An \code{ss_debias} fit (or its summary).
#' @param parm Terms to keep (names or positions); all by default.
#' @param level Confidence level.
#' @param newdata Optional data.frame of rows to predict (population-frame columns).
#' @param type \code{"response"}, \code{"probs"} or \code{"class"}.
#' @param predictor \code{"debiased"}, \code{"base"}, \code{"scalar"} or \code{"pilot"}.
#' @param digits Significant digits to print.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored.
#' @name ss_debias-methods
NULL

#' @rdname ss_debias-methods
#' @export
coef.ss_debias <- function(object, ...) {
  table <- .fit_table(object)
  stats::setNames(table$estimate, table$term)
}

#' @rdname ss_debias-methods
#' @export
vcov.ss_debias <- function(object, ...) {
  frame <- .frame_out(.call("fit_vcov", object$py))
  terms <- .term_names_to_r(frame$term)
  matrix <- as.matrix(frame[, -1, drop = FALSE])
  dimnames(matrix) <- list(terms, terms)
  matrix
}

#' @rdname ss_debias-methods
#' @export
confint.ss_debias <- function(object, parm, level = 0.95, ...) {
  table <- .fit_table(object, alpha = 1 - level)
  .interval_matrix(table, table$term, 1 - level, parm)
}

#' @rdname ss_debias-methods
#' @export
nobs.ss_debias <- function(object, ...) as.integer(object$info$nobs)

#' @rdname ss_debias-methods
#' @export
predict.ss_debias <- function(object, newdata = NULL, type = c("response", "probs", "class", "link"),
                              predictor = c("debiased", "base", "scalar", "pilot"), ...) {
  type <- match.arg(type)
  predictor <- match.arg(predictor)
  .frame_out(.call("fit_predict", object$py, type, predictor, .frame_in(newdata, "newdata")))
}

#' @rdname ss_debias-methods
#' @export
as.data.frame.ss_debias <- function(x, row.names = NULL, optional = FALSE, ...) .fit_table(x)

#' @rdname ss_debias-methods
#' @export
print.ss_debias <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("\nCall:\n", paste(deparse(x$call), sep = "\n", collapse = "\n"), "\n\n", sep = "")
  cat(sprintf("Debiasing regression of item '%s' (%s), family %s\n", x$info$item, x$info$scale, x$info$family))
  cat("Coefficients:\n")
  print.default(format(coef(x), digits = digits), print.gap = 2L, quote = FALSE)
  cat("\n")
  invisible(x)
}

#' @rdname ss_debias-methods
#' @export
summary.ss_debias <- function(object, ...) {
  table <- .fit_table(object)
  statistic <- if (object$info$family == "ols") "t value" else "z value"
  p_name <- if (object$info$family == "ols") "Pr(>|t|)" else "Pr(>|z|)"
  coefficients <- cbind(table$estimate, table$std.error, table$statistic, table$p.value)
  dimnames(coefficients) <- list(table$term, c("Estimate", "Std. Error", statistic, p_name))
  structure(list(call = object$call, info = object$info, coefficients = coefficients,
                 exclusions = .frame_out(.call("fit_exclusions", object$py))), class = "summary.ss_debias")
}

#' @rdname ss_debias-methods
#' @export
print.summary.ss_debias <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  info <- x$info
  cat("\nCall:\n", paste(deparse(x$call), sep = "\n", collapse = "\n"), "\n\n", sep = "")
  cat(sprintf("Debiasing regression of item '%s': %s\n", info$item, info$scale))
  family <- info$family
  if (family == "ordinal") family <- sprintf("ordinal (%s link)", info$link)
  if (family == "quantreg") family <- sprintf("quantreg (q = %g)", info$q)
  cat(sprintf("Family: %s\n\nCoefficients:\n", family))
  stats::printCoefmat(x$coefficients, digits = digits, signif.stars = TRUE, na.print = "NA")
  if (info$family == "ols") {
    cat(sprintf("\nResidual standard error: %s on %d degrees of freedom\n",
                format(signif(info$sigma, digits)), as.integer(info$df_resid)))
    cat(sprintf("Multiple R-squared: %s\n", formatC(info$r_squared, digits = digits)))
  }
  cat(sprintf("Pilot answers fitted: %d; population predicted: %d\n", as.integer(info$nobs),
              as.integer(info$n_population)))
  for (i in seq_len(nrow(x$exclusions))) {
    cat(sprintf("Excluded %d row(s) (%d pilot): %s\n", as.integer(x$exclusions$n_rows[i]),
                as.integer(x$exclusions$n_pilot[i]), x$exclusions$reason[i]))
  }
  for (note in setdiff(unlist(info$notes), .exclusion_notes(x$exclusions))) cat("Note:", note, "\n")
  cat("\n")
  invisible(x)
}

# The fit notes that repeat the exclusions printed above (synthsurvey.models.frame.exclusion_notes).
.exclusion_notes <- function(exclusions) {
  sprintf("Excluded %d row(s) (%d pilot): %s", as.integer(exclusions$n_rows), as.integer(exclusions$n_pilot),
          exclusions$reason)
}

# population estimates ---------------------------------------------------------------

.new_population <- function(result, what) {
  structure(list(table = .tidy_names(.frame_out(result$table)), alpha = result$alpha,
                 notes = unlist(result$notes), keys = unlist(result$keys), what = what), class = "ss_population")
}

# Row labels: the subgroup's values of the by columns, else the term.
.population_labels <- function(x) {
  table <- x$table
  keys <- intersect(x$keys, names(table))
  if (length(keys)) do.call(paste, c(lapply(table[keys], as.character), sep = ":")) else table$term
}

#' Methods for population estimates
#'
#' \code{coef} gives the estimates (named by term, or by group for subgroup
#' means), \code{confint} the intervals at the level they were computed with,
#' \code{as.data.frame} the tidy table (term, estimate, std.error, conf.low,
#' conf.high, n_labeled, n_unlabeled, n_effective, lam, method, design).
#'
#' @param object,x An \code{ss_population} object.
#' @param parm Rows to keep; all by default.
#' @param level \code{NULL} or the level the intervals were computed with (1 - \code{alpha}); the
#'   level is fixed when the estimate is made, and any other is an error.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored.
#' @name ss_population-methods
NULL

#' @rdname ss_population-methods
#' @export
coef.ss_population <- function(object, ...) stats::setNames(object$table$estimate, .population_labels(object))

#' @rdname ss_population-methods
#' @export
confint.ss_population <- function(object, parm, level = NULL, ...) {
  .interval_matrix(object$table, .population_labels(object), object$alpha, parm, level)
}

#' @rdname ss_population-methods
#' @export
as.data.frame.ss_population <- function(x, row.names = NULL, optional = FALSE, ...) x$table

#' @rdname ss_population-methods
#' @export
print.ss_population <- function(x, ...) {
  cat(sprintf("Population %s, %g%% confidence intervals (%s, %s design)\n", x$what, 100 * (1 - x$alpha),
              x$table$method[1], x$table$design[1]))
  shown <- x$table[, setdiff(names(x$table), c("method", "design")), drop = FALSE]
  print(shown, row.names = FALSE, digits = 4)
  for (note in x$notes) cat("Note:", note, "\n")
  invisible(x)
}

#' Methods for pilot plans
#'
#' @param x An \code{ss_pilot_plan}.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored.
#' @name ss_pilot_plan-methods
NULL

#' @rdname ss_pilot_plan-methods
#' @export
print.ss_pilot_plan <- function(x, ...) {
  cat(sprintf("Pilot size for a %g%% CI half-width of %g: %d with PPI++ (rho = %.3f), %d with the pilot alone\n",
              100 * (1 - x$alpha), x$target, as.integer(x$n_ppi), x$rho, as.integer(x$n_classical)))
  invisible(x)
}

#' @rdname ss_pilot_plan-methods
#' @export
as.data.frame.ss_pilot_plan <- function(x, row.names = NULL, optional = FALSE, ...) x$table

# coefficient recovery ---------------------------------------------------------------

.recovery_labels <- function(x) paste(x$table$estimator, x$table$term, sep = ": ")

#' Methods for coefficient recovery
#'
#' \code{coef} and \code{confint} give every estimator's coefficients (named
#' "estimator: term"); \code{summary} the per-term and overall agreement with the
#' human pilot; \code{as.data.frame} the tidy table (estimator, term, estimate,
#' std.error, statistic, p.value, conf.low, conf.high, df).
#'
#' @param object,x An \code{ss_recovery} object (or its summary).
#' @param parm Rows to keep; all by default.
#' @param level \code{NULL} or the level the intervals were computed with (1 - \code{alpha}); the
#'   level is fixed when the estimate is made, and any other is an error.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored.
#' @name ss_recovery-methods
NULL

#' @rdname ss_recovery-methods
#' @export
coef.ss_recovery <- function(object, ...) stats::setNames(object$table$estimate, .recovery_labels(object))

#' @rdname ss_recovery-methods
#' @export
confint.ss_recovery <- function(object, parm, level = NULL, ...) {
  .interval_matrix(object$table, .recovery_labels(object), object$alpha, parm, level)
}

#' @rdname ss_recovery-methods
#' @export
as.data.frame.ss_recovery <- function(x, row.names = NULL, optional = FALSE, ...) x$table

#' @rdname ss_recovery-methods
#' @export
summary.ss_recovery <- function(object, ...) {
  structure(list(per_term = object$per_term, overall = object$overall), class = "summary.ss_recovery")
}

#' @rdname ss_recovery-methods
#' @export
print.summary.ss_recovery <- function(x, ...) {
  cat("Coefficient recovery against the human pilot\n\nOverall (intercept left out):\n")
  print(x$overall, row.names = FALSE, digits = 3)
  cat("\nPer term:\n")
  print(x$per_term, row.names = FALSE, digits = 3)
  invisible(x)
}

#' @rdname ss_recovery-methods
#' @export
print.ss_recovery <- function(x, ...) {
  cat("Coefficient recovery against the human pilot\n")
  print(x$overall, row.names = FALSE, digits = 3)
  for (note in x$notes) cat("Note:", note, "\n")
  invisible(x)
}

#' Methods for fidelity reports
#'
#' @param x An \code{ss_fidelity} object.
#' @param ... Ignored.
#' @name ss_fidelity-methods
NULL

#' @rdname ss_fidelity-methods
#' @export
print.ss_fidelity <- function(x, ...) {
  cat("Marginal fidelity (floor_* = two halves of the human pilot):\n")
  print(x$marginal[, intersect(c("item", "method", "wasserstein", "opinion_alignment", "total_variation",
                                 "floor_wasserstein"), names(x$marginal))], row.names = FALSE, digits = 3)
  cat("\nIndividual fidelity (held-out pilot folds):\n")
  print(x$individual, row.names = FALSE, digits = 3)
  if (!is.null(x$structural_overall)) {
    cat("\nStructural fidelity:\n")
    print(x$structural_overall, row.names = FALSE, digits = 3)
  }
  invisible(x)
}
