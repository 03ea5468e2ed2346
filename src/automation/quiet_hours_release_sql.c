/*
 * quiet_hours_release_sql.c — crm.quiet_hours_release(at, time_zone, quiet_start,
 * quiet_end): when a message due at `at` may go out, given quiet hours in
 * the customer's time zone.
 *
 * Quiet hours [start, end) are local wall-clock times and may wrap past
 * midnight (22:00-08:00).  A message due inside them is released at the end
 * of the quiet period, that local date's (or the next day's) `end`,
 * converted back through the zone's rules for that date, so a DST change
 * between `at` and the release is counted correctly.  A NULL zone name
 * means the default zone (crm_marketing.default_time_zone, or
 * the session's TimeZone when that is empty); NULL quiet hours, or
 * start = end, mean none.  A zone name PostgreSQL does not know, or a POSIX
 * zone string with an offset no place on earth has (PostgreSQL accepts
 * 'ABC-167', UTC+167 h), is an error: crm.is_valid_time_zone tells them
 * apart, and a campaign excludes the customer instead of guessing.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "automation/time_zones.h"
#include "crm_guc.h"

PG_FUNCTION_INFO_V1(crm_quiet_hours_release);
PG_FUNCTION_INFO_V1(crm_is_valid_time_zone);

/* The zone of a name (22023 if it is not usable), or the default zone for NULL. */
static pg_tz *
zone_or_default(text *name)
{
	pg_tz	   *tz;
	char	   *zone;

	if (name != NULL)
	{
		zone = text_to_cstring(name);
		tz = crm_usable_zone(zone);
		if (tz == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("crm.quiet_hours_release: time zone \"%s\" is not valid", zone),
					 errhint("Use a zone name such as Europe/Berlin; crm.is_valid_time_zone() checks one.")));
		return tz;
	}
	if (crm_default_time_zone != NULL && crm_default_time_zone[0] != '\0' &&
		(tz = crm_usable_zone(crm_default_time_zone)) != NULL)
		return tz;
	return session_timezone;
}

/* is_valid_time_zone(time_zone text) returns boolean */
Datum
crm_is_valid_time_zone(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(crm_usable_zone(text_to_cstring(PG_GETARG_TEXT_PP(0))) != NULL);
}

/* The timestamptz of a local date (Julian day) and time of day in a zone. */
static TimestampTz
local_to_timestamptz(int julian_day, TimeADT time_of_day, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;
	TimestampTz result;

	j2date(julian_day, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	time2tm(time_of_day, &tm, &fsec);
	offset = DetermineTimeZoneOffset(&tm, tz);
	if (tm2timestamp(&tm, fsec, &offset, &result) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("crm.quiet_hours_release: timestamp out of range")));
	return result;
}

/* quiet_hours_release(at timestamptz, time_zone text, quiet_start time, quiet_end time) */
Datum
crm_quiet_hours_release(PG_FUNCTION_ARGS)
{
	TimestampTz at;
	TimeADT		start,
				end,
				now_local;
	pg_tz	   *tz;
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;
	int			julian_day;
	bool		quiet;
	TimestampTz release;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	at = PG_GETARG_TIMESTAMPTZ(0);
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) || TIMESTAMP_NOT_FINITE(at))
		PG_RETURN_TIMESTAMPTZ(at);
	start = PG_GETARG_TIMEADT(2);
	end = PG_GETARG_TIMEADT(3);
	if (start == end)
		PG_RETURN_TIMESTAMPTZ(at);
	tz = zone_or_default(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1));

	if (timestamp2tm(at, &offset, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("crm.quiet_hours_release: timestamp out of range")));
	now_local = ((((tm.tm_hour * MINS_PER_HOUR) + tm.tm_min) * SECS_PER_MINUTE) + tm.tm_sec) * USECS_PER_SEC + fsec;
	quiet = start < end ? (now_local >= start && now_local < end) : (now_local >= start || now_local < end);
	if (!quiet)
		PG_RETURN_TIMESTAMPTZ(at);

	julian_day = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	if (start > end && now_local >= start)
		julian_day++;			/* the quiet period ends tomorrow */
	release = local_to_timestamptz(julian_day, end, tz);
	PG_RETURN_TIMESTAMPTZ(Max(release, at));
}
