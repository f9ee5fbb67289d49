#!/usr/bin/env python3
"""An Availability Zone fails: every cluster of an account fails over in the
same minute. N nodes, each with its own LCD (fixed lines, as compiled LCD
commands print them) and its own lock folder, M Route 53 resources each over
the node's own IP resource, one hosted zone shared by all; all N x M restores
are started at once against tests/fixtures/front.py --account in front of moto,
which enforces an account's quotas (10 requests/s with a burst of 50 over the
account and again per action, the change-token bucket), has a second tenant
spend 2 requests/s, and holds each change PENDING for 30 s.

    python3 bench/storm.py --kit ROOT --work DIR [--moto-port P]
        --nodes 20 --per-node 5 [--mode adaptive|fixed] [--insync-after 30]

prints one JSON line: exit statuses, the kit's requests and throttled
answers, requests per resource, the tenant's, the most times one record's
change was accepted, the records that hold their node's address, and the
time from the first start to the last restore's return. bench/bench.py
makes the table of BENCHMARKS.md from it; tests/integration/storm.rs runs a
small one. Traffic goes to 127.0.0.1 only.
"""
import argparse
import random
import http.client
import json
import os
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OTHER = "192.0.2.99"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def request(port, method, path, body=""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0",
        "Content-Type": "text/xml"})
    r = conn.getresponse()
    data = r.read().decode()
    conn.close()
    assert r.status in (200, 201), (method, path, r.status, data[:500])
    return data


NS = "https://route53.amazonaws.com/doc/2013-04-01/"


def make_zone(port, name):
    body = (f'<?xml version="1.0"?><CreateHostedZoneRequest xmlns="{NS}"><Name>{name}</Name>'
            f"<CallerReference>{name}-{time.time()}-{os.getpid()}</CallerReference></CreateHostedZoneRequest>")
    data = request(port, "POST", "/2013-04-01/hostedzone", body)
    return data.split("<Id>")[1].split("</Id>")[0].rsplit("/", 1)[-1]


def upsert(port, zone, names, value):
    changes = "".join(
        f"<Change><Action>UPSERT</Action><ResourceRecordSet><Name>{n}</Name><Type>A</Type><TTL>10</TTL>"
        f"<ResourceRecords><ResourceRecord><Value>{value}</Value></ResourceRecord></ResourceRecords>"
        "</ResourceRecordSet></Change>" for n in names)
    body = (f'<?xml version="1.0"?><ChangeResourceRecordSetsRequest xmlns="{NS}"><ChangeBatch><Changes>'
            f"{changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>")
    request(port, "POST", f"/2013-04-01/hostedzone/{zone}/rrset", body)


def records(port, zone):
    """Every A record of the zone: name -> value."""
    out, start = {}, ""
    while True:
        q = f"?maxitems=300{start}"
        data = request(port, "GET", f"/2013-04-01/hostedzone/{zone}/rrset{q}")
        for rs in data.split("<ResourceRecordSet>")[1:]:
            name = rs.split("<Name>")[1].split("</Name>")[0].rstrip(".").lower()
            if "<Type>A</Type>" in rs and "<Value>" in rs:
                out[name] = rs.split("<Value>")[1].split("</Value>")[0]
        if "<IsTruncated>true</IsTruncated>" not in data:
            return out
        nxt = data.split("<NextRecordName>")[1].split("</NextRecordName>")[0]
        start = f"&name={nxt}"


def node_lcd(root, node, addr, zone, resources):
    """LCD commands that print fixed lines (on a node they are compiled
    programs, so the kit's time is not the simulator's). Each (tag, host
    name) of `resources` is a Route 53 resource over the IP resource ip1,
    which holds `addr`. ins_list prints every instance, or the one of
    `-t TAG`; dep_list prints every dependency, or those of `-c TAG`."""
    os.makedirs(f"{root}/bin", exist_ok=True)
    lines = {tag: f"{node}\x01gen\x01route53\x01{tag}\x01route53:{zone}:{host}\x01{zone} {host}\x01ISP\x01OSU\x010"
             for tag, host in resources}
    lines["ip1"] = f"{node}\x01comm\x01ip\x01ip1\x01IP1\x01{node} eth0 {addr} ffffff00 none\x01ISP\x01OSU\x010"
    with open(f"{root}/instances", "w") as f:
        f.write("".join(line + "\n" for line in lines.values()))
    with open(f"{root}/bin/ins_list", "w") as f:
        f.write("#!/bin/sh\ncase \"$2\" in\n")
        for tag, line in lines.items():
            f.write(f"{tag}) printf '%s\\n' '{line}' ;;\n")
        f.write(f"'') exec cat '{root}/instances' ;;\nesac\n")
    with open(f"{root}/bin/dep_list", "w") as f:
        f.write("#!/bin/sh\n[ -n \"$2\" ] && exec printf '%s\\001ip1\\n' \"$2\"\n")
        for tag, _ in resources:
            f.write(f"printf '%s\\n' '{tag}\x01ip1'\n")
    for c in ("ins_list", "dep_list"):
        os.chmod(f"{root}/bin/{c}", 0o755)


def kit_env(defaults, port):
    """The environment of a node's kit runs: the defaults file, Route 53 at
    127.0.0.1:`port`, nothing of this machine's AWS settings, no syslog, and
    never the machine's own resolver."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LK_DEFAULTS_FILE": defaults,
            "AWS_ENDPOINT_URL_ROUTE_53": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "LKROUTE53_SYSLOG_SOCKET": "", "LKROUTE53_RESOLV_CONF": "/dev/null"}


def start_front(moto_port, work, *options, trace=None):
    """tests/fixtures/front.py before moto with these options: (process,
    port), once it listens; with `trace`, it writes a line for each request
    there (FRONT_TRACE)."""
    port_file = f"{work}/front-{time.time_ns()}.port"
    env = dict(os.environ, FRONT_TRACE=trace) if trace else None
    proc = subprocess.Popen(["python3", f"{HERE}/../tests/fixtures/front.py", "--upstream", str(moto_port),
                             *options, "--port-file", port_file], env=env)
    for _ in range(600):
        if os.path.exists(port_file):
            break
        time.sleep(0.05)
    return proc, int(open(port_file).read())


def control(port, method, path, body=""):
    """A control request of the front (GET /__stats, POST /__changes, ...)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body)
    data = conn.getresponse().read()
    conn.close()
    return json.loads(data or b"{}")


def storm(kit, work, moto_port, nodes, per_node, mode="adaptive", insync_after=30.0, tenant=2.0, settings="",
          stagger=0.0, busy_ms=0.0, trace=None):
    """The storm of `nodes` x `per_node`; each node starts at a random time
    within `stagger` seconds (0: all at once); with `busy_ms`, the zone
    answers PriorRequestNotComplete to a change within that long of its
    last accepted one; with `trace`, the front writes its requests there
    (for bench/replay.py)."""
    tag = f"{nodes}x{per_node}-{mode}-{time.time_ns()}"
    zone = make_zone(moto_port, f"storm-{tag}.example")
    plan = []
    for i in range(nodes):
        node, addr = f"n{i:03d}", f"10.{1 + i // 200}.{i % 200}.10"
        resources = [(f"r53-{j}", f"{node}-r{j}.storm-{tag}.example") for j in range(per_node)]
        root = f"{work}/storm-{tag}/{node}"
        node_lcd(root, node, addr, zone, resources)
        plan.append((root, addr, resources))
    names = [host for _, _, rs in plan for _, host in rs]
    for k in range(0, len(names), 500):
        upsert(moto_port, zone, names[k:k + 500], OTHER)
    limiter, port = start_front(moto_port, work, "--account", "--rate", "10", "--burst", "50",
                                "--insync-after", str(insync_after), "--tenant-rate", str(tenant),
                                "--busy-after-change", str(busy_ms), trace=trace)
    rng = random.Random(f"{tag}-stagger")
    offsets = sorted((rng.uniform(0, stagger), i) for i in range(nodes))
    procs = []
    try:
        defaults = f"{work}/storm-{tag}/LifeKeeper"
        with open(defaults, "w") as f:
            f.write(f"ROUTE53_CHANGEID_POLL={mode}\n{settings}")
        env = kit_env(defaults, port)
        restore = f"{kit}/opt/LifeKeeper/subsys/gen/resources/route53/actions/restore"
        start = time.perf_counter()
        for offset, i in offsets:
            root, _, resources = plan[i]
            time.sleep(max(0.0, start + offset - time.perf_counter()))
            e = dict(env, LKROOT=root, LKROUTE53_LOCK_DIR=f"{root}/locks")
            for t, host in resources:
                log = open(f"{root}/{t}.log", "w") if os.environ.get("STORM_LOGS") else subprocess.DEVNULL
                verbose = ["-v"] if os.environ.get("STORM_LOGS") == "v" else []
                procs.append(subprocess.Popen([restore, "-t", t, "-i", f"route53:{zone}:{host}"] + verbose, env=e,
                                              stdout=subprocess.DEVNULL, stderr=log))
        codes = []
        for p in procs:
            codes.append(p.wait(timeout=600))
        ended = time.monotonic()
        took = time.perf_counter() - start
        stats = control(port, "GET", "/__stats")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        limiter.terminate()
        limiter.wait()
    held = records(moto_port, zone)
    right = sum(1 for root, addr, resources in plan for _, host in resources if held.get(host) == addr)
    n = nodes * per_node
    return {
        "nodes": nodes, "per_node": per_node, "mode": mode, "restores": n,
        "exits": {str(c): codes.count(c) for c in sorted(set(codes))},
        "requests": stats["requests"], "throttled": stats["throttled"],
        "throttled_share": stats["throttled"] / max(1, stats["requests"]),
        "per_resource": stats["requests"] / n, "by_operation": stats["by_operation"],
        "tenant": stats["tenant"], "most_accepted": max(stats["accepted"].values(), default=0),
        "prior_request": stats.get("prior_request", 0), "stagger": stagger, "busy_ms": busy_ms,
        "records_right": right, "last": took,
        "from_first_request": ended - stats["first"] if stats.get("first") else took,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kit", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--moto-port", type=int)
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--per-node", type=int, required=True)
    ap.add_argument("--mode", default="adaptive")
    ap.add_argument("--insync-after", type=float, default=30.0)
    ap.add_argument("--tenant-rate", type=float, default=2.0)
    ap.add_argument("--settings", default="")
    ap.add_argument("--stagger", type=float, default=0.0)
    ap.add_argument("--busy-after-change", type=float, default=0.0)
    a = ap.parse_args()
    on_moto(a.moto_port, lambda port: storm(a.kit, a.work, port, a.nodes, a.per_node, a.mode, a.insync_after,
                                            a.tenant_rate, a.settings.replace("\\n", "\n"), a.stagger,
                                            a.busy_after_change))


def on_moto(port, body):
    """Print, as one JSON line, what `body(port)` returns: on the moto at
    `port`, or (None) on one started for it and stopped after."""
    moto = None
    if port is None:
        port = free_port()
        moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
    try:
        print(json.dumps(body(port)))
    finally:
        if moto:
            moto.terminate()
            moto.wait()


if __name__ == "__main__":
    main()
