#!/usr/bin/python3
"""
clv_refs.py - independent high-precision reference values for the CLV C code.

Run with /usr/bin/python3 (needs python3-mpmath):
    /usr/bin/python3 test/refgen/clv_refs.py > test/data/clv_prediction_refs.csv

Everything is computed with mpmath at mp.dps = 40 from the model definitions,
NOT from the series/log-space forms used in C:
  * BG/NBD likelihood and P(alive): the product form of FHL05 eq. 6 (plain
    powers, no log-sum-exp); conditional/unconditional expectations: the
    Beta-mixture integral  E_p[(1 - ((a+T)/(a+T+p t))^(r+x))/p]  by mp.quad,
    cross-checked against the 2F1 closed form (FHL05 eq. 9/10) with
    mpmath.hyp2f1 where that form exists (a != 1, c > 0); PMF: FHL05 §1.5
    with the explicit finite sum.
  * Pareto/NBD likelihood and P(alive): the integral form
    s * int_tx^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau by mp.quad,
    cross-checked against the classic 2F1 form (FH note 009 eq. 18-20) with
    mpmath.hyp2f1; conditional expectation: P(alive) (r+x)/(alpha+T)
    int_0^t ((beta+T)/(beta+T+u))^s du by mp.quad, cross-checked with the
    closed form; PMF: the mixture integral, cross-checked with
    sum_n P(X=n) = 1 and the mean.
  * Gamma-Gamma: closed forms (loggamma) in mpmath.
  * Discounted purchases: e^{-dH} E[Y(H)] + d int_0^H e^{-dt} E[Y(t)] dt by
    mp.quad on the closed-form E[Y(t)].
Cross-check discrepancies are printed to stderr.

FHL05 is Fader, Hardie & Lee, "Counting your customers the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2), 2005; "FH note
009" is Fader & Hardie, "A note on deriving the Pareto/NBD model and related
expressions" (2005).
The formulas are described in doc/clv.md.

CSV columns: model,function,p1,p2,p3,p4,x,tx,T,t,delta,tol,value
  model      bgnbd | pnbd | gg
  function   loglik | p_alive | expected | expected_conditional | pmf |
             discounted | expected_spend
  p1..p4     parameters (BG/NBD r,alpha,a,b; Pareto/NBD r,alpha,s,beta;
             GG p,q,v,0)
  x,tx,T     history; for pmf the x column holds n; for gg the tx column
             holds mbar
  t          horizon; for discounted the horizon H
  delta      continuous discount rate (discounted only, else 0)
  tol        tolerance the C harness applies (1e-10 normal regimes, looser
             for the extreme ones); relative error, except for loglik where
             |got - ref| / max(|ref|, 1) is used (an absolute error on a log
             is the relative error of the likelihood)
  value      reference value (nan = the C code must return NaN)
"""
import sys
import mpmath as mp

mp.mp.dps = 40
worst = {}


def xcheck(name, a, b):
    """Record the relative discrepancy of two independent evaluations."""
    if a == b:
        return
    e = abs(a - b) / max(abs(b), mp.mpf(10) ** -300)
    worst[name] = max(worst.get(name, 0), e)


def quad(f, pts):
    """mp.quad on the sorted split points, with the integrand scaled to O(1)
    (mp.quad's error estimate is absolute); one refinement (each piece split
    in 4, higher degree) when the estimated relative error exceeds 1e-28."""
    pts = sorted(set(mp.mpf(p) for p in pts))
    mids = [(pts[i] + pts[i + 1]) / 2 for i in range(len(pts) - 1)]
    sc = max(abs(f(m)) for m in mids)
    if sc == 0:
        sc = mp.mpf(1)
    g = lambda u: f(u) / sc
    v, e = mp.quad(g, pts, error=True)
    if e > mp.mpf(10) ** -28 * abs(v):
        pts = sorted(set(pts + [pts[i] + (pts[i + 1] - pts[i]) * k / 4
                                for i in range(len(pts) - 1) for k in range(1, 4)]))
        v, e = mp.quad(g, pts, error=True, maxdegree=10)
        if e > mp.mpf(10) ** -28 * abs(v):
            worst['quad est. rel. error'] = max(worst.get('quad est. rel. error', 0), e / abs(v))
    return v * sc


def geom_pts(lo, hi, scales):
    """Split points lo + s for the given scales, kept inside (lo, hi)."""
    out = [lo, hi]
    for s in scales:
        for m in (mp.mpf('0.01'), mp.mpf('0.1'), 1, 10, 100):
            v = lo + s * m
            if lo < v < hi:
                out.append(v)
    return out


# ---------------- BG/NBD ----------------
def bg_terms(p, x, tx, T):
    r, al, a, b = map(mp.mpf, p)
    x, tx, T = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
    c = mp.gamma(r + x) * al ** r / mp.gamma(r)
    t1 = mp.beta(a, b + x) / mp.beta(a, b) * c * (al + T) ** (-(r + x))
    t2 = 0
    if x > 0:
        t2 = mp.beta(a + 1, b + x - 1) / mp.beta(a, b) * c * (al + tx) ** (-(r + x))
    return t1, t2


def bg_ll(p, x, tx, T):
    t1, t2 = bg_terms(p, x, tx, T)
    return mp.log(t1 + t2)


def bg_palive(p, x, tx, T):
    t1, t2 = bg_terms(p, x, tx, T)
    return t1 / (t1 + t2)


def bg_bracket_quad(p, x, T, t):
    """E_p[(1 - ((al+T)/(al+T+p t))^k)/p], p ~ Beta(a, b+x), by mp.quad;
    the endpoint powers are removed by p = w^(1/a) on (0, 1/2] and
    1 - p = w^(1/bx) on [1/2, 1)."""
    r, al, a, b = map(mp.mpf, p)
    x, T, t = mp.mpf(x), mp.mpf(T), mp.mpf(t)
    k, bx = r + x, b + x
    B = mp.beta(a, bx)
    u = t / (al + T)
    g = lambda q: -mp.expm1(-k * mp.log1p(q * u)) / q
    half = mp.mpf(1) / 2
    # (0, 1/2]: p = w^(1/a), p^(a-1) dp = dw / a
    f1 = lambda w: g(w ** (1 / a)) * (1 - w ** (1 / a)) ** (bx - 1) / a if w > 0 else k * u / a
    pstar = 1 / (u * k)
    cuts = [pstar * m for m in (mp.mpf('0.01'), mp.mpf('0.1'), 1, 10, 100)] + \
        [m / bx for m in (mp.mpf('0.1'), 1, 10, 100)]
    w1 = [0, half ** a] + [c ** a for c in cuts if c < half]
    # [1/2, 1): 1 - p = w^(1/bx), (1-p)^(bx-1) dp = dw / bx
    f2 = lambda w: g(1 - w ** (1 / bx)) * (1 - w ** (1 / bx)) ** (a - 1) / bx
    v = quad(f1, w1)
    if half ** bx > mp.mpf(10) ** -45:  # else the piece is below 1e-45 of the total
        v += quad(f2, [0, half ** bx])
    return v / B


def bg_bracket_hyp(p, x, T, t):
    r, al, a, b = map(mp.mpf, p)
    x, T, t = mp.mpf(x), mp.mpf(T), mp.mpf(t)
    c = a + b + x - 1
    if a == 1 or c <= 0:
        return None
    z = t / (al + T + t)
    try:
        f = mp.hyp2f1(r + x, b + x, c, z, maxterms=10 ** 6)
    except mp.libmp.NoConvergence:
        return None
    return c / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) * f)


def bg_cond(p, x, tx, T, t):
    v = bg_palive(p, x, tx, T) * bg_bracket_quad(p, x, T, t)
    h = bg_bracket_hyp(p, x, T, t)
    if h is not None:
        xcheck('bg_cond quad vs hyp2f1', v, bg_palive(p, x, tx, T) * h)
    return v


def bg_cond_fast(p, x, tx, T, t):
    if t == 0:
        return mp.mpf(0)
    h = bg_bracket_hyp(p, x, T, t)
    return bg_palive(p, x, tx, T) * h


def bg_pmf(p, n, t):
    r, al, a, b = map(mp.mpf, p)
    t = mp.mpf(t)
    y = al / (al + t)
    z = t / (al + t)
    nb = lambda j: mp.gamma(r + j) / (mp.gamma(r) * mp.factorial(j)) * y ** r * z ** j
    v = mp.beta(a, b + n) / mp.beta(a, b) * nb(n)
    if n > 0:
        # P(NB >= n) as mpmath's regularised incomplete beta I_z(n, r) (a plain
        # 1 - sum would cancel to nothing when the tail is below 1e-40)
        tail = mp.betainc(n, r, 0, z, regularized=True)
        d = abs(tail - (1 - mp.fsum(nb(j) for j in range(n))))
        worst['bg pmf tail betainc vs 1-sum (absolute)'] = max(worst.get('bg pmf tail betainc vs 1-sum (absolute)', 0), d)
        v += mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * tail
    return v


# ---------------- Pareto/NBD ----------------
def pn_parts(p, x, tx, T):
    r, al, s, be = map(mp.mpf, p)
    x, tx, T = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
    c = mp.gamma(r + x) * al ** r * be ** s / mp.gamma(r)
    alive = (al + T) ** (-(r + x)) * (be + T) ** (-s)
    if T > tx:
        f = lambda u: (al + u) ** (-(r + x)) * (be + u) ** (-(s + 1))
        m = min(al, be)
        integ = s * quad(f, geom_pts(tx, T, [(al + tx) / (r + x), m + tx, (be + tx) / (s + 1)]))
    else:
        integ = 0
    return c, alive, integ


def pn_ll_classic(p, x, tx, T):
    r, al, s, be = map(mp.mpf, p)
    x, tx, T = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
    rho = r + s + x
    if al >= be:
        M, bb, zf = al, s + 1, lambda u: (al - be) / (al + u)
    else:
        M, bb, zf = be, r + x, lambda u: (be - al) / (be + u)
    try:
        A0 = (mp.hyp2f1(rho, bb, rho + 1, zf(tx), maxterms=10 ** 6) / (M + tx) ** rho
              - mp.hyp2f1(rho, bb, rho + 1, zf(T), maxterms=10 ** 6) / (M + T) ** rho)
    except mp.libmp.NoConvergence:
        return None
    c = mp.gamma(r + x) * al ** r * be ** s / mp.gamma(r)
    return mp.log(c * ((al + T) ** (-(r + x)) * (be + T) ** (-s) + s / rho * A0))


def pn_ll(p, x, tx, T):
    c, alive, integ = pn_parts(p, x, tx, T)
    v = mp.log(c * (alive + integ))
    cl = pn_ll_classic(p, x, tx, T)
    if cl is not None:
        xcheck('pnbd loglik integral vs classic 2F1', v, cl)
    return v


def pn_palive(p, x, tx, T):
    c, alive, integ = pn_parts(p, x, tx, T)
    return alive / (alive + integ)


def pn_cond(p, x, tx, T, t):
    r, al, s, be = map(mp.mpf, p)
    x, T, t = mp.mpf(x), mp.mpf(T), mp.mpf(t)
    pa = pn_palive(p, x, tx, T)
    q = quad(lambda u: ((be + T) / (be + T + u)) ** s, geom_pts(0, t, [be + T]))
    v = pa * (r + x) / (al + T) * q
    if s != 1:
        cf = pa * (r + x) * (be + T) / ((al + T) * (s - 1)) * (1 - ((be + T) / (be + T + t)) ** (s - 1))
    else:
        cf = pa * (r + x) * (be + T) / (al + T) * mp.log((be + T + t) / (be + T))
    xcheck('pnbd cond quad vs closed', v, cf)
    return v


def pn_cond_fast(p, x, tx, T, t, pa):
    r, al, s, be = map(mp.mpf, p)
    x, T, t = mp.mpf(x), mp.mpf(T), mp.mpf(t)
    if s != 1:
        return pa * (r + x) * (be + T) / ((al + T) * (s - 1)) * (1 - ((be + T) / (be + T + t)) ** (s - 1))
    return pa * (r + x) * (be + T) / (al + T) * mp.log((be + T + t) / (be + T))


def pn_pmf(p, n, t):
    r, al, s, be = map(mp.mpf, p)
    t = mp.mpf(t)
    lc = mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)
    alive = mp.exp(lc) * (al / (al + t)) ** r * (t / (al + t)) ** n * (be / (be + t)) ** s
    f = lambda u: u ** n * (al + u) ** (-(r + n)) * (be + u) ** (-(s + 1))
    integ = quad(f, geom_pts(0, t, [al, be, n * al / max(r, 1)]))
    return alive + mp.exp(lc) * al ** r * s * be ** s * integ


# ---------------- discounting ----------------
def disc(Efun, tau0, H, d):
    H, d = mp.mpf(H), mp.mpf(d)
    pts = [0, H] + [v for v in (tau0, 10 * tau0, 100 * tau0, 1 / d, 10 / d, 60 / d) if v < H]
    return mp.exp(-d * H) * Efun(H) + d * quad(lambda u: mp.exp(-d * u) * Efun(u), pts)


# ---------------- output ----------------
rows = []


def emit(model, fn, p, x, tx, T, t, delta, tol, value):
    pp = list(p) + [0] * (4 - len(p))
    rows.append('%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s' % (
        model, fn, *[repr(float(v)) for v in pp], repr(float(x)), repr(float(tx)),
        repr(float(T)), repr(float(t)), repr(float(delta)), repr(tol),
        'nan' if value is None else mp.nstr(value, 25, strip_zeros=False)))


NORMAL, LOOSE = 1e-10, 1e-8

BG_P = [
    ((0.242593, 4.413532, 0.792919, 2.425907), NORMAL),   # CDNOW, a < 1
    ((0.5, 3.0, 1.0, 2.0), NORMAL),                       # a = 1 exactly
    ((0.5, 3.0, 1.000000001, 2.0), NORMAL),               # a = 1 + 1e-9
    ((0.3, 2.0, 0.4, 0.5), NORMAL),                       # a + b < 1, b < 1
    ((2.0, 10.0, 2.5, 4.0), NORMAL),                      # a > 1
]
PN_P = [
    ((0.5534, 10.5802, 0.6061, 11.6711), NORMAL),         # CDNOW
    ((0.5534, 10.0, 0.6061, 10.0), NORMAL),               # alpha = beta
    ((0.5, 0.01, 0.6, 100.0), NORMAL),                    # alpha << beta (z -> 1)
    ((0.5, 100.0, 0.6, 0.01), NORMAL),                    # beta << alpha (z -> 1)
    ((1.2, 5.0, 1.0, 8.0), NORMAL),                       # s = 1
    ((3.0, 2.0, 4.0, 30.0), NORMAL),
]
HIST = [
    ((0, 0, 38.86), False), ((2, 30.43, 38.86), False), ((1, 1.71, 38.86), False),
    ((7, 35.0, 38.0), False), ((3, 10.0, 10.0), False), ((50, 20.0, 39.0), False),
    ((5000, 500.0, 500.0), True), ((0, 0, 1e-6), True), ((1, 1e-6, 1e-6), True),
]
TS = [(1.0, False), (39.0, False), (1000.0, True), (1e6, True)]

for p, tol in BG_P:
    for (h, ext) in HIST:
        tl = LOOSE if ext else tol
        emit('bgnbd', 'loglik', p, *h, 0, 0, tl, bg_ll(p, *h))
        emit('bgnbd', 'p_alive', p, *h, 0, 0, tl, bg_palive(p, *h))
        for t, text in TS:
            emit('bgnbd', 'expected_conditional', p, *h, t, 0,
                 LOOSE if (ext or text) else tol, bg_cond(p, *h, t))
    for t, text in TS + [(1e-6, True)]:
        emit('bgnbd', 'expected', p, 0, 0, 0, t, 0, LOOSE if text else tol, bg_cond(p, 0, 0, 0, t))
    for n in (0, 1, 2, 5, 10, 50):
        for t in (1.0, 39.0, 1000.0):
            emit('bgnbd', 'pmf', p, n, 0, 0, t, 0, tol, bg_pmf(p, n, t))
    print('bg', p, file=sys.stderr)

for p, tol in PN_P:
    for (h, ext) in HIST:
        tl = LOOSE if ext else tol
        emit('pnbd', 'loglik', p, *h, 0, 0, tl, pn_ll(p, *h))
        emit('pnbd', 'p_alive', p, *h, 0, 0, tl, pn_palive(p, *h))
        for t, text in TS:
            emit('pnbd', 'expected_conditional', p, *h, t, 0,
                 LOOSE if (ext or text) else tol, pn_cond(p, *h, t))
    for t, text in TS + [(1e-6, True)]:
        emit('pnbd', 'expected', p, 0, 0, 0, t, 0, LOOSE if text else tol, pn_cond(p, 0, 0, 0, t))
    for n in (0, 1, 2, 5, 10, 50):
        for t in (1.0, 39.0, 1000.0):
            emit('pnbd', 'pmf', p, n, 0, 0, t, 0, tol, pn_pmf(p, n, t))
    # the PMF sums to 1 and has mean E[X(t)] (check of the mixture integral)
    if p[0] / p[1] < 1:
        tot = mp.fsum(pn_pmf(p, n, 5) for n in range(80))
        xcheck('pnbd pmf sum to 1 (t=5, n<80)', tot, mp.mpf(1))
    print('pn', p, file=sys.stderr)

# discounted expected purchases
for p, tol in BG_P:
    if p[2] == 1.0 or p[2] + p[3] <= 1:
        continue  # closed form E[Y(t)] used inside the integral needs a != 1, c > 0
    for h in ((0, 0, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.0)):
        for H in (52.0, 1e4):
            for d in (0.0027, 0.05):
                v = disc(lambda u: bg_cond_fast(p, *h, u), mp.mpf(p[1]) + h[2], H, d)
                emit('bgnbd', 'discounted', p, *h, H, d, tol, v)
for p, tol in PN_P:
    for h in ((0, 0, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.0)):
        pa = pn_palive(p, *h)
        for H in (52.0, 1e4):
            for d in (0.0027, 0.05):
                v = disc(lambda u: pn_cond_fast(p, *h, u, pa), mp.mpf(p[3]) + h[2], H, d)
                emit('pnbd', 'discounted', p, *h, H, d, tol, v)

# Pareto/NBD models on the boundary ridge, as fits whose optimum is on the boundary report them
# (s and beta in the millions and more): P(alive) and the conditional expectation
for p in ((0.5, 10.0, 6.6e7, 6.6e9), (0.8, 300.0, 5e6, 2e9)):
    for h in ((0, 0, 38.86), (1, 5.0, 38.86), (5, 30.0, 38.86), (3, 38.86, 38.86), (2, 1.0, 700.0),
              (50, 380.0, 390.0)):
        emit('pnbd', 'p_alive', p, *h, 0, 0, NORMAL, pn_palive(p, *h))
        emit('pnbd', 'expected_conditional', p, *h, 39.0, 0, NORMAL, pn_cond(p, *h, 39.0))
    print('pn ridge', p, file=sys.stderr)

# Gamma-Gamma
for p in ((6.25, 3.74, 15.44), (0.5, 0.8, 2.0), (100.0, 50.0, 1000.0)):
    pp, q, v = map(mp.mpf, p)
    for x, m in ((1, 11.77), (2, 22.35), (10, 35.0), (1000, 5.0), (0, 0)):
        x, m = mp.mpf(x), mp.mpf(m)
        if x > 0:
            ll = (mp.loggamma(pp * x + q) - mp.loggamma(pp * x) - mp.loggamma(q) + q * mp.log(v)
                  + (pp * x - 1) * mp.log(m) + pp * x * mp.log(x) - (pp * x + q) * mp.log(v + x * m))
            emit('gg', 'loglik', p, x, m, 0, 0, 0, NORMAL, ll)
            es = pp * (v + x * m) / (pp * x + q - 1) if pp * x + q > 1 else None
        else:
            es = pp * v / (q - 1) if q > 1 else None
        emit('gg', 'expected_spend', p, x, m, 0, 0, 0, NORMAL, es)

print('# generated by test/refgen/clv_refs.py (mpmath %s, dps %d)' % (mp.__version__, mp.mp.dps))
print('model,function,p1,p2,p3,p4,x,tx,T,t,delta,tol,value')
print('\n'.join(rows))
for k, v in sorted(worst.items()):
    print('cross-check %-45s max rel diff %s' % (k, mp.nstr(v, 3)), file=sys.stderr)
