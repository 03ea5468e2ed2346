#!/usr/bin/env bash
# make test — the whole test suite, each part in its own throw-away cluster
# (pg_virtualenv: created, used and dropped by this script).  Installs what is
# missing first, builds with -Werror, installs, runs, prints a summary and
# exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash test/deps.sh build test || exit 1
make -s clean >/dev/null
if ! make -s WERROR=1 >/dev/null || ! make -s install >/dev/null; then
	echo "build failed" >&2
	exit 1
fi

results=()
failed=0

# run NAME COMMAND...: runs one part and records its outcome
run() {
	local name=$1
	shift
	echo
	echo "=== $name"
	if "$@"; then
		results+=("PASS  $name")
	else
		results+=("FAIL  $name")
		failed=1
	fi
}

# pg_regress, with the library loaded on demand: no background worker runs
# campaigns behind the tests' backs (test/t/ tests the worker)
regress() {
	pg_virtualenv make -s installcheck
	local status=$?
	if [ $status -ne 0 ] && [ -f regression.diffs ]; then
		echo "--- regression.diffs (first 200 lines)"
		head -200 regression.diffs
	fi
	return $status
}

# pgTAP, with the library preloaded (launcher and workers running)
pgtap() {
	pg_virtualenv -o shared_preload_libraries=crm_marketing bash -c '
		set -e
		createdb crm_pgtap
		psql -X -q -d crm_pgtap -c "CREATE EXTENSION pgtap"
		pg_prove -d crm_pgtap test/pgtap/*.sql'
}

# doc/reference/ documents every object of the installed extension, once
reference() {
	pg_virtualenv -o shared_preload_libraries=crm_marketing bash test/docs/check_reference.sh
}

# what a JDBC client (Metabase's way in) sees of the result columns
jdbc() {
	pg_virtualenv bash test/jdbc/run_jdbc.sh
}

# the background worker: PostgreSQL::Test::Cluster, clusters of its own
tap() {
	make -s prove_installcheck
}

# the numerics in plain C, no server: the pure files compile without
# PostgreSQL headers; distributions, CLV models and experiment statistics
# against the mpmath and R references, published fits, simulations
numerics() {
	make -s check-purity && make -s check-numerics && make -s check-clv && make -s check-stats
}

# the release: version files agree, released scripts unchanged (the upgrade
# itself is tested by test/t/008_upgrade.pl)
release() {
	make -s check-release
}

run "C numerics (make check-purity, check-numerics, check-clv, check-stats)" numerics
run "release files (make check-release)" release
run "pg_regress (sql/, expected/)" regress
run "pgTAP API contract (test/pgtap/)" pgtap
run "reference documentation (test/docs/)" reference
run "JDBC column types (test/jdbc/)" jdbc
run "TAP: background worker, crashes, delivery, security, upgrade (test/t/)" tap
run "Debian package (test/package/)" bash test/package/run_package_test.sh

echo
echo "=== summary"
printf '%s\n' "${results[@]}"
if [ $failed -ne 0 ]; then
	echo "SOME TESTS FAILED"
	exit 1
fi
echo "ALL TESTS PASSED"
