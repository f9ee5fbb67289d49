#!/bin/bash
# Build the kit's RPM the way distribution packagers build Rust software:
# a source tarball with every crate vendored, then rpmbuild, offline and
# locked. Leaves the binary RPM and the source RPM in target/rpm/.
#
#   bash packaging/build-rpm.sh
#
# Needs rpmbuild (Debian/Ubuntu: apt-get install rpm; RHEL/SUSE: rpm-build)
# and cargo. On a build host that is not itself an RPM system, rpmbuild
# cannot see cargo in the RPM database, so BuildRequires are not checked
# there (--nodeps); on an RPM system they are.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
name=lkroute53-$version
top=$here/target/rpmbuild
out=$here/target/rpm
rm -rf "$top" "$out"
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,stage} "$out"

# The source tree: the files under version control (or, outside git, the
# folders that make the crate), plus the vendored crates.
stage=$top/stage/$name
mkdir -p "$stage"
if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$here" ls-files -z | xargs -0 cp --parents -t "$stage"
    epoch=$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)
else
    cp -r Cargo.toml Cargo.lock src actions packaging README.md LICENSE "$stage"
    epoch=$(date +%s)
fi
export SOURCE_DATE_EPOCH=$epoch
mkdir -p "$stage/.cargo"
(cd "$stage" && cargo vendor --locked --versioned-dirs --quiet vendor >/dev/null)
# The source replacement that makes the build see only vendor/, written
# out (cargo vendor prints it only without --quiet), and checked.
cat >"$stage/.cargo/config.toml" <<'CONFIG'
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
CONFIG
[ -d "$stage/vendor" ] && [ -n "$(ls -A "$stage/vendor")" ] || { echo "build-rpm.sh: cargo vendor left no crates in vendor/" >&2; exit 1; }
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    -czf "$top/SOURCES/$name.tar.gz" -C "$top/stage" "$name"
rm -rf "$top/stage"

# The spec with the crate's version written in, so that the source RPM
# rebuilds on its own (rpmbuild --rebuild).
spec=$top/SPECS/lkroute53.spec
{ echo "%global kit_version $version"; cat packaging/lkroute53.spec; } >"$spec"
nodeps=()
command -v dpkg >/dev/null 2>&1 && nodeps=(--nodeps)
rpmbuild -ba "${nodeps[@]}" \
    --define "_topdir $top" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_buildhost lkroute53-build" \
    "$spec"

find "$top/RPMS" -name '*.rpm' -exec cp -t "$out" {} +
find "$top/SRPMS" -name '*.src.rpm' -exec cp -t "$out" {} +
binaries=$(find "$out" -name '*.rpm' ! -name '*.src.rpm' | wc -l)
[ "$binaries" -eq 1 ] || { echo "build-rpm.sh: expected one binary RPM, found $binaries" >&2; exit 1; }
ls -l "$out"
