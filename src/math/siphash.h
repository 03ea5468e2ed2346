/*
 * siphash.h — SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast
 * short-input PRF", INDOCRYPT 2012), 64-bit output, 128-bit key.  Pure C.
 *
 * The holdout assignment of campaigns hashes (campaign salt, customer id)
 * with it: a stable, documented function, unlike PostgreSQL's internal
 * hash functions, whose values may change between major versions.
 */
#ifndef CRM_MATH_SIPHASH_H
#define CRM_MATH_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

extern uint64_t crm_siphash24(uint64_t k0, uint64_t k1, const unsigned char *data, size_t len);

#endif
