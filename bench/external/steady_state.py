#!/usr/bin/env python3
"""Server CPU per event in a steady state, measured from outside the JVM (bench/README.md, "Under Kong's client").

    bench/external/steady_state.py [--events 20000] [--warmup 5000] [--rounds 2] [--dist DIR]
                                   [--phase log|access] [--baseline-dist DIR]

Speaks MsgPack:1 to each plugin server over one Unix-socket connection, one call after another, as Kong's
mp_rpc does for one request: StartInstance, then per event HandleEvent and a Step answering each PDK call.
After the warm-up it reads the server process's user and system time from /proc before and after the events;
system time is the kernel's share (socket reads and writes, and the sleep and wake-up between Kong's calls).
Two pairs, each with the same logic in both servers:
  log phase:    java-file-log / js-file-log (bench/js-file-log): kong.log.serialize answered with a 2.4 KB
                record, one JSON line appended to a file
  access phase: java-hello / js-hello (testing/js-pluginserver/hello): get_header answered, set_header twice
A third server in each pair is the floor (null_server.c, compiled with cc when there is one; --no-floor leaves
it out): a C server making the same PDK calls and doing nothing else (null-log appends the record it gets as a line), so its CPU per event is what waking up,
reading and writing for each of Kong's calls costs on this machine, the least any plugin server can spend.
Rounds alternate the servers. Kong's own Lua is not in the loop (bench/run.sh harness has it); this is the
server alone, without nginx or load-driver noise on the shared cores. Needs testing/js-pluginserver's npm
packages (./test.sh installs them) and a built distribution. The Java server inherits KONG_JAVA_OPTS: C2's
steady state is `KONG_JAVA_OPTS=-XX:TieredStopAtLevel=4 steady_state.py --warmup 40000` (bench/README.md).
--baseline-dist runs a second Java distribution (another build) in each round, before the first: an A/B of
a change, alternating on the same host, beside kong-pdk's figures.
"""
import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def pack(o):
    if o is None:
        return b"\xc0"
    if o is True or o is False:
        return b"\xc3" if o else b"\xc2"
    if isinstance(o, int):
        return bytes([o]) if 0 <= o < 128 else b"\xd3" + struct.pack(">q", o)
    if isinstance(o, str):
        b = o.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        if len(b) < 65536:
            return b"\xda" + struct.pack(">H", len(b)) + b
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(o, list):
        return (bytes([0x90 | len(o)]) if len(o) < 16 else b"\xdc" + struct.pack(">H", len(o))) + b"".join(map(pack, o))
    if isinstance(o, dict):
        head = bytes([0x80 | len(o)]) if len(o) < 16 else b"\xde" + struct.pack(">H", len(o))
        return head + b"".join(pack(k) + pack(v) for k, v in o.items())
    raise TypeError(type(o))


def unpack(b, i=0):
    t = b[i]
    if t < 0x80:
        return t, i + 1
    if t >= 0xE0:
        return t - 256, i + 1
    if t <= 0x8F or t == 0xDE:
        n, i = (t & 15, i + 1) if t <= 0x8F else (struct.unpack(">H", b[i + 1:i + 3])[0], i + 3)
        out = {}
        for _ in range(n):
            k, i = unpack(b, i)
            out[k], i = unpack(b, i)
        return out, i
    if t <= 0x9F or t == 0xDC:
        n, i = (t & 15, i + 1) if t <= 0x9F else (struct.unpack(">H", b[i + 1:i + 3])[0], i + 3)
        out = []
        for _ in range(n):
            v, i = unpack(b, i)
            out.append(v)
        return out, i
    if t <= 0xBF:
        n = t & 31
        return b[i + 1:i + 1 + n].decode(), i + 1 + n
    fixed = {0xC0: (None, 1), 0xC2: (False, 1), 0xC3: (True, 1)}
    if t in fixed:
        return fixed[t][0], i + fixed[t][1]
    ints = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q", 0xCB: ">d"}
    if t in ints:
        size = struct.calcsize(ints[t])
        return struct.unpack(ints[t], b[i + 1:i + 1 + size])[0], i + 1 + size
    if t in (0xD9, 0xDA, 0xDB):
        width = {0xD9: 1, 0xDA: 2, 0xDB: 4}[t]
        n = int.from_bytes(b[i + 1:i + 1 + width], "big")
        return b[i + 1 + width:i + 1 + width + n].decode(), i + 1 + width + n
    raise ValueError("unsupported MessagePack type 0x%02x" % t)


class Kong:
    """One pooled connection of Kong's: a call, then its answer (skipping serverPid notifications)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.buf = b""
        self.msgid = 0

    def call(self, method, arg):
        self.msgid += 1
        self.sock.sendall(pack([0, self.msgid, method, [arg]]))
        while True:
            try:
                message, used = unpack(self.buf)
            except (IndexError, struct.error):
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("the server closed the connection")
                self.buf += chunk
                continue
            self.buf = self.buf[used:]
            if message[0] == 1:
                if message[2] is not None:
                    raise RuntimeError(message[2])
                return message[3]


def cpu_ticks(pid):
    """(user, system) clock ticks of the process so far."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def server_pid(marker):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmd and ("java" in cmd or "node" in cmd) and "steady_state.py" not in cmd:
            return int(pid)
    raise RuntimeError("no server process for " + marker)


def start(kind, work, dist):
    prefix = tempfile.mkdtemp(dir=work)
    if kind == "null":
        sock = os.path.join(prefix, "null.sock")
        proc = subprocess.Popen([os.path.join(work, "null_server"), sock, os.path.join(prefix, "null-log.log")],
                                start_new_session=True)
        for _ in range(300):
            if os.path.exists(sock):
                break
            time.sleep(0.01)
        return proc, sock, proc.pid
    if kind.startswith("java"):
        sock = os.path.join(prefix, "java.sock")
        cmd = [os.path.join(dist, "bin/kong-java-pluginserver"), "-kong-prefix", prefix, "--socket", sock]
    else:
        sock = os.path.join(prefix, "js_pluginserver.sock")
        plugins = os.path.join(prefix, "plugins")
        os.mkdir(plugins)
        for src in ("bench/js-file-log/js-file-log.js", "testing/js-pluginserver/hello/js-hello.js"):
            os.symlink(os.path.join(ROOT, src), os.path.join(plugins, os.path.basename(src)))
        cmd = [os.path.join(ROOT, "testing/js-pluginserver/node_modules/.bin/kong-js-pluginserver"),
               "--plugins-directory", plugins, "--kong-prefix", prefix]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(1.0)  # the server's own start-up work (our warm-up) is not the events' cost
    return proc, sock, server_pid(prefix)


def log_events(kong, plugin, work, record):
    path = os.path.join(work, plugin + ".log")
    instance = kong.call("plugin.StartInstance", {"Name": plugin, "Config": json.dumps({"path": path})})["Id"]

    def event(i):
        record["request"]["id"] = "req-%d" % i
        answer = kong.call("plugin.HandleEvent", {"InstanceId": instance, "EventName": "log"})
        while answer["Data"] != "ret":
            assert answer["Data"]["Method"] == "kong.log.serialize", answer
            answer = kong.call("plugin.Step", {"EventId": answer["EventId"], "Data": json.dumps(record)})
    return event


def access_events(kong, plugin, work, record):
    instance = kong.call("plugin.StartInstance", {"Name": plugin, "Config": json.dumps({"message": "bench"})})["Id"]

    def event(i):
        answer = kong.call("plugin.HandleEvent", {"InstanceId": instance, "EventName": "access"})
        while answer["Data"] != "ret":
            method = answer["Data"]["Method"]
            answer = kong.call("plugin.Step", {"EventId": answer["EventId"],
                                               "Data": "example.test" if method == "kong.request.get_header" else None})
    return event


def measure(kind, plugin, events_of, args, work, record, dist):
    proc, sock, pid = start(kind, work, dist)
    try:
        kong = Kong(sock)
        event = events_of(kong, plugin, work, record)
        for i in range(args.warmup):
            event(i)
        c0, t0 = cpu_ticks(pid), time.time()
        for i in range(args.events):
            event(args.warmup + i)
        c1, t1 = cpu_ticks(pid), time.time()
        per_event = 1e6 / os.sysconf("SC_CLK_TCK") / args.events
        user, system = (c1[0] - c0[0]) * per_event, (c1[1] - c0[1]) * per_event
        return user + system, user, system, (t1 - t0) * 1e6 / args.events
    finally:
        os.killpg(proc.pid, 15)
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dist", default=os.path.join(ROOT, "distribution/target/kong-java-pdk"))
    parser.add_argument("--phase", choices=["log", "access"], help="only this phase's pair")
    parser.add_argument("--baseline-dist", help="another Java distribution, run first in each round")
    parser.add_argument("--no-floor", action="store_true", help="leave out null_server.c's rows")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(ROOT, "testing/js-pluginserver/node_modules/.bin/kong-js-pluginserver")):
        sys.exit("steady_state.py: Kong's JS plugin server is not installed (./test.sh, or npm ci in testing/js-pluginserver)")
    record = json.load(open(os.path.join(ROOT, "plugins/file-log/src/main/resources/io/kongjava/plugins/filelog/warm-up-record.json")))
    record.pop("ai", None)
    pairs = [("log", [("java", "java-file-log"), ("js", "js-file-log")], log_events),
             ("access", [("java", "java-hello"), ("js", "js-hello")], access_events)]
    if args.phase:
        pairs = [pair for pair in pairs if pair[0] == args.phase]
    floor = not args.no_floor and shutil.which("cc") is not None
    if floor:
        pairs = [(phase, servers + [("null", "null-" + ("log" if phase == "log" else "hello"))], events_of)
                 for phase, servers, events_of in pairs]
    if args.baseline_dist:
        pairs = [(phase, [("java-baseline", servers[0][1])] + servers, events_of) for phase, servers, events_of in pairs]
    print("# one connection, sequential events, %d measured after %d warm-up, %d rounds; %d cores; server CPU = user+system of its process"
          % (args.events, args.warmup, args.rounds, os.cpu_count()))
    print("%-7s %-25s %-5s %14s %9s %9s %14s" % ("phase", "plugin", "round", "CPU us/event", "user", "system", "wall us/event"))
    with tempfile.TemporaryDirectory(prefix="kjp-steady-") as work:
        if floor:
            subprocess.run(["cc", "-O2", "-o", os.path.join(work, "null_server"),
                            os.path.join(ROOT, "bench/external/null_server.c")], check=True)
        for phase, servers, events_of in pairs:
            for r in range(args.rounds):
                for kind, plugin in servers:
                    dist = args.baseline_dist if kind == "java-baseline" else args.dist
                    cpu, user, system, wall = measure(kind, plugin, events_of, args, work, record, dist)
                    label = plugin + (" (baseline)" if kind == "java-baseline" else "")
                    if kind == "null":
                        label += " (floor)"
                    print("%-7s %-25s %-5d %14.1f %9.1f %9.1f %14.1f" % (phase, label, r + 1, cpu, user, system, wall), flush=True)


if __name__ == "__main__":
    main()
