/*
 * distributions.c — normal, Student t and chi-square distribution functions.
 *
 * Written for the accuracy the SQL API promises (relative error <= 1e-13 in
 * the body, <= 1e-10 at df up to 1e6 and for tails down to 1e-300), which
 * double arithmetic alone does not reach for large df: the recurrences of the
 * incomplete beta/gamma functions lose digits when a shape parameter is
 * large.  All internal work is therefore done in long double (64-bit
 * mantissa on x86-64); results are rounded to double once, at the end.
 * Where long double is the same as double (e.g. MSVC) the formulas still
 * hold, with the double-precision accuracy quoted in doc/stats.md,
 * "Student t distribution".
 *
 * Methods (formulas and derivations: doc/stats.md):
 *   normal     erfc in long double; quantile Wichura AS241 + one Newton step
 *   t          regularized incomplete beta I_x(df/2, 1/2) by Lentz's
 *              continued fraction; exact closed forms for df = 1 and 2;
 *              quantile by safeguarded Newton, on the centre mass near the
 *              median and on the log tail elsewhere
 *   chi-square regularized upper incomplete gamma Q(df/2, x/2): series or
 *              continued fraction, with a Stirling-based front factor
 * ln Gamma, Stirling's series and the beta continued fraction come from
 * special_functions.c (not libm's lgammal, which writes the global signgam).
 *
 * Large df.  The continued fractions and series need about sqrt(df) terms
 * where the mass is, and their arguments lose digits (x = 1/(1 + t^2/df) is
 * 1 to within t^2/df), so past a threshold each distribution switches to an
 * asymptotic form whose error is far below double precision there:
 *   t, df >= 1e7          Cornish-Fisher expansion of the quantile in 1/df
 *                         (A&S 26.7.5, four terms: the next is ~(z^2/df)^5
 *                         relative, < 1e-18 for |z| <= 40); the cdf by
 *                         inverting it, P(T <= t) = Phi(z(t))
 *   chi-square, df >= 2e9 Temme's uniform expansion of Q(a, x) (DLMF 8.12.iii),
 *                         two correction terms, the next ~1/a^2 of them
 * so the time of every call is bounded whatever the arguments.
 */
#include "math/distributions.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>

#include "math/special_functions.h"

typedef long double real;

#define PI_L		3.141592653589793238462643383279502884L
#define SQRT1_2_L	0.707106781186547524400844362104849039L
#define LN_SQRT_PI_L 0.572364942924700087071713675676529356L
#define TINY_L		1e-300L
#define EPS_L		LDBL_EPSILON
#define T_ASYMPTOTIC_DF	1e7L	/* t: Cornish-Fisher from here on */
#define GAMMA_ASYMPTOTIC_A 1e9L /* chi-square: Temme from a = df/2 = 1e9 on */

/* ---------------------------------------------------------------------- */
/* Normal distribution                                                     */
/* ---------------------------------------------------------------------- */

static real
normal_sf_l(real x)
{
	return 0.5L * erfcl(x * SQRT1_2_L);
}

static real
normal_pdf_l(real x)
{
	return expl(-0.5L * x * x - CRM_LN_SQRT_2PI_L);
}

double
crm_normal_cdf(double x)
{
	return (double) normal_sf_l(-(real) x);
}

double
crm_normal_sf(double x)
{
	return (double) normal_sf_l((real) x);
}

/* Horner evaluation of an 8-coefficient polynomial, ascending powers. */
static real
poly8(const real *c, real r)
{
	return ((((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r + c[1]) * r + c[0];
}

/* Wichura (1988), Algorithm AS 241 PPND16: Applied Statistics 37, 477-484. */
static real
normal_quantile_as241(real p)
{
	static const real A[8] = {3.3871328727963666080e0L, 1.3314166789178437745e+2L,
		1.9715909503065514427e+3L, 1.3731693765509461125e+4L, 4.5921953931549871457e+4L,
		6.7265770927008700853e+4L, 3.3430575583588128105e+4L, 2.5090809287301226727e+3L};
	static const real B[8] = {1.0L, 4.2313330701600911252e+1L, 6.8718700749205790830e+2L,
		5.3941960214247511077e+3L, 2.1213794301586595867e+4L, 3.9307895800092710610e+4L,
		2.8729085735721942674e+4L, 5.2264952788528545610e+3L};
	static const real C[8] = {1.42343711074968357734e0L, 4.63033784615654529590e0L,
		5.76949722146069140550e0L, 3.64784832476320460504e0L, 1.27045825245236838258e0L,
		2.41780725177450611770e-1L, 2.27238449892691845833e-2L, 7.74545014278341407640e-4L};
	static const real D[8] = {1.0L, 2.05319162663775882187e0L, 1.67638483018380384940e0L,
		6.89767334985100004550e-1L, 1.48103976427480074590e-1L, 1.51986665636164571966e-2L,
		5.47593808499534494600e-4L, 1.05075007164441684324e-9L};
	static const real E[8] = {6.65790464350110377720e0L, 5.46378491116411436990e0L,
		1.78482653991729133580e0L, 2.96560571828504891230e-1L, 2.65321895265761230930e-2L,
		1.24266094738807843860e-3L, 2.71155556874348757815e-5L, 2.01033439929228813265e-7L};
	static const real F[8] = {1.0L, 5.99832206555887937690e-1L, 1.36929880922735805310e-1L,
		1.48753612908506148525e-2L, 7.86869131145613259100e-4L, 1.84631831751005468180e-5L,
		1.42151175831644588870e-7L, 2.04426310338993978564e-15L};
	real		q = p - 0.5L;
	real		r,
				x;

	if (fabsl(q) <= 0.425L)
	{
		r = 0.180625L - q * q;
		return q * poly8(A, r) / poly8(B, r);
	}
	r = sqrtl(-logl(q < 0 ? p : 1 - p));
	if (r <= 5)
		x = poly8(C, r - 1.6L) / poly8(D, r - 1.6L);
	else
		x = poly8(E, r - 5) / poly8(F, r - 5);
	return q < 0 ? -x : x;
}

double
crm_normal_quantile(double p)
{
	real		x;

	if (p <= 0)
		return -HUGE_VAL;
	if (p >= 1)
		return HUGE_VAL;
	x = normal_quantile_as241(p);

	/*
	 * One Newton step in long double takes AS241's ~1e-16 to the limit of
	 * double.  Near the median the residual is taken on the centre mass
	 * (p - 1/2 is exact there), in the tails on the smaller tail.
	 */
	if (p >= 0.25 && p <= 0.75)
		x -= (0.5L * erfl(x * SQRT1_2_L) - ((real) p - 0.5L)) / normal_pdf_l(x);
	else if (p < 0.5)
		x -= (normal_sf_l(-x) - (real) p) / normal_pdf_l(x);
	else
		x += (normal_sf_l(x) - (1.0L - (real) p)) / normal_pdf_l(x);
	return (double) x;
}

/* ---------------------------------------------------------------------- */
/* Incomplete beta machinery for the t distribution                        */
/* ---------------------------------------------------------------------- */

/*
 * The continued fraction of I_x(a, b) is crm_incbeta_cf (special_functions.c).
 *
 * ln B(a, 1/2) = ln sqrt(pi) - ln(Gamma(a + 1/2) / Gamma(a)).  For large a
 * the difference of two lgamma values cancels badly, so the ratio comes from
 * its asymptotic series (coefficients from the Bernoulli-polynomial form of
 * Stirling's series; truncation error < 1e-18 for a >= 25).
 */
static real
log_beta_half(real a)
{
	if (a >= 25)
	{
		real		ia = 1.0L / a;
		real		ia2 = ia * ia;
		real		series;

		series = ia * (-1.0L / 8 + ia2 * (1.0L / 192 + ia2 * (-1.0L / 640 + ia2 * (17.0L / 14336
							+ ia2 * (-31.0L / 18432 + ia2 * (691.0L / 180224))))));
		return LN_SQRT_PI_L - (0.5L * logl(a) + series);
	}
	return crm_lgammal(a) + LN_SQRT_PI_L - crm_lgammal(a + 0.5L);
}

/*
 * Cornish-Fisher: the t quantile of the normal quantile z for large df,
 * t = z + g1/df + g2/df^2 + g3/df^3 + g4/df^4 (A&S 26.7.5).
 */
static real
cornish_fisher_t(real z, real df)
{
	real		z2 = z * z;
	real		g1 = (z2 + 1) * z / 4;
	real		g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
	real		g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
	real		g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;

	return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

/* d t / d z of cornish_fisher_t */
static real
cornish_fisher_t_slope(real z, real df)
{
	real		z2 = z * z;
	real		d1 = (3 * z2 + 1) / 4;
	real		d2 = ((25 * z2 + 48) * z2 + 3) / 96;
	real		d3 = (((21 * z2 + 95) * z2 + 51) * z2 - 15) / 384;
	real		d4 = ((((711 * z2 + 5432) * z2 + 7410) * z2 - 5760) * z2 - 945) / 92160;

	return 1 + (d1 + (d2 + (d3 + d4 / df) / df) / df) / df;
}

/*
 * Tail and centre of T for df >= T_ASYMPTOTIC_DF, t > 0 finite: the z with
 * cornish_fisher_t(z) = t by Newton (z = t to within t^3/df to start with),
 * then the normal's.  Where the tail is below the double range (the t^2/df
 * at which the expansion would not hold) it is 0.
 */
static void
t_tail_and_centre_large_df(real t, real df, real *tail, real *centre)
{
	real		z = t;
	int			i;

	if ((df + 1) / 2 * log1pl(t * t / df) > 800)
	{
		*tail = 0;
		*centre = 1;
		return;
	}
	for (i = 0; i < 8; i++)
	{
		real		step = (cornish_fisher_t(z, df) - t) / cornish_fisher_t_slope(z, df);

		z -= step;
		if (fabsl(step) <= EPS_L * z)
			break;
	}
	*tail = 2 * normal_sf_l(z);
	*centre = erfl(z * SQRT1_2_L);
}

/*
 * For T with df degrees of freedom and t >= 0, with u = t^2/df:
 *   *tail   = P(|T| > t)     = I_x(df/2, 1/2),  x = 1/(1+u)
 *   *centre = P(|T| < t)     = I_y(1/2, df/2),  y = u/(1+u)
 * The smaller-argument side is evaluated directly and the other as its
 * complement, so each result is accurate where it is small.
 */
static void
t_tail_and_centre(real t, real df, real *tail, real *centre)
{
	real		a = df / 2;
	real		u = t * t / df;
	real		ln_x,
				ln_y,
				front;

	if (u == 0)
	{
		*tail = 1;
		*centre = 0;
		return;
	}
	if (isinf(u))
	{
		*tail = 0;
		*centre = 1;
		return;
	}
	if (df >= T_ASYMPTOTIC_DF)
	{
		t_tail_and_centre_large_df(t, df, tail, centre);
		return;
	}
	if (df == 1)
	{
		/* Cauchy: exact */
		*tail = 2 * atan2l(1, t) / PI_L;
		*centre = 2 * atanl(t) / PI_L;
		return;
	}
	if (df == 2)
	{
		real		s = sqrtl(2 + t * t);

		*tail = 2 / (s * (s + t));
		*centre = t / s;
		return;
	}

	ln_x = -log1pl(u);
	ln_y = logl(u) + ln_x;
	front = a * ln_x + 0.5L * ln_y - log_beta_half(a);
	if (1 / (1 + u) < (a + 1) / (a + 2.5L))
	{
		*tail = expl(front) * crm_incbeta_cf(a, 0.5L, 1 / (1 + u)) / a;
		*centre = 1 - *tail;
	}
	else
	{
		*centre = expl(front) * crm_incbeta_cf(0.5L, a, u / (1 + u)) / 0.5L;
		*tail = 1 - *centre;
	}
}

/* P(T > x) in long double. */
static real
t_sf_l(real x, real df)
{
	real		tail,
				centre;

	t_tail_and_centre(fabsl(x), df, &tail, &centre);
	return x >= 0 ? tail / 2 : 0.5L + centre / 2;
}

/* ln of the t density. */
static real
t_log_pdf(real t, real df)
{
	return -log_beta_half(df / 2) - 0.5L * logl(df) - (df + 1) / 2 * log1pl(t * t / df);
}

double
crm_student_t_cdf(double x, double df)
{
	return (double) t_sf_l(-(real) x, df);
}

double
crm_student_t_two_sided_p(double t, double df)
{
	real		tail,
				centre;

	t_tail_and_centre(fabsl((real) t), df, &tail, &centre);
	return (double) tail;
}

/* Upper-tail quantile t > 0 with P(T > t) = q, 0 < q < 1/4, df > 2. */
static real
t_upper_quantile(real q, real df)
{
	real		ln_q = logl(q);
	real		lo = 0,
				hi = HUGE_VALL;
	real		t;
	int			i;

	if (df >= 3 && q >= 1e-6L)
	{
		/* Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5) */
		t = cornish_fisher_t(-normal_quantile_as241(q), df);
	}
	else
	{
		/* tail asymptote P(T > t) ~ t^-df / (df^(1 - df/2) B(df/2, 1/2)) */
		t = expl(0.5L * logl(df) - (ln_q + logl(df) + log_beta_half(df / 2)) / df);
	}
	if (!(t > 0) || isinf(t))
		t = 1;

	for (i = 0; i < 400; i++)
	{
		real		s = t_sf_l(t, df);
		real		g = logl(s) - ln_q; /* decreasing in t */
		real		step;
		real		next;

		if (g > 0)
			lo = t;
		else if (g < 0)
			hi = t;
		else
			return t;
		/* Newton on ln S(t): d ln S / dt = -pdf / S */
		step = g * s / expl(t_log_pdf(t, df));
		next = t + step;
		if (!(next > lo && next < hi))
			next = isinf(hi) ? 2 * t : (lo + hi) / 2;
		if (fabsl(next - t) <= 4 * EPS_L * t)
			return next;
		t = next;
	}
	return t;
}

/* Quantile t >= 0 with P(0 < T < t) = m, 0 <= m < 1/4 (near the median). */
static real
t_centre_quantile(real m, real df)
{
	real		t = normal_quantile_as241(0.5L + m);
	real		lo = 0,
				hi = HUGE_VALL;
	int			i;

	if (m == 0)
		return 0;
	for (i = 0; i < 400; i++)
	{
		real		tail,
					centre;
		real		g;
		real		next;

		t_tail_and_centre(t, df, &tail, &centre);
		g = centre / 2 - m;		/* increasing in t */
		if (g < 0)
			lo = t;
		else if (g > 0)
			hi = t;
		else
			return t;
		next = t - g / expl(t_log_pdf(t, df));
		if (!(next > lo && next < hi))
			next = isinf(hi) ? 2 * t + 1 : (lo + hi) / 2;
		if (fabsl(next - t) <= 4 * EPS_L * t)
			return next;
		t = next;
	}
	return t;
}

double
crm_student_t_quantile(double p, double df)
{
	bool		upper;
	real		q;
	real		t;

	if (p <= 0)
		return -HUGE_VAL;
	if (p >= 1)
		return HUGE_VAL;
	if (p == 0.5)
		return 0;
	upper = p > 0.5;
	q = upper ? 1.0L - (real) p : (real) p; /* probability of the nearer tail */

	if (df == 1)
	{
		/* Cauchy: t = tan(pi (p - 1/2)), written to keep relative accuracy */
		t = q >= 0.25L ? tanl(PI_L * (0.5L - q)) : 1 / tanl(PI_L * q);
	}
	else if (df == 2)
		t = (1 - 2 * q) / sqrtl(2 * q * (1 - q));
	else if (df >= T_ASYMPTOTIC_DF)
		t = cornish_fisher_t(-(real) crm_normal_quantile((double) q), df);
	else if (q >= 0.25L)
		t = t_centre_quantile(0.5L - q, df);
	else
	{
		/* beyond the double range?  (only for df < 1) */
		if (t_sf_l((real) DBL_MAX, df) > q)
			return upper ? HUGE_VAL : -HUGE_VAL;
		t = t_upper_quantile(q, df);
	}
	return (double) (upper ? t : -t);
}

/* ---------------------------------------------------------------------- */
/* Incomplete gamma for the chi-square distribution                        */
/* ---------------------------------------------------------------------- */

/* y - log(1 + y), accurate also for small |y| */
static real
y_minus_log1p(real y)
{
	if (fabsl(y) < 0.1L)
	{
		/* y^2/2 - y^3/3 + y^4/4 - ... */
		real		sum = 0,
					power = y;
		int			k;

		for (k = 2; k < 60; k++)
		{
			real		term;

			power *= -y;
			term = -power / k;
			sum += term;
			if (fabsl(term) <= EPS_L * sum)
				break;
		}
		return sum;
	}
	return y - log1pl(y);
}

/* lnGamma(a) - [(a - 1/2) ln a - a + ln sqrt(2 pi)], from Stirling's series for a >= 10 */
static real
stirling_error(real a)
{
	if (a >= 10)
		return crm_stirling_error(a);
	return crm_lgammal(a) - ((a - 0.5L) * logl(a) - a + CRM_LN_SQRT_2PI_L);
}

/*
 * ln(x^a e^-x / Gamma(a)).  For large a the three terms are each ~a ln a and
 * cancel; rewritten as -a (y - log1p y) + ln sqrt(a / 2 pi) - stirling_error
 * with y = (x - a) / a, nothing large is subtracted.
 */
static real
log_gamma_front(real a, real x)
{
	if (a < 10)
		return a * logl(x) - x - crm_lgammal(a);
	return -a * y_minus_log1p((x - a) / a) + 0.5L * logl(a) - CRM_LN_SQRT_2PI_L - stirling_error(a);
}

/*
 * 2 (mu - log1p(mu)) - mu^2, without the cancellation of its terms for
 * small mu (it is -2 mu^3 / 3 + mu^4 / 2 - ...).
 */
static real
eta2_minus_mu2(real mu)
{
	if (fabsl(mu) < 0.1L)
	{
		real		sum = 0,
					power = mu * mu;
		int			k;

		for (k = 3; k < 60; k++)
		{
			real		term;

			power *= -mu;
			term = 2 * power / k;
			sum += term;
			if (fabsl(term) <= EPS_L * fabsl(sum))
				break;
		}
		return sum;
	}
	return 2 * y_minus_log1p(mu) - mu * mu;
}

/*
 * Q(a, x) for large a by Temme's uniform expansion (DLMF 8.12.iii):
 * Q = erfc(eta sqrt(a/2)) / 2 + e^(-a eta^2 / 2) / sqrt(2 pi a) (c0 + c1 / a),
 * lambda = x / a = 1 + mu, eta^2 / 2 = mu - log1p(mu), sign(eta) = sign(mu),
 * c0 = 1/mu - 1/eta, c1 = 1/eta^3 - 1/mu^3 - 1/mu^2 - 1/(12 mu).
 * c0 is computed as (eta^2 - mu^2) / ((eta + mu) mu eta), which does not
 * cancel; c1 / a only needs a few digits and near mu = 0 is its limit.
 */
static real
gamma_q_temme(real a, real x)
{
	real		mu = (x - a) / a;
	real		half_eta2;
	real		eta;
	real		c0,
				c1;

	/* beyond a eta^2 / 2 = 800 either tail is below the double range */
	if (fabsl(mu) > 0.5L)
		return mu < 0 ? 1 : 0;
	half_eta2 = y_minus_log1p(mu);
	if (a * half_eta2 > 800)
		return mu < 0 ? 1 : 0;
	eta = copysignl(sqrtl(2 * half_eta2), mu);
	if (mu == 0)
	{
		c0 = -1.0L / 3;
		c1 = -1.0L / 540;
	}
	else
	{
		c0 = eta2_minus_mu2(mu) / ((eta + mu) * mu * eta);
		if (fabsl(mu) < 1e-3L)
			c1 = -1.0L / 540;
		else
			c1 = 1 / (eta * eta * eta) - 1 / (mu * mu * mu) - 1 / (mu * mu) - 1 / (12 * mu);
	}
	return 0.5L * erfcl(eta * sqrtl(a / 2))
		+ expl(-a * half_eta2) / sqrtl(2 * PI_L * a) * (c0 + c1 / a);
}

/* Regularized upper incomplete gamma Q(a, x), a > 0, x > 0 finite. */
static real
gamma_q(real a, real x)
{
	real		front;
	int			i;

	if (a >= GAMMA_ASYMPTOTIC_A)
		return gamma_q_temme(a, x);
	front = expl(log_gamma_front(a, x));
	if (x < a + 1)
	{
		/* P(a, x) = front / a * sum x^n / ((a+1)...(a+n)); Q = 1 - P >= ~0.4 here */
		real		sum = 1,
					term = 1;

		for (i = 1; i <= CRM_MAX_SERIES_TERMS; i++)
		{
			term *= x / (a + i);
			sum += term;
			if (term <= sum * EPS_L)
				break;
		}
		return 1 - front * sum / a;
	}
	else
	{
		/* Q(a, x) = front * continued fraction (modified Lentz) */
		real		b = x + 1 - a;
		real		c = 1 / TINY_L;
		real		d = 1 / b;
		real		h = d;

		for (i = 1; i <= CRM_MAX_SERIES_TERMS; i++)
		{
			real		an = -i * (i - a);
			real		delta;

			b += 2;
			delta = crm_lentz_step(&c, &d, an, b);
			h *= delta;
			if (fabsl(delta - 1) <= EPS_L)
				break;
		}
		return front * h;
	}
}

double
crm_chi2_sf(double x, double df)
{
	if (!(x > 0))
		return 1;
	if (isinf(x))
		return 0;
	return (double) gamma_q((real) df / 2, (real) x / 2);
}
