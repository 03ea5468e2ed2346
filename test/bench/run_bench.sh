#!/usr/bin/env bash
# make bench — builds, installs, and runs the benchmarks in a throw-away
# cluster.  BENCH=experiments|customers|clv|campaigns picks some (default: all);
# ROWS=... (experiments, default 10M) and ORDERS=... (customers, default 10M)
# change the sizes.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/deps.sh build bench
make -s >/dev/null
make -s install >/dev/null
for bench in ${BENCH:-experiments customers clv campaigns}; do
	echo "=== benchmark: $bench"
	if [ "$bench" = campaigns ]; then
		pg_virtualenv -o shared_preload_libraries=crm_marketing -o shared_buffers=1GB bash test/bench/bench_campaigns.sh
		continue
	fi
	pg_virtualenv -o shared_preload_libraries=crm_marketing -o shared_buffers=1GB -o max_parallel_workers=4 \
		psql -X -q -v ON_ERROR_STOP=1 -v rows="${ROWS:-10000000}" -v orders="${ORDERS:-10000000}" \
		-v cores="$(nproc)" -f "test/bench/bench_$bench.sql"
done
