#!/usr/bin/env bash
# make bench — builds, installs, and runs the benchmarks in a throw-away
# cluster.  ROWS=... overrides the row count (default 10,000,000).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/deps.sh build bench
make -s >/dev/null
make -s install >/dev/null
pg_virtualenv -o shared_preload_libraries=crm_marketing -o shared_buffers=1GB -o max_parallel_workers=4 \
	psql -X -q -v ON_ERROR_STOP=1 -v rows="${ROWS:-10000000}" -v cores="$(nproc)" -f test/bench/bench_experiments.sql
