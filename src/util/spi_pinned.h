/*
 * spi_pinned.h — SPI for the statements the extension runs with its own
 * rights (doc/security.md, "Pinned search_path").
 */
#ifndef CRM_SPI_PINNED_H
#define CRM_SPI_PINNED_H

/*
 * The extension's schema, to qualify its objects in those statements.  The
 * control file fixes it (schema = crm, relocatable = false): CREATE
 * EXTENSION refuses any other, so it is a constant, and a plain identifier
 * that needs no quoting.
 */
#define CRM_SCHEMA "crm"

/*
 * SPI_connect, and search_path pinned to pg_catalog, pg_temp for the
 * statements the extension runs itself (as the worker's superuser or a
 * SECURITY DEFINER owner), so that no function or operator another role
 * created in a schema of the default search_path can be picked instead of
 * the built-in one.  Returns the GUC nest level for crm_spi_finish_pinned,
 * which restores the path and calls SPI_finish; an error restores both anyway.
 */
extern int	crm_spi_connect_pinned(void);
extern void crm_spi_finish_pinned(int nestlevel);

#endif
