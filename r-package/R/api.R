# Features and debiasing fits: thin wrappers over the Python core (synthsurvey.interfaces.rapi).
# No statistics here. Estimates are in estimates.R, argument checks in checks.R, data in data.R.

#' Features of the LLM draws
#'
#' One row per (key, item): number of draws, mean, sd, skew, excess kurtosis,
#' quantiles (mid-distribution quantiles for discrete items), IQR and, for
#' discrete items, the category shares \code{llm_p<level>}, extreme, middle and
#' modal shares and the entropy in bits.
#'
#' @param samples data.frame (or tibble) with columns \code{key}, \code{item}, \code{draw}, \code{response}.
#' @param key Column linking draws to respondents (or personas).
#' @param scales Optional named list: item = numeric levels, \code{"binary"}, \code{"continuous"} or
#'   \code{list(levels = 1:5, missing = c(8, 9))} (missing-value codes: answers and draws equal to
#'   one are missing, and counted, never a level); or one declaration for every item, such as
#'   \code{list(missing = 99)} (the codes alone; the levels are inferred).
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
#' @param source With several LLM sources (a \code{source} column in samples), the one plain
#'   feature names read; \code{llm_mean[gpt4o]}, \code{llm_mean[q2]} and \code{llm_mean[q2, gpt4o]}
#'   name another source's or item's feature (see \code{\link{ss_compare_sources}}).
#' @param tuned_on Ids a source was tuned on: a named list (source = ids), or the ids with one
#'   source. Their pilot answers neither fit nor correct the debiaser.
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
                      scales = NULL, link = "logit", q = 0.5, features = NULL, source = NULL, tuned_on = NULL) {
  inputs <- list(formula = formula, samples = samples, humans = humans, covariates = covariates,
                 family = family, key = key, scales = scales, link = link, q = q, features = features,
                 source = source, tuned_on = tuned_on)
  fit <- .debias(inputs)
  fit$call <- match.call()
  fit
}

.families <- c("ols", "ordinal", "logit", "mnlogit", "quantreg")

# Whether an R formula reads llm_auto or a bracket reference (llm_mean[gpt4o], llm_mean[q2]): the
# core builds those designs (R's model.matrix would evaluate the brackets as indexing).
.core_formula <- function(formula) {
  uses <- function(expr) {
    if (is.name(expr)) return(identical(as.character(expr), "llm_auto"))
    if (!is.call(expr)) return(FALSE)
    if (identical(expr[[1]], as.name("[")) && grepl("^llm_", paste(deparse(expr[[2]]), collapse = ""))) return(TRUE)
    any(vapply(as.list(expr)[-1], uses, logical(1)))
  }
  uses(formula[[length(formula)]])
}

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
  source <- inputs$source
  tuned_on <- if (is.list(inputs$tuned_on)) as.list(inputs$tuned_on) else inputs$tuned_on
  if ((is.character(formula) && length(formula) == 1) || .core_formula(formula)) {
    # the core's own syntax and design: a formula given as a string, or one with llm_auto or bracket
    # references (llm_mean[gpt4o]), which name feature sets and columns model.matrix cannot evaluate
    python_formula <- ss_formula_to_python(formula)
    py <- .call("debias", python_formula, .frame_in(samples, "samples"), .frame_in(humans, "humans"),
                .frame_in(covariates, "covariates"), family, key, scales, link, q,
                .frame_in(inputs$features, "features"), source, tuned_on)
    return(.new_fit(py, inputs, formula, NULL))
  }
  item <- .formula_item(formula)
  columns <- .formula_columns(formula, covariates)
  columns_formula <- .columns_formula(item, columns)
  built <- withCallingHandlers(
    .call("debias_model", columns_formula, .frame_in(samples, "samples"), .frame_in(humans, "humans"),
          .frame_in(covariates, "covariates"), family, key, scales, link, q, .frame_in(inputs$features, "features"),
          source, tuned_on),
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
# the new session has), or, for an item of a questionnaire, taken from the questionnaire refit.
.fit_py <- function(fit) {
  .py(fit, function(x) {
    if (!is.null(x$questionnaire)) {  # an item of ss_debias_items: from its (restored) questionnaire
      return(.call("questionnaire_fit", .questionnaire_py(x$questionnaire), x$info$item))
    }
    py <- .debias(c(x$inputs, list(contrasts = x$design$contrasts)))$handle$py
    if (!is.null(x$inputs$pilot_design)) py <- .apply_design(py, x$inputs$pilot_design)
    py
  })
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

