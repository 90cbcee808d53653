# Conversion: data frames in and out through the bridge, formulas to the Python core's
# patsy syntax, and the one mapping of tidy column names.

# Data frames travel to Python as "frame specs": each column as the address of its R
# storage (the Python side copies the values from there: exact, NA bit patterns included)
# plus its levels; back from Python as raw bytes read with readBin. See
# synthsurvey/interfaces/rbridge.py for the pandas side and the type table. Column classes
# are reduced here: haven_labelled columns to their values, POSIXlt to POSIXct, difftime to
# its numbers; a class the bridge cannot carry is an error naming the column.

.encode_column <- function(x, name) {
  if (is.factor(x)) {
    return(list(kind = "factor", address = .address(x), levels = as.list(levels(x)), ordered = is.ordered(x)))
  }
  if (inherits(x, "Date")) {
    return(list(kind = "date", address = .address(as.double(unclass(x)))))
  }
  if (inherits(x, "POSIXlt")) x <- as.POSIXct(x)
  if (inherits(x, "POSIXct")) {
    return(list(kind = "datetime", address = .address(as.double(unclass(x)))))
  }
  if (inherits(x, "integer64")) {
    .abort(sprintf("column '%s' is a bit64 integer64, which synthsurvey cannot convert: use as.character() or as.numeric()",
                   name))
  }
  if (is.matrix(x) || is.data.frame(x) || is.list(x)) {
    .abort(sprintf("column '%s' is a %s column; synthsurvey needs one value per row (a vector)", name,
                   if (is.data.frame(x)) "data frame" else if (is.matrix(x)) "matrix" else "list"))
  }
  if (is.logical(x)) return(list(kind = "logical", address = .address(x)))
  if (is.integer(x)) return(list(kind = "integer", address = .address(x)))
  if (is.double(x)) return(list(kind = "double", address = .address(x)))
  if (is.character(x)) {
    coded <- .character_codes(x)
    return(list(kind = "character", address = .address(coded$codes), levels = as.list(coded$levels)))
  }
  .abort(sprintf("column '%s' has class %s, which synthsurvey cannot convert", name, class(x)[1]))
}

# Integer codes (1-based, NA kept) and levels (in order of first appearance) of a character
# vector, from one pass of pointer comparisons in C (src/bridge.c). The same text in two
# encodings is two strings to C; such levels are merged here, as match() would.
.character_codes <- function(x) {
  coded <- .Call(C_ss_string_codes, x)
  if (anyDuplicated(coded$levels)) {
    distinct <- unique(coded$levels)
    coded$codes <- match(coded$levels, distinct)[coded$codes]
    coded$levels <- distinct
  }
  coded$levels <- enc2utf8(coded$levels)
  coded
}

# The address of a vector's data for the Python side to read during the next .call(); the
# vector is kept referenced until that call returns (see .call), so it cannot be collected.
.address <- function(x) {
  .state$alive <- c(.state$alive, list(x))
  .Call(C_ss_address, x)
}

# A data.frame (or tibble) as a frame spec (NULL stays NULL).
.frame_in <- function(frame, what) {
  if (is.null(frame)) return(NULL)
  if (!is.data.frame(frame)) .abort(sprintf("%s must be a data.frame, not %s", what, class(frame)[1]))
  names <- names(frame)
  if (anyDuplicated(names)) {
    .abort(sprintf("%s has repeated column name(s) %s", what, paste0("'", unique(names[duplicated(names)]), "'",
                                                                    collapse = ", ")))
  }
  list(names = as.list(names), nrow = nrow(frame),
       columns = unname(Map(.encode_column, as.list(frame), names)))
}

# A numeric matrix (a design) as a matrix spec: its column-major doubles read in place.
.matrix_in <- function(x) {
  storage.mode(x) <- "double"
  list(address = .address(x), nrow = nrow(x), ncol = ncol(x), names = as.list(colnames(x)))
}

.decode_column <- function(column, n) {
  kind <- column$kind
  if (kind == "double") return(readBin(column$data, "double", n = n))
  if (kind == "date") return(structure(readBin(column$data, "double", n = n), class = "Date"))
  if (kind == "datetime") {
    return(structure(readBin(column$data, "double", n = n), class = c("POSIXct", "POSIXt"), tzone = "UTC"))
  }
  codes <- readBin(column$data, "integer", n = n)
  if (kind == "integer") return(codes)
  if (kind == "logical") return(as.logical(codes))
  levels <- as.character(unlist(column$levels))
  if (kind == "character") return(levels[codes])
  if (kind == "factor") {
    return(structure(codes, levels = levels, class = c(if (isTRUE(column$ordered)) "ordered", "factor")))
  }
  .abort(sprintf("unknown column kind '%s'", kind))
}

# A data.frame from a frame spec made by the Python side. Columns named like a column of
# `like` (the R data they came from) get its type back: character stays character (the bridge
# hands it to Python as a Categorical), haven_labelled values become a factor whose levels are
# the labels.
.frame_out <- function(spec, like = NULL) {
  n <- as.integer(spec$nrow)
  columns <- lapply(spec$columns, .decode_column, n = n)
  names(columns) <- as.character(unlist(spec$names))
  for (name in intersect(names(columns), names(like))) columns[[name]] <- .like(columns[[name]], like[[name]])
  frame <- as.data.frame(columns, optional = TRUE, stringsAsFactors = FALSE)
  if (length(columns) == 0) frame <- data.frame(row.names = seq_len(n))
  names(frame) <- names(columns)
  frame
}

# `x` (a column back from Python) in the type of `original` (the R column it came from).
.like <- function(x, original) {
  if (inherits(original, "haven_labelled")) return(.labels_as_levels(x, original))
  if (is.character(original) && is.factor(x)) return(as.character(x))
  x
}

# Values of a haven_labelled column as a factor: one level per value present, in the order of
# the values, named by its label (by the value where it has none).
.labels_as_levels <- function(x, original) {
  labels <- attr(original, "labels", exact = TRUE)
  values <- if (is.factor(x)) as.vector(type.convert(as.character(x), as.is = TRUE)) else unclass(x)
  present <- sort(unique(values[!is.na(values)]))
  names <- as.character(present)
  labelled <- match(present, unname(labels))
  names[!is.na(labelled)] <- names(labels)[labelled[!is.na(labelled)]]
  factor(names[match(values, present)], levels = unique(names))
}

# Python's tidy columns in the broom spelling R users expect (recorded once, here).
.tidy_names <- function(frame, r_design = FALSE) {
  map <- c(std_error = "std.error", p_value = "p.value", ci_low = "conf.low", ci_high = "conf.high")
  hit <- names(frame) %in% names(map)
  names(frame)[hit] <- map[names(frame)[hit]]
  if ("term" %in% names(frame)) frame$term <- .term_names_to_r(frame$term, r_design)
  frame
}

# Python (patsy) term names in R's spelling: C(x)[T.b] -> factor(x)b, x[T.b] -> xb,
# x[T.True] -> xTRUE, Intercept -> (Intercept), x ** 2 -> x^2, Q("a b") -> `a b`. The design
# of a fit from R is R's own model.matrix, whose names need only the intercept back
# (`r_design`); the patsy names come from formulas in the Python syntax and the analyst's
# models of ss_population_ols and ss_recover.
.term_names_to_r <- function(terms, r_design = FALSE) {
  if (!r_design) {
    terms <- gsub("\\[T\\.True\\]", "TRUE", gsub("\\[T\\.False\\]", "FALSE", terms))
    terms <- gsub("C\\(([^()]*)\\)\\[T\\.([^]]*)\\]", "factor(\\1)\\2", terms)
    terms <- gsub("C\\(([^()]*)\\)\\[([^]]*)\\]", "factor(\\1)\\2", terms)
    terms <- gsub("([A-Za-z0-9_.]+)\\[T\\.([^]]*)\\]", "\\1\\2", terms)
    terms <- gsub(" \\*\\* ", "^", terms)
    terms <- gsub("Q\\(\"([^\"]*)\"\\)", "`\\1`", terms)
  }
  sub("(^|:)Intercept$", "\\1(Intercept)", terms)
}

#' Translate an R formula to the Python core's formula syntax
#'
#' Used for the analyst's models (\code{\link{ss_population_ols}},
#' \code{\link{ss_recover}}, \code{\link{ss_fidelity}}), which the core builds with
#' its own formula engine. (\code{\link{ss_debias}} builds its design with R's
#' own \code{model.matrix} and accepts any R formula.) \code{factor(x)} and
#' \code{as.factor(x)} become \code{C(x)}; \code{^} becomes \code{**};
#' \code{I()}, \code{log}, \code{exp}, \code{sqrt}, \code{abs}, \code{log1p},
#' \code{:}, \code{*}, \code{/}, \code{-1} and \code{+0} carry over; names that
#' are not Python identifiers (\code{my.var}, backticked names) are quoted with
#' \code{Q("...")}. Any other function is an error naming the term.
#'
#' @param formula A two-sided formula, or a string already in Python syntax.
#' @return A string.
#' @examples
#' ss_formula_to_python(belief ~ llm_mean + factor(educ) + I(age^2))
#' @export
ss_formula_to_python <- function(formula) {
  if (is.character(formula) && length(formula) == 1) return(formula)
  if (!inherits(formula, "formula") || length(formula) != 3) {
    .abort("formula must be a two-sided formula such as belief ~ llm_mean + age")
  }
  paste(.to_python(formula[[2]]), "~", .to_python(formula[[3]]))
}

.passed_functions <- c("I", "log", "exp", "sqrt", "abs", "log1p")
.binary_operators <- c("+", "-", "*", "/")

.to_python <- function(expr) {
  if (is.name(expr)) {
    name <- as.character(expr)
    if (name == ".") .abort("the term '.' cannot be translated: name the columns")
    if (grepl("^[A-Za-z_][A-Za-z0-9_]*$", name)) return(name)
    return(sprintf("Q(\"%s\")", name))
  }
  if (is.numeric(expr)) return(format(expr, scientific = FALSE))
  if (is.character(expr)) return(sprintf("\"%s\"", expr))
  if (!is.call(expr)) .abort(sprintf("the term '%s' cannot be translated", deparse(expr)))
  fn <- as.character(expr[[1]])[1]
  args <- as.list(expr)[-1]
  if (fn == "[") return(.reference_to_python(expr, args))
  if (fn %in% c("+", "-") && length(args) == 1) return(paste0(fn, .to_python(args[[1]])))
  if (fn == ":" && length(args) == 2) return(paste0(.to_python(args[[1]]), ":", .to_python(args[[2]])))
  if (fn %in% .binary_operators && length(args) == 2) {
    return(paste(.to_python(args[[1]]), fn, .to_python(args[[2]])))
  }
  if (fn == "^" && length(args) == 2) return(paste(.to_python(args[[1]]), "**", .to_python(args[[2]])))
  if (fn == "(" && length(args) == 1) return(paste0("(", .to_python(args[[1]]), ")"))
  if (fn %in% c("factor", "as.factor") && length(args) == 1) return(sprintf("C(%s)", .to_python(args[[1]])))
  if (fn %in% .passed_functions && length(args) == 1) return(sprintf("%s(%s)", fn, .to_python(args[[1]])))
  .abort(sprintf("the term '%s' cannot be translated to the Python core; compute the column first or use I()",
                 paste(deparse(expr), collapse = " ")))
}

# Several LLM sources (synthsurvey/models/references.py): llm_mean[gpt4o], llm_mean[q2],
# llm_mean[q2, gpt4o] and llm_mean["gpt-4o"] parse in R as calls to `[`; they carry over with
# labels that are not identifiers (or whole numbers) quoted, as the core writes them.
.reference_to_python <- function(expr, args) {
  feature <- args[[1]]
  labels <- args[-1]
  written <- paste(deparse(expr), collapse = " ")
  if (!is.name(feature) || !startsWith(as.character(feature), "llm_") || !length(labels) %in% 1:2) {
    .abort(sprintf("the term '%s' cannot be translated: write llm_x[source], llm_x[item] or llm_x[item, source]",
                   written))
  }
  label_text <- function(label) {
    if (is.name(label) && nzchar(as.character(label))) label <- as.character(label)
    else if (is.numeric(label) && length(label) == 1) label <- format(label, scientific = FALSE)
    else if (!is.character(label) || length(label) != 1) {
      .abort(sprintf("the term '%s' cannot be translated: labels are names or strings", written))
    }
    if (grepl("^[A-Za-z_][A-Za-z0-9_]*$", label) || grepl("^[0-9]+$", label)) return(label)
    escaped <- gsub("\"", "\\\"", gsub("\\", "\\\\", label, fixed = TRUE), fixed = TRUE)
    sprintf("\"%s\"", escaped)
  }
  sprintf("%s[%s]", as.character(feature), paste(vapply(labels, label_text, ""), collapse = ", "))
}

# Round-trip a data.frame through pandas (used by the conversion tests); returns the
# frame as it comes back and the pandas dtypes it had in Python.
.roundtrip <- function(frame) {
  result <- .call("roundtrip", .frame_in(frame, "frame"))
  list(frame = .frame_out(result$frame, like = frame), dtypes = unlist(result$dtypes))
}
