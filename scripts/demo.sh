#!/bin/bash
# The kit's main job, end to end, with no AWS account: a local Route 53
# endpoint (moto) and a simulated two-node LifeKeeper cluster. Creates the
# resource on node1 and extends it to node2, restores on node1, checks,
# tampers with the record, sees quickCheck's event recover it, switches over to node2, and shows
# status and doctor there, printing each step and the record after it.
# quickCheck asks a DNS server first (tests/fixtures/dnsfront.py on
# 127.0.0.1, serving the local zone as a VPC's resolver would).
#
#   bash scripts/demo.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/target.sh"
bash "$here/scripts/ensure-tools.sh"
(cd "$here" && cargo build --release --locked --quiet)

work=$(mktemp -d "${TMPDIR:-/tmp}/lkroute53-demo.XXXXXX")
moto_pid= dns_pid=
cleanup() {
    [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null
    [ -n "$dns_pid" ] && kill "$dns_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

"$here/packaging/install-tree.sh" "$work/root"
kit=$work/root/opt/LifeKeeper/subsys/gen/resources/route53
lkroute53=$work/root/usr/sbin/lkroute53

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

# Everything the kit reads comes from here, not from the machine.
export AWS_ENDPOINT_URL_ROUTE_53=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_SESSION_TOKEN AWS_CA_BUNDLE
export LKROUTE53_SYSLOG_SOCKET= LKROUTE53_LOCK_DIR=$work/locks
export LK_DEFAULTS_FILE=$work/LifeKeeper LKROUTE53_RESOLV_CONF=/dev/null

r53() { python3 "$here/tests/fixtures/r53.py" "$@"; }
zone=$(r53 create-zone example.com)
name=app.example.com

# The resolver clients ask: the local zone served over DNS on 127.0.0.1.
python3 "$here/tests/fixtures/dnsfront.py" --upstream "$AWS_ENDPOINT_URL_ROUTE_53" --zone "$zone" \
    --port-file "$work/dns.port" >"$work/dns.log" 2>&1 &
dns_pid=$!
for _ in $(seq 100); do [ -s "$work/dns.port" ] && break; sleep 0.1; done
cat >"$LK_DEFAULTS_FILE" <<DEFAULTS
# /etc/default/LifeKeeper of the demo cluster: the defaults, written out
export ROUTE53_TTL=10
export ROUTE53_CHECK_DNS=127.0.0.1:$(cat "$work/dns.port")
DEFAULTS

# Two simulated nodes, each with its LCD and its own IP resource.
node() { # name address
    local root=$work/cluster/$1
    mkdir -p "$root/bin" "$root/lcd" "$root/subsys/gen/resources"
    for c in ins_list ins_create ins_remove ins_setinfo ins_setstate dep_create dep_remove dep_list \
        eqv_create eqv_remove eqv_list app_create typ_create typ_list lcdsync sendevent; do
        ln -s "$here/tests/fixtures/lcdsim.py" "$root/bin/$c"
    done
    # The kit as LifeKeeper finds it under $LKROOT.
    ln -s "$kit" "$root/subsys/gen/resources/route53"
    cat >"$root/lcd/db.json" <<DB
{"system": "$1", "deps": [], "instances": [
 {"app": "comm", "type": "ip", "tag": "ip-$2", "id": "IP-$2", "info": "$1 eth0 $2 ffffff00 none", "state": "ISP"}]}
DB
}
node node1 10.0.1.10
node node2 10.0.2.20

step() { printf '\n\033[1m== %s\033[0m\n' "$1"; }
run() { # node program args...
    local n=$1; shift
    printf '$ LKROOT=.../%s %s\n' "$n" "${*#"$work/root"}"
    local rc=0
    LKROOT=$work/cluster/$n "$@" || rc=$?
    echo "-> exit $rc"
}
show() { printf 'record: %s A %s\n' "$name" "$(r53 get "$zone" "$name" A)"; }
# An action as LifeKeeper's perform_action runs it: then the resource's
# state follows (restore: ISP, or OSF where it failed; remove: OSU).
perform() { # node action
    local n=$1 a=$2 rc=0 state
    printf '$ LKROOT=.../%s perform_action -t r53-app -a %s\n' "$n" "$a"
    LKROOT=$work/cluster/$n "$kit/actions/$a" -t r53-app -i "route53:$zone:$name" || rc=$?
    case $a:$rc in remove:*) state=OSU ;; *:0) state=ISP ;; *) state=OSF ;; esac
    "$work/cluster/$n/bin/ins_setstate" -t r53-app -S "$state"
    echo "-> exit $rc, state $state"
}

step "Route 53 at $AWS_ENDPOINT_URL_ROUTE_53, hosted zone $zone (example.com)"
step "1. create the resource on node1, then extend it to node2 over node2's own IP resource"
run node1 "$lkroute53" create --tag r53-app --zone-id "$zone" --hostname "$name" --ip-tag ip-10.0.1.10
run node2 "$lkroute53" extend --tag r53-app --from node1 --ip-tag ip-10.0.2.20
show
step "2. restore on node1: the record points at node1"
perform node1 restore
show
step "3. quickCheck on node1: DNS answers node1's address, so no Route 53 API request is made"
run node1 "$kit/actions/quickCheck" -t r53-app -i "route53:$zone:$name" -v
step "4. someone changes the record behind the kit's back"
r53 set "$zone" "$name" A 300 192.0.2.99
show
step "5. quickCheck on node1: DNS disagrees, the API read decides: it fails and tells LifeKeeper (sendevent), which runs the kit's recovery program"
run node1 "$kit/actions/quickCheck" -t r53-app -i "route53:$zone:$name" -v
events=$work/cluster/node1/lcd/events.log
for _ in $(seq 300); do grep -q '"exit": [0-9]' "$events" 2>/dev/null && break; sleep 0.1; done
echo "event: $(cat "$events" 2>/dev/null || echo 'none')"
show
step "6. switchover: remove on node1 (record left as is), restore on node2"
perform node1 remove
show
perform node2 restore
show
run node2 "$kit/actions/quickCheck" -t r53-app -i "route53:$zone:$name"
step "7. what an operator sees on node2"
run node2 "$lkroute53" status r53-app
run node2 "$lkroute53" doctor r53-app
step "8. what support needs from node2, written to a new file (0600)"
run node2 "$lkroute53" doctor r53-app --capture "$work/capture.txt" >/dev/null
sed -n '/== LifeKeeper.s event and type paths/,/== doctor.s checks/p' "$work/capture.txt"
step "9. the least-privilege IAM policy for the nodes' role (nothing is sent)"
run node2 "$lkroute53" policy r53-app
step "done: the host name followed the service from node1 to node2"
