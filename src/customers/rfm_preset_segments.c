/*
 * rfm_preset_segments.c — the two preset maps of RFM scores to named
 * segments.
 *
 * 'rfm11': the widely used lookup of the 125 RFM codes into 11 segments;
 * 'rf10':  the R x F grid with 10 segments.  Both as tabulated in
 * doc/reference/customers.md (crm.rfm_segment).
 */
#include <stddef.h>
#include <string.h>

#include "customers/rfm_preset_segments.h"

/* rfm11: each segment with its codes; every code not listed is "Lost" */
static const struct
{
	const char *segment;
	const char *codes;
}			rfm11_table[] =
{
	{"Champions", "555 554 544 545 454 455 445"},
	{"Loyal", "543 444 435 355 354 345 344 335"},
	{"Potential Loyalist", "553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 353 352 351 342 341 333 323"},
	{"New Customers", "512 511 422 421 412 411 311"},
	{"Promising", "525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313"},
	{"Need Attention", "535 534 443 434 343 334 325 324"},
	{"About to Sleep", "331 321 312 221 213"},
	{"At Risk", "255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 134 133 125 124"},
	{"Can't Lose Them", "155 154 144 214 215 115 114 113"},
	{"Hibernating", "332 322 231 241 251 233 232 223 222 132 123 122 212 211"},
};

static const char *const LOST = "Lost";

/* rfm11 segment of a code, by a linear search of the table (125 codes at most) */
static const char *
rfm11_segment(int r, int f, int m)
{
	char		code[4];
	size_t		i;

	code[0] = '0' + r;
	code[1] = '0' + f;
	code[2] = '0' + m;
	code[3] = '\0';
	for (i = 0; i < sizeof(rfm11_table) / sizeof(rfm11_table[0]); i++)
	{
		const char *p = rfm11_table[i].codes;

		for (; *p; p += (p[3] == ' ') ? 4 : 3)
			if (strncmp(p, code, 3) == 0)
				return rfm11_table[i].segment;
	}
	return LOST;
}

/* rf10: the R x F grid */
static const char *
rf10_segment(int r, int f)
{
	if (r <= 2)
		return f <= 2 ? "Hibernating" : f <= 4 ? "At Risk" : "Can't Lose Them";
	if (r == 3)
		return f <= 2 ? "About to Sleep" : f == 3 ? "Need Attention" : "Loyal";
	if (f >= 4)
		return r == 4 ? "Loyal" : "Champions";
	if (f == 1)
		return r == 4 ? "Promising" : "New Customers";
	return "Potential Loyalist";
}

const char *
crm_rfm_preset_segment(const char *scheme, int r, int f, int m, bool *known)
{
	*known = true;
	if (strcmp(scheme, "rfm11") == 0)
		return rfm11_segment(r, f, m);
	if (strcmp(scheme, "rf10") == 0)
		return rf10_segment(r, f);
	*known = false;
	return NULL;
}
