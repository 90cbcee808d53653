# broom's tidy/glance/augment for synthsurvey's results, registered on the generics package
# (broom re-exports the same generics). Columns follow broom's tidiers of lm, glm and polr.

#' @importFrom generics tidy glance augment
#' @export
generics::tidy

#' @export
generics::glance

#' @export
generics::augment

# A tibble when the tibble package is there (as broom returns), else a data.frame.
.tibble <- function(frame) {
  rownames(frame) <- NULL
  if (requireNamespace("tibble", quietly = TRUE)) tibble::as_tibble(frame) else frame
}

#' Tidy, glance and augment synthsurvey results (broom)
#'
#' \code{tidy()} gives one row per coefficient or estimate (term, estimate,
#' std.error, statistic, p.value and, with \code{conf.int = TRUE}, conf.low and
#' conf.high at \code{conf.level}; ordinal fits add \code{coef.type}
#' "coefficient"/"scale" as broom's \code{tidy.polr}); \code{glance()} one row of
#' model statistics (the columns of broom's \code{glance.lm}, \code{glance.glm}
#' or \code{glance.polr}, by family; for estimates the counts, method and design);
#' \code{augment()} the pilot's rows with \code{.fitted} and \code{.resid} (or
#' \code{newdata} with \code{.fitted} and, with \code{se_fit = TRUE},
#' \code{.se.fit}).
#'
#' @param x An \code{ss_debias}, \code{ss_population} or \code{ss_recovery} object.
#' @param conf.int Whether to add conf.low and conf.high.
#' @param conf.level Their level.
#' @param newdata Optional data.frame to predict (see \code{predict.ss_debias}).
#' @param type.predict \code{"response"} or \code{"link"}.
#' @param type.residuals Residual type (see \code{residuals.ss_debias}).
#' @param se_fit Whether to add \code{.se.fit}.
#' @param ... Ignored.
#' @return A tibble (a data.frame without the tibble package).
#' @name ss_tidiers
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' fit <- ss_debias(belief ~ llm_mean + age, study$samples, study$pilot, study$covariates)
#' tidy(fit, conf.int = TRUE)
#' glance(fit)
#' head(augment(fit))
#' tidy(ss_population_mean(fit, by = "educ"))
NULL

#' @rdname ss_tidiers
#' @export
tidy.ss_debias <- function(x, conf.int = FALSE, conf.level = 0.95, ...) {
  table <- .fit_table(x, alpha = .level_alpha(conf.level))
  out <- table[c("term", "estimate", "std.error", "statistic", "p.value", if (isTRUE(conf.int)) c("conf.low", "conf.high"))]
  if (x$info$family == "ordinal") out$coef.type <- ifelse(grepl("|", out$term, fixed = TRUE), "scale", "coefficient")
  .tibble(out)
}

#' @rdname ss_tidiers
#' @export
glance.ss_debias <- function(x, ...) {
  info <- x$info
  out <- switch(info$family,
    ols = data.frame(r.squared = info$r_squared, adj.r.squared = info$adj_r_squared, sigma = info$sigma,
                     statistic = info$f_statistic, p.value = info$f_p_value, df = info$df_model,
                     logLik = as.numeric(stats::logLik(x)), AIC = stats::AIC(x), BIC = stats::BIC(x),
                     deviance = stats::deviance(x), df.residual = stats::df.residual(x), nobs = stats::nobs(x)),
    logit = data.frame(null.deviance = info$null_deviance, df.null = info$nobs - 1L,
                       logLik = as.numeric(stats::logLik(x)), AIC = stats::AIC(x), BIC = stats::BIC(x),
                       deviance = stats::deviance(x), df.residual = stats::df.residual(x), nobs = stats::nobs(x)),
    quantreg = data.frame(pseudo.r.squared = info$pseudo_r_squared, df.residual = stats::df.residual(x),
                          nobs = stats::nobs(x)),
    data.frame(edf = as.integer(info$n_coef), logLik = as.numeric(stats::logLik(x)), AIC = stats::AIC(x),
               BIC = stats::BIC(x), deviance = stats::deviance(x), df.residual = stats::df.residual(x),
               nobs = stats::nobs(x)))
  .tibble(out)
}

#' @rdname ss_tidiers
#' @export
augment.ss_debias <- function(x, newdata = NULL, type.predict = c("response", "link"), type.residuals = NULL,
                              se_fit = FALSE, ...) {
  type.predict <- match.arg(type.predict)
  if (!is.null(newdata)) {
    out <- newdata
    if (isTRUE(se_fit)) {
      predicted <- stats::predict(x, newdata = newdata, type = type.predict, se.fit = TRUE)
      out$.fitted <- unname(predicted$fit)
      out$.se.fit <- unname(predicted$se.fit)
    } else {
      out$.fitted <- unname(stats::predict(x, newdata = newdata, type = type.predict))
    }
    return(.tibble(as.data.frame(out)))
  }
  values <- .values(x)
  out <- data.frame(id = values$id, response = values$response)
  names(out)[2] <- x$info$item
  out$.fitted <- if (type.predict == "response") values$fitted else {
    unname(stats::predict(x, type = "link")[as.character(values$id)])
  }
  if (x$info$family %in% c("ols", "logit", "quantreg")) out$.resid <- unname(stats::residuals(x, type = type.residuals))
  if (isTRUE(se_fit) && x$info$family %in% c("ols", "logit", "quantreg")) {
    se <- stats::predict(x, type = type.predict, se.fit = TRUE)$se.fit
    out$.se.fit <- unname(se[as.character(values$id)])
  }
  .tibble(out)
}

#' @rdname ss_tidiers
#' @export
tidy.ss_population <- function(x, conf.int = TRUE, conf.level = NULL, ...) {
  table <- .table_at(x, conf.level)
  if (!isTRUE(conf.int)) table <- table[setdiff(names(table), c("conf.low", "conf.high"))]
  .tibble(table)
}

#' @rdname ss_tidiers
#' @export
glance.ss_population <- function(x, ...) {
  table <- x$table
  .tibble(data.frame(estimate = x$what, n_rows = nrow(table), nobs = .population_nobs(x),
                     n_unlabeled = max(table$n_unlabeled, na.rm = TRUE), method = .methods_text(table$method),
                     design = .methods_text(table$design),
                     conf.level = 1 - x$alpha))
}

#' @rdname ss_tidiers
#' @export
tidy.ss_recovery <- function(x, conf.int = TRUE, conf.level = NULL, ...) {
  table <- .table_at(x, conf.level)
  if (!isTRUE(conf.int)) table <- table[setdiff(names(table), c("conf.low", "conf.high"))]
  .tibble(table)
}

#' @rdname ss_tidiers
#' @export
glance.ss_recovery <- function(x, ...) .tibble(x$overall)
