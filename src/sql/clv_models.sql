
-- Customer lifetime value: purchase histories, BG/NBD, Pareto/NBD
-- and Gamma-Gamma fits on histograms of distinct histories, predictions.

CREATE TYPE @extschema@.purchase_summary AS (
	frequency int,          -- repeat purchases: distinct purchase days - 1
	recency float8,         -- first -> last purchase day, in time_unit
	tenure float8,          -- first purchase day -> observation_end, in time_unit
	monetary_value float8,  -- mean spend per repeat purchase day (0 when frequency = 0)
	orders bigint,          -- orders on or before observation_end
	revenue float8,
	first_purchase timestamptz,
	last_purchase timestamptz
);
COMMENT ON TYPE @extschema@.purchase_summary IS
  'One customer''s purchase history as the CLV models read it (crm.purchase_summary)';

CREATE TYPE @extschema@.bgnbd_model AS (
	r float8, alpha float8, a float8, b float8,
	log_likelihood float8, customers bigint, iterations int, converged boolean,
	r_se float8, alpha_se float8, a_se float8, b_se float8
);
COMMENT ON TYPE @extschema@.bgnbd_model IS
  'A fitted BG/NBD model (Fader, Hardie & Lee 2005); store it and score with it later';

CREATE TYPE @extschema@.pareto_nbd_model AS (
	r float8, alpha float8, s float8, beta float8,
	log_likelihood float8, customers bigint, iterations int, converged boolean,
	r_se float8, alpha_se float8, s_se float8, beta_se float8
);
COMMENT ON TYPE @extschema@.pareto_nbd_model IS
  'A fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987)';

CREATE TYPE @extschema@.gamma_gamma_model AS (
	p float8, q float8, v float8,
	log_likelihood float8, customers bigint, iterations int, converged boolean,
	p_se float8, q_se float8, v_se float8
);
COMMENT ON TYPE @extschema@.gamma_gamma_model IS
  'A fitted Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013)';

-- purchase_summary -------------------------------------------------------------------
-- SSPACE: the state is 128 bytes plus a day array for customers with more than four purchase
-- days; without it the planner assumes 8 kB per customer and a GROUP BY customer hash
-- aggregate spills to disk long before work_mem is used.

CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, float8, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_float8_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, float8, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_float8_unit_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, numeric, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_numeric_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, numeric, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_numeric_unit_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_combine' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_purchase_summary_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_deserialize' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_final(internal)
RETURNS @extschema@.purchase_summary AS 'MODULE_PATHNAME', 'crm_purchase_summary_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount float8, observation_end timestamptz) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount float8, observation_end timestamptz, time_unit interval) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount numeric, observation_end timestamptz) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount numeric, observation_end timestamptz, time_unit interval) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, float8, timestamptz, interval) IS
  'A customer''s orders as (frequency, recency, tenure, monetary_value, ...); use with GROUP BY customer';
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, float8, timestamptz) IS
  'A customer''s orders as (frequency, recency, tenure, monetary_value, ...) in days; use with GROUP BY customer';
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, numeric, timestamptz, interval) IS
  'A customer''s orders (numeric amounts) as (frequency, recency, tenure, monetary_value, ...); use with GROUP BY customer';
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, numeric, timestamptz) IS
  'A customer''s orders (numeric amounts) as (frequency, recency, tenure, monetary_value, ...) in days';

-- fits ---------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.bgnbd_fit_transfn(internal, int, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_final(internal)
RETURNS @extschema@.bgnbd_model AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.bgnbd_fit(frequency int, recency float8, tenure float8) (
	SFUNC = @extschema@.bgnbd_fit_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.bgnbd_fit_combine,
	SERIALFUNC = @extschema@.bgnbd_fit_serialize,
	DESERIALFUNC = @extschema@.bgnbd_fit_deserialize,
	FINALFUNC = @extschema@.bgnbd_fit_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(int, float8, float8) IS
  'Maximum-likelihood BG/NBD fit over customers'' (frequency, recency, tenure)';

CREATE FUNCTION @extschema@.pareto_nbd_fit_transfn(internal, int, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_final(internal)
RETURNS @extschema@.pareto_nbd_model AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.pareto_nbd_fit(frequency int, recency float8, tenure float8) (
	SFUNC = @extschema@.pareto_nbd_fit_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.pareto_nbd_fit_combine,
	SERIALFUNC = @extschema@.pareto_nbd_fit_serialize,
	DESERIALFUNC = @extschema@.pareto_nbd_fit_deserialize,
	FINALFUNC = @extschema@.pareto_nbd_fit_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.pareto_nbd_fit(int, float8, float8) IS
  'Maximum-likelihood Pareto/NBD fit over customers'' (frequency, recency, tenure)';

CREATE FUNCTION @extschema@.gamma_gamma_fit_transfn(internal, int, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_final(internal)
RETURNS @extschema@.gamma_gamma_model AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.gamma_gamma_fit(frequency int, monetary_value float8) (
	SFUNC = @extschema@.gamma_gamma_fit_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.gamma_gamma_fit_combine,
	SERIALFUNC = @extschema@.gamma_gamma_fit_serialize,
	DESERIALFUNC = @extschema@.gamma_gamma_fit_deserialize,
	FINALFUNC = @extschema@.gamma_gamma_fit_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(int, float8) IS
  'Maximum-likelihood Gamma-Gamma spend fit over repeat buyers (frequency > 0; others are skipped)';

-- predictions ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.p_alive(model @extschema@.bgnbd_model, frequency int, recency float8, tenure float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.p_alive(model @extschema@.pareto_nbd_model, frequency int, recency float8, tenure float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd_model, int, float8, float8) IS
  'Probability that a customer with this history is still active (BG/NBD)';
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.pareto_nbd_model, int, float8, float8) IS
  'Probability that a customer with this history is still active (Pareto/NBD)';

CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.bgnbd_model, frequency int, recency float8, tenure float8, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.pareto_nbd_model, frequency int, recency float8, tenure float8, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.bgnbd_model, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.pareto_nbd_model, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd_model, int, float8, float8, float8) IS
  'Expected purchases in the next horizon units, given the customer''s history';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd_model, float8) IS
  'Expected purchases of a new customer in the first horizon units';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.pareto_nbd_model, int, float8, float8, float8) IS
  'Expected purchases in the next horizon units, given the customer''s history (Pareto/NBD)';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.pareto_nbd_model, float8) IS
  'Expected purchases of a new customer in the first horizon units (Pareto/NBD)';

CREATE FUNCTION @extschema@.purchase_probability(model @extschema@.bgnbd_model, n int, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_purchase_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_probability(model @extschema@.pareto_nbd_model, n int, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_purchase_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.purchase_probability(@extschema@.bgnbd_model, int, float8) IS
  'Probability that a new customer makes exactly n repeat purchases in horizon units';
COMMENT ON FUNCTION @extschema@.purchase_probability(@extschema@.pareto_nbd_model, int, float8) IS
  'Probability that a new customer makes exactly n repeat purchases in horizon units (Pareto/NBD)';

CREATE FUNCTION @extschema@.expected_spend(model @extschema@.gamma_gamma_model, frequency int, monetary_value float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_gamma_gamma_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_spend(@extschema@.gamma_gamma_model, int, float8) IS
  'Expected spend per purchase of a customer: the customer''s mean shrunk toward the population mean';

CREATE FUNCTION @extschema@.ltv_estimate(model @extschema@.bgnbd_model, spend_model @extschema@.gamma_gamma_model,
	frequency int, recency float8, tenure float8, monetary_value float8, horizon float8,
	annual_discount_rate float8 DEFAULT 0, time_unit interval DEFAULT '1 day')
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_ltv_estimate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.ltv_estimate(model @extschema@.pareto_nbd_model, spend_model @extschema@.gamma_gamma_model,
	frequency int, recency float8, tenure float8, monetary_value float8, horizon float8,
	annual_discount_rate float8 DEFAULT 0, time_unit interval DEFAULT '1 day')
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_ltv_estimate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ltv_estimate(@extschema@.bgnbd_model, @extschema@.gamma_gamma_model, int, float8, float8, float8, float8, float8, interval) IS
  'Discounted expected revenue of a customer over the next horizon units';
COMMENT ON FUNCTION @extschema@.ltv_estimate(@extschema@.pareto_nbd_model, @extschema@.gamma_gamma_model, int, float8, float8, float8, float8, float8, interval) IS
  'Discounted expected revenue of a customer over the next horizon units (Pareto/NBD purchases)';
