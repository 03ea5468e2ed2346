-- RFM scores and named segments.

CREATE TYPE @extschema@.rfm AS (
	r smallint,
	f smallint,
	m smallint,
	cell text,
	segment text
);

CREATE FUNCTION @extschema@.rfm_score(recency float8, frequency float8, monetary float8)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_score(recency float8, frequency float8, monetary float8, bins integer)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_score(last_purchase timestamptz, frequency float8, monetary float8)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score_time'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_score(last_purchase timestamptz, frequency float8, monetary float8, bins integer)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score_time'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(float8, float8, float8) IS
  'Window function: RFM scores 1..5 by quantile within the partition (5 = smallest recency, highest frequency and spend), ties share a score';
COMMENT ON FUNCTION @extschema@.rfm_score(float8, float8, float8, integer) IS
  'Window function: RFM scores 1..bins by quantile within the partition, ties share a score';
COMMENT ON FUNCTION @extschema@.rfm_score(timestamptz, float8, float8) IS
  'Window function: RFM scores 1..5 by quantile within the partition, recency from the last purchase time (latest = 5)';
COMMENT ON FUNCTION @extschema@.rfm_score(timestamptz, float8, float8, integer) IS
  'Window function: RFM scores 1..bins by quantile within the partition, recency from the last purchase time';

-- User-defined segment schemes: one row per cell; m NULL means "any m".
CREATE TABLE @extschema@.rfm_segment_map (
	scheme text NOT NULL CHECK (scheme NOT IN ('rfm11', 'rf10')),
	r smallint NOT NULL CHECK (r BETWEEN 1 AND 5),
	f smallint NOT NULL CHECK (f BETWEEN 1 AND 5),
	m smallint CHECK (m BETWEEN 1 AND 5),
	segment text NOT NULL,
	UNIQUE NULLS NOT DISTINCT (scheme, r, f, m)
);
COMMENT ON TABLE @extschema@.rfm_segment_map IS
  'User-defined RFM segment schemes for crm.rfm_segment: one row per (r, f, m) cell, m NULL = any m; dumped by pg_dump';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rfm_segment_map', '');
GRANT SELECT ON @extschema@.rfm_segment_map TO PUBLIC;

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer, scheme text DEFAULT 'rfm11')
RETURNS text AS 'MODULE_PATHNAME', 'crm_rfm_segment'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer, text) IS
  'Named segment of RFM scores 1..5: presets ''rfm11'' (11 segments) and ''rf10'' (R x F grid), or a scheme of crm.rfm_segment_map';

