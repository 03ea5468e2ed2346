#!/usr/bin/env bash
# Compiles and runs the JDBC column-type check against the cluster that the
# libpq environment points to (run it inside pg_virtualenv).
set -euo pipefail
cd "$(dirname "$0")"
jar=/usr/share/java/postgresql.jar
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
javac -d "$out" -cp "$jar" JdbcColumnTypes.java
java -cp "$out:$jar" JdbcColumnTypes
