/*
 * spi_pinned.c — SPI_connect with search_path pinned to pg_catalog, pg_temp
 * (spi_pinned.h).
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/guc.h"

#include "util/spi_pinned.h"

int
crm_spi_connect_pinned(void)
{
	int			nestlevel;

	SPI_connect();
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

void
crm_spi_finish_pinned(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
}
