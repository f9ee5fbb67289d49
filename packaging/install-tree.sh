#!/bin/bash
# Lay the installed kit out under DESTDIR. The one definition of the
# installed layout: the RPM, the demo and the tests all install with it.
#
#   packaging/install-tree.sh DESTDIR [BINARY]
#
# BINARY defaults to the release build ($CARGO_TARGET_DIR or target/,
# then release/lkroute53). One program, at $KIT/bin/lkroute53; every name
# it is run under (actions/links) is a relative link to it, so the tree
# works as laid out under any DESTDIR and under rpm --root.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
destdir=${1:?usage: install-tree.sh DESTDIR [BINARY]}
binary=${2:-${CARGO_TARGET_DIR:-$here/target}/release/lkroute53}
[ -x "$binary" ] || { echo "install-tree.sh: no program at $binary (build it first: cargo build --release --locked)" >&2; exit 1; }

kit=opt/LifeKeeper/subsys/gen/resources/route53
install -d -m 0755 "$destdir/$kit/bin"
install -m 0755 "$binary" "$destdir/$kit/bin/lkroute53"
# Every name the program is run under (actions/links): the actions, the
# recovery program of the kit's event (quickCheck tells LifeKeeper's
# sendevent -C route53 -E recordfail; LifeKeeper runs recovery/CLASS/EVENT),
# LifeKeeper's hierarchy-extension hooks and the operator command.
while read -r link target; do
    case $link in ''|'#'*) continue ;; esac
    install -d -m 0755 "$destdir/$(dirname "$link")"
    ln -sfn "$target" "$destdir/$link"
done <"$here/actions/links"
# The manual pages, made by the program from the definitions of its --help.
install -d -m 0755 "$destdir/usr/share/man/man8"
"$binary" man "$destdir/usr/share/man/man8"
chmod 0644 "$destdir"/usr/share/man/man8/lkroute53*.8
# Compressed here, reproducibly (-n: no name or time stamp), not left to the
# packager's brp-compress, which does not run everywhere the RPM is built.
gzip -9nf "$destdir"/usr/share/man/man8/lkroute53*.8
