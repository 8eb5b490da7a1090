#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Scenario 1: a real Debian DHCP server leases an address to the client under test.

Proves, for one server per run (--server): the client ends up with an address from the
server's pool configured on the interface; every message the client sends carries
Option 61 = 01:<mac> (seen in a capture on the client's veth); the server's own lease
database records that client id for the leased address (udhcpd keeps no client id:
there the capture alone is checked). With infradhcpd it also checks the persisted
lease file, the kernel lifetimes (finite, <= the lease) and the 224.0.0.0/4 route.

Not here: timers, NAK, restarts (test_lease.py).
"""

import argparse
import sys
import time

import netns
from netns import check, log


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True, choices=sorted(netns.SERVERS))
    netns.common_args(ap)
    args = ap.parse_args()

    lease = 600
    with netns.Topology("sv", keep_tmp=args.keep_tmp) as topo:
        s, sif, c, cif = netns.client_server_topology(topo)
        mac = c.mac(cif)
        want_cid = "01:" + mac
        subnet = netns.Subnet()
        cap = netns.Capture(topo, c, cif).start()
        server = netns.SERVERS[args.server](topo, s, sif, subnet, lease=lease).start()
        client = netns.make_client(args.client, topo, c, cif, daemon=args.daemon,
                                   config=args.config)
        t_start = time.monotonic()
        client.start()
        addr = client.wait_address(timeout=20, pred=subnet.in_pool)
        log("%s configured %s on %s in %.0f ms" % (args.client, addr, cif,
                                                   (time.monotonic() - t_start) * 1000))

        info = c.address_info(cif, addr)
        check(info["prefixlen"] == subnet.prefixlen,
              "prefix length %s, server said /%d" % (info["prefixlen"], subnet.prefixlen))

        # The wire: an ACK for this address, and Option 61 = 01:<mac> on every
        # client message of the exchange.
        pkts = cap.wait(lambda ps: [p for p in ps if p.type == "ACK" and p.yiaddr == addr],
                        5, "the ACK for %s in the capture" % addr)
        pkts = cap.packets()
        sent = [p for p in pkts if p.from_client]
        netns.dump_packets(pkts)
        check(any(p.type == "REQUEST" for p in sent), "no REQUEST from the client on the wire")
        for p in sent:
            check(p.client_id == want_cid,
                  "client sent %s with option 61 = %s, want %s" % (p.type, p.client_id, want_cid))
            check(p.chaddr == mac, "client sent chaddr %s, want %s" % (p.chaddr, mac))
        log("wire: %d client messages, all with option 61 = %s" % (len(sent), want_cid))

        # The server's lease database.
        sl = netns.wait_for(lambda: server.lease_for(mac), 10,
                            "%s to record a lease for %s" % (server.kind, mac))
        log("server database: %r" % sl)
        check(sl.address == addr, "server leased %s, client configured %s" % (sl.address, addr))
        if args.server == "udhcpd":
            log("udhcpd stores no client id; option 61 checked on the wire only")
        else:
            check(sl.client_id == want_cid,
                  "server database has client id %s, want %s" % (sl.client_id, want_cid))

        if args.client == "infradhcpd":
            check(info["valid_life_time"] <= lease,
                  "valid lifetime %s exceeds the %d s lease" % (info["valid_life_time"], lease))
            check(info["preferred_life_time"] <= lease,
                  "preferred lifetime %s exceeds the lease" % info["preferred_life_time"])
            lf = netns.wait_for(client.lease_file, 5, "the lease file %s" % client.lease_path)
            log("lease file: %s" % lf)
            check(lf.get("ADDRESS") == addr, "lease file ADDRESS=%s, want %s" % (lf.get("ADDRESS"), addr))
            check(lf.get("LIFETIME") == str(lease), "lease file LIFETIME=%s, want %d" % (
                lf.get("LIFETIME"), lease))
            r = netns.wait_for(lambda: c.multicast_route(cif), 2, "the 224.0.0.0/4 route")
            check(r.get("metric") == 401 and r.get("scope") == "link" and r.get("protocol") == "static",
                  "224.0.0.0/4 route is %r" % r)
            client.wait_state("BOUND", 2)
        log("PASS: %s leased %s to %s with client id %s" % (args.server, addr, args.client, want_cid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
