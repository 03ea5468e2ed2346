/*
 * sending_switch.h — the per-database switch that lets jobs run and messages
 * be handed out (crm.enable_sending / crm.disable_sending): it holds the
 * cluster's system identifier and the database's OID, so a restored dump or
 * a copied database, which carry another identity, stay switched off.
 */
#ifndef CRM_SENDING_SWITCH_H
#define CRM_SENDING_SWITCH_H

#include "postgres.h"

/* Whether sending is enabled in this database; call with SPI connected. */
extern bool crm_sending_enabled_here(void);

/* 55000 unless sending is enabled in this database; call with SPI connected. */
extern void crm_check_sending_enabled(const char *what);

#endif
