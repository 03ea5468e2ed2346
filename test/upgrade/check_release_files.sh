#!/usr/bin/env bash
# make check-release: the files that describe a release agree, and released
# SQL scripts are as they shipped (doc/upgrading.md).
#  - src/sql/versions/SHA256SUMS lists every released script; each matches it;
#  - every install script kept there has a path of upgrade scripts to the
#    current version (the TAP test 008 runs them);
#  - crm_marketing.control, META.json, CHANGELOG.md, expected/init.out and
#    debian/changelog name the same current version.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "check-release: $*" >&2; exit 1; }

current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" crm_marketing.control)
[ -n "$current" ] || fail "no default_version in crm_marketing.control"

(cd src/sql/versions && sha256sum --quiet -c SHA256SUMS) || fail "a released script changed (src/sql/versions/SHA256SUMS)"
for f in src/sql/versions/crm_marketing--*.sql; do
	base=$(basename "$f")
	case $base in
	*--*--"$current".sql) ;;   # the upgrade script to the version being developed may still change
	*) grep -q "  $base\$" src/sql/versions/SHA256SUMS || fail "$base is not in SHA256SUMS";;
	esac
done
[ ! -e "src/sql/versions/crm_marketing--$current.sql" ] ||
	fail "the install script of the current version $current is built from src/sql/, not kept in versions/"

# every kept install script reaches the current version through upgrade scripts
for f in src/sql/versions/crm_marketing--*.sql; do
	base=$(basename "$f" .sql)
	v=${base#crm_marketing--}
	case $v in *--*) continue;; esac
	while [ "$v" != "$current" ]; do
		next=$(ls src/sql/versions/ | sed -n "s/^crm_marketing--$(printf '%s' "$v" | sed 's/\./\\./g')--\(.*\)\.sql$/\1/p" | head -1)
		[ -n "$next" ] || fail "no upgrade script leads from $v towards $current"
		v=$next
	done
done

meta=$(python3 -c 'import json; m = json.load(open("META.json")); print(m["version"], m["provides"]["crm_marketing"]["version"])')
[ "$meta" = "$current $current" ] || fail "META.json says $meta, the control file $current"
grep -q "^## $current " CHANGELOG.md || fail "CHANGELOG.md has no entry for $current"
grep -q "^ crm_marketing | $current " expected/init.out || fail "expected/init.out does not show version $current"
if [ -f debian/changelog ]; then
	deb=$(sed -n '1s/^[^(]*(\([^)-]*\).*/\1/p' debian/changelog)
	[ "$deb" = "$current" ] || fail "debian/changelog's newest version is $deb, the control file $current"
fi
echo "check-release: version $current; released scripts unchanged; every release upgrades to $current"
