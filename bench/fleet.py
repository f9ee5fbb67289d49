#!/usr/bin/env python3
"""A fleet's health checks against the account's one Route 53 quota.

N nodes, each with its own LCD (fixed lines) and lock folder, M Route 53
resources each, every record right; every resource's quickCheck is run
every --every seconds for --minutes, the checks of the fleet spread evenly
over each period (LifeKeeper's checks of different resources are not in
step). Route 53 is tests/fixtures/front.py --account in front of moto (the
account's 10 requests/s, burst 50, a second tenant at 2 requests/s); the
DNS server the checks ask is tests/fixtures/dnsfront.py, which reads the
zone from moto directly (a resolver's answers cost the account nothing).

    python3 bench/fleet.py --kit ROOT --work DIR [--moto-port P]
        --nodes 10 --per-node 10 --every 10 --seconds 120 --dns agree|down|off

prints one JSON line: the checks run and their exit statuses, the kit's API
requests and throttled answers, the tenant's, the checks' median and
longest time. bench/bench.py makes the table of BENCHMARKS.md from it.
Traffic goes to 127.0.0.1 only.
"""
import argparse
import json
import os
import statistics
import subprocess
import threading
import time

import storm

HERE = os.path.dirname(os.path.abspath(__file__))
ADDR = "10.{}.{}.10"


def dns_front(moto_port, zone, work):
    """tests/fixtures/dnsfront.py serving `zone`: (process, port, rules file)."""
    port_file, rules = f"{work}/dns-{time.time_ns()}.port", f"{work}/dns-{time.time_ns()}.rules"
    proc = subprocess.Popen(["python3", f"{HERE}/../tests/fixtures/dnsfront.py", "--upstream",
                             f"http://127.0.0.1:{moto_port}", "--zone", zone, "--port-file", port_file,
                             "--rules", rules], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    return proc, int(open(port_file).read()), rules


def fleet(kit, work, moto_port, nodes, per_node, every, seconds, dns, tenant=2.0):
    """Run the fleet's checks for `seconds` with DNS `agree` (the front
    answers truly), `down` (it never answers) or `off` (not asked)."""
    tag = f"fleet-{nodes}x{per_node}-{dns}-{time.time_ns()}"
    zone = storm.make_zone(moto_port, f"{tag}.example")
    plan = []
    for i in range(nodes):
        node, addr = f"n{i:03d}", ADDR.format(1 + i // 200, i % 200)
        resources = [(f"r53-{j}", f"{node}-r{j}.{tag}.example") for j in range(per_node)]
        root = f"{work}/{tag}/{node}"
        storm.node_lcd(root, node, addr, zone, resources)
        storm.upsert(moto_port, zone, [h for _, h in resources], addr)
        plan.append((root, resources))
    front, fport = storm.start_front(moto_port, work, "--account", "--rate", "10", "--burst", "50",
                                     "--tenant-rate", str(tenant))
    resolver, dport, rules = dns_front(moto_port, zone, work)
    with open(rules, "w") as f:
        f.write(json.dumps({"fault": "drop"}) if dns == "down" else "{}")
    defaults = f"{work}/{tag}/LifeKeeper"
    with open(defaults, "w") as f:
        f.write(f"ROUTE53_CHECK_DNS={'off' if dns == 'off' else f'127.0.0.1:{dport}'}\n")
    env = storm.kit_env(defaults, fport)
    check = f"{kit}/opt/LifeKeeper/subsys/gen/resources/route53/actions/quickCheck"
    jobs = [(root, t, host) for root, resources in plan for t, host in resources]
    results, lock = [], threading.Lock()

    def one(root, t, host):
        e = dict(env, LKROOT=root, LKROUTE53_LOCK_DIR=f"{root}/locks")
        began = time.perf_counter()
        p = subprocess.run([check, "-t", t, "-i", f"route53:{zone}:{host}"], env=e,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with lock:
            results.append((p.returncode, time.perf_counter() - began))

    threads = []
    try:
        before = storm.control(fport, "GET", "/__stats")
        start = time.perf_counter()
        gap = every / len(jobs)
        k = 0
        while True:
            at = start + k * gap
            if at - start >= seconds:
                break
            time.sleep(max(0.0, at - time.perf_counter()))
            th = threading.Thread(target=one, args=jobs[k % len(jobs)])
            th.start()
            threads.append(th)
            k += 1
        for th in threads:
            th.join(timeout=120)
        after = storm.control(fport, "GET", "/__stats")
    finally:
        front.terminate()
        resolver.terminate()
        front.wait()
        resolver.wait()
    codes = [c for c, _ in results]
    times = sorted(w for _, w in results)
    tenant = {k: after["tenant"][k] - before["tenant"][k] for k in ("requests", "throttled")}
    return {
        "nodes": nodes, "per_node": per_node, "every": every, "seconds": seconds, "dns": dns,
        "checks": len(results), "exits": {str(c): codes.count(c) for c in sorted(set(codes))},
        "requests": after["requests"] - before["requests"], "throttled": after["throttled"] - before["throttled"],
        "tenant": tenant, "median": statistics.median(times), "longest": times[-1],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kit", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--moto-port", type=int)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--per-node", type=int, default=10)
    ap.add_argument("--every", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--dns", choices=("agree", "down", "off"), default="agree")
    a = ap.parse_args()
    storm.on_moto(a.moto_port, lambda port: fleet(a.kit, a.work, port, a.nodes, a.per_node, a.every, a.seconds,
                                                  a.dns))


if __name__ == "__main__":
    main()
