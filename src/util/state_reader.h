/*
 * state_reader.h — reading the serialized (bytea) state of an aggregate in
 * its deserialize function.  Every length is checked against the buffer: a
 * user can hand any bytea to a deserialize function, so a state is
 * validated, never trusted; a short or malformed one is 22023
 * (crm_state_invalid), never a crash.
 */
#ifndef CRM_STATE_READER_H
#define CRM_STATE_READER_H

#include "postgres.h"

#include "util/sql_util.h"

typedef struct StateReader
{
	const char *data;
	size_t		len;
	size_t		pos;
	const char *aggregate;		/* for error messages */
} StateReader;

extern void state_reader_init(StateReader *r, bytea *state, const char *aggregate);
extern uint8 state_read_u8(StateReader *r);
extern uint32 state_read_u32(StateReader *r);
extern int64 state_read_i64(StateReader *r);
/* 22023 unless the number is finite */
extern double state_read_f8(StateReader *r);
/* 22023 unless the whole state was read */
extern void state_reader_finish(StateReader *r);

/* 22023 unless n more bytes are there. */
static inline void
state_reader_need(StateReader *r, size_t n)
{
	if (unlikely(n > r->len - r->pos))
		crm_state_invalid(r->aggregate, "The state ends too early.");
}

#endif
