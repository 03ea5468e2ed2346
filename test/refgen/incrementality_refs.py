#!/usr/bin/python3
"""Reference values for sql/stats_incrementality.sql, computed independently of our C code.

Rerun (Debian python3-numpy, python3-scipy, python3-mpmath; `bash test/deps.sh refs`):

    /usr/bin/python3 test/refgen/incrementality_refs.py

It rewrites test/data/cuped_data.csv (the data set, a fixed seed; every value
is printed with 17 significant digits so PostgreSQL reads back the same
doubles) and prints the reference numbers that sql/stats_incrementality.sql
holds:

- CUPED (Deng, Xu, Kohavi & Walker 2013): theta = cov(y, x) / var(x) over both
  arms pooled (numpy), per-customer adjusted values y - theta (x - mean(x)),
  then scipy.stats.ttest_ind(equal_var=False) on them.  scipy 1.10 has no
  .df or .confidence_interval(), so df is the Welch-Satterthwaite formula on
  the adjusted sample variances and the t quantile of the interval is solved
  in mpmath (scipy's t.ppf is only ~1e-9 accurate).  The relative lift
  divides by the unadjusted control mean (delta method, normal quantile);
  variance_reduction = 1 - Var_adj(uplift) / Var(uplift).
- mSPRT (Johari, Pekelis & Walsh): the normal-mixture likelihood ratio,
  always-valid p = min(1, 1/Lambda) and the confidence-sequence half-width,
  written directly in mpmath at 50 digits.
"""
import csv
import os

import mpmath
import numpy as np
from scipy import stats

mpmath.mp.dps = 50
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
DATA = os.path.join(ROOT, 'test', 'data', 'cuped_data.csv')


def make_data():
    """Two data sets: 'big' (revenue-like, strongly correlated) and 'small'."""
    rng = np.random.default_rng(20240611)
    rows = []
    n = 1200
    treated = rng.random(n) < 0.55
    pre = np.round(rng.gamma(2.0, 40.0, n), 2)                  # pre-period revenue
    noise = rng.normal(0, 15.0, n)
    value = np.round(np.maximum(0, 5 + 0.9 * pre + noise + np.where(treated, 4.0, 0.0)), 2)
    rows += [('big', bool(t), float(v), float(x)) for t, v, x in zip(treated, value, pre)]
    n = 37
    treated = np.arange(n) % 3 != 0
    pre = rng.normal(100, 10, n)
    value = 0.5 * pre + rng.normal(0, 5, n) + np.where(treated, 1.5, 0.0)
    rows += [('small', bool(t), float(v), float(x)) for t, v, x in zip(treated, value, pre)]
    with open(DATA, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['dataset', 'treated', 'value', 'pre_period_value'])
        for d, t, v, x in rows:
            w.writerow([d, 't' if t else 'f', repr(v), repr(x)])


def read_data():
    sets = {}
    with open(DATA) as f:
        for r in csv.DictReader(f):
            sets.setdefault(r['dataset'], []).append(
                (r['treated'] == 't', float(r['value']), float(r['pre_period_value'])))
    return sets


def t_quantile_upper(q, df):
    """t with P(T > t) = q, solved in mpmath from a scipy start."""
    df = mpmath.mpf(df)
    q = mpmath.mpf(q)

    def sf(t):
        x = df / (df + t * t)
        return mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2 - q

    return mpmath.findroot(sf, mpmath.mpf(stats.t.isf(float(q), float(df))))


def cuped(rows, confidence):
    t = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    x = np.array([r[2] for r in rows])
    theta = np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1)
    adj = y - theta * (x - x.mean())
    yt, yc = adj[t], adj[~t]
    res = stats.ttest_ind(yt, yc, equal_var=False)
    nt, nc = len(yt), len(yc)
    a, b = yt.var(ddof=1) / nt, yc.var(ddof=1) / nc
    df = (a + b) ** 2 / (a * a / (nt - 1) + b * b / (nc - 1))
    diff = yt.mean() - yc.mean()
    q = float(t_quantile_upper((1 - confidence) / 2, df))
    se = np.sqrt(a + b)
    base = y[~t].mean()                           # unadjusted control mean
    lift = diff / abs(base)
    ratio = (base + diff) / base
    se_lift = np.sqrt(a + ratio * ratio * b) / abs(base)
    z = stats.norm.isf((1 - confidence) / 2)
    plain = y[t].var(ddof=1) / nt + y[~t].var(ddof=1) / nc
    # the p-value again in mpmath, as a check on scipy's
    xx = mpmath.mpf(df) / (mpmath.mpf(df) + mpmath.mpf(res.statistic) ** 2)
    p_mp = mpmath.betainc(mpmath.mpf(df) / 2, mpmath.mpf(1) / 2, 0, xx, regularized=True)
    return {
        'n_t': nt, 'n_c': nc, 'mean_t': yt.mean(), 'mean_c': yc.mean(),
        'sd_t': yt.std(ddof=1), 'sd_c': yc.std(ddof=1),
        't': res.statistic, 'df': df, 'p': res.pvalue, 'p_mpmath': float(p_mp),
        'uplift': diff, 'ci_low': diff - q * se, 'ci_high': diff + q * se,
        'lift': lift, 'lift_low': lift - z * se_lift, 'lift_high': lift + z * se_lift,
        'theta': theta, 'variance_reduction': 1 - (a + b) / plain,
    }


def msprt(diff, v, tau2, confidence):
    diff, v, tau2 = mpmath.mpf(diff), mpmath.mpf(v), mpmath.mpf(tau2)
    alpha = 1 - mpmath.mpf(confidence)
    lam = mpmath.sqrt(v / (v + tau2)) * mpmath.exp(tau2 * diff ** 2 / (2 * v * (v + tau2)))
    half = mpmath.sqrt(v * (v + tau2) / tau2 * (2 * mpmath.log(1 / alpha) + mpmath.log((v + tau2) / v)))
    return (min(mpmath.mpf(1), 1 / lam), diff - half, diff + half, mpmath.log(lam))


SEQUENTIAL_CASES = [
    # uplift, uplift_variance, mixture_variance, confidence
    (1.0, 0.1, 0.5, 0.95),
    (0.02, 0.0004, 0.0025, 0.95),
    (-0.35, 0.01, 0.04, 0.90),
    (0.0, 0.25, 1.0, 0.95),
    (3.5, 0.2, 0.01, 0.99),
    (12.0, 1.0, 100.0, 0.95),
    (0.001, 1e-8, 1e-6, 0.95),
    (5e-3, 1e-6, 4.0, 0.8),
]


def main():
    if not os.path.exists(DATA) or os.environ.get('REGENERATE'):
        make_data()
    sets = read_data()
    for name, conf in (('big', 0.95), ('small', 0.90)):
        r = cuped(sets[name], conf)
        print(f"-- CUPED {name}, confidence {conf}")
        for k, v in r.items():
            print(f"   {k} = {float(v)!r}")
    print("-- mSPRT: uplift, V, tau2, confidence -> p, ci_low, ci_high, ln Lambda")
    for c in SEQUENTIAL_CASES:
        p, lo, hi, llr = msprt(*c)
        print(f"({c[0]!r}, {c[1]!r}, {c[2]!r}, {c[3]!r}, {float(p)!r}, {float(lo)!r}, {float(hi)!r}, {float(llr)!r}),")


if __name__ == '__main__':
    main()
