#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 3 against real servers: infradhcpd's duplicate-address detection (RFC 5227),
DHCPDECLINE with quarantine and back-off, and sole ownership of IPv4 on the interface.

Every scenario runs on one L2 segment: a bridge in the server namespace (the server
listens on the bridge) with veth ports to the client namespace and to a third
"squatter" namespace that holds, or claims by ARP, the address the server hands out
(netns.bridged_topology). A capture on the client's veth records DHCP and ARP; `ip
monitor address` records every address ever configured on the client's interface.

Scenarios (--scenario):
  probe          ACD on: three probes from 0.0.0.0 before the address is configured,
                 ACK -> address within the datacenter profile (<= 250 ms), then two
                 announcements; the announcement replaces a stale ARP entry on a peer.
  off            [ACD] Enabled=no: no probe and no announcement, address right after
                 the ACK; the capture does see ARP (the server's ARP for us is there).
  decline        vs dnsmasq: the squatter owns the address dnsmasq offers; infradhcpd
                 probes, sends DHCPDECLINE (broadcast, from 0.0.0.0, options 50 + 54)
                 and ends bound on another, conflict-free address within the back-off
                 + one exchange + one probe; the declined address is never configured
                 nor requested again; one IPv4 address at any time.
  fixed-address  vs isc-dhcp-server with `host { fixed-address }` on the squatted
                 address for our MAC, watched for 60 s: the DECLINEs respect the
                 back-off (1 s doubling), re-offers of the quarantined address are
                 refused without probing or requesting it, no address is configured,
                 and the log (and `infradhcpctl status`, with --ctl) says why.
  defend         bound, then the squatter claims the address by gratuitous ARP: one
                 defence (our announcement), the address kept; a second claim within
                 DEFEND_INTERVAL: the address is given up and a different lease
                 obtained; the lost address is not requested again.
  stale          two foreign IPv4 addresses on the interface before start: only the
                 leased one remains; one added while bound goes at the next bind (a
                 renewal); with RemoveForeignAddresses=no they stay.

Not here: the ACD machine's corner cases (tests/unit/test-dhcp4-acd.c), the ARP edge
alone (test_acd_edge.py).
"""

import argparse
import json
import os
import re
import sys
import time

import netns
from netns import check, log

CLIENT_MAC = "02:1d:4a:00:00:01"
SQUATTER_MAC = "02:1d:4a:00:00:66"
STALE_MAC = "02:de:ad:be:ef:01"
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"

# The datacenter profile (docs/acd.md): probe time 140-190 ms by construction; the
# checks allow scheduling noise on top.
PROBE_MIN_MS, PROBE_MAX_MS = 140, 250
# The DECLINE back-off (docs/configuration.md [Timing]): 1 s doubling, 64 s cap.
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 64.0
DEFEND_INTERVAL = 10.0
# DISCOVER retransmission (docs/configuration.md [Timing]): 1 s doubling, 16 s cap.
RETRANSMIT_INITIAL, RETRANSMIT_MAX = 1.0, 16.0


def write_config(topo, name, text):
    p = topo.path(name)
    with open(p, "w") as f:
        f.write(text)
    return p


def client_arp(cap, mac, since=0.0):
    return [a for a in cap.arp_packets() if a.eth_src == mac and a.time >= since]


def max_concurrent(events):
    """Largest number of IPv4 addresses present at once, from monitor events."""
    present, most = set(), 0
    for _t, what, addr, _plen, _if in events:
        if what == "add":
            present.add(addr)
        else:
            present.discard(addr)
        most = max(most, len(present))
    return most


def only_address(c, cif, addr, hold=1.0):
    """The interface carries exactly [addr], sampled for `hold` seconds."""
    end = time.monotonic() + hold
    while True:
        got = c.ipv4(cif)
        check(got == [addr], "IPv4 on %s is %s, want exactly [%s]" % (cif, got, addr))
        if time.monotonic() >= end:
            return
        time.sleep(0.1)


def ack_for(pkts, addr, since=0.0):
    acks = [p for p in pkts if p.type == "ACK" and p.yiaddr == addr and p.time >= since]
    return acks[0] if acks else None


def first_offered(topo, g, server, daemon):
    """A first run of infradhcpd with ACD off learns which address the server gives our
    MAC; stopped with SIGTERM (no RELEASE), the server keeps that lease and offers the
    same address again: the one the squatter will take. Returns it."""
    cfg = write_config(topo, "acd-off-learn.conf", "[ACD]\nEnabled=no\n")
    learner = netns.InfraDhcpd(topo, g.c, g.cif, daemon, config=cfg)
    learner.start()
    a = learner.wait_address(10, pred=server.subnet.in_pool)
    learner.wait_state("BOUND", 2)
    learner.stop()
    g.c.flush_addresses(g.cif)
    log("the server gives %s to %s" % (a, g.client_mac))
    return a


# --------------------------------------------------------------------------------------


def scenario_probe(topo, args):
    """ACD on (default profile): probe, then configure, then announce."""
    g = netns.bridged_topology(topo, client_mac=CLIENT_MAC, squatter_mac=SQUATTER_MAC)
    # a one-address pool: the address is known in advance, so a peer can hold a stale
    # ARP entry for it, as after a node moved
    subnet = netns.Subnet(pool=(100, 100))
    addr = subnet.pool_start
    g.s.ip("neigh", "replace", addr, "lladdr", STALE_MAC, "dev", g.sif, "nud", "stale")
    cap = netns.Capture(topo, g.c, g.cif, arp=True).start()
    mon = netns.AddressMonitor(topo, g.c).start()
    netns.Dnsmasq(topo, g.s, g.sif, subnet).start()
    client = netns.InfraDhcpd(topo, g.c, g.cif, args.daemon)
    t0 = time.time()
    client.start()
    got = client.wait_address(5)
    check(got == addr, "leased %s, the pool is %s" % (got, addr))
    client.wait_state("BOUND", 2)

    ack = cap.wait(lambda ps: ack_for(ps, addr, t0), 3, "the ACK for %s" % addr)
    added = [e for e in mon.added(g.cif) if e[2] == addr]
    check(len(added) == 1, "address additions: %s" % mon.events(g.cif))
    t_add = added[0][0]
    # RFC 5227 §2.1.1 probes: ARP requests, sender IP 0.0.0.0, target = the address,
    # broadcast, from our MAC, between the ACK and the configuration.
    probes = [a for a in client_arp(cap, CLIENT_MAC, t0) if a.kind == "probe"]
    netns.dump_packets(cap.packets() + probes)
    check(len(probes) == 3, "%d probes, the profile sends 3" % len(probes))
    for a in probes:
        check(a.tpa == addr and a.eth_dst == BROADCAST_MAC and a.sha == CLIENT_MAC and
              a.tha == "00:00:00:00:00:00", "malformed probe %r" % a)
        check(ack.time <= a.time < t_add, "probe at %.3f outside ACK %.3f .. address %.3f" % (
            a.time, ack.time, t_add))
    gaps = [(b.time - a.time) * 1000 for a, b in zip(probes, probes[1:])]
    check(all(25 <= g_ <= 80 for g_ in gaps), "probe gaps %s ms, profile 30-50 ms" % gaps)
    ms = (t_add - ack.time) * 1000
    log("ACK -> address %.0f ms; probe gaps %s ms" % (ms, ["%.0f" % x for x in gaps]))
    check(PROBE_MIN_MS - 10 <= ms <= PROBE_MAX_MS,
          "ACK -> address %.0f ms, want %d..%d" % (ms, PROBE_MIN_MS, PROBE_MAX_MS))

    # §2.3 announcements: 2, ANNOUNCE_INTERVAL (2 s) apart, sender = target = address
    ann = cap.wait_arp(lambda ps: [a for a in ps if a.eth_src == CLIENT_MAC and a.kind == "announce"][1:] and
                       [a for a in ps if a.eth_src == CLIENT_MAC and a.kind == "announce"], 5,
                       "two announcements")
    for a in ann:
        check(a.spa == addr and a.tpa == addr and a.sha == CLIENT_MAC and a.eth_dst == BROADCAST_MAC,
              "malformed announcement %r" % a)
    check(ann[0].time >= t_add - 0.005, "announced %.3f before configuring %.3f" % (ann[0].time, t_add))
    gap = ann[1].time - ann[0].time
    check(1.8 <= gap <= 2.5, "announcements %.2f s apart, want 2 s" % gap)
    # The peer's stale entry now maps the address to our MAC.
    j = netns.wait_for(lambda: [n for n in g.s.ip_json("neigh", "show", "dev", g.sif, "to", addr)
                                if n.get("lladdr") == CLIENT_MAC], 3,
                       "the server's ARP entry for %s to become %s" % (addr, CLIENT_MAC))
    log("the server's ARP cache: %s" % j)
    time.sleep(1)
    check(len([a for a in client_arp(cap, CLIENT_MAC, t0) if a.kind == "announce"]) == 2,
          "more than 2 announcements: %s" % client_arp(cap, CLIENT_MAC, t0))
    only_address(g.c, g.cif, addr, 0.5)
    log("PASS: 3 probes, address after %.0f ms, 2 announcements, peer cache refreshed" % ms)


def scenario_off(topo, args):
    """[ACD] Enabled=no: no ARP from the daemon, address straight after the ACK."""
    g = netns.bridged_topology(topo, client_mac=CLIENT_MAC, squatter_mac=SQUATTER_MAC)
    subnet = netns.Subnet(pool=(100, 100))
    addr = subnet.pool_start
    cap = netns.Capture(topo, g.c, g.cif, arp=True).start()
    mon = netns.AddressMonitor(topo, g.c).start()
    netns.Dnsmasq(topo, g.s, g.sif, subnet).start()
    cfg = write_config(topo, "acd-off.conf", "[ACD]\nEnabled=no\n")
    client = netns.InfraDhcpd(topo, g.c, g.cif, args.daemon, config=cfg)
    t0 = time.time()
    client.start()
    check(client.wait_address(5) == addr, "no %s" % addr)
    client.wait_state("BOUND", 2)
    ack = cap.wait(lambda ps: ack_for(ps, addr, t0), 3, "the ACK")
    t_add = [e for e in mon.added(g.cif) if e[2] == addr][0][0]
    ms = (t_add - ack.time) * 1000
    log("ACK -> address %.1f ms" % ms)
    check(ms < 50, "ACK -> address %.0f ms with ACD off; no probing should happen" % ms)
    # Past the time the first announcement would come and the 2 s of the second.
    time.sleep(2.5)
    t_ping = time.time()
    # Control: the capture sees ARP. The server resolving our address makes the
    # client's kernel answer (a reply, not a probe/announcement).
    g.s.run(["/usr/bin/python3", "-c", "import socket; socket.socket(socket.AF_INET, "
             "socket.SOCK_DGRAM).sendto(b'x', (%r, 9))" % addr])
    arp = cap.wait_arp(lambda ps: [a for a in ps if a.eth_src == CLIENT_MAC and a.kind == "reply"
                                   and a.time >= t_ping], 3, "the client kernel's ARP reply")
    mine = [a for a in client_arp(cap, CLIENT_MAC, t0) if a.time < t_ping]
    netns.dump_packets(cap.arp_packets())
    check(not [a for a in mine if a.kind in ("probe", "announce")],
          "ARP probes/announcements with ACD off: %s" % mine)
    only_address(g.c, g.cif, addr, 0.3)
    log("PASS: ACD off: no probe, no announcement, address %.1f ms after the ACK (capture saw %r)" % (
        ms, arp[0]))


def scenario_decline(topo, args):
    """vs dnsmasq: DECLINE and a clean address."""
    g = netns.bridged_topology(topo, client_mac=CLIENT_MAC, squatter_mac=SQUATTER_MAC)
    subnet = netns.Subnet(pool=(100, 102))
    cap = netns.Capture(topo, g.c, g.cif, arp=True).start()
    server = netns.Dnsmasq(topo, g.s, g.sif, subnet).start()
    squatted = first_offered(topo, g, server, args.daemon)
    g.q.add_address(g.qif, "%s/%d" % (squatted, subnet.prefixlen))
    log("squatter %s now owns %s" % (g.squatter_mac, squatted))

    mon = netns.AddressMonitor(topo, g.c).start()
    client = netns.InfraDhcpd(topo, g.c, g.cif, args.daemon)
    t0 = time.time()
    client.start()
    clean = client.wait_address(8, pred=lambda a: a != squatted)
    client.wait_state("BOUND", 3)
    check(subnet.in_pool(clean), "%s is not from the pool" % clean)
    time.sleep(0.5)
    pkts = [p for p in cap.packets() if p.time >= t0]
    arps = [a for a in cap.arp_packets() if a.time >= t0]
    netns.dump_packets(pkts + arps)

    # The probe for the offered address and the squatter's answer.
    probes = [a for a in arps if a.eth_src == CLIENT_MAC and a.kind == "probe" and a.tpa == squatted]
    check(probes, "no probe for %s" % squatted)
    answers = [a for a in arps if a.sha == g.squatter_mac and a.spa == squatted]
    check(answers, "the squatter did not answer the probe")
    t_conflict = answers[0].time

    # RFC 2131 §4.4.1 / Table 5: DECLINE broadcast from 0.0.0.0, ciaddr 0, option 50 =
    # the address, option 54 = the server, option 61 ours.
    decl = [p for p in pkts if p.type == "DECLINE"]
    check(len(decl) == 1, "%d DECLINEs, want 1" % len(decl))
    d = decl[0]
    check(d.src == "0.0.0.0" and d.dst == "255.255.255.255" and d.eth_dst == BROADCAST_MAC and
          d.sport == 68 and d.dport == 67, "DECLINE not broadcast from 0.0.0.0: %r" % d)
    check(d.ciaddr == "0.0.0.0", "DECLINE ciaddr %s" % d.ciaddr)
    check(d.requested_ip == squatted, "DECLINE option 50 = %s, want %s" % (d.requested_ip, squatted))
    check(d.server_id == subnet.server, "DECLINE option 54 = %s, want %s" % (d.server_id, subnet.server))
    check(d.client_id == "01:" + CLIENT_MAC, "DECLINE option 61 = %s" % d.client_id)
    check(0 <= d.time - t_conflict < 0.1, "DECLINE %.3f s after the conflict" % (d.time - t_conflict))
    server.proc.wait_log(r"DHCPDECLINE\S* %s %s" % (re.escape(squatted), CLIENT_MAC), 2)

    # Back-off (start 1 s), then a DISCOVER without the declined address, and nothing
    # after the DECLINE asks for it again.
    after = [p for p in pkts if p.from_client and p.time > d.time]
    check(after and after[0].type == "DISCOVER", "after the DECLINE: %s" % after[:1])
    wait = after[0].time - d.time
    check(0.9 <= wait <= 1.3, "DISCOVER %.2f s after the DECLINE, the back-off starts at 1 s" % wait)
    check(not [p for p in after if p.requested_ip == squatted],
          "%s requested again after the DECLINE" % squatted)
    check(not [p for p in pkts if p.type == "REQUEST" and p.requested_ip == squatted and p.time > d.time],
          "REQUEST for the declined address")

    # The clean address: probed (nobody answered), then configured.
    ack = ack_for(pkts, clean, d.time)
    check(ack is not None, "no ACK for %s" % clean)
    check([a for a in arps if a.eth_src == CLIENT_MAC and a.kind == "probe" and a.tpa == clean],
          "%s configured without probing" % clean)
    check(not [a for a in arps if a.spa == clean and a.sha != CLIENT_MAC], "someone else holds %s" % clean)
    ev = mon.events(g.cif)
    log("address events: %s" % ev)
    check(not [e for e in ev if e[2] == squatted], "the squatted %s was configured" % squatted)
    adds = [e for e in ev if e[1] == "add" and e[2] == clean]
    check(len(adds) == 1, "%s added %d times" % (clean, len(adds)))
    check(max_concurrent(ev) <= 1, "two addresses at once: %s" % ev)
    only_address(g.c, g.cif, clean)
    t_clean = adds[0][0]
    took = t_clean - t_conflict
    log("conflict -> clean address %.3f s (DECLINE +%.0f ms, DISCOVER +%.0f ms, ACK -> address %.0f ms)" % (
        took, (d.time - t_conflict) * 1000, (after[0].time - t_conflict) * 1000, (t_clean - ack.time) * 1000))
    # Speed is bench/dhcp-conflict.py's (figures against the peers); here only a bound
    # that catches a wrong back-off (the first wait after a DECLINE is 1 s), not load.
    check(took <= 10.0, "conflict -> clean address took %.2f s: more than the first 1 s back-off allows" % took)

    # Logs: why, with whom; the server's own database follows.
    text = client.proc.text()
    check(re.search(r"%s.*CONFLICT_MAC=%s" % (re.escape(squatted), g.squatter_mac), text),
          "no log line naming %s and CONFLICT_MAC=%s" % (squatted, g.squatter_mac))
    check(re.search(r"EVENT=conflict ADDRESS=%s" % re.escape(squatted), text), "no EVENT=conflict line")
    check(re.search(r"STATE=BOUND ADDRESS=%s\b" % re.escape(clean), text), "no STATE=BOUND ADDRESS=%s" % clean)
    sl = netns.wait_for(lambda: server.lease_for(CLIENT_MAC), 3, "dnsmasq's lease")
    check(sl.address == clean, "dnsmasq records %s for us" % sl.address)
    log("PASS: declined %s (held by %s), bound on %s %.2f s after the conflict" % (
        squatted, g.squatter_mac, clean, took))


def backoff_bound(window, initial=BACKOFF_INITIAL, cap=BACKOFF_MAX):
    """How many DECLINEs fit in `window` seconds when the waits between them are
    initial, 2*initial, ... capped: the first at 0, the next after each wait."""
    n, t, w = 1, 0.0, initial
    while t + w <= window:
        t += w
        n += 1
        w = min(2 * w, cap)
    return n


def ctl_status(args, client):
    """`infradhcpctl --json status IF` against the daemon's runtime dir, or None."""
    if not args.ctl:
        return None
    p = client.ns.run([args.ctl, "--runtime-dir", client.runtime_dir, "--json", "status", client.ifname],
                      check=False)
    log("infradhcpctl status: rc %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
    check(p.returncode == 0, "infradhcpctl status failed (%d): %s" % (p.returncode, p.stderr))
    plain = client.ns.run([args.ctl, "--runtime-dir", client.runtime_dir, "status", client.ifname],
                          check=False)
    log("infradhcpctl status (text):\n%s" % plain.stdout)
    j = json.loads(p.stdout)
    if isinstance(j, list):
        j = j[0]
    return j, plain.stdout


def scenario_fixed_address(topo, args):
    """vs isc-dhcp-server with a fixed-address reservation on the squatted address."""
    window = args.window
    g = netns.bridged_topology(topo, client_mac=CLIENT_MAC, squatter_mac=SQUATTER_MAC)
    subnet = netns.Subnet()
    squatted = str(subnet.net.network_address + 50)  # outside the dynamic pool
    g.q.add_address(g.qif, "%s/%d" % (squatted, subnet.prefixlen))
    cap = netns.Capture(topo, g.c, g.cif, arp=True).start()
    mon = netns.AddressMonitor(topo, g.c).start()
    server = netns.IscDhcpd(topo, g.s, g.sif, subnet, hosts=[("node1", CLIENT_MAC, squatted)]).start()
    client = netns.InfraDhcpd(topo, g.c, g.cif, args.daemon)
    t0 = time.time()
    client.start()
    d0 = cap.wait(lambda ps: [p for p in ps if p.type == "DECLINE"], 5, "the first DECLINE")[0]
    log("first DECLINE at +%.3f s; watching %.0f s" % (d0.time - t0, window))
    m = server.proc.wait_log(r"DHCPDECLINE\S* (?:of )?%s from %s.*" % (re.escape(squatted), CLIENT_MAC), 3)
    log("dhcpd: %s" % m.group(0))
    status = None
    deadline = time.monotonic() + window - (time.time() - d0.time)
    while time.monotonic() < deadline:
        check(client.proc.alive(), "infradhcpd exited:\n%s" % client.proc.tail())
        check(g.c.ipv4(g.cif) == [], "an address appeared: %s" % g.c.ipv4(g.cif))
        if status is None and args.ctl and time.time() - d0.time > 5:
            status = ctl_status(args, client)
        time.sleep(0.5)
    t_end = d0.time + window
    pkts = [p for p in cap.packets() if t0 <= p.time <= t_end]
    arps = [a for a in cap.arp_packets() if t0 <= a.time <= t_end]
    sent = [p for p in pkts if p.from_client]
    netns.dump_packets(pkts)

    decl = [p for p in sent if p.type == "DECLINE"]
    offers = [p for p in pkts if p.type == "OFFER" and p.yiaddr == squatted]
    discovers = [p for p in sent if p.type == "DISCOVER"]
    requests = [p for p in sent if p.type == "REQUEST"]
    probes = [a for a in arps if a.eth_src == CLIENT_MAC and a.kind == "probe" and a.tpa == squatted]
    times = ["%.1f" % (p.time - d0.time) for p in decl]
    bound = backoff_bound(window)
    log("in %.0f s: %d DECLINE (at +%s s), %d OFFER of %s, %d DISCOVER, %d REQUEST, %d probes" % (
        window, len(decl), ", ".join(times), len(offers), squatted, len(discovers), len(requests), len(probes)))
    # The server really kept offering the reserved address: the scenario is live.
    check(len(offers) >= 3, "dhcpd offered %s only %d times" % (squatted, len(offers)))
    for p in decl:
        check(p.requested_ip == squatted and p.server_id == subnet.server and p.src == "0.0.0.0" and
              p.dst == "255.255.255.255", "bad DECLINE %r" % p)
    # No storm: each wait at least the back-off (1, 2, 4 ... 64 s; 10 % slack), and
    # never more DECLINEs than the back-off allows in the window.
    w = BACKOFF_INITIAL
    for a, b in zip(decl, decl[1:]):
        check(b.time - a.time >= 0.9 * w, "DECLINEs %.2f s apart, the back-off is %.0f s by then" % (
            b.time - a.time, w))
        w = min(2 * w, BACKOFF_MAX)
    check(len(decl) <= bound, "%d DECLINEs in %.0f s, the back-off allows %d" % (len(decl), window, bound))
    # The quarantine: a REQUEST for the address, and a probe, only for a DECLINE
    # (re-offers are refused without probing again).
    req_sq = [p for p in requests if p.requested_ip == squatted]
    check(len(req_sq) <= len(decl), "%d REQUESTs for %s, %d DECLINEs" % (len(req_sq), squatted, len(decl)))
    # probe rounds: probes less than 0.5 s apart belong to one (a round is <= 190 ms)
    probe_rounds = sum(1 for i, a in enumerate(probes) if i == 0 or a.time - probes[i - 1].time > 0.5)
    check(len(probes) >= 1 and probe_rounds <= len(decl), "probes for %s at %s for %d DECLINEs" % (
        squatted, ["%.2f" % (a.time - t0) for a in probes], len(decl)))
    # Not a DISCOVER storm either: the first DISCOVER, then the retransmission back-off
    # ([Timing] RetransmitInitialSec=1s doubling to RetransmitMaxSec=16s), one spare
    # for the ±100 ms jitter.
    dbound = 2 + backoff_bound(window, RETRANSMIT_INITIAL, RETRANSMIT_MAX)
    check(len(discovers) <= dbound, "%d DISCOVERs in %.0f s, the retransmission back-off allows %d" % (
        len(discovers), window, dbound))
    # Nothing was ever configured.
    check(mon.events(g.cif) == [], "address events: %s" % mon.events(g.cif))

    # Why there is no address: the log says which address, who holds it, and that
    # it was declined.
    text = client.proc.text()
    check(re.search(r"%s.*in use by %s.*declin.*CONFLICT_MAC=%s" % (
        re.escape(squatted), g.squatter_mac, g.squatter_mac), text),
        "no log line saying %s is in use by %s and declined" % (squatted, g.squatter_mac))
    check(re.search(r"EVENT=conflict ADDRESS=%s" % re.escape(squatted), text), "no EVENT=conflict")
    check("STATE=BOUND" not in text, "the daemon logged BOUND")
    waits = [int(m) for m in re.findall(r"waiting (\d+) ms before the next DISCOVER", text)]
    check(waits and waits[0] == 1000, "the back-off is not logged (or does not start at 1 s): %s" % waits)
    check(all(b == min(2 * a, 64000) for a, b in zip(waits, waits[1:])), "logged back-off does not double: %s" % waits)
    refused = re.findall(r".*%s.*(?:quarantin|refus|declined).*" % re.escape(squatted), text, re.I)
    log("log lines about %s:\n  %s" % (squatted, "\n  ".join(refused[:6])))
    if status is not None:
        j, plain = status
        check(not j.get("address"), "status has an address: %s" % j)
        check(squatted in (j.get("declined") or []), "status declined=%s, want %s" % (j.get("declined"), squatted))
        check(j.get("conflictMac") == g.squatter_mac, "status conflictMac=%s" % j.get("conflictMac"))
        check(squatted in (j.get("lastError") or "") and g.squatter_mac in (j.get("lastError") or ""),
              "status lastError=%r does not say why" % j.get("lastError"))
        check(squatted in plain and g.squatter_mac in plain, "the text status does not name %s and %s" % (
            squatted, g.squatter_mac))
        check(j.get("conflicts", 0) >= 1 and j.get("declineBackoffMs") in waits,
              "status conflicts=%s declineBackoffMs=%s, logged waits %s" % (
                  j.get("conflicts"), j.get("declineBackoffMs"), waits))
        check("Back-off:" in plain, "the text status does not show the back-off:\n%s" % plain)
    else:
        log("no --ctl: status checked in the log only")
    log("PASS: %d DECLINE(s) in %.0f s (back-off allows %d), %s quarantined, no address, reason logged" % (
        len(decl), window, bound, squatted))


def scenario_defend(topo, args):
    """Squatter after bind: one defence, then the address given up and a new lease."""
    g = netns.bridged_topology(topo, client_mac=CLIENT_MAC, squatter_mac=SQUATTER_MAC)
    subnet = netns.Subnet(pool=(100, 102))
    cap = netns.Capture(topo, g.c, g.cif, arp=True).start()
    mon = netns.AddressMonitor(topo, g.c).start()
    server = netns.Dnsmasq(topo, g.s, g.sif, subnet).start()
    client = netns.InfraDhcpd(topo, g.c, g.cif, args.daemon)
    t0 = time.time()
    client.start()
    addr = client.wait_address(5)
    client.wait_state("BOUND", 2)
    # past both announcements (2 s apart): only defences remain
    cap.wait_arp(lambda ps: len([a for a in ps if a.eth_src == CLIENT_MAC and a.kind == "announce"]) >= 2,
                 4, "the two announcements")
    log("bound on %s; the squatter claims it" % addr)

    # First conflict: a gratuitous ARP from the squatter with our address (RFC 5227
    # §2.4: "an ARP packet ... where the sender IP address is ... one of its own").
    t1 = time.time()
    netns.send_arp(g.q, g.qif, g.squatter_mac, addr, addr)
    defence = cap.wait_arp(lambda ps: [a for a in ps if a.eth_src == CLIENT_MAC and a.kind == "announce"
                                       and a.time >= t1], 2, "our defence")[0]
    check(defence.spa == addr and defence.tpa == addr and defence.eth_dst == BROADCAST_MAC,
          "malformed defence %r" % defence)
    log("defended %.1f ms after the claim" % ((defence.time - t1) * 1000))
    time.sleep(2)
    check(g.c.ipv4(g.cif) == [addr], "address after one conflict: %s" % g.c.ipv4(g.cif))
    check(len([a for a in client_arp(cap, CLIENT_MAC, t1) if a.kind == "announce"]) == 1,
          "more than one defence: %s" % client_arp(cap, CLIENT_MAC, t1))
    check(re.search(r"Defended %s against %s" % (re.escape(addr), g.squatter_mac), client.proc.text()),
          "no 'Defended' log line")

    # Second conflict within DEFEND_INTERVAL: the squatter now really takes it.
    g.q.add_address(g.qif, "%s/%d" % (addr, subnet.prefixlen))
    t2 = time.time()
    check(t2 - defence.time < DEFEND_INTERVAL - 2, "too slow for the defend interval")
    netns.send_arp(g.q, g.qif, g.squatter_mac, addr, addr)
    netns.wait_for(lambda: addr not in g.c.ipv4(g.cif), 2, "%s to be given up" % addr)
    t_gone = time.time()
    log("gave %s up %.0f ms after the second claim" % (addr, (t_gone - t2) * 1000))
    try:
        new = client.wait_address(20, pred=lambda a: a != addr)
    except netns.CheckFailed:
        pkts = [p for p in cap.packets() if p.time >= t2]
        netns.dump_packets(pkts)
        told = [p for p in pkts if p.type in ("DECLINE", "RELEASE")]
        reoffers = [p for p in pkts if p.type == "OFFER" and p.yiaddr == addr]
        raise netns.CheckFailed(
            "no new lease 20 s after losing %s: the server offered the lost address %d times "
            "(refused: quarantined) and the daemon %s" % (
                addr, len(reoffers), "sent %s" % told if told else
                "never told the server it lost it (no DECLINE/RELEASE), so a server that "
                "keeps a client's lease (dnsmasq, kea) offers it forever"))
    client.wait_state("BOUND", 3, start=client.proc.text().find("Lost "))
    time.sleep(0.5)
    log("new lease %s %.2f s after the second claim" % (new, time.time() - t2))
    pkts = [p for p in cap.packets() if p.time >= t0]
    netns.dump_packets(pkts)
    check(not [a for a in client_arp(cap, CLIENT_MAC, t2) if a.kind == "announce" and a.spa == addr],
          "defended again after the second conflict")
    after = [p for p in pkts if p.from_client and p.time >= t2 and p.type in ("DISCOVER", "REQUEST")]
    again = [p for p in after if p.requested_ip == addr or p.ciaddr == addr]
    check(not again, "the lost %s was requested again: %s" % (addr, again))
    told = [p for p in pkts if p.from_client and p.time >= t2 and p.type in ("DECLINE", "RELEASE")]
    log("after the loss the daemon sent %s" % (told or "neither DECLINE nor RELEASE"))
    ev = mon.events(g.cif)
    check(max_concurrent(ev) <= 1, "two addresses at once: %s" % ev)
    only_address(g.c, g.cif, new)
    text = client.proc.text()
    check(re.search(r"Lost %s to %s.*CONFLICT_MAC=%s" % (re.escape(addr), g.squatter_mac, g.squatter_mac), text),
          "no log line for the loss naming %s" % g.squatter_mac)
    sl = netns.wait_for(lambda: server.lease_for(CLIENT_MAC), 3, "dnsmasq's lease")
    check(sl.address == new, "dnsmasq records %s for us, the daemon has %s" % (sl.address, new))
    log("PASS: defended %s once, gave it up at the second claim, now bound on %s" % (addr, new))


def scenario_stale(topo, args):
    """Foreign IPv4 addresses: removed at start and at every bind, unless configured off."""
    g = netns.bridged_topology(topo, client_mac=CLIENT_MAC, squatter_mac=SQUATTER_MAC)
    subnet = netns.Subnet(pool=(100, 100))
    addr = subnet.pool_start
    foreign = ["10.77.0.200/24", "192.0.2.10/24"]
    for f in foreign:
        g.c.add_address(g.cif, f)
    mon = netns.AddressMonitor(topo, g.c).start()
    netns.Dnsmasq(topo, g.s, g.sif, subnet, lease=120, t1=4).start()
    client = netns.InfraDhcpd(topo, g.c, g.cif, args.daemon)
    client.start()
    client.wait_address(5, pred=lambda a: a == addr)
    client.wait_state("BOUND", 2)
    netns.wait_for(lambda: g.c.ipv4(g.cif) == [addr], 2, "only %s on %s" % (addr, g.cif))
    only_address(g.c, g.cif, addr)
    text = client.proc.text()
    for f in foreign:
        check(re.search(r"Removed foreign address %s.*REASON=foreign-address" % re.escape(f), text),
              "no log of removing %s" % f)
    ev = mon.events(g.cif)
    log("address events: %s" % ev)
    check(all(e[2] == addr for e in ev if e[1] == "add"), "adds: %s" % ev)

    # Added while bound: gone at the next bind (the renewal at T1 = 4 s).
    g.c.add_address(g.cif, "198.51.100.7/24")
    netns.wait_for(lambda: "198.51.100.7" not in g.c.ipv4(g.cif), 8, "the renewal to remove 198.51.100.7")
    check(re.search(r"Removed foreign address 198\.51\.100\.7", client.proc.text()), "no log of the removal")
    only_address(g.c, g.cif, addr, 0.3)
    client.stop()
    log("removed at start and at the renewal; now RemoveForeignAddresses=no")

    # RemoveForeignAddresses=no: the daemon leaves them.
    g.c.flush_addresses(g.cif)
    for f in foreign:
        g.c.add_address(g.cif, f)
    cfg = write_config(topo, "keep.conf", "[DHCPv4]\nRemoveForeignAddresses=no\n")
    keep = netns.InfraDhcpd(topo, g.c, g.cif, args.daemon, config=cfg)
    keep.start()
    keep.wait_address(5, pred=lambda a: a == addr)
    keep.wait_state("BOUND", 2)
    time.sleep(0.5)
    got = sorted(g.c.ipv4(g.cif))
    want = sorted([addr] + [f.split("/")[0] for f in foreign])
    check(got == want, "with RemoveForeignAddresses=no: %s, want %s" % (got, want))
    check("Removed foreign address" not in keep.proc.text(), "removed with RemoveForeignAddresses=no")
    log("PASS: only %s remains; with RemoveForeignAddresses=no all three stay" % addr)


SCENARIOS = {"probe": scenario_probe, "off": scenario_off, "decline": scenario_decline,
             "fixed-address": scenario_fixed_address, "defend": scenario_defend, "stale": scenario_stale}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--daemon", required=True, help="path to infradhcpd")
    ap.add_argument("--ctl", help="path to infradhcpctl (fixed-address: check its status too)")
    ap.add_argument("--window", type=float, default=60.0, help="fixed-address: seconds to watch")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    if args.ctl and not os.access(args.ctl, os.X_OK):
        args.ctl = None
    with netns.Topology("ac", keep_tmp=args.keep_tmp) as topo:
        try:
            SCENARIOS[args.scenario](topo, args)
        except BaseException:
            netns.dump_packets(sum([netns.read_pcap_arp(os.path.join(topo.tmp, f))
                                    for f in os.listdir(topo.tmp) if f.endswith(".pcap")], []))
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
