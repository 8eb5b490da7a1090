#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generates the seed corpora for fuzz-dhcp4-engine, fuzz-dhcp4-acd, fuzz-dhcp4-dna,
fuzz-kube-watch, fuzz-text-parsers and fuzz-varlink (make-corpus.py does the codec targets).

Engine and ACD seeds are scripts in the byte layout their harness documents: each
walks the machine through one scenario (a full DISCOVER/OFFER/REQUEST/ACK exchange
into BOUND, renewal, expiry, NAK, conflict, lost address, commands, link flaps, MAC
change, restart with a refused subnet, stop and start with the persisted lease), so
the fuzzer starts from deep states. The other seeds are realistic inputs (watch
streams, lease/policy/config files, host-agent config, annotations, the agent journal,
opflex files, PlatformConfig notifications, varlink calls and replies) plus one
malformed input per rejection class. Writes files only; the output is committed and
`meson test --suite fuzz-corpus` replays it. Regression inputs are kept: crash-* found
a bug in the code under test, regress-* an invariant of a harness that was too strict.
Run: /usr/bin/python3 tests/fuzz/make-corpus-targets.py
"""

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return bytes([v & 0xFF])


def u16(v):
    return struct.pack("!H", v & 0xFFFF)


def u32(v):
    return struct.pack("!I", v & 0xFFFFFFFF)


# ---- fuzz-dhcp4-engine ------------------------------------------------------------
(E_RAW, E_REPLY, E_TIMEOUT, E_ADVANCE, E_LINK, E_PROBE, E_LOST, E_RELEASE, E_RENEW, E_REBIND,
 E_RESTART, E_SET_MAC, E_STOP, E_START, E_POLICY, E_CONFIRM, E_CONFIGURE_FAILED) = range(17)

# addr_pick selectors: 0 10.0.128.64, 1 10.0.128.65, 2 10.1.0.5, 3 10.2.0.7, 4 0.0.0.0,
# 5 127.0.0.1, 6 255.255.255.255, 7 u32. server_pick: 0 10.0.0.1, 1 10.0.0.2, 2 0, 3 u32.
# lifetime_pick: 0 0, 1 1, 2 10, 3 20, 4 3600, 5 86400, 6 infinite, 7 u32.
OFFER, ACK, NAK = 0, 1, 2
F_SERVER, F_LEASE, F_MASK, F_CID, F_CID_WRONG, F_ROUTERS, F_T1T2, F_ROUTES, F_NAMES, F_MESSAGE, \
    F_MTU, F_XID, F_CHADDR, F_BCAST, F_DNS, F_OP = [1 << i for i in range(16)]


def e_header(flags=0, seed=42, extra=b""):
    return u8(flags) + u32(seed) + extra


def reply(kind, flags, yiaddr=0, server=0, lifetime=4, prefix=16, extra=None):
    """OP_REPLY with operands in flag-bit order (extra: dict flag -> bytes)."""
    extra = extra or {}
    out = u8(E_REPLY) + u8(kind) + u16(flags) + u8(yiaddr)
    if flags & F_SERVER:
        out += u8(server)
    if flags & F_LEASE:
        out += u8(lifetime)
    if flags & F_MASK:
        out += u8(prefix)
    for f in (F_ROUTERS, F_T1T2, F_ROUTES, F_NAMES, F_MESSAGE, F_MTU, F_BCAST, F_DNS):
        if flags & f:
            out += extra[f]
    return out


STD = F_SERVER | F_LEASE | F_MASK | F_CID
TIMEOUT = u8(E_TIMEOUT)


def bound(lifetime=4, flags=STD, extra=None, yiaddr=0):
    return (reply(OFFER, flags, yiaddr=yiaddr, lifetime=lifetime, extra=extra) +
            reply(ACK, flags, yiaddr=yiaddr, lifetime=lifetime, extra=extra) + u8(E_PROBE) + u8(0))


def policy(refuse, require=None):
    """refuse: list of (addr selector, prefixlen); require: same or None."""
    out = u8(len(refuse))
    for sel, plen in refuse:
        out += u8(sel) + u8(plen)
    if require is None:
        return out + u8(0)
    return out + u8(1) + u8(require[0]) + u8(require[1])


def engine_seeds():
    s = {}
    rich = {F_ROUTERS: u8(1) + u8(7) + u32(0x0A000001) + u8(7) + u32(0x0A000002),
            F_T1T2: u32(1000) + u32(3000),
            F_ROUTES: u8(1) + u8(0) + u8(4) + u8(7) + u32(0x0A000001) + u8(16) + u8(7) + u32(0xC0A80000) + u8(4),
            F_NAMES: u8(6) + b"node-1", F_MESSAGE: u8(2) + b"ok", F_MTU: u16(9000),
            F_BCAST: u8(7) + u32(0x0A00FFFF), F_DNS: u8(7) + u32(0x0A000035)}
    all_opts = STD | F_ROUTERS | F_T1T2 | F_ROUTES | F_NAMES | F_MESSAGE | F_MTU | F_BCAST | F_DNS
    s["bound"] = e_header() + bound()
    s["bound-all-options"] = e_header(flags=8, extra=u8(6) + b"node-1") + bound(flags=all_opts, extra=rich)
    s["renew-ack"] = e_header() + bound() + TIMEOUT + reply(ACK, STD) + TIMEOUT
    s["renew-rebind-expire"] = e_header() + bound(lifetime=3) + TIMEOUT * 12
    s["renew-other-address"] = e_header() + bound() + TIMEOUT + reply(ACK, STD, yiaddr=1) + u8(E_PROBE) + u8(0)
    s["infinite-lease"] = e_header() + bound(lifetime=6) + TIMEOUT + u8(E_RENEW) + TIMEOUT * 5
    s["nak-requesting"] = e_header() + reply(OFFER, STD) + reply(NAK, F_SERVER | F_MESSAGE,
                                                                 extra={F_MESSAGE: u8(5) + b"nope!"}) + \
        reply(OFFER, STD) + reply(NAK, F_SERVER) + TIMEOUT
    s["nak-renewing"] = e_header() + bound() + TIMEOUT + reply(NAK, F_SERVER)
    s["request-timeout"] = e_header(flags=16) + reply(OFFER, STD) + TIMEOUT * 3
    s["conflict-decline"] = e_header() + reply(OFFER, STD) + reply(ACK, STD) + u8(E_PROBE) + u8(3) + TIMEOUT + \
        reply(OFFER, STD) + reply(OFFER, STD, yiaddr=1) + reply(ACK, STD, yiaddr=1) + u8(E_PROBE) + u8(0)
    # Bound, the address cannot be configured (twice: the back-off grows), then bound for
    # good; and the command outside BOUND, where it changes nothing.
    s["configure-failed"] = e_header() + u8(E_CONFIGURE_FAILED) + bound() + u8(E_CONFIGURE_FAILED) + TIMEOUT + \
        bound() + u8(E_CONFIGURE_FAILED) + TIMEOUT + bound() + TIMEOUT + reply(ACK, STD)
    s["address-lost"] = e_header() + bound() + u8(E_LOST) + TIMEOUT + reply(OFFER, STD)
    s["commands"] = e_header() + bound() + u8(E_RENEW) + reply(ACK, STD) + u8(E_REBIND) + \
        reply(ACK, STD) + u8(E_RELEASE) + u8(E_RENEW) + u8(E_RELEASE) + u8(E_REBIND) + bound()
    s["restart-refuse"] = e_header() + bound() + u8(E_RESTART) + policy([(0, 16)], (2, 16)) + \
        reply(OFFER, STD) + reply(OFFER, STD, yiaddr=2) + reply(ACK, STD, yiaddr=2) + u8(E_PROBE) + u8(0)
    s["link-flap"] = e_header() + bound() + u8(E_LINK) + u8(0) + u8(E_ADVANCE) + u16(5000) + u8(0) + \
        u8(E_LINK) + u8(1) + reply(ACK, STD) + u8(E_PROBE) + u8(0)
    s["link-down-at-start"] = e_header(flags=32 | 1) + u8(E_LINK) + u8(1) + TIMEOUT + bound()
    s["set-mac-bound"] = e_header() + bound() + u8(E_SET_MAC) + u8(1) + bound() + u8(E_SET_MAC) + u8(2) + bytes(6)
    s["stop-start-persisted"] = e_header() + bound() + u8(E_STOP) + u8(E_ADVANCE) + u16(1000) + u8(0) + \
        u8(E_START) + u8(1) + reply(ACK, STD) + u8(E_PROBE) + u8(0)
    # Remembered lease (flag 64): addr 0, /16, server 0, 3600 s, 10 s old, our client id.
    s["remembered-lease"] = e_header(flags=64, extra=u8(0) + u8(16) + u8(0) + u8(4) + u16(10) + u8(0)) + \
        reply(ACK, STD) + u8(E_PROBE) + u8(0) + TIMEOUT
    s["remembered-silent"] = e_header(flags=64, extra=u8(0) + u8(16) + u8(0) + u8(4) + u16(10) + u8(0)) + \
        TIMEOUT * 3 + bound()
    s["policy-before-start"] = e_header(flags=128 | 64, extra=u8(0) + u8(16) + u8(0) + u8(4) + u16(10) + u8(0) +
                                        policy([(0, 16)])) + reply(OFFER, STD) + reply(OFFER, STD, yiaddr=2)
    s["bad-leases"] = e_header() + reply(OFFER, STD) + reply(ACK, STD, lifetime=0) + \
        reply(ACK, F_SERVER | F_MASK) + reply(ACK, STD, yiaddr=5) + reply(ACK, F_SERVER | F_CID_WRONG | F_LEASE)
    s["wrong-identity"] = e_header() + reply(OFFER, STD | F_XID) + reply(OFFER, STD | F_CHADDR) + \
        reply(OFFER, STD | F_OP) + reply(OFFER, F_SERVER | F_LEASE | F_CID_WRONG)
    s["raw-garbage"] = e_header() + u8(E_RAW) + u16(300) + bytes(300) + u8(E_RAW) + u16(5) + b"\x02\x01\x06\x00x"
    s["confirm-ack"] = e_header() + bound() + u8(E_CONFIRM) + u8(E_CONFIRM) + TIMEOUT + reply(ACK, STD) + \
        TIMEOUT + u8(E_CONFIRM)
    s["confirm-nak-moved"] = e_header() + bound(yiaddr=2) + u8(E_CONFIRM) + reply(NAK, F_SERVER) + \
        reply(OFFER, STD, yiaddr=2) + reply(OFFER, STD) + reply(ACK, STD) + u8(E_PROBE) + u8(0) + u8(E_CONFIRM)
    s["confirm-silent"] = e_header() + bound() + u8(E_CONFIRM) + TIMEOUT * 3 + reply(OFFER, STD) + \
        reply(ACK, STD) + u8(E_PROBE) + u8(0) + u8(E_CONFIRM) + u8(E_LINK) + u8(0) + u8(E_CONFIRM)
    s["decline-backoff"] = e_header() + (reply(OFFER, STD) + reply(ACK, STD) + u8(E_PROBE) + u8(1) + TIMEOUT) * 4
    return s


# ---- fuzz-dhcp4-acd ---------------------------------------------------------------
(A_PROBE, A_ANNOUNCE, A_STOP, A_RAW, A_RECV, A_TIMEOUT, A_ADVANCE, A_SET_MAC, A_OWN) = range(9)
# mac_pick: 0 ours, 1 peer, 2 other, 3 zero, 4 the packet's sha, 5 six bytes, 6 unknown.
# addr_pick: 0 watched, 1 10.0.128.64, 2 10.0.128.65, 3 0.0.0.0, 4 127.0.0.1, 5 u32.
REQ, REP = 0, 1


def a_header(flags=1, seed=7, counts=None):
    out = u8(flags | (4 if counts else 0))
    if counts:
        out += u8(counts[0] - 1) + u8(counts[1])
    return out + u32(seed)


def a_recv(op, sha, spa, tpa, src):
    return u8(A_RECV) + u8(op) + u8(sha) + u8(spa) + u8(tpa) + u8(src)


def arp(op=1, sha=b"\x02\x00\x5e\x99\x00\x01", spa=b"\x0a\x00\x80\x40", tpa=b"\x0a\x00\x80\x40", htype=1,
        ptype=0x0800, hlen=6, plen=4):
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + bytes(6) + tpa


def a_raw(src, data):
    return u8(A_RAW) + u8(src) + u8(len(data)) + data


def acd_seeds():
    s = {}
    T = u8(A_TIMEOUT)
    s["probe-free-announce"] = a_header() + u8(A_PROBE) + u8(1) + T * 5 + u8(A_ANNOUNCE) + u8(1) + T * 3
    s["probe-conflict-reply"] = a_header() + u8(A_PROBE) + u8(1) + T + a_recv(REP, 1, 0, 0, 4)
    s["probe-simultaneous"] = a_header() + u8(A_PROBE) + u8(1) + T + a_recv(REQ, 1, 3, 0, 4)
    s["probe-frame-mismatch"] = a_header() + u8(A_PROBE) + u8(1) + T + a_recv(REQ, 1, 3, 0, 2)
    s["probe-unrelated"] = a_header() + u8(A_PROBE) + u8(1) + a_recv(REQ, 1, 2, 2, 4) + T * 5
    s["defend-then-lost"] = a_header() + u8(A_ANNOUNCE) + u8(1) + T * 2 + a_recv(REP, 1, 0, 0, 4) + \
        a_recv(REQ, 2, 0, 0, 6)
    s["defend-twice-apart"] = a_header() + u8(A_ANNOUNCE) + u8(1) + T * 2 + a_recv(REP, 1, 0, 0, 4) + \
        u8(A_ADVANCE) + u16(20000) + a_recv(REP, 1, 0, 0, 4)
    s["own-mac-echo"] = a_header() + u8(A_PROBE) + u8(1) + T + a_recv(REQ, 0, 3, 0, 0) + \
        u8(A_OWN) + u8(2) + a_recv(REP, 2, 0, 0, 4) + T * 4
    s["set-mac"] = a_header() + u8(A_SET_MAC) + u8(1) + u8(A_PROBE) + u8(2) + T * 2 + a_recv(REQ, 1, 3, 0, 4) + \
        u8(A_SET_MAC) + u8(3)
    s["disabled"] = a_header(flags=0) + u8(A_PROBE) + u8(1) + u8(A_ANNOUNCE) + u8(1) + a_recv(REP, 1, 0, 0, 4)
    s["rfc5227-counts"] = a_header(flags=3, counts=(5, 3)) + u8(A_PROBE) + u8(1) + T * 7 + u8(A_ANNOUNCE) + \
        u8(1) + T * 4
    s["no-announce"] = a_header(counts=(1, 0)) + u8(A_ANNOUNCE) + u8(1) + a_recv(REP, 1, 0, 0, 4) + u8(A_STOP)
    s["bad-addresses"] = a_header() + u8(A_PROBE) + u8(3) + u8(A_PROBE) + u8(4) + u8(A_ANNOUNCE) + u8(5) + \
        u32(0xFFFFFFFF) + u8(A_PROBE) + u8(5) + u32(0xE0000001)
    s["raw-packets"] = a_header() + u8(A_PROBE) + u8(1) + T + a_raw(6, arp(op=2)) + \
        a_raw(4, arp(op=2) + bytes(18)) + a_raw(1, arp()[:27]) + a_raw(1, arp(htype=6)) + \
        a_raw(1, arp(ptype=0x86DD)) + a_raw(1, arp(hlen=8)) + a_raw(1, arp(plen=16)) + a_raw(1, arp(op=3))
    return s


# ---- fuzz-dhcp4-dna ---------------------------------------------------------------
(D_LEASE, D_CLEAR, D_RECV, D_RARP, D_RAW, D_HINT, D_TIMEOUT, D_ADVANCE, D_ABORT, D_SET_MAC) = range(10)
# mac_pick: 0 ours, 1 gw, 2 other, 3 zero, 4 broadcast, 5 six bytes.
# addr_pick: 0 our address, 1 10.0.0.1, 2 10.0.0.30, 3 10.1.0.1, 4 10.1.0.77, 5 0.0.0.0,
# 6 255.255.255.255, 7 u32. Triggers: 1 notify-peers, 2 link-change, 3 announce,
# 4 peer-mac, 5 command (0 periodic and 6 retry are refused).
(TR_NOTIFY, TR_LINK, TR_ANNOUNCE, TR_PEER_MAC, TR_COMMAND) = range(1, 6)


def d_header(flags=1, seed=11, timings=None, extras=None):
    out = u8(flags | (2 if timings else 0) | (4 if extras is not None else 0))
    if timings:
        out += u8(timings[0] - 1) + u8(timings[1] - 1) + u8(timings[2])
    if extras is not None:
        out += u8(len(extras))
        for e in extras:
            out += u8(0) + u32(e) if isinstance(e, int) and e > 255 else u8(e)
    return out + u32(seed)


def d_lease(pod2=False, routers=1, server=0, prefix=None):
    sel = (1 if pod2 else 0) | ((2 | (prefix << 2)) if prefix is not None else 0)
    return u8(D_LEASE) + u8(sel) + u8(routers) + u8(server)


def d_recv(op, sha, spa, tpa=0):
    return u8(D_RECV) + u8(op) + u8(sha) + u8(spa) + u8(tpa)


def d_hint(t):
    return u8(D_HINT) + u8(t)


def dna_seeds():
    s = {}
    T = u8(D_TIMEOUT)
    learned = d_lease() + d_recv(REP, 1, 1)
    s["attached-periodic"] = d_header() + learned + T + d_recv(REP, 1, 1) + T + d_recv(REP, 1, 1)
    s["silence-moved"] = d_header() + learned + T * 4 + d_lease(pod2=True) + d_recv(REP, 2, 3) + T * 2
    s["silence-confirmed"] = d_header() + learned + T * 4 + d_lease() + T * 3
    s["peer-mac-change"] = d_header() + learned + d_hint(TR_LINK) + d_recv(REP, 2, 1) + d_lease() + \
        u8(D_ADVANCE) + u16(300) + d_recv(REQ, 1, 1, 7) + u32(0x0a000005) + T * 2
    s["rarp-announce"] = d_header() + learned + u8(D_ADVANCE) + u16(300) + u8(D_RARP) + u8(3) + u8(0) + u8(0) + \
        d_recv(REP, 1, 1) + u8(D_RARP) + u8(4) + u8(1) + u8(1) + u8(D_RARP) + u8(1) + u8(0) + u8(0)
    s["garp-announce"] = d_header() + learned + u8(D_ADVANCE) + u16(300) + d_recv(REQ, 0, 0, 0) + T * 3 + \
        d_recv(REQ, 0, 0, 1)
    s["flapping"] = d_header() + learned + \
        (d_hint(TR_NOTIFY) + T * 2 + d_lease() + d_recv(REQ, 1, 1, 4)) * 5 + T * 4 + d_recv(REP, 1, 1)
    s["no-peer-hint"] = d_header() + d_lease(routers=0) + T * 2 + d_hint(TR_NOTIFY) + u8(D_ABORT) + T * 2 + \
        d_hint(TR_ANNOUNCE) + d_lease(routers=0)
    s["command"] = d_header() + learned + d_hint(TR_COMMAND) + T + d_hint(TR_COMMAND) + T * 2 + d_hint(0) + \
        d_hint(6) + d_hint(7)
    s["extras-server"] = d_header(extras=[30, 0x0a000063]) + d_lease(routers=3, server=1) + \
        u8(7) + d_recv(REP, 2, 2) + d_recv(REQ, 5, 7) + u32(0x0a000063) + T * 6
    s["timings"] = d_header(timings=(4, 1, 0)) + learned + d_hint(TR_ANNOUNCE) + T * 5 + d_lease() + \
        d_hint(TR_PEER_MAC) + T * 6
    s["clear-and-mac"] = d_header() + learned + d_hint(TR_NOTIFY) + u8(D_CLEAR) + d_hint(TR_NOTIFY) + \
        u8(D_SET_MAC) + u8(2) + learned + u8(D_SET_MAC) + u8(3) + T * 3
    s["prefixes"] = d_header() + d_lease(prefix=0) + d_lease(prefix=32) + d_lease(prefix=24, routers=2) + T * 3
    s["disabled"] = d_header(flags=0) + learned + d_hint(TR_COMMAND) + T
    s["raw"] = d_header() + learned + u8(D_RAW) + u8(0) + u8(28) + arp(op=2, spa=b"\x0a\x00\x00\x01") + \
        u8(D_RAW) + u8(1) + u8(28) + arp(op=3) + u8(D_RAW) + u8(2) + u8(5) + bytes(5) + \
        u8(D_RAW) + u8(0) + u8(10) + bytes(10)
    return s


# ---- fuzz-kube-watch --------------------------------------------------------------
def node_event(kind, rv, name="node-1", extra=None):
    obj = {"kind": "Node", "apiVersion": "v1",
           "metadata": {"name": name, "resourceVersion": rv,
                        "annotations": {"opflex.cisco.com/aci-pod": "pod-1-10.0.0.0/16",
                                        "opflex.cisco.com/node-aci-pod": "pod-1"}}}
    if extra:
        obj.update(extra)
    return json.dumps({"type": kind, "object": obj}).encode()


def kube_seeds():
    s = {}
    stream = b"\n".join([node_event("ADDED", "100"), node_event("MODIFIED", "101"),
                         node_event("BOOKMARK", "102"), node_event("DELETED", "103")]) + b"\n"
    status = json.dumps({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                      "message": "too old resource version", "reason": "Expired",
                                                      "code": 410}}).encode()
    s["stream-whole"] = u8(0) + u8(0) + stream
    s["stream-chunked"] = u8(0) + u8(7) + stream
    s["stream-no-newlines"] = u8(0) + u8(3) + node_event("ADDED", "1") + node_event("MODIFIED", "2")
    s["stream-crlf-spaces"] = u8(0) + u8(9) + b" \r\n\t" + node_event("ADDED", "1") + b"\r\n  \r\n"
    s["error-410"] = u8(0) + u8(5) + node_event("ADDED", "7") + b"\n" + status + b"\n"
    s["limit-64-oversize"] = u8(1) + u8(2) + b'{"type":"ADDED","object":{"metadata":{"resourceVersion":"1"}}}' + \
        b"\n" + node_event("ADDED", "2")
    s["limit-512"] = u8(2) + u8(11) + stream
    s["limit-exact"] = u8(3) + u16(len(node_event("ADDED", "1")) - 1) + u8(13) + node_event("ADDED", "1") + b"\n"
    s["partial-tail"] = u8(0) + u8(4) + node_event("ADDED", "1") + b"\n" + node_event("MODIFIED", "2")[:40]
    bad = {
        "bad-type": b'{"type":"SYNC","object":{"metadata":{"resourceVersion":"1"}}}',
        "bad-no-object": b'{"type":"ADDED"}',
        "bad-object-array": b'{"type":"ADDED","object":[]}',
        "bad-no-rv": b'{"type":"ADDED","object":{"metadata":{}}}',
        "bad-empty-rv": b'{"type":"ADDED","object":{"metadata":{"resourceVersion":""}}}',
        "bad-rv-number": b'{"type":"ADDED","object":{"metadata":{"resourceVersion":5}}}',
        "bad-code-range": b'{"type":"ERROR","object":{"code":1000}}',
        "bad-not-object": b'["ADDED"]',
        "bad-null": b"null",
        "bad-number": b"12345 ",
        "bad-utf8": b'{"type":"ADDED","object":{"metadata":{"resourceVersion":"\xff"}}}',
        "bad-trailing-comma": b'{"type":"ADDED","object":{"metadata":{"resourceVersion":"1"},}}',
        "bad-depth": b'{"type":"ADDED","object":' + b'{"a":' * 70 + b"1" + b"}" * 71,
        "bad-garbage": b"HTTP/1.1 500 Internal Server Error\r\n",
    }
    for name, body in bad.items():
        s[name] = u8(0) + u8(1) + node_event("ADDED", "1") + b"\n" + body
    return s


# ---- fuzz-text-parsers ------------------------------------------------------------
LEASE = b"""# infradhcp lease file (generated; do not edit)
ADDRESS=10.0.128.64
PREFIXLEN=16
SERVER_ADDRESS=10.0.0.1
BROADCAST=10.0.255.255
ROUTER=10.0.0.1 10.0.0.2
DNS=10.0.0.53
ROUTES=0.0.0.0/0,10.0.0.1 10.1.0.0/16,0.0.0.0
MTU=9000
HOSTNAME=node-1
DOMAINNAME=example.com
LIFETIME=604800
T1=302400
T2=529200
CLIENTID=01:52:54:00:12:34:56
ACQUIRED_REALTIME_USEC=1757230000000000
"""

LEASE_MIN = b"""ADDRESS=10.0.128.64
PREFIXLEN=16
SERVER_ADDRESS=10.0.0.1
LIFETIME=infinity
CLIENTID=01:52:54:00:12:34:56
ACQUIRED_REALTIME_USEC=1757230000000000
"""

CONFIG = b"""# /etc/infradhcp/ens192.4093.conf
[DHCPv4]
Hostname=node-1
RequestBroadcast=no
RemoveForeignAddresses=yes

[Timing]
InitialDelaySec=0
RetransmitInitialSec=500ms
RetransmitMaxSec=16s
RetransmitJitterSec=100ms
RebootTimeoutSec=2s
RequestMaxAttempts=4
RenewRetransmitMinSec=10s
DeclineBackoffInitialSec=1s
DeclineBackoffMaxSec=1min
DeclineQuarantineSec=600

[Routes]
UseGateway=yes
UseRoutes=yes
RouteMetric=1024
MulticastRoute=yes
MulticastRouteMetric=401
MulticastRoutePrefix=224.0.0.0/4

[ACD]
Enabled=yes
Profile=rfc5227
ProbeNum=4
AnnounceNum=2
ProbeMinSec=1s
ProbeMaxSec=2s
"""

HOST_AGENT = json.dumps({
    "log-level": "info", "aci-multipod": True, "enable-opflex-agent-reconnect": True,
    "dhcp-renew-max-retry-count": 10, "dhcp-delay": 5, "aci-infra-vlan": 4093, "encap-type": "vxlan",
    "opflex-config-path": "/usr/local/etc/opflex-agent-ovs/base-conf.d", "service-vlan": 4003,
}, indent=2).encode() + b"\n"

JOURNAL = b"""{
  "version": 1,
  "lastPod": "pod-1-10.0.0.0/16",
  "decision": "migrating",
  "lastNodePod": "pod-1",
  "opflexAddress": "10.0.128.64/16",
  "migration": {
    "kind": "away",
    "from": "pod-1-10.0.0.0/16",
    "to": "none",
    "pool": "10.0.0.0/16",
    "poolPod": "pod-1-10.0.0.0/16",
    "oldAddress": "10.0.128.64/16",
    "started": 1757230000000000,
    "released": 1757230001000000,
    "calls": 2,
    "failures": 1,
    "result": "retrying",
    "events": [
      "MigrationStarted"
    ],
    "error": "ReleaseAndRenew: timed out"
  },
  "lastMigration": {
    "kind": "into",
    "from": "pod-1-10.0.0.0/16",
    "to": "pod-2-10.1.0.0/16",
    "pool": "10.1.0.0/16",
    "poolPod": "pod-2-10.1.0.0/16",
    "oldAddress": "10.0.128.64/16",
    "newAddress": "10.1.0.5/16",
    "started": 1757230000000000,
    "released": 1757230001000000,
    "bound": 1757230002000000,
    "filesWritten": 1757230003000000,
    "finished": 1757230004000000,
    "calls": 2,
    "failures": 1,
    "result": "succeeded",
    "events": [
      "MigrationStarted",
      "MigrationSucceeded"
    ],
    "error": "ReleaseAndRenew: timed out",
    "durationMs": 4000
  }
}
"""

BASE_CONF = json.dumps({"log": {"level": "info"}, "opflex": {
    "name": "node-1", "domain": "comp/prov-Kubernetes/ctrlr-[kube]-kube/sw-InsiemeLSOid",
    "peers": [{"hostname": "10.0.0.30", "port": "8009"}], "ssl": {"mode": "encrypted"},
    "inspector": {"enabled": True}}}, indent=4).encode() + b"\n"
RENDERER_CONF = json.dumps({"renderers": {"stitched-mode": {
    "int-bridge-name": "br-int", "access-bridge-name": "br-access",
    "encap": {"vxlan": {"encap-iface": "vxlan0", "uplink-iface": "eth0.4093", "uplink-vlan": 4093,
                        "remote-ip": "10.0.0.32", "remote-port": 8472}},
    "flowid-cache-dir": "/usr/local/var/lib/opflex-agent-ovs/ids"}}}, indent=4).encode() + b"\n"


DHCLIENT_LEASES = (b'lease {\n  interface "eth1";\n  fixed-address 192.168.1.5;\n'
                   b'  option domain-name "a \\"b\\" {c};";\n  renew 5 2099/01/02 03:04:05;\n'
                   b'  rebind epoch 4102444800;\n  expire never;\n}\n'
                   b'lease {\n  interface "eth0.4093";\n  fixed-address 10.0.128.64;\n'
                   b'  renew 0 2025/09/07 10:03:50;\n  rebind 3 2025/09/10 13:39:35;\n'
                   b'  expire 4 2025/09/11 10:39:35;\n}\n')


def notification(events):
    return json.dumps({"uuid": "d6c0e2c4", "events": events}).encode()


def text_seeds():
    s = {}
    T = lambda i, t: u8(i) + t  # noqa: E731
    s["lease-full"] = T(0, LEASE)
    s["lease-minimal"] = T(0, LEASE_MIN)
    s["lease-escaped-names"] = T(0, LEASE_MIN + b"HOSTNAME=a\\x20b\\x5c\nDOMAINNAME=x\\x7f.example\n")
    s["lease-bad-truncated"] = T(0, LEASE[:-1])
    s["lease-bad-duplicate"] = T(0, LEASE + b"MTU=1500\n")
    s["lease-bad-missing"] = T(0, LEASE_MIN.replace(b"CLIENTID", b"CLIENT"))
    s["lease-bad-nul"] = T(0, LEASE_MIN + b"X=\0\n")
    s["lease-bad-route"] = T(0, LEASE_MIN + b"ROUTES=10.1.0.1/16,0.0.0.0\n")
    boot = b"BOOT_ID=0f6c3a1e-8d2b-4c55-9b1a-2f0e7d6c5b4a\nACQUIRED_BOOTTIME_USEC=5000000000\n"
    s["lease-boot-stamp"] = T(0, LEASE + boot)
    s["lease-bad-boot-id"] = T(0, LEASE_MIN + boot.replace(b"0f6c", b"0F6C"))
    s["lease-bad-boot-half"] = T(0, LEASE_MIN + boot.split(b"\n")[0] + b"\n")
    s["policy"] = T(1, b"# infradhcp offer policy (generated; do not edit)\nREFUSE=10.1.0.0/16 10.2.0.0/16\n"
                       b"REQUIRE=10.0.0.0/16\n")
    s["policy-require-only"] = T(1, b"REQUIRE=10.0.0.0/16\nFUTURE=1\n")
    s["policy-bad-prefix"] = T(1, b"REFUSE=10.1.0.0/33\n")
    s["policy-bad-too-many"] = T(1, b"REFUSE=" + b" ".join(b"10.%d.0.0/16" % i for i in range(17)) + b"\n")
    s["config-full"] = T(2, CONFIG)
    s["config-empty-values"] = T(2, b"[Timing]\nRetransmitInitialSec=\n[ACD]\nProfile=datacenter\nEnabled=no\n")
    s["config-bad-key"] = T(2, b"[DHCPv4]\nFoo=bar\n")
    s["config-bad-contradiction"] = T(2, b"[Timing]\nRetransmitInitialSec=20s\n")
    s["config-bad-section"] = T(2, b"[Network]\nDHCP=yes\n")
    s["agent-config"] = T(3, HOST_AGENT)
    s["agent-config-vlan"] = T(3, b'{"encap-type":"vlan","aci-infra-vlan":1,"dhcp-delay":null}\n')
    s["agent-config-bad-range"] = T(3, b'{"dhcp-renew-max-retry-count":101}')
    s["agent-config-bad-type"] = T(3, b'{"aci-multipod":"true"}')
    s["agent-config-bad-path"] = T(3, b'{"opflex-config-path":"relative/dir"}')
    s["agent-config-bad-trailing"] = T(3, b'{} {}')
    for i, v in enumerate([b"pod-1-10.0.0.0/16", b"none", b"pod-4294967295-255.255.255.255/32",
                           b"pod-2-10.1.2.3/8", b"pod-1-10.0.0.0/0", b"pod-01-10.0.0.0/16", b"pod-1",
                           b"pod-4294967296-10.0.0.0/16", b"pod-1-010.0.0.0/16"]):
        s["aci-pod-%d" % i] = T(4, v)
    for i, v in enumerate([b"pod-1", b"none", b"pod-", b"pod-1-10.0.0.0/16", b"Pod-1"]):
        s["node-aci-pod-%d" % i] = T(5, v)
    s["journal"] = T(6, JOURNAL)
    s["journal-minimal"] = T(6, b'{"version":1}\n')
    s["journal-bad-version"] = T(6, b'{"version":2}')
    s["journal-bad-decision"] = T(6, b'{"version":1,"decision":"maybe"}')
    s["opflex-base"] = T(7, BASE_CONF)
    s["opflex-renderer"] = T(7, RENDERER_CONF)
    s["opflex-base-other-peer"] = T(7, BASE_CONF.replace(b"10.0.0.30", b"10.1.0.30"))
    s["opflex-renderer-other-ip"] = T(7, RENDERER_CONF.replace(b"10.0.0.32", b"10.1.0.32"))
    s["opflex-bad-opflex-type"] = T(7, b'{"opflex":[]}')
    s["opflex-bad-trailing"] = T(7, BASE_CONF + b"x")
    # now is 1757230000 s = 2025-09-07T07:26:40Z; max age 120 s.
    s["platformconfig-yes"] = T(8, notification([{"state": "deleted", "subject": "PlatformConfig",
                                                  "timestamp": "2025-09-07T07:25:40.123Z"}]))
    s["platformconfig-future"] = T(8, notification([{"state": "deleted", "timestamp": "2025-09-07T07:27:40.5Z"}]))
    s["platformconfig-old"] = T(8, notification([{"state": "deleted", "timestamp": "2025-09-07T07:00:00Z"}]))
    s["platformconfig-two"] = T(8, notification([{"state": "deleted", "timestamp": "2025-09-07T07:26:00Z"}] * 2))
    s["platformconfig-created"] = T(8, notification([{"state": "created", "timestamp": "2025-09-07T07:26:00Z"}]))
    s["platformconfig-bad-ts"] = T(8, notification([{"state": "deleted", "timestamp": "2025-02-29T07:26:00Z"}]))
    s["timestamp"] = T(8, b"2024-02-29T23:59:60.123456789Z")
    # The file at the dhclient export path before an update (issue 10).
    s["dhclient-leases"] = T(9, DHCLIENT_LEASES)
    s["dhclient-leases-ours"] = T(9, DHCLIENT_LEASES.replace(b'"eth1"', b'"eth0.4093"'))
    s["dhclient-leases-nested"] = T(9, b'default-duid "\\000\\001";\nlease6 {\n  interface "eth0.4093";\n'
                                       b'  ia-na 1a:2b { iaaddr 2001:db8::1 { max-life 100; } }\n}\n')
    s["dhclient-leases-bad-open"] = T(9, b'lease {\n  interface "eth0.4093";\n')
    s["dhclient-leases-bad-string"] = T(9, b'lease {\n  interface "eth0.4093;\n}\n')
    s["dhclient-leases-empty"] = T(9, b"")
    return s


# ---- fuzz-varlink -----------------------------------------------------------------
def call(method, params=None, **flags):
    m = {"method": method}
    if params is not None:
        m["parameters"] = params
    m.update(flags)
    return json.dumps(m).encode() + b"\0"


def varlink_seeds():
    s = {}
    S = lambda b: u8(0) + b  # noqa: E731
    C = lambda b: u8(1) + b  # noqa: E731
    s["server-echo"] = S(call("io.fuzz.Test.Echo", {"x": [1, "a", None]}))
    s["server-pipelined"] = S(call("io.fuzz.Test.Echo", {}) + call("io.fuzz.Test.Stream", {"n": 1}, more=True) +
                              call("io.fuzz.Test.Stream") + call("io.fuzz.Test.Fail") + call("io.fuzz.Test.Error",
                                                                                            {"why": "x"}) +
                              call("io.fuzz.Test.Invalid") + call("io.fuzz.Test.Priv") +
                              call("io.fuzz.Test.NoHandler") + call("io.fuzz.Test.Echo", oneway=True))
    s["server-service"] = S(call("org.varlink.service.GetInfo") +
                            call("org.varlink.service.GetInterfaceDescription", {"interface": "io.fuzz.Test"}) +
                            call("org.varlink.service.GetInterfaceDescription", {"interface": "io.nope"}))
    s["server-not-found"] = S(call("io.nope.Method") + call("io.fuzz.Test.Nope") + call("nodot") + call(".x") +
                              call("io.fuzz.Test."))
    s["server-embedded-nul"] = S(b'{"method":"io.fuzz.Test.Echo\\u0000x"}\0')
    s["server-bad-more-oneway"] = S(call("io.fuzz.Test.Echo", more=True, oneway=True))
    s["server-bad-upgrade"] = S(call("io.fuzz.Test.Echo", upgrade=True))
    s["server-bad-json"] = S(b'{"method":\0')
    s["server-bad-not-object"] = S(b'["io.fuzz.Test.Echo"]\0')
    s["server-bad-params"] = S(b'{"method":"io.fuzz.Test.Echo","parameters":[]}\0')
    s["server-bad-flag-type"] = S(b'{"method":"io.fuzz.Test.Echo","more":1}\0')
    s["server-partial-tail"] = S(call("io.fuzz.Test.Echo") + b'{"method":"io.fu')
    s["server-trailing-data"] = S(b'{"method":"io.fuzz.Test.Echo"} x\0')
    s["client-replies"] = C(b'{"parameters":{"a":1}}\0{"parameters":{},"continues":true}\0{}\0'
                            b'{"error":"io.fuzz.Test.Oops","parameters":{"x":1}}\0')
    s["client-error-continues"] = C(b'{"error":"x","continues":true}\0')
    s["client-bad-json"] = C(b'{"parameters":\0')
    s["client-bad-params"] = C(b'{"parameters":5}\0')
    s["client-bad-error"] = C(b'{"error":5}\0')
    s["client-no-nul"] = C(b'{"parameters":{}}')
    return s


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for old in os.listdir(directory):
        if old.endswith(".bin") and not old.startswith(("crash-", "regress-")):
            os.unlink(os.path.join(directory, old))  # regression inputs are kept
    for name, data in sorted(seeds.items()):
        with open(os.path.join(directory, name + ".bin"), "wb") as f:
            f.write(data)


def main():
    corpus = os.path.join(HERE, "corpus")
    targets = {
        "fuzz-dhcp4-engine": engine_seeds(),
        "fuzz-dhcp4-acd": acd_seeds(),
        "fuzz-dhcp4-dna": dna_seeds(),
        "fuzz-kube-watch": kube_seeds(),
        "fuzz-text-parsers": text_seeds(),
        "fuzz-varlink": varlink_seeds(),
    }
    for name, seeds in targets.items():
        write(os.path.join(corpus, name), seeds)
        print("%s: %d seeds" % (name, len(seeds)), file=sys.stderr)


if __name__ == "__main__":
    main()
