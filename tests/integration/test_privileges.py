#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Least privilege of infradhcpd started by hand as root (docs/security.md), read from
the kernel (/proc/PID/status) while it holds a lease from dnsmasq:

  - effective, permitted and bounding sets are exactly CAP_NET_ADMIN, CAP_NET_RAW and
    CAP_NET_BIND_SERVICE; inheritable and ambient are empty; NoNewPrivs is 1;
  - the seccomp filter is loaded (Seccomp: 2, one filter);
  - the lease works under all of that, including a renewal through the UDP socket
    bound to port 68 after the drop (SIGUSR1), and a release on SIGUSR2;
  - with --system-call-filter no, no filter is loaded (Seccomp: 0), capabilities
    are dropped all the same;
  - status (infradhcpctl --json status) reports the effective set when --ctl is given.
"""

import argparse
import json
import os
import signal
import sys
import time

import netns
from netns import check, log

CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW = 10, 12, 13
WANT = (1 << CAP_NET_BIND_SERVICE) | (1 << CAP_NET_ADMIN) | (1 << CAP_NET_RAW)


def status_of(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


class Daemon(netns.InfraDhcpd):
    def __init__(self, *a, extra=(), **kw):
        super().__init__(*a, **kw)
        self.extra = list(extra)

    def argv(self):
        a = super().argv()
        return a[:-1] + self.extra + a[-1:]


def run_one(topo, args, extra, want_seccomp):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    cap = netns.Capture(topo, c, cif).start()
    netns.Dnsmasq(topo, s, sif, subnet, lease=600).start()
    d = Daemon(topo, c, cif, args.daemon, extra=extra)
    d.start()
    addr = d.wait_address(timeout=20, pred=subnet.in_pool)
    d.wait_state("BOUND", 10)
    st = status_of(d.proc.pid)
    log("%s: CapEff %s CapPrm %s CapBnd %s CapInh %s CapAmb %s NoNewPrivs %s Seccomp %s" % (
        " ".join(extra) or "default", st["CapEff"], st["CapPrm"], st["CapBnd"], st["CapInh"], st["CapAmb"],
        st["NoNewPrivs"], st["Seccomp"]))
    for k in ("CapEff", "CapPrm", "CapBnd"):
        check(int(st[k], 16) == WANT, "%s = %s, want exactly NET_ADMIN, NET_RAW, NET_BIND_SERVICE (%x)" % (
            k, st[k], WANT))
    for k in ("CapInh", "CapAmb"):
        check(int(st[k], 16) == 0, "%s = %s, want empty" % (k, st[k]))
    check(st["NoNewPrivs"] == "1", "NoNewPrivs = %s" % st["NoNewPrivs"])
    check(st["Seccomp"] == str(want_seccomp), "Seccomp = %s, want %d" % (st["Seccomp"], want_seccomp))
    if want_seccomp:
        check(st.get("Seccomp_filters") == "1", "Seccomp_filters = %s, want 1" % st.get("Seccomp_filters"))
    # A renewal after the drop: the UDP socket on <addr>:68 needs CAP_NET_BIND_SERVICE.
    t = time.time()
    d.proc.send_signal(signal.SIGUSR1)
    ack = cap.wait(lambda ps: [p for p in ps if p.time > t and p.type == "ACK"], 10, "the renewal ACK")
    req = [p for p in cap.packets() if p.time > t and p.type == "REQUEST"]
    check(req and req[0].src == addr and not req[0].broadcast, "renewal not unicast from %s: %s" % (addr, req))
    if args.ctl:
        out = netns.run(c.argv([args.ctl, "--json", "status", cif, "--runtime-dir", d.runtime_dir]), check=False)
        js = json.loads(out.stdout) if out.returncode == 0 else None
        check(js is not None, "infradhcpctl status failed: %s" % out.stderr)
        caps = js.get("capabilities")
        check(caps == ["cap_net_bind_service", "cap_net_admin", "cap_net_raw"],
              "status capabilities = %s" % caps)
    t = time.time()
    d.proc.send_signal(signal.SIGUSR2)
    cap.wait(lambda ps: [p for p in ps if p.time > t and p.type == "RELEASE"], 10, "the RELEASE")
    netns.wait_for(lambda: not c.ipv4(cif), 5, "the address to go after the release")
    check(d.proc.alive(), "infradhcpd died:\n%s" % d.proc.tail())
    d.proc.stop()
    return addr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--ctl")
    args = ap.parse_args()
    netns.require_root()
    with netns.Topology("pr") as topo:
        try:
            a1 = run_one(topo, args, [], 2)
            a2 = run_one(topo, args, ["--system-call-filter", "no"], 0)
        except netns.CheckFailed as e:
            log("FAIL privileges: %s" % e)
            topo.dump_logs()
            return 1
    log("PASS privileges: NET_ADMIN+NET_RAW+NET_BIND_SERVICE only, no_new_privs, seccomp filter on "
        "(off with --system-call-filter no); leased %s and %s, renewed and released" % (a1, a2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
