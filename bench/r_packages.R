# The R packages themselves on the benchmark's inputs, where R has them:
# IPDfromKM (Liu, Zhou, Lee 2021: preprocess() then getIPD()) and
# reconstructKM (Sun: format_raw_tabs() then KM_reconstruct(); it has no
# mode without a risk table). Called by bench/bench_reconstruct.py beside
# bench/guyot_2012.R; a package R cannot load is left out, and the
# benchmark says so.
#
# Input as each package's documentation asks for it:
# - IPDfromKM takes the digitized points as they are (it cleans them itself)
#   and the risk table, or the number at the start, and the total events.
# - reconstructKM refuses unsorted, rising or unanchored clicks and a last
#   click on a flat stretch, so the points get the cleaning a user must do
#   first: those with t < 0 or S > 1 dropped, sorted, made non-increasing,
#   one per time (the lower), (0, 1) put first, and the flat tail after the
#   last drop cut. An input it still refuses counts as failed.
#
# Usage: Rscript bench/r_packages.R MANIFEST.csv
#   MANIFEST as for bench/guyot_2012.R (case, points, risk, n_start,
#   tot_events, out). Writes each IPD to `out` with "-<package>" before
#   ".csv" (columns time,event) and prints package,case,ms,failed as CSV;
#   reconstructKM only for the cases with a risk table.

args <- commandArgs(trailingOnly = TRUE)
manifest <- read.csv(args[1], stringsAsFactors = FALSE, colClasses = c(risk = "character"))
manifest$risk[is.na(manifest$risk)] <- ""

clicked_by_hand <- function(points) {
  keep <- points$time >= 0 & points$survival <= 1
  t <- points$time[keep]; s <- pmax(points$survival[keep], 0)
  o <- order(t, -s); t <- t[o]; s <- cummin(s[o])
  last <- !duplicated(t, fromLast = TRUE)
  t <- t[last]; s <- s[last]
  if (t[1] > 0) { t <- c(0, t); s <- c(1, s) } else s[1] <- 1
  end <- max(which(c(TRUE, diff(s) < 0)))
  data.frame(time = t[seq_len(end)], survival = s[seq_len(end)])
}

run_ipdfromkm <- function(m, points, risk) {
  tot <- if (is.na(m$tot_events)) NULL else m$tot_events
  prep <- if (is.null(risk)) {
    IPDfromKM::preprocess(points, totalpts = m$n_start, maxy = 1)
  } else {
    IPDfromKM::preprocess(points, trisk = risk$time, nrisk = risk$n_risk, maxy = 1)
  }
  ipd <- IPDfromKM::getIPD(prep, armID = 1, tot.events = tot)$IPD
  data.frame(time = ipd$time, event = ipd$status)
}

run_reconstructkm <- function(m, points, risk) {
  tabs <- reconstructKM::format_raw_tabs(
    raw_NAR = data.frame(time = risk$time, NAR = risk$n_risk),
    raw_surv = clicked_by_hand(points)
  )
  fit <- reconstructKM::KM_reconstruct(aug_NAR = tabs$aug_NAR, aug_surv = tabs$aug_surv)
  data.frame(time = fit$IPD_time, event = fit$IPD_event)
}

tools <- list(IPDfromKM = run_ipdfromkm, reconstructKM = run_reconstructkm)
tools <- tools[vapply(names(tools), requireNamespace, logical(1), quietly = TRUE)]

cat("package,case,ms,failed\n")
for (name in names(tools)) {
  for (r in seq_len(nrow(manifest))) {
    m <- manifest[r, ]
    points <- read.csv(m$points)[, c("time", "survival")]
    risk <- if (nzchar(m$risk)) read.csv(m$risk) else NULL
    if (name == "reconstructKM" && is.null(risk)) next  # it has no mode without a risk table
    reps <- 3
    start <- proc.time()[["elapsed"]]
    for (rep in seq_len(reps)) {
      ipd <- tryCatch(suppressWarnings(tools[[name]](m, points, risk)), error = function(e) NULL)
    }
    ms <- 1000 * (proc.time()[["elapsed"]] - start) / reps
    if (!is.null(ipd)) write.csv(ipd, sub("\\.csv$", paste0("-", name, ".csv"), m$out), row.names = FALSE)
    cat(sprintf("%s,%s,%.3f,%d\n", name, m$case, ms, as.integer(is.null(ipd))))
  }
}
