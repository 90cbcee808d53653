# The bundled data sets.

#' The bundled simulated study
#'
#' @return A list of data.frames: samples, pilot, covariates, holdout.
#' @examplesIf ss_available()
#' study <- ss_load_simulated()
#' str(study$covariates)
#' @export
ss_load_simulated <- function() lapply(.call("load_simulated"), .frame_out)

.load_dataset <- function(name) {
  data <- .call("load_dataset", name)
  for (table in c("samples", "humans", "covariates", "items")) data[[table]] <- .frame_out(data[[table]])
  data$notes <- unlist(data$notes)
  data
}

#' Bundled real data sets
#'
#' \code{ss_load_twin2k500()}: Twin-2K-500 Mega-Study, real US respondents beside their LLM
#' digital twins (Apache-2.0). \code{ss_load_smartvote()}: Swiss candidates beside 50 GPT-4
#' draws per party persona (MIT; samples keyed by \code{party}). The same tables as the Python
#' loaders: provenance and licenses in the repository's \code{data/README.md}.
#'
#' @return A list: samples, humans, covariates, items (metadata), key, scales (a named list
#'   to pass to \code{ss_debias}), notes (rows left out) and citation.
#' @examplesIf ss_available()
#' twin <- ss_load_twin2k500()
#' twin$citation
#' @export
ss_load_twin2k500 <- function() .load_dataset("twin2k500")

#' @rdname ss_load_twin2k500
#' @export
ss_load_smartvote <- function() .load_dataset("smartvote")

#' psychTools::bfi in synthsurvey's long format (human answers only)
#'
#' 2,800 people's answers to 25 six-point personality items, with gender,
#' education and age; the same tables as the Python loader \code{load_bfi()}.
#' Needs the psychTools package (Debian: r-cran-psychtools).
#'
#' @return A list: samples (empty), humans (id, item, response), covariates,
#'   scales, notes (answers left out) and citation.
#' @examples
#' if (requireNamespace("psychTools", quietly = TRUE)) str(ss_load_bfi()$covariates)
#' @export
ss_load_bfi <- function() {
  if (!requireNamespace("psychTools", quietly = TRUE)) {
    .abort("ss_load_bfi needs the psychTools package (Debian: apt-get install r-cran-psychtools)")
  }
  bfi <- psychTools::bfi
  items <- setdiff(names(bfi), c("gender", "education", "age"))
  humans <- data.frame(id = rep(seq_len(nrow(bfi)), times = length(items)),
                       item = rep(items, each = nrow(bfi)),
                       response = as.numeric(unlist(bfi[items], use.names = FALSE)))
  missing <- is.na(humans$response)
  humans <- humans[!missing, ]
  rownames(humans) <- NULL
  covariates <- data.frame(id = seq_len(nrow(bfi)), gender = bfi$gender, education = bfi$education,
                           age = bfi$age, female = as.integer(bfi$gender == 2))
  list(samples = data.frame(id = integer(), item = character(), draw = integer(), response = double()),
       humans = humans, covariates = covariates, key = "id",
       scales = stats::setNames(rep(list(1:6), length(items)), items),
       notes = sprintf("%d missing item answer(s) left out of humans", sum(missing)),
       citation = "psychTools::bfi (Revelle), International Personality Item Pool items")
}
