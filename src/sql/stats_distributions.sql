-- Distribution functions: pure, exact to the stated tolerance.

CREATE FUNCTION @extschema@.normal_cdf(x float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_normal_cdf_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_cdf(float8) IS
  'P(Z <= x) for the standard normal distribution';

CREATE FUNCTION @extschema@.normal_quantile(p float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_normal_quantile_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_quantile(float8) IS
  'x with P(Z <= x) = p for the standard normal distribution';

CREATE FUNCTION @extschema@.student_t_cdf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_student_t_cdf_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.student_t_cdf(float8, float8) IS
  'P(T <= x) for Student''s t distribution with df degrees of freedom';

CREATE FUNCTION @extschema@.student_t_quantile(p float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_student_t_quantile_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.student_t_quantile(float8, float8) IS
  'x with P(T <= x) = p for Student''s t distribution with df degrees of freedom';

CREATE FUNCTION @extschema@.chi2_sf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_chi2_sf_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.chi2_sf(float8, float8) IS
  'P(X > x) for the chi-square distribution with df degrees of freedom (upper tail, computed directly)';

