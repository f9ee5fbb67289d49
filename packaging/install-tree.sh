#!/bin/bash
# Lay the installed kit out under DESTDIR. The one definition of the
# installed layout: the RPM, the demo and the tests all install with it.
#
#   packaging/install-tree.sh DESTDIR [BINARY]
#
# BINARY defaults to the release build ($CARGO_TARGET_DIR or target/,
# then release/lkroute53). One program, at $KIT/bin/lkroute53; the
# actions are relative links to it (it picks the action by the name it was
# called under), as are the recovery program recovery/route53/recordfail,
# LifeKeeper's canextend and extend hooks under
# lkadm/subsys/gen/route53/bin, and /usr/sbin/lkroute53 is a relative link to it as well,
# so the tree works as laid out under any DESTDIR and under rpm --root.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
destdir=${1:?usage: install-tree.sh DESTDIR [BINARY]}
binary=${2:-${CARGO_TARGET_DIR:-$here/target}/release/lkroute53}
[ -x "$binary" ] || { echo "install-tree.sh: no program at $binary (build it first: cargo build --release --locked)" >&2; exit 1; }

kit=opt/LifeKeeper/subsys/gen/resources/route53
hooks=opt/LifeKeeper/lkadm/subsys/gen/route53/bin
install -d -m 0755 "$destdir/usr/sbin" "$destdir/$kit/actions" "$destdir/$kit/bin" "$destdir/$hooks"
install -m 0755 "$binary" "$destdir/$kit/bin/lkroute53"
for action in restore remove quickCheck recover delete; do
    ln -sfn ../bin/lkroute53 "$destdir/$kit/actions/$action"
done
# The recovery program of the kit's event (quickCheck tells LifeKeeper's
# sendevent -C route53 -E recordfail; LifeKeeper runs recovery/CLASS/EVENT).
install -d -m 0755 "$destdir/$kit/recovery/route53"
ln -sfn ../../bin/lkroute53 "$destdir/$kit/recovery/route53/recordfail"
# LifeKeeper's hierarchy-extension hooks (GUI, lkcli resource extend).
for hook in canextend extend; do
    ln -sfn "../../../../../subsys/gen/resources/route53/bin/lkroute53" "$destdir/$hooks/$hook"
done
ln -sfn "../../$kit/bin/lkroute53" "$destdir/usr/sbin/lkroute53"
# The manual pages, made by the program from the definitions of its --help.
install -d -m 0755 "$destdir/usr/share/man/man8"
"$binary" man "$destdir/usr/share/man/man8"
chmod 0644 "$destdir"/usr/share/man/man8/lkroute53*.8
# Compressed here, reproducibly (-n: no name or time stamp), not left to the
# packager's brp-compress, which does not run everywhere the RPM is built.
gzip -9nf "$destdir"/usr/share/man/man8/lkroute53*.8
