#!/usr/bin/env bash
# Runs the TAP tests of test/t/ (PostgreSQL::Test::Cluster from the server
# headers package).  initdb refuses to run as root, so as root the tests run
# as the postgres user, from a copy of test/t/ it owns.  `make
# prove_installcheck` runs it (PROVE_TESTS=test/t/002_crash.pl picks files,
# passed here as TAP_TESTS=t/002_crash.pl; PROVE_FLAGS goes to prove).
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=$(pg_config --bindir)
pgxs=$(dirname "$(pg_config --pgxs)")/..
perllib=$pgxs/test/perl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r test/t "$work/t"
cp -r test/upgrade "$work/upgrade"
run="cd '$work' && TESTDIR='$work' PATH='$bindir':\$PATH PG_REGRESS='$pgxs/test/regress/pg_regress' prove -I '$perllib' ${PROVE_FLAGS:-} ${TAP_TESTS:-t/*.pl}"
if [ "$(id -u)" -eq 0 ]; then
	chown -R postgres "$work"
	su postgres -s /bin/bash -c "$run"
else
	bash -c "$run"
fi
