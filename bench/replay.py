#!/usr/bin/env python3
"""The second tenant's share of a storm, without the tenant's own luck.

One run of bench/storm.py throttles its second tenant on a share that
swings by several points from run to run with the kit's requests alike:
the tenant sends about a hundred requests, and while the account is drained
each one wins or loses a race for the next token. This replays the kit's
requests of one run, at the times the front saw them, against the account's
buckets as tests/fixtures/front.py keeps them (10 a second with a burst of
50 over the account and again per action; the change tokens, 1,500 refilled
at 100 a second, never bind a storm and are left out), each time with a new
draw of the tenant (Poisson, 2 a second), and prints the tenant's throttled
share: its mean over the draws and its 90th percentile. The kit's requests
are replayed as sent, throttled ones included: what the replay varies is
the tenant alone.

    FRONT_TRACE=FILE python3 bench/storm.py ...   (the front writes FILE)
    python3 bench/replay.py FILE [FILE...] [--draws 300] [--drop OP:BEFORE]

--drop read:12 replays the trace without the kit's reads before 12 s (and
so for change, status): what those requests cost the tenant.
"""
import argparse
import random
import statistics

RATE = 10.0
BURST = 50.0
TENANT_RATE = 2.0
OPS = ("read", "change", "status", "other")


def load(path):
    """The kit's requests of a trace: (seconds from the first, operation)."""
    out = []
    start = None
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 3:
                continue
            t = float(fields[0])
            start = t if start is None else start
            if fields[1] == "tenant":
                continue
            out.append((t - start, fields[1]))
    return out


def replay(kit, seed):
    """The tenant's throttled share over one draw of its requests."""
    draw = random.Random(seed)
    end = kit[-1][0] if kit else 0.0
    tenant = []
    t = 0.0
    while True:
        t += draw.expovariate(TENANT_RATE)
        if t > end:
            break
        tenant.append((t, "tenant"))
    if not tenant:
        return 0.0
    account = [BURST, 0.0]
    actions = {op: [BURST, 0.0] for op in OPS}
    lost = 0
    for t, op in sorted(kit + tenant):
        action = actions["other" if op == "tenant" else op]
        for b in (account, action):
            b[0] = min(BURST, b[0] + (t - b[1]) * RATE)
            b[1] = t
        if account[0] >= 1 and action[0] >= 1:
            account[0] -= 1
            action[0] -= 1
        elif op == "tenant":
            lost += 1
    return lost / len(tenant)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--drop", action="append", default=[], metavar="OP:BEFORE")
    a = ap.parse_args()
    drops = []
    for d in a.drop:
        op, _, before = d.partition(":")
        if op not in OPS or not before:
            ap.error(f"--drop {d}: expected OP:SECONDS with OP one of {', '.join(OPS[:3])}")
        drops.append((op, float(before)))
    for path in a.traces:
        kit = [(t, op) for t, op in load(path) if not any(op == o and t < b for o, b in drops)]
        shares = sorted(replay(kit, seed) for seed in range(a.draws))
        p90 = shares[min(len(shares) - 1, int(0.9 * len(shares)))]
        print(f"{path}: tenant throttled {100 * statistics.mean(shares):.1f} % on average, "
              f"{100 * p90:.1f} % at the 90th percentile, over {a.draws} draws")


if __name__ == "__main__":
    main()
