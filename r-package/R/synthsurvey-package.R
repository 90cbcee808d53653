#' synthsurvey: debias LLM survey answers with a small human pilot
#'
#' R interface to the synthsurvey Python core. The package finds its Python
#' with \code{\link{ss_python}}; all statistics run in Python, and this package
#' converts data frames (keeping factors, NA and types; see
#' \code{synthsurvey/rbridge.py}) and formulas, and prints results.
#'
#' @keywords internal
#' @importFrom stats coef confint vcov nobs predict
#' @useDynLib synthsurvey, .registration = TRUE, .fixes = "C_"
"_PACKAGE"
