/*
 * canonical_rows.h — canonical (sorted, merged) copies of the fit input rows.
 */
#ifndef CRM_CLV_CANONICAL_ROWS_H
#define CRM_CLV_CANONICAL_ROWS_H

#include "clv/models.h"

/*
 * malloc'd copy of rows sorted by (x, tx, T), identical histories merged
 * (weights added in ascending order), rows with weight <= 0 or non-finite
 * values dropped.  Returns NULL when nothing is left or on OOM.
 */
extern ClvHistory *clv_rows_canonical(const ClvHistory *rows, size_t nrows,
									  size_t *nout);
extern ClvSpend *clv_spend_canonical(const ClvSpend *rows, size_t nrows,
									 size_t *nout);

#endif							/* CRM_CLV_CANONICAL_ROWS_H */
