# Renders Kaplan-Meier figures of SYNTHETIC arms with R's own graphics (base
# plot.survfit and ggplot2), the renderers most published figures come from,
# and prints each figure's exact calibration: the pixel positions of t = 0 and
# the right end of the time axis and of survival 0 and 1, read from R's own
# coordinate transforms.
# Usage: Rscript km_figures_r.R ARMS.csv OUT_DIR > OUT_DIR/manifest.csv
# (tests/reference/make_r_figures.py runs it; the tests need no R).
suppressPackageStartupMessages({library(survival); library(ggplot2); library(grid)})
args <- commandArgs(TRUE)
arms <- read.csv(args[1]); out_dir <- args[2]
WIDTH <- 900; HEIGHT <- 650; RES <- 110; X_MAX <- 36

base_figure <- function(d, file, style) {
  fit <- survfit(Surv(time, event) ~ arm, data = d)
  cols <- c("#E7B800", "#2E9FDF"); lty <- c(1, 1); lwd <- 2
  if (style == "base bw") { cols <- c("black", "black"); lty <- c(1, 2) }
  if (style == "base thin") lwd <- 1
  png(file, width = WIDTH, height = HEIGHT, res = RES)
  par(mar = c(5, 5, 2, 2))
  plot(fit, col = cols, lty = lty, lwd = lwd, mark.time = TRUE, xlim = c(0, X_MAX), ylim = c(0, 1),
       xaxs = "i", yaxs = "i", xlab = "Months", ylab = "Progression-free survival", xaxt = "n")
  axis(1, at = seq(0, X_MAX, 6))
  legend("topright", legend = c("Arm A", "Arm B"), col = cols, lty = lty, lwd = lwd, bty = "n")
  # Device coordinates of a png device are pixels from the top-left corner.
  cal <- c(grconvertX(c(0, X_MAX), "user", "device"), grconvertY(c(0, 1), "user", "device"))
  dev.off()
  cal
}

gg_figure <- function(d, file, style) {
  fit <- survfit(Surv(time, event) ~ arm, data = d)
  steps <- do.call(rbind, lapply(sort(unique(d$arm)), function(a) {
    k <- fit[paste0("arm=", a)]
    data.frame(arm = a, time = c(0, k$time), surv = c(1, k$surv), n.censor = c(0, k$n.censor))
  }))
  p <- ggplot(steps, aes(time, surv, colour = arm)) +
    geom_step(linewidth = if (style == "ggplot thin") 0.3 else 0.8) +
    geom_point(data = steps[steps$n.censor > 0, ], shape = 3, size = 2) +
    scale_x_continuous(limits = c(0, X_MAX), breaks = seq(0, X_MAX, 6), expand = c(0.02, 0)) +
    scale_y_continuous(limits = c(0, 1), expand = c(0.02, 0)) +
    labs(x = "Months", y = "Survival probability")
  if (style == "ggplot classic") p <- p + theme_classic()
  built <- ggplot_build(p)$layout$panel_params[[1]]
  png(file, width = WIDTH, height = HEIGHT, res = RES)
  grid.newpage(); grid.draw(ggplotGrob(p)); grid.force()
  seekViewport(grep("^panel", grid.ls(viewports = TRUE, print = FALSE)$name, value = TRUE)[1])
  corner <- function(x, y) unlist(lapply(deviceLoc(unit(x, "npc"), unit(y, "npc")), as.numeric))
  lo <- corner(0, 0); hi <- corner(1, 1)
  dev.off()
  # deviceLoc gives inches from the bottom-left; panel npc 0-1 spans the expanded data ranges.
  xr <- built$x.range; yr <- built$y.range
  to_px <- function(v, r, a, b) a + (v - r[1]) / (r[2] - r[1]) * (b - a)
  c(to_px(c(0, X_MAX), xr, lo[1], hi[1]) * RES, HEIGHT - to_px(c(0, 1), yr, lo[2], hi[2]) * RES)
}

# R's device coordinates count from the image's top-left corner, with pixel i
# spanning [i, i + 1]; the digitizer puts the centre of pixel i at i.
to_pixel_centres <- function(cal) cal - 0.5

styles <- c("base colour", "base bw", "base thin", "ggplot grey", "ggplot classic", "ggplot thin")
cat("file,seed,style,x0_px,x1_px,y0_px,y1_px,x_max\n")
for (seed in sort(unique(arms$seed))) {
  d <- arms[arms$seed == seed, ]
  for (style in styles) {
    file <- sprintf("%s_%d.png", gsub(" ", "_", style), seed)
    draw <- if (startsWith(style, "base")) base_figure else gg_figure
    cal <- to_pixel_centres(draw(d, file.path(out_dir, file), style))
    cat(sprintf("%s,%d,%s,%.3f,%.3f,%.3f,%.3f,%g\n", file, seed, style, cal[1], cal[2], cal[3], cal[4], X_MAX))
  }
}
