#!/bin/bash
# Check that an RPM of the kit needs no glibc newer than the floor
# (default 2.17), read two ways: the symbol versions the program references
# (objdump -T of the program inside the package) and the package's
# requirements (rpm -qp --requires). Prints the newest of each.
#
#   bash packaging/check-glibc-floor.sh RPM [FLOOR]
set -euo pipefail
package=$(realpath "${1:?usage: check-glibc-floor.sh RPM [FLOOR]}")
floor=${2:-2.17}
work=$(mktemp -d "${TMPDIR:-/tmp}/lkroute53-floor.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && rpm2cpio "$package" | cpio -idm --quiet ./opt/LifeKeeper/subsys/gen/resources/route53/bin/lkroute53)
program=$work/opt/LifeKeeper/subsys/gen/resources/route53/bin/lkroute53
[ -f "$program" ] || { echo "check-glibc-floor.sh: no program in $package" >&2; exit 1; }
newest() { grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n1; }
symbols=$(objdump -T "$program" | newest)
requires=$(rpm -qp --requires "$package" 2>/dev/null | newest)
echo "newest glibc symbol version the program uses: GLIBC_$symbols"
echo "newest glibc version the package requires:    GLIBC_$requires"
status=0
for v in "$symbols" "$requires"; do
    if [ "$(printf '%s\n%s\n' "$floor" "$v" | sort -V | tail -n1)" != "$floor" ]; then
        echo "check-glibc-floor.sh: GLIBC_$v is newer than the floor, GLIBC_$floor" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "glibc floor: $floor holds"
exit "$status"
