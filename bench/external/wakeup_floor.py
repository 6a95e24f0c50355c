#!/usr/bin/env python3
"""The floor under steady_state.py's CPU per event: what a server that does nothing but echo spends per message.

    bench/external/wakeup_floor.py [--messages 40000] [--size 64]

Compiles wakeup_floor.c (cc), then sends it one message at a time over a Unix socket and waits for the echo,
as Kong's mp_rpc waits for each answer, and reads the echo server's user and system time from /proc. Any
server that sleeps between Kong's calls pays this per message (a wake-up, a read, a write, going back to
sleep); steady_state.py's log event is 2 messages, its access event 4 (bench/README.md, "Under Kong's own client").
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=40000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--think-us", type=int, nargs="*", default=[0, 20, 40],
                        help="the client's own work between an answer and its next call (steady_state.py's client"
                             " spends 20-40 us, Kong's Lua more): the longer, the deeper the server sleeps")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kjp-floor-") as work:
        binary = os.path.join(work, "wakeup_floor")
        subprocess.run(["cc", "-O2", "-o", binary, os.path.join(HERE, "wakeup_floor.c")], check=True)
        tick = os.sysconf("SC_CLK_TCK")
        print("# one connection, %d messages of %d bytes one after another; %d cores" % (args.messages, args.size, os.cpu_count()))
        print("%-5s %8s %16s %9s %9s %16s" % ("round", "think us", "CPU us/message", "user", "system", "wall us/message"))
        for r, think in [(r, t) for r in range(args.rounds) for t in args.think_us]:
            path = os.path.join(work, "floor%d-%d.sock" % (r, think))
            server = subprocess.Popen([binary, path])
            for _ in range(200):
                if os.path.exists(path):
                    break
                time.sleep(0.01)
            else:
                sys.exit("wakeup_floor.py: the echo server did not start")
            client = socket.socket(socket.AF_UNIX)
            client.connect(path)
            message = b"x" * args.size
            for _ in range(1000):
                client.sendall(message)
                client.recv(65536)
            stat = lambda: [int(v) for v in open("/proc/%d/stat" % server.pid).read().rsplit(")", 1)[1].split()[11:13]]
            c0, t0 = stat(), time.time()
            for _ in range(args.messages):
                busy_until = time.perf_counter() + think / 1e6
                while time.perf_counter() < busy_until:
                    pass
                client.sendall(message)
                got = 0
                while got < args.size:
                    got += len(client.recv(65536))
            c1, t1 = stat(), time.time()
            client.close()
            server.wait()
            user, system = [(b - a) * 1e6 / tick / args.messages for a, b in zip(c0, c1)]
            print("%-5d %8d %16.1f %9.1f %9.1f %16.1f" % (r + 1, think, user + system, user, system, (t1 - t0) * 1e6 / args.messages), flush=True)


if __name__ == "__main__":
    main()
