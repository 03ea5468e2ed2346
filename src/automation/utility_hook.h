/*
 * utility_hook.h — stopping a database's worker before DROP DATABASE and
 * the other commands that need the database to themselves.
 */
#ifndef CRM_UTILITY_HOOK_H
#define CRM_UTILITY_HOOK_H

extern void crm_install_utility_hook(void);

#endif
