#!/usr/bin/env python3
"""Latency from outside the JVMs: sequential requests on one keep-alive connection (http.client).

usage: client.py URL [--requests N] [--warmup N] [--stream] [--key KEY] [--label L] [--dump FILE] [--body-file F]

POSTs the how-to's Messages API request (non-streamed, or streamed with --stream) N times after W
warm-up requests and prints: label, p50, p90, p99 of the whole exchange and p50/p99 of the time to
the first body byte, in microseconds. Every answer must be 200; the script exits 1 otherwise.
--dump writes one line per measured request, "start_epoch_ms total_us ttfb_us", to line slow requests
up with the JVMs' GC logs (-Xlog:gc:file=...::timemillis). --body-file sends that body instead (a Claude Code-shaped
one from claude_code_body.py; its "stream" member is set to match --stream).
"""
import argparse
import http.client
import statistics
import sys
import time
import urllib.parse

MODEL = "claude-sonnet-4-5-20250929"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--key", default="sk-ant-bench-key")
    ap.add_argument("--label", default="")
    ap.add_argument("--dump")
    ap.add_argument("--body-file")
    a = ap.parse_args()
    url = urllib.parse.urlsplit(a.url)
    body = ('{"model":"%s","max_tokens":256,"stream":%s,"messages":[{"role":"user","content":"Say hi in five words."}]}'
            % (MODEL, "true" if a.stream else "false")).encode()
    if a.body_file:
        with open(a.body_file, "rb") as f:
            body = f.read().replace(b'"stream":false', b'"stream":true') if a.stream else f.read()
    headers = {"content-type": "application/json", "x-api-key": a.key, "anthropic-version": "2023-06-01"}
    conn = http.client.HTTPConnection(url.hostname, url.port)
    total, first, starts = [], [], []
    for i in range(a.warmup + a.requests):
        wall = time.time_ns()
        start = time.perf_counter_ns()
        conn.request("POST", url.path, body=body, headers=headers)
        response = conn.getresponse()
        byte = response.read(1)
        ttfb = time.perf_counter_ns() - start
        rest = response.read()
        end = time.perf_counter_ns() - start
        if response.status != 200 or not byte:
            print(f"{a.url} answered {response.status}: {(byte + rest)[:300]!r}", file=sys.stderr)
            sys.exit(1)
        if i >= a.warmup:
            total.append(end / 1000)
            first.append(ttfb / 1000)
            starts.append(wall / 1e6)
    if a.dump:
        with open(a.dump, "w") as out:
            out.writelines(f"{s:.3f} {t:.0f} {f:.0f}\n" for s, t, f in zip(starts, total, first))
    print(f"{a.label:<24} p50 {pct(total, .5):7.0f}  p90 {pct(total, .9):7.0f}  p99 {pct(total, .99):7.0f}"
          f"  ttfb p50 {pct(first, .5):7.0f}  ttfb p99 {pct(first, .99):7.0f}  us  (n={len(total)})")


if __name__ == "__main__":
    main()
