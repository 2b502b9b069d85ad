# Reference values for synthesis/survival.py and synthesis/compare.py.
#
# Run from the repository root:  Rscript tests/reference/survival.R
# Writes tests/reference/survival.json (datasets included, so the tests never
# need R) and the two CAR-T-like IPD files used by the compare tests.
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

conf_level <- 0.95

# A small CAR-T-like trial, synthetic: months rounded to 0.1 (ties), a cure
# fraction (plateau) in arm A so its median is not reached.
set.seed(20261121)
make_arm <- function(n, cure, scale, shape, follow) {
  cured <- runif(n) < cure
  t_event <- ifelse(cured, Inf, scale * (-log(runif(n)))^(1 / shape))
  t_cens <- runif(n, 0.6 * follow, follow)
  time <- round(pmin(t_event, t_cens), 1)
  event <- as.integer(t_event <= t_cens)
  data.frame(time = time, event = event)
}
arm_a <- make_arm(97, 0.65, 6, 1.1, 36)
arm_b <- make_arm(120, 0.15, 11, 1.3, 30)
cart <- rbind(cbind(arm_a, group = "A"), cbind(arm_b, group = "B"))
write.csv(arm_a, "tests/reference/compare_arm_a.csv", row.names = FALSE)
write.csv(arm_b, "tests/reference/compare_arm_b.csv", row.names = FALSE)

datasets <- list(
  lung = data.frame(time = lung$time, event = lung$status - 1L,
                    group = ifelse(lung$sex == 1, "male", "female")),
  aml = data.frame(time = aml$time, event = aml$status,
                   group = as.character(aml$x)),
  veteran = data.frame(time = veteran$time, event = veteran$status,
                       group = ifelse(veteran$trt == 1, "standard", "test")),
  cart = cart
)
landmarks <- list(lung = c(90, 180, 365, 730), aml = c(10, 20, 30, 40),
                  veteran = c(30, 90, 180, 365), cart = c(6, 12, 24))
taus <- list(lung = c(365, 730), aml = c(20, 40), veteran = c(180, 365),
             cart = c(12, 24))

na_null <- function(x) { x <- as.numeric(x); x[!is.finite(x)] <- NA; x }

km_block <- function(d, landmarks, taus) {
  fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = "log",
                 conf.int = conf_level)
  s <- summary(fit, censored = TRUE)
  tab <- summary(fit, times = landmarks)
  med <- quantile(fit, probs = 0.5)
  rm <- lapply(taus, function(tau) {
    m <- survival:::survmean(fit, rmean = tau)$matrix
    list(tau = tau, estimate = unname(m["rmean"]), std_err = unname(m["se(rmean)"]))
  })
  m <- summary(fit)$table
  list(
    n = nrow(d),
    table = list(time = s$time, n_risk = s$n.risk, n_event = s$n.event,
                 n_censor = s$n.censor, survival = s$surv,
                 std_err = na_null(s$std.err),
                 ci_low = na_null(s$lower), ci_high = na_null(s$upper)),
    median = list(estimate = na_null(m["median"]), ci_low = na_null(m["0.95LCL"]),
                  ci_high = na_null(m["0.95UCL"])),
    landmarks = list(time = tab$time, n_risk = tab$n.risk, survival = tab$surv,
                     std_err = tab$std.err, ci_low = tab$lower, ci_high = tab$upper),
    rmean = rm
  )
}

out <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  calls = c(
    "survfit(Surv(time, event) ~ 1, conf.type = 'log', conf.int = 0.95); summary(fit, censored = TRUE)",
    "summary(fit)$table[c('median', '0.95LCL', '0.95UCL')]",
    "summary(fit, times = landmarks)",
    "survival:::survmean(fit, rmean = tau)  # as print(fit, rmean = tau)",
    "survdiff(Surv(time, event) ~ group)",
    "coxph(Surv(time, event) ~ I(group == second level), ties = 'efron')",
    "rmst diff: rmean_a - rmean_b +- z sqrt(se_a^2 + se_b^2)  # as survRM2::rmst2"
  ),
  datasets = list()
)

for (name in names(datasets)) {
  d <- datasets[[name]]
  levels <- sort(unique(d$group))
  d$x <- as.integer(d$group == levels[2])
  lr <- survdiff(Surv(time, event) ~ group, data = d)
  cx <- coxph(Surv(time, event) ~ x, data = d, ties = "efron")
  ci <- exp(confint(cx, level = conf_level))
  by_group <- lapply(levels, function(g) km_block(d[d$group == g, ], landmarks[[name]], taus[[name]]))
  names(by_group) <- levels
  rmst_diff <- lapply(seq_along(taus[[name]]), function(i) {
    a <- by_group[[levels[2]]]$rmean[[i]]; b <- by_group[[levels[1]]]$rmean[[i]]
    diff <- a$estimate - b$estimate; se <- sqrt(a$std_err^2 + b$std_err^2)
    z <- qnorm(0.5 + conf_level / 2)
    list(tau = a$tau, diff = diff, std_err = se, ci_low = diff - z * se, ci_high = diff + z * se)
  })
  out$datasets[[name]] <- list(
    data = list(time = d$time, event = d$event, group = d$group),
    levels = levels,
    pooled = km_block(d, landmarks[[name]], taus[[name]]),
    by_group = by_group,
    logrank = list(statistic = unname(lr$chisq), df = length(levels) - 1L,
                   p_value = 1 - pchisq(lr$chisq, length(levels) - 1L)),
    cox = list(group = levels[2], reference = levels[1], log_hr = unname(coef(cx)),
               std_err = unname(sqrt(vcov(cx)[1, 1])), hr = unname(exp(coef(cx))),
               ci_low = unname(ci[1]), ci_high = unname(ci[2]),
               p_value = unname(summary(cx)$coefficients[1, "Pr(>|z|)"])),
    rmst_diff = rmst_diff
  )
}

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/survival.json")
