#' synthsurvey: debias LLM survey answers with a small human pilot
#'
#' R interface to the synthsurvey Python core. The package finds its Python
#' with \code{\link{ss_python}}; all statistics run in Python, and this package
#' converts data frames (keeping factors, NA and types; see
#' \code{synthsurvey/interfaces/rbridge.py}), builds designs with R's own
#' \code{model.matrix}, and prints results. Vignettes:
#' \code{vignette(package = "synthsurvey")}.
#'
#' @keywords internal
#' @importFrom stats coef confint vcov nobs predict fitted residuals df.residual deviance logLik sigma
#'   formula terms model.matrix family update
#' @useDynLib synthsurvey, .registration = TRUE, .fixes = "C_"
"_PACKAGE"
