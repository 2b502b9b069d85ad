# Guyot et al. (2012) reconstruction as published (BMC Med Res Methodol 12:9,
# supplementary R code), the core that IPDfromKM and reconstructKM wrap.
# Baseline for bench/bench_reconstruct.py: same digitized inputs, same truth.
#
# Preprocessing as the R packages do it: points with t < 0 or S > 1 dropped,
# (0, 1) added, monotonicity by carrying the previous value forward, one
# point per time (the lower), risk-table times after the last point dropped.
# The only change to the published loops: an iteration cap, since they cycle
# forever on some inputs (survHE's reported hang); capped cases are counted.
#
# Usage: Rscript bench/guyot_2012.R MANIFEST.csv
#   MANIFEST columns: case, points, risk (file or ""), n_start, tot_events (NA), out
#   Writes each IPD to `out` (time,event) and prints case,ms,capped as CSV
#   (capped NA: the published code stopped with an error on this input).

args <- commandArgs(trailingOnly = TRUE)
manifest <- read.csv(args[1], stringsAsFactors = FALSE, colClasses = c(risk = "character"))
manifest$risk[is.na(manifest$risk)] <- ""  # a manifest without any risk table
MAX_LOOPS <- 1000

prepare <- function(points) {
  keep <- points$time >= 0 & points$survival <= 1
  t <- points$time[keep]; s <- pmax(points$survival[keep], 0)
  o <- order(t, -s); t <- t[o]; s <- s[o]
  s <- cummin(s)
  last <- !duplicated(t, fromLast = TRUE)
  t <- t[last]; s <- s[last]
  if (t[1] > 0) { t <- c(0, t); s <- c(1, s) } else s[1] <- 1
  list(t = t, s = s)
}

guyot <- function(t.S, S, t.risk, n.risk, tot.events) {
  capped <- FALSE
  n.int <- length(n.risk)
  lower <- sapply(t.risk, function(x) which(t.S >= x)[1])
  upper <- c(lower[-1] - 1, length(t.S))
  n.t <- upper[n.int]
  n.censor <- rep(0, n.int)
  n.hat <- rep(n.risk[1] + 1, n.t + 1)
  cen <- rep(0, n.t); d <- rep(0, n.t); KM.hat <- rep(1, n.t)
  last.i <- rep(1, n.int); sumdL <- 0
  spread <- function(i, from, to, count, lo, hi) {
    cen.t <- t.S[from] + (1:count) * (t.S[to] - t.S[from]) / (count + 1)
    hist(cen.t, breaks = t.S[lo:hi], plot = FALSE)$counts
  }
  if (n.int > 1) {
    for (i in 1:(n.int - 1)) {
      n.censor[i] <- round(n.risk[i] * S[lower[i + 1]] / S[lower[i]] - n.risk[i + 1])
      loops <- 0
      while ((n.hat[lower[i + 1]] > n.risk[i + 1]) ||
             ((n.hat[lower[i + 1]] < n.risk[i + 1]) && (n.censor[i] > 0))) {
        loops <- loops + 1
        if (loops > MAX_LOOPS) { capped <- TRUE; break }
        if (n.censor[i] <= 0) { cen[lower[i]:upper[i]] <- 0; n.censor[i] <- 0 }
        if (n.censor[i] > 0) {
          cen[lower[i]:upper[i]] <- spread(i, lower[i], lower[i + 1], n.censor[i], lower[i], lower[i + 1])
        }
        n.hat[lower[i]] <- n.risk[i]
        last <- last.i[i]
        for (k in lower[i]:upper[i]) {
          if (i == 1 & k == lower[i]) { d[k] <- 0; KM.hat[k] <- 1 }
          else {
            d[k] <- round(n.hat[k] * (1 - (S[k] / KM.hat[last])))
            KM.hat[k] <- KM.hat[last] * (1 - (d[k] / n.hat[k]))
          }
          n.hat[k + 1] <- n.hat[k] - d[k] - cen[k]
          if (d[k] != 0) last <- k
        }
        n.censor[i] <- n.censor[i] + (n.hat[lower[i + 1]] - n.risk[i + 1])
      }
      if (n.hat[lower[i + 1]] < n.risk[i + 1]) n.risk[i + 1] <- n.hat[lower[i + 1]]
      last.i[(i + 1)] <- last
    }
  }
  if (n.int > 1) {
    n.censor[n.int] <- min(round(sum(n.censor[1:(n.int - 1)]) * (t.S[upper[n.int]] - t.S[lower[n.int]]) /
                                   (t.S[upper[(n.int - 1)]] - t.S[lower[1]])), n.risk[n.int])
  }
  if (n.int == 1) n.censor[n.int] <- 0
  last_walk <- function() {
    if (n.censor[n.int] <= 0) {
      if (upper[n.int] > lower[n.int]) cen[lower[n.int]:(upper[n.int] - 1)] <<- 0
      n.censor[n.int] <<- 0
    }
    if (n.censor[n.int] > 0 && upper[n.int] > lower[n.int]) {
      cen[lower[n.int]:(upper[n.int] - 1)] <<- spread(n.int, lower[n.int], upper[n.int], n.censor[n.int],
                                                      lower[n.int], upper[n.int])
    }
    n.hat[lower[n.int]] <<- n.risk[n.int]
    last <- last.i[n.int]
    for (k in lower[n.int]:upper[n.int]) {
      if (KM.hat[last] != 0) d[k] <<- round(n.hat[k] * (1 - (S[k] / KM.hat[last]))) else d[k] <<- 0
      KM.hat[k] <<- KM.hat[last] * (1 - (d[k] / n.hat[k]))
      n.hat[k + 1] <<- n.hat[k] - d[k] - cen[k]
      if (n.hat[k + 1] < 0) { n.hat[k + 1] <<- 0; cen[k] <<- n.hat[k] - d[k] }
      if (d[k] != 0) last <- k
    }
  }
  last_walk()
  if (!is.na(tot.events)) {
    if (n.int > 1) {
      sumdL <- sum(d[1:upper[(n.int - 1)]])
      if (sumdL >= tot.events) {
        d[lower[n.int]:upper[n.int]] <- 0
        if (upper[n.int] > lower[n.int]) cen[lower[n.int]:(upper[n.int] - 1)] <- 0
        n.hat[(lower[n.int] + 1):(upper[n.int] + 1)] <- n.risk[n.int]
      }
    }
    if ((sumdL < tot.events) || (n.int == 1)) {
      sumd <- sum(d[1:upper[n.int]])
      loops <- 0
      while ((sumd > tot.events) || ((sumd < tot.events) && (n.censor[n.int] > 0))) {
        loops <- loops + 1
        if (loops > MAX_LOOPS) { capped <- TRUE; break }
        n.censor[n.int] <- n.censor[n.int] + (sumd - tot.events)
        last_walk()
        sumd <- sum(d[1:upper[n.int]])
      }
    }
  }
  # IPD as published: events at the points, censorings at the midpoints, the rest at the end.
  t.IPD <- rep(t.S[n.t], n.risk[1]); event.IPD <- rep(0, n.risk[1])
  k <- 1
  for (j in 1:n.t) if (d[j] > 0) {
    t.IPD[k:(k + d[j] - 1)] <- t.S[j]; event.IPD[k:(k + d[j] - 1)] <- 1; k <- k + d[j]
  }
  for (j in 1:(n.t - 1)) if (cen[j] > 0) {
    t.IPD[k:(k + cen[j] - 1)] <- (t.S[j] + t.S[j + 1]) / 2; k <- k + cen[j]
  }
  list(ipd = data.frame(time = t.IPD, event = event.IPD)[seq_len(n.risk[1]), ], capped = capped)
}

cat("case,ms,capped\n")
for (r in seq_len(nrow(manifest))) {
  m <- manifest[r, ]
  curve <- prepare(read.csv(m$points))
  if (nzchar(m$risk)) {
    risk <- read.csv(m$risk)
    risk <- risk[risk$time <= max(curve$t), ]
    t.risk <- risk$time; n.risk <- risk$n_risk
  } else {
    t.risk <- 0; n.risk <- m$n_start
  }
  tot <- if (is.na(m$tot_events)) NA else m$tot_events
  reps <- 5
  start <- proc.time()[["elapsed"]]
  for (rep in seq_len(reps)) {
    result <- tryCatch(guyot(curve$t, curve$s, t.risk, n.risk, tot), error = function(e) NULL)
  }
  ms <- 1000 * (proc.time()[["elapsed"]] - start) / reps
  if (is.null(result)) {
    cat(sprintf("%s,%.3f,NA\n", m$case, ms))
  } else {
    write.csv(result$ipd, m$out, row.names = FALSE)
    cat(sprintf("%s,%.3f,%d\n", m$case, ms, as.integer(result$capped)))
  }
}
