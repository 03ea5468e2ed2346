#!/usr/bin/python3
"""
pnbd_boundary_refs.py - the reference for the Pareto/NBD boundary fit in
sql/clv_models.sql, computed independently with scipy.

On the boundary (s, beta -> infinity, s/beta = mu fixed) the Pareto/NBD model
becomes exponential lifetimes with one rate mu for everybody and gamma(r, alpha)
purchase rates.  Its likelihood for a history (x, tx, T) is

  Gamma(r+x) alpha^r / Gamma(r) * [ (alpha+T)^-(r+x) e^(-mu T)
                                    + mu int_tx^T e^(-mu tau) (alpha+tau)^-(r+x) dtau ]

(the individual-level Pareto/NBD likelihood integrated over lambda), evaluated
here by scipy.integrate.quad and maximised over (ln r, ln alpha, ln mu) by
Nelder-Mead: nothing is shared with the C code.  The fit in SQL caps ln s at
18, where its likelihood equals this limit's to about 1e-8 per customer.

Input: the test's histories with their counts, dumped from a session that ran
the test's setup (the `bounded` table):
  \\copy (SELECT frequency, recency, tenure, count(*) FROM bounded GROUP BY 1, 2, 3) TO 'bounded.csv' CSV
Run: /usr/bin/python3 test/refgen/pnbd_boundary_refs.py bounded.csv
The values held in sql/clv_models.sql come from a run of this script; where
Nelder-Mead stops makes two runs agree to about 1e-6 relative, well inside
the test's 1e-4.
"""
import csv
import sys

import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.special import gammaln

rows = [tuple(map(float, r)) for r in csv.reader(open(sys.argv[1]))]


def negative_ll(theta):
    r, alpha, mu = np.exp(theta)
    total = 0.0
    for x, tx, T, n in rows:
        k = r + x
        # both terms scaled by (alpha+tx)^k e^(mu tx) to keep them near 1
        inner, _ = quad(lambda t: mu * np.exp(-mu * (t - tx)) * ((alpha + tx) / (alpha + t)) ** k,
                        tx, T, epsabs=0, epsrel=1e-12, limit=200)
        alive = np.exp(-mu * (T - tx)) * ((alpha + tx) / (alpha + T)) ** k
        total += n * (gammaln(k) - gammaln(r) + r * np.log(alpha) - k * np.log(alpha + tx)
                      - mu * tx + np.log(alive + inner))
    return -total


fit = minimize(negative_ll, np.log([0.5, 2.0, 0.05]), method='Nelder-Mead',
               options={'xatol': 1e-7, 'fatol': 1e-6, 'maxiter': 4000})
r, alpha, mu = np.exp(fit.x)
print(f"r {r:.8f}  alpha {alpha:.8f}  mu {mu:.8f}  LL {-fit.fun:.5f}  iterations {fit.nit}")

# Standard errors: the inverse Hessian of -LL in (ln r, ln alpha, ln mu) by central differences
# (step 1e-3: the quadratures' rounding, ~1e-7 on -LL, stays below 1e-5 of the entries).
h = 1e-3
H = np.zeros((3, 3))
for i in range(3):
    for j in range(i + 1):
        def at(di, dj):
            x = fit.x.copy()
            x[i] += di
            x[j] += dj
            return negative_ll(x)
        if i == j:
            H[i, i] = (at(h, 0) - 2 * fit.fun + at(-h, 0)) / h ** 2
        else:
            H[i, j] = H[j, i] = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
se_log = np.sqrt(np.diag(np.linalg.inv(H)))
print(f"r_se {r * se_log[0]:.8f}  alpha_se {alpha * se_log[1]:.8f}  mu_se {mu * se_log[2]:.8f}")
