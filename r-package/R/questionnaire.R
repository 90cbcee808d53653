# Whole questionnaires (issue 14): every item's debiasing fit in one call (the core's
# debias_items), the population table of every item, the overview and the report. Thin wrappers
# over synthsurvey/interfaces/rquestionnaire.py; no statistics here.

#' Debias every item of a questionnaire
#'
#' Fits one debiasing regression per item (every item of the samples, or those named) with the
#' Python core's \code{debias_items}: the LLM draw features of every item are computed once and
#' the raw draws are kept (recovery and coherence use them). An item that cannot be fitted (e.g.
#' its LLM answers are constant in the pilot) does not stop the others: its rows in
#' \code{\link{ss_population}} are the pilot alone, with the reason (\code{errors = "raise"} stops
#' instead). Missing answers (\code{NA}) and missing-value codes declared in \code{scales} leave
#' their own item only, and are counted.
#'
#' Each item's fit is an \code{ss_debias} object, \code{study[["q1"]]}, with the usual methods
#' (\code{coef}, \code{summary}, \code{predict}, \code{confint}, \code{tidy} ...). Its formula is
#' built by the core's formula engine (as for a formula given to \code{\link{ss_debias}} as a
#' string): coefficients are named in R's spelling (\code{factor(educ)2}, \code{(Intercept)}) but
#' ordered as the core orders them (factor terms first), ordered factors are treatment-coded, and
#' \code{terms()} and \code{model.matrix()} are not available. Fit one item with
#' \code{ss_debias()} for R's own design.
#'
#' @param samples,humans,covariates data.frames (or tibbles) of LLM draws (key, item, draw,
#'   response), pilot answers (id, item, response; long, one row per answer) and one row per
#'   person, as for \code{\link{ss_debias}}.
#' @param items Optional item names (default: every item of the samples).
#' @param formulas \code{NULL} (each item's \code{\link{ss_default_formula}} with
#'   \code{covariate_terms}, features constant for the item left out); a one-sided formula for
#'   every item (\code{~ llm_mean + age}) or a string template (\code{"{item} ~ llm_mean + age"});
#'   or a named list by item of formulas (two-sided, or one-sided for that item's right-hand
#'   side). Formulas are translated as \code{\link{ss_formula_to_python}} says.
#' @param families \code{NULL} (logit for binary items, ols otherwise), one family for every
#'   item, or a named list (or named character vector) by item.
#' @param scales Optional declarations: a named list by item, each numeric levels,
#'   \code{"binary"}, \code{"continuous"} or \code{list(levels = 1:5, missing = c(8, 9))}; or one
#'   declaration for every item, e.g. \code{list(missing = 99)} (the codes; levels inferred).
#'   Answers and draws equal to a missing code are missing, and counted, never a level.
#' @param covariate_terms Covariate terms of the default formulas, in R's syntax
#'   (\code{c("age", "factor(educ)")}).
#' @param key Column linking samples to people (their id, or a persona column).
#' @param alpha,folds,seed Error level, cross-fitting folds and seed of the population estimates
#'   and fidelity.
#' @param errors \code{"fallback"} or \code{"raise"}.
#' @param unseen_levels \code{"error"} or \code{"exclude"}: a covariate level absent from the pilot
#'   is an error, or its people are left out and counted.
#' @param link Link of the ordinal family.
#' @return An object of class \code{ss_questionnaire} (see \code{\link{ss_questionnaire-methods}}):
#'   \code{items}, \code{fits} (the fitted items' \code{ss_debias} objects), \code{failures} (the
#'   reason by item not fitted), \code{formulas}, \code{families}, \code{scales} (as the core
#'   resolved them) and \code{notes}. It survives \code{saveRDS}/\code{readRDS}: the items are
#'   refit from the stored inputs on first use, with the same numbers.
#' @examples
#' \donttest{
#' q <- ss_simulate_questionnaire(n_people = 600, n_draws = 10, n_pilot = 150, dont_know = c(99, 0.05))
#' study <- ss_debias_items(q$samples, q$pilot, q$covariates, scales = list(missing = 99),
#'                          covariate_terms = c("age", "factor(educ)"))
#' study
#' coef(study[["q01"]])
#' ss_population(study)
#' }
#' @export
ss_debias_items <- function(samples, humans, covariates = NULL, items = NULL, formulas = NULL, families = NULL,
                            scales = NULL, covariate_terms = character(), key = "id", alpha = 0.05, folds = 5L,
                            seed = 0L, errors = "fallback", unseen_levels = "error", link = "logit") {
  if (!is.null(covariates) && !is.data.frame(covariates)) {
    .abort(sprintf("covariates must be a data.frame, not %s", class(covariates)[1]))
  }
  inputs <- list(samples = .numeric_responses(samples, "samples"), humans = .numeric_responses(humans, "humans"),
                 covariates = covariates, items = .item_names(items), formulas = .item_formulas(formulas),
                 families = .item_families(families), scales = .check_scales(scales),
                 covariate_terms = .covariate_terms(covariate_terms), key = .check_string(key, "key"),
                 alpha = .check_number(alpha, "alpha"), folds = .check_number(folds, "folds", TRUE),
                 seed = .check_number(seed, "seed", TRUE),
                 errors = .check_string(errors, "errors", c("fallback", "raise")),
                 unseen_levels = .check_string(unseen_levels, "unseen_levels", c("error", "exclude")),
                 link = .check_string(link, "link", c("logit", "probit")))
  result <- .run_items(inputs)
  state <- .handle(result$py)  # shared by the study and its fits: one refit restores them all
  state$inputs <- inputs
  named <- function(values) stats::setNames(as.character(unlist(values)), names(values))
  formulas <- named(result$formulas)
  fits <- lapply(stats::setNames(nm = names(result$fits)), function(item) {
    fit <- .new_fit(result$fits[[item]], NULL, formulas[[item]], NULL)
    fit$questionnaire <- state
    fit
  })
  structure(list(handle = state, items = as.character(unlist(result$items)), fits = fits,
                 failures = named(result$failures), formulas = formulas, families = named(result$families),
                 scales = named(result$scales), alpha = inputs$alpha, folds = inputs$folds, seed = inputs$seed,
                 notes = as.character(unlist(result$notes)), call = match.call()),
            class = "ss_questionnaire")
}

.run_items <- function(inputs) {
  .call("debias_items", .frame_in(inputs$samples, "samples"), .frame_in(inputs$humans, "humans"),
        .frame_in(inputs$covariates, "covariates"), inputs$items, inputs$formulas, inputs$families, inputs$scales,
        inputs$covariate_terms, inputs$key, inputs$alpha, inputs$folds, inputs$seed, inputs$errors,
        inputs$unseen_levels, inputs$link)
}

# The Python QuestionnaireResults behind `state` (a study's handle); after saveRDS/readRDS, refit
# from the stored inputs (the warnings were shown when the study was made).
.questionnaire_py <- function(state) {
  .py(list(handle = state), function(x) {
    withCallingHandlers(.run_items(state$inputs)$py,
                        synthsurvey_warning = function(warning) invokeRestart("muffleWarning"))
  })
}

.item_names <- function(items) {
  if (is.null(items)) return(NULL)
  if (!is.character(items) || !length(items) || anyNA(items)) {
    .abort(sprintf("items must be item names, not %s", paste(deparse(items), collapse = " ")))
  }
  as.list(items)
}

# formulas = NULL, a template (one-sided formula or string) or a named list by item.
.item_formulas <- function(formulas) {
  if (is.null(formulas)) return(NULL)
  text <- function(formula, where) {
    if (is.character(formula) && length(formula) == 1 && !is.na(formula)) return(formula)
    if (!inherits(formula, "formula")) {
      .abort(sprintf("%s must be a formula or a string, not %s", where, class(formula)[1]))
    }
    if (length(formula) == 2) return(paste("~", .to_python(formula[[2]])))
    ss_formula_to_python(formula)
  }
  if (inherits(formulas, "formula") && length(formulas) == 3) formulas <- list(formulas)  # one item's
  if (!is.list(formulas)) return(text(formulas, "formulas"))
  items <- names(formulas)
  if (is.null(items)) items <- rep("", length(formulas))
  for (i in seq_along(formulas)) {  # a two-sided formula names its item
    if (!nzchar(items[i]) && inherits(formulas[[i]], "formula") && length(formulas[[i]]) == 3) {
      items[i] <- all.vars(formulas[[i]][[2]])[1]
    }
  }
  if (any(!nzchar(items))) .abort("formulas must be named by item (or two-sided formulas, whose left side names it)")
  stats::setNames(Map(text, formulas, sprintf("formulas$%s", items)), items)
}

.item_families <- function(families) {
  if (is.null(families)) return(NULL)
  if (is.character(families) && length(families) == 1 && is.null(names(families))) {
    return(.check_string(families, "family", .families))
  }
  if (is.null(names(families)) || any(!nzchar(names(families)))) {
    .abort("families must be one family or a named list by item, such as list(q1 = \"ordinal\")")
  }
  lapply(as.list(families), function(family) .check_string(family, "family", .families))
}

.covariate_terms <- function(terms) {
  if (!length(terms)) return(list())
  if (!is.character(terms) || anyNA(terms)) .abort("covariate_terms must be terms written as strings, such as \"factor(educ)\"")
  lapply(terms, function(term) {
    expr <- tryCatch(str2lang(term), error = function(error) .abort(sprintf("covariate term '%s' does not parse", term)))
    .to_python(expr)
  })
}

.check_questionnaire <- function(study, function_name) {
  if (!inherits(study, "ss_questionnaire")) {
    .abort(sprintf("%s needs an ss_debias_items() result first, not %s", function_name, class(study)[1]))
  }
}

#' Population estimates of every item of a questionnaire
#'
#' One table with a row per item, estimand (the mean; the share of each level of a discrete item)
#' and method: \code{ppi++} (cross-fitted PPI++, the valid estimate), \code{classical} (the
#' pilot alone) and \code{base LLM} (the raw draws' population average, no interval). Columns:
#' the tidy estimate columns, \code{formula}, \code{family}, \code{note} (why an item was not
#' fitted), and the population each row describes (\code{n_input} people, \code{n_excluded},
#' \code{excluded} and \code{answers_not_used}: NA answers and missing-value codes, counted).
#'
#' @param study An \code{ss_questionnaire} from \code{\link{ss_debias_items}}.
#' @param alpha Error level (default: the study's).
#' @param shares Whether to add the shares of discrete items.
#' @param design \code{"subsample"} or \code{"independent"} (see \code{\link{ss_population_mean}}).
#' @param weights,pilot_weights Optional design weights: a column name or one number per person.
#' @return An object of class \code{ss_population} (see \code{\link{ss_population-methods}}); rows
#'   are labelled \code{item:method:term}.
#' @export
ss_population <- function(study, alpha = NULL, shares = TRUE, design = "subsample", weights = NULL,
                          pilot_weights = NULL) {
  .check_questionnaire(study, "ss_population")
  options <- .options(alpha = alpha, design = design, weights = weights, pilot_weights = pilot_weights)
  result <- .call("questionnaire_population", .questionnaire_py(study$handle), options$alpha,
                  .check_flag(shares, "shares"), options$design, options$weights, options$pilot_weights)
  x <- .new_population(result, "estimates by item")
  x$label_keys <- c("item", "method", "term")
  x
}

#' Methods for questionnaires
#'
#' \code{study[["q1"]]} is item q1's \code{ss_debias} fit (an error of class
#' \code{synthsurvey_error} saying why for an item that was not fitted); \code{print} lists the
#' items with their scale, family and formula; \code{summary} gives one row per item (scale,
#' family, pilot answers used, population, the base LLM's mean, the pilot alone and PPI++ with
#' their intervals, \code{n_effective}, note) and the notes; \code{as.data.frame} and \code{tidy}
#' the population table of \code{\link{ss_population}}; \code{ss_report(study, path)} writes the
#' questionnaire's HTML report (see \code{\link{ss_report}}).
#'
#' @param x,object An \code{ss_questionnaire} (or its summary).
#' @param i An item name (or position in \code{x$items}).
#' @param level Confidence level (default: the study's).
#' @param conf.int,conf.level As for \code{tidy} of \code{ss_population}.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored.
#' @name ss_questionnaire-methods
NULL

#' @rdname ss_questionnaire-methods
#' @export
`[[.ss_questionnaire` <- function(x, i, ...) {
  items <- .subset2(x, "items")
  if (is.numeric(i) && length(i) == 1 && i >= 1 && i <= length(items)) i <- items[i]
  item <- .check_string(i, "item")
  fits <- .subset2(x, "fits")
  failures <- .subset2(x, "failures")
  if (item %in% names(fits)) return(fits[[item]])
  if (item %in% names(failures)) .abort(sprintf("item '%s' was not fitted: %s", item, failures[[item]]))
  .abort(sprintf("'%s' is not an item of this questionnaire; items: %s", item, paste(items, collapse = ", ")))
}

#' @rdname ss_questionnaire-methods
#' @export
print.ss_questionnaire <- function(x, ...) {
  cat(sprintf("Questionnaire of %d item(s): %d fitted, %d with the pilot alone\n", length(x$items), length(x$fits),
              length(x$failures)))
  shown <- data.frame(item = x$items, scale = unname(x$scales[x$items]), family = unname(x$families[x$items]),
                      formula = ifelse(x$items %in% names(x$fits), unname(x$formulas[x$items]), "(not fitted)"))
  print(shown, row.names = FALSE, right = FALSE)
  for (note in x$notes) cat("Note:", note, "\n")
  cat("study[[item]]: an item's fit; ss_population(study), summary(study), ss_report(study, path)\n")
  invisible(x)
}

#' @rdname ss_questionnaire-methods
#' @export
summary.ss_questionnaire <- function(object, level = NULL, ...) {
  alpha <- if (is.null(level)) object$alpha else .level_alpha(level)
  overview <- .frame_out(.call("questionnaire_overview", .questionnaire_py(object$handle), alpha))
  structure(list(overview = overview, n_items = length(object$items), n_fitted = length(object$fits),
                 level = 1 - alpha, notes = object$notes), class = "summary.ss_questionnaire")
}

#' @rdname ss_questionnaire-methods
#' @export
print.summary.ss_questionnaire <- function(x, ...) {
  cat(sprintf("Questionnaire: population means of %d item(s) (%d fitted, %d with the pilot alone), %g%% intervals\n\n",
              x$n_items, x$n_fitted, x$n_items - x$n_fitted, 100 * x$level))
  shown <- x$overview
  shown$note <- ifelse(nchar(shown$note) > 40, paste0(substr(shown$note, 1, 37), "..."), shown$note)
  print(shown, row.names = FALSE, digits = 4)
  cat("\nn_pilot: pilot answers used; n_effective: the pilot answers PPI++ is worth\n")
  for (note in x$notes) cat("Note:", note, "\n")
  invisible(x)
}

#' @rdname ss_questionnaire-methods
#' @export
as.data.frame.ss_questionnaire <- function(x, row.names = NULL, optional = FALSE, ...) {
  as.data.frame(ss_population(x))
}

#' @rdname ss_questionnaire-methods
#' @export
tidy.ss_questionnaire <- function(x, conf.int = TRUE, conf.level = NULL, ...) {
  tidy(ss_population(x), conf.int = conf.int, conf.level = conf.level)
}

# ss_report of a questionnaire: analyst formulas (a formula or a list of them) by item.
.questionnaire_report <- function(study, path, title, formula, by, coherence) {
  analyst <- NULL
  if (!is.null(formula)) {
    formulas <- if (is.list(formula)) formula else list(formula)
    texts <- vapply(formulas, ss_formula_to_python, "")
    analyst <- stats::setNames(as.list(texts), trimws(sub("~.*$", "", texts)))
  }
  .call("questionnaire_report", .questionnaire_py(study$handle), path, title, analyst, .by_names(by),
        if (is.null(coherence)) NULL else as.list(coherence))
}

#' A simulated questionnaire
#'
#' The seeded world of the Python core's \code{simulate_questionnaire}: people with covariates
#' (age, female, educ 1-4, ideology), items on 5- and 7-point scales and a yes/no item, each
#' person's LLM twin drawing biased but informative answers, a human pilot, and optionally the
#' mess of real survey files (a don't-know code among the pilot's answers and the draws, empty
#' answers).
#'
#' @param n_people,n_draws,n_pilot People, LLM draws per person and item, pilot size.
#' @param items Named numbers of levels (\code{c(q01 = 5, q02 = 7, q03 = 2)}); default three
#'   5-point items, one 7-point and one yes/no.
#' @param seed Seed of the simulation.
#' @param ids \code{"numbers"} or \code{"qualtrics"} (response ids like \code{R_3fGh9kLm2pQw}).
#' @param dont_know Optional \code{c(code, share)}: that share of the pilot's answers and of the
#'   draws of non-binary items become \code{code}.
#' @param pilot_missing Share of the pilot's answers left empty (NA).
#' @return A list of data.frames: samples, pilot (long), covariates, humans (every person's
#'   answers) and truth (each item's population mean over everybody).
#' @export
ss_simulate_questionnaire <- function(n_people = 2000L, n_draws = 20L, n_pilot = 300L, items = NULL, seed = 0L,
                                      ids = "numbers", dont_know = NULL, pilot_missing = 0) {
  if (!is.null(items) && (!is.numeric(items) || is.null(names(items)))) {
    .abort("items must be named numbers of levels, such as c(q01 = 5, q02 = 2)")
  }
  if (!is.null(dont_know) && (!is.numeric(dont_know) || length(dont_know) != 2)) {
    .abort("dont_know must be c(code, share), such as c(99, 0.05)")
  }
  tables <- .call("simulate_questionnaire", .check_number(n_people, "n_people", TRUE),
                  .check_number(n_draws, "n_draws", TRUE), .check_number(n_pilot, "n_pilot", TRUE),
                  if (is.null(items)) NULL else as.list(items), .check_number(seed, "seed", TRUE),
                  .check_string(ids, "ids", c("numbers", "qualtrics")), if (is.null(dont_know)) NULL else as.list(dont_know),
                  .check_number(pilot_missing, "pilot_missing"))
  lapply(tables, .frame_out)
}
