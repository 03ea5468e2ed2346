#!/usr/bin/python3
"""
hyp2f1_refs.py - mpmath reference values of ln 2F1(rho, b; rho+1; z) near
z = 1 for the Pareto/NBD code paths in src/math/hyp2f1.c.

Run with /usr/bin/python3 (needs python3-mpmath):
    /usr/bin/python3 test/refgen/hyp2f1_refs.py > test/data/hyp2f1_refs.csv

Grid: 1 - z = 1e-3 ... 1e-12, rho and b up to 1e8, b next to integers, and
b = rho + 1 - e with small e (the alpha >= beta branch, b = s + 1).  Only
e = rho + 1 - b > 0 (every Pareto/NBD call).  Values at mp.dps = 40 from
Euler's integral written as a beta integral over u,
    2F1 = rho z^-rho int_{ln((1-z)/z)}^inf exp((1-b) u - e ln(1+e^u)) du,
by mp.quad with split points around the mode, cross-checked against
mpmath.hyp2f1 (Euler-transformed when b > e) where its series converges
within 2e5 terms; discrepancies above 1e-25 go to stderr.
CSV columns: rho,b,zc,lnF  (zc = 1 - z, exactly representable in double).
"""
import sys
import mpmath as mp

mp.mp.dps = 40


def lnf_quad(rho, b, w):
    rho, b, w = mp.mpf(rho), mp.mpf(b), mp.mpf(w)
    z = 1 - w
    a, e = 1 - b, rho + 1 - b
    u0 = mp.log(w / z)
    um = mp.log(a / rho) if a > 0 and mp.log(a / rho) > u0 else u0
    chi = lambda u: a * u - e * mp.log1p(mp.exp(u))
    c0 = chi(um)
    sg = mp.exp(um) / (1 + mp.exp(um))
    sc = 1 / max(abs(a - e * sg), mp.sqrt(e * sg * (1 - sg)), mp.mpf(10) ** -30)
    pts = [um, u0, mp.mpf(0)] + [mp.mpf(x) for x in (2, 5, 10, 20, 50, 200)]
    for k in (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000):
        pts += [um + k * sc, um - k * sc]
    pts = sorted(set(p for p in pts if p >= u0)) + [mp.inf]
    v = mp.quad(lambda u: mp.exp(chi(u) - c0), pts)
    return mp.log(rho) - rho * mp.log(z) + c0 + mp.log(v)


def lnf_hyp(rho, b, w):
    rho, b, w = mp.mpf(rho), mp.mpf(b), mp.mpf(w)
    z, e = 1 - w, rho + 1 - b
    if e < b:
        return (1 - b) * mp.log(w) + mp.log(mp.hyp2f1(1, e, rho + 1, z, maxterms=2 * 10**5))
    return mp.log(mp.hyp2f1(rho, b, rho + 1, z, maxterms=2 * 10**5))


rows = []
for w in (1e-3, 1e-6, 1e-9, 1e-12):
    for rho in (0.5, 30.0, 1e4, 1e8):
        bs = [0.3, 1.0 - 1e-9, 1.0 + 1e-9, 2.0 + 1e-7, 3.0 - 1e-12, 7.5, 1e4 + 0.5, 1e8]
        bs += [rho + 1 - 0.6, rho + 1 - 2.3]
        for b in bs:
            if rho + 1 - b > 0 and b > 0:
                rows.append((rho, b, w))
print("rho,b,zc,lnF")
for rho, b, w in rows:
    v = lnf_quad(rho, b, w)
    try:
        h = lnf_hyp(rho, b, w)
        if abs(h - v) > mp.mpf(10) ** -25 * max(1, abs(v)):
            print("discrepancy %r %r %r: %s" % (rho, b, w, mp.nstr(h - v, 3)), file=sys.stderr)
    except mp.libmp.NoConvergence:
        pass
    print("%.17g,%.17g,%.17g,%s" % (rho, b, w, mp.nstr(v, 25)))
