/*
 * crm_marketing.c — module entry point: the settings, and, when the library
 * is preloaded (shared_preload_libraries), the shared memory, the launcher
 * and the utility hook of the background workers.
 *
 * Without preload every analytic function works and crm.run_campaign /
 * crm.refresh_segment run jobs by hand; only the automatic scheduling
 * needs it.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"

#include "automation/utility_hook.h"
#include "automation/worker_shmem.h"
#include "crm_guc.h"

PG_MODULE_MAGIC;

bool		crm_worker_enabled = true;
int			crm_naptime = 10;
char	   *crm_default_time_zone = NULL;
int			crm_job_statement_timeout = 300000;
int			crm_history_retention = 30;
int			crm_message_retention = 90;
int			crm_max_databases = 32;

/*
 * Settings that only SQL reads (current_setting in crm.campaign_report and
 * crm.campaign_performance): DefineCustomIntVariable needs somewhere to
 * store them, but no C code reads them, so the storage is private.
 */
static int	min_sample_size = 1000;
static int	attribution_window = 7 * 24 * 60;

void		_PG_init(void);

static void
define_settings(void)
{
	DefineCustomBoolVariable("crm_marketing.worker_enabled",
							 "Runs the background workers that refresh segments and run campaigns.",
							 NULL, &crm_worker_enabled, true, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("crm_marketing.naptime",
							"Longest sleep of a worker between two looks at its jobs.",
							NULL, &crm_naptime, 10, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomStringVariable("crm_marketing.default_time_zone",
							   "Time zone of customers without one, for quiet hours (empty: the session's TimeZone).",
							   NULL, &crm_default_time_zone, "", PGC_USERSET, 0,
							   crm_check_default_time_zone, NULL, NULL);
	DefineCustomIntVariable("crm_marketing.job_statement_timeout",
							"Time limit of a job's query (audience, segment) when the worker runs it; 0 = none.",
							NULL, &crm_job_statement_timeout, 300000, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("crm_marketing.history_retention",
							"Days of crm.job_runs history the maintenance keeps.",
							NULL, &crm_history_retention, 30, 1, 36500, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("crm_marketing.message_retention",
							"Days a finished message (sent, delivered, failed, expired...) stays in crm.outbox.",
							NULL, &crm_message_retention, 90, 1, 36500, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("crm_marketing.min_sample_size",
							"Customers per arm below which crm.campaign_report calls no winner or loser (verdict too_small).",
							NULL, &min_sample_size, 1000, 2, INT_MAX, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("crm_marketing.attribution_window",
							"Attribution window of crm.campaign_performance: conversions counted after the would-send time.",
							NULL, &attribution_window, 7 * 24 * 60, 1, INT_MAX, PGC_USERSET, GUC_UNIT_MIN,
							NULL, NULL, NULL);
	/* a server-start setting can only be defined while the server starts */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("crm_marketing.max_databases",
								"Databases the launcher can serve (each running worker also takes one of max_worker_processes).",
								NULL, &crm_max_databases, 32, 1, 1024, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("crm_marketing");
}

static void
register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "crm_marketing");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "crm_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "crm_marketing launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "crm_marketing launcher");
	RegisterBackgroundWorker(&worker);
}

void
_PG_init(void)
{
	define_settings();
	if (!process_shared_preload_libraries_in_progress)
		return;
	crm_shmem_install_hooks();
	crm_install_utility_hook();
	register_launcher();
}
