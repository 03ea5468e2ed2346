/*
 * rfm_segment_sql.h — the named-segment maps of RFM scores 1..5.
 */
#ifndef CRM_RFM_SEGMENTS_H
#define CRM_RFM_SEGMENTS_H

#include <stdbool.h>

/*
 * Segment of (r, f, m) in a preset scheme, 'rfm11' or 'rf10' (m is ignored
 * by rf10).  *known is set false for any other scheme name.  Scores must be
 * 1..5.
 */
extern const char *crm_rfm_preset_segment(const char *scheme, int r, int f, int m, bool *known);

#endif
