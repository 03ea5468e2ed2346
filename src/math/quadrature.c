/*
 * quadrature.c — log-space quadrature for the CLV fallbacks (Pareto/NBD 2F1
 * near z = 1, BG/NBD Beta-mixture expectation, Pareto/NBD PMF).
 *
 * The integrands are unimodal in the chosen variable.  The mode is found by
 * golden-section search, then panels are laid out from it in both
 * directions; a panel is halved while phi changes by more than 10 across
 * it (so that the 20-point rule integrates e^phi to ~1e-16), doubled
 * (up to wmax) while it changes by less than 2.5, and marching stops once
 * phi has dropped 46 below the mode (e^-46 ~ 1e-20) or at the bound.
 * Everything is summed relative to exp(phi(mode)), so nothing overflows.
 */
#include "math/quadrature.h"

#include <math.h>
#include <stddef.h>

/* Gauss-Legendre nodes and weights on [-1, 1], positive half (computed with mpmath). */
static const double gl8_nodes[4][2] = {
	{0.960289856497536231684, 0.101228536290376259153},
	{0.796666477413626739592, 0.222381034453374470544},
	{0.525532409916328985818, 0.313706645877887287338},
	{0.183434642495649804939, 0.362683783378361982965},
};
static const double gl10_nodes[5][2] = {
	{0.973906528517171720078, 0.0666713443086881375936},
	{0.865063366688984510732, 0.149451349150580593146},
	{0.679409568299024406234, 0.219086362515982043996},
	{0.433395394129247190799, 0.269266719309996355091},
	{0.148874338981631210885, 0.295524224714752870174},
};
static const double gl12_nodes[6][2] = {
	{0.981560634246719250691, 0.0471753363865118271946},
	{0.904117256370474856678, 0.10693932599531843096},
	{0.769902674194304687037, 0.160078328543346226335},
	{0.587317954286617447297, 0.203167426723065921749},
	{0.367831498998180193753, 0.233492536538354808761},
	{0.125233408511468915472, 0.249147045813402785001},
};
static const double gl20_nodes[10][2] = {
	{0.993128599185094924786, 0.0176140071391521183119},
	{0.963971927277913791268, 0.040601429800386941331},
	{0.912234428251325905868, 0.0626720483341090635695},
	{0.839116971822218823395, 0.0832767415767047487248},
	{0.746331906460150792614, 0.101930119817240435037},
	{0.636053680726515025453, 0.118194531961518417312},
	{0.510867001950827098004, 0.131688638449176626898},
	{0.373706088715419560673, 0.142096109318382051329},
	{0.22778585114164507808, 0.149172986472603746788},
	{0.0765265211334973337546, 0.152753387130725850698},
};

const ClvGaussLegendre clv_gl8 = {4, gl8_nodes};
const ClvGaussLegendre clv_gl10 = {5, gl10_nodes};
const ClvGaussLegendre clv_gl12 = {6, gl12_nodes};
const ClvGaussLegendre clv_gl20 = {10, gl20_nodes};

#define GOLD 0.381966011250105151795

/* A Gauss-Legendre rule of f on [lo, hi]. */
static double
gauss_legendre(const ClvGaussLegendre *rule, ClvFunc f, void *ctx, double lo, double hi)
{
	double		c = 0.5 * (lo + hi),
				h = 0.5 * (hi - lo),
				s = 0.0;
	int			i;

	for (i = 0; i < rule->half; i++)
		s += rule->nodes[i][1] * (f(c - h * rule->nodes[i][0], ctx) + f(c + h * rule->nodes[i][0], ctx));
	return s * h;
}

double
clv_quad_gl20(ClvFunc f, void *ctx, double lo, double hi)
{
	return gauss_legendre(&clv_gl20, f, ctx, lo, hi);
}

double
clv_quad_gl10(ClvFunc f, void *ctx, double lo, double hi)
{
	return gauss_legendre(&clv_gl10, f, ctx, lo, hi);
}

/* Add one panel's contribution (relative to e^ref) to sum and moments. */
static void
panel(ClvLogIntegrand phi, void *ctx, double a, double b, double ref,
	  int nmom, double *sum, double *msum)
{
	double		c = 0.5 * (a + b),
				h = 0.5 * (b - a);
	int			i,
				side,
				j;

	for (i = 0; i < clv_gl20.half; i++)
		for (side = -1; side <= 1; side += 2)
		{
			double		mom[CLV_QUAD_MAXMOM];
			double		v = c + side * h * clv_gl20.nodes[i][0];
			double		w = clv_gl20.nodes[i][1] * h * exp(phi(v, ctx, nmom ? mom : NULL) - ref);

			*sum += w;
			for (j = 0; j < nmom; j++)
				msum[j] += w * mom[j];
		}
}

/* Integrate e^phi over [lo, hi] from the mode outwards (see file header). */
double
clv_quad_logint(ClvLogIntegrand phi, void *ctx, double lo, double hi,
				double w0, double wmax, int nmom, double *mom_out)
{
	double		a = lo,
				b = hi,
				x1,
				x2,
				f1,
				f2,
				mode,
				ref,
				sum = 0.0;
	double		msum[CLV_QUAD_MAXMOM] = {0.0, 0.0, 0.0};
	int			it,
				dir,
				j;

	if (!(hi > lo))
	{
		for (j = 0; j < nmom; j++)
			mom_out[j] = NAN;
		return -INFINITY;
	}
	/* golden-section search for the mode */
	x1 = a + GOLD * (b - a);
	x2 = b - GOLD * (b - a);
	f1 = phi(x1, ctx, NULL);
	f2 = phi(x2, ctx, NULL);
	for (it = 0; it < 200 && (b - a) > 0.01 * w0; it++)
	{
		if (f1 >= f2)
		{
			b = x2;
			x2 = x1;
			f2 = f1;
			x1 = a + GOLD * (b - a);
			f1 = phi(x1, ctx, NULL);
		}
		else
		{
			a = x1;
			x1 = x2;
			f1 = f2;
			x2 = b - GOLD * (b - a);
			f2 = phi(x2, ctx, NULL);
		}
	}
	mode = 0.5 * (a + b);
	{
		double		fl = phi(lo, ctx, NULL),
					fh = phi(hi, ctx, NULL),
					fm = phi(mode, ctx, NULL);

		ref = fm;
		if (fl > ref)
		{
			ref = fl;
			mode = lo;
		}
		if (fh > ref)
		{
			ref = fh;
			mode = hi;
		}
	}
	if (!isfinite(ref))
	{
		for (j = 0; j < nmom; j++)
			mom_out[j] = NAN;
		return ref;
	}
	for (dir = 1; dir >= -1; dir -= 2)
	{
		double		v = mode,
					fv = ref,
					w = w0;
		int			npanel = 0;

		while ((dir > 0 ? v < hi : v > lo) && npanel < 5000)
		{
			double		e = v + dir * w,
						fe,
						d;

			if (dir > 0 ? e > hi : e < lo)
				e = dir > 0 ? hi : lo;
			fe = phi(e, ctx, NULL);
			d = fabs(fv - fe);
			if (!(d <= 10.0) && w > 1e-9 * w0)
			{
				w *= 0.5;
				continue;
			}
			if (dir > 0)
				panel(phi, ctx, v, e, ref, nmom, &sum, msum);
			else
				panel(phi, ctx, e, v, ref, nmom, &sum, msum);
			npanel++;
			v = e;
			fv = fe;
			if (ref - fe > 46.0)
				break;
			if (d < 2.5)
				w = fmin(2.0 * w, wmax);
		}
	}
	for (j = 0; j < nmom; j++)
		mom_out[j] = msum[j] / sum;
	return ref + log(sum);
}
