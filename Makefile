# crm_marketing — PGXS build.
#
#   make && make install        build and install into the PostgreSQL of pg_config
#   make installcheck           pg_regress suite against a running server
#   make prove_installcheck     TAP tests of the worker (test/t/), after make install
#   make test                   everything, in throw-away clusters (README Quick start)
#   make demo                   the showcase on real data, in a throw-away cluster
#   make bench                  benchmarks (test/bench/), not part of the tests
#   make check-purity           the pure C files compile without PostgreSQL headers
#   make check-release          release files agree; released SQL scripts unchanged
#   make refs                   recompute reference values (needs python3-mpmath, python3-scipy)
#   make package                the Debian package postgresql-15-crm-marketing (doc/packaging.md)
#   make check-package          build it, install it, test it, remove it (doc/packaging.md)
#   make dist                   the PGXN distribution crm_marketing-<version>.zip (META.json)

EXTENSION   = crm_marketing
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = crm_marketing
# src/ is split by domain (README "Development"); headers are included by
# their path under src/ ("math/hyp2f1.h"), so -Isrc is the only include flag.
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))

# The install script is assembled from one file per concept, in this order.
SQL_PARTS   = src/sql/header.sql \
              src/sql/stats_distributions.sql \
              src/sql/stats_experiments.sql \
              src/sql/customers_rfm.sql \
              src/sql/customers_cohorts_kpis.sql \
              src/sql/customers_bi.sql \
              src/sql/automation_sources.sql \
              src/sql/automation_campaigns.sql \
              src/sql/clv_models.sql \
              src/sql/stats_incrementality.sql \
              src/sql/automation_campaign_report.sql
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
# Released versions (doc/upgrading.md): the install script of each earlier
# release as it shipped, and the upgrade scripts between them.  Released
# files never change; SHA256SUMS there holds them to it (make check-release).
DATA        = $(filter-out %/$(EXTENSION)--$(EXTVERSION).sql, $(wildcard src/sql/versions/$(EXTENSION)--*.sql))

# pg_regress tests (sql/, expected/), named <domain>_<what>; init first, the fuzz test last.
REGRESS     = init \
              stats_distributions stats_uplift_ttest stats_uplift_ztest stats_nps stats_srm_sample_size \
              stats_state_validation stats_parallel \
              customers_rfm customers_cohorts customers_kpis customers_parallel customers_bi \
              automation_campaigns automation_templates \
              stats_incrementality customers_purchase_summary clv_models automation_campaign_report \
              customers_overload_symbols \
              fuzz_all_functions
REGRESS_OPTS = --load-extension=plpgsql

PG_CONFIG  ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare \
              $(if $(WERROR),-Werror)
SHLIB_LINK  = -lm

EXTRA_CLEAN = test/unit/test_distributions test/unit/test_clv test/unit/test_stats

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control
	cat $(SQL_PARTS) > $@

$(OBJS): $(wildcard src/*.h src/*/*.h)

.PHONY: test demo bench refs deps check-numerics check-clv check-stats check-purity check-release prove_installcheck package check-package dist

deps:
	bash test/deps.sh

test:
	bash test/run_tests.sh

demo:
	bash test/demo/run_demo.sh

bench:
	bash test/bench/run_bench.sh

# The Debian package (debian/, pg_buildext), built in ../ like any Debian
# package; check-package builds it in a copy and tests it (doc/packaging.md).
package:
	dpkg-buildpackage -us -uc -b

check-package:
	bash test/package/run_package_test.sh

# The PGXN distribution (META.json): the committed tree as name-version.zip.
dist:
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD

# The TAP tests of test/t/ against the installed extension, in clusters of
# their own (PostgreSQL::Test::Cluster), the usual prove_installcheck:
#   make prove_installcheck PROVE_TESTS=test/t/002_crash.pl PROVE_FLAGS=--verbose
prove_installcheck:
	TAP_TESTS='$(addprefix t/,$(notdir $(PROVE_TESTS)))' PROVE_FLAGS='$(PROVE_FLAGS)' bash test/run_tap.sh

# The release files agree and released SQL scripts are as they shipped.
check-release:
	bash test/upgrade/check_release_files.sh

# Reference values from mpmath (independent of our C code); the CSV is committed.
refs:
	/usr/bin/python3 test/refgen/distribution_refs.py
	/usr/bin/python3 test/refgen/clv_refs.py > test/data/clv_prediction_refs.csv.tmp
	mv test/data/clv_prediction_refs.csv.tmp test/data/clv_prediction_refs.csv
	/usr/bin/python3 test/refgen/incrementality_refs.py
	/usr/bin/python3 test/refgen/hyp2f1_refs.py > test/data/hyp2f1_refs.csv.tmp
	mv test/data/hyp2f1_refs.csv.tmp test/data/hyp2f1_refs.csv

# Quick loop while working on the numerics: the C functions against the reference CSV.
check-numerics: test/unit/test_distributions
	test/unit/test_distributions test/data/distribution_refs.csv

DISTRIBUTION_SOURCES = src/math/distributions.c src/math/special_functions.c
test/unit/test_distributions: test/unit/test_distributions.c $(DISTRIBUTION_SOURCES) $(wildcard src/math/*.h)
	$(CC) -O2 -Wall -Wextra -Isrc -o $@ test/unit/test_distributions.c $(DISTRIBUTION_SOURCES) -lm

# The CLV numerics in pure C: references, published fits, simulations, timings.
CLV_SOURCES = src/math/special_functions.c src/math/quadrature.c src/math/hyp2f1.c src/math/optimizer.c \
              src/clv/canonical_rows.c src/clv/fit_steps.c src/clv/discount.c src/clv/bgnbd.c src/clv/pareto_nbd.c \
              src/clv/gamma_gamma.c
check-clv: test/unit/test_clv
	test/unit/test_clv

test/unit/test_clv: test/unit/test_clv.c $(CLV_SOURCES) $(wildcard src/math/*.h src/clv/*.h)
	$(CC) -std=c99 -O2 -Wall -Wextra -Wno-unused-parameter -D_POSIX_C_SOURCE=200112L -Isrc -o $@ \
		$(CLV_SOURCES) test/unit/test_clv.c -lm

# The experiment statistics of src/stats/ in pure C, against R and mpmath values.
STATS_SOURCES = src/stats/p_adjust.c src/stats/cuped.c src/stats/msprt.c src/stats/welch.c \
                $(DISTRIBUTION_SOURCES)
check-stats: test/unit/test_stats
	test/unit/test_stats

test/unit/test_stats: test/unit/test_stats.c $(STATS_SOURCES) $(wildcard src/math/*.h src/stats/*.h)
	$(CC) -std=c99 -O2 -Wall -Wextra -Wno-unused-parameter -D_POSIX_C_SOURCE=200112L -Isrc -o $@ \
		$(STATS_SOURCES) test/unit/test_stats.c -lm

# Purity as a build fact: the numerics are plain C99 with no PostgreSQL types
# (README "Development").  Every file of src/math/, src/stats/, src/clv/ and
# src/customers/ is pure unless its name ends in _sql (the SQL glue) or it is
# one of the server modules listed here.  They are compiled with nothing but
# -Isrc, so an include of a PostgreSQL header fails.
SERVER_MODULES = src/clv/history_checks src/clv/score_cache src/customers/customer_map src/customers/period_bucket \
                 src/stats/aggregate_state
PURE_SOURCES = $(filter-out %_sql.c %_sql.h $(addsuffix .c,$(SERVER_MODULES)) $(addsuffix .h,$(SERVER_MODULES)), \
                 $(sort $(wildcard $(addsuffix /*.c,src/math src/stats src/clv src/customers) \
                                   $(addsuffix /*.h,src/math src/stats src/clv src/customers))))
PURE_CFLAGS = -std=c99 -D_POSIX_C_SOURCE=200112L -Wall -Wextra -Wno-unused-parameter \
              -Werror=implicit-function-declaration -Isrc
check-purity:
	@for f in $(PURE_SOURCES); do \
		case $$f in *.h) lang="-fsyntax-only -x c";; *) lang="-c -o /dev/null";; esac; \
		$(CC) $(PURE_CFLAGS) $$lang $$f || { echo "check-purity: $$f is not pure C (it needs a PostgreSQL header)" >&2; exit 1; }; \
	done; \
	echo "check-purity: $(words $(PURE_SOURCES)) files compile without PostgreSQL headers"
	@misplaced=$$(grep -l PG_FUNCTION_INFO_V1 $(filter-out %_sql.c,$(wildcard src/*.c src/*/*.c))); \
	if [ -n "$$misplaced" ]; then echo "check-purity: SQL entry points outside a *_sql.c file: $$misplaced" >&2; exit 1; fi; \
	echo "check-purity: every SQL entry point is in a *_sql.c file"
