/*
 * holdout_bucket_sql.c — crm.holdout_bucket(salt, customer_id): the holdout assignment
 * of campaigns, a number in [0, 1) from SipHash-2-4 of the customer id's
 * UTF-8 bytes with the key (salt, 0x637275ff6d61726b).  A customer lands in
 * the control arm when bucket < holdout_percent / 100.  The same salt and id
 * give the same bucket on every server and PostgreSQL version.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "math/siphash.h"

/* the second half of the key: fixed, "crm" "mark" */
#define HOLDOUT_KEY1	UINT64CONST(0x637275ff6d61726b)

PG_FUNCTION_INFO_V1(crm_holdout_bucket);
PG_FUNCTION_INFO_V1(crm_siphash24_sql);

/* holdout_bucket(salt bigint, customer_id text) returns float8 in [0, 1) */
Datum
crm_holdout_bucket(PG_FUNCTION_ARGS)
{
	int64		salt = PG_GETARG_INT64(0);
	text	   *id = PG_GETARG_TEXT_PP(1);
	uint64		hash = crm_siphash24((uint64) salt, HOLDOUT_KEY1,
									 (const unsigned char *) VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));

	/* the top 53 bits, as a double in [0, 1) */
	PG_RETURN_FLOAT8((double) (hash >> 11) * (1.0 / 9007199254740992.0));
}

/* _siphash24(k0 bigint, k1 bigint, data bytea) returns bigint: for the tests */
Datum
crm_siphash24_sql(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(2);

	PG_RETURN_INT64((int64) crm_siphash24((uint64) PG_GETARG_INT64(0), (uint64) PG_GETARG_INT64(1),
										  (const unsigned char *) VARDATA_ANY(data),
										  VARSIZE_ANY_EXHDR(data)));
}
