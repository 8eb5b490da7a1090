#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""D-Bus: infradhcpd's io.infradhcp.Link1 object, checked with the real busctl.

A private dbus-daemon runs with a system-bus-like configuration (default deny of
method calls, EXTERNAL auth) that includes the installed policy file
(src/dhcp4/io.infradhcp.conf); infradhcpd finds it through DBUS_SYSTEM_BUS_ADDRESS
and leases from dnsmasq in a namespace, on an interface whose name has a '.' (so the
bus name and the object path are escaped). Proves:
  - the names: io.infradhcp.link.<ifname with '_'> and io.infradhcp are owned, the
    object sits at /io/infradhcp/link/<sd_bus_path_encode(ifname)>;
  - `busctl introspect` lists exactly the documented properties and methods, with
    the documented types and change-signal annotations;
  - `busctl get-property` shows State BOUND, the address, prefix, server, client id
    and lease times that match the lease;
  - as root, `busctl call ... Renew` renews (a unicast REQUEST is ACKed) and
    `busctl monitor` sees PropertiesChanged RENEWING → BOUND with the new lease start;
    Release removes the address (RELEASED, Address "") and Renew binds again;
  - user nobody can read every property and GetManagedObjects but is refused
    Release: first by the bus policy, then, with a test-only policy that lets the
    message through, by the daemon's own uid check; the lease is untouched;
  - a second daemon (another interface) owns its own name and takes io.infradhcp
    over when the first exits;
  - when the bus goes away the daemon says so and keeps working; with no bus at
    DBUS_SYSTEM_BUS_ADDRESS it says so once and still binds.
"""

import argparse
import json
import os
import re
import shutil
import socket
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import netns
from netns import check, log, wait_for, CheckFailed, HarnessError

IFACE = "io.infradhcp.Link1"
LEASE = 600
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

# name → (signature, EmitsChangedSignal annotation); None = default ("true")
PROPERTIES = {
    "State": ("s", None), "Interface": ("s", "const"), "Address": ("s", None),
    "PrefixLength": ("y", None), "Server": ("s", None), "Routers": ("as", None),
    "DNS": ("as", None), "Routes": ("a(sys)", None), "MTU": ("q", None),
    "Hostname": ("s", None), "Domain": ("s", None), "LeaseStartUSec": ("t", None),
    "LifetimeUSec": ("t", None), "T1USec": ("t", None), "T2USec": ("t", None),
    "ExpiryUSec": ("t", None), "ClientId": ("s", None), "LastError": ("s", None),
    "PersistError": ("s", None), "ExportError": ("s", None), "LastRemoval": ("s", None),
    "LastRemovalUSec": ("t", None), "Capabilities": ("as", None),
    "ACDState": ("s", None), "DeclinedAddresses": ("as", "false"), "ConflictMAC": ("s", None),
    "Conflicts": ("u", None), "DeclineBackoffUSec": ("t", None),
    "AttachmentState": ("s", "false"), "AttachmentOutcome": ("s", "false"), "AttachmentReason": ("s", "false"),
    "AttachmentLastCheckUSec": ("t", "false"),
}
METHODS = ["Check", "Rebind", "Release", "Renew"]

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- the default policy of Debian's system.conf -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
  <!-- as in system.conf: root may monitor (busctl monitor) -->
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <!-- the policy file under test, as installed in system.d -->
  <include>{policy}</include>
  <!-- test-only additions, loaded on SIGHUP -->
  <includedir>{extra}</includedir>
</busconfig>
"""

# Lets nobody's method calls through the bus so that the daemon's own check answers.
PERMISSIVE = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="default">
    <allow send_destination_prefix="io.infradhcp"/>
  </policy>
</busconfig>
"""


class Bus:
    """A private dbus-daemon and busctl against it."""

    def __init__(self, topo, policy):
        # busctl runs as nobody too: the socket's directory must be searchable.
        self.dir = tempfile.mkdtemp(prefix="infradhcp-bus-")
        os.chmod(self.dir, 0o755)
        self.extra = os.path.join(self.dir, "extra.d")
        os.makedirs(self.extra)
        self.socket = os.path.join(self.dir, "system_bus_socket")
        self.address = "unix:path=%s" % self.socket
        self.config = os.path.join(self.dir, "bus.conf")
        with open(self.config, "w") as f:
            f.write(BUS_CONFIG.format(socket=self.socket, policy=os.path.abspath(policy), extra=self.extra))
        self.proc = topo.spawn("dbus-daemon", ["dbus-daemon", "--config-file=%s" % self.config, "--nofork",
                                               "--nopidfile", "--print-address=1"])
        self.proc.wait_log(re.escape(self.address), 10)
        log("dbus-daemon at %s (pid %d)" % (self.address, self.proc.pid))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def busctl(self, *args, user=None, check_rc=True, timeout=15):
        argv = (NOBODY if user == "nobody" else []) + ["busctl", "--address=%s" % self.address] + list(args)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
        if check_rc and p.returncode != 0:
            raise CheckFailed("%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
        return p

    def get(self, name, path, prop, user=None):
        p = self.busctl("--json=short", "get-property", name, path, IFACE, prop, user=user)
        return json.loads(p.stdout)["data"]

    def allow_everyone(self):
        """Adds the permissive policy and makes dbus-daemon reload its configuration."""
        with open(os.path.join(self.extra, "permissive.conf"), "w") as f:
            f.write(PERMISSIVE)
        self.proc.send_signal(signal.SIGHUP)

    def restrict(self):
        """Removes the permissive policy again: the installed policy alone applies."""
        os.unlink(os.path.join(self.extra, "permissive.conf"))
        self.proc.send_signal(signal.SIGHUP)


class Monitor:
    """busctl monitor --json=short on the whole bus, in the background."""

    def __init__(self, topo, bus, name, path):
        self.bus, self.name, self.path = bus, name, path
        self.proc = topo.spawn("busctl-monitor", ["busctl", "--address=%s" % bus.address, "--json=short", "monitor"])

        # Ready once it shows a call we make (it attaches some time after starting).
        def ready():
            check(self.proc.alive(), "busctl monitor exited: %s" % self.proc.tail())
            bus.busctl("call", name, path, "org.freedesktop.DBus.Peer", "Ping")
            return '"Ping"' in self.proc.text()
        wait_for(ready, 10, "busctl monitor to show messages", interval=0.3)

    def messages(self):
        out = []
        for line in self.proc.text().splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def changes(self):
        """The PropertiesChanged payloads of our object: list of {name: value}."""
        out = []
        for m in self.messages():
            if (m.get("type") == "signal" and m.get("member") == "PropertiesChanged"
                    and m.get("path") == self.path):
                iface, changed, _invalidated = m["payload"]["data"]
                if iface == IFACE:
                    out.append({k: v["data"] for k, v in changed.items()})
        return out

    def states(self):
        return [c["State"] for c in self.changes() if "State" in c]

    def stop(self):
        self.proc.stop()


def link_bus_name(ifname):
    n = re.sub(r"[^A-Za-z0-9_-]", "_", ifname)
    return "io.infradhcp.link." + ("_" + n if n[0].isdigit() else n)


def link_path(ifname):
    # sd_bus_path_encode: [A-Za-z0-9] as is, every other byte as _xx
    return "/io/infradhcp/link/" + "".join(
        c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in ifname)


def owner(bus, name):
    p = bus.busctl("--json=short", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                   "GetNameOwner", "s", name, check_rc=False)
    return json.loads(p.stdout)["data"][0] if p.returncode == 0 else None


def check_introspection(bus, name, path):
    # The human table (what an operator sees)...
    text = bus.busctl("introspect", name, path).stdout
    members = {}
    for line in text.splitlines():
        w = line.split()
        if len(w) >= 2 and w[0].startswith("."):
            members.setdefault(w[0][1:], []).append(w[1])
    for p in PROPERTIES:
        check("property" in members.get(p, []), "busctl introspect does not list property %s:\n%s" % (p, text))
    for m in METHODS:
        check("method" in members.get(m, []), "busctl introspect does not list method %s:\n%s" % (m, text))
    check("signal" in members.get("PropertiesChanged", []), "no PropertiesChanged signal in:\n%s" % text)
    check(re.search(r"^%s\s+interface" % re.escape(IFACE), text, re.M), "no %s interface in:\n%s" % (IFACE, text))

    # ...and the XML, exactly.
    xml = bus.busctl("introspect", "--xml-interface", name, path).stdout
    root = ET.fromstring(xml)
    ifaces = {i.get("name"): i for i in root.findall("interface")}
    for std in ("org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Introspectable",
                "org.freedesktop.DBus.Peer", IFACE):
        check(std in ifaces, "interface %s missing from the introspection" % std)
    i = ifaces[IFACE]
    props = {}
    for p in i.findall("property"):
        ann = {a.get("name"): a.get("value") for a in p.findall("annotation")}
        props[p.get("name")] = (p.get("type"), ann.get("org.freedesktop.DBus.Property.EmitsChangedSignal"),
                                p.get("access"))
    check(set(props) == set(PROPERTIES), "properties %s, want %s" % (sorted(props), sorted(PROPERTIES)))
    for n, (sig, emits) in PROPERTIES.items():
        check(props[n][0] == sig, "property %s has type %s, want %s" % (n, props[n][0], sig))
        check(props[n][1] == emits, "property %s EmitsChangedSignal=%s, want %s" % (n, props[n][1], emits))
        check(props[n][2] == "read", "property %s is %s, want read-only" % (n, props[n][2]))
    methods = {m.get("name"): m for m in i.findall("method")}
    check(sorted(methods) == METHODS, "methods %s, want %s" % (sorted(methods), METHODS))
    for m in methods.values():
        check(not m.findall("arg"), "method %s has arguments" % m.get("name"))
    log("introspection: %d properties, methods %s" % (len(props), ", ".join(sorted(methods))))


def check_status(bus, name, path, ifname, addr, mac, subnet, user=None):
    allp = {k: bus.get(name, path, k, user=user) for k in PROPERTIES}
    log("properties%s: %s" % (" (as %s)" % user if user else "", allp))
    check(allp["State"] == "BOUND", "State %s, want BOUND" % allp["State"])
    check(allp["Interface"] == ifname, "Interface %s, want %s" % (allp["Interface"], ifname))
    check(allp["Address"] == addr, "Address %s, interface has %s" % (allp["Address"], addr))
    check(allp["PrefixLength"] == subnet.prefixlen, "PrefixLength %s" % allp["PrefixLength"])
    check(allp["Server"] == subnet.server, "Server %s, want %s" % (allp["Server"], subnet.server))
    check(allp["ClientId"] == "01:" + mac, "ClientId %s, want 01:%s" % (allp["ClientId"], mac))
    check(allp["LastError"] == "", "LastError %r" % allp["LastError"])
    check(allp["PersistError"] == "", "PersistError %r" % allp["PersistError"])
    check(allp["ExportError"] == "" and allp["LastRemoval"] == "" and allp["LastRemovalUSec"] == 0,
          "ExportError %r LastRemoval %r at %r" % (allp["ExportError"], allp["LastRemoval"], allp["LastRemovalUSec"]))
    check(allp["Capabilities"] == ["cap_net_bind_service", "cap_net_admin", "cap_net_raw"],
          "Capabilities %r, want the three kept (docs/security.md)" % allp["Capabilities"])
    check(allp["DeclinedAddresses"] == [], "DeclinedAddresses %s" % allp["DeclinedAddresses"])
    check(allp["ConflictMAC"] == "" and allp["Conflicts"] == 0 and allp["DeclineBackoffUSec"] == 0,
          "conflict properties without a conflict: %r %r %r" % (allp["ConflictMAC"], allp["Conflicts"],
                                                                 allp["DeclineBackoffUSec"]))
    check(allp["ACDState"] in ("disabled", "IDLE", "PROBING", "ANNOUNCING", "DEFENDING"),
          "ACDState %r" % allp["ACDState"])
    start = allp["LeaseStartUSec"]
    now = time.time() * 1e6
    check(now - 120e6 < start <= now + 1e6, "LeaseStartUSec %d is not a recent realtime (now %d)" % (start, now))
    check(allp["LifetimeUSec"] == LEASE * 10**6, "LifetimeUSec %s, lease %d s" % (allp["LifetimeUSec"], LEASE))
    check(allp["ExpiryUSec"] == start + LEASE * 10**6, "ExpiryUSec %s, start %s" % (allp["ExpiryUSec"], start))
    # dnsmasq's T1/T2 (and RFC 2131 §4.4.5's defaults) are 0.5 and 0.875 of the lease.
    check(allp["T1USec"] == start + LEASE * 10**6 // 2, "T1USec %s" % allp["T1USec"])
    check(allp["T2USec"] == start + LEASE * 10**6 * 7 // 8, "T2USec %s" % allp["T2USec"])
    return allp


def dbus_error(p):
    return (p.stderr or "").strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--daemon", required=True, help="path to infradhcpd")
    ap.add_argument("--policy", required=True, help="path to io.infradhcp.conf")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()

    netns.require_root()
    for tool in ("dbus-daemon", "busctl", "setpriv"):
        if not shutil.which(tool):
            raise HarnessError("%s is missing (scripts/install-deps installs it)" % tool)

    bus = None
    try:
        with netns.Topology("db", keep_tmp=args.keep_tmp) as topo:
            bus = Bus(topo, args.policy)
            # An interface name with a '.', as VLAN interfaces have.
            cif = topo.unique("c")[:12] + ".7"
            s, sif, c, cif = netns.client_server_topology(topo, client_if=cif)
            mac = c.mac(cif)
            subnet = netns.Subnet()
            cap = netns.Capture(topo, c, cif).start()
            netns.Dnsmasq(topo, s, sif, subnet, lease=LEASE).start()

            name, path = link_bus_name(cif), link_path(cif)
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
            client = netns.InfraDhcpd(topo, c, cif, args.daemon).start()
            addr = client.wait_address(timeout=20, pred=subnet.in_pool)
            client.wait_state("BOUND", 5)
            log("bound %s on %s; bus name %s, path %s" % (addr, cif, name, path))

            # Names: the per-link one and the shared one (the only daemon here).
            wait_for(lambda: bus.busctl("status", name, check_rc=False).returncode == 0, 5,
                     "%s on the bus" % name)
            names = bus.busctl("--json=short", "list", "--acquired").stdout
            check(name in names and '"io.infradhcp"' in names, "bus names: %s" % names)
            check(bus.get("io.infradhcp", path, "Address") == addr, "io.infradhcp does not serve %s" % path)
            tree = bus.busctl("tree", "--list", name).stdout.split()
            check(path in tree, "busctl tree %s: %s" % (name, tree))

            check_introspection(bus, name, path)
            before = check_status(bus, name, path, cif, addr, mac, subnet)

            # Unprivileged reads, including GetManagedObjects on the ObjectManager.
            check_status(bus, name, path, cif, addr, mac, subnet, user="nobody")
            mo = json.loads(bus.busctl("--json=short", "call", name, "/io/infradhcp",
                                       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                       user="nobody").stdout)
            objs = mo["data"][0]
            check(objs.get(path, {}).get(IFACE, {}).get("Address", {}).get("data") == addr,
                  "GetManagedObjects: %s" % objs)

            # Unprivileged Release: the installed policy refuses it at the bus. busctl
            # shows any AccessDenied as "Access denied"; the daemon's log tells who
            # refused (it logs every refusal).
            def denied(p):
                return p.returncode != 0 and re.search(r"[Aa]ccess denied|AccessDenied", dbus_error(p))
            off = len(client.proc.text())
            p = bus.busctl("call", name, path, IFACE, "Release", user="nobody", check_rc=False)
            log("nobody Release (policy): rc %d: %s" % (p.returncode, dbus_error(p)))
            check(denied(p), "nobody's Release was not refused: rc %d %s" % (p.returncode, dbus_error(p)))
            time.sleep(0.3)
            check("Refused" not in client.proc.text()[off:], "the bus policy let nobody's Release through")

            # With a policy that lets it through, the daemon itself refuses.
            bus.allow_everyone()

            def daemon_refusal():
                q = bus.busctl("call", name, path, IFACE, "Release", user="nobody", check_rc=False)
                check(denied(q), "nobody's Release was not refused: rc %d %s" % (q.returncode, dbus_error(q)))
                return "Refused Release over D-Bus" in client.proc.text()[off:]
            wait_for(daemon_refusal, 10, "dbus-daemon to reload and the daemon to refuse", interval=0.3)
            log("nobody Release refused by the daemon: %s" % client.proc.wait_log(r"Refused Release[^\n]*", 1, off).group(0))
            for m in ("Renew", "Rebind", "Check"):
                off = len(client.proc.text())
                q = bus.busctl("call", name, path, IFACE, m, user="nobody", check_rc=False)
                check(denied(q), "nobody's %s: rc %d %s" % (m, q.returncode, dbus_error(q)))
                client.proc.wait_log(r"Refused %s over D-Bus" % m, 2, off)
            check(bus.get(name, path, "State") == "BOUND" and addr in c.ipv4(cif),
                  "refused calls changed the lease")

            # Root: Check (attachment detection): dnsmasq's address answers the unicast
            # ARP from its learned MAC, so the outcome is "attached" and no DHCP follows.
            t_check = time.time()
            bus.busctl("call", name, path, IFACE, "Check")
            wait_for(lambda: bus.get(name, path, "AttachmentOutcome") == "attached" and
                     bus.get(name, path, "AttachmentLastCheckUSec") >= int(t_check * 1e6) - 1000000, 10,
                     "AttachmentOutcome attached after Check")
            check(bus.get(name, path, "AttachmentState") == "WATCHING", "AttachmentState %r" % bus.get(
                name, path, "AttachmentState"))
            log("Check: %s (%s)" % (bus.get(name, path, "AttachmentOutcome"), bus.get(name, path, "AttachmentReason")))
            check(not [x for x in cap.packets() if x.from_client and x.time >= t_check],
                  "DHCP traffic after a Check that found the peers")

            # Root: Renew, seen by busctl monitor.
            mon = Monitor(topo, bus, name, path)
            log_off = len(client.proc.text())
            t_renew = time.time()
            bus.busctl("call", name, path, IFACE, "Renew")
            wait_for(lambda: "RENEWING" in mon.states() and mon.states()[-1] == "BOUND", 10,
                     "PropertiesChanged RENEWING → BOUND")
            ack = cap.wait(lambda ps: [x for x in ps if x.type == "ACK" and x.time >= t_renew - 0.5], 5,
                           "the ACK of the renewal")
            check(ack[-1].yiaddr == addr, "renewal ACKed %s" % ack[-1].yiaddr)
            ch = mon.changes()
            log("PropertiesChanged during renew: %s" % ch)
            starts = [x["LeaseStartUSec"] for x in ch if "LeaseStartUSec" in x]
            check(starts and starts[-1] > before["LeaseStartUSec"],
                  "no PropertiesChanged with a later LeaseStartUSec (before %d): %s" % (before["LeaseStartUSec"], ch))
            check(bus.get(name, path, "LeaseStartUSec") == starts[-1], "LeaseStartUSec differs from the signal")
            check(all(set(x) <= set(PROPERTIES) - {"DeclinedAddresses", "Interface"} for x in ch),
                  "unexpected properties in the signals: %s" % ch)

            # Root: Release, then Renew binds again.
            n0 = len(mon.changes())
            bus.busctl("call", name, path, IFACE, "Release")
            wait_for(lambda: any(x.get("State") == "RELEASED" and x.get("Address") == ""
                                 for x in mon.changes()[n0:]), 5, "PropertiesChanged State=RELEASED Address=''")
            wait_for(lambda: addr not in c.ipv4(cif), 5, "the address to be removed")
            check(bus.get(name, path, "State") == "RELEASED", "State after Release")
            n1 = len(mon.changes())
            bus.busctl("call", name, path, IFACE, "Renew")
            addr2 = client.wait_address(timeout=20, pred=subnet.in_pool)
            wait_for(lambda: any(x.get("State") == "BOUND" and x.get("Address") == addr2
                                 for x in mon.changes()[n1:]), 10, "PropertiesChanged State=BOUND Address=%s" % addr2)
            # Every transition the daemon made is signalled, in order, even when
            # several happen in one dispatch (RELEASED → INIT → SELECTING).
            logged = re.findall(r"State \S+ -> (\S+)", client.proc.text()[log_off:])
            wait_for(lambda: mon.states() == logged, 3, "the signalled states to match the log %s (got %s)" % (
                logged, mon.states()))
            log("states seen by busctl monitor: %s" % " → ".join(mon.states()))
            # The ACD machine moves without a client state change too (its probe
            # starting, announcements ending): noticed after the event loop iteration.
            if before["ACDState"] != "disabled":
                acd = [x["ACDState"] for x in mon.changes()[n1:] if "ACDState" in x]
                check("PROBING" in acd, "ACDState changes not signalled during the new bind: %s" % mon.changes()[n1:])
            check("INIT" in logged, "Renew after Release did not go through INIT: %s" % logged)
            check_status(bus, name, path, cif, addr2, mac, subnet)
            mon.stop()

            # While a varlink ReleaseAndRenew owns the client, D-Bus commands are
            # refused with Busy instead of interleaving with the sequence.
            sock_path = os.path.join(client.runtime_dir, cif, "io.infradhcp.Client")
            rr = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            rr.connect(sock_path)
            rr.sendall(json.dumps({"method": "io.infradhcp.Client.ReleaseAndRenew",
                                   "parameters": {"delayMs": 1500}}).encode() + b"\0")
            wait_for(lambda: bus.get(name, path, "State") == "RELEASED", 3, "the sequence to release")
            busy = bus.busctl("call", name, path, IFACE, "Renew", check_rc=False)
            check(busy.returncode != 0 and "ReleaseAndRenew sequence is running" in dbus_error(busy),
                  "Renew during ReleaseAndRenew: rc %d %r" % (busy.returncode, dbus_error(busy)))
            rr.settimeout(15)
            reply = b""
            while not reply.endswith(b"\0"):
                chunk = rr.recv(65536)
                check(chunk, "varlink closed before the ReleaseAndRenew reply")
                reply += chunk
            rr.close()
            check("error" not in json.loads(reply[:-1]), "ReleaseAndRenew failed: %r" % reply)
            bus.busctl("call", name, path, IFACE, "Renew")  # accepted again afterwards
            log("D-Bus Renew refused (Busy) during a varlink ReleaseAndRenew, accepted after it")

            # A second infradhcpd (another interface) shares the bus: it owns its own
            # link name and queues for io.infradhcp, which it takes over when the
            # first one exits.
            sif_b, cif_b = topo.unique("s"), topo.unique("c")
            topo.veth(s, sif_b, c, cif_b)
            subnet_b = netns.Subnet("10.78.0.0/24")
            netns.Dnsmasq(topo, s, sif_b, subnet_b, lease=LEASE).start()
            client_b = netns.InfraDhcpd(topo, c, cif_b, args.daemon).start()
            addr_b = client_b.wait_address(timeout=20, pred=subnet_b.in_pool)
            name_b, path_b = link_bus_name(cif_b), link_path(cif_b)
            wait_for(lambda: bus.busctl("status", name_b, check_rc=False).returncode == 0, 5, "%s on the bus" % name_b)
            wait_for(lambda: bus.get(name_b, path_b, "State") == "BOUND", 5, "%s BOUND over D-Bus" % cif_b)
            check(bus.get(name_b, path_b, "Address") == addr_b, "second daemon's Address")
            check(bus.get(name, path, "Address") == addr2, "first daemon's Address changed")
            check(owner(bus, "io.infradhcp") == owner(bus, name), "io.infradhcp moved to the second daemon")
            # The policy reaches a daemon that is only queued for io.infradhcp too
            # (send_destination="io.infradhcp" matches queued owners; no
            # send_destination_prefix, which dbus-daemon < 1.13.12 rejects): nobody
            # reads it by its link name, and the bus, not the daemon, refuses Release.
            bus.restrict()

            def bus_refuses():
                off_b = len(client_b.proc.text())
                q = bus.busctl("call", name_b, path_b, IFACE, "Release", user="nobody", check_rc=False)
                check(denied(q), "nobody's Release to %s: rc %d %s" % (name_b, q.returncode, dbus_error(q)))
                time.sleep(0.3)
                return "Refused" not in client_b.proc.text()[off_b:]
            wait_for(bus_refuses, 10, "dbus-daemon to drop the permissive policy", interval=0.3)
            check(bus.get(name_b, path_b, "Address", user="nobody") == addr_b,
                  "nobody cannot read the daemon queued for io.infradhcp")
            check(bus.get(name_b, path_b, "State") == "BOUND", "the refused Release reached the second daemon")
            log("queued daemon %s: read by nobody, Release refused by the bus policy" % name_b)
            client.stop()
            wait_for(lambda: owner(bus, "io.infradhcp") == owner(bus, name_b), 5,
                     "io.infradhcp to pass to the second daemon")
            check(bus.get("io.infradhcp", path_b, "Address") == addr_b, "io.infradhcp does not serve %s" % path_b)
            log("io.infradhcp passed from %s to %s's daemon" % (cif, cif_b))

            # The bus goes away: the daemon says so and runs on (a renew still works).
            off = len(client_b.proc.text())
            bus.proc.stop()
            client_b.proc.wait_log(r"Lost the system bus connection; D-Bus interface disabled", 5, off)
            client_b.proc.send_signal(signal.SIGUSR1)
            client_b.proc.wait_log(r"State RENEWING -> BOUND", 10, off)
            check(client_b.proc.alive(), "infradhcpd exited after losing the bus")

            # No bus: the daemon says so once and runs on.
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=%s" % os.path.join(bus.dir, "nonexistent")
            client2 = netns.InfraDhcpd(topo, c, cif, args.daemon, state_dir=client.state_dir).start()
            client2.wait_state("BOUND", 20)
            time.sleep(0.5)
            n = len(re.findall(r"No system bus; D-Bus interface disabled", client2.proc.text()))
            check(n == 1, "'No system bus' logged %d times:\n%s" % (n, client2.proc.tail()))
            check(client2.proc.alive(), "infradhcpd exited without a bus")
            log("PASS: D-Bus names, introspection, properties, signals, Renew/Release and access control")
    finally:
        os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        # dbus-daemon stopped with the topology's processes; its directory goes now.
        if bus:
            bus.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
