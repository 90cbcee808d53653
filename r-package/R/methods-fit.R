# S3 methods of debiasing fits: the generics R users reach for, each reading what the Python
# core computed (coefficients, covariances, statistics, predictions, residuals).

#' Methods for debiasing fits
#'
#' The usual model generics. Coefficients, standard errors, statistics,
#' predictions and residuals all come from the Python core; the design is R's
#' \code{model.matrix} of the formula (see \code{\link{ss_debias}}).
#'
#' \itemize{
#' \item \code{coef}, \code{vcov}, \code{confint} (Wald intervals, t with the
#'   residual df for ols and quantreg, normal otherwise, at any \code{level}),
#'   \code{nobs} (pilot answers fitted), \code{df.residual}, \code{deviance}
#'   (residual sum of squares for ols, -2 log-likelihood otherwise),
#'   \code{logLik} (so \code{AIC} and \code{BIC} count parameters as
#'   \code{lm}, \code{glm} and \code{MASS::polr} do), \code{sigma},
#'   \code{formula}, \code{terms}, \code{model.matrix} (the pilot's rows),
#'   \code{family} (ols: gaussian, logit: binomial), \code{update}.
#' \item \code{fitted} and \code{residuals}: the pilot's answers, in-sample, named
#'   by id. Residual \code{type}: ols and quantreg y - fitted; logit
#'   \code{"deviance"} (default, as \code{glm}), \code{"pearson"},
#'   \code{"working"} or \code{"response"}.
#' \item \code{predict}: a vector named by id for everybody in the population
#'   (or \code{newdata}'s rows, whose design is built with the fit's terms, factor
#'   levels and contrasts): \code{type = "response"} (expected answer in the
#'   item's units), \code{"link"} (the linear predictor), \code{"probs"} (a matrix,
#'   one column per level) or \code{"class"}; \code{se.fit = TRUE} gives a list
#'   (fit, se.fit, df, residual.scale) as \code{predict.lm}/\code{predict.glm};
#'   \code{interval = "confidence"} or \code{"prediction"} (ols) a matrix fit, lwr,
#'   upr. \code{predictor} picks the debiased fit or a baseline.
#' \item \code{summary}: as \code{summary.lm} (ols: residuals, coefficients, residual
#'   standard error, R-squared, adjusted R-squared, F) or \code{summary.glm} (logit,
#'   ordinal: deviance, null deviance, AIC), plus the rows excluded.
#' \item \code{as.data.frame}: the tidy coefficient table.
#' }
#'
#' @param object,x,formula An \code{ss_debias} fit (or its summary).
#' @param parm Terms to keep (names or positions); all by default.
#' @param level Confidence level.
#' @param newdata Optional data.frame of rows to predict: the covariates and llm_* features
#'   the formula reads (population-frame columns).
#' @param type For \code{predict}: \code{"response"}, \code{"link"}, \code{"probs"} or
#'   \code{"class"}; for \code{residuals}: \code{"deviance"}, \code{"pearson"},
#'   \code{"working"} or \code{"response"}.
#' @param se.fit Whether to return standard errors of the predictions (ols, logit, quantreg).
#' @param interval \code{"none"}, \code{"confidence"} or \code{"prediction"} (ols).
#' @param predictor \code{"debiased"}, \code{"base"}, \code{"scalar"} or \code{"pilot"}.
#' @param digits Significant digits to print.
#' @param signif.stars Whether to print significance stars.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored (\code{update}: passed to \code{update.default}).
#' @name ss_debias-methods
NULL

.fit_table <- function(object, alpha = 0.05) {
  .tidy_names(.frame_out(.call("fit_table", .fit_py(object), alpha)), r_design = !is.null(object$design))
}

.level_alpha <- function(level) {
  level <- .check_number(level, "level")
  if (!(level > 0 && level < 1)) {
    .abort(sprintf("level must lie strictly between 0 and 1 (level = 0.95 gives 95%% intervals), got %s", level))
  }
  1 - level
}

#' @rdname ss_debias-methods
#' @export
coef.ss_debias <- function(object, ...) {
  table <- .fit_table(object)
  stats::setNames(table$estimate, table$term)
}

#' @rdname ss_debias-methods
#' @export
vcov.ss_debias <- function(object, ...) {
  frame <- .frame_out(.call("fit_vcov", .fit_py(object)))
  terms <- .term_names_to_r(frame$term, !is.null(object$design))
  matrix <- as.matrix(frame[, -1, drop = FALSE])
  dimnames(matrix) <- list(terms, terms)
  matrix
}

#' @rdname ss_debias-methods
#' @export
confint.ss_debias <- function(object, parm, level = 0.95, ...) {
  table <- .fit_table(object, alpha = .level_alpha(level))
  .interval_matrix(table, table$term, 1 - level, parm)
}

#' @rdname ss_debias-methods
#' @export
nobs.ss_debias <- function(object, ...) as.integer(object$info$nobs)

#' @rdname ss_debias-methods
#' @export
df.residual.ss_debias <- function(object, ...) {
  info <- object$info
  if (!is.null(info$df_resid)) return(info$df_resid)
  info$nobs - info$n_coef
}

#' @rdname ss_debias-methods
#' @export
deviance.ss_debias <- function(object, ...) {
  if (is.null(object$info$deviance)) .abort(sprintf("a %s fit has no deviance", object$info$family))
  object$info$deviance
}

#' @rdname ss_debias-methods
#' @export
logLik.ss_debias <- function(object, ...) {
  info <- object$info
  if (is.null(info$log_likelihood)) .abort(sprintf("a %s fit has no log-likelihood", info$family))
  structure(info$log_likelihood, nall = info$nobs, nobs = info$nobs, df = info$n_coef + (info$family == "ols"),
            class = "logLik")
}

#' @rdname ss_debias-methods
#' @export
sigma.ss_debias <- function(object, ...) {
  if (object$info$family == "ols") return(object$info$sigma)
  sqrt(stats::deviance(object) / (stats::nobs(object) - length(stats::coef(object))))
}

#' @rdname ss_debias-methods
#' @export
formula.ss_debias <- function(x, ...) {
  if (is.character(x$formula)) return(stats::as.formula(gsub("C\\(", "factor(", x$formula)))
  x$formula
}

#' @rdname ss_debias-methods
#' @export
terms.ss_debias <- function(x, ...) {
  if (is.null(x$design)) .abort("a fit from a formula in the Python syntax has no R terms")
  terms <- stats::terms(x$formula)
  attr(terms, "predvars") <- attr(x$design$terms, "predvars")
  terms
}

#' @rdname ss_debias-methods
#' @export
model.matrix.ss_debias <- function(object, ...) {
  if (is.null(object$design)) .abort("a fit from a formula in the Python syntax has no R design matrix")
  object$design$x_pilot
}

#' @rdname ss_debias-methods
#' @export
family.ss_debias <- function(object, ...) {
  switch(object$info$family, ols = stats::gaussian(), logit = stats::binomial(),
         .abort(sprintf("a %s fit has no stats::family (it is not a generalised linear model)", object$info$family)))
}

#' @rdname ss_debias-methods
#' @export
update.ss_debias <- function(object, ...) {
  if (is.null(object$call)) .abort("this fit has no call to update")
  NextMethod()
}

.values <- function(object, kind = "response") {
  .frame_out(.call("fit_values", .fit_py(object), kind))
}

#' @rdname ss_debias-methods
#' @export
fitted.ss_debias <- function(object, ...) {
  values <- .values(object)
  stats::setNames(values$fitted, as.character(values$id))
}

#' @rdname ss_debias-methods
#' @export
residuals.ss_debias <- function(object, type = NULL, ...) {
  family <- object$info$family
  if (is.null(type)) type <- if (family == "logit") "deviance" else "response"
  type <- .check_string(type, "type", c("deviance", "pearson", "working", "response"))
  values <- .values(object, type)
  stats::setNames(values$residual, as.character(values$id))
}

# The design of newdata's rows (NULL without newdata, or for a formula in the Python syntax).
.newdata_matrix <- function(object, newdata) {
  if (is.null(newdata) || is.null(object$design)) return(NULL)
  if (!is.data.frame(newdata)) .abort(sprintf("newdata must be a data.frame, not %s", class(newdata)[1]))
  .matrix_in(.new_matrix(object$design, newdata))
}

#' @rdname ss_debias-methods
#' @export
predict.ss_debias <- function(object, newdata = NULL, type = c("response", "link", "probs", "class"),
                              se.fit = FALSE, interval = c("none", "confidence", "prediction"), level = 0.95,
                              predictor = c("debiased", "base", "scalar", "pilot"), ...) {
  type <- match.arg(type)
  interval <- match.arg(interval)
  predictor <- match.arg(predictor)
  .check_flag(se.fit, "se.fit")
  py <- .fit_py(object)
  if (se.fit || interval != "none") {
    if (predictor != "debiased") .abort("se.fit and interval are available for the debiased predictor only")
    if (!type %in% c("response", "link")) .abort(sprintf("type = \"%s\" has no standard errors", type))
    matrix <- .newdata_matrix(object, newdata)
    table <- .frame_out(.call("fit_intervals", py, type, .frame_in(newdata, "newdata"), matrix,
                              if (interval == "none") "confidence" else interval, .level_alpha(level)))
    ids <- as.character(table$id)
    fit <- stats::setNames(table$prediction, ids)
    if (interval != "none") fit <- cbind(fit = fit, lwr = table$ci_low, upr = table$ci_high)
    if (!se.fit) return(fit)
    return(list(fit = fit, se.fit = stats::setNames(table$std_error, ids), df = table$df[1],
                residual.scale = if (object$info$family == "ols") object$info$sigma else 1))
  }
  kind <- if (type == "probs") "probs" else type
  table <- .frame_out(.call("fit_predict", py, kind, predictor, .frame_in(newdata, "newdata"),
                            .newdata_matrix(object, newdata)))
  ids <- as.character(table$id)
  if (type == "probs") {
    probs <- as.matrix(table[, grep("^prob_", names(table)), drop = FALSE])
    dimnames(probs) <- list(ids, sub("^prob_", "", colnames(probs)))
    return(probs)
  }
  stats::setNames(table$prediction, ids)
}

#' @rdname ss_debias-methods
#' @export
as.data.frame.ss_debias <- function(x, row.names = NULL, optional = FALSE, ...) .fit_table(x)

#' @rdname ss_debias-methods
#' @export
print.ss_debias <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  if (!is.null(x$call)) cat("\nCall:\n", paste(deparse(x$call), sep = "\n", collapse = "\n"), "\n\n", sep = "")
  cat(sprintf("Debiasing regression of item '%s' (%s), family %s\n", x$info$item, x$info$scale, x$info$family))
  cat("Coefficients:\n")
  print.default(format(coef(x), digits = digits), print.gap = 2L, quote = FALSE)
  cat("\n")
  invisible(x)
}

#' @rdname ss_debias-methods
#' @export
summary.ss_debias <- function(object, ...) {
  info <- object$info
  table <- .fit_table(object)
  normal <- !is.finite(info$df)
  statistic <- if (normal) "z value" else "t value"
  p_name <- if (normal) "Pr(>|z|)" else "Pr(>|t|)"
  coefficients <- cbind(table$estimate, table$std.error, table$statistic, table$p.value)
  dimnames(coefficients) <- list(table$term, c("Estimate", "Std. Error", statistic, p_name))
  out <- list(call = object$call, info = info, family = info$family, coefficients = coefficients,
              exclusions = .frame_out(.call("fit_exclusions", .fit_py(object))), nobs = info$nobs,
              df.residual = stats::df.residual(object))
  if (info$family %in% c("ols", "logit", "quantreg")) out$residuals <- stats::residuals(object)
  if (info$family == "ols") {
    out$sigma <- info$sigma
    out$r.squared <- info$r_squared
    out$adj.r.squared <- info$adj_r_squared
    if (!is.null(info$f_statistic)) {  # a ridge fit (llm_auto) has none
      out$fstatistic <- c(value = info$f_statistic, numdf = info$df_model, dendf = info$df_resid)
    }
    out$df <- c(info$n_coef, info$df_resid, info$n_coef)
  }
  if (!is.null(info$log_likelihood)) {
    out$deviance <- info$deviance
    out$aic <- stats::AIC(object)
  }
  if (info$family == "logit") {
    out$null.deviance <- info$null_deviance
    out$df.null <- info$nobs - 1
  }
  if (info$family == "quantreg") out$pseudo.r.squared <- info$pseudo_r_squared
  structure(out, class = "summary.ss_debias")
}

#' @rdname ss_debias-methods
#' @export
print.summary.ss_debias <- function(x, digits = max(3L, getOption("digits") - 3L),
                                    signif.stars = getOption("show.signif.stars"), ...) {
  info <- x$info
  if (!is.null(x$call)) cat("\nCall:\n", paste(deparse(x$call), sep = "\n", collapse = "\n"), "\n\n", sep = "")
  cat(sprintf("Debiasing regression of item '%s': %s\n", info$item, info$scale))
  family <- info$family
  if (family == "ordinal") family <- sprintf("ordinal (%s link)", info$link)
  if (family == "quantreg") family <- sprintf("quantreg (q = %g)", info$q)
  cat(sprintf("Family: %s\n", family))
  if (!is.null(x$residuals) && length(x$residuals) > 5) {
    cat(if (info$family == "logit") "\nDeviance Residuals:\n" else "\nResiduals:\n")
    quantiles <- stats::quantile(x$residuals, names = FALSE)
    print(structure(quantiles, names = c("Min", "1Q", "Median", "3Q", "Max")), digits = digits)
  }
  cat("\nCoefficients:\n")
  stats::printCoefmat(x$coefficients, digits = digits, signif.stars = signif.stars, na.print = "NA")
  if (info$family == "ols") {
    cat(sprintf("\nResidual standard error: %s on %d degrees of freedom\n",
                format(signif(x$sigma, digits)), as.integer(info$df_resid)))
    if (is.null(x$fstatistic)) {  # a ridge fit (llm_auto): R-squared on its effective degrees of freedom
      cat(sprintf("Multiple R-squared:  %s (ridge: no F test)\n", formatC(x$r.squared, digits = digits)))
    } else {
      cat(sprintf("Multiple R-squared:  %s,\tAdjusted R-squared:  %s \n", formatC(x$r.squared, digits = digits),
                  formatC(x$adj.r.squared, digits = digits)))
      cat(sprintf("F-statistic: %s on %d and %d DF,  p-value: %s\n", formatC(x$fstatistic[["value"]], digits = digits),
                  as.integer(x$fstatistic[["numdf"]]), as.integer(x$fstatistic[["dendf"]]),
                  format.pval(info$f_p_value, digits = digits)))
    }
  } else if (!is.null(x$deviance)) {
    if (!is.null(x$null.deviance)) {
      cat(sprintf("\n    Null deviance: %s  on %d  degrees of freedom\n", format(signif(x$null.deviance, 5)),
                  as.integer(x$df.null)))
    } else {
      cat("\n")
    }
    cat(sprintf("Residual deviance: %s  on %d  degrees of freedom\n", format(signif(x$deviance, 5)),
                as.integer(x$df.residual)))
    cat(sprintf("AIC: %s\n", format(signif(x$aic, 5))))
  } else if (!is.null(x$pseudo.r.squared)) {
    cat(sprintf("\nPseudo R-squared: %s\n", formatC(x$pseudo.r.squared, digits = digits)))
  }
  cat(sprintf("\nPilot answers fitted: %d; population predicted: %d\n", as.integer(info$nobs),
              as.integer(info$n_population)))
  # the core's notes: exclusions (people left out, pilot answers not used), scale findings, sources
  for (note in unlist(info$notes)) cat(note, "\n", sep = "")
  cat("\n")
  invisible(x)
}
