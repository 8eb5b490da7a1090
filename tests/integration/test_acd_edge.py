#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The ACD edge against real kernels: dhcp4-acd + dhcp4-arp (via arp-probe-tool) on a
veth between two namespaces created for this run.

Proves:
  1. probing an address the peer holds → CONFLICT with the peer's MAC (the peer's
     kernel answers the RFC 5227 probe; the BPF filter lets that reply through);
  2. probing a free address → FREE, with the datacenter profile in <= 250 ms;
  3. the announcement after FREE replaces a stale entry in the peer's ARP cache (the
     post-migration refresh issue 3 relies on);
  4. defence: once the peer starts using the address (its kernel ARPs from it), one
     DEFEND, then LOST at the second conflict within DEFEND_INTERVAL.
Not here: the daemon (DECLINE, quarantine: test_acd_*.py with servers), the state
machine's corner cases (tests/unit/test-dhcp4-acd.c).
"""

import argparse
import re
import sys
import time

import netns
from netns import check, log

PEER_ADDR = "10.77.0.5"
FREE_ADDR = "10.77.0.6"
DEFEND_ADDR = "10.77.0.7"
STALE_MAC = "02:de:ad:be:ef:01"


def probe(ns, tool, ifname, addr, profile="datacenter"):
    t0 = time.monotonic()
    p = ns.run([tool, "--profile", profile, ifname, addr], check=False, timeout=20)
    wall = (time.monotonic() - t0) * 1000
    if p.returncode != 0:
        raise netns.CheckFailed("arp-probe-tool %s failed (%d): %s" % (addr, p.returncode, p.stderr))
    out = p.stdout.strip()
    log("probe %s: %s (tool %.0f ms wall)" % (addr, out, wall))
    return out.split()


def udp_argv(src, dst):
    """A process that sends one UDP datagram from src to the absent dst and lingers:
    the kernel then broadcasts ARP requests for dst with sender IP src, 1 s apart."""
    return ["/usr/bin/python3", "-c", (
        "import socket, time\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.bind((%r, 0))\n"
        "s.sendto(b'x', (%r, 9))\n"
        "time.sleep(5)\n") % (src, dst)]


def neigh_lladdr(ns, ifname, addr):
    j = ns.ip_json("neigh", "show", "dev", ifname, "to", addr)
    return j[0].get("lladdr") if j else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tool", required=True, help="path to arp-probe-tool")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()

    with netns.Topology("acd", keep_tmp=args.keep_tmp) as topo:
        a = topo.netns("a")
        p = topo.netns("p")
        aif = topo.unique("a")
        pif = topo.unique("p")
        topo.veth(a, aif, p, pif)
        p.add_address(pif, PEER_ADDR + "/24")
        a_mac = a.mac(aif)
        p_mac = p.mac(pif)
        log("tool side %s (%s), peer %s (%s) holding %s" % (aif, a_mac, pif, p_mac, PEER_ADDR))

        # 1. The peer's kernel answers our probe: conflict, with its MAC.
        out = probe(a, args.tool, aif, PEER_ADDR)
        check(out[0] == "CONFLICT", "probe of the held %s gave %s" % (PEER_ADDR, out))
        check(out[1] == p_mac, "conflict MAC %s, the peer is %s" % (out[1], p_mac))

        # 2. Nobody holds FREE_ADDR: FREE within the datacenter budget (190 ms worst
        # case by construction, 250 ms allowed for scheduling noise).
        for _ in range(3):
            out = probe(a, args.tool, aif, FREE_ADDR)
            check(out[0] == "FREE", "probe of the free %s gave %s" % (FREE_ADDR, out))
            ms = float(out[1])
            check(140 <= ms <= 250, "FREE after %.1f ms, want 140..250 ms" % ms)

        # 3. A stale cache entry on the peer (as after a node moved) is replaced by the
        # announcement that follows FREE.
        p.ip("neigh", "replace", FREE_ADDR, "lladdr", STALE_MAC, "dev", pif, "nud", "stale")
        check(neigh_lladdr(p, pif, FREE_ADDR) == STALE_MAC, "could not plant the stale entry")
        out = a.run([args.tool, "--defend", "1", aif, FREE_ADDR], timeout=20).stdout.split("\n")
        log("announce run: %s" % out)
        check(out[0].startswith("FREE") and "ANNOUNCE" in out, "no FREE + ANNOUNCE: %s" % out)
        netns.wait_for(lambda: neigh_lladdr(p, pif, FREE_ADDR) == a_mac, 3,
                             "the peer's ARP entry for %s to become %s" % (FREE_ADDR, a_mac))
        log("peer's ARP cache now maps %s to %s" % (FREE_ADDR, a_mac))

        # 4. Defence: the tool claims DEFEND_ADDR; then the peer takes it too and its
        # kernel ARPs from it (a UDP datagram from that source to an absent host: the
        # kernel solicits with broadcast requests a second apart, each a conflicting
        # packet in the sense of RFC 5227 §2.4).
        tool = a.spawn("arp-probe-tool-defend", [args.tool, "--defend", "20", aif, DEFEND_ADDR])
        tool.wait_log(r"(?m)^ANNOUNCE$", 5)
        # The kernel filter: ARP about other addresses (the peer resolving a third
        # host from its own address) never reaches the tool.
        other = p.spawn("udp-from-" + PEER_ADDR, udp_argv(PEER_ADDR, "10.77.0.98"))
        time.sleep(1.5)
        check("ARP from" not in tool.text(), "unrelated ARP passed the filter:\n%s" % tool.text())
        other.stop()
        log("unrelated ARP requests stayed in the kernel")
        p.add_address(pif, DEFEND_ADDR + "/24")
        sender = p.spawn("udp-from-" + DEFEND_ADDR, udp_argv(DEFEND_ADDR, "10.77.0.99"))
        m = tool.wait_log(r"(?m)^DEFEND (\S+)$", 5)
        check(m.group(1) == p_mac, "defended against %s, the peer is %s" % (m.group(1), p_mac))
        t_defend = time.monotonic()
        m = tool.wait_log(r"(?m)^LOST (\S+)$", 8)
        check(m.group(1) == p_mac, "lost to %s, the peer is %s" % (m.group(1), p_mac))
        log("defended once, lost %.1f s later at the second conflict" % (time.monotonic() - t_defend))
        text = tool.text()
        check(len(re.findall(r"(?m)^DEFEND ", text)) == 1, "more than one defence:\n%s" % text)
        netns.wait_for(lambda: tool.popen.poll() is not None, 3, "the tool to exit after LOST")
        check(tool.popen.returncode == 0, "tool exited %s" % tool.popen.returncode)
        sender.stop()
        log("PASS")


if __name__ == "__main__":
    sys.exit(main())
