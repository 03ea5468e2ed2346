/*
 * time_zones.h — the time zone names the extension accepts (time_zones.c).
 */
#ifndef CRM_TIME_ZONES_H
#define CRM_TIME_ZONES_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "pgtime.h"

/* The zone of a name, or NULL if it is unknown or its offset from UTC at `at` is not a real one. */
extern pg_tz *crm_zone_at(const char *name, TimestampTz at);

/* The same at the start of the current transaction. */
extern pg_tz *crm_usable_zone(const char *name);

#endif
