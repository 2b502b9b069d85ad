# Reference values for synthesis/proportions.py from R metafor (and lme4).
#
# Run from the repository root:  Rscript tests/reference/proportions.R
# Writes tests/reference/proportions.json, which the tests read (they never
# need R). Every fit records the R call that produced it.
#
# Tolerances of metafor's iterative estimators are tightened on purpose
# (control = list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)): with the
# defaults (threshold 1e-5 for the REML/ML Fisher scoring, uniroot tol
# ~1.2e-4 for Paule-Mandel) metafor stops before the 6th decimal, and the
# Python engine solves the estimating equations exactly.
#
# Counts are TEST INPUTS, not app data. Sources:
#  - /work/shared/research/comparators.csv (study_id, outcome, events, n), e.g.
#    LEGEND-2_5y ORR 65/74 and CR 54/74, LEGEND-2_Xian_2018 ORR 50/57,
#    KarMMa ORR 94/128, CARTITUDE-1_2y ORR 95/97, CARTIFAN-1 ORR 43/48,
#    CARTITUDE-2_cohortB ORR 19/19, CT103A_phase1 ORR 18/18,
#    LUMMICAR-1_phase1 ORR 14/14, CT053_IIT_phase1 ORR 21/24, and the CR,
#    grade>=3 CRS and ICANS counts below (several of them 'unverified' there).
#  - /work/shared/seeds/000_db6d33b9a88ea984.txt (single-centre, 11 patients):
#    "The ORR was 72.7% (8/11), including 6 complete remissions (54.5%)",
#    "2 (18.2%) with grades 3-4 CRS", "No patients developed ... (ICANS)".
#  - /work/shared/seeds/004_18ab58c7356de63a.txt (LEGEND-2 5-year):
#    "the ORR was 87.8% (65/74 patients). Fifty-four (73.0%) patients achieved
#    complete response (CR)".
# Datasets marked SYNTHETIC are invented edge cases (heavy heterogeneity, one
# big study, homogeneous counts) and say so.

suppressPackageStartupMessages({
  library(metafor)
  library(lme4)
  library(jsonlite)
})

CTRL <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
LEVEL <- 95

datasets <- list(
  index_orr = list(
    note = "ORR, index studies and comparators (comparators.csv, seeds)",
    study = c("Single-centre 2025", "LEGEND-2 (5-year)", "LEGEND-2 Xi'an 2018",
              "KarMMa", "CARTITUDE-1 (2-year)", "CARTIFAN-1",
              "CARTITUDE-2 cohort B", "CT103A phase 1", "LUMMICAR-1 phase 1",
              "CT053 IIT phase 1"),
    product = c("in-house", "cilta-cel", "cilta-cel", "ide-cel", "cilta-cel",
                "cilta-cel", "cilta-cel", "eque-cel", "zevor-cel", "zevor-cel"),
    xi = c(8, 65, 50, 94, 95, 43, 19, 18, 14, 21),
    ni = c(11, 74, 57, 128, 97, 48, 19, 18, 14, 24)),
  index_cr = list(
    note = "CR or better, index studies and comparators (comparators.csv, seeds)",
    study = c("Single-centre 2025", "LEGEND-2 (5-year)", "LEGEND-2 Xi'an 2018",
              "KarMMa", "CARTIFAN-1", "FUMANBA-1", "CT103A phase 1",
              "LUMMICAR-1 phase 1", "CT053 IIT phase 1"),
    product = c("in-house", "cilta-cel", "cilta-cel", "ide-cel", "cilta-cel",
                "eque-cel", "eque-cel", "zevor-cel", "zevor-cel"),
    xi = c(6, 54, 39, 42, 37, 75, 13, 11, 19),
    ni = c(11, 74, 57, 128, 48, 103, 18, 14, 24)),
  crs_grade3 = list(
    note = "Grade >=3 CRS, with a zero-event study (comparators.csv, seeds)",
    study = c("Single-centre 2025", "LEGEND-2 (4-year)", "LEGEND-2 Xi'an 2018",
              "KarMMa", "CARTITUDE-1", "CARTIFAN-1", "FUMANBA-1",
              "CT053 IIT phase 1"),
    xi = c(2, 7, 4, 7, 4, 17, 1, 0),
    ni = c(11, 74, 57, 128, 97, 48, 103, 24)),
  all_events = list(
    note = "ORR 100% in every study (comparators.csv)",
    study = c("CARTITUDE-2 cohort B", "CT103A phase 1", "LUMMICAR-1 phase 1"),
    xi = c(19, 18, 14), ni = c(19, 18, 14)),
  all_zero = list(
    note = "ICANS / grade>=3 neurotoxicity 0 in every study (comparators.csv, seed 000)",
    study = c("Single-centre 2025", "CT103A phase 1", "LEGEND-2 (4-year)"),
    xi = c(0, 0, 0), ni = c(11, 18, 74)),
  k1 = list(note = "one study (seed 000: ORR 8/11)",
            study = "Single-centre 2025", xi = 8, ni = 11),
  k2 = list(note = "two studies (seeds 000 and 004: ORR 8/11, 65/74)",
            study = c("Single-centre 2025", "LEGEND-2 (5-year)"),
            xi = c(8, 65), ni = c(11, 74)),
  heavy_het = list(note = "SYNTHETIC: heavy heterogeneity",
            study = paste("Synthetic", 1:6),
            xi = c(2, 45, 10, 30, 60, 5), ni = c(50, 50, 40, 35, 200, 12)),
  one_big = list(note = "SYNTHETIC: one big study among small ones",
            study = paste("Synthetic", 1:5),
            xi = c(5, 8, 6, 9, 400), ni = c(20, 25, 18, 30, 1000)),
  homogeneous = list(note = "SYNTHETIC: homogeneous counts (tau^2 at its bound 0)",
            study = paste("Synthetic", 1:4),
            xi = c(10, 11, 9, 10), ni = c(50, 50, 50, 50))
)

measures <- c("PLO", "PFT", "PAS", "PR")
methods <- c("FE", "DL", "REML", "PM", "ML")

transf_for <- function(measure) {
  switch(measure, PLO = transf.ilogit, PFT = transf.ipft.hm,
         PAS = transf.iarcsin, PR = function(x, ...) x)
}

num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NULL else unname(x)

summarise_fit <- function(res, measure, ni_all) {
  tf <- transf_for(measure)
  targs <- if (measure == "PFT") list(ni = ni_all) else NULL
  pr <- predict(res, transf = tf, targs = targs)
  prr <- predict(res)
  list(
    beta = num(c(res$beta)), se = num(res$se),
    ci_lb_t = num(res$ci.lb), ci_ub_t = num(res$ci.ub),
    pi_lb_t = num(prr$pi.lb), pi_ub_t = num(prr$pi.ub),
    estimate = num(pr$pred), ci_low = num(pr$ci.lb), ci_high = num(pr$ci.ub),
    pi_low = num(pr$pi.lb), pi_high = num(pr$pi.ub),
    tau2 = num(res$tau2), i2 = num(res$I2), h2 = num(res$H2),
    q = num(res$QE), q_p = num(res$QEp)
  )
}

# the engine's GLMM fallback rule: k = 1, all zero or all events -> IV logit REML
glmm_feasible <- function(xi, ni) length(xi) > 1 && any(xi > 0) && any(xi < ni)

fit_iv <- function(xi, ni, measure, method, hksj) {
  dat <- escalc(measure = measure, xi = xi, ni = ni)
  test <- if (hksj && length(xi) > 1) "knha" else "z"
  rma(yi, vi, data = dat, method = method, test = test, level = LEVEL, control = CTRL)
}

fit_glmm <- function(xi, ni, hksj) {
  test <- if (hksj) "t" else "z"
  rma.glmm(measure = "PLO", xi = xi, ni = ni, method = "ML", test = test,
           level = LEVEL, nAGQ = 7)
}

fits <- list()
loo <- list()
subgroups <- list()
studies <- list()

for (dname in names(datasets)) {
  d <- datasets[[dname]]
  xi <- d$xi; ni <- d$ni; k <- length(xi)
  cp <- t(sapply(seq_len(k), function(i) binom.test(xi[i], ni[i])$conf.int))
  wl <- t(sapply(seq_len(k), function(i) prop.test(xi[i], ni[i], correct = FALSE)$conf.int))
  studies[[dname]] <- list(cp_low = cp[, 1], cp_high = cp[, 2],
                           wilson_low = wl[, 1], wilson_high = wl[, 2])
  for (measure in measures) {
    dat <- escalc(measure = measure, xi = xi, ni = ni)
    for (method in methods) {
      for (hksj in c(FALSE, TRUE)) {
        if (hksj && k == 1) next
        res <- fit_iv(xi, ni, measure, method, hksj)
        out <- summarise_fit(res, measure, ni)
        out$weights <- unname(weights(res))
        out$yi <- unname(c(dat$yi)); out$vi <- unname(c(dat$vi))
        out$dataset <- dname; out$measure <- measure; out$method <- method
        out$hksj <- hksj
        out$call <- sprintf(
          "rma(yi, vi, data=escalc(measure='%s', xi, ni), method='%s', test='%s', control=CTRL); predict(res, transf=%s)",
          measure, method, if (hksj) "knha" else "z",
          c(PLO = "transf.ilogit", PFT = "transf.ipft.hm, targs=list(ni=ni)",
            PAS = "transf.iarcsin", PR = "none")[[measure]])
        fits[[length(fits) + 1]] <- out
        if (k >= 3) {
          tf <- transf_for(measure)
          targs <- if (measure == "PFT") list(ni = ni) else NULL
          l1 <- leave1out(res, transf = tf, targs = targs)
          loo[[length(loo) + 1]] <- list(
            dataset = dname, measure = measure, method = method, hksj = hksj,
            estimate = unname(l1$estimate), ci_low = unname(l1$ci.lb),
            ci_high = unname(l1$ci.ub), tau2 = unname(l1$tau2),
            i2 = unname(l1$I2), q = unname(l1$Q),
            call = "leave1out(res, transf, targs=list(ni=ni) for PFT: harmonic mean of all k)")
        }
      }
    }
  }
  if (glmm_feasible(xi, ni)) {
    for (hksj in c(FALSE, TRUE)) {
      res <- fit_glmm(xi, ni, hksj)
      pr <- predict(res, transf = transf.ilogit)
      prr <- predict(res)
      fits[[length(fits) + 1]] <- list(
        dataset = dname, measure = "PLO", method = "GLMM", hksj = hksj,
        beta = c(res$beta), se = res$se, ci_lb_t = res$ci.lb, ci_ub_t = res$ci.ub,
        pi_lb_t = prr$pi.lb, pi_ub_t = prr$pi.ub,
        estimate = pr$pred, ci_low = pr$ci.lb, ci_high = pr$ci.ub,
        pi_low = pr$pi.lb, pi_high = pr$pi.ub,
        tau2 = res$tau2, i2 = res$I2, h2 = res$H2,
        q = res$QE.Wld, q_p = res$QEp.Wld, q_lrt = res$QE.LRT, q_lrt_p = res$QEp.LRT,
        deviance = deviance(glmer(cbind(xi, ni - xi) ~ 1 + (1 | factor(seq_len(k))),
                                  family = binomial, nAGQ = 7)),
        call = sprintf("rma.glmm(measure='PLO', xi, ni, method='ML', test='%s', nAGQ=7); predict(res, transf=transf.ilogit)",
                       if (hksj) "t" else "z"))
      if (!hksj && k >= 3 && all(sapply(seq_len(k), function(i) glmm_feasible(xi[-i], ni[-i])))) {
        l1 <- lapply(seq_len(k), function(i) {
          r <- fit_glmm(xi[-i], ni[-i], FALSE)
          p <- predict(r, transf = transf.ilogit)
          c(p$pred, p$ci.lb, p$ci.ub, r$tau2)
        })
        l1 <- do.call(rbind, l1)
        loo[[length(loo) + 1]] <- list(
          dataset = dname, measure = "PLO", method = "GLMM", hksj = FALSE,
          estimate = l1[, 1], ci_low = l1[, 2], ci_high = l1[, 3], tau2 = l1[, 4],
          call = "for each i: rma.glmm(measure='PLO', xi[-i], ni[-i], nAGQ=7)")
      }
    }
  }
  if (!is.null(d$product)) {
    groups <- unique(d$product)
    for (measure in measures) {
      for (method in c(methods, "GLMM")) {
        if (method == "GLMM" && measure != "PLO") next
        for (hksj in c(FALSE, TRUE)) {
          per <- lapply(groups, function(g) {
            sel <- d$product == g
            gx <- xi[sel]; gn <- ni[sel]
            if (method == "GLMM" && glmm_feasible(gx, gn)) {
              r <- fit_glmm(gx, gn, hksj); used <- "GLMM"
            } else {
              m <- if (method == "GLMM") "REML" else method
              r <- fit_iv(gx, gn, measure, m, hksj); used <- m
            }
            s <- summarise_fit(r, measure, gn)
            s$subgroup <- g; s$k <- sum(sel); s$method <- used
            s
          })
          est <- sapply(per, function(s) s$beta)
          se <- sapply(per, function(s) s$se)
          bt <- rma(yi = est, sei = se, method = "FE")
          subgroups[[length(subgroups) + 1]] <- list(
            dataset = dname, measure = measure, method = method, hksj = hksj,
            groups = per, q_between = bt$QE, df_between = length(groups) - 1,
            p_between = bt$QEp,
            call = "per subgroup: same model on the subgroup (PFT back-transformed with the subgroup's harmonic mean n; a one-study subgroup uses z, and GLMM falls back to REML where infeasible); then rma(yi=beta_g, sei=se_g, method='FE')$QE")
        }
      }
    }
  }
}

# A different confidence level (90%) on one dataset, for every measure.
d <- datasets$index_cr
for (measure in measures) {
  for (method in c("DL", "REML")) {
    for (hksj in c(FALSE, TRUE)) {
      dat <- escalc(measure = measure, xi = d$xi, ni = d$ni)
      res <- rma(yi, vi, data = dat, method = method, test = if (hksj) "knha" else "z",
                 level = 90, control = CTRL)
      out90 <- summarise_fit(res, measure, d$ni)
      out90$dataset <- "index_cr"; out90$measure <- measure; out90$method <- method
      out90$hksj <- hksj; out90$level <- 90
      out90$call <- sprintf("rma(yi, vi, data=escalc(measure='%s', xi, ni), method='%s', test='%s', level=90, control=CTRL)",
                            measure, method, if (hksj) "knha" else "z")
      fits[[length(fits) + 1]] <- out90
    }
  }
}
for (hksj in c(FALSE, TRUE)) {
  res <- rma.glmm(measure = "PLO", xi = d$xi, ni = d$ni, method = "ML",
                  test = if (hksj) "t" else "z", level = 90, nAGQ = 7)
  pr <- predict(res, transf = transf.ilogit)
  fits[[length(fits) + 1]] <- list(
    dataset = "index_cr", measure = "PLO", method = "GLMM", hksj = hksj, level = 90,
    beta = c(res$beta), se = res$se, estimate = pr$pred, ci_low = pr$ci.lb,
    ci_high = pr$ci.ub, pi_low = pr$pi.lb, pi_high = pr$pi.ub, tau2 = res$tau2,
    call = sprintf("rma.glmm(measure='PLO', xi, ni, method='ML', test='%s', level=90, nAGQ=7)",
                   if (hksj) "t" else "z"))
}

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  lme4_version = as.character(packageVersion("lme4")),
  control = CTRL, level = LEVEL,
  datasets = lapply(datasets, function(d) d),
  studies = studies, fits = fits, leave1out = loo, subgroups = subgroups
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                  pretty = FALSE),
           "tests/reference/proportions.json")
cat("fits:", length(fits), " leave1out:", length(loo), " subgroups:", length(subgroups), "\n")
