#!/usr/bin/env python3
"""Pacemaker's two Route 53 agents side by side: this kit's
ocf:lkroute53:route53 and ClusterLabs' ocf:heartbeat:aws-vpc-route53 (from
Debian's resource-agents package, unpacked), each started and monitored as
Pacemaker's executor runs them, on the same local Route 53.

Run inside a network namespace that has only loopback, and a mount
namespace of its own (bench/bench.py runs it under `unshare -n -m`): the
AWS CLI, dig and curl the other agent calls can reach nothing but
127.0.0.1. /etc/resolv.conf is bind-mounted to name 127.0.0.1, where
tests/fixtures/dnsfront.py serves the zone on port 53, so both monitors ask
DNS as they would on a node (the kit's ROUTE53_CHECK_DNS=auto, the other's
dig). Route 53 is moto behind tests/fixtures/front.py, which counts the
requests.

    unshare -n -m python3 bench/agents.py --kit ROOT --agents DIR --work DIR [--reps N]

prints one JSON line: for each agent, start's and monitor's median time,
exit statuses and API requests per run.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import storm

HOST = "app.example.com"
ADDR = "10.0.1.10"
OTHER = "192.0.2.99"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kit", required=True)
    ap.add_argument("--agents", required=True, help="Debian's resource-agents, unpacked")
    ap.add_argument("--work", required=True)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    resolv = f"{a.work}/resolv.conf"
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\n")
    subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
    procs = []
    try:
        moto_port = storm.free_port()
        procs.append(subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        storm.wait_port(moto_port)
        front, fport = storm.start_front(moto_port, a.work)
        procs.append(front)
        zone = storm.make_zone(moto_port, "example.com")
        port_file = f"{a.work}/dns53.port"
        procs.append(subprocess.Popen(
            ["python3", f"{storm.HERE}/../tests/fixtures/dnsfront.py", "--upstream", f"http://127.0.0.1:{moto_port}",
             "--zone", zone, "--port", "53", "--port-file", port_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(600):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the DNS front did not start on port 53")
        aws_dir = f"{a.work}/aws"
        os.makedirs(aws_dir, exist_ok=True)
        with open(f"{aws_dir}/config", "w") as f:
            f.write("[default]\nregion = us-east-1\noutput = text\n")
        with open(f"{aws_dir}/credentials", "w") as f:
            f.write("[default]\naws_access_key_id = bench\naws_secret_access_key = bench\n")
        rsctmp = f"{a.work}/rsctmp"
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": a.work,
            "AWS_ENDPOINT_URL_ROUTE_53": f"http://127.0.0.1:{fport}", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": f"{aws_dir}/config", "AWS_SHARED_CREDENTIALS_FILE": f"{aws_dir}/credentials",
            "OCF_ROOT": f"{a.agents}/usr/lib/ocf", "HA_RSCTMP": rsctmp, "OCF_RESOURCE_INSTANCE": "dns-app",
            "OCF_RESKEY_hostedzoneid": zone, "OCF_RESKEY_ip": ADDR, "OCF_RESKEY_CRM_meta_interval": "30000",
            "OCF_RESKEY_CRM_meta_timeout": "120000", "HA_LOGFACILITY": "none", "HA_debug": "0",
        }
        defaults = f"{a.work}/lkroute53"
        with open(defaults, "w") as f:
            f.write("# the defaults: ROUTE53_CHECK_DNS=auto reads /etc/resolv.conf\n")
        kit = dict(base, OCF_RESKEY_fullname=HOST, LK_DEFAULTS_FILE=defaults, LKROUTE53_SYSLOG_SOCKET="",
                   LKROUTE53_LOCK_DIR=f"{a.work}/locks")
        # Its documentation asks for the trailing dot ("important to Route53").
        theirs = dict(base, OCF_RESKEY_fullname=HOST + ".", OCF_RESKEY_awscli=subprocess.run(
            ["sh", "-c", "command -v aws"], capture_output=True, text=True, check=True).stdout.strip())
        agents = {
            "kit": (f"{a.kit}/usr/lib/ocf/resource.d/lkroute53/route53", kit),
            "aws-vpc-route53": (f"{a.agents}/usr/lib/ocf/resource.d/heartbeat/aws-vpc-route53", theirs),
        }
        out = {}
        for name, (agent, env) in agents.items():
            rows = {"start": [], "monitor": []}
            for _ in range(a.reps):
                storm.upsert(moto_port, zone, [HOST], OTHER)
                for action in ("start", "monitor"):
                    before = storm.control(fport, "GET", "/__stats")["requests"]
                    t = time.perf_counter()
                    p = subprocess.run([agent, action], env=dict(env, __OCF_ACTION=action),
                                       capture_output=True, text=True)
                    took = time.perf_counter() - t
                    after = storm.control(fport, "GET", "/__stats")["requests"]
                    rows[action].append((took, p.returncode, after - before, p.stderr[-400:]))
                held = storm.records(moto_port, zone).get(HOST)
                if held != ADDR:
                    raise RuntimeError(f"{name}: after start the record holds {held}: {rows['start'][-1][3]}")
                subprocess.run([agent, "stop"], env=dict(env, __OCF_ACTION="stop"), capture_output=True)
            out[name] = {
                action: {"median": statistics.median(r[0] for r in runs),
                         "exits": sorted({r[1] for r in runs}),
                         "requests": statistics.median(r[2] for r in runs),
                         "last_stderr": runs[-1][3]}
                for action, runs in rows.items()}
        print(json.dumps(out))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


if __name__ == "__main__":
    main()
