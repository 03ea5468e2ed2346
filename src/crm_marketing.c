/*
 * crm_marketing.c — module entry point.
 *
 * The library works both loaded on demand (plain CREATE EXTENSION) and
 * preloaded through shared_preload_libraries; _PG_init does only what is
 * valid in both cases.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* settings named crm_marketing.* that we do not define are typos: warn */
	MarkGUCPrefixReserved("crm_marketing");
}
