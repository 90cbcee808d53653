# Finding the Python core, calling it, and turning its errors into R conditions.

.state <- new.env(parent = emptyenv())

#' Path of the Python interpreter synthsurvey uses
#'
#' In order: \code{getOption("synthsurvey.python")}, the environment variable
#' \code{SYNTHSURVEY_PYTHON}, the Python that \code{make setup} recorded when it
#' installed this package (the checkout's \code{.venv}), then
#' \code{.venv/bin/python} in the working directory or one of its parents. Once
#' Python has started in this R session, that Python is used.
#'
#' @return A path, or \code{NULL} when none is found.
#' @examples
#' ss_python()
#' @export
ss_python <- function() {
  option <- getOption("synthsurvey.python")
  if (!is.null(option) && nzchar(option)) return(option)
  variable <- Sys.getenv("SYNTHSURVEY_PYTHON")
  if (nzchar(variable)) return(variable)
  recorded <- system.file("python-path", package = "synthsurvey")
  if (nzchar(recorded)) {
    path <- trimws(readLines(recorded, n = 1L, warn = FALSE))
    if (length(path) && file.exists(path)) return(path)
  }
  dir <- normalizePath(getwd(), mustWork = FALSE)
  repeat {
    candidate <- file.path(dir, ".venv", "bin", "python")
    if (file.exists(candidate)) return(candidate)
    parent <- dirname(dir)
    if (identical(parent, dir)) return(NULL)
    dir <- parent
  }
}

#' Is the Python core available?
#'
#' \code{TRUE} when Python has started with the synthsurvey core, or when
#' \code{\link{ss_python}} finds an interpreter (without starting it). The
#' package's examples run when this is \code{TRUE}.
#'
#' @return \code{TRUE} or \code{FALSE}.
#' @examples
#' ss_available()
#' @export
ss_available <- function() {
  if (!is.null(.state$core)) return(TRUE)
  if (reticulate::py_available(initialize = FALSE)) return(reticulate::py_module_available("synthsurvey"))
  path <- ss_python()
  !is.null(path) && file.exists(path)
}

.install_hint <- paste(
  "install it with `python -m pip install -e '<synthsurvey checkout>[r]'`",
  "(or run `make setup` in the checkout) and point R to that Python with",
  "options(synthsurvey.python = ...) or the SYNTHSURVEY_PYTHON environment variable"
)

.core <- function() {
  if (!is.null(.state$core)) return(.state$core)
  if (!reticulate::py_available(initialize = FALSE)) {
    path <- ss_python()
    if (is.null(path)) {
      .abort(paste("no Python found for synthsurvey;", .install_hint))
    }
    if (!file.exists(path)) .abort(sprintf("the Python %s does not exist; %s", path, .install_hint))
    Sys.setenv(RETICULATE_PYTHON = path)
  }
  if (!reticulate::py_module_available("synthsurvey")) {
    .abort(sprintf("the Python at %s has no synthsurvey package; %s",
                   reticulate::py_config()$python, .install_hint))
  }
  .state$core <- reticulate::import("synthsurvey.interfaces.rapi", convert = TRUE)
  .state$core
}

# An error of class synthsurvey_error (and `class`, if given) with `message`.
.abort <- function(message, class = NULL) {
  stop(structure(class = c(class, "synthsurvey_error", "error", "condition"),
                 list(message = message, call = NULL)))
}

# The Python function synthsurvey.interfaces.rapi.<name>, looked up once: each lookup would leave an
# R reference to a Python object for R's garbage collector, whose finalizer must not run
# while an embedding Python (rpy2) has released its GIL.
.function <- function(name) {
  if (is.null(.state$functions)) .state$functions <- list()
  if (is.null(.state$functions[[name]])) .state$functions[[name]] <- .core()[[name]]
  .state$functions[[name]]
}

# Call a function of synthsurvey.interfaces.rapi (through its `call`, which records the core's
# warnings). A SynthsurveyError becomes an R error of class synthsurvey_error with the same
# message; any other Python exception one of class c("synthsurvey_python_error",
# "synthsurvey_error") with its type and message (never a traceback); each SynthsurveyWarning
# (e.g. what scale inference found suspicious) an R warning of class synthsurvey_warning. Frame
# specs among the arguments point into R vectors that stay referenced (in .state$alive) until
# the call returns.
.call <- function(name, ...) {
  fn <- .function("call")
  on.exit(.state$alive <- NULL)  # the columns frame specs point to (see .address) are free again
  args <- c(list(name), list(...))  # convert R arguments first: their errors are R errors
  reticulate::py_clear_last_error()
  result <- tryCatch(do.call(fn, args), error = function(error) {
    last <- reticulate::py_last_error()
    if (is.null(last)) stop(error)
    if (identical(last$type, "SynthsurveyError")) .abort(last$value)
    .abort(sprintf("the Python core failed with %s: %s (an input synthsurvey does not check yet; please report it)",
                   last$type, last$value), class = "synthsurvey_python_error")
  })
  for (message in unlist(result$warnings)) .warn(message)
  result$value
}

# A warning of class synthsurvey_warning with `message`.
.warn <- function(message) {
  warning(structure(class = c("synthsurvey_warning", "warning", "condition"), list(message = message, call = NULL)))
}

# The Python object of a result: from its handle (an environment, so that a restored object
# is seen by every copy of the R object), restored with `restore()` when the handle's pointer
# died with the session that made it (saveRDS/readRDS).
.py <- function(x, restore) {
  handle <- x$handle
  if (is.null(handle)) .abort(sprintf("this %s object has no Python result", class(x)[1]))
  if (is.null(handle$py) || reticulate::py_is_null_xptr(handle$py)) {
    .core()
    handle$py <- restore(x)
  }
  handle$py
}

.handle <- function(py) {
  handle <- new.env(parent = emptyenv())
  handle$py <- py
  handle
}
