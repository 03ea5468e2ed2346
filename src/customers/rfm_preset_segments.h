/*
 * rfm_preset_segments.h — the preset named-segment maps of RFM scores 1..5
 * ('rfm11', 'rf10'); crm.rfm_segment() in rfm_segment_sql.c adds the
 * user-defined schemes.
 */
#ifndef CRM_RFM_PRESET_SEGMENTS_H
#define CRM_RFM_PRESET_SEGMENTS_H

#include <stdbool.h>

/*
 * Segment of (r, f, m) in a preset scheme, 'rfm11' or 'rf10' (m is ignored
 * by rf10).  *known is set false for any other scheme name.  Scores must be
 * 1..5.
 */
extern const char *crm_rfm_preset_segment(const char *scheme, int r, int f, int m, bool *known);

#endif
