#!/usr/bin/env python3
"""Which pauses the slow requests of an overhead.sh run met (bench/README.md, "The how-to's p99").

usage: tail_causes.py DUMP [--log NAME=FILE ...] [--slow-us N]

DUMP is one route's client.py --dump file ("start_epoch_ms total_us ttfb_us" per request). Each --log is a
JVM's safepoint log written with -Xlog:safepoint:file=FILE:timemillis (every stop-the-world pause: GC,
deoptimisation, class redefinition...), or a GC log with -Xlog:gc:file=FILE:timemillis. A request is slow when
it took at least --slow-us (default: the route's p99) and it "met" a pause
when the pause overlapped the request's time. Prints, per JVM, how many of the slow requests met one of its
pauses and how many of all requests did, so that a pause that also hits fast requests is told apart from
one that makes requests slow.
"""
import argparse
import re

# Xlog lines: "[1764670000123ms] Safepoint "G1 Collect...", Time since last: ..., Reaching safepoint: 12345 ns,
# At safepoint: 1234567 ns, Leaving safepoint: ... Total: 1300000 ns" or a GC line ending "... 1.234ms"
STAMP = re.compile(r"^\[(\d+)ms\]")
TOTAL_NS = re.compile(r"Total: (\d+) ns")
GC_MS = re.compile(r"Pause .* (\d+\.\d+)ms$")


def pauses(path):
    found = []
    with open(path) as log:
        for line in log:
            stamp = STAMP.match(line)
            if not stamp:
                continue
            end = int(stamp.group(1))
            total = TOTAL_NS.search(line)
            gc = GC_MS.search(line.rstrip())
            if total:
                length = int(total.group(1)) / 1e6
            elif gc:
                length = float(gc.group(1))
            else:
                continue
            # the log's stamp is when the line was written, at the end of the pause
            found.append((end - length, end + 1, length))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--log", action="append", default=[], help="NAME=FILE")
    ap.add_argument("--slow-us", type=float)
    a = ap.parse_args()
    requests = []
    with open(a.dump) as dump:
        for line in dump:
            start, total, _ = line.split()
            requests.append((float(start), float(total)))
    totals = sorted(t for _, t in requests)
    p50 = totals[len(totals) // 2]
    p99 = totals[min(len(totals) - 1, int(0.99 * len(totals)))]
    slow_us = a.slow_us or p99
    slow = [(s, t) for s, t in requests if t >= slow_us]
    print(f"{a.dump}: {len(requests)} requests, p50 {p50:.0f} us, p99 {p99:.0f} us; slow = at least {slow_us:.0f} us: {len(slow)}")
    for spec in a.log:
        name, path = spec.split("=", 1)
        found = pauses(path)
        first, last = requests[0][0], requests[-1][0] + requests[-1][1] / 1000
        within = [p for p in found if p[1] >= first and p[0] <= last]

        def met(request):
            start, total = request
            end = start + total / 1000
            return [p for p in within if p[0] <= end and p[1] >= start]

        slow_met = [r for r in slow if met(r)]
        all_met = [r for r in requests if met(r)]
        lengths = sorted(p[2] for p in within)
        median = lengths[len(lengths) // 2] if lengths else 0
        longest = lengths[-1] if lengths else 0
        print(f"  {name:<14} {len(within):5d} pauses in the run (median {median:.2f} ms, longest {longest:.2f} ms); "
              f"slow requests that met one: {len(slow_met)}/{len(slow)}; all requests that met one: {len(all_met)}/{len(requests)}")


if __name__ == "__main__":
    main()
