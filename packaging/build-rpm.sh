#!/bin/bash
# Build the kit's RPM the way distribution packagers build Rust software:
# a source tarball with every crate Linux needs vendored, then rpmbuild,
# offline and locked. Leaves the binary RPM and the source RPM in
# target/rpm/.
#
#   bash packaging/build-rpm.sh
#
# One RPM for every distribution LifeKeeper supports: the program is linked
# with cargo-zigbuild against glibc 2.17's symbol versions (rpmbuild
# --with zigbuild). The pinned zig tools (packaging/build-tools.txt, from
# PyPI) and cargo-vendor-filterer (crates.io) are installed here where they
# are missing.
#
# Needs rpmbuild (Debian/Ubuntu: apt-get install rpm; RHEL/SUSE: rpm-build),
# cargo and python3. On a build host that is not itself an RPM system,
# rpmbuild cannot see cargo in the RPM database, so BuildRequires are not
# checked there (--nodeps); on an RPM system they are.
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

# The tools, at pinned versions.
if ! command -v cargo-zigbuild >/dev/null 2>&1 || ! python3 -c 'import ziglang' 2>/dev/null; then
    echo "installing cargo-zigbuild and ziglang with pip (packaging/build-tools.txt)" >&2
    python3 -m pip install --quiet --disable-pip-version-check -r packaging/build-tools.txt
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
filterer=0.5.18
if [ "$(cargo vendor-filterer --version 2>/dev/null)" != "cargo-vendor-filterer $filterer" ]; then
    echo "installing cargo-vendor-filterer $filterer with cargo" >&2
    cargo install --locked --quiet --version "$filterer" cargo-vendor-filterer
fi

# Only the crates that Linux builds of the program need; the others (the
# Windows, macOS and WebAssembly ones, and the tests' own) become empty
# stubs that keep Cargo.lock whole.
mkdir -p "$stage/.cargo"
targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)
(cd "$stage" && cargo vendor-filterer --versioned-dirs --keep-dep-kinds no-dev \
    "${targets[@]/#/--platform=}" vendor) >"$top/vendor.log" 2>&1 ||
    { cat "$top/vendor.log" >&2; echo "build-rpm.sh: cargo vendor-filterer failed" >&2; exit 1; }
cmp -s Cargo.lock "$stage/Cargo.lock" || { echo "build-rpm.sh: vendoring changed Cargo.lock" >&2; exit 1; }
# The source replacement that makes the build see only vendor/, written
# out (cargo vendor prints it only without --quiet), and checked.
cat >"$stage/.cargo/config.toml" <<'CONFIG'
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
CONFIG
[ -d "$stage/vendor" ] && [ -n "$(ls -A "$stage/vendor")" ] || { echo "build-rpm.sh: cargo vendor left no crates in vendor/" >&2; exit 1; }
# The build sees nothing but vendor/: check it with an empty cargo home and
# no network.
(cd "$stage" && CARGO_HOME="$top/empty-cargo-home" cargo metadata --offline --locked --format-version 1 >/dev/null) ||
    { echo "build-rpm.sh: the vendored crates do not resolve on their own" >&2; exit 1; }
# The SPDX expression of every crate linked into the program; it fails,
# naming them, where a crate's licence text cannot be found.
licence=$(cd "$stage" && CARGO_HOME="$top/empty-cargo-home" python3 packaging/licences.py "${targets[@]/#/--target=}" --expression)
rm -rf "$top/empty-cargo-home"
XZ_OPT=-6 tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    -cJf "$top/SOURCES/$name.tar.xz" -C "$top/stage" "$name"
rm -rf "$top/stage"

# The spec with the crate's version and the licence expression written in,
# so that the source RPM rebuilds on its own (rpmbuild --rebuild); %build
# checks the expression against the vendored crates again.
spec=$top/SPECS/lkroute53.spec
{ echo "%global kit_version $version"; echo "%global kit_license $licence"; cat packaging/lkroute53.spec; } >"$spec"
nodeps=()
command -v dpkg >/dev/null 2>&1 && nodeps=(--nodeps)
rpmbuild -ba "${nodeps[@]}" --with zigbuild \
    --define "_topdir $top" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_buildhost lkroute53-build" \
    --define "packager lkroute53 maintainers <lkroute53@example.invalid>" \
    "$spec"

find "$top/RPMS" -name '*.rpm' -exec cp -t "$out" {} +
find "$top/SRPMS" -name '*.src.rpm' -exec cp -t "$out" {} +
binaries=$(find "$out" -name '*.rpm' ! -name '*.src.rpm' | wc -l)
[ "$binaries" -eq 1 ] || { echo "build-rpm.sh: expected one binary RPM, found $binaries" >&2; exit 1; }
ls -l "$out"
