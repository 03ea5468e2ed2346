/*
 * state_reader.c — reading serialized aggregate states (see state_reader.h).
 * Numbers are in network byte order, as pq_sendint32/64 and pq_sendfloat8
 * wrote them.
 */
#include "util/state_reader.h"

#include <math.h>

#include "port/pg_bswap.h"

void
state_reader_init(StateReader *r, bytea *state, const char *aggregate)
{
	r->data = VARDATA_ANY(state);
	r->len = VARSIZE_ANY_EXHDR(state);
	r->pos = 0;
	r->aggregate = aggregate;
}

uint8
state_read_u8(StateReader *r)
{
	state_reader_need(r, 1);
	return (uint8) r->data[r->pos++];
}

uint32
state_read_u32(StateReader *r)
{
	uint32		v;

	state_reader_need(r, 4);
	memcpy(&v, r->data + r->pos, 4);
	r->pos += 4;
	return pg_ntoh32(v);
}

int64
state_read_i64(StateReader *r)
{
	uint64		v;

	state_reader_need(r, 8);
	memcpy(&v, r->data + r->pos, 8);
	r->pos += 8;
	return (int64) pg_ntoh64(v);
}

double
state_read_f8(StateReader *r)
{
	union
	{
		int64		i;
		double		d;
	}			v;

	v.i = state_read_i64(r);
	if (unlikely(!isfinite(v.d)))
		crm_state_invalid(r->aggregate, "A number in the state is not finite.");
	return v.d;
}

void
state_reader_finish(StateReader *r)
{
	if (r->pos != r->len)
		crm_state_invalid(r->aggregate, "The state has trailing bytes.");
}
