# Reference values for crm.p_adjust, from base R's stats::p.adjust (an
# implementation independent of ours).  Run: Rscript test/refgen/p_adjust_refs.R
# Prints one SQL VALUES row per (vector, method); the rows are pasted into
# sql/stats_incrementality.sql.  NA is R's missing value, NULL in SQL.
options(digits = 17)

vectors <- list(
  v1 = c(0.01, 0.02, 0.03, 0.04, 0.05),
  v2 = c(0.04, 0.001, 0.3, 0.04, 0.0125, 0.9, 0.04, 0.2),          # ties
  v3 = c(0, 1, 0.5, NA, 0.02, 0, NA, 1, 0.049),                    # 0, 1, NA
  v4 = c(0.8, 0.6, 0.7, 0.9),
  v5 = c(1e-300, 3.3e-12, 0.0021, 0.012, 0.0374, 0.041, 0.22, 0.5, 0.73, 0.999, 0.001, 0.015),
  v6 = c(0.03),
  v7 = c(NA, 0.2, NA, 0.01)
)
methods <- c(bonferroni = "bonferroni", holm = "holm", hochberg = "hochberg", bh = "BH", by = "BY")

fmt <- function(x) paste0("{", paste(ifelse(is.na(x), "NULL", sprintf("%.17g", x)), collapse = ","), "}")
for (v in names(vectors)) {
  for (m in names(methods)) {
    cat(sprintf("('%s', '%s', '%s', '%s'),\n", v, m, fmt(vectors[[v]]),
                fmt(p.adjust(vectors[[v]], method = methods[[m]]))))
  }
}
