#!/usr/bin/env bash
# Installs the Debian packages a task needs, only those missing.
#   bash test/deps.sh [build|test|demo|bench|refs|package]...   (default: build test)
# Needs root (or sudo) when something is missing; prints what it installs.
set -euo pipefail

declare -A PACKAGES=(
	[build]="make gcc postgresql-15 postgresql-server-dev-15"
	[test]="postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl openjdk-17-jdk-headless libpostgresql-jdbc-java"
	[demo]=""
	[bench]=""
	[refs]="python3-scipy python3-mpmath r-base-core"
	[package]="dpkg-dev debhelper postgresql-server-dev-all lintian"
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build test)

wanted=()
for g in "${groups[@]}"; do
	[ -n "${PACKAGES[$g]+set}" ] || { echo "deps.sh: unknown group '$g'" >&2; exit 2; }
	for p in ${PACKAGES[$g]}; do wanted+=("$p"); done
done

missing=()
for p in "${wanted[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps.sh: need root to install ${missing[*]}" >&2; exit 1; }
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null || $sudo apt-get update
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
