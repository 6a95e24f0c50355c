#!/usr/bin/env python3
"""JVM options A/B from a cold start: cold events, steady CPU per event, compiler CPU, resident memory.

    bench/external/jit_ab.py [--rounds 2] [--events 60000] [--phase log|access] NAME='OPTS' ...

Each NAME='OPTS' is run as KONG_JAVA_OPTS of the launcher (an empty OPTS is the launcher's defaults); a
value starting with `aot:` trains an AOT cache first (JDK 25: -XX:AOTCacheOutput on one run of the same
events, ended by SIGTERM) and then measures with -XX:AOTCache. kong-pdk (js) is measured in every round too.
Rounds alternate the variants, so drift on the shared machine hits all of them alike. Per run, from the
server's start: wall us per event over events 1-250, 251-1000 and 1001-5000; CPU us per event over the
first 1,000 events and over the last 20,000 (the steady state); CPU of the compiler threads; VmRSS at the end.
Reuses steady_state.py's client (one connection, sequential events, as Kong's mp_rpc does).
-XX:AOTCacheOutput refuses to start beside any -Xshare option, and the launcher passes -Xshare:auto: for aot:
variants give --dist a copy of the distribution whose bin/kong-java-pluginserver has it removed
(bench/results/2026-12-02-jit-defaults.txt says how).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import steady_state as ss  # noqa: E402

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def compiler_ticks(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            comm = open("/proc/%d/task/%s/comm" % (pid, tid)).read()
            if "CompilerThre" in comm:
                fields = open("/proc/%d/task/%s/stat" % (pid, tid)).read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total


def rss_mb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(kind, plugin, events_of, opts, args, work, record):
    os.environ["KONG_JAVA_OPTS"] = opts
    started = time.time()
    proc, sock, pid = ss.start(kind, work, args.dist)
    try:
        start_cpu = sum(ss.cpu_ticks(pid)) * TICK_US / 1000
        kong = ss.Kong(sock)
        event = events_of(kong, plugin, work, record)
        marks = {}
        walls = []
        c0 = ss.cpu_ticks(pid)
        for i in range(args.events):
            t = time.perf_counter()
            event(i)
            walls.append(time.perf_counter() - t)
            if i + 1 == 1000:
                marks["c1000"] = ss.cpu_ticks(pid)
            if i + 1 == args.events - 20000:
                marks["steady0"] = ss.cpu_ticks(pid)
        c_end = ss.cpu_ticks(pid)

        def us(a, b):
            return sum(walls[a:b]) * 1e6 / (b - a)

        return {
            "start_cpu_ms": start_cpu,
            "w250": us(0, 250), "w1000": us(250, 1000), "w5000": us(1000, 5000),
            "cpu1000": (sum(marks["c1000"]) - sum(c0)) * TICK_US / 1000,
            "steady": (sum(c_end) - sum(marks["steady0"])) * TICK_US / 20000,
            "compiler_ms": compiler_ticks(pid) * TICK_US / 1000 if kind == "java" else 0,
            "rss": rss_mb(pid),
            "total_s": time.time() - started,
        }
    finally:
        os.killpg(proc.pid, 15)
        proc.wait()


def train(plugin, events_of, opts, args, work, record, cache):
    """One run with -XX:AOTCacheOutput; the JVM writes the cache when it exits (SIGTERM runs the exit path)."""
    os.environ["KONG_JAVA_OPTS"] = opts + " -XX:AOTCacheOutput=" + cache
    proc, sock, pid = ss.start("java", work, args.dist)
    try:
        kong = ss.Kong(sock)
        event = events_of(kong, plugin, work, record)
        for i in range(args.train_events):
            event(i)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait()
    if not os.path.exists(cache):
        sys.exit("jit_ab.py: the training run wrote no AOT cache " + cache)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=60000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--phase", choices=["log", "access"], default="log")
    parser.add_argument("--train-events", type=int, default=20000)
    parser.add_argument("--no-js", action="store_true")
    parser.add_argument("--dist", default=os.path.join(ss.ROOT, "distribution/target/kong-java-pdk"))
    parser.add_argument("variants", nargs="+", help="NAME=KONG_JAVA_OPTS (prefix aot: to train and use an AOT cache)")
    args = parser.parse_args()
    if args.events < 25000:
        sys.exit("jit_ab.py: --events must be at least 25000 (the steady state is the last 20,000)")
    record = json.load(open(os.path.join(ss.ROOT, "plugins/file-log/src/main/resources/io/kongjava/plugins/filelog/warm-up-record.json")))
    record.pop("ai", None)
    plugin, js_plugin, events_of = (("java-file-log", "js-file-log", ss.log_events) if args.phase == "log"
                                    else ("java-hello", "js-hello", ss.access_events))
    variants = [v.split("=", 1) for v in args.variants]
    print("# %s phase, %d events from a cold start, %d rounds, load %s" % (args.phase, args.events, args.rounds, os.getloadavg()))
    print("%-10s %-3s %8s %8s %8s %8s %9s %8s %9s %7s %6s" % ("variant", "rnd", "startCPU", "w1-250", "w-1000", "w-5000",
                                                              "CPU1k ms", "steady", "compiler", "RSS MB", "secs"))
    with tempfile.TemporaryDirectory(prefix="kjp-jit-") as work:
        for r in range(args.rounds):
            runs = [(name, opts) for name, opts in variants] + ([] if args.no_js else [("kong-pdk", None)])
            for name, opts in runs:
                if opts is None:
                    res = run("js", js_plugin, events_of, "", args, work, record)
                else:
                    if opts.startswith("aot:"):
                        opts = opts[4:]
                        cache = os.path.join(work, "%s-%d.aot" % (name, r))
                        train(plugin, events_of, opts, args, work, record, cache)
                        opts = opts + " -XX:AOTCache=" + cache
                    res = run("java", plugin, events_of, opts, args, work, record)
                print("%-10s %-3d %8.0f %8.0f %8.0f %8.0f %9.0f %8.1f %9.0f %7.1f %6.1f" % (
                    name, r + 1, res["start_cpu_ms"], res["w250"], res["w1000"], res["w5000"], res["cpu1000"],
                    res["steady"], res["compiler_ms"], res["rss"], res["total_s"]), flush=True)


if __name__ == "__main__":
    main()
