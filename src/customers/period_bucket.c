/*
 * period_bucket.c — calendar periods of timestamps in the session time zone.
 *
 * The local date of a timestamp is floor((UTC seconds + UTC offset) / 86400);
 * the offset comes from the time-zone database only when the timestamp
 * leaves the interval in which the previous offset is known to hold
 * (pg_next_dst_boundary gives the end of that interval).  With rows in
 * roughly time order, that is twice a year.
 */
#include "customers/period_bucket.h"

#include "datatype/timestamp.h"
#include "utils/datetime.h"

#define SECS_PER_DAY_L		((int64) SECS_PER_DAY)
/* seconds from the Unix epoch (1970-01-01) to the PostgreSQL epoch (2000-01-01) */
#define UNIX_TO_PG_SECS		((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY_L)
/* 2000-01-01 was a Saturday; ISO weeks start on Monday 2000-01-03 */
#define FIRST_MONDAY		2

static const char *const PERIOD_NAMES[] = {"day", "week", "month", "quarter", "year"};

/* floor(a / b) for b > 0 */
static inline int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

PeriodKind
crm_period_kind(const char *name, const char *function)
{
	int			i;

	for (i = 0; i < lengthof(PERIOD_NAMES); i++)
		if (pg_strcasecmp(name, PERIOD_NAMES[i]) == 0)
			return (PeriodKind) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: period must be day, week, month, quarter or year, got \"%s\"", function, name)));
	return PERIOD_DAY;			/* keep the compiler quiet */
}

const char *
crm_period_name(PeriodKind kind)
{
	return PERIOD_NAMES[kind];
}

void
crm_period_bucketer_init(PeriodBucketer *b, PeriodKind kind)
{
	long		fixed_offset;

	b->kind = kind;
	b->tz = session_timezone;
	b->cached = false;
	/* a zone with one offset for all time (UTC, Etc/GMT+3, ...): cache it for every time */
	if (pg_get_timezone_offset(b->tz, &fixed_offset))
	{
		b->cached = true;
		b->valid_from = PG_INT64_MIN;
		b->valid_until = PG_INT64_MAX;
		b->gmtoff = fixed_offset;
	}
}

/* The UTC offset (seconds east) at Unix time t, through the cache. */
static long
utc_offset(PeriodBucketer *b, pg_time_t t)
{
	long		before_gmtoff,
				after_gmtoff;
	int			before_isdst,
				after_isdst;
	pg_time_t	boundary;
	int			found;

	if (b->cached && t >= b->valid_from && t < b->valid_until)
		return b->gmtoff;
	found = pg_next_dst_boundary(&t, &before_gmtoff, &before_isdst, &boundary,
								 &after_gmtoff, &after_isdst, b->tz);
	if (found < 0)
	{
		/* not expected (the library never fails); ask pg_localtime directly */
		struct pg_tm *tm = pg_localtime(&t, b->tz);

		if (tm == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range for the time zone")));
		b->cached = false;
		return tm->tm_gmtoff;
	}
	b->cached = true;
	b->valid_from = t;
	b->valid_until = found == 1 ? boundary : PG_INT64_MAX;
	b->gmtoff = before_gmtoff;
	return before_gmtoff;
}

int32
crm_period_index(PeriodBucketer *b, TimestampTz ts, const char *function)
{
	pg_time_t	unix_secs;
	int64		local_days;

	if (unlikely(TIMESTAMP_NOT_FINITE(ts)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("%s: the activity time must be finite, got %s", function,
						TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity")));
	unix_secs = floor_div(ts, USECS_PER_SEC) + UNIX_TO_PG_SECS;
	/* days since 2000-01-01 in local time: a date */
	local_days = floor_div(unix_secs + utc_offset(b, unix_secs) - UNIX_TO_PG_SECS, SECS_PER_DAY_L);
	return crm_period_of_date(b->kind, (DateADT) local_days);
}

DateADT
crm_period_start(PeriodKind kind, int32 index)
{
	int64		year,
				month;

	switch (kind)
	{
		case PERIOD_DAY:
			return index;
		case PERIOD_WEEK:
			return FIRST_MONDAY + 7 * index;
		case PERIOD_MONTH:
			year = 2000 + floor_div(index, 12);
			month = 1 + (index - 12 * floor_div(index, 12));
			break;
		case PERIOD_QUARTER:
			year = 2000 + floor_div(index, 4);
			month = 1 + 3 * (index - 4 * floor_div(index, 4));
			break;
		default:
			year = 2000 + index;
			month = 1;
			break;
	}
	return date2j((int) year, (int) month, 1) - POSTGRES_EPOCH_JDATE;
}

int32
crm_period_of_date(PeriodKind kind, DateADT date)
{
	int			year,
				month,
				day;

	switch (kind)
	{
		case PERIOD_DAY:
			return date;
		case PERIOD_WEEK:
			return (int32) floor_div((int64) date - FIRST_MONDAY, 7);
		default:
			break;
	}
	j2date(date + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	switch (kind)
	{
		case PERIOD_MONTH:
			return (year - 2000) * 12 + (month - 1);
		case PERIOD_QUARTER:
			return (year - 2000) * 4 + (month - 1) / 3;
		default:
			return year - 2000;
	}
}
