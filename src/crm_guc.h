/*
 * crm_guc.h — the extension's settings (crm_marketing.*), defined in
 * crm_marketing.c.  doc/reference/automation.md ("Settings") lists them
 * with their defaults and when a change takes effect.
 */
#ifndef CRM_GUC_H
#define CRM_GUC_H

#include <stdbool.h>

#include "utils/guc.h"

extern bool crm_worker_enabled;		/* crm_marketing.worker_enabled */
extern int	crm_naptime;			/* crm_marketing.naptime, seconds */
extern char *crm_default_time_zone; /* crm_marketing.default_time_zone */
extern int	crm_job_statement_timeout;	/* crm_marketing.job_statement_timeout, ms */
extern int	crm_history_retention;	/* crm_marketing.history_retention, days */
extern int	crm_message_retention;	/* crm_marketing.message_retention, days */
extern int	crm_max_databases;		/* crm_marketing.max_databases */

/* The check hook of crm_marketing.default_time_zone (automation/time_zones.c). */
extern bool crm_check_default_time_zone(char **newval, void **extra, GucSource source);

/*
 * crm_marketing.min_sample_size and crm_marketing.attribution_window have
 * no variable here: only SQL reads them (crm.campaign_report and
 * crm.campaign_performance, with current_setting), see crm_marketing.c.
 */

#endif
