#!/usr/bin/env python3
"""The benchmark behind bench/run.sh (see there). Standard library and boto3
only. Every process is timed with perf_counter (the few ms GNU time adds to start
it are in the figures) and its peak memory taken from GNU time; API
requests are counted by a counting proxy in front of moto.
"""
import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402
import replay  # noqa: E402
import storm  # noqa: E402

HOST = "app.example.com"
ADDR = "10.0.1.10"
OTHER = "192.0.2.99"
# A storm's first seconds: the kit's throttled answers and the tenant's
# replayed loss in them are counted apart (when every node starts at once,
# they are the price of that start).
EARLY = 4.0
# The latency sections run one process after another, far faster than a
# node runs them (a quickCheck every 2 minutes per resource): the node's
# request budget (8 a second, burst 20) would make them wait for its slots.
# They measure the kit's own time, so the budget is opened up there; the
# mass switchover runs with the default budget.
LATENCY_BUDGET = "ROUTE53_API_RATE=1000\nROUTE53_API_BURST=1000\nROUTE53_CHECK_DNS=off\n"


class Proxy:
    """tests/fixtures/front.py before moto, counting requests: every change
    gets an ID of its own (as Route 53 gives), and GetChange says PENDING
    until `delay` seconds after the change was accepted."""

    def __init__(self, upstream, work):
        self.proc, self.port = storm.start_front(upstream, work, "--own-change-ids")

    def stats(self):
        return storm.control(self.port, "GET", "/__stats")

    @property
    def count(self):
        return self.stats()["requests"]

    @property
    def get_change(self):
        return self.stats()["by_operation"].get("status", {}).get("requests", 0)

    @property
    def delay(self):
        return None

    @delay.setter
    def delay(self, seconds):
        storm.control(self.port, "POST", "/__changes", json.dumps({"insync_after": seconds}))

    def throttle_changes(self, n):
        """The next `n` changes are answered 400 Throttling."""
        storm.control(self.port, "POST", "/__rules", json.dumps({"throttle_changes": n}))

    def last_insync(self):
        """When the change accepted last turns INSYNC (time.monotonic())."""
        c = storm.control(self.port, "GET", "/__changes")
        return max(c["accepted"].values()) + c["insync_after"]

    def url(self):
        return f"http://127.0.0.1:{self.port}"


def run(argv, env):
    """Run a process; (wall seconds, peak RSS KiB, exit status, stderr).

    The peak is measured by GNU time: a child forked from this Python
    process would count Python's own pages in its peak, exec or not."""
    report = os.path.join(os.environ.get("BENCH_WORK", "/tmp"), "time.out")
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report] + argv, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    with open(report) as f:
        peak = int(f.read().strip().splitlines()[-1])
    return wall, peak, p.returncode, p.stderr.decode(errors="replace")


def static_lcd(root, zone, resources=(("r53", HOST),)):
    """LCD commands that print fixed lines: on a node the LCD commands are
    compiled programs, so the kit's time is not the simulator's. Each
    (tag, host name) of `resources` is a Route 53 resource over the IP
    resource ip1 of node1 (bench/storm.py's node_lcd)."""
    storm.node_lcd(root, "node1", ADDR, zone, resources)


def make_zone(c, size, name):
    zone = c.create_hosted_zone(Name=name, CallerReference=f"{name}-{size}-{time.time()}")["HostedZone"]["Id"].split("/")[-1]
    fillers = size - 1
    batch = []
    for i in range(fillers):
        batch.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"host-{i:05d}.{name}", "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"}]}})
        if len(batch) == 1000:
            c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": batch})
            batch = []
    if batch:
        c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": batch})
    set_record(c, zone, ADDR)
    return zone


def set_record(c, zone, value):
    c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": HOST, "Type": "A", "TTL": 10, "ResourceRecords": [{"Value": value}]}}]})


def measure(proxy, reps, body):
    """Median wall, max peak RSS, median requests of `reps` runs of body()."""
    walls, rss, reqs = [], [], []
    for _ in range(reps):
        before = proxy.count
        w, m = body()
        walls.append(w)
        rss.append(m)
        reqs.append(proxy.count - before)
    return statistics.median(walls), max(rss), statistics.median(reqs)


def callgrind(argv, env, work):
    """Instructions executed by one run of argv (valgrind's callgrind)."""
    p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={work}/callgrind.out"] + argv,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    raise RuntimeError(f"callgrind gave no count: {p.stderr[-500:]}")


def trust_bundle():
    """The distribution's bundle the kit reads where nothing names one, and
    how many certificates it holds."""
    for path in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                 "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/ca-bundle.pem",
                 "/var/lib/ca-certificates/ca-bundle.pem", "/etc/ssl/cert.pem"):
        if os.path.exists(path):
            return f"`{path}`, {open(path, errors='replace').read().count('BEGIN CERTIFICATE')} certificates"
    return "none found"


def timed(argv, env):
    start = time.perf_counter()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.returncode == 0, (argv, p.stderr.decode(errors="replace"))
    return time.perf_counter() - start


def floor_rows(kit_check, floor_argv, env, reps, work):
    """quickCheck beside the minimal one-request program, interleaved run by
    run on the same endpoint: medians, ratio, instructions."""
    kit, low = [], []
    for _ in range(reps):
        low.append(timed(floor_argv, env))
        kit.append(timed(kit_check, env))
    return {
        "kit": statistics.median(kit), "floor": statistics.median(low),
        "kit_instr": callgrind(kit_check, env, work), "floor_instr": callgrind(floor_argv, env, work),
    }


def tls_front(upstream, work):
    """tests/fixtures/front.py --tls before moto: an HTTPS front with a
    certificate of a test CA it makes; (port, CA file, process)."""
    d = f"{work}/tls"
    proc, port = storm.start_front(upstream, work, "--tls", d)
    return port, f"{d}/ca.pem", proc


def dns_paths(kit, work, moto_port, reps):
    """One resource's quickCheck with DNS agreeing beside the API path,
    interleaved run by run on moto itself, with the DNS front's and moto's
    own answer times."""
    zone = storm.make_zone(moto_port, "example.com")
    root = f"{work}/lcd-paths"
    storm.node_lcd(root, "node1", ADDR, zone, [("r53", HOST)])
    storm.upsert(moto_port, zone, [HOST], ADDR)
    resolver, dport, _ = fleet.dns_front(moto_port, zone, work)
    env = dict(storm.kit_env("/dev/null", moto_port), LKROOT=root, LKROUTE53_LOCK_DIR=f"{root}/locks")
    qc = [f"{kit}/opt/LifeKeeper/subsys/gen/resources/route53/actions/quickCheck", "-t", "r53", "-i",
          f"route53:{zone}:{HOST}"]
    out = {}
    try:
        envs = {}
        for path, setting in (("dns", f"127.0.0.1:{dport}"), ("api", "off")):
            d = f"{work}/LifeKeeper-{path}"
            with open(d, "w") as f:
                f.write(f"ROUTE53_CHECK_DNS={setting}\nROUTE53_API_RATE=1000\nROUTE53_API_BURST=1000\n")
            envs[path] = dict(env, LK_DEFAULTS_FILE=d)
        walls = {"dns": [], "api": []}
        for _ in range(reps):
            for path in walls:
                walls[path].append(timed(qc, envs[path]))
        for path in walls:
            out[path] = {"wall": statistics.median(walls[path]), "instr": callgrind(qc, envs[path], work),
                         "peak": run(qc, envs[path])[1]}
        # The servers' own time for one answer: a DNS query of the front
        # (which reads the zone from moto), and one exact lookup of moto.
        q = dns_query(HOST)
        times = []
        for _ in range(max(5, reps)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            start = time.perf_counter()
            s.sendto(q, ("127.0.0.1", dport))
            s.recv(4096)
            times.append(time.perf_counter() - start)
            s.close()
        out["dns"]["server"] = statistics.median(times)
        times = []
        for _ in range(max(5, reps)):
            start = time.perf_counter()
            storm.request(moto_port, "GET", f"/2013-04-01/hostedzone/{zone}/rrset?name={HOST}&type=A&maxitems=1")
            times.append(time.perf_counter() - start)
        out["api"]["server"] = statistics.median(times)
    finally:
        resolver.terminate()
        resolver.wait()
    return out


def pacemaker_agents(kit, work, reps):
    """bench/agents.py in a network namespace with only loopback: (the
    JSON it prints, or why it could not run)."""
    agents = os.environ.get("LKROUTE53_RESOURCE_AGENTS",
                            os.path.expanduser("~/.cache/lkroute53/resource-agents"))
    if subprocess.run(["unshare", "-n", "-m", "true"], capture_output=True).returncode != 0:
        return None, "unshare -n -m is not permitted here"
    d = f"{work}/agents"
    os.makedirs(d, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run(["unshare", "-n", "-m", "python3", f"{here}/agents.py", "--kit", kit, "--agents", agents,
                        "--work", d, "--reps", str(reps)], capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError(f"bench/agents.py failed: {p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1]), None


def dns_query(name):
    """A query for the A record of `name` (RD set), as bytes."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + labels + b"\x00\x00\x01\x00\x01"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kit", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--brief", action="store_true")
    args = ap.parse_args()
    os.environ["BENCH_WORK"] = args.work
    brief = args.brief
    sizes = [10, 2000] if brief else [10, 2000, 10000]
    reps = 1 if brief else 7
    cli_reps = 1 if brief else 5
    delays = [3] if brief else [3, 8, 25, 55]

    moto_port = storm.free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = None
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", moto_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        proxy = Proxy(moto_port, args.work)
        c = boto3.client("route53", endpoint_url=f"http://127.0.0.1:{moto_port}", region_name="us-east-1",
                         aws_access_key_id="bench", aws_secret_access_key="bench")
        kit = args.kit
        actions = f"{kit}/opt/LifeKeeper/subsys/gen/resources/route53/actions"
        defaults = f"{args.work}/LifeKeeper"
        env = dict(os.environ)
        # Neither this machine's AWS settings nor its trust store settings
        # (a build machine may set SSL_CERT_DIR and SSL_CERT_FILE, a node
        # seldom does): each run below names the trust it measures.
        for k in list(env):
            if k.startswith("AWS_") or k in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
                del env[k]
        env.update({
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_ENDPOINT_URL_ROUTE_53": proxy.url(), "LK_DEFAULTS_FILE": defaults, "LKROUTE53_SYSLOG_SOCKET": "",
            "LKROUTE53_LOCK_DIR": f"{args.work}/locks", "AWS_PAGER": "", "LKROUTE53_RESOLV_CONF": "/dev/null",
        })
        aws = ["aws", "--endpoint-url", proxy.url(), "route53"]

        rows = []
        for size in sizes:
            zone = make_zone(c, size, "example.com")
            lkroot = f"{args.work}/lcd-{size}"
            static_lcd(lkroot, zone)
            e = dict(env, LKROOT=lkroot)
            with open(defaults, "w") as f:
                f.write("ROUTE53_TTL=10\n" + LATENCY_BUDGET)

            def kit_check():
                w, m, rc, err = run([f"{actions}/quickCheck", "-t", "r53", "-i", f"route53:{zone}:{HOST}"], e)
                assert rc == 0, err
                return w, m

            def cli_check():
                w, m, rc, err = run(aws + ["list-resource-record-sets", "--hosted-zone-id", zone,
                                           "--query", f"ResourceRecordSets[?Name == '{HOST}.']"], e)
                assert rc == 0, err
                return w, m

            def kit_restore():
                set_record(c, zone, OTHER)
                w, m, rc, err = run([f"{actions}/restore", "-t", "r53", "-i", f"route53:{zone}:{HOST}"], e)
                assert rc == 0, err
                return w, m

            def cli_restore():
                set_record(c, zone, OTHER)
                batch = json.dumps({"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                    "Name": HOST, "Type": "A", "TTL": 10, "ResourceRecords": [{"Value": ADDR}]}}]})
                total, peak = 0.0, 0
                start = time.perf_counter()
                p = subprocess.run(aws + ["change-resource-record-sets", "--hosted-zone-id", zone,
                                          "--change-batch", batch, "--query", "ChangeInfo.Id", "--output", "text"],
                                   env=e, capture_output=True, text=True, check=True)
                total += time.perf_counter() - start
                change = p.stdout.strip()
                for argv in (aws + ["get-change", "--id", change],
                             aws + ["list-resource-record-sets", "--hosted-zone-id", zone,
                                    "--query", f"ResourceRecordSets[?Name == '{HOST}.']"]):
                    w, m, rc, err = run(argv, e)
                    assert rc == 0, err
                    total += w
                    peak = max(peak, m)
                return total, peak

            def server_time():
                # One exact lookup straight to moto: the endpoint's own time.
                times = []
                for _ in range(max(3, reps)):
                    conn = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=60)
                    start = time.perf_counter()
                    # moto routes by the service in the credential scope; it
                    # does not check the signature.
                    conn.request("GET", f"/2013-04-01/hostedzone/{zone}/rrset?name={HOST}&type=A&maxitems=1",
                                 headers={"Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/route53/aws4_request, "
                                                           "SignedHeaders=host, Signature=0"})
                    body = conn.getresponse().read()
                    times.append(time.perf_counter() - start)
                    assert b"ListResourceRecordSetsResponse" in body, body[:200]
                    conn.close()
                return statistics.median(times)

            srv = server_time()
            kq = measure(proxy, reps, kit_check)
            cq = measure(proxy, cli_reps, cli_check)
            kr = measure(proxy, max(1, reps // 2), kit_restore)
            cr = measure(proxy, max(1, cli_reps // 2 + 1), cli_restore)
            rows.append((size, kq, cq, kr, cr, srv))

        lag_rows = []
        zone = make_zone(c, 10, "example.com")
        lkroot = f"{args.work}/lcd-lag"
        static_lcd(lkroot, zone)
        e = dict(env, LKROOT=lkroot)
        for mode in ("adaptive", "fixed"):
            for d in delays:
                with open(defaults, "w") as f:
                    f.write(f"ROUTE53_CHANGEID_POLL={mode}\n" + LATENCY_BUDGET)
                set_record(c, zone, OTHER)
                proxy.delay = d
                before = proxy.get_change
                w, m, rc, err = run([f"{actions}/restore", "-t", "r53", "-i", f"route53:{zone}:{HOST}"], e)
                assert rc == 0, err
                # INSYNC arrives `d` s after the UPSERT was accepted, which
                # is a few ms after the process started.
                lag_rows.append((mode, d, w - d, proxy.get_change - before))
        proxy.delay = 0

        # A lone resource and a throttle: a node that has seen a change turn
        # INSYNC (it learns how long that takes), then the same restore with
        # its UPSERT throttled twice, then again once the throttles have
        # stopped (the node still remembers the storm). Lag is from the
        # change turning INSYNC to restore's return, on one clock.
        lone_rows = []
        lkroot = f"{args.work}/lcd-lone"
        static_lcd(lkroot, zone)
        e = dict(env, LKROOT=lkroot, LKROUTE53_LOCK_DIR=f"{args.work}/locks-lone")
        with open(defaults, "w") as f:
            f.write("ROUTE53_TTL=10\nROUTE53_CHECK_DNS=off\n")
        proxy.delay = 5
        for case, throttles in (("calm, the node's first change", 0), ("UPSERT throttled twice", 2),
                                ("the next restore, no throttle", 0)):
            set_record(c, zone, OTHER)
            proxy.throttle_changes(throttles)
            before = proxy.get_change
            start = time.monotonic()
            w, m, rc, err = run([f"{actions}/restore", "-t", "r53", "-i", f"route53:{zone}:{HOST}"], e)
            end = time.monotonic()
            assert rc == 0, err
            assert err.count("053018") == throttles, err
            lone_rows.append((case, end - start, end - proxy.last_insync(), proxy.get_change - before))
        proxy.delay = 0

        # The physical floor: quickCheck beside one bare request, both on
        # moto itself (no counting proxy), interleaved run by run.
        here = os.path.dirname(os.path.abspath(__file__))
        floor_bin = f"{args.work}/floor"
        subprocess.run(["rustc", "-O", "-o", floor_bin, f"{here}/floor.rs"], check=True)
        zone = make_zone(c, 10, "example.com")
        lkroot = f"{args.work}/lcd-floor"
        static_lcd(lkroot, zone)
        with open(defaults, "w") as f:
            f.write("ROUTE53_TTL=10\n" + LATENCY_BUDGET)
        # As LifeKeeper calls it: the tag and the resource's ID.
        qc = [f"{actions}/quickCheck", "-t", "r53", "-i", f"route53:{zone}:{HOST}"]
        eh = dict(env, LKROOT=lkroot, AWS_ENDPOINT_URL_ROUTE_53=f"http://127.0.0.1:{moto_port}")
        fl = floor_rows(qc, [floor_bin, str(moto_port), zone, HOST], eh, 5 if brief else 41, args.work)
        fl["peak"] = run(qc, eh)[1]
        fl["tls_builds"] = subprocess.run(qc + ["-v"], env=eh, capture_output=True, text=True).stderr.count(
            "TLS connector built")

        # The same over HTTPS: a TLS front with a test CA, trusted through
        # SSL_CERT_FILE.
        tport, ca, front = tls_front(moto_port, args.work)
        es = dict(eh, AWS_ENDPOINT_URL_ROUTE_53=f"https://127.0.0.1:{tport}", SSL_CERT_FILE=ca)
        # And as on a node: the distribution's bundle, read by the kit, with
        # the CA added through AWS_CA_BUNDLE.
        en = dict(eh, AWS_ENDPOINT_URL_ROUTE_53=f"https://127.0.0.1:{tport}", AWS_CA_BUNDLE=ca)

        def tls_row(e):
            out = subprocess.run(qc + ["-v"], env=e, capture_output=True, text=True).stderr
            # quickCheck passes when it cannot read the record: a row counts
            # only where the record was read over TLS.
            assert "053021" not in out and "trust store" in out, out[-2000:]
            return {"wall": statistics.median(timed(qc, e) for _ in range(5 if brief else 21)),
                    "instr": callgrind(qc, e, args.work), "peak": run(qc, e)[1],
                    "tls_builds": out.count("TLS connector built")}

        tls = tls_row(es)
        tls_node = tls_row(en)

        front.terminate()
        front.wait()

        # An Availability Zone fails: every cluster of the account at once
        # (bench/storm.py).
        # All at once, then (100 x 2) with the nodes starting at random
        # within 10 s, and with a zone that is still applying a change for
        # 250 ms after each (400 PriorRequestNotComplete).
        cases = [(10, 2, {})] if brief else [
            (1, 1, {}), (1, 10, {}), (20, 5, {}), (50, 2, {}), (100, 2, {}),
            (100, 2, {"stagger": 10.0}), (100, 2, {"busy_ms": 250.0})]
        # Each storm's requests are traced, and the tenant's share replayed
        # against them (bench/replay.py): one run's share swings with the
        # tenant's own draw; both are also counted in the storm's first
        # EARLY seconds.
        storms = []
        for nodes, per_node, how in cases:
            for mode in (("adaptive",) if brief or nodes == 1 else ("adaptive", "fixed")):
                trace = f"{args.work}/trace-{len(storms)}"
                r = storm.storm(kit, args.work, moto_port, nodes, per_node, mode, trace=trace, **how)
                seen = replay.requests(trace)
                early = sum(1 for t in replay.throttled(seen) if t < EARLY)
                storms.append(dict(r, how=how, replayed=replay.shares(seen, 300, first=EARLY), early=early))

        # A fleet's health checks (bench/fleet.py), then one quickCheck
        # beside the other, DNS first and the API alone, on a quiet endpoint.
        fleet_size = (2, 5, 20.0) if brief else (10, 10, 120.0)
        checks = [fleet.fleet(kit, args.work, moto_port, fleet_size[0], fleet_size[1], 10.0, fleet_size[2], dns)
                  for dns in ("agree", "down", "off")]
        paths = dns_paths(kit, args.work, moto_port, 5 if brief else 41)
        agents = pacemaker_agents(kit, args.work, 1 if brief else 5)
    finally:
        if proxy is not None:
            proxy.proc.terminate()
        moto.terminate()
        moto.wait()

    def aws_version():
        try:
            return subprocess.run(["aws", "--version"], capture_output=True, text=True).stdout.strip() or \
                subprocess.run(["aws", "--version"], capture_output=True, text=True).stderr.strip()
        except OSError:
            return "?"

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    size = os.path.getsize(f"{args.kit}/opt/LifeKeeper/subsys/gen/resources/route53/bin/lkroute53")
    with open(args.out, "w") as f:
        f.write("# Benchmarks\n\n")
        f.write("Made by `bash bench/run.sh`" + (" --brief (one run each: not for comparison)" if brief else "") + ".\n\n")
        f.write(f"Machine: {platform.system()} {platform.release()}, {os.cpu_count()} cores, {cpu}; "
                f"Python {platform.python_version()}, {aws_version()}; local Route 53: moto_server on 127.0.0.1.\n\n")
        f.write(f"Installed kit: one program of {size / 1e6:.1f} MB (release build, stripped).\n\n")
        f.write("The kit runs as installed, with LCD commands that print fixed lines (on a node they are compiled "
                "programs); the AWS-CLI way is `aws route53 list-resource-record-sets --query \"ResourceRecordSets[?Name == 'NAME.']\"` "
                "for a check, and `change-resource-record-sets`, `get-change` and that listing for a restore. "
                f"Wall time is the median of {reps} runs (CLI: {cli_reps}); memory is the largest peak RSS of one process; "
                "requests are counted by a proxy in front of moto; the node's request budget is opened up "
                "(`ROUTE53_API_RATE=1000`, `ROUTE53_API_BURST=1000`), as these runs follow each other far faster "
                "than a node's do. Each restore starts with the record holding another address; "
                "moto reports a change INSYNC in the answer that accepts it, and the kit then makes no status check.\n\n")
        f.write("| records | kit quickCheck | CLI check | speed-up | kit restore | CLI restore | moto's own time for one exact lookup |\n|---|---|---|---|---|---|---|\n")
        for size, kq, cq, kr, cr, srv in rows:
            f.write(f"| {size:,} | {kq[0]*1000:.1f} ms, {kq[1]/1024:.1f} MiB, {kq[2]:.0f} req | "
                    f"{cq[0]*1000:.0f} ms, {cq[1]/1024:.1f} MiB, {cq[2]:.0f} req | {cq[0]/kq[0]:.0f}x | "
                    f"{kr[0]*1000:.0f} ms, {kr[1]/1024:.1f} MiB, {kr[2]:.0f} req | "
                    f"{cr[0]*1000:.0f} ms, {cr[1]/1024:.1f} MiB, {cr[2]:.0f} req | {srv*1000:.1f} ms |\n")
        if len(rows) >= 2:
            first, last = rows[0], rows[-1]
            f.write(f"\nThe kit's quickCheck on {last[0]:,} records takes {last[1][0]/first[1][0]:.2f}x its time on {first[0]:,}; "
                    f"less the endpoint's own answer time, {(last[1][0]-last[5])/(first[1][0]-first[5]):.2f}x. The kit makes one request "
                    "whatever the zone's size; the rest of the difference is moto answering an exact lookup on a larger zone.\n")
        f.write("\n## INSYNC to return\n\nA proxy holds GetChange at PENDING until D seconds after the UPSERT; "
                "lag is restore's wall time minus D. Default settings (20 s interval, 5 checks).\n\n")
        f.write("| polling | INSYNC after | lag | GetChange requests |\n|---|---|---|---|\n")
        for mode, d, lag, n in lag_rows:
            f.write(f"| {mode} | {d} s | {lag:.2f} s | {n} |\n")
        f.write("\n## quickCheck at the physical floor\n\n"
                "The floor is `bench/floor.rs` (`rustc -O`, standard library only): one process that makes the same "
                "one request, the exact lookup of the record, and nothing else (no signing, no parsing). Both run "
                f"against moto directly, interleaved, median of {5 if brief else 41} runs each; instructions are "
                "valgrind's callgrind count of one run (the kit with its LCD commands as frozen sh scripts; their own "
                "instructions are not counted). The kit is called as LifeKeeper calls it, with `-t TAG -i ID`, and "
                "the node's budget opened up as above. The HTTPS rows go through a local TLS front with a test CA, trusted "
                "through `SSL_CERT_FILE` alone, or as on a node: the distribution's bundle "
                f"({trust_bundle()}) read by the kit, and the test CA added by `AWS_CA_BUNDLE`; \"TLS connectors\" counts the kit's own log line (-v) each time it builds "
                "one, which is when it parses the trust store.\n\n")
        f.write("| run | wall | instructions | peak RSS | TLS connectors |\n|---|---|---|---|---|\n")
        f.write(f"| floor: one bare request | {fl['floor']*1000:.1f} ms | {fl['floor_instr']/1e6:.2f} M | - | - |\n")
        f.write(f"| kit quickCheck, http:// | {fl['kit']*1000:.1f} ms ({fl['kit']/fl['floor']:.2f}x the floor) | "
                f"{fl['kit_instr']/1e6:.2f} M | {fl['peak']/1024:.1f} MiB | {fl['tls_builds']} |\n")
        for name, t in (("https://, the test CA only (SSL_CERT_FILE)", tls),
                        ("https://, the distribution's bundle and the test CA (AWS_CA_BUNDLE)", tls_node)):
            f.write(f"| kit quickCheck, {name} | {t['wall']*1000:.1f} ms | {t['instr']/1e6:.2f} M | "
                    f"{t['peak']/1024:.1f} MiB | {t['tls_builds']} |\n")
        f.write("\n## An Availability Zone fails: every cluster of the account at once\n\n"
                "`bench/storm.py`: N nodes, each with its own LCD (frozen sh commands) and lock folder, M Route 53 "
                "resources each over the node's own IP resource, one hosted zone shared by all; all N x M restores "
                "started at once, with default settings, against `tests/fixtures/front.py --account` in front of moto, "
                "which enforces an account's quotas as Route 53 documents them (10 requests a second with a burst of "
                "50 over the account and again per API action; the change-token bucket of 1,500 refilled at 100 a "
                "second, 2 per UPSERT), has a second tenant spend 2 requests a second (at random times, as "
                "independent callers come), and holds each change "
                "PENDING for 30 s. Adaptive is the default polling, fixed the documented 20 s cadence. "
                "\"Throttled\" counts the kit's answers (the tenant's are apart); \"accepted\" is the most times "
                "one record's change was accepted; \"busy zone answers\" counts 400 PriorRequestNotComplete "
                "(the zone busy for 250 ms after each accepted change, in its rows); time is from the first "
                "request of the storm to the return of the last restore. Staggered rows start each node at a "
                "random time within 10 s. One run's tenant share swings by several points with the kit's requests "
                "alike (the tenant sends about a hundred requests, and while the account is drained each one "
                "wins or loses a race for a token), so each row also gives it replayed (`bench/replay.py`): the "
                "kit's requests as the front saw them, against the same account, with the tenant drawn anew 300 "
                "times; its mean and 90th percentile. Both also give, in brackets, what came in the storm's first "
                f"{EARLY:g} s (from the first request the front saw): the kit's throttled answers, and the part of the tenant's "
                "replayed mean lost then. When every node starts at once, a node learns of the storm only from "
                "its own throttled answer and until then sends its read and its UPSERT as a lone node does; so "
                "those throttles, and the tenant's loss to them, are the price of starting at once; staggered "
                "nodes keep starting after it. The floor, in this model: 2 reads, 1 change and 1 status check per "
                "node (a node's restores share their reads, their change and its checks), so 2.0 requests a "
                "resource at 2 resources a node; and the last change is INSYNC 30 s after it was accepted, "
                "the account giving 50 + 8 requests a second (the tenant spends 2) to 200 reads and changes "
                "before it: about 21 s + 30 s + a check and a read, so about 52 s.\n\n")
        f.write("| nodes x resources | start | polling | exit statuses (status: count) | records right | "
                "kit requests | throttled | busy zone answers | requests per resource | tenant throttled | "
                "tenant throttled, replayed: mean / 90th percentile | accepted | time to the last restore |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
        for r in storms:
            exits = ", ".join(f"{k}: {v}" for k, v in r["exits"].items())
            how = r["how"]
            start = (f"at random within {how['stagger']:.0f} s" if how.get("stagger")
                     else f"at once, zone busy {how['busy_ms']:.0f} ms after each change" if how.get("busy_ms")
                     else "at once")
            tenant = r["tenant"]
            share = 100 * tenant["throttled"] / max(1, tenant["requests"])
            f.write(f"| {r['nodes']} x {r['per_node']} | {start} | {r['mode']} | {exits} | {r['records_right']} of "
                    f"{r['restores']} | {r['requests']} | {r['throttled']} ({100 * r['throttled_share']:.1f} %; "
                    f"{r['early']} in the first {EARLY:g} s) | "
                    f"{r['prior_request']} | {r['per_resource']:.2f} | {tenant['throttled']} of "
                    f"{tenant['requests']} ({share:.1f} %) | {100 * r['replayed'][0]:.1f} % / {100 * r['replayed'][1]:.1f} % "
                    f"({100 * r['replayed'][2]:.1f} in the first {EARLY:g} s) | "
                    f"{r['most_accepted']} | "
                    f"{r['from_first_request']:.1f} s |\n")
        f.write("\n## A lone resource and a throttle\n\n"
                "One restore at a time on one node, against the counting front, each change PENDING for 5 s: "
                "first on a node that has not yet seen a change turn INSYNC, then with its UPSERT answered "
                "400 Throttling twice, then again with no throttle while the node still remembers the storm "
                "(60 s). Lag is from the change turning INSYNC (the front's clock) to restore's return; wall is "
                "restore's whole run, the throttled pauses included.\n\n")
        f.write("| restore | wall | lag after INSYNC | GetChange requests |\n|---|---|---|---|\n")
        for case, wall, lag, n in lone_rows:
            f.write(f"| {case} | {wall:.2f} s | {lag:.2f} s | {n} |\n")
        f.write("\n## A fleet's health checks and the account's quota\n\n"
                f"`bench/fleet.py`: {checks[0]['nodes']} nodes x {checks[0]['per_node']} resources, every record right, "
                f"each resource's quickCheck run every {checks[0]['every']:.0f} s for {checks[0]['seconds']:.0f} s, "
                "the fleet's checks spread evenly over each period, with default settings but `ROUTE53_CHECK_DNS`, "
                "against the account model of the storm (10 requests a second, burst 50, the second tenant at "
                "2 a second). DNS is `tests/fixtures/dnsfront.py`, which reads the zone from moto itself (a "
                "resolver's answers cost the account nothing): agreeing (it answers truly), down (it never "
                "answers: every check waits its `ROUTE53_CHECK_DNS_TIMEOUT` of 1 s, then reads the API), or "
                "`off` (the API alone, the kit before this setting). Check time is from start to exit of one "
                "quickCheck process.\n\n")
        f.write("| DNS | checks | exit statuses | API requests by checks | throttled | tenant throttled | "
                "median check | longest check |\n|---|---|---|---|---|---|---|---|\n")
        for r in checks:
            exits = ", ".join(f"{k}: {v}" for k, v in r["exits"].items())
            tenant = r["tenant"]
            f.write(f"| {r['dns']} | {r['checks']} | {exits} | {r['requests']} | {r['throttled']} | "
                    f"{tenant['throttled']} of {tenant['requests']} | {r['median']*1000:.1f} ms | "
                    f"{r['longest']*1000:.0f} ms |\n")
        per_check = {r["dns"]: r["requests"] / max(1, r["checks"]) for r in checks}
        f.write(f"\nPer check: {per_check['agree']:.2f} API requests with DNS agreeing, {per_check['down']:.2f} "
                f"with DNS down, {per_check['off']:.2f} with `off`. What it means for an account: LifeKeeper checks "
                "each resource every `LKCHECKINTERVAL` (120 s by default), so with the API alone N resources "
                "spend N/120 requests a second of the account's 10: 600 resources half of it, 1,200 all of it, all "
                "day, and a storm's restores then compete with the checks. With DNS answering, a check whose "
                "record is right spends none: the checks' share of the quota is zero whatever the fleet's size, "
                "and the account's 10 a second stay for restores and for the checks that find something wrong "
                "(each of those is one read). Where the resolver is down, the kit falls back to the API and "
                "costs what it did before, plus the DNS time limit per check.\n\n")
        f.write(f"One resource's quickCheck, DNS agreeing beside the API path, interleaved on moto itself (no "
                f"front, the node's budget opened up), median of {5 if brief else 41} runs each; instructions as "
                "above (callgrind, one run); the servers' own time is one answer of the DNS front (a Python "
                "server that reads the zone from moto for each query) and one exact lookup of moto. On a node "
                "the VPC's resolver answers from its cache in well under a millisecond, while the API is a TLS "
                "request to Route 53's endpoint over the Internet.\n\n")
        f.write("| path | wall | server's own time | wall less the server's | instructions | peak RSS |\n"
                "|---|---|---|---|---|---|\n")
        for name, key in (("DNS agreeing (no API request)", "dns"), ("API (`ROUTE53_CHECK_DNS=off`)", "api")):
            t = paths[key]
            f.write(f"| {name} | {t['wall']*1000:.1f} ms | {t['server']*1000:.1f} ms | "
                    f"{(t['wall'] - t['server'])*1000:.1f} ms | {t['instr']/1e6:.2f} M | {t['peak']/1024:.1f} MiB |\n")
        f.write("\n## Pacemaker: this kit's agent beside aws-vpc-route53\n\n")
        result, why = agents
        if result is None:
            f.write(f"Not run: {why}.\n")
        else:
            f.write(f"`bench/agents.py`, in a network namespace that has only loopback: `ocf:lkroute53:route53` (this "
                    "kit, installed) and `ocf:heartbeat:aws-vpc-route53` (Debian's resource-agents, unpacked; it runs the "
                    "AWS CLI above, `dig` and `curl`), each run as Pacemaker's executor runs it, on the same local Route 53 "
                    "(moto behind the counting front). /etc/resolv.conf names 127.0.0.1, where the DNS front serves "
                    "the zone, so each monitor asks DNS as on a node (the kit with `ROUTE53_CHECK_DNS=auto`, the other "
                    "with `dig`). Each round: the record holds another address, start, monitor (DNS agrees), stop; "
                    f"median of {1 if brief else 5} rounds.\n\n")
            f.write("| agent | start | start's API requests | monitor | monitor's API requests | exit statuses |\n"
                    "|---|---|---|---|---|---|\n")
            for name, label in (("kit", "lkroute53 `route53`"), ("aws-vpc-route53", "`aws-vpc-route53`")):
                r = result[name]
                exits = ", ".join(f"{a} {'/'.join(map(str, r[a]['exits']))}" for a in ("start", "monitor"))
                f.write(f"| {label} | {r['start']['median']:.2f} s | {r['start']['requests']:.0f} | "
                        f"{r['monitor']['median']*1000:.0f} ms | {r['monitor']['requests']:.0f} | {exits} |\n")
            theirs = result["aws-vpc-route53"]["start"]["last_stderr"]
            if "argument --id: expected one argument" in theirs:
                f.write("\n`aws-vpc-route53`'s start reads the change ID from the AWS CLI's text output by field "
                        "position; here that came out empty (`aws: error: argument --id: expected one argument`), so "
                        "after its fixed 20 s sleep it made no status check and returned success: its time is the "
                        "sleep and the CLI's runs.\n")
    print(open(args.out).read())


if __name__ == "__main__":
    main()
