#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `system` suite: the packaged product under a real systemd (issue 9).

Boots Debian 12 with systemd as PID 1 in systemd-nspawn (root from mkroot.sh,
cached; each run works on an overlay of it), with the infra interface, a veth whose
name needs systemd-escape ("ens-infra.4093"), in the container's network namespace
and dnsmasq on the other end in a peer namespace. Then, in order, each scenario
asserting what the wire (tcpdump on the server side), the kernel (ip) and systemd
(systemctl show, journalctl, busctl) show:

  install     apt-get install ./infradhcp_*.deb: nothing enabled, nothing started,
              user infradhcp created, systemd-analyze verify passes
  enable      systemctl enable --now infradhcpd@$(systemd-escape IF): active
              (running), Status= "BOUND <address>", address on the interface, daemon
              runs as infradhcp with exactly its three capabilities (granted as
              ambient ones, kept by the daemon), no_new_privs and its seccomp filter
  dbus        busctl on the real system bus: introspect, get-property, Renew as
              root (REQUEST on the wire), Access denied for user nobody; the
              varlink socket: nobody reads the status, is refused renew
  journal     journalctl INTERFACE=IF STATE=BOUND finds the bind
  metrics     [Metrics] TextfilePath= in a node-exporter directory: without the
              documented ReadWritePaths= drop-in the hardened unit cannot write it
              (logged once, the daemon stays BOUND); with it the file appears, owned by
              infradhcp, mode 0644, parses strictly, says BOUND and equals
              `infradhcpctl metrics` run by nobody (docs/metrics.md)
  kill        kill -9 → systemd restarts it → INIT-REBOOT, same address, no DISCOVER
  stop        systemctl stop: address stays, no RELEASE on the wire; infradhcpctl
              release (after a start): RELEASE, address gone
  watchdog    SIGSTOP: systemd kills and restarts it on the watchdog (a drop-in
              shortens WatchdogSec to keep the suite short)
  reboot      the container reboots (the kernel address flushed as a real reboot
              would): the enabled unit comes back, INIT-REBOOT, same address
  agent       infradhcp-agent.service with a kubeconfig whose API is down: starts,
              READY and STATUS through sd_notify, infradhcpctl agent answers; with
              no Kubernetes configuration: fails with one error line, no restart storm
  remove      apt-get remove: no infradhcp process left, state directory kept;
              purge: state directories and /etc/default/infradhcp-agent gone

usage: test_system.py --source DIR --cache DIR [--root-script mkroot.sh]
Needs root, systemd-container, debootstrap (the first run), dnsmasq, tcpdump.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "packaging"))
import netns  # noqa: E402
import packages  # noqa: E402
import promparse  # noqa: E402
from netns import check, log, wait_for  # noqa: E402

IFNAME = "ens-infra.4093"          # '-' and '.' : the escaping matters
SUBNET = netns.Subnet("10.79.0.0/24")
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def posix_acl(path):
    """The access ACL of path as {(kind, id): perms} (kind user, group, mask, other;
    id None for the owner, owning group, mask and other entries)."""
    import struct
    try:
        raw = os.getxattr(path, "system.posix_acl_access")
    except OSError:
        return {}
    kinds = {1: ("user", False), 2: ("user", True), 4: ("group", False), 8: ("group", True),
             0x10: ("mask", False), 0x20: ("other", False)}
    out = {}
    for off in range(4, len(raw) - 7, 8):
        tag, perm, ident = struct.unpack("<HHI", raw[off:off + 8])
        kind, named = kinds.get(tag, ("?", False))
        out[(kind, ident if named else None)] = perm
    return out


def escape(name):
    return subprocess.run(["systemd-escape", name], check=True, capture_output=True,
                          text=True).stdout.strip()


UNIT = "infradhcpd@%s.service" % escape(IFNAME)


def bus_name(ifname):
    s = re.sub(r"[^A-Za-z0-9_-]", "_", ifname)
    return "io.infradhcp.link." + ("_" + s if s[0].isdigit() else s)


def bus_path(ifname):
    return "/io/infradhcp/link/" + "".join(
        c if c.isalnum() else "_%02x" % ord(c) for c in ifname)


# Added to the root for the test only (in the overlay, not the cache). Device
# units need udev inside: the container gets a sysfs of its own network namespace
# on /sys (mounted from the host, so that it is writable, as udev requires, before
# PID 1 starts), systemd-udev-trigger is masked (it would trigger every device of
# the host), and this unit replays the network links only. PID 1 enables its udev
# monitor only if udevd's control socket exists or /dev is a devtmpfs when it
# starts; in a container neither holds at boot, hence the daemon-reexec once udevd
# runs.
TRIGGER_UNIT = """[Unit]
Description=infradhcp test: device units for the network links
DefaultDependencies=no
Wants=systemd-udevd.service
After=systemd-udevd.service
Before=sysinit.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/systemctl daemon-reexec
ExecStart=/bin/udevadm trigger --subsystem-match=net --action=add
ExecStart=/bin/udevadm settle --timeout=30

[Install]
WantedBy=sysinit.target
"""

# 99-default.link's MACAddressPolicy=persistent would give the veth a new MAC
# (and with it a new client id and a new address).
LINK_FILE = """[Match]
OriginalName=%s

[Link]
MACAddressPolicy=none
""" % IFNAME

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: test
  user:
    token: test-token
contexts:
- name: test
  context:
    cluster: test
    user: test
current-context: test
"""


class Container:
    """systemd-nspawn --boot on an overlay of the cached root, in netns `ns`."""

    def __init__(self, topo, root, ns):
        self.topo, self.lower, self.ns = topo, root, ns
        self.dir = tempfile.mkdtemp(prefix="infradhcp-system-", dir="/var/tmp")
        self.upper = os.path.join(self.dir, "upper")
        self.work = os.path.join(self.dir, "work")
        self.merged = os.path.join(self.dir, "merged")
        self.sysfs = os.path.join(self.dir, "sys")
        for d in (self.upper, self.work, self.merged, self.sysfs):
            os.makedirs(d)
        netns.run(["mount", "-t", "overlay", "overlay", "-o",
                   "lowerdir=%s,upperdir=%s,workdir=%s" % (self.lower, self.upper, self.work),
                   self.merged])
        # A sysfs instance shows the links of the network namespace that mounts it.
        netns.run(["nsenter", "--net=/run/netns/%s" % ns.name, "mount", "-t", "sysfs", "sysfs", self.sysfs])
        self.proc = None
        self.leader = None
        self.boots = 0

    def path(self, p):
        return os.path.join(self.merged, p.lstrip("/"))

    def write(self, p, text, mode=0o644):
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)

    def enable_test_unit(self, name, text):
        self.write("/etc/systemd/system/" + name, text)
        wants = self.path("/etc/systemd/system/sysinit.target.wants")
        os.makedirs(wants, exist_ok=True)
        os.symlink("/etc/systemd/system/" + name, os.path.join(wants, name))

    def boot(self):
        self.boots += 1
        self.proc = self.topo.spawn("nspawn-boot%d" % self.boots, [
            "systemd-nspawn", "-D", self.merged, "--boot", "--register=no", "--keep-unit",
            "--network-namespace-path=/run/netns/%s" % self.ns.name,
            "--capability=CAP_NET_ADMIN,CAP_NET_RAW", "--console=read-only",
            "--bind=%s:/sys" % self.sysfs,
            "--machine=infradhcp-system"])

        def leader():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % pid) as f:
                        st = f.read()
                except OSError:
                    continue
                # nspawn's children before the exec of systemd come and go.
                if int(st.rsplit(")", 1)[1].split()[1]) == self.proc.pid and \
                        st.split("(", 1)[1].rsplit(")", 1)[0] == "systemd":
                    return int(pid)
            check(self.proc.alive(), "systemd-nspawn exited: %s" % self.proc.tail(20))
            return None
        self.leader = wait_for(leader, 30, "the container's PID 1")
        t0 = time.monotonic()

        def booted():
            # "offline" until PID 1 is systemd and answers, "starting" during the boot
            # (across the daemon-reexec of TRIGGER_UNIT), then running or degraded.
            try:
                out = self.sh("systemctl is-system-running", check_rc=False, timeout=10).stdout.strip()
            except subprocess.TimeoutExpired:
                return None
            return out if out in ("running", "degraded", "maintenance", "stopping") else None
        state = wait_for(booted, 150, "boot to finish", interval=0.2)
        log("container booted (leader pid %d): %s in %.1f s" % (self.leader, state, time.monotonic() - t0))
        if state != "running":
            log(self.sh("systemctl --failed --no-pager", check_rc=False).stdout)
        return state

    def run(self, argv, check_rc=True, timeout=60, user=None, input=None):
        pre = ["nsenter", "-t", str(self.leader), "-a", "--", "env", "-i", "PATH=" + PATH,
               "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "DEBIAN_FRONTEND=noninteractive"]
        if user:
            pre += ["setpriv", "--reuid=%s" % user, "--regid=nogroup", "--clear-groups"]
        p = subprocess.run(pre + list(argv), capture_output=True, text=True, timeout=timeout, input=input)
        if check_rc and p.returncode != 0:
            raise netns.CheckFailed("in the container: %s: rc %d\n%s%s" % (
                " ".join(argv), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
        return p

    def sh(self, script, **kw):
        return self.run(["/bin/sh", "-c", script], **kw)

    def show(self, unit, *props):
        out = self.run(["systemctl", "show", unit, "-p", ",".join(props)]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def pids(self, comm):
        """PIDs (host view) of processes named comm inside this container."""
        try:
            mine = os.readlink("/proc/%d/ns/pid" % self.leader)
        except OSError:
            return []
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % pid) as f:
                    if f.read().strip() != comm:
                        continue
                if os.readlink("/proc/%s/ns/pid" % pid) == mine:
                    out.append(int(pid))
            except OSError:
                continue
        return out

    def poweroff(self, action="poweroff", timeout=90):
        """Shuts the container down; returns systemd-nspawn's exit status."""
        self.run(["systemctl", "--no-block", action], check_rc=False)
        wait_for(lambda: not self.proc.alive(), timeout, "the container to %s" % action, interval=0.2)
        rc = self.proc.popen.returncode if hasattr(self.proc, "popen") else None
        self.leader = None
        return rc

    def destroy(self):
        if self.proc and self.proc.alive():
            try:
                self.poweroff(timeout=30)
            except Exception:
                self.proc.stop(signal.SIGKILL)
        subprocess.run(["umount", "-l", self.merged], capture_output=True)
        subprocess.run(["umount", "-l", self.sysfs], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


SCENARIOS = ("install", "enable", "dbus", "journal", "metrics", "kill", "stop", "dhclient", "watchdog", "reboot",
             "agent", "remove")


class System:
    def __init__(self, args):
        self.args = args
        self.timings = []

    def step(self, name, fn):
        t0 = time.monotonic()
        log("=== %s" % name)
        try:
            fn()
        except Exception:
            if self.ct.leader:
                j = self.ct.run(["journalctl", "-b", "--no-pager", "-n", "80", "-o", "short-monotonic"],
                                check_rc=False, timeout=30)
                log("the container's journal, last lines:\n%s" % j.stdout)
            raise
        dt = time.monotonic() - t0
        self.timings.append((name, dt))
        log("=== %s: ok (%.1f s)" % (name, dt))

    # --- helpers ---------------------------------------------------------------

    def addresses(self):
        return self.c.ipv4(IFNAME)

    def packets_since(self, t, kind=None):
        return [p for p in self.cap.packets() if p.time >= t and p.from_client and
                (kind is None or p.type == kind)]

    def wait_status_bound(self, timeout=30):
        def bound():
            s = self.ct.show(UNIT, "ActiveState", "SubState", "StatusText", "MainPID")
            m = re.match(r"BOUND (\d+\.\d+\.\d+\.\d+)", s.get("StatusText", ""))
            if s["ActiveState"] == "active" and s["SubState"] == "running" and m:
                return s, m.group(1)
            return None
        return wait_for(bound, timeout, "%s active (running) with Status=BOUND" % UNIT, interval=0.3)

    # --- scenarios -------------------------------------------------------------

    def install(self):
        shutil.copy(self.deb, self.ct.path("/root/"))
        deb = "/root/" + os.path.basename(self.deb)
        p = self.ct.run(["apt-get", "install", "-y", deb], timeout=180)
        log("apt-get install: %s" % p.stdout.strip().splitlines()[-1])
        enabled = self.ct.run(["systemctl", "is-enabled", "infradhcp-agent.service"], check_rc=False).stdout.strip()
        check(enabled == "disabled", "infradhcp-agent.service is %r after install, not disabled" % enabled)
        units = self.ct.run(["systemctl", "list-units", "--all", "--plain", "--no-legend", "infradhcp*"]).stdout
        check(not [u for u in units.splitlines() if " active " in u and not u.startswith("infradhcp-test")],
              "units active after install:\n%s" % units)
        check(not self.ct.pids("infradhcpd") and not self.ct.pids("infradhcp-agent"),
              "a program was started by the installation")
        wants = self.ct.sh("ls /etc/systemd/system/*.wants/ | grep infradhcp | grep -v infradhcp-test",
                           check_rc=False).stdout
        check(wants.strip() == "", "enabled by the package: %s" % wants)
        pw = self.ct.run(["getent", "passwd", "infradhcp"]).stdout.strip()
        log("system user: %s" % pw)
        check(pw.split(":")[6] in ("/usr/sbin/nologin", "/sbin/nologin"), "infradhcp has a login shell: %s" % pw)
        check(not os.path.exists(self.ct.path("/var/lib/infradhcp")),
              "the package created /var/lib/infradhcp (StateDirectory= does)")
        for u in ("/lib/systemd/system/infradhcp-agent.service", "/lib/systemd/system/" + UNIT.replace(
                escape(IFNAME), "")):
            check(os.path.exists(self.ct.path(u)), "%s not installed" % u)
        v = self.ct.run(["systemd-analyze", "verify", "--man=no", "infradhcp-agent.service", UNIT],
                        check_rc=False)
        check(v.returncode == 0 and "infradhcp" not in v.stderr,
              "systemd-analyze verify in the container: rc %d\n%s" % (v.returncode, v.stderr))
        for prog in ("infradhcpd", "infradhcpctl", "infradhcp-agent"):
            out = self.ct.run([prog, "--version"]).stdout.strip()
            check(out == "%s %s" % (prog, self.version), "%s --version: %r" % (prog, out))

    def enable(self):
        t0 = time.time()
        self.ct.sh('systemctl enable --now "infradhcpd@$(systemd-escape %s).service"' % IFNAME)
        s, addr = self.wait_status_bound()
        self.addr = addr
        check(SUBNET.in_pool(addr), "bound to %s, outside the pool" % addr)
        wait_for(lambda: addr in self.addresses(), 5, "%s on %s" % (addr, IFNAME))
        log("%s: %s, Status=%r, addresses %s" % (UNIT, s["SubState"], s["StatusText"], self.addresses()))
        status = self.ct.run(["systemctl", "status", "--no-pager", UNIT], check_rc=False).stdout
        check("active (running)" in status, "systemctl status:\n%s" % status)
        acks = [p for p in self.cap.packets() if p.time >= t0 and p.type == "ACK" and p.yiaddr == addr]
        check(acks, "no ACK of %s on the wire" % addr)
        pid = int(s["MainPID"])
        ps = self.proc_status(pid)
        uid = self.ct.run(["id", "-u", "infradhcp"]).stdout.strip()
        check(ps["Uid"].split()[0] == uid, "the daemon runs as uid %s, not infradhcp (%s)" % (ps["Uid"], uid))
        # systemd grants the three as ambient capabilities to the unprivileged user;
        # infradhcpd keeps them (permitted, effective) and clears the ambient set.
        want = (1 << 12) | (1 << 13) | (1 << 10)   # NET_ADMIN, NET_RAW, NET_BIND_SERVICE
        caps = {k: int(ps[k], 16) for k in ("CapEff", "CapPrm", "CapAmb", "CapBnd")}
        check(caps["CapEff"] == want and caps["CapPrm"] == want and caps["CapAmb"] == 0
              and caps["CapBnd"] == want, "capabilities %s, want effective/permitted/bounding %x" % (
                  {k: "%x" % v for k, v in caps.items()}, want))
        check(ps.get("NoNewPrivs", "").strip() == "1" and ps.get("Seccomp", "").strip() == "2",
              "NoNewPrivs %r Seccomp %r" % (ps.get("NoNewPrivs"), ps.get("Seccomp")))
        lease = self.ct.path("/var/lib/infradhcp/%s.lease" % IFNAME)
        check(os.path.exists(lease), "no lease file %s" % lease)
        check(str(os.stat(lease).st_uid) == uid, "lease file not owned by infradhcp")
        # The lease in dhclient's format where Debian's dhclient keeps it ([LeaseExport]):
        # under ProtectSystem=strict the unit may write /var/lib/dhcp, and the package's
        # tmpfiles.d ACL lets user infradhcp create the file there.
        export = self.ct.path("/var/lib/dhcp/dhclient.%s.leases" % IFNAME)
        wait_for(lambda: os.path.exists(export), 5, "the dhclient-format lease %s" % export)
        with open(export) as f:
            text = f.read()
        check(("fixed-address %s;" % addr) in text and ('interface "%s";' % IFNAME) in text,
              "%s does not hold the lease:\n%s" % (export, text))
        check(str(os.stat(export).st_uid) == uid, "%s not owned by infradhcp" % export)
        # /var/lib/dhcp stays root's: owner, group and other keep rwx, r-x, r-x; the
        # ACL adds user:infradhcp:rwx (and its mask, which ls shows as the group bits).
        d = os.path.dirname(export)
        st = os.stat(d)
        acl = posix_acl(d)
        check(st.st_uid == 0 and st.st_gid == 0 and (st.st_mode & 0o707) == 0o705,
              "/var/lib/dhcp owner/mode changed: %o %d:%d" % (st.st_mode & 0o777, st.st_uid, st.st_gid))
        check(acl.get(("group", None)) == 5 and acl.get(("user", int(uid))) == 7,
              "/var/lib/dhcp ACL: %r" % acl)
        en = self.ct.run(["systemctl", "is-enabled", UNIT]).stdout.strip()
        check(en == "enabled", "%s is %s" % (UNIT, en))

    def proc_status(self, host_pid_in_ct):
        out = self.ct.run(["cat", "/proc/%d/status" % host_pid_in_ct]).stdout
        return dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)

    def dbus(self):
        name, path = bus_name(IFNAME), bus_path(IFNAME)
        intro = self.ct.run(["busctl", "introspect", name, path]).stdout
        for member in ("io.infradhcp.Link1", ".Release", ".Renew", ".Rebind", ".State", ".Address"):
            check(member in intro, "busctl introspect: no %s\n%s" % (member, intro))
        st = json.loads(self.ct.run(["busctl", "--json=short", "get-property", name, path,
                                     "io.infradhcp.Link1", "State"]).stdout)["data"]
        addr = json.loads(self.ct.run(["busctl", "--json=short", "get-property", name, path,
                                       "io.infradhcp.Link1", "Address"], user="nobody").stdout)["data"]
        check(st == "BOUND" and addr == self.addr, "D-Bus State %s Address %s" % (st, addr))
        log("busctl: %s %s: State=%s, Address=%s (read by nobody)" % (name, path, st, addr))
        t0 = time.time()
        self.ct.run(["busctl", "call", name, path, "io.infradhcp.Link1", "Renew"])
        self.cap.wait(lambda ps: [p for p in ps if p.time >= t0 and p.type == "ACK" and p.yiaddr == self.addr],
                      10, "the ACK of the D-Bus Renew")
        self.ct.sh("journalctl -b -u %s --no-pager | grep -q 'Renew requested over D-Bus'" % UNIT.replace("\\", "\\\\"),
                   check_rc=False)
        q = self.ct.run(["busctl", "call", name, path, "io.infradhcp.Link1", "Renew"], user="nobody",
                        check_rc=False)
        check(q.returncode != 0 and "Access denied" in q.stderr,
              "nobody's Renew: rc %d %r" % (q.returncode, q.stderr))
        log("nobody's Renew: %s" % q.stderr.strip())
        # The varlink socket under the unit's user: everyone reads, only root commands.
        st = self.ct.run(["infradhcpctl", "status", IFNAME], user="nobody")
        check("BOUND" in st.stdout and self.addr in st.stdout, "nobody's infradhcpctl status:\n%s" % st.stdout)
        q = self.ct.run(["infradhcpctl", "renew", IFNAME], user="nobody", check_rc=False)
        check(q.returncode == 1 and "permission denied" in q.stderr,
              "nobody's infradhcpctl renew: rc %d %r" % (q.returncode, q.stderr))
        log("varlink as nobody: status read, renew refused (%s)" % q.stderr.strip())
        s = self.ct.show(UNIT, "StatusText")
        check(s["StatusText"].startswith("BOUND %s" % self.addr), "after Renew: %r" % s["StatusText"])

    def journal(self):
        out = self.ct.run(["journalctl", "-o", "json", "--no-pager", "INTERFACE=%s" % IFNAME, "STATE=BOUND"]).stdout
        entries = [json.loads(line) for line in out.splitlines() if line.strip()]
        check(entries, "journalctl INTERFACE=%s STATE=BOUND found nothing" % IFNAME)
        e = entries[-1]
        check(e.get("_SYSTEMD_UNIT") == UNIT, "the entry is from %r" % e.get("_SYSTEMD_UNIT"))
        check(self.addr in e.get("MESSAGE", "") or e.get("ADDRESS") == self.addr,
              "the BOUND entry does not name %s: %r" % (self.addr, e.get("MESSAGE")))
        log("journal: %d entries; last: %s" % (len(entries), e.get("MESSAGE")))

    def metrics(self):
        d = "/var/lib/prometheus/node-exporter"
        prom = "%s/infradhcp-%s.prom" % (d, IFNAME)
        conf = "/etc/infradhcp/%s.conf" % IFNAME
        dropin = "/etc/systemd/system/%s.d/50-test-textfile.conf" % UNIT
        self.ct.run(["install", "-d", "-m", "0775", "-g", "infradhcp", d])
        self.ct.write(conf, "[Metrics]\nTextfilePath=%s\n" % prom)
        # 1. ProtectSystem=strict: not writable without the drop-in
        t0 = self.ct.run(["date", "+%s"]).stdout.strip()
        self.ct.run(["systemctl", "restart", UNIT])
        self.wait_status_bound()
        unit = UNIT.replace("\\", "\\\\")
        wait_for(lambda: "Cannot write the metrics file" in self.ct.run(
            ["journalctl", "--no-pager", "-u", UNIT, "--since", "@" + t0]).stdout, 15,
            "the unit to say it cannot write %s" % prom)
        check(not os.path.exists(self.ct.path(prom)), "%s written although the unit cannot" % prom)
        log("without ReadWritePaths=: %s" % self.ct.sh(
            "journalctl --no-pager -o cat -u %s --since @%s | grep 'Cannot write the metrics file'" % (unit, t0),
            check_rc=False).stdout.strip())
        # 2. with the drop-in of docs/metrics.md
        self.ct.write(dropin, "[Service]\nReadWritePaths=%s\n" % d)
        self.ct.run(["systemctl", "daemon-reload"])
        self.ct.run(["systemctl", "restart", UNIT])
        self.wait_status_bound()
        full = self.ct.path(prom)

        def bound_file():
            try:
                with open(full) as f:
                    fams = promparse.parse(f.read())
                return promparse.value(fams, "infradhcp_dhcp_state", interface=IFNAME, state="BOUND") == 1
            except (OSError, ValueError, KeyError):
                return False
        wait_for(bound_file, 15, "%s to say BOUND" % prom)
        st = os.stat(full)
        uid = int(self.ct.run(["id", "-u", "infradhcp"]).stdout.strip())
        check(st.st_uid == uid and st.st_mode & 0o777 == 0o644, "%s: uid %d mode %o" % (prom, st.st_uid,
                                                                                     st.st_mode & 0o777))
        out = self.ct.run(["infradhcpctl", "metrics", IFNAME], user="nobody").stdout
        steady = lambda t: "".join(x for x in t.splitlines(True) if "infradhcp_attachment_" not in x)  # noqa: E731
        with open(full) as f:
            text = f.read()
        check(steady(text) == steady(out), "the file differs from infradhcpctl metrics:\n%s\n%s" % (text, out))
        log("%s: %d bytes, %d families, uid infradhcp, mode 0644, = infradhcpctl metrics (as nobody)" % (
            prom, len(text), len(promparse.parse(text))))
        os.unlink(self.ct.path(dropin))
        os.unlink(self.ct.path(conf))
        self.ct.run(["systemctl", "daemon-reload"])
        self.ct.run(["systemctl", "restart", UNIT])
        self.wait_status_bound()

    def kill(self):
        s = self.ct.show(UNIT, "MainPID", "NRestarts")
        pid, n0 = int(s["MainPID"]), int(s["NRestarts"])
        t0 = time.time()
        self.ct.sh("kill -9 %d" % pid)
        wait_for(lambda: int(self.ct.show(UNIT, "NRestarts")["NRestarts"]) == n0 + 1, 20,
                 "systemd to restart the killed daemon")
        s2, addr = self.wait_status_bound()
        check(int(s2["MainPID"]) != pid, "same MainPID after kill -9")
        check(addr == self.addr, "after the restart %s, before %s" % (addr, self.addr))
        reqs = self.packets_since(t0, "REQUEST")
        check(reqs and reqs[0].requested_ip == self.addr and reqs[0].ciaddr == "0.0.0.0"
              and reqs[0].server_id is None, "no INIT-REBOOT REQUEST for %s: %s" % (self.addr, reqs))
        check(not self.packets_since(t0, "DISCOVER"), "DISCOVER after the restart")
        check(self.addresses() == [self.addr], "addresses after the restart: %s" % self.addresses())
        log("kill -9 %d → restarted as %s, INIT-REBOOT REQUEST for %s, same address" % (pid, s2["MainPID"], addr))

    def stop(self):
        t0 = time.time()
        self.ct.run(["systemctl", "stop", UNIT])
        check(self.ct.show(UNIT, "ActiveState")["ActiveState"] == "inactive", "not inactive after stop")
        time.sleep(1.0)
        check(self.addr in self.addresses(), "the address went with systemctl stop: %s" % self.addresses())
        check(not self.packets_since(t0, "RELEASE"), "RELEASE on the wire after systemctl stop")
        check(not self.ct.pids("infradhcpd"), "infradhcpd still running after stop")
        log("systemctl stop: inactive, %s kept, no RELEASE" % self.addr)
        self.ct.run(["systemctl", "start", UNIT])
        self.wait_status_bound()
        t1 = time.time()
        p = self.ct.run(["infradhcpctl", "release", IFNAME])
        log("infradhcpctl release: %s" % (p.stdout.strip() or "ok"))
        self.cap.wait(lambda ps: [x for x in ps if x.time >= t1 and x.type == "RELEASE" and x.ciaddr == self.addr],
                      10, "a RELEASE of %s" % self.addr)
        wait_for(lambda: self.addr not in self.addresses(), 5, "the address to be removed")
        s = self.ct.show(UNIT, "StatusText", "ActiveState")
        check(s["ActiveState"] == "active" and s["StatusText"].startswith("RELEASED"),
              "after release: %s" % s)
        self.ct.run(["infradhcpctl", "renew", IFNAME])
        _, addr = self.wait_status_bound()
        self.addr = addr
        log("infradhcpctl release: RELEASE on the wire, address removed; renew: %s" % addr)

    def dhclient(self):
        """infradhcp-dhclient as `dhclient` (issue 10): the package's alternative (no real
        dhclient in this root), and with systemd as PID 1 a plain `dhclient IF` starts
        infradhcpd@IF.service, -x stops it through systemd, -r releases."""
        q = self.ct.run(["update-alternatives", "--query", "dhclient"]).stdout
        check("Value: /usr/sbin/infradhcp-dhclient" in q, "update-alternatives --query dhclient:\n%s" % q)
        target = self.ct.run(["readlink", "-f", "/usr/sbin/dhclient"]).stdout.strip()
        check(target == "/usr/sbin/infradhcp-dhclient", "/usr/sbin/dhclient -> %s" % target)
        self.ct.run(["systemctl", "stop", UNIT])
        # Not running: started through systemd (the escaped instance name), then a lease.
        p = self.ct.run(["dhclient", "-v", IFNAME], timeout=90)
        check("bound to" in p.stderr, "dhclient IF:\n%s" % p.stderr)
        s, addr = self.wait_status_bound()
        self.addr = addr
        log("dhclient %s: started %s, %s" % (IFNAME, UNIT, p.stderr.strip().splitlines()[-1]))
        # -x: stopped through systemd (inactive, not failed), the address kept, no RELEASE.
        t0 = time.time()
        self.ct.run(["dhclient", "-x", IFNAME])
        check(self.ct.show(UNIT, "ActiveState")["ActiveState"] == "inactive", "%s not inactive after -x" % UNIT)
        check(self.addr in self.addresses() and not self.packets_since(t0, "RELEASE"),
              "-x released: %s, %s" % (self.addresses(), self.packets_since(t0, "RELEASE")))
        # Started again; -r releases through it and leaves it running.
        self.ct.run(["dhclient", IFNAME], timeout=90)
        self.wait_status_bound()
        t1 = time.time()
        self.ct.run(["dhclient", "-r", IFNAME])
        self.cap.wait(lambda ps: [x for x in ps if x.time >= t1 and x.type == "RELEASE"], 10, "dhclient -r's RELEASE")
        s = self.ct.show(UNIT, "StatusText", "ActiveState")
        check(s["ActiveState"] == "active" and s["StatusText"].startswith("RELEASED"), "after dhclient -r: %s" % s)
        self.ct.run(["dhclient", IFNAME], timeout=90)
        _, self.addr = self.wait_status_bound()
        log("dhclient -x: stopped through systemd; -r: released, still running; renewed: %s" % self.addr)

    def watchdog(self):
        # WatchdogSec=30s in the unit; a drop-in makes the wait 5 s. No core file.
        self.ct.write("/etc/systemd/system/%s.d/50-test-watchdog.conf" % UNIT,
                      "[Service]\nWatchdogSec=5s\nLimitCORE=0\n")
        self.ct.run(["systemctl", "daemon-reload"])
        self.ct.run(["systemctl", "restart", UNIT])
        s, _ = self.wait_status_bound()
        pid, n0 = int(s["MainPID"]), int(self.ct.show(UNIT, "NRestarts")["NRestarts"])
        t0 = time.monotonic()
        self.ct.sh("kill -STOP %d" % pid)
        wait_for(lambda: int(self.ct.show(UNIT, "NRestarts")["NRestarts"]) > n0, 30,
                 "systemd to restart the stopped daemon on the watchdog", interval=0.3)
        dt = time.monotonic() - t0
        log_text = self.ct.run(["journalctl", "-b", "--no-pager", "-u", UNIT]).stdout
        check("Watchdog timeout" in log_text, "no 'Watchdog timeout' in the unit's journal")
        s2, addr = self.wait_status_bound()
        check(int(s2["MainPID"]) != pid and addr == self.addr, "after the watchdog: %s %s" % (s2, addr))
        check(dt < 5 + 15, "restart %.1f s after SIGSTOP with WatchdogSec=5s" % dt)
        log("SIGSTOP → watchdog restart after %.1f s, same address %s" % (dt, addr))
        os.unlink(self.ct.path("/etc/systemd/system/%s.d/50-test-watchdog.conf" % UNIT))
        self.ct.run(["systemctl", "daemon-reload"])

    def reboot(self):
        self.ct.poweroff("reboot")
        # A real reboot loses the kernel's address; the namespace here keeps it.
        self.c.flush_addresses(IFNAME)
        t0 = time.time()
        self.ct.boot()
        s, addr = self.wait_status_bound(timeout=60)
        check(addr == self.addr, "after reboot %s, before %s" % (addr, self.addr))
        reqs = self.packets_since(t0, "REQUEST")
        check(reqs and reqs[0].requested_ip == self.addr and reqs[0].ciaddr == "0.0.0.0",
              "no INIT-REBOOT after reboot: %s" % reqs)
        check(self.addresses() == [self.addr], "addresses after reboot: %s" % self.addresses())
        log("reboot: %s came back %s with %s (INIT-REBOOT)" % (UNIT, s["SubState"], addr))

    def agent(self):
        # 1. No Kubernetes configuration at all: one clear error, no restart storm.
        unit = "infradhcp-agent.service"
        self.ct.run(["systemctl", "start", "--no-block", unit])
        wait_for(lambda: self.ct.show(unit, "ActiveState")["ActiveState"] == "failed", 30,
                 "infradhcp-agent to fail without a Kubernetes configuration", interval=0.3)
        time.sleep(12)  # longer than RestartSec=10s: a restart would have happened
        s = self.ct.show(unit, "ActiveState", "NRestarts", "ExecMainStatus", "Result")
        errors = self.ct.run(["journalctl", "-b", "--no-pager", "-o", "cat", "-p", "err",
                              "_SYSTEMD_UNIT=%s" % unit]).stdout.strip().splitlines()
        log("agent without kube config: %s; error lines: %s" % (s, errors))
        check(s["ActiveState"] == "failed" and s["NRestarts"] == "0" and s["ExecMainStatus"] == "6",
              "agent restarted without configuration, or not exit status 6: %s" % s)
        warn = self.ct.run(["journalctl", "-b", "--no-pager", "-o", "cat", "-p", "warning..warning",
                            "_SYSTEMD_UNIT=%s" % unit]).stdout
        check("will not act" in warn, "no warning that the agent will not act: %r" % warn)
        check(len(errors) == 1 and "Kubernetes" in errors[0], "error lines: %s" % errors)
        # 2. A kubeconfig whose API server is down: starts, notifies, answers.
        self.configure_agent()
        self.ct.run(["systemctl", "reset-failed", unit])
        self.ct.run(["systemctl", "start", unit])
        st = self.ct.show(unit, "ActiveState", "SubState", "StatusText", "MainPID", "User")
        check(st["ActiveState"] == "active", "agent with a kubeconfig: %s" % st)
        wait_for(lambda: self.ct.show(unit, "StatusText")["StatusText"] not in ("", "Started"), 20,
                 "the agent to report a STATUS beyond Started")
        st = self.ct.show(unit, "StatusText", "MainPID")
        out = self.ct.run(["infradhcpctl", "agent"]).stdout
        check("node-1" in out and re.search(r"Multipod: off: will not act", out),
              "infradhcpctl agent does not say it will not act:\n%s" % out)
        log("agent: active, Status=%r; infradhcpctl agent:\n%s" % (st["StatusText"], out))
        self.ct.run(["systemctl", "stop", unit])

    def configure_agent(self):
        self.ct.write("/etc/infradhcp-test/kubeconfig", KUBECONFIG, 0o600)
        self.ct.write("/etc/default/infradhcp-agent",
                      "NODE_NAME=node-1\nAGENT_OPTS=--kubeconfig /etc/infradhcp-test/kubeconfig --interface %s\n" % IFNAME)

    def remove(self):
        check(self.ct.pids("infradhcpd"), "infradhcpd not running before remove")
        self.configure_agent()
        self.ct.run(["systemctl", "start", "infradhcp-agent.service"])
        self.ct.run(["apt-get", "remove", "-y", "infradhcp"], timeout=120)
        wait_for(lambda: not self.ct.pids("infradhcpd") and not self.ct.pids("infradhcp-agent"), 10,
                 "no infradhcp process after apt-get remove")
        check(os.path.exists(self.ct.path("/var/lib/infradhcp/%s.lease" % IFNAME)),
              "apt-get remove took the lease")
        check(self.addr in self.addresses(), "apt-get remove took the address")
        check(os.path.exists(self.ct.path("/etc/default/infradhcp-agent")), "remove took the conffile")
        log("apt-get remove: no process left, /var/lib/infradhcp kept, address kept")
        self.ct.run(["apt-get", "purge", "-y", "infradhcp"], timeout=120)
        for p in ("/var/lib/infradhcp", "/var/lib/infradhcp-agent", "/etc/default/infradhcp-agent"):
            check(not os.path.exists(self.ct.path(p)), "%s left after purge" % p)
        check(not os.path.exists(self.ct.path("/usr/sbin/infradhcpd")), "binary left after purge")
        check(not os.path.lexists(self.ct.path("/usr/sbin/dhclient")), "the dhclient alternative left after remove")
        log("apt-get purge: state directories, the environment file and the dhclient alternative gone")
        # Never over a real dhclient: with one there (a stand-in for isc-dhcp-client's
        # file), installing offers the alternative but leaves the file as it is.
        self.ct.write("/usr/sbin/dhclient", "#!/bin/sh\necho real dhclient\n", mode=0o755)
        deb = "/root/" + os.path.basename(self.deb)
        self.ct.run(["apt-get", "install", "-y", deb], timeout=180)
        check(not os.path.islink(self.ct.path("/usr/sbin/dhclient")) and
              self.ct.run(["dhclient"]).stdout.strip() == "real dhclient",
              "installing infradhcp replaced a real /usr/sbin/dhclient")
        self.ct.run(["apt-get", "purge", "-y", "infradhcp"], timeout=120)
        check(self.ct.run(["dhclient"]).stdout.strip() == "real dhclient", "removing infradhcp took the real dhclient")
        self.ct.run(["rm", "-f", "/usr/sbin/dhclient"])
        log("a real dhclient stays in place through install and purge")

    # --- the run ---------------------------------------------------------------

    def main(self):
        netns.require_root()
        t_all = time.monotonic()
        t0 = time.monotonic()
        root = subprocess.run(["bash", self.args.root_script], check=True, capture_output=True,
                              text=True).stdout.strip().splitlines()[-1]
        t_root = time.monotonic() - t0
        log("root: %s (%.1f s)" % (root, t_root))
        t0 = time.monotonic()
        self.deb, _ = packages.build_deb(self.args.source, self.args.cache)
        self.version = packages.project_version(self.args.source)
        t_deb = time.monotonic() - t0
        log("package: %s (%.1f s)" % (self.deb, t_deb))
        with netns.Topology("sys") as topo:
            s = topo.netns("s")
            self.c = topo.netns("c")
            sif = topo.unique("s")
            topo.veth(s, sif, self.c, IFNAME)
            netns.Dnsmasq(topo, s, sif, SUBNET, lease=3600).start()
            self.cap = netns.Capture(topo, s, sif).start()
            self.ct = Container(topo, root, self.c)
            try:
                self.ct.enable_test_unit("infradhcp-test-trigger.service", TRIGGER_UNIT)
                self.ct.write("/etc/systemd/network/10-infradhcp-test.link", LINK_FILE)
                self.step("boot", self.ct.boot)
                for name in SCENARIOS:
                    if name in ("install", "enable") or name in self.args.scenarios:
                        self.step(name, getattr(self, name))
            finally:
                self.ct.destroy()
        total = time.monotonic() - t_all
        log("timings: root %.1f s, package %.1f s, %s; total %.1f s" % (
            t_root, t_deb, ", ".join("%s %.1f s" % x for x in self.timings), total))
        print("system: %d scenarios passed in %.1f s" % (len(self.timings) - 1, total))
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True, help="the source tree to package")
    ap.add_argument("--cache", required=True, help="where built packages are kept")
    ap.add_argument("--root-script", default=os.path.join(HERE, "mkroot.sh"))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated subset to run (install and enable always run)")
    args = ap.parse_args()
    args.scenarios = args.scenarios.split(",")
    for n in args.scenarios:
        if n not in SCENARIOS:
            ap.error("unknown scenario %s (%s)" % (n, ", ".join(SCENARIOS)))
    if os.geteuid() != 0:
        print("system: needs root (systemd-nspawn, network namespaces)")
        return 77
    for tool in ("systemd-nspawn", "debootstrap", "dpkg-buildpackage", "dnsmasq", "tcpdump"):
        if not shutil.which(tool):
            print("system: %s missing (scripts/install-deps installs it)" % tool)
            return 1
    try:
        return System(args).main()
    except netns.CheckFailed as e:
        log("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
