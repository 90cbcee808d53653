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
#' @param cells A table from \code{ss_group_cells()} or \code{\link{ss_load_distalign}()}.
#' @param labeled The cells to fit on: a data.frame with columns item and group.
#' @param sizes Numbers of labeled cells.
#' @param replications Random draws of labeled cells per size.
#' @param seed Seed of those draws.
#' @param by Optional columns of \code{cells} defining settings (e.g. \code{c("model", "method")}
#'   of the benchmark's cells; a name, several names or a one-sided formula): the curve of each
#'   setting, and the spread across settings.
#' @param members Optional members of the calibration family to choose from (default: all;
#'   \code{"identity"} among them lets the calibration leave the LLM's pmfs as they are).
#' @param blends Optional shares of the calibrated pmf in the blend with the raw one (default:
#'   the core's 0.25, 0.5, 0.75, 1).
#' @param metric \code{"opinion_alignment"} (ordered levels) or \code{"tv_similarity"} (1 - total
#'   variation, for nominal cells such as GlobalOpinionQA's).
#' @return \code{ss_group_cells}: a data.frame (item, group, level, human_prob, llm_prob,
#'   n_human, n_llm). \code{ss_calibrate_groups}: a list of class \code{ss_group_calibration}
#'   with \code{member} (the calibration chosen), \code{tau} (its temperature), \code{blend} (its
#'   share in the blend with the raw pmf), \code{cv_gain} (its cross-validated gain), \code{cv}
#'   (the cross-validation table: one row per member and blend), \code{note}, \code{labeled} and
#'   \code{evaluation} (item, group, n_levels, alignment_before, alignment_after).
#'   \code{ss_alignment_curve}: a list of class \code{ss_alignment_curve}: \code{settings} (one
#'   row per setting and size: n_cells, replications, alignment_before, alignment_after, gain,
#'   gain_sd, chosen: how often each member was chosen), \code{summary} (one row per size across
#'   the settings: their mean alignment before and after, gain, sd_before and sd_after, the spread
#'   across settings, the worst gain and lowest alignment after with their settings, settings
#'   skipped), \code{draws} (one row per setting, size and replication: the member and blend
#'   chosen, cv_gain, the alignments and the labeled cells), \code{notes} (sizes skipped) and
#'   \code{by}.
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
ss_calibrate_groups <- function(cells, labeled, members = NULL, blends = NULL, metric = "opinion_alignment") {
  result <- .call("calibrate_groups", .cells_in(cells), .labeled_cells(labeled), .members(members),
                  .blends(blends), .check_string(metric, "metric", c("opinion_alignment", "tv_similarity")))
  structure(list(member = result$member, tau = result$tau, blend = result$blend, cv_gain = result$cv_gain,
                 note = result$note, labeled = labeled,
                 cv = if (is.null(result$cv)) NULL else .frame_out(result$cv),
                 evaluation = .frame_out(result$evaluation)), class = "ss_group_calibration")
}

.members <- function(members) {
  if (is.null(members)) return(NULL)
  if (!is.character(members) || !length(members) || anyNA(members)) .abort("members must be names of calibrations")
  as.list(members)
}

.blends <- function(blends) {
  if (is.null(blends)) return(NULL)
  if (!is.numeric(blends) || !length(blends) || anyNA(blends)) .abort("blends must be numbers in [0, 1]")
  as.list(as.double(blends))
}

#' @rdname ss_group_cells
#' @export
ss_alignment_curve <- function(cells, sizes = c(1, 3, 10, 30), replications = 20L, seed = 0L, by = NULL,
                               members = NULL, blends = NULL, metric = "opinion_alignment") {
  if (!is.numeric(sizes) || !length(sizes) || anyNA(sizes)) .abort("sizes must be numbers of labeled cells")
  by <- .by_names(by)
  missing <- setdiff(unlist(by), names(cells))
  if (length(missing)) .abort(sprintf("by names column(s) %s that cells does not have", paste0("'", missing, "'", collapse = ", ")))
  result <- .call("alignment_curve", .cells_in(cells), as.list(as.integer(sizes)),
                  .check_number(replications, "replications", TRUE), .check_number(seed, "seed", TRUE), by,
                  .members(members), .blends(blends),
                  .check_string(metric, "metric", c("opinion_alignment", "tv_similarity")))
  structure(list(settings = .frame_out(result$settings), summary = .frame_out(result$summary),
                 draws = .frame_out(result$draws), notes = as.character(unlist(result$notes)),
                 by = as.character(unlist(result$by))), class = "ss_alignment_curve")
}

#' @export
print.ss_group_calibration <- function(x, ...) {
  evaluation <- x$evaluation
  cat(sprintf("Group calibration: %s (tau = %.3f, blend %.2f; cross-validated gain %.4f), fit on %d labeled cell(s)\n",
              x$member, x$tau, x$blend, x$cv_gain, nrow(x$labeled)))
  if (length(x$note) && nzchar(x$note)) cat("Note:", x$note, "\n")
  cat(sprintf("Alignment on the %d other cells: %.4f before, %.4f after\n", nrow(evaluation),
              mean(evaluation$alignment_before), mean(evaluation$alignment_after)))
  invisible(x)
}

#' Methods for alignment curves
#'
#' \code{print} shows the summary across settings (one row per number of labeled cells) and, with
#' settings, each setting's alignment before and after; \code{as.data.frame} returns the
#' settings table.
#'
#' @param x An \code{ss_alignment_curve} from \code{\link{ss_alignment_curve}}.
#' @param row.names,optional Ignored (for the generic).
#' @param ... Ignored.
#' @name ss_alignment_curve-methods
NULL

#' @rdname ss_alignment_curve-methods
#' @export
print.ss_alignment_curve <- function(x, ...) {
  cat(sprintf("Alignment before and after calibration by labeled cells%s\n",
              if (length(x$by)) sprintf(", %d settings (%s)", nrow(unique(x$settings[x$by])), paste(x$by, collapse = ", "))
              else ""))
  summary <- x$summary
  if (!length(x$by)) summary <- summary[setdiff(names(summary), c("settings", "sd_before", "sd_after",
                                                                   "worst_gain_setting", "lowest_after_setting", "skipped"))]
  print(summary, row.names = FALSE, digits = 4)
  if (length(x$notes)) cat(sprintf("Note: %d setting/size pair(s) skipped (no cell left to evaluate); see $notes\n", length(x$notes)))
  invisible(x)
}

#' @rdname ss_alignment_curve-methods
#' @export
as.data.frame.ss_alignment_curve <- function(x, row.names = NULL, optional = FALSE, ...) x$settings

#' The distributional-alignment benchmark's cells
#'
#' Reads the benchmark of Meister, Guestrin & Hashimoto (2024), "Benchmarking Distributional
#' Alignment of Large Language Models", with the Python core's reader
#' (\code{synthsurvey.io.distalign}): per (question, group) the group's human answer distribution
#' beside an LLM's estimate of it, for several models, elicitation methods and steerings, in the
#' long format of \code{\link{ss_group_cells}} plus the setting columns model, method and
#' steering, so that \code{ss_alignment_curve(cells, by = c("model", "method"))} evaluates every
#' setting.
#'
#' The data have no license: they are not part of this package and must stay outside it; give the
#' folder where they lie (the repository's tests and vignettes read \code{../shared/data}, through
#' the environment variable \code{SYNTHSURVEY_SHARED_DATA} that its Makefile sets).
#'
#' OpinionQA is put on each question's ordinal scale (the questions file's positions):
#' refusals and midpoints are not levels, they are counted (\code{n_human_refused},
#' \code{n_human_midpoint}, \code{llm_refused}, \code{llm_midpoint}); questions without an
#' ordinal scale are left out. GlobalOpinionQA has no ordinal mapping: its cells are nominal
#' (compare them with \code{metric = "tv_similarity"}).
#'
#' @param folder The benchmark folder (\code{distalign_benchmark}, holding
#'   \code{opinionqa_questions.csv} ...).
#' @param benchmark \code{"opinionqa"} or \code{"globalopinionqa"}.
#' @param steering,models,methods Settings to read (\code{NULL}: all); steering \code{"persona"}
#'   by default.
#' @param borrow,midpoints OpinionQA only: whether a question missing from the questions file
#'   borrows the positions of a question with exactly its options, and whether midpoints are
#'   dropped (\code{"drop"}) or ranked as levels (\code{"level"}).
#' @param dropped Whether to return, beside the cells, the cells left out and their counts.
#' @return A data.frame of cells (model, method, steering, [attribute,] item, group, level,
#'   option, human_prob, llm_prob and the counts), or with \code{dropped = TRUE} a list: cells,
#'   dropped (setting, item, group, reason) and dropped_summary (cells by setting and reason).
#' @export
ss_load_distalign <- function(folder, benchmark = "opinionqa", steering = "persona", models = NULL, methods = NULL,
                              borrow = TRUE, midpoints = "drop", dropped = FALSE) {
  .check_string(folder, "folder")
  if (!dir.exists(folder)) {
    .abort(sprintf("the benchmark folder '%s' does not exist (the data have no license and are not bundled: give the folder where they lie)",
                   folder))
  }
  names <- function(values, name) {
    if (is.null(values)) return(NULL)
    if (!is.character(values) || anyNA(values)) .abort(sprintf("%s must be names", name))
    as.list(values)
  }
  result <- .call("load_distalign", normalizePath(folder), .check_string(benchmark, "benchmark",
                  c("opinionqa", "globalopinionqa")), names(steering, "steering"), names(models, "models"),
                  names(methods, "methods"), .check_flag(borrow, "borrow"),
                  .check_string(midpoints, "midpoints", c("drop", "level")))
  tables <- lapply(result, .frame_out)
  if (isTRUE(dropped)) tables else tables$cells
}
