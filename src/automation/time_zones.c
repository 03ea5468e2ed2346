/*
 * time_zones.c — which time zone names the extension accepts: ones
 * PostgreSQL knows whose offset from UTC is a real one (PostgreSQL also
 * accepts POSIX strings such as 'ABC-167', UTC+167 h), and the check hook of
 * crm_marketing.default_time_zone that holds the setting to the same rule.
 */
#include "postgres.h"

#include "access/xact.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "automation/time_zones.h"
#include "crm_guc.h"

/* Real zones are between UTC-12 and UTC+14. */
#define MAX_ZONE_OFFSET_SECONDS (15 * SECS_PER_HOUR)

/* The zone of a name, or NULL if it is unknown or its offset from UTC at `at` is not a real one. */
pg_tz *
crm_zone_at(const char *name, TimestampTz at)
{
	pg_tz	   *tz = pg_tzset(name);
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;

	if (tz == NULL ||
		timestamp2tm(at, &offset, &tm, &fsec, NULL, tz) != 0 ||
		offset > MAX_ZONE_OFFSET_SECONDS || offset < -MAX_ZONE_OFFSET_SECONDS)
		return NULL;
	return tz;
}

/* The zone of a name, or NULL if it is unknown or its offset now is not a real one. */
pg_tz *
crm_usable_zone(const char *name)
{
	return crm_zone_at(name, GetCurrentTransactionStartTimestamp());
}

/*
 * Check hook of crm_marketing.default_time_zone: empty, or a zone
 * crm.is_valid_time_zone accepts.  Without it a mistyped zone would be
 * accepted and silently replaced by the session's TimeZone at every run.
 * (It may run outside a transaction, in the postmaster: hence the clock.)
 */
bool
crm_check_default_time_zone(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (crm_zone_at(*newval, GetCurrentTimestamp()) != NULL)
		return true;
	GUC_check_errdetail("\"%s\" is not a time zone name, or its offset from UTC is more than 15 hours.", *newval);
	GUC_check_errhint("Use a zone name such as Europe/Berlin, or an empty string for the session's TimeZone.");
	return false;
}
