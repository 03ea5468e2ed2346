#!/usr/bin/env bash
# make demo — installs what is missing, builds, installs, and runs the demo
# in a throw-away cluster with the library preloaded; the cluster is dropped
# at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/deps.sh build demo
make -s >/dev/null
make -s install >/dev/null
pg_virtualenv -o shared_preload_libraries=crm_marketing \
	psql -X -q -v ON_ERROR_STOP=1 -f test/demo/demo.sql
