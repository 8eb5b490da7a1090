#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generates the seed corpora for fuzz-dhcp4-message and fuzz-dhcp4-packet.

Seeds are DHCPv4 payloads laid out the way real servers lay them out (dnsmasq, Kea
and ISC dhcpd option order, option 61 echo, padding to 300 bytes), messages that use
option overload (RFC 2131 §4.1) and RFC 3396 split options, option 121 (RFC 3442)
edge cases, the client's own DISCOVER/REQUEST/RELEASE, and one malformed seed per
rejection class. Packet seeds wrap payloads in IPv4/UDP with correct checksums, plus
one broken datagram per framing check. This script writes files only; the output is
committed, and `meson test` replays it. Run: /usr/bin/python3 tests/fuzz/make-corpus.py
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MAC = bytes([0x02, 0x00, 0x5E, 0x10, 0x20, 0x30])
CLIENT_ID = b"\x01" + MAC
XID = 0x12345678
COOKIE = b"\x63\x82\x53\x63"


def ip(s):
    return bytes(int(x) for x in s.split("."))


def opt(code, data):
    """One option instance; data longer than 255 bytes is split (RFC 3396)."""
    if len(data) == 0:
        return bytes([code, 0])
    out = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += bytes([code, len(chunk)]) + chunk
    return out


def u8(v):
    return bytes([v])


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def routes(entries):
    """RFC 3442 encoding of (destination, prefixlen, gateway) tuples."""
    out = b""
    for dst, plen, gw in entries:
        sig = (plen + 7) // 8
        out += bytes([plen]) + ip(dst)[:sig] + ip(gw)
    return out


def message(op=2, options=b"", end=True, yiaddr="0.0.0.0", siaddr="0.0.0.0", ciaddr="0.0.0.0",
            sname=b"", file=b"", xid=XID, mac=MAC, htype=1, hlen=6, cookie=COOKIE, pad=300,
            flags=0, secs=0):
    hdr = struct.pack("!BBBBIHH", op, htype, hlen, 0, xid, secs, flags)
    hdr += ip(ciaddr) + ip(yiaddr) + ip(siaddr) + ip("0.0.0.0")
    hdr += mac + bytes(10)
    hdr += sname.ljust(64, b"\0")[:64]
    hdr += file.ljust(128, b"\0")[:128]
    assert len(hdr) == 236
    body = hdr + cookie + options + (b"\xff" if end else b"")
    if len(body) < pad:
        body += bytes(pad - len(body))
    return body


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def packet(payload, src="10.0.0.1", dst="255.255.255.255", sport=67, dport=68, ip_options=b"",
           udp_csum=True, frag=0, proto=17, tot_len_delta=0, bad_ip_csum=False, bad_udp_csum=False,
           trailer=b""):
    udp_len = 8 + len(payload)
    pseudo = ip(src) + ip(dst) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    c = checksum(pseudo + udp) if udp_csum else 0
    if udp_csum and c == 0:
        c = 0xFFFF
    if bad_udp_csum:
        c ^= 0x0101
    udp = udp[:6] + u16(c) + udp[8:]
    ihl = (20 + len(ip_options)) // 4
    tot = 4 * ihl + len(udp) + tot_len_delta
    h = struct.pack("!BBHHHBBH", 0x40 | ihl, 0xC0, tot, 0, frag, 64, proto, 0) + ip(src) + ip(dst)
    h += ip_options
    c = checksum(h)
    if bad_ip_csum:
        c ^= 0x0001
    h = h[:10] + u16(c) + h[12:]
    return h + udp + trailer


def server_options(kind, msgtype, lease=3600):
    """Option sets in the order each server emits them."""
    if kind == "dnsmasq":
        return (opt(53, u8(msgtype)) + opt(54, ip("10.0.0.1")) + opt(51, u32(lease)) +
                opt(58, u32(lease // 2)) + opt(59, u32(lease * 7 // 8)) + opt(1, ip("255.255.255.0")) +
                opt(28, ip("10.0.0.255")) + opt(3, ip("10.0.0.1")) + opt(6, ip("10.0.0.53")) +
                opt(15, b"infra.example") + opt(12, b"node-1") + opt(61, CLIENT_ID))
    if kind == "kea":
        return (opt(53, u8(msgtype)) + opt(54, ip("10.0.0.2")) + opt(51, u32(lease)) +
                opt(1, ip("255.255.240.0")) + opt(3, ip("10.0.0.1") + ip("10.0.0.2")) +
                opt(6, ip("10.0.0.53") + ip("10.0.1.53")) + opt(15, b"kube.example") +
                opt(26, u16(9000)) + opt(121, routes([("0.0.0.0", 0, "10.0.0.1"),
                                                       ("192.168.0.0", 16, "10.0.0.2")])) +
                opt(58, u32(lease // 2)) + opt(59, u32(lease * 7 // 8)) + opt(61, CLIENT_ID))
    if kind == "isc":
        return (opt(53, u8(msgtype)) + opt(54, ip("10.0.0.3")) + opt(51, u32(lease)) +
                opt(1, ip("255.255.255.0")) + opt(3, ip("10.0.0.1")) + opt(6, ip("10.0.0.53")) +
                opt(15, b"isc.example") + opt(12, b"node-1\0") + opt(28, ip("10.0.0.255")))
    raise ValueError(kind)


def message_seeds():
    s = {}
    for kind in ("dnsmasq", "kea", "isc"):
        for name, t in (("offer", 2), ("ack", 5)):
            s["%s-%s" % (name, kind)] = message(options=server_options(kind, t), yiaddr="10.0.0.42",
                                                siaddr="10.0.0.1")
    s["nak-dnsmasq"] = message(options=opt(53, u8(6)) + opt(54, ip("10.0.0.1")) +
                               opt(56, b"wrong address") + opt(61, CLIENT_ID))
    s["nak-kea"] = message(options=opt(53, u8(6)) + opt(54, ip("10.0.0.2")) +
                           opt(56, b"address not available\x01"))
    s["ack-short-lease"] = message(options=server_options("dnsmasq", 5, lease=20), yiaddr="10.0.0.42")
    s["ack-infinite-lease"] = message(options=opt(53, u8(5)) + opt(54, ip("10.0.0.1")) +
                                      opt(51, u32(0xFFFFFFFF)) + opt(1, ip("255.255.255.0")),
                                      yiaddr="10.0.0.42")

    # Client messages (BOOTREQUEST), as the daemon sends them.
    prl = opt(55, bytes([1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 121]))
    s["discover"] = message(op=1, secs=1, flags=0x8000, options=opt(53, u8(1)) + opt(61, CLIENT_ID) +
                            opt(57, u16(576)) + prl)
    s["request-selecting"] = message(op=1, secs=2, options=opt(53, u8(3)) + opt(61, CLIENT_ID) +
                                     opt(50, ip("10.0.0.42")) + opt(54, ip("10.0.0.1")) +
                                     opt(57, u16(576)) + prl + opt(12, b"node-1"))
    s["request-renewing"] = message(op=1, secs=1, ciaddr="10.0.0.42",
                                    options=opt(53, u8(3)) + opt(61, CLIENT_ID) + prl)
    s["release"] = message(op=1, ciaddr="10.0.0.42",
                           options=opt(53, u8(7)) + opt(54, ip("10.0.0.1")) + opt(61, CLIENT_ID))
    s["decline"] = message(op=1, options=opt(53, u8(4)) + opt(50, ip("10.0.0.42")) +
                           opt(54, ip("10.0.0.1")) + opt(61, CLIENT_ID))
    s["inform"] = message(op=1, ciaddr="10.0.0.42", options=opt(53, u8(8)) + prl)

    # Overload (option 52): options, then file, then sname.
    s["overload-file"] = message(options=opt(53, u8(5)) + opt(52, u8(1)) + opt(54, ip("10.0.0.1")),
                                 file=opt(51, u32(3600)) + opt(12, b"from-file") + b"\xff",
                                 sname=b"server.example", yiaddr="10.0.0.42")
    s["overload-sname"] = message(options=opt(53, u8(5)) + opt(52, u8(2)),
                                  sname=opt(54, ip("10.0.0.1")) + opt(51, u32(600)),  # no END
                                  file=b"pxelinux.0", yiaddr="10.0.0.42")
    s["overload-both"] = message(options=opt(52, u8(3)) + opt(54, ip("10.0.0.1")),
                                 file=opt(1, ip("255.255.255.0")) + opt(3, ip("10.0.0.1")) + b"\xff",
                                 sname=b"\0\0" + opt(53, u8(2)) + b"\xff", yiaddr="10.0.0.42")
    # RFC 3396: split within options, and one option spread over all three areas.
    many = [("10.%d.0.0" % i, 16, "10.255.0.1") for i in range(40)]
    s["rfc3396-split-121"] = message(options=opt(53, u8(5)) + opt(121, routes(many)), pad=300)
    s["rfc3396-across-areas"] = message(options=opt(53, u8(5)) + opt(52, u8(3)) + opt(12, b"ab") +
                                        opt(3, ip("10.0.0.1")[:2]),
                                        file=opt(12, b"cd") + opt(3, ip("10.0.0.1")[2:]) + b"\xff",
                                        sname=opt(12, b"ef") + b"\xff")
    s["rfc3396-interleaved"] = message(options=opt(53, u8(5)) + opt(6, ip("10.0.0.53")) + opt(12, b"no") +
                                       opt(6, ip("10.0.1.53")) + opt(12, b"de"))
    # Option 121 edge cases.
    s["routes-default"] = message(options=opt(53, u8(5)) + opt(121, routes([("0.0.0.0", 0, "10.0.0.1")])))
    s["routes-host"] = message(options=opt(53, u8(5)) + opt(121, routes([("192.0.2.7", 32, "0.0.0.0")])))
    s["routes-prefix1"] = message(options=opt(53, u8(5)) + opt(121, bytes([1, 0xFF]) + ip("10.0.0.1")))
    s["routes-mixed"] = message(options=opt(53, u8(5)) + opt(121, routes(
        [("10.128.0.0", 9, "10.0.0.1"), ("172.16.128.0", 17, "10.0.0.2"), ("10.1.2.0", 24, "0.0.0.0")])))
    # Names and text corner cases (accepted, field dropped or sanitized).
    s["hostname-embedded-nul"] = message(options=opt(53, u8(5)) + opt(12, b"no\0de") + opt(15, b"a b"))
    s["message-control-chars"] = message(options=opt(53, u8(6)) + opt(56, b"bad\n\x1b[m\xff!"))
    s["unknown-options"] = message(options=opt(53, u8(2)) + opt(224, b"") + opt(81, b"\x00\x00\x00node") +
                                   opt(43, bytes(255)) + b"\0\0\0")
    s["all-options"] = message(options=server_options("kea", 5) + opt(12, b"node-9") + opt(28, ip("10.0.15.255")) +
                               opt(50, ip("10.0.0.42")) + prl + opt(56, b"ok") + opt(57, u16(1500)))
    # Exactly DHCP4_MAX_MESSAGE_LEN: 240 + 3 + (1218 data + 5 split headers) + END.
    s["max-length"] = message(options=opt(53, u8(5)) + opt(224, bytes(1218)), pad=0)
    assert len(s["max-length"]) == 1472

    # Malformed: one per rejection class.
    ok = server_options("dnsmasq", 5)
    s["bad-too-short"] = message(options=ok)[:239]
    s["bad-too-long"] = message(options=ok, pad=1473)
    s["bad-op"] = message(op=3, options=ok)
    s["bad-htype"] = message(htype=6, options=ok)
    s["bad-hlen"] = message(hlen=16, options=ok)
    s["bad-cookie"] = message(cookie=b"\x63\x82\x53\x64", options=ok)
    s["bad-option-overrun"] = message(options=opt(53, u8(5)) + bytes([12, 200]) + b"abc", end=False, pad=0)
    s["bad-option-no-length"] = message(options=opt(53, u8(5)) + b"\x0c", end=False, pad=0)
    s["bad-lease-length"] = message(options=opt(53, u8(5)) + opt(51, u16(60)))
    s["bad-router-length"] = message(options=opt(53, u8(5)) + opt(3, b"\x0a\x00\x00"))
    s["bad-client-id-length"] = message(options=opt(53, u8(5)) + opt(61, b"\x01"))
    s["bad-netmask"] = message(options=opt(53, u8(5)) + opt(1, ip("255.0.255.0")))
    s["bad-mtu"] = message(options=opt(53, u8(5)) + opt(26, u16(67)))
    s["bad-max-size"] = message(options=opt(53, u8(5)) + opt(57, u16(575)))
    s["bad-msgtype-value"] = message(options=opt(53, u8(9)))
    s["bad-msgtype-twice"] = message(options=opt(53, u8(5)) + opt(53, u8(5)))
    s["bad-121-prefix"] = message(options=opt(53, u8(5)) + opt(121, bytes([33, 1, 2, 3, 4, 5]) + ip("10.0.0.1")))
    s["bad-121-truncated"] = message(options=opt(53, u8(5)) + opt(121, bytes([24, 192, 168, 1, 10, 0, 0])))
    s["bad-overload-value"] = message(options=opt(53, u8(5)) + opt(52, u8(4)))
    s["bad-overload-in-file"] = message(options=opt(53, u8(5)) + opt(52, u8(1)),
                                        file=opt(52, u8(2)) + b"\xff")
    s["bad-overload-file-overrun"] = message(options=opt(53, u8(5)) + opt(52, u8(1)),
                                             file=bytes(125) + bytes([12, 5, 0x61]))
    s["bad-no-end"] = message(options=ok, end=False, pad=0)
    s["bad-only-pads"] = message(options=opt(53, u8(5)), end=False, pad=300)
    s["bad-no-msgtype"] = message(options=opt(51, u32(60)) + opt(54, ip("10.0.0.1")))
    s["bad-empty"] = b""
    return s


def packet_seeds(msgs):
    s = {}
    for name in ("offer-dnsmasq", "ack-kea", "nak-dnsmasq", "overload-both", "rfc3396-split-121",
                 "ack-isc", "bad-no-end"):
        s[name] = packet(msgs[name])
    s["unicast-renew-ack"] = packet(msgs["ack-dnsmasq"], dst="10.0.0.42")
    s["odd-length-payload"] = packet(msgs["offer-kea"] + b"\0")
    s["udp-checksum-zero"] = packet(msgs["ack-dnsmasq"], udp_csum=False)
    s["ip-options"] = packet(msgs["offer-dnsmasq"], ip_options=b"\x01\x01\x01\x00")
    s["ethernet-trailer"] = packet(b"x" * 10, trailer=bytes(18))
    s["empty-payload"] = packet(b"")
    s["bad-udp-checksum"] = packet(msgs["ack-dnsmasq"], bad_udp_csum=True)
    s["bad-ip-checksum"] = packet(msgs["ack-dnsmasq"], bad_ip_csum=True)
    s["bad-fragment-mf"] = packet(msgs["ack-dnsmasq"], frag=0x2000)
    s["bad-fragment-offset"] = packet(msgs["ack-dnsmasq"], frag=0x0010)
    s["bad-not-udp"] = packet(msgs["ack-dnsmasq"], proto=6)
    s["bad-wrong-port"] = packet(msgs["ack-dnsmasq"], dport=67, sport=68)
    s["bad-tot-len"] = packet(msgs["ack-dnsmasq"], tot_len_delta=1)
    s["bad-truncated"] = packet(msgs["ack-dnsmasq"])[:100]
    s["bad-ipv6"] = bytes([0x60]) + packet(msgs["ack-dnsmasq"])[1:]
    s["bad-too-short"] = packet(b"")[:19]
    return s


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for old in os.listdir(directory):
        if old.endswith(".bin"):
            os.unlink(os.path.join(directory, old))  # regression inputs (no .bin) are kept
    for name, data in sorted(seeds.items()):
        with open(os.path.join(directory, name + ".bin"), "wb") as f:
            f.write(data)


def main():
    corpus = os.path.join(HERE, "corpus")
    msgs = message_seeds()
    write(os.path.join(corpus, "fuzz-dhcp4-message"), msgs)
    write(os.path.join(corpus, "fuzz-dhcp4-packet"), packet_seeds(msgs))
    print("wrote %d message and %d packet seeds" % (len(msgs), len(packet_seeds(msgs))), file=sys.stderr)


if __name__ == "__main__":
    main()
