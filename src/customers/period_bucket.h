/*
 * period_bucket.h — calendar periods (day, ISO week, month, quarter, year)
 * of timestamps in the session time zone, as integers, fast.
 *
 * A period index counts periods from the one containing 2000-01-01
 * (weeks: from the Monday 2000-01-03), so consecutive periods have
 * consecutive indexes and index differences are "period numbers".  The
 * bucket of a timestamptz is that of date_trunc(period, ts) in the session
 * time zone.
 */
#ifndef CRM_PERIOD_BUCKET_H
#define CRM_PERIOD_BUCKET_H

#include "postgres.h"

#include "pgtime.h"
#include "utils/date.h"
#include "utils/timestamp.h"

typedef enum PeriodKind
{
	PERIOD_DAY,
	PERIOD_WEEK,
	PERIOD_MONTH,
	PERIOD_QUARTER,
	PERIOD_YEAR
} PeriodKind;

/*
 * The time zone and a cache of its UTC offset: times in
 * [valid_from, valid_until) (Unix seconds) have offset gmtoff, so most rows
 * need no time-zone lookup at all.
 */
typedef struct PeriodBucketer
{
	PeriodKind	kind;
	const pg_tz *tz;
	bool		cached;
	pg_time_t	valid_from;
	pg_time_t	valid_until;
	long		gmtoff;
} PeriodBucketer;

/* Parses 'day', 'week', 'month', 'quarter' or 'year'; 22023 otherwise. */
extern PeriodKind crm_period_kind(const char *name, const char *function);
extern const char *crm_period_name(PeriodKind kind);

/* Starts bucketing in the session time zone. */
extern void crm_period_bucketer_init(PeriodBucketer *b, PeriodKind kind);

/* The period index of a finite timestamptz; 22007 for +-infinity. */
extern int32 crm_period_index(PeriodBucketer *b, TimestampTz ts, const char *function);

/* The first day of a period, as a date. */
extern DateADT crm_period_start(PeriodKind kind, int32 index);

/* The index of the period containing a date (finite). */
extern int32 crm_period_of_date(PeriodKind kind, DateADT date);

#endif
