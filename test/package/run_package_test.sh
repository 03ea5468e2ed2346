#!/usr/bin/env bash
# make check-package — builds the Debian package postgresql-15-crm-marketing
# from this tree and tests it the way a DBA would use it:
#   1. installs what is missing (test/deps.sh build package);
#   2. copies the tree (git ls-files: tracked and new files, not ignored ones)
#      to a temporary directory and runs `dpkg-buildpackage -us -uc -b` there,
#      so the source tree is not touched; the .deb lands in that directory;
#      the build runs the pg_regress suite against the files it is packaging
#      (dh_pgxs_test; DEB_BUILD_OPTIONS=nocheck skips it);
#   3. checks the .deb: its name and version (debian/changelog, whose upstream
#      part must be the control file's default_version), its
#      dependencies, the .so, the control file, every SQL script, nothing else
#      than the extension and its documents (no test data);
#   4. installs the .deb with dpkg -i and runs debian/tests/smoke (a
#      throw-away cluster with shared_preload_libraries: CREATE EXTENSION,
#      known values, the worker running, ALTER EXTENSION UPDATE, DROP EXTENSION);
#   5. lintian (errors fail the test, warnings are printed);
#   6. always, even after a failure: purges the package, checks it left no file,
#      and reinstalls this tree's build with `make install`, as the rest of the
#      test suite expects.
#
# Before building, it removes the copy that `make install` put into
# PostgreSQL's directories: the build-time tests (extension_destdir) would
# otherwise load that copy instead of the files being packaged, and dpkg must
# be the one that puts the files there.  So it changes PostgreSQL's system
# directories: on a machine shared with other test runs, run it under the
# install lock, e.g.
#   flock /tmp/crm_install.lock make check-package
# It takes no lock itself, because test/run_tests.sh, which calls it, may
# itself run under that lock.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD

bash test/deps.sh build package

pg_config=${PG_CONFIG:-pg_config}
major=$("$pg_config" --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
pkglibdir=$("$pg_config" --pkglibdir)
extdir=$("$pg_config" --sharedir)/extension
source=$(dpkg-parsechangelog -S Source)
version=$(dpkg-parsechangelog -S Version)
upstream=${version%-*}
package=postgresql-$major-crm-marketing
arch=$(dpkg --print-architecture)
deb=${package}_${version}_${arch}.deb
default_version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" crm_marketing.control)

fail() { echo "check-package: FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

# the package version is the extension's version and a Debian revision
[ "$upstream" = "$default_version" ] ||
	fail "debian/changelog is at $version but crm_marketing.control at $default_version: add a changelog entry (doc/packaging.md, \"Releasing a new version\")"

work=$(mktemp -d -t crm-package.XXXXXX)
# the throw-away clusters run as postgres and read the files being packaged
# (extension_destdir, debian/postgresql-15-crm-marketing/) and test/data here
chmod 755 "$work"
touched=""
cleanup() {
	local status=$?
	set +e
	if [ -n "$touched" ]; then
		echo "--- purging $package, reinstalling this tree's build (make install)"
		if dpkg-query -W "$package" >/dev/null 2>&1; then
			dpkg --purge "$package" >/dev/null
			left=$(ls "$pkglibdir"/crm_marketing.so "$extdir"/crm_marketing.control 2>/dev/null)
			if [ -n "$left" ]; then
				echo "check-package: FAIL: dpkg --purge left $left" >&2
				status=1
			fi
		fi
		make -s -C "$top" install >/dev/null || { echo "check-package: make install failed" >&2; status=1; }
	fi
	rm -rf "$work"
	exit $status
}
trap cleanup EXIT

# 1. the tree, copied
tree=$work/$source-$upstream
mkdir "$tree"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$tree"
else
	tar --exclude=./.git -cf - . | tar -xf - -C "$tree"
	make -s -C "$tree" clean >/dev/null
fi

# 2. the make-install copy out of the way, then the build
echo "--- removing the make-install copy of crm_marketing from $pkglibdir and $extdir"
dpkg-query -W "$package" >/dev/null 2>&1 && fail "$package is installed already: dpkg --purge it first"
touched=yes
for f in "$pkglibdir"/crm_marketing.so "$pkglibdir"/bitcode/crm_marketing.index.bc "$pkglibdir"/bitcode/crm_marketing \
         "$extdir"/crm_marketing.control "$extdir"/crm_marketing--*.sql; do
	[ -e "$f" ] && rm -rf "$f"
done

echo "--- dpkg-buildpackage -us -uc -b (in $tree)"
start=$SECONDS
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -100 "$work/build.log"
	fail "dpkg-buildpackage failed"
fi
ok "dpkg-buildpackage built $(cd "$work" && ls -- *.deb | tr '\n' ' ')in $((SECONDS - start)) s"
if grep -q "^### End $major installcheck ###" "$work/build.log"; then
	ok "build-time pg_regress suite (dh_pgxs_test) passed"
else
	echo "# build-time pg_regress suite not run (DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-})"
fi
[ -f "$work/$deb" ] || fail "no $deb"

# 3. what is in the .deb
[ "$(dpkg-deb -f "$work/$deb" Package)" = "$package" ] || fail "Package field"
[ "$(dpkg-deb -f "$work/$deb" Version)" = "$version" ] || fail "Version field"
depends=$(dpkg-deb -f "$work/$deb" Depends)
[[ $depends == *"postgresql-$major "* ]] || fail "Depends has no postgresql-$major: $depends"
ok "$deb: Package $package, Version $version, Depends $depends"

dpkg-deb -c "$work/$deb" | awk '{print $NF}' | sed 's|^\./|/|' > "$work/contents"
expect=("/usr/lib/postgresql/$major/lib/crm_marketing.so"
        "/usr/share/postgresql/$major/extension/crm_marketing.control"
        "/usr/share/postgresql/$major/extension/crm_marketing--$default_version.sql"
        "/usr/share/doc/$package/copyright"
        "/usr/share/doc/$package/README.md")
# every SQL script `make install` installs: the install script of
# default_version (built), and the upgrade scripts and kept install scripts
# of earlier versions (files of the tree, named crm_marketing--*.sql)
while read -r f; do
	[ -n "$f" ] || continue
	expect+=("/usr/share/postgresql/$major/extension/$(basename "$f")")
done < <(cd "$tree" && make -s -f - print-data <<<'include Makefile
print-data: ; @printf "%s\n" $(DATA)')
for f in "${expect[@]}"; do
	grep -qxF "$f" "$work/contents" || fail "$deb has no $f"
done
ok "$deb has the .so, the control file, every SQL script, the README and copyright"
ok "SQL scripts: $(grep "^/usr/share/postgresql/$major/extension/.*\.sql$" "$work/contents" | xargs -n1 basename | tr '\n' ' ')"
strays=$(grep -v -e '/$' \
	-e "^/usr/lib/postgresql/$major/lib/crm_marketing\.so$" \
	-e "^/usr/lib/postgresql/$major/lib/bitcode/crm_marketing" \
	-e "^/usr/share/postgresql/$major/extension/crm_marketing\(\.control\|--.*\.sql\)$" \
	-e "^/usr/share/doc/$package/" "$work/contents" || true)
[ -z "$strays" ] || fail "unexpected files in $deb: $strays"
! grep -q -e '\.csv$' -e '\.txt$' -e '/test/' "$work/contents" || fail "test data in $deb"
ok "nothing else: no test data, no sources"

# 4. installed as a DBA installs it
echo "--- dpkg -i $deb"
dpkg -i "$work/$deb" >/dev/null
[ "$(dpkg-query -W -f '${Status} ${Version}' "$package")" = "install ok installed $version" ] || fail "dpkg -i"
for f in "$pkglibdir/crm_marketing.so" "$extdir/crm_marketing.control" "$extdir/crm_marketing--$default_version.sql"; do
	[ "$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)" = "$package" ] || fail "$f is not $package's"
done
ok "dpkg -i: $package $version installed, owns the .so, the control file and the SQL script"
(cd "$tree" && bash debian/tests/smoke)

# 5. lintian
if command -v lintian >/dev/null; then
	echo "--- lintian $deb"
	(cd "$work" && lintian --info "$deb") > "$work/lintian.log" 2>&1 || true
	cat "$work/lintian.log"
	! grep -q '^E:' "$work/lintian.log" || fail "lintian errors"
	ok "lintian: no errors ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"
fi

echo "check-package: all checks passed"
