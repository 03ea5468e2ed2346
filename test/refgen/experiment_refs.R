# Reference values for the experiment statistics, computed with base R
# (an implementation independent of ours).  Run: Rscript test/refgen/experiment_refs.R
# The numbers are pasted into sql/stats_uplift_ttest.sql, sql/stats_uplift_ztest.sql,
# sql/stats_nps.sql and sql/stats_srm_sample_size.sql; each data set below is rebuilt there in SQL
# by the same integer formulas.
options(digits = 17)

welch <- function(name, treatment, control, conf = 0.95) {
  r <- t.test(treatment, control, var.equal = FALSE, conf.level = conf)
  mt <- mean(treatment); mc <- mean(control)
  vt <- var(treatment) / length(treatment); vc <- var(control) / length(control)
  z <- qnorm(1 - (1 - conf) / 2)
  lift <- (mt - mc) / abs(mc)
  se_lift <- sqrt(vt / mc^2 + mt^2 * vc / mc^4)
  cat(sprintf("%s: t=%.17g df=%.17g p=%.17g ci=[%.17g, %.17g] sd_t=%.17g sd_c=%.17g lift=%.17g lift_ci=[%.17g, %.17g] inc=%.17g\n",
              name, r$statistic, r$parameter, r$p.value, r$conf.int[1], r$conf.int[2],
              sd(treatment), sd(control), lift, lift - z * se_lift, lift + z * se_lift,
              (mt - mc) * length(treatment)))
}

# T1: the sleep data (Student 1908), treatment = group 1
welch("T1 sleep", sleep$extra[sleep$group == 1], sleep$extra[sleep$group == 2])

# T2: unequal arms, moderate p (confidence 0.90)
i <- 1:50; j <- 1:70
welch("T2", (i * 37) %% 101 + 0.25 * i, (j * 53) %% 97, conf = 0.90)

# T3: a p-value deep in the tail
i <- 1:40; j <- 1:30
welch("T3 tail", 100 + (i * 7) %% 11, 60 + (j * 5) %% 13)

# T4: values near 1e9 with a small spread (naive sums of squares lose the variance)
i <- 1:200; j <- 1:300
welch("T4 1e9", 1e9 + ((i * 7) %% 13) / 10, 1e9 + ((j * 11) %% 17) / 10 - 0.05)

# T5: one arm constant: df = n_other - 1
welch("T5 one constant", rep(5, 10), (1:12) %% 4)

# Z-tests: pooled two-proportion z = signed sqrt of Pearson chi-square without Yates
prop <- function(name, xt, nt, xc, nc) {
  r <- prop.test(c(xt, xc), c(nt, nc), correct = FALSE)
  z <- sign(xt / nt - xc / nc) * sqrt(unname(r$statistic))
  cat(sprintf("%s: z=%.17g p=%.17g\n", name, z, r$p.value))
}
prop("Z1 Newcombe a", 56, 70, 48, 80)
prop("Z2 Newcombe b", 9, 10, 3, 10)
prop("Z3 large", 5200, 100000, 5000, 100000)
prop("Z4 tail", 9000, 20000, 6000, 20000)

# SRM: chi-square goodness of fit against the planned share
srm <- function(nt, nc, share) {
  cat(sprintf("SRM(%d, %d, %g): p=%.17g\n", nt, nc, share,
              chisq.test(c(nt, nc), p = c(share, 1 - share))$p.value))
}
srm(5000, 5000, 0.5); srm(5100, 4900, 0.5); srm(50500, 49500, 0.5); srm(9000, 1000, 0.9)
srm(9300, 700, 0.9); srm(1000000, 1010000, 0.5)

# Sample sizes: R's power.prop.test solves the Fleiss formula numerically (tight tolerance)
pp <- function(p1, p2, alpha = 0.05, power = 0.8)
  cat(sprintf("ztest n(%g -> %g, alpha %g, power %g) = %.10f\n", p1, p2, alpha, power,
              power.prop.test(p1 = p1, p2 = p2, sig.level = alpha, power = power, tol = 1e-12)$n))
pp(0.10, 0.12); pp(0.05, 0.045); pp(0.30, 0.40, 0.01, 0.9)
tt <- function(sd, mde, alpha = 0.05, power = 0.8)
  cat(sprintf("ttest n(sd %g, mde %g, alpha %g, power %g) = %.10f   (power.t.test, noncentral t: %.4f)\n",
              sd, mde, alpha, power, 2 * (qnorm(1 - alpha / 2) + qnorm(power))^2 * sd^2 / mde^2,
              power.t.test(delta = mde, sd = sd, sig.level = alpha, power = power)$n))
tt(40, 2); tt(1, 0.2); tt(15.5, 0.5, 0.01, 0.9)

# NPS: share of promoters minus share of detractors, SE = 100 sqrt((p+ + p- - (p+ - p-)^2) / n)
nps <- function(name, s, conf = 0.95) {
  n <- length(s); pp <- mean(s >= 9); pd <- mean(s <= 6)
  se <- 100 * sqrt((pp + pd - (pp - pd)^2) / n); moe <- qnorm(1 - (1 - conf) / 2) * se
  cat(sprintf("%s: n=%d promoters=%d passives=%d detractors=%d nps=%.17g moe=%.17g\n", name, n,
              sum(s >= 9), sum(s >= 7 & s <= 8), sum(s <= 6), 100 * (pp - pd), moe))
}
i <- 1:200
nps("N1", (i * 7) %% 11)
nps("N2 conf 0.9", pmin(10, (i * 13) %% 17), 0.9)
