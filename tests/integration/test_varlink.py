#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The control interface end to end: infradhcpd's varlink socket and infradhcpctl.

One infradhcpd on a veth behind a bridge served by dnsmasq (a third "squatter" host
on the same bridge provides an address conflict). In order, it proves:

  no daemon    infradhcpctl against an empty runtime directory and a stale socket:
               exit 1 with a clear message (list: exit 0, nothing / `unreachable`).
  status       raw GetStatus matches the IDL and the lease (address, server, times,
               client id, acdState, declined); `infradhcpctl --json status|list|lease`
               print exactly that JSON; the human forms show the same facts.
  service      org.varlink.service.GetInfo; GetInterfaceDescription returns the IDL
               file of the tree byte for byte; unknown interface → InterfaceNotFound.
  errors       MethodNotFound (also for a name with an embedded NUL), InvalidParameter,
               InvalidSubnet (refuseSubnets, requireSubnet), ExpectedMore on one
               connection that keeps working; `more` on a non-streaming method.
  protocol     invalid JSON, non-call messages, a 10 MB message, a client that does
               not read: that client is dropped (no reply), while another client
               keeps getting answers and the daemon keeps its lease. Pipelined calls
               are answered in order; 256 clients at most; 20 clients at once.
  monitor      Monitor streams (raw, `infradhcpctl monitor`, `--json monitor`) see
               BOUND → RELEASED → ... → BOUND around `infradhcpctl release`/`renew`,
               RENEWING/REBINDING for renew/rebind; every reply matches the IDL;
               clients vanishing mid-stream (even before their first reply) do not
               disturb the daemon nor make it log errors; 64 streams at most, slots
               freed when streams go.
  oneway       a oneway Release/Renew gets no reply and takes effect; socat, as
               docs/control.md shows it (GetInfo, oneway Renew).
  restart      Restart with refuseSubnets (raw and infradhcpctl), InvalidSubnet.
  privilege    uid 65534: GetStatus/Monitor/GetInfo work, every mutating method is
               refused with PermissionDenied (raw and infradhcpctl); nothing changed.
  rar          ReleaseAndRenew: success (Busy for others meanwhile), RetriesExhausted
               after maxRetries, on time, when the whole pool is refused or the
               required subnet is not served (raw and infradhcpctl).
  acd          a squatter holds the reserved address: status shows conflictMac and
               declined (raw, --json and human), the client binds another address.
  migration    ReleaseAndRenew refusing the old subnet and requiring the new one while
               the server moves: bound in the new subnet.
  shutdown     SIGTERM: a running `infradhcpctl monitor` reports the daemon gone
               (exit 1), the socket is removed, `status` then fails cleanly.

Not here: D-Bus (its own test), the DHCP exchanges themselves (test_lease.py).
"""

import argparse
import ipaddress
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import netns
from netns import check, log

IFACE = "io.infradhcp.Client"
NOBODY = 65534
IDL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "dhcp4",
                        "io.infradhcp.Client.varlink")
TIME_KEYS = ("leaseStart", "t1", "t2", "expiry")
MUTATING = ("Release", "Renew", "Rebind", "Restart", "ReleaseAndRenew")


# --------------------------------------------------------------------------------------
# a raw varlink client


def _strict_loads(text):
    """json.loads that rejects what strict JSON does not allow (NaN, duplicate keys)."""
    def pairs(kv):
        d = {}
        for k, v in kv:
            if k in d:
                raise ValueError("duplicate key %r" % k)
            d[k] = v
        return d

    def bad_constant(c):
        raise ValueError("not JSON: %s" % c)
    return json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant)


class Disconnected(Exception):
    """The server closed the connection."""


class Varlink:
    """One connection: NUL-terminated JSON messages over AF_UNIX (varlink.org)."""

    def __init__(self, path, timeout=10.0):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.timeout = timeout

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, method, parameters=None, more=False, oneway=False):
        m = {"method": method}
        if parameters is not None:
            m["parameters"] = parameters
        if more:
            m["more"] = True
        if oneway:
            m["oneway"] = True
        self.send_raw(json.dumps(m).encode() + b"\0")

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv(self, timeout=None):
        """The next message as a dict; raises Disconnected at EOF, socket.timeout."""
        self.sock.settimeout(timeout if timeout is not None else self.timeout)
        while b"\0" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Disconnected("server closed the connection (%d bytes unparsed)" % len(self.buf))
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        m = _strict_loads(msg.decode("utf-8"))
        check(isinstance(m, dict), "reply is not an object: %r" % m)
        check(set(m) <= {"parameters", "continues", "error"}, "unexpected keys in reply: %r" % m)
        check(isinstance(m.get("parameters", {}), dict), "reply parameters not an object: %r" % m)
        return m

    def call(self, method, parameters=None, more=False, timeout=None):
        self.send(method, parameters, more=more)
        return self.recv(timeout)

    def wait_closed(self, timeout=5.0):
        """True when the server closes the connection without sending anything more."""
        try:
            m = self.recv(timeout)
        except Disconnected:
            return True
        except socket.timeout:
            return False
        raise netns.CheckFailed("expected a disconnect, got a reply: %r" % m)

    def silent(self, timeout=0.3):
        """True when nothing arrives within timeout."""
        if self.buf:
            return False
        r, _, _ = select.select([self.sock], [], [], timeout)
        return not r


def expect_error(reply, error, params=None):
    check(reply.get("error") == error, "expected error %s, got %r" % (error, reply))
    if params is not None:
        check(reply.get("parameters", {}) == params,
              "%s parameters %r, want %r" % (error, reply.get("parameters"), params))


def expect_ok(reply, what):
    check("error" not in reply, "%s failed: %r" % (what, reply))
    return reply.get("parameters", {})


# --------------------------------------------------------------------------------------
# the IDL: output fields of a method, to check replies against the definition


def idl_outputs(idl, method):
    """{field: optional} of `method`'s reply in the IDL text."""
    m = re.search(r"^method %s\((?:.|\n)*?\)\s*->\s*\(((?:.|\n)*?)^\)" % method, idl, re.M)
    check(m is not None, "method %s not in the IDL" % method)
    out = {}
    for line in m.group(1).splitlines():
        line = line.split("#", 1)[0].strip().rstrip(",")
        if not line:
            continue
        name, typ = [x.strip() for x in line.split(":", 1)]
        out[name] = typ.startswith("?")
    return out


def check_against_idl(idl, method, params):
    fields = idl_outputs(idl, method)
    extra = set(params) - set(fields)
    check(not extra, "%s reply has fields the IDL does not declare: %s" % (method, sorted(extra)))
    missing = [f for f, opt in fields.items() if not opt and f not in params]
    check(not missing, "%s reply lacks non-optional fields %s" % (method, missing))


# --------------------------------------------------------------------------------------
# a Monitor stream read by a thread


class MonitorStream:
    def __init__(self, path):
        self.conn = Varlink(path)
        self.conn.send("%s.Monitor" % IFACE, more=True)
        self.messages = []
        self.error = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                m = self.conn.recv(timeout=3600)
                with self.lock:
                    self.messages.append(m)
                if not m.get("continues"):
                    return
        except (Disconnected, OSError, ValueError, netns.CheckFailed) as e:
            self.error = e

    def states(self):
        with self.lock:
            return [m["parameters"].get("state") for m in self.messages]

    def params(self):
        with self.lock:
            return [m["parameters"] for m in self.messages]

    def mark(self):
        return len(self.states())

    def wait_states(self, seq, start, timeout, what):
        """Waits until `seq` appears as a subsequence of the states from index start."""
        def look():
            st = self.states()[start:]
            i = 0
            for s in st:
                if i < len(seq) and s == seq[i]:
                    i += 1
            return i == len(seq)
        netns.wait_for(look, timeout, "%s (monitor saw %s)" % (what, self.states()[start:]))

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
        self.thread.join(2)


def check_chain(params, what):
    """Each update's previousState is the state of the update before it."""
    for a, b in zip(params, params[1:]):
        check(b.get("previousState") == a.get("state"),
              "%s: update %r follows %r (previousState mismatch)" % (what, b.get("state"), a.get("state")))
    check(params and "previousState" not in params[0],
          "%s: the first Monitor reply is the current status, without previousState" % what)


# --------------------------------------------------------------------------------------
# the test


class T:
    """Everything the phases share."""

    def __init__(self, args, topo):
        self.args, self.topo = args, topo
        self.ctl_path = args.ctl
        with open(IDL_PATH, encoding="utf-8") as f:
            self.idl = f.read()

    # raw
    def conn(self, timeout=10.0):
        return Varlink(self.sock, timeout)

    def status(self):
        with self.conn() as v:
            return expect_ok(v.call("%s.GetStatus" % IFACE), "GetStatus")

    def call(self, method, parameters=None, timeout=None):
        with self.conn() as v:
            return v.call(method if "." in method else "%s.%s" % (IFACE, method), parameters,
                          timeout=timeout)

    def wait_bound(self, timeout=15, pred=None):
        def look():
            s = self.status()
            return s if s["state"] == "BOUND" and (pred is None or pred(s)) else None
        return netns.wait_for(look, timeout, "BOUND on %s" % self.cif, interval=0.05)

    # infradhcpctl
    def ctl(self, *args, rc=0, runtime_dir=None, user=None, timeout=30):
        argv = [self.ctl_path, "--runtime-dir", runtime_dir or self.client.runtime_dir] + list(args)
        if user is not None:
            argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        if rc is not None:
            check(p.returncode == rc, "%s: exit %d, want %d\nstdout: %s\nstderr: %s" % (
                " ".join(argv), p.returncode, rc, p.stdout, p.stderr))
        return p

    def ctl_json(self, *args, rc=0, user=None):
        p = self.ctl("--json", *args, rc=rc, user=user)
        check(p.stdout.endswith("\n") and p.stdout.count("\n") == 1,
              "--json %s: not one line of JSON: %r" % (" ".join(args), p.stdout))
        return _strict_loads(p.stdout)


def same_status(a, b, what):
    """Equal, but for the realtime stamps, which are converted from CLOCK_BOOTTIME each
    time a reply is built and may differ by a few microseconds between two calls."""
    check(set(a) == set(b), "%s: keys differ: %s vs %s" % (what, sorted(a), sorted(b)))
    for k in a:
        if k == "attachment":
            # Attachment checks run every 2 s: only what a check does not change.
            def stable(x):
                return (x.get("enabled"), x.get("usablePeers"),
                        [(p.get("address"), p.get("mac")) for p in x.get("peers", [])])
            check(stable(a[k]) == stable(b[k]), "%s: attachment %r vs %r" % (what, a[k], b[k]))
        elif k in TIME_KEYS:
            check(isinstance(a[k], int) and abs(a[k] - b[k]) < 50000,
                  "%s: %s %r vs %r" % (what, k, a[k], b[k]))
        else:
            check(a[k] == b[k], "%s: %s %r vs %r" % (what, k, a[k], b[k]))


def human_fields(text):
    """`Label: value` lines of a status block as {label: [values]}."""
    out, last = {}, None
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z][A-Za-z0-9 ()]*?): (.*)$", line)
        if m and line[:16].strip():
            last = m.group(1)
            out.setdefault(last, []).append(m.group(2))
        elif last and line.startswith(" " * 17) and line.strip():
            out[last].append(line.strip())
    return out


def phase_no_daemon(t):
    empty = t.topo.mkdir("empty-run")
    p = t.ctl("status", "nosuch0", rc=1, runtime_dir=empty)
    want = "infradhcpd is not running on nosuch0 (no socket at %s/nosuch0/%s)" % (empty, IFACE)
    check(want in p.stderr, "status without a daemon said %r" % p.stderr)
    for verb in (["lease", "nosuch0"], ["release", "nosuch0"], ["renew", "nosuch0"], ["rebind", "nosuch0"],
                 ["restart", "nosuch0"], ["release-and-renew", "nosuch0"], ["monitor", "nosuch0"]):
        p = t.ctl(*verb, rc=1, runtime_dir=empty)
        check(want in p.stderr, "%s without a daemon said %r" % (verb[0], p.stderr))
        check(p.stdout == "", "%s without a daemon printed %r" % (verb[0], p.stdout))
    for verb in (["status"], ["monitor"]):
        p = t.ctl(*verb, rc=1, runtime_dir=empty)
        check("No infradhcpd is running" in p.stderr, "%s with no sockets said %r" % (verb, p.stderr))
    p = t.ctl("list", rc=0, runtime_dir=empty)
    check("0 interfaces listed." in p.stdout, "list with no sockets: %r" % p.stdout)
    p = t.ctl("--json", "list", rc=0, runtime_dir=empty)
    check(p.stdout == "[]\n", "--json list with no sockets: %r" % p.stdout)
    missing = os.path.join(empty, "does-not-exist")
    check(t.ctl("list", rc=0, runtime_dir=missing).stdout.strip().endswith("0 interfaces listed."),
          "list with a missing runtime directory")
    t.ctl("status", "bad/name", rc=1, runtime_dir=empty)

    # A stale socket: a file nobody accepts on (a crashed daemon's leftover).
    stale = t.topo.mkdir("stale-run")
    os.makedirs(os.path.join(stale, "stale0"))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(stale, "stale0", IFACE))
    s.close()
    p = t.ctl("status", "stale0", rc=1, runtime_dir=stale)
    check("infradhcpd is not running on stale0 (stale socket at" in p.stderr, "stale socket: %r" % p.stderr)
    p = t.ctl("list", rc=0, runtime_dir=stale)
    check(re.search(r"^stale0\s+unreachable\s+-$", p.stdout, re.M), "list with a stale socket: %r" % p.stdout)
    p = t.ctl("--json", "list", rc=0, runtime_dir=stale)
    check(_strict_loads(p.stdout) == [{"interface": "stale0", "state": "unreachable"}],
          "--json list with a stale socket: %r" % p.stdout)
    log("no daemon: clear errors, exit 1; list copes with none and with a stale socket")


def phase_status(t):
    s = t.status()
    check_against_idl(t.idl, "GetStatus", s)
    check(s["state"] == "BOUND" and s["interface"] == t.cif, "status %r" % s)
    check(t.subnet.in_pool(s["address"]) and s["prefixlen"] == 24, "address %r" % s)
    check(s["server"] == t.subnet.server and s["routers"] == [t.subnet.server] and s["dns"] == [], "server %r" % s)
    check(s["clientId"] == "01:" + t.mac, "clientId %s, want 01:%s" % (s["clientId"], t.mac))
    check(s["acdState"] in ("IDLE", "ANNOUNCING", "DEFENDING"), "acdState %r while bound" % s["acdState"])
    check(s["declined"] == [] and "conflictMac" not in s, "conflict facts with no conflict: %r" % s)
    check(s["lifetime"] == t.lease, "lifetime %r" % s["lifetime"])
    check(s["expiry"] - s["leaseStart"] == t.lease * 10**6, "expiry - leaseStart = %r" % (
        s["expiry"] - s["leaseStart"]))
    check(s["leaseStart"] < s["t1"] < s["t2"] < s["expiry"], "times out of order: %r" % s)
    check(abs(s["leaseStart"] / 1e6 - time.time()) < 60, "leaseStart %r is not about now" % s["leaseStart"])
    check(s["address"] in t.c.ipv4(t.cif), "status says %s, interface has %s" % (s["address"], t.c.ipv4(t.cif)))

    # --json: the daemon's reply, exactly.
    j = t.ctl_json("status", t.cif)
    same_status(j, t.status(), "--json status IF vs GetStatus")
    arr = t.ctl_json("status")
    check(isinstance(arr, list) and len(arr) == 1, "--json status (all): %r" % arr)
    same_status(arr[0], t.status(), "--json status vs GetStatus")
    arr = t.ctl_json("list")
    check(isinstance(arr, list) and len(arr) == 1, "--json list: %r" % arr)
    same_status(arr[0], t.status(), "--json list vs GetStatus")
    lease = t.ctl_json("lease", t.cif)
    want = {k: v for k, v in t.status().items() if k not in ("state", "lastError", "acdState", "conflictMac",
                                                               "declined", "attachment")}
    same_status(lease, want, "--json lease vs GetStatus lease fields")

    # Human forms.
    for args in (["status", t.cif], ["status"]):
        out = t.ctl(*args).stdout
        check(out.startswith("\u25cf %s\n" % t.cif), "status header: %r" % out)
        f = human_fields(out)
        check(f.get("State") == ["BOUND"], "State: %r\n%s" % (f.get("State"), out))
        check(f.get("Address") == ["%s/24" % s["address"]], "Address: %r" % f.get("Address"))
        check(f.get("Server") == [t.subnet.server], "Server: %r" % f.get("Server"))
        check(f.get("Client ID") == [s["clientId"]], "Client ID: %r" % f.get("Client ID"))
        check(f.get("Lifetime") == ["10min"], "Lifetime: %r" % f.get("Lifetime"))
        check(f.get("ACD") == [t.status()["acdState"]], "ACD: %r\n%s" % (f.get("ACD"), out))
        check("Conflict MAC" not in f and "Declined" not in f, "conflict lines with no conflict:\n%s" % out)
        check(re.match(r"\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \(in 9min \d+s\)$", f["Expires"][0]),
              "Expires: %r" % f.get("Expires"))
        check(re.match(r".* \(\d+s ago\)$", f["Lease Start"][0]), "Lease Start: %r" % f.get("Lease Start"))
    out = t.ctl("list").stdout
    check(re.search(r"^INTERFACE\s+STATE\s+ADDRESS$", out, re.M) and
          re.search(r"^%s\s+BOUND\s+%s/24$" % (t.cif, re.escape(s["address"])), out, re.M) and
          "1 interface listed." in out, "list:\n%s" % out)
    out = t.ctl("lease", t.cif).stdout
    f = human_fields(out)
    check(f.get("Address") == ["%s/24" % s["address"]] and "State" not in f and "ACD" not in f,
          "lease:\n%s" % out)
    log("status: GetStatus = --json status/list/lease; human status/list/lease show it")


def phase_service(t):
    info = expect_ok(t.call("org.varlink.service.GetInfo"), "GetInfo")
    check(info.get("vendor") == "infradhcp" and info.get("product") == "infradhcpd" and info.get("version"),
          "GetInfo %r" % info)
    check(info.get("interfaces") == ["org.varlink.service", IFACE], "GetInfo interfaces %r" % info)
    d = expect_ok(t.call("org.varlink.service.GetInterfaceDescription", {"interface": IFACE}), "GID")
    check(d == {"description": t.idl}, "GetInterfaceDescription(%s) is not the IDL file %s" % (IFACE, IDL_PATH))
    d = expect_ok(t.call("org.varlink.service.GetInterfaceDescription", {"interface": "org.varlink.service"}),
                  "GID")
    check(re.search(r"^interface org\.varlink\.service$", d["description"], re.M) and
          "method GetInfo()" in d["description"], "org.varlink.service description: %r" % d)
    expect_error(t.call("org.varlink.service.GetInterfaceDescription", {"interface": "com.example.Nope"}),
                 "org.varlink.service.InterfaceNotFound", {"interface": "com.example.Nope"})
    # An embedded NUL must not match a prefix of a registered name.
    expect_error(t.call("org.varlink.service.GetInterfaceDescription", {"interface": IFACE + "\0x"}),
                 "org.varlink.service.InterfaceNotFound", {"interface": IFACE + "\0x"})
    expect_error(t.call("org.varlink.service.GetInterfaceDescription", {}),
                 "org.varlink.service.InvalidParameter", {"parameter": "interface"})
    expect_error(t.call("org.varlink.service.GetInterfaceDescription", {"interface": 5}),
                 "org.varlink.service.InvalidParameter", {"parameter": "interface"})
    expect_error(t.call("com.example.Nope.Method"), "org.varlink.service.InterfaceNotFound",
                 {"interface": "com.example.Nope"})
    log("org.varlink.service: GetInfo, GetInterfaceDescription = %s, InterfaceNotFound" % IDL_PATH)


def phase_errors(t):
    before = t.status()
    with t.conn() as v:
        M = lambda m: "%s.%s" % (IFACE, m)  # noqa: E731
        expect_error(v.call(M("NoSuchMethod")), "org.varlink.service.MethodNotFound",
                     {"method": M("NoSuchMethod")})
        expect_error(v.call(M("GetStatus\0x")), "org.varlink.service.MethodNotFound",
                     {"method": M("GetStatus\0x")})
        expect_error(v.call("NoDot"), "org.varlink.service.MethodNotFound", {"method": "NoDot"})
        expect_error(v.call(IFACE + "."), "org.varlink.service.MethodNotFound", {"method": IFACE + "."})
        for bad in ("10.99.0.0/16", ["10.99.0.0/16", 5], {"a": 1}, ["10.99.0.%d/32" % i for i in range(17)]):
            expect_error(v.call(M("Restart"), {"refuseSubnets": bad}), "org.varlink.service.InvalidParameter",
                         {"parameter": "refuseSubnets"})
        for sub in ("10.99.0.0/33", "10.99.0.0", "300.1.1.1/8", "10.99.0.0/-1", ""):
            expect_error(v.call(M("Restart"), {"refuseSubnets": [sub]}), "io.infradhcp.Client.InvalidSubnet",
                         {"subnet": sub})
        for key, val in (("delayMs", "100"), ("delayMs", -1), ("delayMs", 1.5), ("maxRetries", True),
                         ("maxRetries", 101), ("attemptTimeoutMs", 50), ("refuseSubnets", "x")):
            expect_error(v.call(M("ReleaseAndRenew"), {key: val}), "org.varlink.service.InvalidParameter",
                         {"parameter": key})
        expect_error(v.call(M("ReleaseAndRenew"), {"refuseSubnets": ["1.2.3.4/40"]}),
                     "io.infradhcp.Client.InvalidSubnet", {"subnet": "1.2.3.4/40"})
        for m in ("Restart", "ReleaseAndRenew"):
            expect_error(v.call(M(m), {"requireSubnet": ["10.0.0.0/8"]}), "org.varlink.service.InvalidParameter",
                         {"parameter": "requireSubnet"})
            expect_error(v.call(M(m), {"requireSubnet": "10.0.0.0/40"}), "io.infradhcp.Client.InvalidSubnet",
                         {"subnet": "10.0.0.0/40"})
        expect_error(v.call(M("Monitor")), "org.varlink.service.ExpectedMore", {})
        # `more` on a method that does not stream: one final reply, no "continues".
        r = v.call(M("GetStatus"), more=True)
        check("continues" not in r or r["continues"] is False, "GetStatus with more: %r" % r)
        check(v.silent(0.3), "GetStatus with more sent more than one reply")
        r = v.call("org.varlink.service.GetInfo", more=True)
        check("error" not in r and not r.get("continues"), "GetInfo with more: %r" % r)
        # Unknown parameters are ignored (varlink: forward compatibility).
        expect_ok(v.call(M("GetStatus"), {"unknown": [1, {"x": None}]}), "GetStatus with extra parameters")
        s = expect_ok(v.call(M("GetStatus")), "GetStatus after the errors")
    check(s["state"] == "BOUND" and s["address"] == before["address"] and
          abs(s["leaseStart"] - before["leaseStart"]) < 50000,
          "refused calls changed the client: %r -> %r" % (before, s))
    log("errors: MethodNotFound, InvalidParameter, InvalidSubnet, ExpectedMore; connection kept; "
        "`more` on GetStatus answered once")


def phase_protocol(t):
    addr = t.status()["address"]
    A = t.conn()
    expect_ok(A.call("%s.GetStatus" % IFACE), "GetStatus on A")
    bad = [
        b"{not json}\0",
        b'{"method":"io.infradhcp.Client.GetStatus",}\0',      # trailing comma (strict)
        b'{"method":"io.infradhcp.Client.GetStatus"} {}\0',    # two values in one message
        b'[1,2]\0',
        b'"io.infradhcp.Client.GetStatus"\0',
        b'{"method":5}\0',
        b'{"parameters":{}}\0',
        b'{"method":"io.infradhcp.Client.GetStatus","parameters":[]}\0',
        b'{"method":"io.infradhcp.Client.GetStatus","more":"yes"}\0',
        b'{"method":"io.infradhcp.Client.GetStatus","more":true,"oneway":true}\0',
        b'{"method":"io.infradhcp.Client.GetStatus","upgrade":true}\0',
        b'{"method":"io.infradhcp.Client.\xff\xfe"}\0',          # invalid UTF-8
        b'\0',
    ]
    for msg in bad:
        with t.conn() as b:
            b.send_raw(msg)
            check(b.wait_closed(5), "the server kept a client that sent %r" % msg)
        expect_ok(A.call("%s.GetStatus" % IFACE), "GetStatus on A after %r" % msg)
    # A valid call, then garbage in the same write: the call is answered, then the drop.
    with t.conn() as b:
        b.send_raw(b'{"method":"io.infradhcp.Client.GetStatus"}\0garbage\0')
        expect_ok(b.recv(), "the call before the garbage")
        check(b.wait_closed(5), "the server kept a client after garbage")

    # 10 MB in one message, while A keeps calling.
    big = Varlink(t.sock)
    sent = [0, None]

    def blast():
        payload = b'{"method":"io.infradhcp.Client.GetStatus","parameters":{"pad":"' + b"x" * (10 << 20) + \
            b'"}}\0'
        try:
            view = memoryview(payload)
            while sent[0] < len(payload):
                sent[0] += big.sock.send(view[sent[0]:sent[0] + 65536])
        except OSError as e:
            sent[1] = e
    big.sock.settimeout(20)
    th = threading.Thread(target=blast, daemon=True)
    th.start()
    answered = 0
    t0 = time.monotonic()
    while th.is_alive() and time.monotonic() - t0 < 15:
        check(expect_ok(A.call("%s.GetStatus" % IFACE), "GetStatus during 10 MB")["address"] == addr,
              "address changed during the 10 MB message")
        answered += 1
    th.join(5)
    check(isinstance(sent[1], (BrokenPipeError, ConnectionResetError)),
          "sending 10 MB: %d bytes accepted, ended with %r (want a disconnect)" % (sent[0], sent[1]))
    check(sent[0] < (2 << 20), "the server took %d bytes of one message" % sent[0])
    check(big.wait_closed(5), "no disconnect after 10 MB")
    big.close()
    log("10 MB message: dropped after %d KiB; the other client got %d answers meanwhile" % (
        sent[0] >> 10, answered))

    # A client that calls but never reads: dropped once >1 MiB of replies are queued.
    lazy = Varlink(t.sock)
    n_calls = 500
    lazy.send_raw((json.dumps({"method": "org.varlink.service.GetInterfaceDescription",
                               "parameters": {"interface": IFACE}}).encode() + b"\0") * n_calls)
    expect_ok(A.call("%s.GetStatus" % IFACE), "GetStatus on A while another client does not read")
    time.sleep(0.5)
    got = 0
    try:
        while True:
            lazy.recv(5)
            got += 1
    except Disconnected:
        pass
    lazy.close()
    check(got < n_calls, "a client that did not read got all %d replies (never dropped)" % n_calls)
    log("a client not reading its replies: dropped after %d of %d replies" % (got, n_calls))

    # Pipelined calls on one connection: answered in order.
    calls = [("%s.GetStatus" % IFACE, None), ("org.varlink.service.GetInfo", None),
             ("%s.Nope" % IFACE, None), ("%s.Monitor" % IFACE, None),
             ("org.varlink.service.GetInterfaceDescription", {"interface": "x.y"}),
             ("%s.GetStatus" % IFACE, None)]
    A.send_raw(b"".join(json.dumps({"method": m, **({"parameters": p} if p else {})}).encode() + b"\0"
                        for m, p in calls))
    r = [A.recv() for _ in calls]
    check(r[0]["parameters"].get("state") == "BOUND" and "vendor" in r[1]["parameters"] and
          r[2].get("error") == "org.varlink.service.MethodNotFound" and
          r[3].get("error") == "org.varlink.service.ExpectedMore" and
          r[4].get("error") == "org.varlink.service.InterfaceNotFound" and
          r[5]["parameters"].get("address") == addr, "pipelined replies out of order: %r" % r)
    A.close()

    # At most 256 clients: 256 are served, the next is closed at once; once they go,
    # new clients are served again.
    many = []
    try:
        for i in range(256):
            many.append(Varlink(t.sock))
        for v in many:
            v.send("org.varlink.service.GetInfo")
        for v in many:
            expect_ok(v.recv(), "GetInfo on one of 256 connections")
        with t.conn() as extra:
            check(extra.wait_closed(5), "a 257th client was served")
        t.client.proc.wait_log(r"256 clients connected; refusing another", 2)
    finally:
        for v in many:
            v.close()
    def served():
        try:
            return "vendor" in t.call("org.varlink.service.GetInfo").get("parameters", {})
        except Disconnected:  # the daemon has not yet seen all 256 go
            return False
    netns.wait_for(served, 5, "a new client to be served after the 256 left")

    # 20 clients at once, each with several calls in flight.
    barrier = threading.Barrier(20)
    errors = []

    def worker(i):
        try:
            with t.conn() as v:
                barrier.wait(10)
                for _ in range(5):
                    v.send("%s.GetStatus" % IFACE)
                v.send("org.varlink.service.GetInfo")
                for _ in range(5):
                    s = expect_ok(v.recv(), "GetStatus")
                    check(s["address"] == addr, "client %d saw %r" % (i, s))
                check("vendor" in expect_ok(v.recv(), "GetInfo"), "GetInfo")
        except Exception as e:  # collected: the main thread fails the test
            errors.append("client %d: %r" % (i, e))
    ths = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(20)
    check(not errors, "concurrent clients failed: %s" % errors)
    procs = [subprocess.Popen([t.ctl_path, "--runtime-dir", t.client.runtime_dir, "--json", "status", t.cif],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(10)]
    for p in procs:
        out, err = p.communicate(15)
        check(p.returncode == 0 and _strict_loads(out)["address"] == addr, "parallel infradhcpctl: %r %r" % (
            out, err))
    s = t.status()
    check(s["state"] == "BOUND" and s["address"] == addr and addr in t.c.ipv4(t.cif),
          "after the protocol abuse the daemon is %r" % s)
    check(t.client.proc.alive(), "infradhcpd died")
    log("protocol: %d kinds of bad message dropped their client only; pipelining in order; "
        "256 clients max; 20 concurrent clients and 10 infradhcpctl at once" % len(bad))


def phase_monitor(t):
    addr = t.status()["address"]
    mon = MonitorStream(t.sock)
    netns.wait_for(lambda: mon.states(), 5, "the first Monitor reply")
    check(mon.states() == ["BOUND"], "first Monitor reply %r" % mon.params())
    check_against_idl(t.idl, "Monitor", mon.params()[0])
    same_status(mon.params()[0], t.status(), "first Monitor reply vs GetStatus")
    human = t.topo.spawn("ctl-monitor", [t.ctl_path, "--runtime-dir", t.client.runtime_dir, "monitor", t.cif])
    jmon = t.topo.spawn("ctl-monitor-json", [t.ctl_path, "--runtime-dir", t.client.runtime_dir, "--json",
                                             "monitor"])
    human.wait_log(r"%s: BOUND %s/24\n" % (t.cif, re.escape(addr)), 5)
    jmon.wait_log(r'"state":"BOUND"', 5)

    # Streams that vanish: after the first reply, half-way through the call, and before
    # the daemon got to the call at all (it is stopped meanwhile, so that its first
    # reply meets a closed socket every time).
    gone = []
    for how in ("after-first", "half-message"):
        v = Varlink(t.sock)
        if how == "half-message":
            v.send_raw(b'{"method":"io.infradhcp.Client.Monitor","mo')
        else:
            v.send("%s.Monitor" % IFACE, more=True)
            check(v.recv().get("continues") is True, "Monitor reply without continues")
        gone.append(v)
    t.client.proc.send_signal(signal.SIGSTOP)
    try:
        for i in range(10):
            v = Varlink(t.sock)
            v.send("%s.Monitor" % IFACE, more=True)
            if i % 2:
                v.send("%s.GetStatus" % IFACE)
            gone.append(v)
        for v in gone:
            v.close()
    finally:
        t.client.proc.send_signal(signal.SIGCONT)
    expect_ok(t.call("GetStatus"), "GetStatus after the vanished streams")

    # At most 64 streams (3 are ours: mon, human, jmon): vanished ones must have freed
    # their slots, and closing streams frees them again.
    streams = []
    try:
        while len(streams) < 70:
            v = Varlink(t.sock)
            r = v.call("%s.Monitor" % IFACE, more=True)
            if r.get("error"):
                expect_error(r, "io.infradhcp.Client.Busy", {})
                v.close()
                break
            check(r.get("continues") is True, "Monitor reply %r" % r)
            streams.append(v)
        check(len(streams) == 61, "%d more Monitor streams accepted besides our 3, want 61 (64 at most)" %
              len(streams))
    finally:
        for v in streams:
            v.close()

    def monitor_ok():
        with t.conn() as v:
            r = v.call("%s.Monitor" % IFACE, more=True)
            if r.get("error") == "io.infradhcp.Client.Busy":  # closes not yet seen
                return False
            check(r.get("continues") is True, "Monitor reply %r" % r)
            return True
    netns.wait_for(monitor_ok, 5, "a Monitor slot after 61 streams closed")
    errs = [x for x in t.client.proc.text().splitlines() if "<err>" in x]
    check(not errs, "infradhcpd logged errors for streams that vanished:\n%s" % "\n".join(errs))

    start = mon.mark()
    p = t.ctl("release", t.cif)
    check(p.stdout == "" and p.stderr == "", "release printed %r %r" % (p.stdout, p.stderr))
    s = t.status()
    check(s["state"] == "RELEASED" and "address" not in s, "after release: %r" % s)
    check(addr not in t.c.ipv4(t.cif), "the address is still configured after release")
    t.ctl("renew", t.cif)
    t.wait_bound()
    mon.wait_states(["RELEASED", "BOUND"], start, 10, "RELEASED then BOUND")
    seq = mon.states()[start - 1:]
    check(seq[0] == "BOUND" and seq[1] == "RELEASED" and seq[-1] == "BOUND",
          "release/renew seen by Monitor as %s" % seq)
    rel = mon.params()[start]
    check(rel.get("previousState") == "BOUND" and "address" not in rel, "RELEASED update %r" % rel)
    log("monitor: release/renew seen as %s" % " → ".join(seq))

    start = mon.mark()
    t.ctl("renew", t.cif)
    mon.wait_states(["RENEWING", "BOUND"], start, 10, "RENEWING then BOUND")
    start = mon.mark()
    t.ctl("rebind", t.cif)
    mon.wait_states(["REBINDING", "BOUND"], start, 10, "REBINDING then BOUND")
    addr = t.wait_bound()["address"]
    check_chain(mon.params(), "raw Monitor")
    for m in mon.params():
        check_against_idl(t.idl, "Monitor", m)

    # infradhcpctl monitor, human and --json, saw the same.
    human.wait_log(r"%s: REBINDING %s/24 \(was BOUND\)\n.*%s: BOUND %s/24 \(was REBINDING\)" % (
        t.cif, re.escape(addr), t.cif, re.escape(addr)), 5)
    text = human.text()
    check(re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d %s: RELEASED \(was BOUND\)$" % t.cif, text, re.M),
          "infradhcpctl monitor did not print the release:\n%s" % text)
    jmon.wait_log(r'"state":"BOUND","interface":"[^"]*","address":"[^"]*".*"previousState":"REBINDING"', 5)
    jlines = [_strict_loads(line) for line in jmon.text().splitlines() if line.strip()]
    check([j["state"] for j in jlines] == mon.states()[:len(jlines)] and len(jlines) == len(mon.states()),
          "--json monitor saw %s, raw Monitor %s" % ([j["state"] for j in jlines], mon.states()))
    check(t.client.proc.alive() and not mon.error, "daemon or stream broke: %r" % mon.error)
    log("monitor: raw, infradhcpctl monitor and --json monitor agree (%d updates); %d vanished "
        "streams did no harm" % (len(jlines), len(gone)))
    return mon, human


def phase_oneway(t, mon):
    addr = t.status()["address"]
    start = mon.mark()
    with t.conn() as v:
        v.send("%s.Release" % IFACE, oneway=True)
        v.send("%s.GetStatus" % IFACE)
        s = expect_ok(v.recv(), "GetStatus after a oneway Release")
        check(s["state"] == "RELEASED" and "address" not in s,
              "the first reply after a oneway Release is not GetStatus in RELEASED: %r" % s)
        check(v.silent(0.3), "something arrived for the oneway call")
        v.send("%s.Renew" % IFACE, oneway=True)
        v.send("org.varlink.service.GetInfo", oneway=True)
        check(v.silent(0.3), "a reply arrived for oneway calls")
    t.wait_bound()
    mon.wait_states(["RELEASED", "BOUND"], start, 10, "oneway Release/Renew")

    # socat, exactly as docs/control.md shows it.
    sh = ("S=%s\nvl() { printf '%%s\\0' \"$1\" | socat -t 60 - UNIX-CONNECT:$S | tr '\\0' '\\n'; }\n"
          "vl '{\"method\":\"org.varlink.service.GetInfo\"}'\n"
          "vl '{\"method\":\"io.infradhcp.Client.GetStatus\"}'\n") % t.sock
    t0 = time.monotonic()
    p = netns.run(["bash", "-c", sh], timeout=20)
    check(time.monotonic() - t0 < 5, "socat waited %.1f s: the server did not close after answering" % (
        time.monotonic() - t0))
    lines = [_strict_loads(x) for x in p.stdout.splitlines() if x]
    check(len(lines) == 2 and lines[0]["parameters"]["product"] == "infradhcpd" and
          lines[1]["parameters"]["address"] == t.status()["address"], "socat replies: %r" % p.stdout)
    start = mon.mark()
    p = netns.run(["bash", "-c", "S=%s\nprintf '%%s\\0' '%s' | socat -t 60 - UNIX-CONNECT:$S | tr '\\0' '\\n'" % (
        t.sock, '{"method":"io.infradhcp.Client.Renew","oneway":true}')], timeout=20)
    check(p.stdout == "", "socat oneway Renew printed %r" % p.stdout)
    mon.wait_states(["RENEWING", "BOUND"], start, 10, "the oneway Renew sent by socat")
    check(t.wait_bound()["address"] == addr, "address changed")
    log("oneway: no reply, effect seen; socat as documented (GetInfo, GetStatus, oneway Renew)")


def phase_restart(t, mon):
    before = t.status()
    start = mon.mark()
    check(expect_ok(t.call("Restart", {"refuseSubnets": ["10.99.0.0/16", "192.168.0.0/24"]}), "Restart") == {},
          "Restart reply not empty")
    mon.wait_states(["SELECTING", "BOUND"], start, 10, "Restart")
    s = t.wait_bound()
    check(s["leaseStart"] > before["leaseStart"], "Restart did not make a new lease")
    start = mon.mark()
    expect_ok(t.call("Restart", {"refuseSubnets": None}), "Restart with null")
    mon.wait_states(["SELECTING", "BOUND"], start, 10, "Restart (null)")
    t.wait_bound()
    start = mon.mark()
    t.ctl("restart", t.cif, "10.99.0.0/16")
    mon.wait_states(["SELECTING", "BOUND"], start, 10, "infradhcpctl restart")
    t.wait_bound()
    # infradhcpctl checks subnets itself, before contacting the daemon (whose own
    # InvalidSubnet answer the raw calls above prove): no state change follows.
    start = mon.mark()
    p = t.ctl("restart", t.cif, "10.99.0.0/33", rc=1)
    check("infradhcpctl: invalid subnet '10.99.0.0/33'" in p.stderr, "restart /33: %r" % p.stderr)
    p = t.ctl("--require", "10.99.0.0/33", "restart", t.cif, rc=1)
    check("invalid subnet '10.99.0.0/33'" in p.stderr, "restart --require /33: %r" % p.stderr)
    p = t.ctl("--require", "10.0.0.0/8", "list", rc=1)
    check("--require applies to restart and release-and-renew only" in p.stderr, "list --require: %r" % p.stderr)
    p = t.ctl("--json", "restart", t.cif, "10.99.0.0/33", rc=1)
    check(p.stdout == "" and "invalid subnet '10.99.0.0/33'" in p.stderr, "--json restart /33: %r %r" % (
        p.stdout, p.stderr))
    time.sleep(0.5)
    check(mon.states()[start:] == [], "a rejected subnet reached the daemon: %s" % mon.states()[start:])
    start = mon.mark()
    t.ctl("--require", str(t.subnet.net), "restart", t.cif, "10.99.0.0/16")
    mon.wait_states(["SELECTING", "BOUND"], start, 10, "infradhcpctl --require restart")
    t.wait_bound()
    start = mon.mark()
    p = t.ctl("--json", "restart", t.cif)
    check(_strict_loads(p.stdout) == {}, "--json restart: %r" % p.stdout)
    mon.wait_states(["SELECTING", "BOUND"], start, 10, "infradhcpctl restart (no subnets)")
    t.wait_bound()
    log("restart: raw with refuseSubnets/null, infradhcpctl [--require] restart [SUBNET], InvalidSubnet "
        "(human, --json)")


def run_unprivileged(t, code):
    """Runs Python `code` as uid/gid 65534 without groups; returns its JSON output."""
    p = subprocess.run(["/usr/bin/python3", "-c", code, t.sock], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30, user=NOBODY, group=NOBODY, extra_groups=[],
                       cwd="/", env={"PATH": "/usr/bin:/bin"})
    check(p.returncode == 0, "unprivileged child failed (%d): %s" % (p.returncode, p.stderr))
    return _strict_loads(p.stdout)


UNPRIVILEGED_CHILD = r"""
import json, os, socket, sys
assert os.getuid() == 65534 and os.geteuid() == 65534 and os.getgroups() == []
def call(method, params=None, more=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    m = {"method": method}
    if params is not None:
        m["parameters"] = params
    if more:
        m["more"] = True
    s.sendall(json.dumps(m).encode() + b"\0")
    buf = b""
    while b"\0" not in buf:
        c = s.recv(65536)
        if not c:
            break
        buf += c
    s.close()
    return json.loads(buf.split(b"\0")[0])
out = {"GetStatus": call("io.infradhcp.Client.GetStatus"),
       "Monitor": call("io.infradhcp.Client.Monitor", more=True),
       "GetInfo": call("org.varlink.service.GetInfo")}
for m, p in (("Release", None), ("Renew", None), ("Rebind", None), ("Restart", {"refuseSubnets": []}),
             ("ReleaseAndRenew", {"delayMs": 0})):
    out[m] = call("io.infradhcp.Client." + m, p)
print(json.dumps(out))
"""


def phase_privilege(t, mon):
    before = t.status()
    start = mon.mark()
    out = run_unprivileged(t, UNPRIVILEGED_CHILD)
    check(out["GetStatus"].get("parameters", {}).get("address") == before["address"],
          "uid 65534 GetStatus: %r" % out["GetStatus"])
    check(out["Monitor"].get("continues") is True and out["Monitor"]["parameters"]["state"] == "BOUND",
          "uid 65534 Monitor: %r" % out["Monitor"])
    check(out["GetInfo"].get("parameters", {}).get("product") == "infradhcpd", "uid 65534 GetInfo")
    for m in MUTATING:
        check(out[m] == {"error": "org.varlink.service.PermissionDenied", "parameters": {}},
              "uid 65534 %s: %r" % (m, out[m]))
    # infradhcpctl under setpriv.
    p = t.ctl("status", t.cif, user=NOBODY)
    check(human_fields(p.stdout).get("State") == ["BOUND"], "status as nobody: %r" % p.stdout)
    same_status(t.ctl_json("status", t.cif, user=NOBODY), t.status(), "--json status as nobody")
    t.ctl("list", user=NOBODY)
    for verb in (["release", t.cif], ["renew", t.cif], ["rebind", t.cif], ["restart", t.cif],
                 ["release-and-renew", t.cif]):
        p = t.ctl(*verb, rc=1, user=NOBODY)
        want = "Failed to %s %s: permission denied (only root may do this)" % (verb[0], t.cif)
        check(want in p.stderr, "%s as nobody said %r" % (verb[0], p.stderr))
    p = t.ctl("--json", "release", t.cif, rc=1, user=NOBODY)
    check(_strict_loads(p.stdout) == {"error": "org.varlink.service.PermissionDenied", "parameters": {}},
          "--json release as nobody: %r" % p.stdout)
    time.sleep(0.3)
    after = t.status()
    check(after["state"] == "BOUND" and after["address"] == before["address"] and
          abs(after["leaseStart"] - before["leaseStart"]) < 50000, "a refused call changed the client")
    check(mon.states()[start:] == [], "refused calls caused state changes: %s" % mon.states()[start:])
    log("privilege: uid 65534 reads status/Monitor/GetInfo; %s refused (raw and infradhcpctl)" %
        ", ".join(MUTATING))


def phase_rar(t, mon):
    # Success, with Busy for the others meanwhile.
    start = mon.mark()
    rar = t.conn(timeout=30)
    t0 = time.monotonic()
    rar.send("%s.ReleaseAndRenew" % IFACE, {"delayMs": 1000, "maxRetries": 2, "attemptTimeoutMs": 8000,
                                             "refuseSubnets": ["10.99.0.0/16"]})
    netns.wait_for(lambda: t.status()["state"] == "RELEASED", 2, "RELEASED during ReleaseAndRenew")
    for m, p in (("Release", None), ("Renew", None), ("Rebind", None), ("Restart", {}),
                 ("ReleaseAndRenew", {})):
        expect_error(t.call(m, p), "io.infradhcp.Client.Busy", {})
    p = t.ctl("renew", t.cif, rc=1)
    check("a release-and-renew is in progress" in p.stderr, "renew during release-and-renew: %r" % p.stderr)
    r = expect_ok(rar.recv(), "ReleaseAndRenew")
    took = time.monotonic() - t0
    rar.close()
    check(set(r) == {"address", "prefixlen", "attempts", "durationMs"}, "ReleaseAndRenew reply %r" % r)
    check(t.subnet.in_pool(r["address"]) and r["prefixlen"] == 24 and r["attempts"] == 1, "reply %r" % r)
    check(1000 <= r["durationMs"] <= took * 1000 + 50, "durationMs %d, call took %.3f s" % (r["durationMs"], took))
    s = t.status()
    check(s["state"] == "BOUND" and s["address"] == r["address"], "after ReleaseAndRenew: %r" % s)
    mon.wait_states(["RELEASED", "SELECTING", "BOUND"], start, 5, "ReleaseAndRenew")
    log("ReleaseAndRenew: %s/%d after %d attempt in %d ms; Busy meanwhile" % (
        r["address"], r["prefixlen"], r["attempts"], r["durationMs"]))

    # infradhcpctl release-and-renew, human and --json.
    p = t.ctl("--delay", "100", "--refuse", "10.99.0.0/16", "release-and-renew", t.cif)
    m = re.match(r"^%s: bound to (\S+)/24 after 1 attempt in (\d+) ms\n$" % t.cif, p.stdout)
    check(m and t.subnet.in_pool(m.group(1)) and int(m.group(2)) >= 100, "release-and-renew: %r" % p.stdout)
    j = t.ctl_json("--delay", "0", "release-and-renew", t.cif)
    check(set(j) == {"address", "prefixlen", "attempts", "durationMs"} and j["attempts"] == 1 and
          j["address"] == t.status()["address"], "--json release-and-renew: %r" % j)

    # The whole pool refused: RetriesExhausted after maxRetries.
    with t.conn(timeout=30) as v:
        t0 = time.monotonic()
        r = v.call("%s.ReleaseAndRenew" % IFACE, {"delayMs": 100, "maxRetries": 1, "attemptTimeoutMs": 1000,
                                                   "refuseSubnets": ["10.77.0.0/24"]}, timeout=30)
        took = time.monotonic() - t0
    check(r.get("error") == "io.infradhcp.Client.RetriesExhausted" and r["parameters"].get("attempts") == 2,
          "ReleaseAndRenew refusing the whole pool: %r" % r)
    # 0.1 s delay + 1 s attempt + 1 s back-off + 1 s attempt; the daemon's timers must
    # not slip (sd-event's default accuracy would allow 250 ms each).
    check(3.05 <= took <= 3.5, "RetriesExhausted after %.2f s, want ~3.1 s" % took)
    s = t.status()
    check(s["state"] != "BOUND" and "address" not in s, "bound while refusing the whole pool: %r" % s)
    p = t.ctl("--delay", "0", "--max-retries", "0", "--attempt-timeout", "500", "--refuse", "10.77.0.0/24",
              "release-and-renew", t.cif, rc=1)
    check("Failed to release-and-renew %s: no acceptable lease after 1 attempt" % t.cif in p.stderr,
          "release-and-renew exhausted: %r" % p.stderr)
    p = t.ctl("--json", "--max-retries", "0", "--attempt-timeout", "500", "--refuse", "10.77.0.0/24",
              "release-and-renew", t.cif, rc=1)
    j = _strict_loads(p.stdout)
    check(j.get("error") == "io.infradhcp.Client.RetriesExhausted" and j["parameters"]["attempts"] == 1,
          "--json release-and-renew exhausted: %r" % p.stdout)
    # requireSubnet outside the pool: nothing acceptable either.
    p = t.ctl("--json", "--max-retries", "0", "--attempt-timeout", "500", "--require", "10.99.0.0/16",
              "release-and-renew", t.cif, rc=1)
    j = _strict_loads(p.stdout)
    check(j.get("error") == "io.infradhcp.Client.RetriesExhausted",
          "release-and-renew --require outside the pool: %r" % p.stdout)
    # The client keeps trying on its own, still refusing: a plain restart ends that.
    t.ctl("restart", t.cif)
    t.wait_bound()
    log("ReleaseAndRenew: RetriesExhausted after %d attempts in %.1f s (raw, infradhcpctl human/--json)" % (
        r["parameters"]["attempts"], took))


def phase_acd(t, mon):
    # dnsmasq reserves t.reserved for the client; the squatter takes it while the client
    # is released, so the next acquisition probes, finds it used, declines it.
    s = t.status()
    check(s["address"] == t.reserved, "the client holds %s, not its reservation %s" % (s["address"], t.reserved))
    t.ctl("release", t.cif)
    t.seg.q.add_address(t.seg.qif, "%s/24" % t.reserved)
    start = mon.mark()
    t.ctl("renew", t.cif)
    s = t.wait_bound(timeout=20, pred=lambda s: s["address"] != t.reserved)
    mon.wait_states(["PROBING", "DECLINED", "BOUND"], start, 5, "the conflict")
    check(s.get("conflictMac") == t.seg.squatter_mac, "conflictMac %r, squatter is %s" % (
        s.get("conflictMac"), t.seg.squatter_mac))
    check(s["declined"] == [t.reserved], "declined %r, want [%s]" % (s["declined"], t.reserved))
    check_against_idl(t.idl, "GetStatus", s)
    j = t.ctl_json("status", t.cif)
    same_status(j, t.status(), "--json status after a conflict")
    check(j["conflictMac"] == t.seg.squatter_mac and j["declined"] == [t.reserved],
          "--json status conflict facts: %r" % j)
    out = t.ctl("status", t.cif).stdout
    log("infradhcpctl status after the conflict:\n%s" % out.rstrip())
    f = human_fields(out)
    check(f.get("Conflict MAC") == [t.seg.squatter_mac] and f.get("Declined") == [t.reserved] and
          f.get("ACD") == [t.status()["acdState"]], "status after a conflict:\n%s" % out)
    lease = t.ctl_json("lease", t.cif)
    check(not {"acdState", "conflictMac", "declined"} & set(lease), "--json lease has ACD fields: %r" % lease)
    log("acd: squatter %s on %s → declined; status shows it (raw, --json, human); bound to %s" % (
        t.seg.squatter_mac, t.reserved, s["address"]))


def phase_migration(t, mon):
    # The server moves to another subnet while ReleaseAndRenew waits out its delay:
    # the pod-migration flow the method exists for.
    new = netns.Subnet("10.78.0.0/24")
    start = mon.mark()
    rar = t.conn(timeout=30)
    rar.send("%s.ReleaseAndRenew" % IFACE, {"delayMs": 1500, "maxRetries": 1, "attemptTimeoutMs": 8000,
                                             "refuseSubnets": [str(t.subnet.net)],
                                             "requireSubnet": str(new.net)})
    netns.wait_for(lambda: t.status()["state"] == "RELEASED", 2, "RELEASED")
    t.server.stop()
    t.seg.s.ip("addr", "del", "%s/24" % t.subnet.server, "dev", t.seg.sif)
    t.server = netns.Dnsmasq(t.topo, t.seg.s, t.seg.sif, new, lease=t.lease).start()
    r = expect_ok(rar.recv(timeout=30), "ReleaseAndRenew across subnets")
    rar.close()
    check(new.in_pool(r["address"]) and r["attempts"] == 1, "migration reply %r" % r)
    s = t.status()
    check(s["address"] == r["address"] and s["server"] == new.server, "after migration: %r" % s)
    check(t.c.ipv4(t.cif) == [r["address"]], "interface has %s" % t.c.ipv4(t.cif))
    mon.wait_states(["RELEASED", "BOUND"], start, 5, "migration")
    # The request is logged with what it asked for, the required subnet included.
    want = ("ReleaseAndRenew requested over varlink (uid 0): delay 1500 ms, 1 retries, 1 refused subnet(s): %s, "
            "required subnet %s" % (t.subnet.net, new.net))
    check(want in t.client.proc.text(), "no log line %r" % want)
    log("migration: %s → %s (server moved subnets during the delay)" % (t.subnet.net, r["address"]))


def phase_shutdown(t, mon, human):
    check_chain(mon.params(), "raw Monitor (whole run)")
    check(mon.error is None and human.alive(), "streams broke before shutdown: %r" % mon.error)
    check(t.client.proc.alive(), "infradhcpd died")
    log_text = t.client.proc.text()
    errs = [x for x in log_text.splitlines() if "<err>" in x]
    check(not errs, "infradhcpd logged errors:\n%s" % "\n".join(errs))
    t.client.stop()
    check(t.client.proc.popen.returncode == 0, "infradhcpd exited %s" % t.client.proc.popen.returncode)
    rc = human.popen.wait(5)
    check(rc == 1 and re.search(r"%s: infradhcpd went away" % t.cif, human.text()),
          "infradhcpctl monitor after the daemon stopped: exit %s\n%s" % (rc, human.tail(5)))
    netns.wait_for(lambda: mon.error is not None or not mon.thread.is_alive(), 5, "the raw stream to end")
    check(not os.path.exists(t.sock), "the socket %s is left behind" % t.sock)
    p = t.ctl("status", t.cif, rc=1)
    check("infradhcpd is not running on %s (no socket at %s)" % (t.cif, t.sock) in p.stderr,
          "status after shutdown: %r" % p.stderr)
    log("shutdown: monitor exits 1 'went away', socket removed, status fails cleanly")


def make_traversable(path, top):
    """mkdtemp makes 0700 directories: let uid 65534 reach the socket (as /run would)."""
    path = os.path.abspath(path)
    top = os.path.abspath(top)
    while True:
        os.chmod(path, 0o755)
        if path == top or path == "/":
            break
        path = os.path.dirname(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", required=True, help="path to infradhcpd")
    ap.add_argument("--ctl", required=True, help="path to infradhcpctl")
    ap.add_argument("--keep-tmp", action="store_true", help="keep logs")
    args = ap.parse_args()
    args.daemon = os.path.abspath(args.daemon)
    args.ctl = os.path.abspath(args.ctl)

    t0 = time.monotonic()
    with netns.Topology("vl", keep_tmp=args.keep_tmp) as topo:
        t = T(args, topo)
        t.seg = netns.bridged_topology(topo)
        t.c, t.cif, t.mac = t.seg.c, t.seg.cif, t.seg.client_mac
        t.subnet = netns.Subnet()
        t.lease = 600
        t.reserved = str(ipaddress.ip_address(t.subnet.pool_start) + 20)
        t.server = netns.Dnsmasq(topo, t.seg.s, t.seg.sif, t.subnet, lease=t.lease,
                                 hosts=[("client", t.mac, t.reserved)]).start()
        phase_no_daemon(t)
        t.client = netns.InfraDhcpd(topo, t.c, t.cif, args.daemon).start()
        make_traversable(t.client.runtime_dir, topo.tmp)
        t.sock = os.path.join(t.client.runtime_dir, t.cif, IFACE)
        netns.wait_for(lambda: os.path.exists(t.sock), 5, "the socket %s" % t.sock)
        t.wait_bound(15)
        phase_status(t)
        phase_service(t)
        phase_errors(t)
        phase_protocol(t)
        mon, human = phase_monitor(t)
        phase_oneway(t, mon)
        phase_restart(t, mon)
        phase_privilege(t, mon)
        phase_rar(t, mon)
        phase_acd(t, mon)
        phase_migration(t, mon)
        phase_shutdown(t, mon, human)
        mon.close()
    log("PASS: varlink and infradhcpctl (%.1f s)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
