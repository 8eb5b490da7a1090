#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `hostile` suite: infradhcpd against a scripted, hostile responder (hostile.py,
scapy) on the server side of a veth. Each scenario asserts survival (the daemon is
alive and answers), the lease (address on the interface, never an address it should
have refused), and the log line that names why each bad packet was ignored.

  malformed   truncated options, an option area without END, zero-length options,
              bad overload values, a non-contiguous mask, no option 53, bad cookie,
              bad hlen, a short packet; then a valid OFFER whose options are overloaded
              into `file` (RFC 2132 §9.3): bound on it
  identity    wrong xid, wrong chaddr, wrong client id; an ACK from a server we did not
              request; duplicate ACKs once bound
  leases      unusable yiaddr (0/8, 127/8, 224/4, broadcast) and server ids
              (0.0.0.0, broadcast, none), lease 0, no option 51; then T1 > T2 > lease
              (falls back to 0.5/0.875) with mask 0.0.0.0 (classful /8)
  infinite    lease 0xffffffff: address with lifetime forever, "infinite" in the log
  router      [Routes] UseGateway=yes and option 3 = 0.0.0.0: no default route (an on-link
              "default dev IF" would hijack the node's traffic), refused in the log; a
              renewal with routers 0.0.0.0, 10.77.0.254: default via 10.77.0.254
  renewing    at the renewal, spoofed NAKs (another server id, broadcast; none,
              unicast) before the real ACK: ignored, address kept; once bound again a
              FORCERENEW and a NAK with the right server id and xid: ignored
  fragments   a jumbo OFFER in IPv4 fragments (dropped by the socket filter), then a
              jumbo ACK in fragments to the bound address (reassembled by the kernel,
              too long for DHCP): named, ignored
  flood       10,000 junk packets/s for 6 s (random bytes, other xids and chaddrs,
              truncated options, bad cookies, spoofed NAKs; half unicast to the leased
              address, half broadcast) across a renewal: alive, the lease renewed, the
              rejection log rate-limited; prints infradhcpd's CPU (a figure, not a check)
"""

import argparse
import os
import re
import sys
import time

import netns
from netns import check, log

import hostile
from hostile import ACK, FORCERENEW, NAK, OFFER, ip4, opt, payload, u32

ADDR = "10.77.0.100"


def start(topo, args, policy, config=None):
    s, sif, c, cif = netns.client_server_topology(topo)
    resp = hostile.Responder(s, sif)
    resp.policy = policy
    mon = netns.AddressMonitor(topo, c).start()
    conf = None
    if config:
        conf = topo.path("infradhcpd.conf")
        with open(conf, "w") as f:
            f.write(config)
    client = netns.make_client("infradhcpd", topo, c, cif, daemon=args.daemon, config=conf)
    client.start()
    return resp, client, c, cif, mon


def ignored(reason):
    """The log line of a rejected packet, on either socket."""
    return r"Ignored DHCP message from \S+ on the (packet|UDP) socket: %s\b" % re.escape(reason)


def check_logged(client, regexes, timeout=5):
    for rx in regexes:
        client.proc.wait_log(rx, timeout)


def check_alive(client, c, cif, addr, prefixlen=24):
    check(client.proc.alive(), "infradhcpd died:\n%s" % client.proc.tail())
    v4 = ["%s/%d" % (a["local"], a["prefixlen"]) for a in c.addresses(cif)]
    check(v4 == ["%s/%d" % (addr, prefixlen)], "addresses on %s: %s, want only %s/%d" % (cif, v4, addr, prefixlen))


def first(resp, msg):
    """True once per xid: the first time the client sends this message."""
    key = (msg.type, msg.xid, msg.ciaddr)
    seen = getattr(resp, "_seen", set())
    resp._seen = seen
    if key in seen:
        return False
    seen.add(key)
    return True


# --------------------------------------------------------------------------------------

def scenario_malformed(topo, args):
    chaddr = lambda r: r.chaddr()  # noqa: E731
    good = lambda mask="255.255.255.0": hostile.lease_options("10.77.0.1", msg_type=OFFER, mask=mask)  # noqa: E731
    # (name in the log, builder(resp, msg) -> payload), all with our xid and chaddr
    bad = [
        ("bad-option-length", lambda r, m: payload(m.xid, chaddr(r), ADDR, opt(53, OFFER) + opt(54, ip4("10.77.0.1")) +
                                                   bytes([51, 4, 0, 0]), end=False, pad_to=0)),
        ("no-end", lambda r, m: payload(m.xid, chaddr(r), ADDR, good(), end=False, pad_to=0)),
        ("bad-option-length", lambda r, m: payload(m.xid, chaddr(r), ADDR, good(mask=None) + opt(1, b""))),
        ("bad-option-length", lambda r, m: payload(m.xid, chaddr(r), ADDR, opt(53, b"") + good()[3:])),
        ("bad-option-length", lambda r, m: payload(m.xid, chaddr(r), ADDR, opt(53, OFFER) + opt(54, b"") +
                                                   opt(51, u32(60)))),
        ("bad-option-length", lambda r, m: payload(m.xid, chaddr(r), ADDR, good() + opt(52, b"\x01\x01"))),
        ("bad-overload", lambda r, m: payload(m.xid, chaddr(r), ADDR, good() + opt(52, 7))),
        # overloaded into file and sname, an option in `file` running past its 128 bytes
        ("bad-option-length", lambda r, m: payload(m.xid, chaddr(r), ADDR, good() + opt(52, 3),
                                                   sname=b"\xff", file=b"\x33\xff\0\0\0\x3c")),
        ("bad-option-value", lambda r, m: payload(m.xid, chaddr(r), ADDR, good(mask="255.0.255.0"))),
        ("no-message-type", lambda r, m: payload(m.xid, chaddr(r), ADDR, opt(54, ip4("10.77.0.1")) + opt(51, u32(60)))),
    ]
    # What the packet socket's BPF program drops in the kernel (never seen by the
    # daemon there), offered for another address: it must never be requested. Sent to
    # the UDP socket once bound, the daemon names each.
    filtered = [
        ("bad-cookie", lambda r, m, a: payload(m.xid, chaddr(r), a, good(), cookie=b"\x63\x82\x53\x64")),
        ("bad-htype", lambda r, m, a: payload(m.xid, chaddr(r), a, good(), hlen=16)),
        ("too-short", lambda r, m, a: payload(m.xid, chaddr(r), a, good())[:200]),
    ]

    def policy(r, m):
        if m.type == "DISCOVER" and first(r, m):
            for name, build in filtered:
                r.send(build(r, m, "10.77.0.121"), name)
            for name, build in bad:
                r.send(build(r, m), name)
            # Valid, with every option but 53 in `file` (option 52 = 1).
            file_opts = opt(54, ip4("10.77.0.1")) + opt(51, u32(3600)) + opt(1, ip4("255.255.255.0")) + b"\xff"
            r.send(payload(m.xid, r.chaddr(), ADDR, opt(53, OFFER) + opt(52, 1), file=file_opts), "overloaded offer")
            r.discover = m
        elif m.type == "REQUEST":
            r.reply(m, ACK, ADDR, "ack")

    resp, client, c, cif, mon = start(topo, args, policy)
    client.wait_state("BOUND", 15)
    check_logged(client, [ignored(n) for n, _ in bad])
    text = client.proc.text()
    for name in {n for n, _ in bad}:
        want = len([n for n, _ in bad if n == name])
        got = len(re.findall(ignored(name), text))
        check(got == want, "%d messages named %s in the log, sent %d" % (got, name, want))
    req = resp.messages("REQUEST")
    check(req and req[0].requested_ip == ADDR, "REQUEST for %s, want the overloaded offer's %s" % (
        req[0].requested_ip if req else None, ADDR))
    mark = len(client.proc.text())
    for name, build in filtered:
        resp.send(build(resp, resp.discover, ADDR), name + " (unicast)", dst_ip=ADDR)
    check_logged(client, [r"Ignored DHCP message from 10\.77\.0\.1 on the UDP socket: %s\b" % n
                          for n, _ in filtered])
    check_alive(client, c, cif, ADDR)
    log("PASS malformed: %d malformed offers named in the log (%s), bound on the overloaded offer; "
        "%s dropped by the socket filter, named on the UDP socket" % (
            len(bad), ", ".join(sorted({n for n, _ in bad})), ", ".join(n for n, _ in filtered)))


def scenario_identity(topo, args):
    other = bytes([0x02, 0x66, 0, 0, 0, 9])

    def policy(r, m):
        if m.type == "DISCOVER" and first(r, m):
            r.reply(m, OFFER, ADDR, "wrong xid", xid=m.xid ^ 0x5a5a)
            r.reply(m, OFFER, ADDR, "wrong chaddr", chaddr=other)
            r.reply(m, OFFER, ADDR, "wrong client id", extra=opt(61, b"\x01" + other))
            r.reply(m, OFFER, ADDR, "offer")
        elif m.type == "REQUEST" and first(r, m):
            r.reply(m, ACK, "10.77.0.101", "ack from an unrequested server", server_id="10.77.0.66")
            time.sleep(0.05)
            r.reply(m, ACK, ADDR, "ack")
            r.last_ack_xid = m.xid

    resp, client, c, cif, mon = start(topo, args, policy)
    client.wait_state("BOUND", 15)
    check_logged(client, [ignored("xid-mismatch"), ignored("chaddr-mismatch"), ignored("client-id-mismatch"),
                          ignored("wrong-server")])
    mark = len(client.proc.text())
    # Duplicate ACKs once bound: unexpected, nothing redone (no second bind, no probe).
    req = resp.messages("REQUEST")[0]
    for i in range(3):
        resp.reply(req, ACK, ADDR, "duplicate ack %d" % i, dst_ip=ADDR)
    client.proc.wait_log(ignored("unexpected"), 5, mark)
    time.sleep(0.5)
    later = client.proc.text()[mark:]
    check("STATE=PROBING" not in later and "Configured" not in later,
          "a duplicate ACK was acted on:\n%s" % later)
    check("10.77.0.101" not in [e[2] for e in mon.added()],
          "the unrequested server's address was configured: %s" % mon.added())
    check_alive(client, c, cif, ADDR)
    log("PASS identity: wrong xid/chaddr/client id and the unrequested server's ACK named and ignored; "
        "3 duplicate ACKs ignored")


def scenario_leases(topo, args):
    def policy(r, m):
        if m.type == "DISCOVER" and first(r, m):
            for bad in ("0.0.0.0", "127.0.0.5", "224.0.0.9", "255.255.255.255"):
                r.reply(m, OFFER, bad, "offer of " + bad)
            for sid in ("0.0.0.0", "255.255.255.255", False):
                r.reply(m, OFFER, ADDR, "server id %s" % sid, server_id=sid)
            r.reply(m, OFFER, ADDR, "offer")
        elif m.type == "REQUEST" and first(r, m):
            r.reply(m, ACK, ADDR, "lease 0", lease=0)
            r.reply(m, ACK, ADDR, "no lease time", lease=None)
            r.reply(m, ACK, "0.0.0.0", "yiaddr 0")
            r.reply(m, ACK, ADDR, "T1 > T2 > lease, mask 0", lease=3600, t1=7200, t2=5000, mask="0.0.0.0")

    resp, client, c, cif, mon = start(topo, args, policy)
    client.wait_state("BOUND", 15)
    check_logged(client, [r"offer of unusable address %s" % re.escape(a)
                          for a in ("0.0.0.0", "127.0.0.5", "224.0.0.9", "255.255.255.255")] +
                 [r"offer of %s without usable server identifier" % re.escape(ADDR),
                  r"ACK for %s ignored: lease time 0" % re.escape(ADDR),
                  r"ACK for %s ignored: no lease time" % re.escape(ADDR),
                  r"ACK for 0\.0\.0\.0 ignored: unusable yiaddr"])
    # 3 offers without a usable server id: all named
    n = len(re.findall(r"without usable server identifier", client.proc.text()))
    check(n == 3, "%d offers named as without usable server identifier, want 3" % n)
    lf = netns.wait_for(lambda: client.lease_file(), 5, "the lease file")
    check(lf.get("T1") == "1800" and lf.get("T2") == "3150",
          "T1 > T2 > lease: lease file T1=%s T2=%s, want the RFC 2131 fall-back 1800/3150" % (lf.get("T1"), lf.get("T2")))
    check_alive(client, c, cif, ADDR, prefixlen=8)
    log("PASS leases: 4 unusable addresses, 3 unusable server ids, lease 0, no lease time named; "
        "T1 > T2 > lease fell back to 1800/3150, mask 0 to classful /8")


def scenario_infinite(topo, args):
    def policy(r, m):
        if m.type == "DISCOVER":
            r.reply(m, OFFER, ADDR, "offer", lease=0xFFFFFFFF)
        elif m.type == "REQUEST":
            r.reply(m, ACK, ADDR, "ack", lease=0xFFFFFFFF)

    resp, client, c, cif, mon = start(topo, args, policy)
    client.wait_state("BOUND", 15)
    client.proc.wait_log(r"Configured %s/24 on \S+, valid for ever \(infinite lease" % re.escape(ADDR), 5)
    check("4294967295 s" not in client.proc.text(), "the infinite lease logged as a number of seconds")
    info = c.address_info(cif, ADDR)
    check(info and info["valid_life_time"] == 0xFFFFFFFF, "kernel lifetime %s, want forever" % (
        info and info["valid_life_time"]))
    lf = client.lease_file()
    check(lf and lf.get("LIFETIME") == "infinity", "lease file LIFETIME=%s" % (lf and lf.get("LIFETIME")))
    check_alive(client, c, cif, ADDR)
    log("PASS infinite: lifetime forever on the interface, \"infinite\" in the log")


def scenario_router(topo, args):
    def policy(r, m):
        routers = ip4("0.0.0.0") + (ip4("10.77.0.254") if m.ciaddr != "0.0.0.0" else b"")
        if m.type == "DISCOVER":
            r.reply(m, OFFER, ADDR, "offer", extra=opt(3, routers))
        elif m.type == "REQUEST":
            r.reply(m, ACK, ADDR, "ack", extra=opt(3, routers), dst_ip=ADDR if m.ciaddr != "0.0.0.0" else None)

    resp, client, c, cif, mon = start(topo, args, policy, config="[Routes]\nUseGateway=yes\n")
    client.wait_state("BOUND", 15)
    client.proc.wait_log(r"Router option 0\.0\.0\.0 refused", 5)
    time.sleep(0.3)
    dflt = c.ip_json("-4", "route", "show", "default")
    check(not dflt, "a default route from router 0.0.0.0: %s" % dflt)
    t = time.time()
    client.proc.send_signal(__import__("signal").SIGUSR1)
    resp.wait("REQUEST", 5, since=t, what="the renewal")
    route = netns.wait_for(lambda: c.ip_json("-4", "route", "show", "default"), 5, "the default route")
    check(len(route) == 1 and route[0].get("gateway") == "10.77.0.254" and route[0].get("dev") == cif,
          "default routes %s, want only via 10.77.0.254 dev %s" % (route, cif))
    check_alive(client, c, cif, ADDR)
    log("PASS router: 0.0.0.0 refused (no on-link default route), the next router used")


def scenario_renewing(topo, args):
    def policy(r, m):
        if m.type == "DISCOVER":
            r.reply(m, OFFER, ADDR, "offer", lease=30, t1=3, t2=25)
        elif m.type == "REQUEST" and m.ciaddr == "0.0.0.0":
            r.reply(m, ACK, ADDR, "ack", lease=30, t1=3, t2=25)
        elif m.type == "REQUEST" and first(r, m):
            # The renewal: spoofed NAKs first (another server's id, broadcast, reaching
            # the packet socket; and one without option 54, unicast to the UDP socket).
            r.reply(m, NAK, "0.0.0.0", "spoofed NAK (other server id)", server_id="10.77.0.66",
                    src_ip="10.77.0.66")
            r.reply(m, NAK, "0.0.0.0", "spoofed NAK (no server id)", server_id=False, dst_ip=ADDR)
            time.sleep(0.2)
            r.reply(m, ACK, ADDR, "renewal ack", lease=3600, dst_ip=ADDR)
            r.renewal_xid = m.xid

    resp, client, c, cif, mon = start(topo, args, policy)
    client.wait_state("BOUND", 15)
    t_bound = time.time()
    rq = resp.wait("REQUEST", 8, since=t_bound + 0.5, what="the renewal at T1")
    check(rq[0].ciaddr == ADDR, "renewal ciaddr %s" % rq[0].ciaddr)
    client.proc.wait_log(r"Ignored DHCP message from 10\.77\.0\.66 on the packet socket: wrong-server", 5)
    client.proc.wait_log(r"Ignored DHCP message from \S+ on the UDP socket: wrong-server", 5)
    netns.wait_for(lambda: (lambda i: i if i and i["valid_life_time"] > 60 else None)(c.address_info(cif, ADDR)),
                   5, "the renewal ACK's lifetime on the address")
    check(not resp.messages("DISCOVER", since=t_bound), "a spoofed NAK restarted DHCP")
    # Bound again: a FORCERENEW and a NAK with the real server id and the last xid.
    mark = len(client.proc.text())
    t0 = time.time()
    body = payload(resp.renewal_xid, resp.chaddr(), options=opt(53, FORCERENEW) + opt(54, ip4("10.77.0.1")))
    resp.send(body, "forcerenew", dst_ip=ADDR)
    resp.reply(rq[0], NAK, "0.0.0.0", "NAK while bound", dst_ip=ADDR)
    client.proc.wait_log(r"Ignored DHCP message from 10\.77\.0\.1 on the UDP socket: forcerenew-unauthenticated",
                         5, mark)
    client.proc.wait_log(ignored("unexpected"), 5, mark)
    time.sleep(2)
    check(not resp.messages("REQUEST", since=t0) and not resp.messages("DISCOVER", since=t0),
          "FORCERENEW or a NAK while bound drew %s" % resp.messages(since=t0))
    removed = [e for e in mon.events() if e[1] == "del"]
    check(not removed, "the address was removed: %s" % removed)
    check_alive(client, c, cif, ADDR)
    log("PASS renewing: spoofed NAKs on both sockets named wrong-server, renewal completed; "
        "FORCERENEW and a NAK while bound ignored")


def scenario_fragments(topo, args):
    big = b"".join(opt(224, bytes([i]) * 250) for i in range(10))  # 2520 bytes of site options

    def policy(r, m):
        if m.type == "DISCOVER" and first(r, m):
            jumbo = payload(m.xid, r.chaddr(), "10.77.0.120", hostile.lease_options("10.77.0.1", msg_type=OFFER) + big)
            r.send_fragments(jumbo, "jumbo offer in fragments")
            time.sleep(0.1)
            r.reply(m, OFFER, ADDR, "offer")
        elif m.type == "REQUEST":
            r.reply(m, ACK, ADDR, "ack")
            r.req = m

    resp, client, c, cif, mon = start(topo, args, policy)
    client.wait_state("BOUND", 15)
    req = resp.messages("REQUEST")[0]
    check(req.requested_ip == ADDR, "the fragmented offer was taken: REQUEST for %s" % req.requested_ip)
    mark = len(client.proc.text())
    jumbo = payload(req.xid, resp.chaddr(), ADDR, hostile.lease_options("10.77.0.1") + big)
    resp.send_fragments(jumbo, "jumbo ack in fragments", dst_ip=ADDR)
    client.proc.wait_log(r"Dropped datagram from 10\.77\.0\.1 on the UDP socket: bad-length", 5, mark)
    check_alive(client, c, cif, ADDR)
    log("PASS fragments: a fragmented jumbo OFFER never reached the engine, a reassembled jumbo ACK was named")


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scenario_flood(topo, args):
    def policy(r, m):
        if m.type == "DISCOVER":
            r.reply(m, OFFER, ADDR, "offer", lease=40, t1=4, t2=35)
        elif m.type == "REQUEST":
            r.reply(m, ACK, ADDR, "ack", lease=40, t1=4, t2=35, dst_ip=ADDR if m.ciaddr != "0.0.0.0" else None)

    resp, client, c, cif, mon = start(topo, args, policy)
    client.wait_state("BOUND", 15)
    t_bound = time.time()
    frames = hostile.junk_frames(resp, ADDR, c.mac(cif), resp.messages("REQUEST")[0].xid)
    mark = len(client.proc.text())
    pid = client.proc.pid
    cpu0, w0 = proc_cpu_seconds(pid), time.monotonic()
    sent = resp.flood(frames, pps=10000, seconds=6)
    cpu1, w1 = proc_cpu_seconds(pid), time.monotonic()
    during = client.proc.text()[mark:]
    rate = sent / (w1 - w0)
    cpu = 100.0 * (cpu1 - cpu0) / (w1 - w0)
    log("flood: %d frames in %.1f s (%.0f packets/s); infradhcpd used %.1f %% of one core "
        "(%.2f s CPU)" % (sent, w1 - w0, rate, cpu, cpu1 - cpu0))
    print("FLOOD_CPU_PERCENT=%.1f FLOOD_PPS=%.0f" % (cpu, rate), flush=True)
    check(rate > 5000, "the flood reached only %.0f packets/s (machine too loaded to test)" % rate)
    # A renewal happened inside the flood (T1 = 4 s, every 4 s) and was ACKed.
    renewals = [p for p in resp.messages("REQUEST", since=t_bound) if p.ciaddr == ADDR]
    check(renewals, "no renewal during the flood")
    check_alive(client, c, cif, ADDR)
    removed = [e for e in mon.events() if e[1] == "del"]
    check(not removed, "the address was removed during the flood: %s" % removed)
    # Rate limit: at most a burst per window plus one summary line per window.
    lines = [ln for ln in during.splitlines() if "Ignored DHCP message" in ln or "Dropped" in ln]
    check(len(lines) <= 60, "%d rejection lines in %.0f s of flood: not rate-limited" % (len(lines), w1 - w0))
    client.proc.wait_log(r"Suppressed \d+ messages? about rejected packets", 15, mark)
    log("PASS flood: alive, %d renewals ACKed during the flood, %d rejection lines logged for %d packets" % (
        len(renewals), len(lines), sent))


SCENARIOS = {
    "malformed": scenario_malformed,
    "identity": scenario_identity,
    "leases": scenario_leases,
    "infinite": scenario_infinite,
    "router": scenario_router,
    "renewing": scenario_renewing,
    "fragments": scenario_fragments,
    "flood": scenario_flood,
}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    p.add_argument("--daemon", required=True)
    p.add_argument("--keep-tmp", action="store_true")
    args = p.parse_args()
    netns.require_root()
    with netns.Topology("ho", keep_tmp=args.keep_tmp) as topo:
        resp = None
        try:
            SCENARIOS[args.scenario](topo, args)
        except netns.CheckFailed as e:
            log("FAIL %s: %s" % (args.scenario, e))
            topo.dump_logs()
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
