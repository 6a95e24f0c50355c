#!/usr/bin/env python3
"""Added latency with the machine's noise shared: direct and gateway requests interleaved, one after the other.

usage: paired.py DIRECT_URL GATEWAY_URL [--pairs N] [--warmup N] [--stream] [--key KEY] [--label L]

client.py measures one URL at a time, so on a shared VM the direct path's p99 and the gateway's come from
different minutes, and their difference is mostly the host's mood (a direct p99 moved from 0.3 to 5.9 ms
between rounds here). This sends the same request to DIRECT_URL and to GATEWAY_URL alternately, each on its own
keep-alive connection, so both see the same moments. It prints each side's p50/p90/p99/p99.9 (of the whole
exchange, or of the first body byte with --stream), the differences of those percentiles, and the percentiles
of the per-pair difference (gateway minus the direct request just before it), in microseconds. Every answer must
be 200; the script exits 1 otherwise.
"""
import argparse
import http.client
import sys
import time
import urllib.parse

MODEL = "claude-sonnet-4-5-20250929"
PERCENTILES = (.5, .9, .99, .999)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


class Side:
    def __init__(self, url, body, headers, stream):
        self.url = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port)
        self.body, self.headers, self.stream = body, headers, stream

    def once(self):
        """Microseconds to the whole answer, or to its first body byte when streamed."""
        start = time.perf_counter_ns()
        self.conn.request("POST", self.url.path, body=self.body, headers=self.headers)
        response = self.conn.getresponse()
        byte = response.read(1)
        first = time.perf_counter_ns() - start
        rest = response.read()
        whole = time.perf_counter_ns() - start
        if response.status != 200 or not byte:
            print(f"{self.url.geturl()} answered {response.status}: {(byte + rest)[:300]!r}", file=sys.stderr)
            sys.exit(1)
        return (first if self.stream else whole) / 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("direct")
    ap.add_argument("gateway")
    ap.add_argument("--pairs", type=int, default=5000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--key", default="sk-ant-bench-key")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    body = ('{"model":"%s","max_tokens":256,"stream":%s,"messages":[{"role":"user","content":"Say hi in five words."}]}'
            % (MODEL, "true" if a.stream else "false")).encode()
    headers = {"content-type": "application/json", "x-api-key": a.key, "anthropic-version": "2023-06-01"}
    direct = Side(a.direct, body, headers, a.stream)
    gateway = Side(a.gateway, body, headers, a.stream)
    d, g = [], []
    for i in range(a.warmup + a.pairs):
        dt, gt = direct.once(), gateway.once()
        if i >= a.warmup:
            d.append(dt)
            g.append(gt)
    diff = [y - x for x, y in zip(d, g)]
    what = "first byte" if a.stream else "whole answer"
    row = lambda name, values: f"  {name:<22}" + "".join(f"  p{p * 100:g} {pct(values, p):7.0f}" for p in PERCENTILES)
    print(f"{a.label} ({what}, {a.pairs} pairs, us)")
    print(row("direct", d))
    print(row("gateway", g))
    print(f"  {'added (percentiles)':<22}" + "".join(f"  p{p * 100:g} {pct(g, p) - pct(d, p):7.0f}" for p in PERCENTILES))
    print(row("added (per pair)", diff))


if __name__ == "__main__":
    main()
