# S3 methods of population estimates, coefficient recovery, pilot plans and fidelity reports:
# printing and accessors, all read from the core's tidy tables (intervals at another level are
# the core's table at that level).

# The conf.low/conf.high columns of a tidy table as R's confint matrix ("2.5 %", "97.5 %"). A
# `level` other than 1 - alpha is an error (callers wanting another level ask the core for the
# table at that level first, see .table_at).
.interval_matrix <- function(table, labels, alpha, parm, level = NULL) {
  if (!is.null(level) && abs(level - (1 - alpha)) > 1e-9) {
    .abort(sprintf("level = %g, but these intervals were computed at %g; estimate again with alpha = %g",
                   level, 1 - alpha, 1 - level))
  }
  result <- cbind(table$conf.low, table$conf.high)
  probs <- c(alpha / 2, 1 - alpha / 2)
  dimnames(result) <- list(labels, sprintf("%s %%", format(100 * probs, trim = TRUE, digits = 3)))
  if (!missing(parm)) {
    unknown <- if (is.character(parm)) setdiff(parm, labels) else parm[parm < 1 | parm > length(labels)]
    if (length(unknown)) .abort(sprintf("parm names no row: %s", paste0("'", unknown, "'", collapse = ", ")))
    result <- result[parm, , drop = FALSE]
  }
  result
}

# A result's Python object, restored from its pickle after saveRDS/readRDS.
.result_py <- function(x) .py(x, function(object) .call("restore", object$pickle))

# A result's tidy table at `level` (its own level when NULL), computed by the core.
.table_at <- function(x, level, r_design = FALSE) {
  if (is.null(level) || abs(level - (1 - x$alpha)) < 1e-12) return(x$table)
  table <- .tidy_names(.frame_out(.call("result_table", .result_py(x), .level_alpha(level))), r_design)
  .restore_keys(table, x)
}

# population estimates ---------------------------------------------------------------

.new_population <- function(result, what, fit = NULL) {
  keys <- unlist(result$keys)
  x <- structure(list(table = .tidy_names(.frame_out(result$table)), alpha = result$alpha,
                      notes = unlist(result$notes), keys = keys, what = what, handle = .handle(result$py),
                      pickle = result$pickle, covariates = NULL), class = "ss_population")
  covariates <- fit$inputs$covariates
  if (length(keys) && !is.null(covariates)) x$covariates <- lapply(covariates[intersect(keys, names(covariates))],
                                                                  function(column) column[0])
  x$table <- .restore_keys(x$table, x)
  x
}

# Group columns in the R types of the covariates they came from (character stays character,
# haven_labelled groups are named by their labels).
.restore_keys <- function(table, x) {
  for (name in intersect(names(x$covariates), names(table))) {
    original <- x$covariates[[name]]
    values <- table[[name]]
    table[[name]] <- if (inherits(original, "haven_labelled")) {
      .labels_as_levels(values, original)
    } else if (is.factor(original)) {
      factor(as.character(values), levels = levels(original), ordered = is.ordered(original))
    } else if (is.character(original)) {
      as.character(values)
    } else if (is.logical(original)) {
      as.logical(values)
    } else {
      values
    }
  }
  table
}

# Row labels: the subgroup's values of the by columns (with the term where they repeat: the
# shares of each item of a questionnaire), else the term.
.population_labels <- function(x, table = x$table) {
  keys <- intersect(if (is.null(x$label_keys)) x$keys else x$label_keys, names(table))
  if (!length(keys)) return(table$term)
  labels <- do.call(paste, c(lapply(table[keys], as.character), sep = ":"))
  if (anyDuplicated(labels) && "term" %in% names(table)) labels <- paste(labels, table$term, sep = ":")
  labels
}

#' Methods for population estimates
#'
#' \code{coef} gives the estimates (named by term, or by group for subgroup
#' means), \code{confint} the intervals at any \code{level} (computed by the
#' core; a quantile's interval only at the level it was estimated with),
#' \code{vcov} the estimates' covariance matrix: the core's (\code{PopulationResult.vcov()})
#' for coefficients (\code{ss_population_ols}, \code{ss_population_logit}) and shares, which
#' come from one joint estimate; elsewhere the core computes no covariance between the rows
#' (one estimate per subgroup, a quantile, the items of a questionnaire) and \code{vcov} is
#' the diagonal of the squared standard errors, with an attribute \code{"note"} saying so (a
#' single estimate's 1 x 1 matrix is exact and has none), \code{nobs} the pilot answers used, \code{summary}
#' the table with the method, design and counts, \code{as.data.frame} the tidy
#' table (term, estimate, std.error, statistic, p.value, conf.low, conf.high,
#' n_labeled, n_unlabeled, n_effective, lam, method, design, and the group
#' columns).
#'
#' @param object,x An \code{ss_population} object (or its summary).
#' @param parm Rows to keep; all by default.
#' @param level Confidence level (default: the one the estimate was made with).
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
  table <- .table_at(object, level)
  .interval_matrix(table, .population_labels(object, table), if (is.null(level)) object$alpha else 1 - level, parm)
}

#' @rdname ss_population-methods
#' @export
vcov.ss_population <- function(object, ...) {
  labels <- .population_labels(object)
  spec <- .call("result_vcov", .result_py(object))
  if (!is.null(spec)) {
    frame <- .frame_out(spec)
    terms <- .term_names_to_r(frame$term)
    matrix <- as.matrix(frame[, -1, drop = FALSE])
    order <- match(object$table$term, terms)
    if (!anyNA(order) && !anyDuplicated(order) && length(order) == length(terms)) {
      matrix <- matrix[order, order, drop = FALSE]
      dimnames(matrix) <- list(labels, labels)
    } else {
      dimnames(matrix) <- list(terms, terms)
    }
    return(matrix)
  }
  variances <- object$table$std.error^2
  out <- matrix(diag(variances, nrow = length(variances)), nrow = length(variances), dimnames = list(labels, labels))
  if (length(variances) > 1) {
    attr(out, "note") <- paste("diagonal: the core computes no covariance between these estimates (one per group,",
                               "or per item and method); the off-diagonal zeros are not estimates")
  }
  out
}

#' @rdname ss_population-methods
#' @export
nobs.ss_population <- function(object, ...) .population_nobs(object)

# Pilot answers used: summed over subgroups (over items: the pilot alone's mean row of each),
# else those of any row (every row uses them all).
.population_nobs <- function(x) {
  table <- x$table
  if ("item" %in% x$keys) return(as.integer(sum(table$n_labeled[table$method == "classical" & table$term == "mean"])))
  counts <- table$n_labeled
  as.integer(if (length(x$keys)) sum(counts) else max(counts))
}

# The methods (and designs) of a table's rows, as one text.
.methods_text <- function(values) paste(unique(values[!is.na(values)]), collapse = ", ")

#' @rdname ss_population-methods
#' @export
as.data.frame.ss_population <- function(x, row.names = NULL, optional = FALSE, ...) x$table

#' @rdname ss_population-methods
#' @export
print.ss_population <- function(x, ...) {
  cat(sprintf("Population %s, %g%% confidence intervals (%s, %s design)\n", x$what, 100 * (1 - x$alpha),
              .methods_text(x$table$method), .methods_text(x$table$design)))
  if ("item" %in% x$keys) {  # a questionnaire's table: the estimates; as.data.frame() has every column
    shown <- x$table[, intersect(c("item", "method", "term", "estimate", "std.error", "conf.low", "conf.high",
                                   "n_labeled", "n_effective"), names(x$table)), drop = FALSE]
    print(shown, row.names = FALSE, digits = 4)
    cat("as.data.frame() adds formula, family, note and the population each row describes",
        "(n_input, n_excluded, excluded, answers_not_used)\n")
  } else {
    shown <- x$table[, setdiff(names(x$table), c("method", "design")), drop = FALSE]
    print(shown, row.names = FALSE, digits = 4)
  }
  for (note in x$notes) cat("Note:", note, "\n")
  invisible(x)
}

#' @rdname ss_population-methods
#' @export
summary.ss_population <- function(object, level = NULL, ...) {
  table <- .table_at(object, level)
  estimates <- cbind(Estimate = table$estimate, `Std. Error` = table$std.error, `z value` = table$statistic,
                     `Pr(>|z|)` = table$p.value, lower = table$conf.low, upper = table$conf.high)
  rownames(estimates) <- .population_labels(object, table)
  structure(list(what = object$what, estimates = estimates, level = if (is.null(level)) 1 - object$alpha else level,
                 method = .methods_text(table$method), design = .methods_text(table$design),
                 counts = table[intersect(c(object$keys, "term", "n_labeled", "n_unlabeled", "n_effective", "lam"),
                                          names(table))],
                 notes = object$notes), class = "summary.ss_population")
}

#' @rdname ss_population-methods
#' @export
print.summary.ss_population <- function(x, ...) {
  cat(sprintf("Population %s (method %s, %s design)\n\n", x$what, x$method, x$design))
  shown <- x$estimates
  colnames(shown)[5:6] <- sprintf("%s %%", format(100 * c((1 - x$level) / 2, 1 - (1 - x$level) / 2), trim = TRUE))
  stats::printCoefmat(shown, digits = 4, has.Pvalue = TRUE, P.values = TRUE, cs.ind = 1:2, tst.ind = 3,
                      signif.stars = FALSE, na.print = "NA")
  cat("\nPilot answers used (n_labeled), people without one (n_unlabeled), pilot answers the estimate is worth (n_effective), power tuning (lam):\n")
  print(x$counts, row.names = FALSE, digits = 4)
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

.recovery_labels <- function(x, table = x$table) paste(table$estimator, table$term, sep = ": ")

#' Methods for coefficient recovery
#'
#' \code{coef}, \code{confint} (at any \code{level}) and \code{vcov} (diagonal)
#' give every estimator's coefficients (named "estimator: term"); \code{nobs}
#' the pilot answers; \code{summary} the per-term and overall agreement with the
#' human pilot; \code{as.data.frame} the tidy table (estimator, term, estimate,
#' std.error, statistic, p.value, conf.low, conf.high, df).
#'
#' @param object,x An \code{ss_recovery} object (or its summary).
#' @param parm Rows to keep; all by default.
#' @param level Confidence level (default: the one the estimates were made with).
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
  table <- .table_at(object, level)
  .interval_matrix(table, .recovery_labels(object, table), if (is.null(level)) object$alpha else 1 - level, parm)
}

#' @rdname ss_recovery-methods
#' @export
vcov.ss_recovery <- function(object, ...) {
  labels <- .recovery_labels(object)
  variances <- object$table$std.error^2
  matrix(diag(variances, nrow = length(variances)), nrow = length(variances), dimnames = list(labels, labels))
}

#' @rdname ss_recovery-methods
#' @export
nobs.ss_recovery <- function(object, ...) object$nobs

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
  cat("Marginal fidelity (held-out folds; floor_* = the other folds' answers alone):\n")
  print(x$marginal[, intersect(c("item", "predictor", "wasserstein", "opinion_alignment", "total_variation",
                                 "floor_wasserstein"), names(x$marginal))], row.names = FALSE, digits = 3)
  cat("\nIndividual fidelity (held-out pilot folds):\n")
  print(x$individual, row.names = FALSE, digits = 3)
  if (!is.null(x$structural_overall)) {
    cat("\nStructural fidelity:\n")
    print(x$structural_overall, row.names = FALSE, digits = 3)
  }
  invisible(x)
}
