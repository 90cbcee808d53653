# Argument checks shared by the wrappers: each failure names the argument and the value.

# A clear error when a formula comes where the fit belongs (the order before 0.2: formula, fit).
.fit_first <- function(fit, formula, function_name) {
  if (inherits(fit, "formula") && inherits(formula, "ss_debias")) {
    .abort(sprintf("%s takes the fit first: %s(fit, %s)", function_name, function_name,
                   paste(deparse(fit), collapse = " ")))
  }
  if (!inherits(fit, "ss_debias")) .abort(sprintf("%s needs an ss_debias fit first, not %s", function_name,
                                                 class(fit)[1]))
}

# Argument checks whose failure R can name before Python sees the value.
.check_string <- function(value, name, choices = NULL) {
  if (!is.character(value) || length(value) != 1 || is.na(value)) {
    .abort(sprintf("%s must be one string%s, not %s", name,
                   if (is.null(choices)) "" else paste0(" (", paste0("\"", choices, "\"", collapse = ", "), ")"),
                   paste(deparse(value), collapse = " ")))
  }
  if (!is.null(choices) && !value %in% choices) {
    .abort(sprintf("%s = \"%s\" is not one of %s", name, value, paste0("\"", choices, "\"", collapse = ", ")))
  }
  value
}

.check_number <- function(value, name, integer = FALSE) {
  if (!is.numeric(value) || length(value) != 1 || is.na(value) || (integer && value != round(value))) {
    .abort(sprintf("%s must be one %s, not %s", name, if (integer) "whole number" else "number",
                   paste(deparse(value), collapse = " ")))
  }
  if (integer) as.integer(value) else as.double(value)
}

.check_flag <- function(value, name) {
  if (!is.logical(value) || length(value) != 1 || is.na(value)) {
    .abort(sprintf("%s must be TRUE or FALSE, not %s", name, paste(deparse(value), collapse = " ")))
  }
  value
}

# scales = list(item = declaration, ...) or one declaration for every item (list(missing = 99)):
# a declaration is numeric levels, "binary", "continuous" or a list of kind, levels and missing
# (the missing-value codes: don't know, refused). Numbers go as lists of doubles (a length-one
# vector would reach Python as a scalar).
.check_scales <- function(scales) {
  if (is.null(scales)) return(NULL)
  hint <- paste("scales must be a named list: item = numeric levels, \"binary\", \"continuous\" or",
                "list(levels = 1:5, missing = c(8, 9)); or one declaration for every item, such as list(missing = 99)")
  if (!is.list(scales) && !is.atomic(scales) || is.null(names(scales)) || any(!nzchar(names(scales)))) .abort(hint)
  numbers <- function(value, where) {
    if (!is.numeric(value) || anyNA(value)) {
      .abort(sprintf("%s must be numbers, not %s", where, paste(deparse(value), collapse = " ")))
    }
    as.list(as.double(value))
  }
  declaration <- function(spec, where) {
    if (is.numeric(spec)) return(numbers(spec, where))
    if (is.character(spec) && length(spec) == 1) return(spec)
    if (!is.list(spec) || is.null(names(spec)) || any(!nzchar(names(spec)))) .abort(sprintf("%s: %s", where, hint))
    unknown <- setdiff(names(spec), .declaration_keys)
    if (length(unknown)) {
      .abort(sprintf("%s has unknown key(s) %s; a declaration has kind, levels and missing", where,
                     paste0("'", unknown, "'", collapse = ", ")))
    }
    out <- list()
    if (!is.null(spec$kind)) out$kind <- .check_string(spec$kind, sprintf("%s$kind", where))
    for (key in intersect(c("levels", "missing"), names(spec))) {
      out[[key]] <- numbers(spec[[key]], sprintf("%s$%s", where, key))
    }
    out
  }
  # one declaration for every item (list(missing = 99)), as the core reads a dict of declaration keys
  if (is.list(scales) && all(names(scales) %in% .declaration_keys)) return(declaration(scales, "scales"))
  Map(declaration, as.list(scales), sprintf("scales$%s", names(scales)))
}

.declaration_keys <- c("kind", "levels", "missing")

# A factor response (e.g. labelled answers) becomes the numbers its levels spell; levels that
# are not numbers are an error naming them (as.integer(x) gives the codes, if they are meant).
.numeric_responses <- function(frame, what) {
  if (is.null(frame) || !is.data.frame(frame) || !"response" %in% names(frame)) return(frame)
  response <- frame[["response"]]
  if (inherits(response, "haven_labelled")) {
    frame[["response"]] <- as.vector(unclass(response))
    attributes(frame[["response"]]) <- NULL
  } else if (is.factor(response)) {
    values <- suppressWarnings(as.numeric(levels(response)))
    if (anyNA(values)) {
      bad <- levels(response)[is.na(values)]
      .abort(sprintf("%s column 'response' is a factor with level(s) %s that are not numbers; give the answers as numbers (as.integer(response) gives the level codes)",
                     what, paste0("'", utils::head(bad, 5), "'", collapse = ", ")))
    }
    frame[["response"]] <- values[response]
  }
  frame
}

