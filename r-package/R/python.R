# Finding the Python core, calling it, and turning its errors into R conditions.

.state <- new.env(parent = emptyenv())

#' Path of the Python interpreter synthsurvey uses
#'
#' In order: \code{getOption("synthsurvey.python")}, the environment variable
#' \code{SYNTHSURVEY_PYTHON}, then \code{.venv/bin/python} in the working
#' directory or one of its parents (the project's virtual environment, made by
#' \code{make setup}). Once Python has started in this R session, that Python
#' is used.
#'
#' @return A path, or \code{NULL} when none is found.
#' @export
ss_python <- function() {
  option <- getOption("synthsurvey.python")
  if (!is.null(option) && nzchar(option)) return(option)
  variable <- Sys.getenv("SYNTHSURVEY_PYTHON")
  if (nzchar(variable)) return(variable)
  dir <- normalizePath(getwd(), mustWork = FALSE)
  repeat {
    candidate <- file.path(dir, ".venv", "bin", "python")
    if (file.exists(candidate)) return(candidate)
    parent <- dirname(dir)
    if (identical(parent, dir)) return(NULL)
    dir <- parent
  }
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

.abort <- function(message) {
  stop(structure(class = c("synthsurvey_error", "error", "condition"),
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

# Call a function of synthsurvey.interfaces.rapi; a SynthsurveyError becomes an R error of class
# synthsurvey_error with the same message. Frame specs among the arguments point into R
# vectors that stay referenced (in .state$alive) until the call returns.
.call <- function(name, ...) {
  fn <- .function(name)
  on.exit(.state$alive <- NULL)  # the columns frame specs point to (see .address) are free again
  args <- list(...)  # convert R arguments first: their errors are R errors
  reticulate::py_clear_last_error()
  tryCatch(do.call(fn, args), error = function(error) {
    last <- reticulate::py_last_error()
    if (!is.null(last) && identical(last$type, "SynthsurveyError")) .abort(last$value)
    stop(error)
  })
}
