-- crm_marketing install script, assembled by the Makefile from src/sql/*.sql.
-- Every object lives in @extschema@ (crm); calls are schema-qualified.

\echo Use "CREATE EXTENSION crm_marketing" to load this file. \quit

