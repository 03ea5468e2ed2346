#!/usr/bin/python3
"""Exact Welch t-test for the near-1e9 case T4 of sql/stats_uplift_ttest.sql.

The inputs are the doubles that the SQL (and R) arithmetic produces; means and
variances are then computed in exact rational arithmetic, and t, df and p with
mpmath at 40 digits.  R's t.test on the same doubles is off by 2.3e-7 relative
here (each mean is rounded to ulp(1e9) before the difference is taken), so R
cannot serve as the reference for this case.  Needs python3-mpmath.
"""
from fractions import Fraction as F

import mpmath as mp

mp.mp.dps = 40
treatment = [1e9 + ((i * 7) % 13) / 10 for i in range(1, 201)]
control = [1e9 + ((j * 11) % 17) / 10 - 0.05 for j in range(1, 301)]


def moments(xs):
    n = len(xs)
    mean = sum(F(x) for x in xs) / n
    return n, mean, sum((F(x) - mean) ** 2 for x in xs) / (n - 1)


def mpf(q):
    return mp.mpf(q.numerator) / q.denominator


nt, mt, vt = moments(treatment)
nc, mc, vc = moments(control)
a, b = vt / nt, vc / nc
t = mpf(mt - mc) / mp.sqrt(mpf(a + b))
df = mpf((a + b) ** 2 / (a ** 2 / (nt - 1) + b ** 2 / (nc - 1)))
p = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True)
for name, value in [("uplift", mpf(mt - mc)), ("sd_treatment", mp.sqrt(mpf(vt))),
                    ("sd_control", mp.sqrt(mpf(vc))), ("t", t), ("df", df), ("p", p)]:
    print("%-13s %s" % (name, mp.nstr(value, 17)))
