# crm_marketing — PGXS build.
#
#   make && make install        build and install into the PostgreSQL of pg_config
#   make installcheck           pg_regress suite against a running server
#   make test                   everything, in throw-away clusters (README Quick start)
#   make demo                   the showcase on real data, in a throw-away cluster
#   make bench                  benchmarks (test/bench/), not part of the tests
#   make refs                   recompute reference values (needs python3-mpmath, python3-scipy)

EXTENSION   = crm_marketing
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = crm_marketing
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from one file per concept, in this order.
SQL_PARTS   = src/sql/header.sql \
              src/sql/distributions.sql \
              src/sql/experiments.sql \
              src/sql/rfm.sql \
              src/sql/customers.sql \
              src/sql/bi.sql \
              src/sql/automation.sql \
              src/sql/incrementality.sql
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql

REGRESS     = init distributions uplift_ttest uplift_ztest nps scalars state_validation parallel rfm cohorts kpis customers_parallel bi campaigns templates incrementality_stats
REGRESS_OPTS = --load-extension=plpgsql

PG_CONFIG  ?= pg_config
PG_CPPFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare \
              $(if $(WERROR),-Werror)
SHLIB_LINK  = -lm

EXTRA_CLEAN = test/tools/check_distributions

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control
	cat $(SQL_PARTS) > $@

$(OBJS): $(wildcard src/*.h)

.PHONY: test demo bench refs deps check-numerics

deps:
	bash test/deps.sh

test:
	bash test/run_tests.sh

demo:
	bash test/demo/run_demo.sh

bench:
	bash test/bench/run_bench.sh

# Reference values from mpmath (independent of our C code); the CSV is committed.
refs:
	/usr/bin/python3 test/tools/gen_distribution_refs.py

# Quick loop while working on the numerics: the C functions against the reference CSV.
check-numerics: test/tools/check_distributions
	test/tools/check_distributions test/data/distribution_refs.csv

test/tools/check_distributions: test/tools/check_distributions.c src/distributions.c src/distributions.h
	$(CC) -O2 -Wall -Wextra -o $@ test/tools/check_distributions.c src/distributions.c -lm
