#!/bin/bash
# The RPM on an older glibc than the build host's: installed into a Debian 11
# root (glibc 2.31, made with debootstrap --variant=minbase bullseye), the
# kit run inside it with chroot: --version, a real restore and a quickCheck
# against moto on 127.0.0.1, with LifeKeeper's commands as /bin/sh scripts
# over a frozen LCD (the root has no Python); then rpm -e while the Route 53
# resource exists, which must warn, naming it, and succeed. Prints what it
# runs and what came back.
#
#   bash tests/old_glibc.sh RPM [ROOT_CACHE]
#
# ROOT_CACHE (default ~/.cache/lkroute53/bullseye) holds the pristine root
# and is made on first use from the Debian mirror this machine's apt uses;
# each run works on a copy of it. Needs root (chroot), debootstrap, rpm,
# moto_server and python3 with boto3 (tests/fixtures/r53.py).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
package=$(realpath "${1:?usage: old_glibc.sh RPM [ROOT_CACHE]}")
cache=${2:-$HOME/.cache/lkroute53/bullseye}

if [ ! -x "$cache/bin/sh" ]; then
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
    [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*\/debian\)\/* .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)
    mirror=${mirror:-http://deb.debian.org/debian}
    command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
    echo "making the Debian 11 root in $cache from $mirror"
    rm -rf "$cache.tmp"
    debootstrap --variant=minbase bullseye "$cache.tmp" "$mirror" >"$cache.log" 2>&1 ||
        { tail -n 20 "$cache.log" >&2; echo "old_glibc.sh: debootstrap failed (log: $cache.log)" >&2; exit 1; }
    mv "$cache.tmp" "$cache"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lkroute53-oldglibc.XXXXXX")
moto_pid=
cleanup() { [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
root=$work/root
cp -a "$cache" "$root"
fail() { echo "FAILED: $*" >&2; exit 1; }
say() { printf '\n$ %s\n' "$*"; }

libc=$(ls "$root"/lib/x86_64-linux-gnu/libc-*.so 2>/dev/null | head -n1)
echo "root: Debian $(cat "$root/etc/debian_version"), glibc $(basename "$libc" .so | sed 's/^libc-//')"

say "rpm --root ROOT -i --nodeps $(basename "$package")"
# --nodeps: the root's glibc came from dpkg, so rpm's database lacks it.
rpm --root "$root" -i --nodeps "$package"

# LifeKeeper's commands over a frozen LCD: node1's IP resource and a Route 53
# resource that depends on it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
export AWS_ENDPOINT_URL_ROUTE_53=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
r53() { AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null python3 "$here/tests/fixtures/r53.py" "$@"; }
zone=$(r53 create-zone example.com)
name=app.example.com
tag=r53-app
a=$(printf '\001')
lk=$root/opt/LifeKeeper
mkdir -p "$lk/bin" "$lk/lcd" "$root/etc/default"
{
    printf '%s\n' "node1${a}comm${a}ip${a}ip-10.0.1.10${a}IP-10.0.1.10${a}node1 eth0 10.0.1.10 ffffff00 none${a}ISP${a}INTELLIGENT${a}0"
    printf '%s\n' "node1${a}gen${a}route53${a}$tag${a}route53:$zone:$name${a}$zone $name${a}OSU${a}INTELLIGENT${a}0"
} >"$lk/lcd/instances"
printf '%s\n' "$tag${a}ip-10.0.1.10" >"$lk/lcd/dependencies"
cat >"$lk/bin/ins_list" <<'SH'
#!/bin/sh
# ins_list over a frozen LCD: its instances, filtered by -a -r -t -i.
a= r= t= i=
while getopts a:r:t:i:f: o; do
    case $o in a) a=$OPTARG ;; r) r=$OPTARG ;; t) t=$OPTARG ;; i) i=$OPTARG ;; *) ;; esac
done
exec awk -F "$(printf '\001')" -v a="$a" -v r="$r" -v t="$t" -v i="$i" \
    '(a == "" || $2 == a) && (r == "" || $3 == r) && (t == "" || $4 == t) && (i == "" || $5 == i)' \
    /opt/LifeKeeper/lcd/instances
SH
cat >"$lk/bin/dep_list" <<'SH'
#!/bin/sh
# dep_list over a frozen LCD: parent, child; -c and -p select the parent.
p=
while getopts c:p:f: o; do
    case $o in c | p) p=$OPTARG ;; *) ;; esac
done
exec awk -F "$(printf '\001')" -v p="$p" '(p == "" || $1 == p)' /opt/LifeKeeper/lcd/dependencies
SH
chmod 0755 "$lk/bin/ins_list" "$lk/bin/dep_list"
echo 'ROUTE53_TTL=10' >"$root/etc/default/LifeKeeper"

# Inside the root, with an environment of its own: the endpoint override,
# static credentials, no instance metadata, no config files.
inside() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
        AWS_ENDPOINT_URL_ROUTE_53="$AWS_ENDPOINT_URL_ROUTE_53" \
        AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true \
        AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
        chroot "$root" "$@"
}
kit=/opt/LifeKeeper/subsys/gen/resources/route53

say "chroot ROOT lkroute53 --version"
inside lkroute53 --version || fail "--version in the Debian 11 root"

say "chroot ROOT $kit/actions/restore -t $tag -i route53:$zone:$name"
rc=0; inside "$kit/actions/restore" -t "$tag" -i "route53:$zone:$name" || rc=$?
echo "-> exit $rc"
[ "$rc" -eq 0 ] || fail "restore exited $rc"
record=$(r53 get "$zone" "$name" A)
echo "record: $name A $record"
[ "$record" = "10.0.1.10 10" ] || fail "the record is '$record', not '10.0.1.10 10'"

say "chroot ROOT $kit/actions/quickCheck -t $tag -i route53:$zone:$name"
rc=0; inside "$kit/actions/quickCheck" -t "$tag" -i "route53:$zone:$name" || rc=$?
echo "-> exit $rc"
[ "$rc" -eq 0 ] || fail "quickCheck exited $rc"

say "rpm --root ROOT -e lkroute53   (the resource $tag still exists)"
rc=0; rpm --root "$root" -e lkroute53 >"$work/erase.out" 2>&1 || rc=$?
cat "$work/erase.out"
echo "-> exit $rc"
[ "$rc" -eq 0 ] || fail "rpm -e exited $rc"
grep -q "Route 53 resources: $tag" "$work/erase.out" || fail "rpm -e did not name $tag"
[ ! -e "$root$kit" ] || fail "$kit is still there after rpm -e"
echo
echo "passed: the RPM installs and runs on glibc $(basename "$libc" .so | sed 's/^libc-//'), and its erase warns"
