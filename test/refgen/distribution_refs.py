#!/usr/bin/python3
"""Reference values for the distribution functions, computed with mpmath.

Writes test/data/distribution_refs.csv: function, x (or p), df, expected, tolerance.
Every input is an exact double (written with repr), and the expected value is
the exact function value at that double, computed at 80 significant digits and
rounded to 20.  Run by `make refs` (needs python3-mpmath from Debian); the CSV
is committed, so the test suite itself does not need mpmath.

Tolerances are the relative errors the SQL API promises (doc/reference/stats.md,
"Distribution functions"): 1e-13 in the body, 1e-10 for df up to 1e6 and for
tails down to 1e-300.
"""
import csv
import os
import sys

import mpmath as mp
from scipy.stats import t as scipy_t  # only to skip unrepresentable tails

mp.mp.dps = 80


def t_lower(x, df):
    """P(T <= x), exact for a double x and df."""
    x = mp.mpf(x)
    df = mp.mpf(df)
    if x == 0:
        return mp.mpf("0.5")
    half = mp.mpf(1) / 2
    xb = df / (df + x * x)
    if xb < 0.5:
        tail = mp.betainc(df / 2, half, 0, xb, regularized=True) / 2
    else:
        # x near 1 (large df): the hypergeometric series of I_x(df/2, 1/2) converges too
        # slowly; use the complement I_y(1/2, df/2) with y = x^2/(df + x^2), at a working
        # precision high enough to survive the subtraction down to 1e-330.
        # extra digits: as many as the tail has leading zeros (float estimate suffices)
        log_tail = scipy_t.logsf(abs(float(x)), float(df))
        extra = 20 + (max(0, int(-log_tail / 2.3)) if log_tail > -1000 else 440)
        with mp.workdps(mp.mp.dps + extra):
            yb = x * x / (df + x * x)
            tail = (1 - mp.betainc(half, df / 2, 0, yb, regularized=True)) / 2
    return tail if x < 0 else 1 - tail


def t_upper(x, df):
    return t_lower(-mp.mpf(x), df)


def solve_increasing(f, lo, hi):
    """Root of an increasing function f on [lo, hi] (f(lo) < 0 < f(hi)), to 70 digits."""
    flo, fhi = f(lo), f(hi)
    assert flo < 0 < fhi, (lo, hi, flo, fhi)
    for _ in range(2000):
        # regula falsi (Illinois), falling back to bisection in log scale for wide brackets
        if hi / lo > 4:
            mid = mp.sqrt(lo * hi)
        else:
            mid = hi - fhi * (hi - lo) / (fhi - flo)
        fm = f(mid)
        if fm == 0 or (hi - lo) < abs(mid) * mp.mpf(10) ** -70:
            return mid
        if fm < 0:
            lo, flo = mid, fm
            fhi /= 2
        else:
            hi, fhi = mid, fm
            flo /= 2
    raise RuntimeError("no convergence")


def t_pdf(t, df):
    df = mp.mpf(df)
    return mp.exp(mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2) - mp.log(df * mp.pi) / 2
                  - (df + 1) / 2 * mp.log1p(t * t / df))


def t_quantile(p, df):
    """Solve P(T <= t) = p for t: Newton on the log of the nearer tail from scipy's
    estimate, falling back to a bracketing solver if Newton does not settle."""
    p = mp.mpf(p)
    q = min(p, 1 - p)
    sign = -1 if p < 0.5 else 1
    if q < mp.mpf("0.25"):
        f = lambda t: mp.log(q) - mp.log(t_upper(t, df))
        fprime = lambda t: t_pdf(t, df) / t_upper(t, df)
    else:
        f = lambda t: (t_lower(t, df) - mp.mpf("0.5")) - (mp.mpf("0.5") - q)
        fprime = lambda t: t_pdf(t, df)
    start = float(scipy_t.isf(float(q), df))
    if 0 < start < 1e290:
        t = mp.mpf(start)
        for _ in range(30):
            step = f(t) / fprime(t)
            t_new = t - step
            if t_new <= 0:
                break
            if abs(step) < abs(t_new) * mp.mpf(10) ** -70:
                return sign * t_new
            t = t_new
    lo, hi = mp.mpf(10) ** -30, mp.mpf(1)
    while f(hi) < 0:
        hi *= 16
    return sign * solve_increasing(f, lo, hi)


def normal_cdf(x):
    return mp.ncdf(mp.mpf(x))


def normal_quantile(p):
    p = mp.mpf(p)
    with mp.workdps(400):
        return -mp.sqrt(2) * mp.erfinv(1 - 2 * p)


def chi2_sf(x, df):
    return mp.gammainc(mp.mpf(df) / 2, mp.mpf(x) / 2, mp.inf, regularized=True)


def tol_for(value, df=None):
    """Promised relative error for this case."""
    v = abs(value)
    if df is not None and df > 1e4:
        return 1e-10
    if v != 0 and v < 1e-20:
        return 1e-10
    return 1e-13


rows = []


def add(func, x, df, expected, tol=None):
    e = mp.mpf(expected)
    if e != 0 and (abs(e) < mp.mpf("1e-300") or abs(e) > mp.mpf("1e300")):
        return
    rows.append((func, repr(float(x)), "" if df is None else repr(float(df)), mp.nstr(e, 20, min_fixed=-1, max_fixed=-1),
                 "%.0e" % (tol if tol is not None else tol_for(float(e), df))))


# normal cdf: body and both tails, down to 1e-300
for x in [0.0, 1e-300, 1e-10, -1e-10, 0.1, -0.5, 1.0, -1.0, 1.959963984540054, -1.959963984540054, 2.5,
          -3.0, 5.0, -5.0, 8.0, -8.0, 8.2, -10.0, -15.0, -20.0, -25.5, -30.0, -35.0, -37.0, -37.5]:
    add("normal_cdf", x, None, normal_cdf(x))

# normal quantile
probs = [1e-300, 1e-250, 1e-200, 1e-100, 1e-50, 1e-20, 1e-15, 1e-10, 1e-5, 1e-3, 0.01, 0.025, 0.05, 0.1,
         0.2, 0.25, 0.3, 0.4, 0.45, 0.49, 0.4999999, 0.5 - 1e-12, 0.5 + 1e-10, 0.51, 0.6, 0.7, 0.75, 0.8,
         0.9, 0.95, 0.975, 0.99, 0.999, 0.999999, 1 - 1e-10, 1 - 1e-15]
for p in probs:
    add("normal_quantile", p, None, normal_quantile(p))

# Student t cdf: a grid of x and df, plus the x where the tail is 1e-k
dfs = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.3, 10.0, 17.776, 30.0, 100.0, 1000.0, 3867.0, 1e4, 1e5,
       1e6]
xs = [-1e6, -1e3, -100.0, -40.0, -20.0, -10.0, -5.0, -3.0, -2.05, -2.0, -1.0, -0.5, -0.1, -1e-8, 0.0,
      1e-8, 0.3, 1.0, 1.96, 2.05, 3.0, 10.0, 50.0]
for df in dfs:
    for x in xs:
        # skip tails far below 1e-300 (not representable, and slow in mpmath)
        if x != 0 and scipy_t.logsf(abs(x), df) < -700:
            continue
        add("student_t_cdf", x, df, t_lower(x, df))
    for k in [10, 20, 50, 100, 200, 300]:
        q = mp.mpf(10) ** -k
        tq = t_quantile(q, df)
        if abs(tq) < 1e300:
            x = float(tq)
            add("student_t_cdf", x, df, t_lower(x, df))

# Student t quantile
for df in dfs:
    for p in [1e-300, 1e-100, 1e-20, 1e-10, 1e-6, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.3, 0.45,
              0.5 - 1e-9, 0.5 + 1e-10, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-10]:
        tq = t_quantile(p, df)
        if abs(tq) < 1e300:
            add("student_t_quantile", p, df, tq)

# chi-square upper tail
for df in [0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 17.5, 50.0, 100.0, 1000.0, 1e4, 1e5, 1e6]:
    for x in sorted({1e-10, 0.001, 0.1, 1.0, 3.841458820694124, df / 2, df, df * 1.01, df + 3 * (2 * df) ** 0.5,
                     df * 2, df * 10, 100.0, 1000.0, 1400.0, 3000.0}):
        add("chi2_sf", x, df, chi2_sf(x, df))
    # the x where the upper tail is 1e-k
    for k in [20, 100, 300]:
        target = mp.mpf(10) ** -k
        hi = mp.mpf(df) + 10
        while chi2_sf(hi, df) > target:
            hi *= 2
        x = solve_increasing(lambda v: mp.log(target) - mp.log(chi2_sf(v, df)), mp.mpf(df) / 4, hi)
        add("chi2_sf", float(x), df, chi2_sf(float(x), df))

# Large df, where the code switches to asymptotic forms (t from df = 1e7, chi-square from
# df = 2e9): both sides of each switch and far beyond it, body and tails.
for df in [9.9e6, 1e7, 1e8, 1e10, 1e12, 1e15, 1e20]:
    for x in [-38.0, -30.0, -10.0, -2.0, -1e-8, 0.5, 1.96, 8.0]:
        add("student_t_cdf", x, df, t_lower(x, df), 1e-12)
    for p in [1e-300, 1e-100, 1e-10, 0.01, 0.3, 0.5 + 1e-10, 0.975, 1 - 1e-10]:
        add("student_t_quantile", p, df, t_quantile(p, df), 1e-12)
for df in [1.9e9, 2e9, 1e10, 1e12, 1e14]:
    sd = (2 * df) ** 0.5
    for k in [-30, -3, -0.5, 0, 1e-6, 0.5, 3, 10, 30, 37]:
        add("chi2_sf", df + k * sd, df, chi2_sf(df + k * sd, df), 1e-12)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "distribution_refs.csv")
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["func", "x", "df", "expected", "tolerance"])
    w.writerows(rows)
print("wrote %d reference values to %s" % (len(rows), os.path.normpath(out)), file=sys.stderr)
