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
                                 [--first SECONDS]

--drop read:12 replays the trace without the kit's reads before 12 s (and
so for change, status): what those requests cost the tenant.

--first 4 also says what the storm's first 4 s (from the trace's first
request) held: how many of the kit's throttled answers came in them, and
how much of the tenant's replayed share was lost in them. In a storm
started at once, that is the part no node could have avoided: a node
learns of the storm only from its own throttled answer, and until then
sends its read and its UPSERT as a lone node does.
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


def requests(path):
    """Every request of a trace: (seconds from the first, operation, answer)
    with the tenant's operation "tenant" and the answer ok, THR or PRN."""
    out = []
    start = None
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 3:
                continue
            t = float(fields[0])
            start = t if start is None else start
            out.append((t - start, fields[1], fields[2]))
    return out


def kit_of(trace):
    """The kit's requests of a trace's `requests`: (seconds, operation)."""
    return [(t, op) for t, op, _ in trace if op != "tenant"]


def throttled(trace):
    """When the kit's throttled answers of a trace's `requests` came:
    seconds from the trace's first request."""
    return [t for t, op, answer in trace if op != "tenant" and answer == "THR"]


def account():
    """The front's account as `front.py --account` starts it, its clock at 0."""
    a = front.parser().parse_args(["--upstream", "0", "--account"])
    f = front.Front(a)
    for b in [f.bucket, f.changes_bucket, *f.actions.values()]:
        b.stamp = 0.0
    return f


def replay(kit, seed, first=0.0):
    """The tenant's throttled share over one draw of its requests, and the
    part of it lost before `first` seconds."""
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
        return 0.0, 0.0
    acct = account()
    lost = early = 0
    for t, op in sorted(kit + tenant):
        if op == "tenant":
            refused = not acct.admit("other", now=t)
            lost += refused
            early += refused and t < first
        elif op in acct.actions:
            acct.admit(op, now=t)
    return lost / len(tenant), early / len(tenant)


def shares(trace, draws=300, drops=(), first=0.0):
    """The tenant's throttled share over `draws` draws against a trace's
    `requests`, less the kit's requests that `drops` names ((operation,
    before seconds)): (mean, 90th percentile, mean of the part lost before
    `first` seconds), as fractions."""
    kit = [(t, op) for t, op in kit_of(trace) if not any(op == o and t < b for o, b in drops)]
    runs = [replay(kit, seed, first) for seed in range(draws)]
    each = sorted(share for share, _ in runs)
    early = statistics.mean(part for _, part in runs)
    return statistics.mean(each), each[min(len(each) - 1, int(0.9 * len(each)))], early


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--drop", action="append", default=[], metavar="OP:BEFORE")
    ap.add_argument("--first", type=float, default=0.0, metavar="SECONDS")
    a = ap.parse_args()
    drops = []
    for d in a.drop:
        op, _, before = d.partition(":")
        if op not in OPS or not before:
            ap.error(f"--drop {d}: expected OP:SECONDS with OP one of {', '.join(OPS)}")
        drops.append((op, float(before)))
    for path in a.traces:
        trace = requests(path)
        mean, p90, early = shares(trace, a.draws, drops, a.first)
        print(f"{path}: tenant throttled {100 * mean:.1f} % on average, "
              f"{100 * p90:.1f} % at the 90th percentile, over {a.draws} draws")
        if a.first > 0:
            kit = kit_of(trace)
            when = throttled(trace)
            soon = sum(1 for t in when if t < a.first)
            print(f"  in the first {a.first:g} s: {soon} of the kit's {len(when)} throttled answers "
                  f"(of {len(kit)} requests: {100 * len(when) / max(1, len(kit)):.1f} % in all, "
                  f"{100 * (len(when) - soon) / max(1, len(kit)):.1f} % after); "
                  f"{100 * early:.1f} points of the tenant's share")


if __name__ == "__main__":
    main()
