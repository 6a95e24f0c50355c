#!/usr/bin/env python3
"""Where an access-phase plugin's added latency goes under Kong's own client (issue #16: "an access-phase plugin
adds at most half of what kong-pdk's js-hello adds").

For java-hello (our server) and js-hello (kong-pdk), in turn and ROUNDS times: the harness gateway (Kong's
plugin-server Lua under nginx, one worker) with the plugin, sequential requests after a warm-up, then the same
nginx's baseline port (no plugin). It prints per request: the added wall p50 (plugin minus baseline), the CPU the
nginx worker spent beyond the baseline (Kong's Lua: the plugin iterator, its RPC client, the PDK functions the
plugin calls), the server's CPU, and Kong's mp_rpc timings of HandleEvent and Step. Kong's extra CPU is paid on
the request's path whatever the server, so "added" can be no lower than it.

    bench/external/access_split.py [--rounds 2] [--requests 2000] [--warmup 1000] [--kong 3.10-dev]
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")


def harness_dir():
    for candidate in (os.environ.get("KONG_HARNESS"), ROOT.parent / "shared" / "kong-harness", "/work/shared/kong-harness"):
        if candidate and (pathlib.Path(candidate) / "gateway.sh").exists():
            return pathlib.Path(candidate)
    return None


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu(pid):
    """CPU of a process and its children (nginx master + worker; the JS server's node)."""
    total = cpu_seconds(pid)
    for child in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += tree_cpu(int(child))
        except FileNotFoundError:
            pass
    return total


def load(harness, url, n):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, str(harness / "load.py"), "--url", url, "--sequential", str(n), "--json", out.name],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stage = json.load(open(out.name))[0]
    if stage["failures"]:
        raise SystemExit(f"{url}: {stage['failures']} failures: {stage['first_errors']}")
    return stage


def run(harness, kong, which, requests, warmup, port):
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"kjp-split-{which}."))
    (work / "cfg.json").write_text('{"message":"bench"}')
    if which == "java":
        server = ROOT / "distribution/target/kong-java-pdk/bin/kong-java-pluginserver"
        sock = work / "java.sock"
        start = [str(server), "-kong-prefix", str(work), "--socket", str(sock)]
        plugin, query = "java-hello", f"{server} --dump-plugin-info java-hello"
    else:
        ps = ROOT / "testing/js-pluginserver/node_modules/.bin/kong-js-pluginserver"
        plugins = ROOT / "testing/js-pluginserver/hello"
        sock = work / "js_pluginserver.sock"
        start = [str(ps), "--plugins-directory", str(plugins), "--kong-prefix", str(work)]
        plugin, query = "js-hello", f"{ps} --plugins-directory {plugins} --dump-all-plugins"
    # the Java server ends with its parent: keep a parent alive for it, as the harness README does
    proc = subprocess.Popen([sys.executable, "-c", "import subprocess,sys; subprocess.run(sys.argv[1:])", *start],
                            stdout=open(work / "server.out", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    env = dict(os.environ, KONG_SRC=str(harness / "kong-src" / kong))
    try:
        for _ in range(300):
            if sock.exists():
                break
            time.sleep(0.05)
        subprocess.run([str(harness / "gateway.sh"), "start", "--run-dir", str(work / "gw"), "--port", str(port),
                        "--socket", str(sock), "--plugin", plugin, "--config", str(work / "cfg.json"), "--query-cmd", query],
                       check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        master = int((work / "gw" / "nginx.pid").read_text())
        server_pid = int(subprocess.check_output(["pgrep", "-n", "-f", f"io.kongjava.server.Main.*{sock}" if which == "java"
                                                  else f"node.*kong-js-pluginserver.*{work}"]).split()[0])
        plugin_url, baseline_url = f"http://127.0.0.1:{port}/x", f"http://127.0.0.1:{port + 3}/x"
        load(harness, plugin_url, warmup)
        load(harness, baseline_url, 500)
        figures = {}
        for name, url in (("plugin", plugin_url), ("baseline", baseline_url)):
            nginx0, server0 = tree_cpu(master), cpu_seconds(server_pid)
            stage = load(harness, url, requests)
            figures[name] = dict(p50=stage["p50_ms"], p99=stage["p99_ms"],
                                 nginx_us=(tree_cpu(master) - nginx0) / requests * 1e6,
                                 server_us=(cpu_seconds(server_pid) - server0) / requests * 1e6)
        status = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/status", timeout=5))
        return figures, rpc_timings(status)
    finally:
        subprocess.run([str(harness / "gateway.sh"), "stop", "--run-dir", str(work / "gw")], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def rpc_timings(status):
    """HandleEvent and Step p50 in ms, wherever the harness's /status keeps them."""
    found = {}

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, (int, float)) and re.search(r"(HandleEvent|Step)\b.*p50", path):
            found.setdefault("HandleEvent" if "HandleEvent" in path else "Step", node)

    walk(status, "")
    return found


def main():
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--rounds", type=int, default=2)
    args.add_argument("--requests", type=int, default=2000)
    args.add_argument("--warmup", type=int, default=1000, help="sequential requests before measuring")
    args.add_argument("--kong", default="3.10-dev")
    args.add_argument("--port", type=int, default=0, help="PORT..PORT+3 (default: random)")
    opts = args.parse_args()
    harness = harness_dir()
    if harness is None or shutil.which("nginx") is None and not pathlib.Path("/usr/sbin/nginx").exists():
        print("# skipped: kong-harness (../shared/kong-harness or KONG_HARNESS) or nginx is absent")
        return
    import random
    print(f"# access-phase split, Kong {opts.kong}, {opts.requests} sequential requests after {opts.warmup} warm-up, "
          f"KONG_JAVA_OPTS='{os.environ.get('KONG_JAVA_OPTS', '')}', "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'server':6} {'rnd':>3} {'added p50 ms':>12} {'p99 ms':>7} {'Kong CPU +us/req':>16} {'server CPU us/req':>17} "
          f"{'HandleEvent p50':>15} {'Step p50':>8}")
    for rnd in range(1, opts.rounds + 1):
        for which in ("java", "js"):
            port = opts.port or random.randrange(20000, 40000, 10)
            f, rpc = run(harness, opts.kong, which, opts.requests, opts.warmup, port)
            added = f["plugin"]["p50"] - f["baseline"]["p50"]
            kong = f["plugin"]["nginx_us"] - f["baseline"]["nginx_us"]
            print(f"{which:6} {rnd:>3} {added:>12.3f} {f['plugin']['p99']:>7.2f} {kong:>16.0f} {f['plugin']['server_us']:>17.0f} "
                  f"{rpc.get('HandleEvent', float('nan')):>15.3f} {rpc.get('Step', float('nan')):>8.3f}", flush=True)


if __name__ == "__main__":
    main()
