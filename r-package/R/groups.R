# Group-level calibration: per (item, group) human and LLM answer distributions, the core's
# calibration of the LLM's distributions fit on a few labeled cells, and its gain in opinion
# alignment on the other cells (the Python core's evaluation stage).

#' Group-level calibration of LLM answer distributions
#'
#' \code{ss_group_cells()}: for each item and group, the distribution of the human answers over
#' the item's levels beside that of the LLM draws of the group's people or persona.
#' \code{ss_calibrate_groups()}: fit the core's calibration of the LLM distributions (see
#' \code{synthsurvey.calibrate_groups} in Python for the family and how one is chosen) on the
#' \code{labeled} cells and score every other cell by opinion alignment, 1 - W1/(C - 1), before
#' and after. \code{ss_alignment_curve()}: that gain by number of labeled cells drawn at random.
#'
#' @param samples,humans,covariates As for \code{\link{ss_debias}}.
#' @param key Column linking samples to people (their id, or a persona column).
#' @param group Covariate defining the groups (default: \code{key}).
#' @param cells A table from \code{ss_group_cells()}.
#' @param labeled The cells to fit on: a data.frame with columns item and group.
#' @param sizes Numbers of labeled cells.
#' @param replications Random draws of labeled cells per size.
#' @param seed Seed of those draws.
#' @return \code{ss_group_cells}: a data.frame (item, group, level, human_prob, llm_prob,
#'   n_human, n_llm). \code{ss_calibrate_groups}: a list of class \code{ss_group_calibration}
#'   with \code{member} (the calibration chosen), \code{tau} (its temperature), \code{labeled} and
#'   \code{evaluation} (item, group, n_levels, alignment_before, alignment_after).
#'   \code{ss_alignment_curve}: a data.frame, one row per size (n_labeled, alignment_before,
#'   alignment_after, gain, gain_sd and what the core adds), with the core's notes as attribute
#'   \code{notes}.
#' @examplesIf ss_available()
#' smartvote <- ss_load_smartvote()
#' cells <- ss_group_cells(smartvote$samples, smartvote$humans, smartvote$covariates, key = "party")
#' labeled <- unique(cells[c("item", "group")])[1:5, ]
#' ss_calibrate_groups(cells, labeled)
#' @export
ss_group_cells <- function(samples, humans, covariates, key = "id", group = NULL) {
  .check_string(key, "key")
  if (!is.null(group)) .check_string(group, "group")
  spec <- .call("group_cells", .frame_in(.numeric_responses(samples, "samples"), "samples"),
                .frame_in(.numeric_responses(humans, "humans"), "humans"), .frame_in(covariates, "covariates"), key,
                group)
  cells <- .frame_out(spec)
  original <- covariates[[if (is.null(group)) key else group]]
  if (!is.null(original)) cells$group <- .like(cells$group, original)
  cells
}

.labeled_cells <- function(labeled) {
  if (!is.data.frame(labeled) || !all(c("item", "group") %in% names(labeled))) {
    .abort("labeled must be a data.frame with columns item and group (rows of ss_group_cells())")
  }
  unname(Map(function(item, group) list(item, group), as.character(labeled$item), as.character(labeled$group)))
}

.cells_in <- function(cells) {
  if (!is.data.frame(cells)) .abort(sprintf("cells must be a data.frame from ss_group_cells(), not %s", class(cells)[1]))
  missing <- setdiff(c("item", "group", "level", "human_prob", "llm_prob"), names(cells))
  if (length(missing)) {
    .abort(sprintf("cells is missing column(s) %s (use ss_group_cells())", paste0("'", missing, "'", collapse = ", ")))
  }
  cells$group <- as.character(cells$group)
  .frame_in(cells, "cells")
}

#' @rdname ss_group_cells
#' @export
ss_calibrate_groups <- function(cells, labeled) {
  result <- .call("calibrate_groups", .cells_in(cells), .labeled_cells(labeled))
  structure(list(member = result$member, tau = result$tau, labeled = labeled,
                 evaluation = .frame_out(result$evaluation)), class = "ss_group_calibration")
}

#' @rdname ss_group_cells
#' @export
ss_alignment_curve <- function(cells, sizes = c(1, 3, 10, 30), replications = 20L, seed = 0L) {
  if (!is.numeric(sizes) || !length(sizes) || anyNA(sizes)) .abort("sizes must be numbers of labeled cells")
  result <- .call("alignment_curve", .cells_in(cells), as.list(as.integer(sizes)),
                  .check_number(replications, "replications", TRUE), .check_number(seed, "seed", TRUE))
  structure(.frame_out(result$table), notes = unlist(result$notes))
}

#' @export
print.ss_group_calibration <- function(x, ...) {
  evaluation <- x$evaluation
  cat(sprintf("Group calibration: %s (tau = %.3f), fit on %d labeled cell(s)\n", x$member, x$tau, nrow(x$labeled)))
  cat(sprintf("Opinion alignment on the %d other cells: %.4f before, %.4f after\n", nrow(evaluation),
              mean(evaluation$alignment_before), mean(evaluation$alignment_after)))
  invisible(x)
}
