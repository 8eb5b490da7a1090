#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The API connection going silently dead: packets dropped, no FIN, no RST (a firewall
losing its state, a node's uplink gone). Two network namespaces joined by a veth: the
stand-in (and, for HTTP/2, haproxy in front of it) in the server namespace, the kube
client (infradhcp-kube-test) in the client namespace. Once the watch is established,
an nft rule in the client namespace drops every packet of the connections that exist
at that moment, both ways; new connections pass. Then the node is annotated and, for
HTTP/2 (one multiplexed connection), the client patches the node itself.

Asserts, for HTTP/1.1 and HTTP/2: the client notices the dead connection (its next
request reaches the server) within 45 s of the black hole, and the annotation made
after it is delivered; over HTTP/2 the patch sent into the dead connection completes
too. Prints the detection times (the figure docs/kube.md reports). Needs root (network
namespaces, nft); exits 77 (skipped) without.

    sudo /usr/bin/python3 tests/kube/test_deadconn.py build/src/kube/infradhcp-kube-test
"""
import os
import signal
import subprocess
import sys
import time

import kubetest
from kubetest import Env, has_annotation

DETECT_MAX = 45.0
SUBNET = "10.213.%d" % (os.getpid() % 200)
SERVER_IP, CLIENT_IP = SUBNET + ".1", SUBNET + ".2"


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Namespaces:
    def __init__(self):
        tag = "%d" % os.getpid()
        self.server, self.client = "kdead-s-" + tag, "kdead-c-" + tag

    def __enter__(self):
        try:
            sh("ip", "netns", "add", self.server)
            sh("ip", "netns", "add", self.client)
            # The veth is created inside the namespaces: it never appears on the host.
            sh("ip", "-n", self.server, "link", "add", "kd-s", "type", "veth", "peer", "name", "kd-c", "netns",
               self.client)
            for ns, dev, ip in ((self.server, "kd-s", SERVER_IP), (self.client, "kd-c", CLIENT_IP)):
                sh("ip", "-n", ns, "addr", "add", ip + "/30", "dev", dev)
                sh("ip", "-n", ns, "link", "set", dev, "up")
                sh("ip", "-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for ns in (self.client, self.server):
            # Processes left in a namespace would keep it alive: none of ours are.
            sh("ip", "netns", "del", ns, check=False)
        return False


def established_ports(client_ns, port):
    out = sh("ip", "netns", "exec", client_ns, "ss", "-Htn", "state", "established", "dst",
             "%s:%d" % (SERVER_IP, port)).stdout
    ports = []
    for line in out.splitlines():
        # Recv-Q Send-Q Local:Port Peer:Port
        local = line.split()[2]
        ports.append(int(local.rsplit(":", 1)[1]))
    return ports


def black_hole(client_ns, port, local_ports):
    """Drops both directions of these connections inside the client namespace."""
    ports = ", ".join(str(p) for p in local_ports)
    rules = """table inet kdead {
    chain in { type filter hook input priority 0; tcp sport %d tcp dport { %s } drop; }
    chain out { type filter hook output priority 0; tcp dport %d tcp sport { %s } drop; }
}
""" % (port, ports, port, ports)
    subprocess.run(["ip", "netns", "exec", client_ns, "nft", "-f", "-"], input=rules, text=True, check=True)


def scenario(ns, tool_path, proto):
    """Runs inside the server namespace."""
    with Env(proxy="h2" if proto == "h2" else "", address=SERVER_IP) as env:
        port = env.proxy.port if env.proxy else env.api.port
        t = env.tool(prefix=("ip", "netns", "exec", ns.client))
        t.wait_for(lambda o: o.get("type") == "SYNC", timeout=20, what="initial SYNC")
        env.api.admin("/annotate", {"name": env.node, "annotations": {"phase": "before"}})
        t.wait_for(has_annotation("phase", "before"), timeout=20, what="the watch delivering")
        time.sleep(1.0)  # the watch is established and idle
        ports = established_ports(ns.client, port)
        assert ports, "no established connection to the server"
        n_before = len(env.api.requests())
        black_hole(ns.client, port, ports)
        t0 = time.monotonic()
        env.api.admin("/annotate", {"name": env.node, "annotations": {"phase": "after"}})
        if proto == "h2":
            # A request of the client's own, multiplexed into the dead connection.
            t.send("annotate p1 patched=yes")
        got = t.wait_for(has_annotation("phase", "after"), timeout=120, what="the annotation after the black hole")
        t_delivered = time.monotonic() - t0
        later = [r for r in env.api.requests()[n_before:] if r["time"] >= t0 and
                 r.get("user_agent", "").startswith("infradhcp/")]
        assert later, "no request from the client after the black hole"
        t_detect = later[0]["time"] - t0
        result = None
        if proto == "h2":
            result = t.seen_or_wait(lambda o: o.get("kind") == "result" and o.get("id") == "p1", timeout=120,
                                    what="the patch sent into the dead connection")
            t_patch = time.monotonic() - t0
            assert result["result"] == 0 and result["status"] == 200, result
        print("dead connection (%s): next request after %.1f s, annotation delivered after %.1f s%s" % (
            proto, t_detect, t_delivered, ", patch completed after %.1f s" % t_patch if result else ""), flush=True)
        assert got["type"] == "MODIFIED"
        assert t_detect <= DETECT_MAX, "dead connection noticed only after %.1f s (limit %.0f s)" % (
            t_detect, DETECT_MAX)
        log = env.tool_log()
        assert "kube:" in log


def inner(argv):
    global SUBNET, SERVER_IP, CLIENT_IP
    ns = Namespaces.__new__(Namespaces)
    ns.server, ns.client = argv[0], argv[1]
    # The outer process chose the subnet from its pid.
    SUBNET = "10.213.%d" % (int(ns.server.rsplit("-", 1)[1]) % 200)
    SERVER_IP, CLIENT_IP = SUBNET + ".1", SUBNET + ".2"
    proto = argv[2]
    os.environ["KUBE_TEST_TOOL"] = argv[3]
    scenario(ns, argv[3], proto)


def on_term(signum, frame):
    # meson's timeout sends SIGTERM: unwind, so namespaces and processes are cleaned up.
    raise SystemExit("terminated by signal %d" % signum)


def main():
    signal.signal(signal.SIGTERM, on_term)
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        try:
            inner(sys.argv[2:])
        except Exception:
            import traceback
            traceback.print_exc()
            sys.exit(1)
        return
    tool = kubetest.tool_path()
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces, nft)")
        sys.exit(77)
    for prog in ("nft", "haproxy"):
        if subprocess.run(["sh", "-c", "command -v %s || test -x /usr/sbin/%s" % (prog, prog)],
                          stdout=subprocess.DEVNULL).returncode != 0:
            sys.exit("%s missing (scripts/install-deps installs it)" % prog)
    failed = 0
    for proto in ("http/1.1", "h2"):
        start = time.monotonic()
        with Namespaces() as ns:
            # The test itself moves into the server namespace (the stand-in, haproxy and
            # their admin ports live on its loopback); the tool runs in the client's.
            inner_proc = subprocess.Popen(["ip", "netns", "exec", ns.server, sys.executable,
                                           os.path.abspath(__file__), "--inner", ns.server, ns.client, proto, tool])
            try:
                rc = inner_proc.wait()
            finally:
                if inner_proc.poll() is None:
                    inner_proc.terminate()
                    inner_proc.wait()
        name = "test_dead_connection_" + ("h2" if proto == "h2" else "http1")
        if rc:
            failed += 1
            print("FAIL %s (%.1fs)" % (name, time.monotonic() - start), flush=True)
        else:
            print("ok   %s (%.1fs)" % (name, time.monotonic() - start), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
