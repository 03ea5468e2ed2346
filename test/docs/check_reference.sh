#!/usr/bin/env bash
# Checks doc/reference/*.md against the catalog of an installed crm_marketing:
#  - every function, aggregate, window function, table and view of schema crm
#    whose name does not start with "_", and every setting crm_marketing.*,
#    has exactly one heading  ### `crm.name`  (or `crm_marketing.name`) in
#    exactly one reference file;
#  - the support functions of the aggregates (*_transfn, *_combine, *_final,
#    *_serialize, *_deserialize) are named in exactly one reference file;
#  - every such heading names an object that exists (nothing stale);
#  - every composite type of crm is mentioned somewhere in the reference;
#  - README.md's "Functions at a glance" links every crm.* heading.
# Connects with the usual PG* environment variables; creates the extension in
# that database if it is not there.  The settings the server defines only
# when the library is preloaded (crm_marketing.max_databases) are checked only
# then.  Run, e.g., after make install:
#   pg_virtualenv -o shared_preload_libraries=crm_marketing test/docs/check_reference.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ref=doc/reference
# (the library is loaded first, so that its settings are defined without preload)
psql_q() { psql -X -qAt -v ON_ERROR_STOP=1 -c "LOAD 'crm_marketing'" -c "$1"; }

psql_q 'CREATE EXTENSION IF NOT EXISTS crm_marketing' >/dev/null
objects=$(psql_q "
  SELECT DISTINCT 'crm.' || p.proname FROM pg_proc p
  WHERE p.pronamespace = 'crm'::regnamespace AND p.proname !~ '^_'
  UNION SELECT 'crm.' || c.relname FROM pg_class c
  WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p') AND c.relname !~ '^_'
  UNION SELECT name FROM pg_settings WHERE name LIKE 'crm\_marketing.%'
  ORDER BY 1")
types=$(psql_q "
  SELECT 'crm.' || t.typname FROM pg_type t
  WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'c'
    AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'
  ORDER BY 1")

# headings that define an object: "### `crm.name`", one name per heading
headings=$(grep -HoE '^#{2,6} `(crm|crm_marketing)\.[a-z0-9_]+`' "$ref"/*.md |
           sed -E 's/^([^:]+):#+ `([^`]+)`/\1 \2/')
fail=0
for o in $objects; do
    if [[ $o =~ _(transfn|combine|final|serialize|deserialize)$ ]]; then
        n=$(grep -lF "\`$o\`" "$ref"/*.md | wc -l)
        if [ "$n" -ne 1 ]; then echo "support function $o: named in $n reference files (want 1)"; fail=1; fi
        continue
    fi
    n=$(printf '%s\n' "$headings" | awk -v o="$o" '$2 == o' | wc -l)
    if [ "$n" -ne 1 ]; then echo "$o: $n defining headings in $ref/ (want exactly 1)"; fail=1; fi
done
while read -r file name; do
    [ -n "$name" ] || continue
    if ! printf '%s\n' "$objects" | grep -qxF "$name"; then
        if [ "$name" = crm_marketing.max_databases ]; then continue; fi   # without preload
        echo "$file: heading for $name, which does not exist"; fail=1
    fi
done <<< "$headings"
for t in $types; do
    if ! grep -qF "\`$t" "$ref"/*.md; then echo "type $t: not mentioned in $ref/"; fail=1; fi
done
# the README's "Functions at a glance" links every crm.* heading to its file
while read -r file name; do
    case $name in crm.*) ;; *) continue;; esac
    short=${name#crm.}
    if ! grep -qF "[\`$short\`]($file#crm$short)" README.md; then
        echo "README.md: $name is not in \"Functions at a glance\" (linked to $file)"; fail=1
    fi
done <<< "$headings"
if [ "$fail" -eq 0 ]; then
    echo "doc/reference: $(printf '%s\n' "$objects" | wc -l) objects, each documented once and listed in README.md"
fi
exit "$fail"
