#!/usr/bin/env python3
"""The second tenant's share of a storm, without the tenant's own luck.

One run of bench/storm.py throttles its second tenant on a share that
swings by several points from run to run with the kit's requests alike:
the tenant sends about a hundred requests, and while the account is drained
each one wins or loses a race for the next token. This replays the kit's
requests of one run, at the times the front saw them, against the account
of tests/fixtures/front.py itself (its buckets and their default sizes: 10
a second with a burst of 50 over the account and again per action), each
time with a new draw of the tenant (Poisson, 2 a second), and prints the
tenant's throttled share: its mean over the draws and its 90th percentile.
The kit's requests are replayed as sent, throttled ones included: what the
replay varies is the tenant alone. A trace does not say how many records a
change held, so the change tokens (1,500, refilled at 100 a second, which a
storm never spends) are not drawn on.

    FRONT_TRACE=FILE python3 bench/storm.py ...   (the front writes FILE)
    python3 bench/replay.py FILE [FILE...] [--draws 300] [--drop OP:BEFORE]

--drop read:12 replays the trace without the kit's reads before 12 s (and
so for change, status): what those requests cost the tenant.
"""
import argparse
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
import front  # noqa: E402

TENANT_RATE = 2.0
OPS = ("read", "change", "status")


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


def account():
    """The front's account as `front.py --account` starts it, its clock at 0."""
    a = front.parser().parse_args(["--upstream", "0", "--account"])
    f = front.Front(a)
    for b in [f.bucket, f.changes_bucket, *f.actions.values()]:
        b.stamp = 0.0
    return f


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
    acct = account()
    lost = 0
    for t, op in sorted(kit + tenant):
        if op == "tenant":
            lost += not acct.admit("other", now=t)
        elif op in acct.actions:
            acct.admit(op, now=t)
    return lost / len(tenant)


def shares(path, draws=300, drops=()):
    """The tenant's throttled share over `draws` draws against the trace at
    `path`, less the kit's requests that `drops` names ((operation, before
    seconds)): (mean, 90th percentile), as fractions."""
    kit = [(t, op) for t, op in load(path) if not any(op == o and t < b for o, b in drops)]
    each = sorted(replay(kit, seed) for seed in range(draws))
    return statistics.mean(each), each[min(len(each) - 1, int(0.9 * len(each)))]


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
            ap.error(f"--drop {d}: expected OP:SECONDS with OP one of {', '.join(OPS)}")
        drops.append((op, float(before)))
    for path in a.traces:
        mean, p90 = shares(path, a.draws, drops)
        print(f"{path}: tenant throttled {100 * mean:.1f} % on average, "
              f"{100 * p90:.1f} % at the 90th percentile, over {a.draws} draws")


if __name__ == "__main__":
    main()
