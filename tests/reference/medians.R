# Reference values for synthesis/medians.py::pool_medians.
#
# Run from the repository root:  Rscript tests/reference/medians.R
# metamedian is not packaged for Debian; its pool.med (McGrath et al. 2019,
# norm.approx = TRUE) is the weighted quantile (Hmisc::wtd.quantile) of the
# study medians at 0.5 and 0.5 -+ qnorm((1 + level) / 2) / (2 sqrt(k)), with
# the probability offset capped at 0.5. This script computes exactly that.
suppressPackageStartupMessages({
  library(Hmisc)
  library(jsonlite)
})

pool <- function(yi, wi = NULL, level = 0.95) {
  k <- length(yi)
  offset <- min(0.5, qnorm(0.5 * level + 0.5) / (2 * sqrt(k)))
  probs <- c(0.5 - offset, 0.5, 0.5 + offset)
  q <- if (is.null(wi)) unname(quantile(yi, probs)) else unname(wtd.quantile(yi, weights = wi, probs = probs))
  list(ci_low = q[1], estimate = q[2], ci_high = q[3])
}

# metamedian's documented example values, with and without sample sizes.
yi <- c(5.23, 3.10, 0.50, 0.78, 3.48, 0.59, 2.20, 5.06, 4.00)
ni <- c(30, 52, 21, 70, 12, 44, 60, 25, 90)
# Synthetic study medians (months) with sample sizes, not from publications;
# a not-reached median enters once at its follow-up (lower bound) and once
# as a value above all others (1e9): the two placements pool_medians brackets.
nr_low <- c(12.0, 8.8, 20.0, 18.0)
nr_high <- c(1e9, 8.8, 20.0, 18.0)
nr_n <- c(97, 128, 40, 57)

cases <- list(
  list(name = "example_MM", yi = yi, wi = NULL),
  list(name = "example_WM", yi = yi, wi = ni),
  list(name = "example_WM_90", yi = yi, wi = ni, level = 0.90),
  list(name = "nr_at_bound_WM", yi = nr_low, wi = nr_n),
  list(name = "nr_above_all_WM", yi = nr_high, wi = nr_n),
  list(name = "two_studies_WM", yi = c(6.0, 18.0), wi = c(11, 74))
)
out <- list(
  r_version = R.version.string,
  hmisc_version = as.character(packageVersion("Hmisc")),
  call = "Hmisc::wtd.quantile(yi, weights = wi, probs = 0.5 + c(-1, 0, 1) * min(0.5, qnorm((1 + level) / 2) / (2 * sqrt(k))))",
  cases = lapply(cases, function(case) {
    level <- if (is.null(case$level)) 0.95 else case$level
    c(list(name = case$name, yi = case$yi, wi = case$wi, level = level),
      pool(case$yi, case$wi, level))
  })
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           "tests/reference/medians.json")
