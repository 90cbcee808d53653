# The design of a fit from R: R's own model.frame/model.matrix, so that coefficient names,
# order and contrasts are those lm()/glm() give on the same formula (factor and character
# columns, ordered factors with contr.poly, options(contrasts =), interactions, poly(), ns(),
# Dates as numbers ...). The Python core builds the item's frame (features merged with
# covariates, exclusions counted), R builds the matrix on it, the core fits on that matrix
# (DebiasModel.with_design). New data are coded with the stored terms, factor levels and
# contrasts, as predict.lm() does.

# The item (left-hand side) of an R formula.
.formula_item <- function(formula) {
  if (!inherits(formula, "formula") || length(formula) != 3) {
    .abort("formula must be a two-sided formula such as belief ~ llm_mean + age (the left-hand side names an item)")
  }
  lhs <- formula[[2]]
  if (is.character(lhs) && length(lhs) == 1) return(lhs)
  if (!is.name(lhs)) {
    .abort(sprintf("the left-hand side of %s must name one item; transforms of the answers such as '%s' are not supported",
                   paste(deparse(formula), collapse = " "), paste(deparse(lhs), collapse = " ")))
  }
  as.character(lhs)
}

# The data columns the right-hand side reads: its variables that are llm_* features or columns
# of the covariates, or that are not found in the formula's environment either (the core then
# names them as unknown columns). Variables found only in the environment (a df = k in ns())
# are R's business.
.formula_columns <- function(formula, covariates) {
  rhs <- formula[[3]]
  variables <- all.vars(rhs)
  if ("." %in% variables) .abort("the term '.' is not supported in a debiasing formula: name the columns")
  environment <- environment(formula)
  if (is.null(environment)) environment <- globalenv()
  keep <- startsWith(variables, "llm_") | variables %in% names(covariates) |
    !vapply(variables, exists, logical(1), envir = environment)
  variables[keep]
}

.python_name <- function(name) {
  if (grepl("^[A-Za-z_][A-Za-z0-9_]*$", name)) name else sprintf("Q(\"%s\")", gsub("\"", "\\\\\"", name))
}

# The core's formula of a fit whose design R builds: the item and the columns read (the core
# excludes rows missing one of them, and counts them).
.columns_formula <- function(item, columns) {
  rhs <- if (length(columns)) paste(vapply(columns, .python_name, ""), collapse = " + ") else "1"
  paste(.python_name(item), "~", rhs)
}

# The data model.frame reads: the formula's llm_* features from the core's frame, and the
# covariates, in their R types, of the frame's people (row `_r_row` of `covariates`).
.design_data <- function(frame, covariates, columns) {
  features <- intersect(columns, names(frame))
  data <- frame[features]
  others <- setdiff(intersect(columns, names(covariates)), features)
  if (length(others)) {
    rows <- frame[["_r_row"]]
    picked <- lapply(others, function(name) covariates[[name]][rows])
    names(picked) <- others
    data <- cbind(data, as.data.frame(picked, optional = TRUE, stringsAsFactors = FALSE))
    names(data) <- c(features, others)
  }
  if (!ncol(data)) data <- data.frame(row.names = seq_len(nrow(frame)))
  data
}

# R's errors about factor levels as synthsurvey errors naming the column and the levels.
.model_frame <- function(terms, data, ...) {
  withCallingHandlers(
    tryCatch(stats::model.frame(terms, data, na.action = stats::na.pass, ...), error = function(error) {
      message <- conditionMessage(error)
      levels <- regmatches(message, regexec("factor (.*) has new levels? (.*)", message))[[1]]
      if (length(levels) == 3) {
        .abort(sprintf("covariate '%s' has level(s) %s that no pilot answer has: the debiasing model has no coefficient for them (drop those people or merge the level)",
                       levels[2], levels[3]))
      }
      .abort(sprintf("cannot build the design: %s", message))
    }),
    warning = function(warning) invokeRestart("muffleWarning"))
}

# Build the design of `formula` on `data` (one row per person of the fit's frame): terms,
# factor levels and contrasts come from the pilot rows (as lm() on the pilot would make them;
# `contrasts`, when given, are those of a saved fit), the matrix covers every row. `reads_llm`
# flags the columns that read an llm_* feature.
.build_design <- function(formula, data, is_pilot, family, contrasts = NULL) {
  terms <- stats::delete.response(stats::terms(formula))
  if (!is.null(attr(terms, "offset"))) .abort("offset() terms are not supported in a debiasing formula")
  pilot <- .model_frame(terms, data[is_pilot, , drop = FALSE], drop.unused.levels = TRUE)
  terms <- attr(pilot, "terms")  # with predvars: poly(), ns(), scale() keep the pilot's bases on new rows
  x_pilot <- stats::model.matrix(terms, pilot, contrasts.arg = contrasts)
  contrasts <- attr(x_pilot, "contrasts")
  xlevels <- stats::.getXlevels(terms, pilot)
  x <- .new_matrix(list(terms = terms, xlevels = xlevels, contrasts = contrasts), data)
  if (family == "ordinal" && !attr(terms, "intercept")) {
    .abort("an ordinal fit needs the intercept (its cutpoints replace it): remove '- 1' or '+ 0' from the formula")
  }
  list(terms = terms, xlevels = xlevels, contrasts = contrasts, x = x, reads_llm = .reads_llm(terms, x))
}

# The design matrix of `data`'s rows with a fit's stored terms, levels and contrasts.
.new_matrix <- function(design, data) {
  frame <- .model_frame(design$terms, data, xlev = design$xlevels)
  stats::model.matrix(design$terms, frame, contrasts.arg = design$contrasts)
}

.reads_llm <- function(terms, x) {
  factors <- attr(terms, "factors")
  assign <- attr(x, "assign")
  if (!length(factors)) return(rep(FALSE, ncol(x)))
  variable_reads <- vapply(rownames(factors), function(v) any(startsWith(all.vars(str2lang(v)), "llm_")), logical(1))
  term_reads <- colSums(factors[variable_reads, , drop = FALSE] != 0) > 0
  out <- rep(FALSE, ncol(x))
  out[assign > 0] <- term_reads[assign[assign > 0]]
  out
}
