# SPDX-License-Identifier: LGPL-2.1-or-later
"""A scripted, hostile DHCP "server" for the `hostile` suite (test_hostile.py).

It is not a DHCP server: it answers each client message with whatever the scenario
asks for, byte for byte (truncated or overloaded option areas, zero-length options,
bad masks, wrong xids, spoofed server identifiers, FORCERENEW, jumbo fragments, junk
at 10,000 packets/s). Frames are built with scapy (Ethernet/IPv4/UDP, checksums,
fragmentation); DHCP payloads are built here by hand so that they can be malformed in
exactly one way each.

The sockets live in the server namespace: the test process enters it with setns(2)
just long enough to open them (a socket stays in the namespace it was created in),
so the scenario logic, the responder and the checks share one process and one clock.
"""

import ctypes
import os
import random
import socket
import struct
import threading
import time

import netns

from scapy.layers.inet import IP, UDP, fragment  # noqa: E402  (python3-scapy, Debian)
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

CLONE_NEWNET = 0x40000000
MAGIC = b"\x63\x82\x53\x63"
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
PACKET_OUTGOING = 4

# Message types (RFC 2132 §9.6, RFC 3203)
OFFER, ACK, NAK, FORCERENEW = 2, 5, 6, 9

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: %s" % os.strerror(e))


def in_netns(ns_name, fn):
    """Calls fn() with this thread inside the named network namespace."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/%s" % ns_name, os.O_RDONLY)
    try:
        _setns(target)
        try:
            return fn()
        finally:
            _setns(own)
    finally:
        os.close(target)
        os.close(own)


def ip4(s):
    return socket.inet_aton(s)


def opt(code, data):
    """One option: code, length, data (data may be any length up to 255)."""
    if isinstance(data, int):
        data = bytes([data])
    return bytes([code, len(data)]) + data


def u32(v):
    return struct.pack("!I", v & 0xFFFFFFFF)


def payload(msg_xid, chaddr, yiaddr="0.0.0.0", options=b"", op=2, htype=1, hlen=6, ciaddr="0.0.0.0",
            siaddr="0.0.0.0", sname=b"", file=b"", cookie=MAGIC, end=True, pad_to=300):
    """A BOOTP/DHCP payload: fixed header, cookie, `options` (raw bytes), END unless
    end=False, padded to pad_to bytes (0 = no padding)."""
    hdr = struct.pack("!BBBBIHH", op, htype, hlen, 0, msg_xid, 0, 0)
    hdr += ip4(ciaddr) + ip4(yiaddr) + ip4(siaddr) + ip4("0.0.0.0")
    hdr += chaddr.ljust(16, b"\0")
    hdr += sname[:64].ljust(64, b"\0") + file[:128].ljust(128, b"\0")
    body = hdr + cookie + options + (b"\xff" if end else b"")
    if pad_to and len(body) < pad_to:
        body = body.ljust(pad_to, b"\0")
    return body


def lease_options(server_id, lease=3600, mask="255.255.255.0", t1=None, t2=None, msg_type=ACK, extra=b""):
    o = opt(53, msg_type)
    if server_id is not None:
        o += opt(54, ip4(server_id))
    if lease is not None:
        o += opt(51, u32(lease))
    if t1 is not None:
        o += opt(58, u32(t1))
    if t2 is not None:
        o += opt(59, u32(t2))
    if mask is not None:
        o += opt(1, ip4(mask))
    return o + extra


# Classic BPF: IPv4, UDP, not a fragment, destination port 67 (what a server hears).
_BPF_TO_PORT_67 = [
    (0x28, 0, 0, 12), (0x15, 0, 8, ETH_P_IP),       # ldh [12]; jeq IPv4
    (0x30, 0, 0, 23), (0x15, 0, 6, 17),             # ldb [23]; jeq UDP
    (0x28, 0, 0, 20), (0x45, 4, 0, 0x1FFF),         # ldh [20]; jset fragment offset -> drop
    (0xB1, 0, 0, 14),                               # ldxb 4*([14]&0xf)
    (0x48, 0, 0, 16), (0x15, 0, 1, 67),             # ldh [x+16]; jeq 67
    (0x06, 0, 0, 0x40000), (0x06, 0, 0, 0),         # accept / drop
]


def _attach_bpf(sock, prog):
    buf = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    fb = ctypes.create_string_buffer(buf)
    fprog = struct.pack("HL", len(prog), ctypes.addressof(fb))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    return fb  # keep alive until attached (the kernel copies it; belt and braces)


class Responder:
    """Listens for client messages on the server side of the veth and answers each
    with `policy(responder, msg)`, a function that sends what it likes. Every client
    message is kept in `received` (netns.DhcpPacket, time = time.time())."""

    def __init__(self, ns, ifname, server_ip="10.77.0.1", prefixlen=24):
        self.ns, self.ifname = ns, ifname
        self.server_ip = server_ip
        ns.ip("addr", "add", "%s/%d" % (server_ip, prefixlen), "dev", ifname)
        self.mac = ns.mac(ifname)
        self.received = []
        self.sent = []   # (time, description)
        self.policy = None
        self.client_mac = None
        self._lock = threading.Lock()
        self._stop = False

        def open_sockets():
            rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
            self._bpf = _attach_bpf(rx, _BPF_TO_PORT_67)
            rx.bind((ifname, ETH_P_IP))
            rx.settimeout(0.2)
            tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: receives nothing
            tx.bind((ifname, 0))
            # The client's unicast to the server (RENEWING, RELEASE) must not draw an
            # ICMP port unreachable from this namespace's kernel: hold port 67.
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            udp.bind(("0.0.0.0", 67))
            return rx, tx, udp
        self.rx, self.tx, self.udp = in_netns(ns.name, open_sockets)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def close(self):
        self._stop = True
        self._thread.join(2)
        for s in (self.rx, self.tx, self.udp):
            s.close()

    # -- receiving -------------------------------------------------------------------

    def _loop(self):
        while not self._stop:
            try:
                frame, addr = self.rx.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            pkt = _decode(frame)
            if pkt is None or not pkt.from_client:
                continue
            pkt.time = time.time()
            with self._lock:
                self.received.append(pkt)
                self.client_mac = self.client_mac or pkt.chaddr
            if self.policy:
                try:
                    self.policy(self, pkt)
                except Exception as e:  # a scenario bug must show, not hang the test
                    netns.log("responder policy failed: %r" % e)

    def messages(self, type=None, since=0.0):
        with self._lock:
            return [p for p in self.received if p.time >= since and (type is None or p.type == type)]

    def wait(self, type, timeout, since=0.0, what=None):
        return netns.wait_for(lambda: self.messages(type, since), timeout, what or "a %s from the client" % type)

    # -- sending ---------------------------------------------------------------------

    def frame(self, dhcp, dst_ip="255.255.255.255", dst_mac=None, src_ip=None, sport=67, dport=68):
        dst_mac = dst_mac or ("ff:ff:ff:ff:ff:ff" if dst_ip == "255.255.255.255" else self.client_mac)
        return (Ether(src=self.mac, dst=dst_mac) / IP(src=src_ip or self.server_ip, dst=dst_ip) /
                UDP(sport=sport, dport=dport) / Raw(dhcp))

    def send(self, dhcp, what, **kw):
        """Sends one DHCP payload (broadcast by default); `what` goes into the sent log."""
        self.tx.send(bytes(self.frame(dhcp, **kw)))
        self.sent.append((time.time(), what))

    def send_fragments(self, dhcp, what, fragsize=1400, **kw):
        """Sends the payload as IPv4 fragments (a jumbo datagram in pieces)."""
        pkt = self.frame(dhcp, **kw)
        eth = pkt[Ether]
        for f in fragment(pkt[IP], fragsize=fragsize):
            self.tx.send(bytes(Ether(src=eth.src, dst=eth.dst) / f))
        self.sent.append((time.time(), what))

    def chaddr(self):
        return bytes.fromhex(self.client_mac.replace(":", ""))

    def reply(self, msg, msg_type, yiaddr, what, server_id=None, lease=3600, mask="255.255.255.0",
              t1=None, t2=None, extra=b"", xid=None, chaddr=None, **kw):
        """A well-formed reply to `msg` (same xid and chaddr unless given) with the
        lease options; server_id defaults to ours (pass False for none)."""
        sid = self.server_ip if server_id is None else (server_id or None)
        opts = lease_options(sid, lease=lease if msg_type != NAK else None,
                             mask=mask if msg_type != NAK else None, t1=t1, t2=t2, msg_type=msg_type,
                             extra=extra)
        body = payload(msg.xid if xid is None else xid, chaddr or self.chaddr(), yiaddr=yiaddr, options=opts)
        self.send(body, what, **kw)

    def flood(self, frames, pps, seconds):
        """Sends `frames` round-robin at about `pps` packets/s for `seconds`; returns
        the number sent. Paced in 1 ms slots so the rate is steady, not bursty."""
        n, start = 0, time.monotonic()
        per_slot = max(1, pps // 1000)
        end = start + seconds
        i = 0
        while True:
            now = time.monotonic()
            if now >= end:
                break
            due = int((now - start) * pps)
            while n < due:
                for _ in range(per_slot):
                    try:
                        self.tx.send(frames[i % len(frames)])
                    except BlockingIOError:
                        pass
                    i += 1
                    n += 1
            time.sleep(0.0005)
        self.sent.append((time.time(), "flood of %d frames" % n))
        return n


def _decode(frame):
    if len(frame) < 14 + 20 + 8:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype != ETH_P_IP:
        return None
    l3 = frame[14:]
    ihl = (l3[0] & 0xF) * 4
    if l3[9] != 17 or len(l3) < ihl + 8:
        return None
    sport, dport, ulen = struct.unpack("!HHH", l3[ihl:ihl + 6])
    try:
        return netns.DhcpPacket(0.0, netns.mac_str(frame[6:12]), netns.mac_str(frame[0:6]),
                                netns._ip(l3[12:16]), netns._ip(l3[16:20]), sport, dport,
                                l3[ihl + 8:ihl + ulen])
    except (ValueError, struct.error):
        return None


def junk_frames(responder, target_ip, target_mac, xid_hint, count=256, seed=12):
    """Frames for the flood, all to port 68 of the client: random bytes, BOOTREPLYs with
    random xids, truncated option areas, replies for another chaddr, bad cookies; half
    unicast to the leased address, half broadcast. Prebuilt: the flood is then a loop
    of send() calls."""
    rnd = random.Random(seed)
    other = bytes([0x02, 0x66, 0, 0, 0, 1])
    out = []
    for i in range(count):
        k = i % 6
        if k == 0:
            body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 600)))
        elif k == 1:
            body = payload(rnd.getrandbits(32), responder.chaddr(), yiaddr=target_ip,
                           options=lease_options(responder.server_ip))
        elif k == 2:
            body = payload(xid_hint, responder.chaddr(), yiaddr=target_ip,
                           options=opt(53, ACK) + bytes([51, 4, 0]), end=False, pad_to=0)
        elif k == 3:
            body = payload(xid_hint, other, yiaddr=target_ip, options=lease_options(responder.server_ip))
        elif k == 4:
            body = payload(xid_hint, responder.chaddr(), yiaddr=target_ip, cookie=b"\x00\x00\x00\x00",
                           options=lease_options(responder.server_ip))
        else:
            body = payload(xid_hint, responder.chaddr(), options=opt(53, NAK) + opt(54, ip4("10.77.0.66")))
        if i % 2 == 0:
            f = responder.frame(body, dst_ip=target_ip, dst_mac=target_mac)
        else:
            f = responder.frame(body)
        out.append(bytes(f))
    return out
