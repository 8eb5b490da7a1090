# SPDX-License-Identifier: LGPL-2.1-or-later
"""Network-namespace test harness for infradhcp's integration tests, demo and benchmark.

What it is: a context-managed topology builder (namespaces, veth pairs, bridges,
addresses) with names unique per run, a launcher that tracks every child process and
kills it on the way out, a pcap capture + pure-Python DHCP decoder (no tshark field
names to chase), launchers for the real Debian DHCP servers (dnsmasq, kea-dhcp4,
isc-dhcp-server, busybox udhcpd) with readers for their lease databases, and launchers
for DHCP clients: infradhcpd itself and the peer clients (dhclient, dhcpcd, udhcpc)
used as stand-ins to prove the harness and as the benchmark's reference points.

What it is not: a test framework. Scripts call these pieces and raise on failure.
Only /usr/bin/python3 and its standard library; must run as root.

Cleanup guarantees: everything a Topology creates (processes, namespaces and with them
every link inside them, /etc/netns/<ns> files, temp dirs) is removed in its __exit__,
and, should the script be stopped by SIGTERM/SIGINT/SIGHUP (meson's timeout sends
SIGTERM) or exit without unwinding, by the signal handlers and an atexit hook.
"""

import atexit
import datetime
import ipaddress
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

IP = shutil.which("ip") or "/usr/sbin/ip"

# --------------------------------------------------------------------------------------
# small utilities


_T0 = time.monotonic()


def log(msg):
    """Narrates what the test does, with seconds since start, to stderr."""
    sys.stderr.write("[%7.3f] %s\n" % (time.monotonic() - _T0, msg))
    sys.stderr.flush()


class HarnessError(Exception):
    """The environment or a tool did something the harness cannot work with."""


class CheckFailed(AssertionError):
    """A scenario's expectation did not hold."""


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def run(argv, check=True, timeout=30, input=None):
    """Runs argv to completion, returns CompletedProcess with text stdout/stderr."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise HarnessError("%s failed (%d): %s" % (" ".join(argv), p.returncode,
                                                     (p.stderr or p.stdout).strip()))
    return p


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls predicate() until it returns something truthy, which is returned.
    Raises CheckFailed naming `what` when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise CheckFailed("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def require_root():
    """Network namespaces need root: without it the test is skipped (exit 77, which
    meson reports as SKIP), never silently passed."""
    if os.geteuid() != 0:
        sys.stderr.write("SKIP: integration tests need root (network namespaces)\n")
        sys.exit(77)


def mac_str(b):
    return ":".join("%02x" % x for x in b)


# --------------------------------------------------------------------------------------
# processes


class Proc:
    """A child process we started, in its own process group, output to a log file."""

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.started = time.monotonic()
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                      start_new_session=True)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def send_signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends sig to the process group, escalates to SIGKILL after timeout.
        Returns the exit status."""
        if self.alive():
            self.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.send_signal(signal.SIGKILL)
                self.popen.wait(5)
        else:
            # the leader is gone; its group may still hold children (e.g. scripts)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()
        return self.popen.returncode

    def text(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, regex, timeout, start=0):
        """Waits for regex in the output (from character offset `start`); returns the match."""
        r = re.compile(regex)

        def look():
            m = r.search(self.text(), start)
            if m is None and not self.alive():
                raise CheckFailed("%s exited (%s) before logging /%s/:\n%s" % (
                    self.name, self.popen.returncode, regex, self.tail()))
            return m
        return wait_for(look, timeout, "%s to log /%s/" % (self.name, regex))

    def tail(self, n=40):
        return "\n".join(self.text().splitlines()[-n:])


# --------------------------------------------------------------------------------------
# namespaces and topology

_LIVE = []  # topologies not yet cleaned up
_HANDLERS_INSTALLED = False


def _cleanup_all():
    for t in list(_LIVE):
        t.cleanup()


def _on_signal(signum, frame):
    # Unwind through every `with Topology()` / finally; atexit catches the rest.
    signal.signal(signum, signal.SIG_DFL)
    raise SystemExit(128 + signum)


def _install_handlers():
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED:
        return
    atexit.register(_cleanup_all)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)
    _HANDLERS_INSTALLED = True


class Netns:
    """One network namespace of a Topology."""

    def __init__(self, topo, name, role):
        self.topo = topo
        self.name = name
        self.role = role

    def __repr__(self):
        return "Netns(%s)" % self.name

    def argv(self, argv):
        return [IP, "netns", "exec", self.name] + list(argv)

    def run(self, argv, check=True, timeout=30):
        return run(self.argv(argv), check=check, timeout=timeout)

    def ip(self, *args, check=True):
        return run([IP, "-n", self.name] + list(args), check=check)

    def ip_json(self, *args):
        out = run([IP, "-n", self.name, "-j"] + list(args)).stdout.strip()
        return json.loads(out) if out else []

    def mac(self, ifname):
        return self.ip_json("link", "show", "dev", ifname)[0]["address"]

    def ifindex(self, ifname):
        return self.ip_json("link", "show", "dev", ifname)[0]["ifindex"]

    def addresses(self, ifname):
        """IPv4 addresses on ifname: list of dicts with local, prefixlen,
        valid_life_time, preferred_life_time (seconds; 4294967295 = forever)."""
        j = self.ip_json("-4", "addr", "show", "dev", ifname)
        return j[0].get("addr_info", []) if j else []

    def ipv4(self, ifname):
        return [a["local"] for a in self.addresses(ifname)]

    def address_info(self, ifname, address):
        for a in self.addresses(ifname):
            if a["local"] == address:
                return a
        return None

    def routes(self, *selector):
        return self.ip_json("-4", "route", "show", "table", "all", *selector)

    def multicast_route(self, ifname):
        """The 224.0.0.0/4 route on ifname (dict) or None."""
        for r in self.ip_json("-4", "route", "show", "table", "main", "224.0.0.0/4"):
            if r.get("dev") == ifname:
                return r
        return None

    def add_address(self, ifname, cidr):
        self.ip("addr", "add", cidr, "dev", ifname)

    def flush_addresses(self, ifname):
        self.ip("-4", "addr", "flush", "dev", ifname)

    def set_up(self, ifname):
        self.ip("link", "set", ifname, "up")

    def set_down(self, ifname):
        self.ip("link", "set", ifname, "down")

    def spawn(self, name, argv, env=None):
        return self.topo.spawn(name, self.argv(argv), env=env)


class Topology:
    """Builds namespaces/links for one test run and tears them all down.

        with Topology("srv") as t:
            s = t.netns("s"); c = t.netns("c")
            t.veth(s, "eth-s", c, "eth-c")
    """

    def __init__(self, tag="t", keep_tmp=False):
        require_root()
        _install_handlers()
        # Namespace names include the pid and a counter: unique per run, short
        # enough to be used as interface names too (<= 15 chars).
        self.prefix = "idh%d%s" % (os.getpid() % 100000, re.sub(r"[^a-z0-9]", "", tag.lower())[:2])
        self._counter = 0
        self.namespaces = []
        self.procs = []
        self.keep_tmp = keep_tmp or os.environ.get("INFRADHCP_KEEP_TMP") == "1"
        self.tmp = tempfile.mkdtemp(prefix="infradhcp-%s-" % tag)
        self._etc_netns = []
        self.cleanup_files = []  # files tools write outside self.tmp (dhcpcd's lease)
        self._cleaned = False
        _LIVE.append(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and not isinstance(exc, SystemExit):
            self.dump_logs()
        self.cleanup()
        return False

    def unique(self, role=""):
        """A name unique to this run, <= 15 characters (valid interface name)."""
        self._counter += 1
        name = "%s%d%s" % (self.prefix, self._counter, role)
        if len(name) > 15:
            name = name[:15]
        return name

    def path(self, *parts):
        p = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def mkdir(self, name):
        p = os.path.join(self.tmp, name)
        os.makedirs(p, exist_ok=True)
        return p

    def netns(self, role):
        name = self.unique(role[:2])
        run([IP, "netns", "add", name])
        ns = Netns(self, name, role)
        self.namespaces.append(ns)
        ns.ip("link", "set", "lo", "up")
        # ip netns exec bind-mounts /etc/netns/<name>/* over /etc: peer clients'
        # scripts then write resolv.conf there, not into the host's /etc.
        d = os.path.join("/etc/netns", name)
        os.makedirs(d, exist_ok=True)
        self._etc_netns.append(d)
        with open(os.path.join(d, "resolv.conf"), "w") as f:
            f.write("# infradhcp test namespace %s\n" % name)
        return ns

    def veth(self, ns_a, if_a, ns_b, if_b, mac_a=None, mac_b=None, up=True):
        """A veth pair created directly inside the namespaces (never visible in the
        host namespace, so it cannot clash with host links)."""
        argv = ["link", "add", if_a]
        if mac_a:
            argv += ["address", mac_a]
        argv += ["type", "veth", "peer", "name", if_b]
        if mac_b:
            argv += ["address", mac_b]
        argv += ["netns", ns_b.name]
        ns_a.ip(*argv)
        if up:
            ns_a.set_up(if_a)
            ns_b.set_up(if_b)

    def bridge(self, ns, name, ports=()):
        ns.ip("link", "add", name, "type", "bridge", "forward_delay", "0")
        for p in ports:
            ns.ip("link", "set", p, "master", name)
        ns.set_up(name)

    def spawn(self, name, argv, env=None):
        self._counter += 1
        lp = os.path.join(self.tmp, "%02d-%s.log" % (self._counter, re.sub(r"[^\w.-]", "_", name)))
        p = Proc(name, argv, lp, env=env)
        self.procs.append(p)
        return p

    def dump_logs(self, n=60):
        for p in self.procs:
            sys.stderr.write("----- %s (pid %d) %s -----\n%s\n" % (
                p.name, p.pid, " ".join(p.argv), p.tail(n)))
        sys.stderr.flush()

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        for p in reversed(self.procs):
            try:
                p.stop(timeout=3)
            except Exception as e:  # keep going: namespaces must still go
                sys.stderr.write("cleanup: stopping %s: %s\n" % (p.name, e))
        for ns in reversed(self.namespaces):
            # Anything still running inside a namespace this run created is ours.
            try:
                pids = run([IP, "netns", "pids", ns.name], check=False).stdout.split()
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
            except Exception:
                pass
            run([IP, "netns", "del", ns.name], check=False)
        for d in self._etc_netns:
            shutil.rmtree(d, ignore_errors=True)
        for f in self.cleanup_files:
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
        if self.keep_tmp:
            sys.stderr.write("kept %s\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _LIVE:
            _LIVE.remove(self)


# --------------------------------------------------------------------------------------
# pcap capture and DHCP decoding (RFC 2131, RFC 2132, RFC 3396)

DHCP_TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
              7: "RELEASE", 8: "INFORM"}


def _ip(b):
    return "%d.%d.%d.%d" % tuple(b)


class DhcpPacket:
    """One DHCP message seen on the wire, with its Ethernet/IP/UDP envelope."""

    def __init__(self, ts, eth_src, eth_dst, ip_src, ip_dst, sport, dport, payload):
        self.time = ts
        self.eth_src, self.eth_dst = eth_src, eth_dst
        self.src, self.dst = ip_src, ip_dst
        self.sport, self.dport = sport, dport
        if len(payload) < 240 or payload[236:240] != b"\x63\x82\x53\x63":
            raise ValueError("not DHCP")
        (self.op, htype, hlen, _hops, self.xid, self.secs, self.flags) = struct.unpack(
            "!BBBBIHH", payload[:12])
        self.ciaddr = _ip(payload[12:16])
        self.yiaddr = _ip(payload[16:20])
        self.siaddr = _ip(payload[20:24])
        self.giaddr = _ip(payload[24:28])
        self.chaddr = mac_str(payload[28:28 + min(hlen, 16)])
        self.options = {}
        overload = self._parse_options(payload[240:])
        # RFC 2132 §9.3: option overload moves options into file (1) and sname (2)
        if overload & 1:
            self._parse_options(payload[108:236])
        if overload & 2:
            self._parse_options(payload[44:108])

    def _parse_options(self, b):
        i = 0
        while i < len(b):
            code = b[i]
            if code == 0:
                i += 1
                continue
            if code == 255 or i + 1 >= len(b):
                break
            n = b[i + 1]
            val = bytes(b[i + 2:i + 2 + n])
            if len(val) != n:
                raise ValueError("truncated option %d" % code)
            # RFC 3396: repeated options are concatenated
            self.options[code] = self.options.get(code, b"") + val
            i += 2 + n
        ov = self.options.get(52)
        return ov[0] if ov else 0

    @property
    def type(self):
        v = self.options.get(53)
        return DHCP_TYPES.get(v[0], str(v[0])) if v else "BOOTP"

    def _opt_ip(self, code):
        v = self.options.get(code)
        return _ip(v[:4]) if v and len(v) >= 4 else None

    def _opt_u32(self, code):
        v = self.options.get(code)
        return struct.unpack("!I", v[:4])[0] if v and len(v) >= 4 else None

    @property
    def client_id(self):
        v = self.options.get(61)
        return mac_str(v) if v is not None else None

    requested_ip = property(lambda self: self._opt_ip(50))
    server_id = property(lambda self: self._opt_ip(54))
    lease_time = property(lambda self: self._opt_u32(51))
    t1 = property(lambda self: self._opt_u32(58))
    t2 = property(lambda self: self._opt_u32(59))

    @property
    def from_client(self):
        return self.op == 1

    @property
    def broadcast(self):
        return self.dst == "255.255.255.255"

    def __repr__(self):
        return "<%.3f %s %s:%d->%s:%d xid=%08x ci=%s yi=%s req=%s sid=%s cid=%s>" % (
            self.time, self.type, self.src, self.sport, self.dst, self.dport, self.xid,
            self.ciaddr, self.yiaddr, self.requested_ip, self.server_id, self.client_id)


def _pcap_records(path):
    """Yields (timestamp, linktype, frame) of a classic pcap file (as written by
    tcpdump -w). Tolerates a truncated last record (the writer may be mid-packet)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise HarnessError("%s: not a classic pcap file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        frame = data[off:off + incl]
        off += incl
        yield sec + frac / (1e9 if nano else 1e6), linktype, frame


def read_pcap(path):
    """Decodes a classic pcap file into DhcpPacket objects (other frames skipped)."""
    out = []
    for ts, linktype, frame in _pcap_records(path):
        p = _decode_frame(ts, linktype, frame)
        if p is not None:
            out.append(p)
    return out


def read_pcap_arp(path):
    """Decodes the Ethernet/IPv4 ARP frames of a classic pcap file into ArpPacket objects."""
    out = []
    for ts, linktype, frame in _pcap_records(path):
        p = _decode_arp_frame(ts, linktype, frame)
        if p is not None:
            out.append(p)
    return out


def _l2(linktype, frame):
    """(eth_dst, eth_src, ethertype, payload) of a frame, or None."""
    if linktype == 1:  # Ethernet
        if len(frame) < 14:
            return None
        dst, src, etype = frame[0:6], frame[6:12], struct.unpack("!H", frame[12:14])[0]
        l3 = frame[14:]
        if etype == 0x8100 and len(frame) >= 18:
            etype = struct.unpack("!H", frame[16:18])[0]
            l3 = frame[18:]
    elif linktype == 113:  # Linux cooked (tcpdump -i any)
        if len(frame) < 16:
            return None
        dst, src = b"\0" * 6, frame[6:12]
        etype = struct.unpack("!H", frame[14:16])[0]
        l3 = frame[16:]
    else:
        return None
    return dst, src, etype, l3


# --------------------------------------------------------------------------------------
# ARP (RFC 826) as RFC 5227 uses it


class ArpPacket:
    """One Ethernet/IPv4 ARP packet seen on the wire, with its frame's addresses.
    kind (RFC 5227 terms): "probe" (request, sender IP 0.0.0.0), "announce" (request,
    sender IP == target IP: announcement, defence or a gratuitous ARP), "request",
    "reply"."""

    def __init__(self, ts, eth_src, eth_dst, payload):
        if len(payload) < 28:
            raise ValueError("short ARP")
        htype, ptype, hlen, plen, self.op = struct.unpack("!HHBBH", payload[:8])
        if (htype, ptype, hlen, plen) != (1, 0x0800, 6, 4) or self.op not in (1, 2):
            raise ValueError("not Ethernet/IPv4 ARP")
        self.time = ts
        self.eth_src, self.eth_dst = eth_src, eth_dst
        self.sha = mac_str(payload[8:14])
        self.spa = _ip(payload[14:18])
        self.tha = mac_str(payload[18:24])
        self.tpa = _ip(payload[24:28])

    @property
    def kind(self):
        if self.op == 2:
            return "reply"
        if self.spa == "0.0.0.0":
            return "probe"
        if self.spa == self.tpa:
            return "announce"
        return "request"

    def __repr__(self):
        return "<%.3f ARP %s %s>%s sha=%s spa=%s tha=%s tpa=%s>" % (
            self.time, self.kind, self.eth_src, self.eth_dst, self.sha, self.spa, self.tha, self.tpa)


def _decode_arp_frame(ts, linktype, frame):
    l2 = _l2(linktype, frame)
    if l2 is None or l2[2] != 0x0806:
        return None
    try:
        return ArpPacket(ts, mac_str(l2[1]), mac_str(l2[0]), l2[3])
    except (ValueError, struct.error):
        return None


_ARP_SENDER = r"""
import socket, struct, sys, time
ifname, op, eth_dst, sha, spa, tha, tpa, count, interval = sys.argv[1:10]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0x0806))
frame = (mac(eth_dst) + mac(sha) + struct.pack("!H", 0x0806) +
         struct.pack("!HHBBH", 1, 0x0800, 6, 4, int(op)) +
         mac(sha) + socket.inet_aton(spa) + mac(tha) + socket.inet_aton(tpa))
frame += b"\0" * (60 - len(frame))
for i in range(int(count)):
    if i:
        time.sleep(float(interval))
    s.send(frame)
    print("sent %.6f" % time.time(), flush=True)
"""


def send_arp(ns, ifname, sha, spa, tpa, op=1, tha="00:00:00:00:00:00",
             eth_dst="ff:ff:ff:ff:ff:ff", count=1, interval=1.0):
    """Sends `count` raw ARP frames from ifname in ns (AF_PACKET, the frame's source is
    sha): the default is a gratuitous ARP request when spa == tpa. Returns when sent."""
    ns.run(["/usr/bin/python3", "-c", _ARP_SENDER, ifname, str(op), eth_dst, sha, spa, tha,
            tpa, str(count), str(interval)], timeout=30 + count * interval)


def _decode_frame(ts, linktype, frame):
    l2 = _l2(linktype, frame)
    if l2 is None:
        return None
    dst, src, etype, l3 = l2
    if etype != 0x0800 or len(l3) < 20 or l3[0] >> 4 != 4:
        return None
    ihl = (l3[0] & 0xF) * 4
    if l3[9] != 17 or len(l3) < ihl + 8:
        return None
    sport, dport, ulen = struct.unpack("!HHH", l3[ihl:ihl + 6])
    if {sport, dport} & {67, 68} == set():
        return None
    payload = l3[ihl + 8:ihl + ulen] if ulen >= 8 else b""
    try:
        return DhcpPacket(ts, mac_str(src), mac_str(dst), _ip(l3[12:16]), _ip(l3[16:20]),
                          sport, dport, payload)
    except (ValueError, struct.error):
        return None


class Capture:
    """tcpdump on one interface inside a namespace, DHCP traffic only (and ARP with
    arp=True), written to a pcap file packet by packet (-U) so it can be read while
    still running."""

    def __init__(self, topo, ns, ifname, name=None, arp=False):
        self.topo, self.ns, self.ifname = topo, ns, ifname
        self.path = topo.path("%s-%s.pcap" % (name or ns.role, ifname))
        self.arp = arp
        self.proc = None

    def start(self):
        # -Z root: tcpdump would otherwise drop to its own user and not be able to
        # write into our root-only temp dir. -p: the veth peer sees all we need.
        flt = "udp port 67 or udp port 68"
        if self.arp:
            flt = "arp or " + flt
        self.proc = self.ns.spawn("tcpdump-%s" % self.ifname, [
            "tcpdump", "-i", self.ifname, "-n", "-p", "-U", "--immediate-mode", "-Z", "root",
            "-s", "2048", "-w", self.path, flt])
        self.proc.wait_log(r"listening on", 10)
        return self

    def packets(self):
        return read_pcap(self.path) if os.path.exists(self.path) else []

    def arp_packets(self):
        return read_pcap_arp(self.path) if os.path.exists(self.path) else []

    def wait(self, predicate, timeout, what):
        """Waits until predicate(packets) is truthy; returns its value."""
        return wait_for(lambda: predicate(self.packets()), timeout, what, interval=0.1)

    def wait_arp(self, predicate, timeout, what):
        """Waits until predicate(arp_packets) is truthy; returns its value."""
        return wait_for(lambda: predicate(self.arp_packets()), timeout, what, interval=0.1)

    def stop(self):
        if self.proc:
            self.proc.stop(signal.SIGINT)
        return self.packets()


def dump_packets(pkts, out=sys.stderr):
    for p in pkts:
        out.write("    %r\n" % p)
    out.flush()


class AddressMonitor:
    """`ip -ts -o monitor address` in a namespace: every IPv4 address added to or
    deleted from an interface, with wall-clock time (comparable with pcap timestamps),
    so a test can tell what was ever configured, not only what is there at the end."""

    _LINE = re.compile(r"^\[(\S+)\] (Deleted )?\d+: (\S+)\s+inet (\d+\.\d+\.\d+\.\d+)/(\d+)")

    def __init__(self, topo, ns):
        self.topo, self.ns = topo, ns
        self.proc = None

    def start(self):
        self.proc = self.topo.spawn("ip-monitor-%s" % self.ns.name,
                                    [IP, "-n", self.ns.name, "-ts", "-o", "monitor", "address"])
        time.sleep(0.2)  # the netlink subscription is made right after exec
        return self

    def events(self, ifname=None):
        """[(time, "add"|"del", address, prefixlen, ifname)] in order."""
        out = []
        for line in self.proc.text().splitlines():
            m = self._LINE.match(line)
            if not m or (ifname and m.group(3) != ifname):
                continue
            t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
            out.append((t, "del" if m.group(2) else "add", m.group(4), int(m.group(5)), m.group(3)))
        return out

    def added(self, ifname=None):
        return [e for e in self.events(ifname) if e[1] == "add"]


# --------------------------------------------------------------------------------------
# DHCP servers


class ServerLease:
    def __init__(self, address, mac, client_id):
        self.address, self.mac = address, mac
        self.client_id = client_id.lower() if client_id else None

    def __repr__(self):
        return "ServerLease(%s mac=%s cid=%s)" % (self.address, self.mac, self.client_id)


class Subnet:
    """Addressing of a test segment: the server sits on .1, the pool is .100-.150."""

    def __init__(self, cidr="10.77.0.0/24", pool=(100, 150)):
        self.net = ipaddress.ip_network(cidr)
        hosts = list(self.net.hosts())
        self.server = str(hosts[0])
        self.prefixlen = self.net.prefixlen
        self.netmask = str(self.net.netmask)
        self.pool_start = str(self.net.network_address + pool[0])
        self.pool_end = str(self.net.network_address + pool[1])

    def in_pool(self, addr):
        a = ipaddress.ip_address(addr)
        return ipaddress.ip_address(self.pool_start) <= a <= ipaddress.ip_address(self.pool_end)


class DhcpServer:
    """Base: a real server in the foreground inside `ns`, serving `subnet` on `ifname`.
    lease/t1/t2 in seconds (t1/t2 None: server default)."""

    kind = None

    def __init__(self, topo, ns, ifname, subnet, lease=3600, t1=None, t2=None, hosts=(), authoritative=True):
        self.topo, self.ns, self.ifname, self.subnet = topo, ns, ifname, subnet
        self.lease, self.t1, self.t2 = lease, t1, t2
        # authoritative: NAK a REQUEST for an address that is not ours (RFC 2131 §4.3.2);
        # False: stay silent, as dnsmasq without --dhcp-authoritative and an ISC dhcpd
        # with `not authoritative` do (dnsmasq and isc-dhcp-server only)
        self.authoritative = authoritative
        # reservations: (name, mac, address); dnsmasq and isc-dhcp-server only
        self.hosts = list(hosts)
        self.dir = topo.mkdir(topo.unique(self.kind[:3]))
        self.proc = None

    def ensure_address(self):
        if self.subnet.server not in self.ns.ipv4(self.ifname):
            self.ns.add_address(self.ifname, "%s/%d" % (self.subnet.server, self.subnet.prefixlen))

    def start(self):
        self.ensure_address()
        self.proc = self.ns.spawn(self.kind, self.argv(), env=self.env())
        self.wait_ready()
        log("%s serving %s pool %s-%s lease %ss on %s/%s" % (
            self.kind, self.subnet.net, self.subnet.pool_start, self.subnet.pool_end,
            self.lease, self.ns.name, self.ifname))
        return self

    def stop(self):
        if self.proc and self.proc.alive():
            self.proc.stop()
            log("%s stopped" % self.kind)

    def restart(self):
        self.stop()
        return self.start()

    def env(self):
        return None

    def lease_for(self, mac):
        for l in self.leases():
            if l.mac and l.mac.lower() == mac.lower():
                return l
        return None


class Dnsmasq(DhcpServer):
    kind = "dnsmasq"

    def argv(self):
        a = ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--log-dhcp",
             "--conf-file=/dev/null", "--no-hosts", "--no-resolv", "--port=0",
             "--user=root", "--group=root", "--no-ping",
             "--interface=%s" % self.ifname, "--bind-interfaces",
             "--dhcp-range=%s,%s,%s,%ds" % (self.subnet.pool_start, self.subnet.pool_end,
                                            self.subnet.netmask, self.lease),
             "--dhcp-leasefile=%s" % os.path.join(self.dir, "dnsmasq.leases"),
             "--pid-file=%s" % os.path.join(self.dir, "dnsmasq.pid")]
        if self.authoritative:
            a.append("--dhcp-authoritative")
        if self.t1 is not None:
            a.append("--dhcp-option=option:T1,%d" % self.t1)
        if self.t2 is not None:
            a.append("--dhcp-option=option:T2,%d" % self.t2)
        for _name, mac, addr in self.hosts:
            a.append("--dhcp-host=%s,%s" % (mac, addr))
        return a

    def wait_ready(self):
        self.proc.wait_log(r"DHCP, IP range", 10)

    def leases(self):
        # "<expiry> <mac> <ip> <hostname|*> <client-id|*>" per line
        out = []
        try:
            with open(os.path.join(self.dir, "dnsmasq.leases")) as f:
                for line in f:
                    w = line.split()
                    if len(w) >= 5 and not line.startswith("duid"):
                        out.append(ServerLease(w[2], w[1], None if w[4] == "*" else w[4]))
        except FileNotFoundError:
            pass
        return out

    def forget_leases(self):
        p = os.path.join(self.dir, "dnsmasq.leases")
        if os.path.exists(p):
            os.unlink(p)


class Kea(DhcpServer):
    kind = "kea-dhcp4"

    def config(self):
        sub = {"id": 1, "subnet": str(self.subnet.net),
               "pools": [{"pool": "%s - %s" % (self.subnet.pool_start, self.subnet.pool_end)}]}
        d4 = {
            # raw sockets: clients without an address are reached at L2
            "interfaces-config": {"interfaces": [self.ifname], "dhcp-socket-type": "raw"},
            "lease-database": {"type": "memfile", "persist": True, "lfc-interval": 0,
                               "name": os.path.join(self.dir, "kea-leases4.csv")},
            "control-socket": None,
            "valid-lifetime": self.lease,
            "min-valid-lifetime": 1,
            "max-valid-lifetime": max(self.lease, 1),
            # NAK what is not ours (RFC 2131 §4.3.2 INIT-REBOOT), as a fabric would
            "authoritative": True,
            "subnet4": [sub],
            "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                         "output_options": [{"output": "stderr"}]}],
        }
        del d4["control-socket"]
        if self.t1 is not None:
            d4["renew-timer"] = self.t1
        if self.t2 is not None:
            d4["rebind-timer"] = self.t2
        return {"Dhcp4": d4}

    def argv(self):
        cfg = os.path.join(self.dir, "kea-dhcp4.json")
        with open(cfg, "w") as f:
            json.dump(self.config(), f, indent=2)
        return ["kea-dhcp4", "-c", cfg]

    def env(self):
        e = dict(os.environ)
        e["KEA_PIDFILE_DIR"] = self.dir
        e["KEA_LOCKFILE_DIR"] = self.dir
        return e

    def wait_ready(self):
        self.proc.wait_log(r"DHCP4_STARTED", 15)

    def leases(self):
        # memfile CSV: address,hwaddr,client_id,valid_lifetime,expire,subnet_id,...,state
        out = {}
        try:
            with open(os.path.join(self.dir, "kea-leases4.csv")) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        if not lines:
            return []
        hdr = lines[0].split(",")
        for line in lines[1:]:
            w = dict(zip(hdr, line.split(",")))
            if "address" not in w:
                continue
            # the file is a journal: the last record for an address wins; a
            # valid_lifetime of 0 means released/expired-reclaimed
            if w.get("valid_lifetime") == "0":
                out.pop(w["address"], None)
                continue
            out[w["address"]] = ServerLease(w["address"], w.get("hwaddr"), w.get("client_id") or None)
        return list(out.values())


class IscDhcpd(DhcpServer):
    kind = "dhcpd"

    def argv(self):
        conf = os.path.join(self.dir, "dhcpd.conf")
        leases = os.path.join(self.dir, "dhcpd.leases")
        opts = ""
        if self.t1 is not None:
            opts += "  option dhcp-renewal-time %d;\n" % self.t1
        if self.t2 is not None:
            opts += "  option dhcp-rebinding-time %d;\n" % self.t2
        for name, mac, addr in self.hosts:
            opts += "  host %s { hardware ethernet %s; fixed-address %s; }\n" % (name, mac, addr)
        with open(conf, "w") as f:
            f.write(
                "%sauthoritative;\n"
                "ddns-update-style none;\n"
                # no ICMP echo before offering: the segment is ours
                "ping-check false;\n"
                "default-lease-time %d;\nmax-lease-time %d;\nmin-lease-time %d;\n"
                "subnet %s netmask %s {\n  range %s %s;\n  option subnet-mask %s;\n%s}\n" % (
                    "" if self.authoritative else "not ", self.lease, self.lease, min(self.lease, 10),
                    self.subnet.net.network_address, self.subnet.netmask,
                    self.subnet.pool_start, self.subnet.pool_end, self.subnet.netmask, opts))
        if not os.path.exists(leases):
            open(leases, "w").close()  # dhcpd refuses to start without it
        return ["dhcpd", "-d", "-4", "-cf", conf, "-lf", leases,
                "-pf", os.path.join(self.dir, "dhcpd.pid"), self.ifname]

    def wait_ready(self):
        self.proc.wait_log(r"Server starting service", 15)

    def leases(self):
        try:
            with open(os.path.join(self.dir, "dhcpd.leases")) as f:
                text = f.read()
        except FileNotFoundError:
            return []
        out = {}
        for m in re.finditer(r"lease (\S+) \{(.*?)\n\}", text, re.S):
            body = m.group(2)
            if re.search(r"binding state (free|released|expired|abandoned);", body.split("next binding")[0]):
                out.pop(m.group(1), None)
                continue
            mac = re.search(r"hardware ethernet ([0-9a-f:]+);", body)
            uid = re.search(r'uid "((?:[^"\\]|\\.)*)";', body)
            out[m.group(1)] = ServerLease(m.group(1), mac.group(1) if mac else None,
                                          mac_str(_unescape_dhcpd(uid.group(1))) if uid else None)
        return list(out.values())


def _unescape_dhcpd(s):
    """dhcpd.leases `uid` strings: printable bytes as is, others as \\ooo octal."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            if s[i + 1] in "01234567":
                j = i + 1
                while j < len(s) and j < i + 4 and s[j] in "01234567":
                    j += 1
                out.append(int(s[i + 1:j], 8) & 0xFF)
                i = j
                continue
            out.append(ord(s[i + 1]))
            i += 2
            continue
        out.append(ord(c))
        i += 1
    return bytes(out)


class Udhcpd(DhcpServer):
    """busybox udhcpd. Its lease file stores no client id: check option 61 on the wire."""

    kind = "udhcpd"

    def argv(self):
        conf = os.path.join(self.dir, "udhcpd.conf")
        with open(conf, "w") as f:
            f.write("start %s\nend %s\ninterface %s\nlease_file %s\npidfile %s\n"
                    "max_leases 50\nauto_time 1\nopt subnet %s\nopt lease %d\n" % (
                        self.subnet.pool_start, self.subnet.pool_end, self.ifname,
                        os.path.join(self.dir, "udhcpd.leases"),
                        os.path.join(self.dir, "udhcpd.pid"), self.subnet.netmask, self.lease))
        return ["busybox", "udhcpd", "-f", "-S", conf]

    def wait_ready(self):
        self.proc.wait_log(r"udhcpd: started", 10)

    def leases(self):
        # int64 written time, then records {u32 expires, u32 ip, u8 mac[6], char host[20], pad[2]}
        out = []
        try:
            with open(os.path.join(self.dir, "udhcpd.leases"), "rb") as f:
                b = f.read()
        except FileNotFoundError:
            return []
        for off in range(8, len(b) - 35, 36):
            ip = _ip(b[off + 4:off + 8])
            out.append(ServerLease(ip, mac_str(b[off + 8:off + 14]), None))
        return out


SERVERS = {"dnsmasq": Dnsmasq, "kea": Kea, "isc-dhcp-server": IscDhcpd, "udhcpd": Udhcpd}


# --------------------------------------------------------------------------------------
# DHCP clients


class Client:
    """Base for the client under test, running in `ns` on `ifname`."""

    kind = None

    def __init__(self, topo, ns, ifname):
        self.topo, self.ns, self.ifname = topo, ns, ifname
        self.dir = topo.mkdir(topo.unique(self.kind[:3]))
        self.proc = None

    def start(self):
        self.proc = self.ns.spawn(self.kind, self.argv(), env=self.env())
        log("started %s on %s/%s (pid %d)" % (self.kind, self.ns.name, self.ifname, self.proc.pid))
        return self

    def env(self):
        return None

    def stop(self):
        """SIGTERM: stop without releasing."""
        if self.proc:
            st = self.proc.stop()
            log("%s stopped (status %s)" % (self.kind, st))

    def wait_address(self, timeout=15, pred=None):
        """Waits for an IPv4 address on the interface (satisfying pred); returns it."""
        def look():
            if self.proc and not self.proc.alive():
                raise CheckFailed("%s exited (%s):\n%s" % (self.kind, self.proc.popen.returncode,
                                                           self.proc.tail()))
            for a in self.ns.ipv4(self.ifname):
                if pred is None or pred(a):
                    return a
            return None
        return wait_for(look, timeout, "an address on %s from %s" % (self.ifname, self.kind))


class InfraDhcpd(Client):
    kind = "infradhcpd"

    def __init__(self, topo, ns, ifname, daemon, config=None, state_dir=None):
        super().__init__(topo, ns, ifname)
        self.daemon = daemon
        self.config = config
        self.state_dir = state_dir or os.path.join(self.dir, "state")
        self.runtime_dir = os.path.join(self.dir, "run")
        os.makedirs(self.state_dir, exist_ok=True)
        os.makedirs(self.runtime_dir, exist_ok=True)

    @property
    def dhclient_lease_path(self):
        """Where this daemon exports its lease in dhclient's format: inside the test's
        directory, never the host's /var/lib/dhcp (the default on this Debian host)."""
        return os.path.join(self.dir, "dhclient.%s.leases" % self.ifname)

    def effective_config(self):
        """The test's configuration with [LeaseExport] Path= pointing into the test's
        directory (unless the test sets [LeaseExport] itself); FILE.d/ drop-ins of the
        test's file stay in effect."""
        text = ""
        if self.config:
            with open(self.config) as f:
                text = f.read()
        if "[LeaseExport]" not in text:
            text += "\n[LeaseExport]\nPath=%s\n" % self.dhclient_lease_path
        path = os.path.join(self.dir, "infradhcpd.conf")
        with open(path, "w") as f:
            f.write(text)
        if self.config and os.path.isdir(self.config + ".d") and not os.path.exists(path + ".d"):
            os.symlink(os.path.abspath(self.config + ".d"), path + ".d")
        return path

    def argv(self):
        return [self.daemon, "--config", self.effective_config(), "--state-dir", self.state_dir,
                "--runtime-dir", self.runtime_dir, "--log-level", "debug", self.ifname]

    def env(self):
        e = dict(os.environ)
        e.pop("NOTIFY_SOCKET", None)
        e.pop("JOURNAL_STREAM", None)
        # Never the host's system bus: a test daemon must not claim names there.
        # Tests that want D-Bus pass their private bus in the environment explicitly.
        e.setdefault("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/infradhcp-test-bus")
        return e

    @property
    def lease_path(self):
        return os.path.join(self.state_dir, "%s.lease" % self.ifname)

    def lease_file(self):
        """The persisted lease as a dict (KEY=VALUE lines), or None. Undecodable
        bytes (the corrupt file a test planted, before the daemon replaces it) are
        kept as surrogates rather than raising."""
        try:
            with open(self.lease_path, errors="surrogateescape") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        d = {}
        for line in text.splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                d[k.strip()] = v.strip()
        return d

    def wait_state(self, state, timeout, start=0):
        return self.proc.wait_log(r"STATE=%s\b" % state, timeout, start)


class Dhclient(Client):
    """ISC dhclient with the real dhclient-script (it configures the address with
    valid_lft = lease time). Option 61 = 01:<mac> via `hardware`."""

    kind = "dhclient"

    def argv(self):
        conf = os.path.join(self.dir, "dhclient.conf")
        with open(conf, "w") as f:
            f.write("send dhcp-client-identifier = hardware;\n"
                    "request subnet-mask, broadcast-address, dhcp-lease-time,\n"
                    "        dhcp-renewal-time, dhcp-rebinding-time;\n"
                    "timeout 60;\nretry 1;\ninitial-interval 1;\n")
        return ["dhclient", "-d", "-4", "-cf", conf, "-lf", os.path.join(self.dir, "dhclient.leases"),
                "-pf", os.path.join(self.dir, "dhclient.pid"), "-sf", "/sbin/dhclient-script",
                self.ifname]


class Dhcpcd(Client):
    """dhcpcd -4; arp=True keeps its RFC 5227 probing on (no --noarp)."""

    kind = "dhcpcd"

    def __init__(self, topo, ns, ifname, arp=False):
        super().__init__(topo, ns, ifname)
        self.arp = arp
        # dhcpcd's lease directory is compiled in; the file is named after our
        # run-unique interface name, so removing it touches nothing else.
        self.lease_paths = ["/var/lib/dhcpcd/%s.lease" % ifname, "/var/lib/dhcpcd/%s.lease6" % ifname]
        topo.cleanup_files.extend(self.lease_paths)

    def forget(self):
        for f in self.lease_paths:
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass

    def argv(self):
        conf = os.path.join(self.dir, "dhcpcd.conf")
        with open(conf, "w") as f:
            # empty clientid: hardware family + address (= 01:<mac>)
            f.write("clientid\noption subnet_mask, dhcp_lease_time, dhcp_renewal_time, "
                    "dhcp_rebinding_time\nnohook resolv.conf, hostname, ntp, timesyncd, chrony\n"
                    "noipv4ll\nnoipv6rs\n")
        return ["dhcpcd", "-f", conf, "--nodelay"] + ([] if self.arp else ["--noarp"]) + [
                "-4", "-B", "-d", "--script", "/bin/true", self.ifname]


class Udhcpc(Client):
    """busybox udhcpc; arp_check=True adds -a (ARP-ping the offered address, DECLINE if
    answered); tryagain sets -A (wait after a failure, default 20 s)."""

    kind = "udhcpc"

    def __init__(self, topo, ns, ifname, arp_check=False, tryagain=None):
        super().__init__(topo, ns, ifname)
        self.arp_check, self.tryagain = arp_check, tryagain

    def argv(self):
        script = os.path.join(self.dir, "udhcpc.script")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n"
                    "case \"$1\" in\n"
                    "deconfig) ip -4 addr flush dev \"$interface\" ;;\n"
                    "bound|renew) ip -4 addr replace \"$ip/${mask:-24}\" dev \"$interface\" "
                    "valid_lft \"${lease:-forever}\" preferred_lft \"${lease:-forever}\" ;;\n"
                    "esac\nexit 0\n")
        os.chmod(script, 0o755)
        # -C not given: udhcpc sends client-id 01:<mac> by default
        extra = (["-a"] if self.arp_check else []) + (
            ["-A", str(self.tryagain)] if self.tryagain is not None else [])
        return ["busybox", "udhcpc", "-f", "-i", self.ifname, "-s", script, "-t", "20", "-T", "1"] + extra


CLIENTS = {"infradhcpd": InfraDhcpd, "dhclient": Dhclient, "dhcpcd": Dhcpcd, "udhcpc": Udhcpc}


def make_client(name, topo, ns, ifname, daemon=None, config=None, state_dir=None):
    if name == "infradhcpd":
        if not daemon:
            raise HarnessError("--daemon PATH is needed for infradhcpd")
        return InfraDhcpd(topo, ns, ifname, daemon, config=config, state_dir=state_dir)
    return CLIENTS[name](topo, ns, ifname)


def common_args(parser):
    """Arguments every scenario script takes."""
    parser.add_argument("--client", default="infradhcpd", choices=sorted(CLIENTS),
                        help="client under test (peers prove the harness)")
    parser.add_argument("--daemon", help="path to infradhcpd")
    parser.add_argument("--config", help="infradhcpd --config FILE")
    parser.add_argument("--keep-tmp", action="store_true", help="keep logs and captures")


def client_server_topology(topo, client_if=None, server_if=None, client_mac=None):
    """server ns <-veth-> client ns. Returns (server_ns, server_if, client_ns, client_if)."""
    s = topo.netns("s")
    c = topo.netns("c")
    server_if = server_if or topo.unique("s")
    client_if = client_if or topo.unique("c")
    topo.veth(s, server_if, c, client_if, mac_b=client_mac)
    return s, server_if, c, client_if


def run_scenarios(prefix, names, run, args):
    """The main() of a suite of scenarios: each of `names` (or args.scenario alone,
    unless it is "all") in a Topology of its own named after `prefix` (args.keep_tmp
    keeps its directory), as run(name, topo, args). One line "ok   NAME (T s)" or
    "FAIL NAME: why" per scenario; a failed check does not stop the others. Returns the
    exit status: 1 if any failed."""
    failed = []
    for name in names if args.scenario == "all" else [args.scenario]:
        log("===== scenario %s" % name)
        t0 = time.monotonic()
        try:
            with Topology(prefix, keep_tmp=args.keep_tmp) as topo:
                run(name, topo, args)
        except CheckFailed as e:
            print("FAIL %s: %s" % (name, e), flush=True)
            failed.append(name)
            continue
        print("ok   %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
    return 1 if failed else 0


class Segment:
    """The shared L2 segment of bridged_topology(): what a test needs to know."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def bridged_topology(topo, client_mac=None, squatter_mac=None):
    """A "switch" namespace holding a bridge; the server listens on the bridge itself,
    the client namespace and a third "squatter" namespace hang off it by veth, as
    three hosts on one VLAN:

        [client ns] cif ==veth== port ─┐
                                        bridge (server ns, the server's interface)
        [squatter ns] qif ==veth== port ─┘

    Returns a Segment with s, sif (the bridge), c, cif, q, qif and the MACs.
    forward_delay 0: ports forward at once, like an edge port on a fabric leaf."""
    s = topo.netns("s")
    c = topo.netns("c")
    q = topo.netns("q")
    br = topo.unique("b")
    cif, cport = topo.unique("c"), topo.unique("p")
    qif, qport = topo.unique("q"), topo.unique("p")
    topo.veth(s, cport, c, cif, mac_b=client_mac)
    topo.veth(s, qport, q, qif, mac_b=squatter_mac)
    topo.bridge(s, br, ports=(cport, qport))
    # The bridge forwards at once but does not learn a MAC before it saw a frame:
    # unknown unicast floods, which is what a fresh segment does too.
    return Segment(s=s, sif=br, c=c, cif=cif, q=q, qif=qif, cport=cport, qport=qport,
                   client_mac=c.mac(cif), squatter_mac=q.mac(qif), bridge_mac=s.mac(br))
