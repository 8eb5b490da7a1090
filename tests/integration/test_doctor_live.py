"""infradhcpctl doctor against real peers (called from test_doctor.py).

stray-dhclient   infradhcpd bound on a veth, then a real dhclient started on it: doctor
                 names the dhclient's pid, --fix stops it (infradhcpd keeps its address),
                 --undo starts the same dhclient command line again.
second-infradhcpd  a second infradhcpd on the same interface: named (the rightful one,
                 the peer of the control socket, is not), stopped by --fix, started
                 again by --undo.
networkd         a real systemd-networkd with DHCP=ipv4 for the interface removes
                 infradhcpd's address (its client named by its socket on the link);
                 after --fix (Unmanaged=yes file + Reload over
                 D-Bus) networkd leaves it alone through a reload and a reconfigure;
                 --undo hands the link back to networkd.
link-state       a foreign address (removed, put back by --undo), opflex files that
                 disagree with the address (the peer set by --fix, restored by --undo), a missing 224.0.0.0/4 route while infradhcpd
                 is stopped (added, removed by --undo).
networkmanager   a real NetworkManager 1.42 (dns=none, rc-manager=unmanaged) with its
                 automatic "Wired connection" flushes infradhcpd's address; doctor names
                 NM's internal DHCP client by the socket NM holds on the link (also with
                 no D-Bus to ask); after --fix
                 (unmanaged-devices drop-in, Reload, Managed=false) it leaves it alone
                 through an infradhcpd rebind; --undo makes NM manage the device again.

Both managers run without PID-1 systemd inside a private mount namespace (entered
with nsenter for every command) and the test's network namespace: tmpfs on
/run/systemd, /run/dbus (a private system bus), /run/NetworkManager and
/var/lib/NetworkManager; the configuration directories bind-mounted from the test's
temp dir; /sys mounted read-only (networkd and NM then run without udev); and
/etc/resolv.conf bind-mounted from a temp file. Nothing they do reaches a host file.
"""

import json
import os
import signal
import subprocess
import time

import netns
from netns import check, log, wait_for

NM = "/usr/sbin/NetworkManager"
NETWORKD = "/lib/systemd/systemd-networkd"


class Sandbox:
    """A private mount namespace inside netns `ns`, held by a sleeping process."""

    def __init__(self, topo, ns, mounts):
        self.topo, self.ns = topo, ns
        script = ["set -e", "mount --make-rprivate /"]
        for kind, src, dst in mounts:
            if kind == "tmpfs":
                script.append(f"mkdir -p {dst} && mount -t tmpfs tmpfs {dst}")
            elif kind == "bind":
                script.append(f"mkdir -p {dst} && mount --bind {src} {dst}")
            elif kind == "file":
                script.append(f"mount --bind {src} {dst}")
            elif kind == "bind-if-exists":
                # Hide the host's directory (doctor --fix must never write there).
                script.append(f"if [ -d {dst} ]; then mount --bind {src} {dst}; fi")
        # ip netns exec mounted this namespace's sysfs; make this mount of it read-only
        # (a per-mount flag: the other processes' view stays as it is).
        script.append("mount --bind /sys /sys && mount -o remount,bind,ro /sys")
        script.append("echo ready")
        script.append("exec sleep 100000")
        self.holder = ns.spawn("sandbox", ["unshare", "-m", "--propagation", "private", "sh", "-c",
                                           "\n".join(script)])
        self.holder.wait_log(r"ready", 10)

    def argv(self, argv):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", "--"] + list(argv)

    def run(self, argv, check_rc=False, timeout=30):
        p = subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout)
        if check_rc and p.returncode != 0:
            raise netns.HarnessError(f"{argv}: {p.returncode}: {p.stderr}")
        return p

    def spawn(self, name, argv):
        return self.topo.spawn(name, self.argv(argv))


class AddrWatch:
    """ip -ts monitor address in the namespace: every deletion of `address`."""

    def __init__(self, topo, runner, ifname):
        self.proc = topo.spawn("ip-monitor", runner(["ip", "-ts", "-4", "monitor", "address", "dev", ifname]))
        time.sleep(0.3)

    def deletions(self, address):
        return [l for l in self.proc.text().splitlines() if l.startswith("[") and "Deleted" in l and
                f" {address}/" in l]


def doctor(ctl, runner, ifname, state_dir, runtime_dir, *extra, root=None):
    argv = [ctl, "--json", "--runtime-dir", runtime_dir, "--state-dir", state_dir]
    if root:
        argv += ["--root", root]
    argv += ["doctor", ifname, *extra]
    p = subprocess.run(runner(argv), capture_output=True, text=True, timeout=60)
    try:
        out = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise netns.CheckFailed(f"doctor {extra}: exit {p.returncode}, not JSON:\n{p.stdout}\n{p.stderr}")
    log(f"doctor {' '.join(extra)} -> exit {p.returncode}: " +
        "; ".join(f"{f['status']} {f['check']}: {f['message'][:90]}" for f in out.get("findings", [])
                  if f["status"] != "ok") + (f" stderr: {p.stderr.strip()}" if p.stderr.strip() else ""))
    return p.returncode, out


def problems(out, check_name=None):
    return [f for f in out.get("findings", []) if f["status"] == "problem" and
            (check_name is None or f["check"] == check_name)]


def start_infradhcpd(topo, daemon, c, cif, subnet):
    client = netns.InfraDhcpd(topo, c, cif, daemon)
    client.start()
    addr = client.wait_address(timeout=20, pred=subnet.in_pool)
    log(f"infradhcpd bound to {addr}")
    return client, addr


def runtime_dir_of(client):
    # InfraDhcpd keeps its sockets under the topology's temp dir.
    return client.runtime_dir


def scenario_stray_dhclient(topo, ctl, daemon):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    netns.SERVERS["dnsmasq"](topo, s, sif, subnet, lease=600).start()
    client, addr = start_infradhcpd(topo, daemon, c, cif, subnet)
    state = topo.mkdir("doctor-state")
    root = topo.mkdir("empty-root")  # this machine's files are not the subject here
    runner = c.argv

    stray = netns.Dhclient(topo, c, cif)
    stray.start()
    pid = stray.proc.pid
    wait_for(lambda: os.path.exists(f"/proc/{pid}"), 5, "dhclient running")
    time.sleep(1.0)  # let it send its DISCOVER

    rc, out = doctor(ctl, runner, cif, state, runtime_dir_of(client), root=root)
    check(rc == 1, f"doctor must report the stray dhclient (exit {rc})")
    found = problems(out, "process")
    check(any(f.get("source") == f"pid {pid}" and "dhclient" in f["message"] for f in found),
          f"no finding names dhclient pid {pid}: {found}")
    check(any("kill" in (f.get("fix") or "") and f["autoFix"] for f in found), f"no kill fix: {found}")

    rc, out = doctor(ctl, runner, cif, state, runtime_dir_of(client), "--fix", root=root)
    check(not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z",
          "dhclient still runs after --fix")
    check(not problems(out, "process"), f"process problems after --fix: {problems(out, 'process')}")
    wait_for(lambda: addr in c.ipv4(cif), 10, f"infradhcpd's {addr} on {cif} after the fix")
    rc, out = doctor(ctl, runner, cif, state, runtime_dir_of(client), root=root)
    check(rc == 0, f"doctor after --fix: exit {rc}: {problems(out)}")
    log(f"stray dhclient {pid} stopped; {addr} kept; doctor clean")

    with open(os.path.join(state, "doctor", f"{cif}.json")) as f:
        rec = json.load(f)
    argv = [a for a in rec["actions"] if a["type"] == "stop-process"][0]["argv"]
    rc, out = doctor(ctl, runner, cif, state, runtime_dir_of(client), "--undo", root=root)
    check(rc == 0, f"--undo: exit {rc}: {out}")

    def restarted():
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if f.read().split(b"\0")[:-1] == [a.encode() for a in argv]:
                        return int(p)
            except OSError:
                pass
        return None

    newpid = wait_for(restarted, 5, "the same dhclient command line running again")
    log(f"--undo restarted dhclient as pid {newpid}: {' '.join(argv)}")
    os.kill(newpid, signal.SIGTERM)
    wait_for(lambda: not os.path.exists(f"/proc/{newpid}"), 5, "restarted dhclient gone")


def find_cmdline(argv):
    """The pid running exactly argv, or None."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if f.read().split(b"\0")[:-1] == [a.encode() for a in argv]:
                    return int(p)
        except OSError:
            pass
    return None


def scenario_second_infradhcpd(topo, ctl, daemon):
    """A second infradhcpd for the same interface (its own state and runtime dirs, as a
    hand-started copy would have): named as a second daemon, the rightful one (the
    peer of the control socket doctor is given) left alone; --fix stops the second,
    --undo starts its command line again."""
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    netns.SERVERS["dnsmasq"](topo, s, sif, subnet, lease=600).start()
    client, addr = start_infradhcpd(topo, daemon, c, cif, subnet)
    state = topo.mkdir("doctor-state")
    root = topo.mkdir("empty-root")
    second = netns.InfraDhcpd(topo, c, cif, daemon)
    second.start()
    second.proc.wait_log(r"STATE=", 10)
    pid = second.proc.pid

    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir, root=root)
    found = problems(out, "process")
    check(rc == 1 and len(found) == 1 and found[0].get("source") == f"pid {pid}" and
          "a second infradhcpd" in found[0]["message"] and found[0]["autoFix"],
          f"the second infradhcpd (pid {pid}) must be the one process finding: exit {rc} {found}")
    check(not any(f.get("source") == f"pid {client.proc.pid}" for f in out["findings"]),
          f"the rightful infradhcpd (pid {client.proc.pid}) was reported: {out['findings']}")

    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir, "--fix", root=root)
    wait_for(lambda: not second.proc.alive(), 10, "the second infradhcpd stopped by --fix")
    check(client.proc.alive(), "--fix stopped the rightful infradhcpd")
    client.proc.send_signal(signal.SIGUSR1)  # renew: the address is (again) the rightful one's
    wait_for(lambda: addr in c.ipv4(cif), 15, f"infradhcpd's {addr} on {cif} after --fix")
    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir, root=root)
    check(rc == 0, f"doctor after --fix: exit {rc}: {problems(out)}")
    log(f"second infradhcpd {pid} stopped by --fix; pid {client.proc.pid} kept {addr}; doctor clean")

    with open(os.path.join(state, "doctor", f"{cif}.json")) as f:
        argv = [a for a in json.load(f)["actions"] if a["type"] == "stop-process"][0]["argv"]
    check(argv == second.argv(), f"recorded command line {argv} is not the second daemon's")
    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir, "--undo", root=root)
    newpid = None
    try:
        check(rc == 0, f"--undo: exit {rc}: {out}")
        newpid = wait_for(lambda: find_cmdline(argv), 5, "the second infradhcpd's command line running again")
        log(f"--undo restarted the second infradhcpd as pid {newpid}")
    finally:
        newpid = newpid or find_cmdline(argv)
        if newpid:
            os.kill(newpid, signal.SIGTERM)
            wait_for(lambda: not os.path.exists(f"/proc/{newpid}"), 10, "restarted infradhcpd gone")


def private_bus(sb):
    bus = sb.spawn("dbus-daemon", ["dbus-daemon", "--system", "--nofork", "--nopidfile", "--nosyslog"])
    wait_for(lambda: sb.run(["test", "-S", "/run/dbus/system_bus_socket"]).returncode == 0, 10,
             "the private system bus socket")
    return bus


def scenario_networkd(topo, ctl, daemon):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    netns.SERVERS["dnsmasq"](topo, s, sif, subnet, lease=600).start()
    client, addr = start_infradhcpd(topo, daemon, c, cif, subnet)
    netdir = topo.mkdir("systemd-network")
    with open(os.path.join(netdir, "50-infra.network"), "w") as f:
        f.write(f"[Match]\nName={cif}\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n")
    resolv = topo.path("resolv.conf")
    open(resolv, "w").close()
    sb = Sandbox(topo, c, [("tmpfs", None, "/run/systemd"), ("tmpfs", None, "/run/dbus"),
                           ("bind", netdir, "/etc/systemd/network"), ("file", resolv, "/etc/resolv.conf"),
                           ("bind-if-exists", topo.mkdir("empty-nm"), "/etc/NetworkManager")])
    sb.run(["sh", "-c", "mkdir -p /run/systemd/netif/links /run/systemd/netif/leases /run/systemd/netif/lldp && "
                        "chown -R systemd-network:systemd-network /run/systemd/netif"], check_rc=True)
    private_bus(sb)
    state = topo.mkdir("doctor-state")
    watch = AddrWatch(topo, sb.argv, cif)

    nd = sb.spawn("systemd-networkd", [NETWORKD])
    # networkd configures the link before it has enumerated the addresses, so at its
    # start it only adds its own DHCP address beside infradhcpd's (two addresses);
    # the next reconfiguration (networkctl reload/reconfigure, netplan apply, a
    # carrier change) drops every address and route it did not add.
    nd.wait_log(r"DHCPv4 address .* acquired", 20)
    sb.run(["networkctl", "reconfigure", cif])
    wait_for(lambda: watch.deletions(addr), 20, f"systemd-networkd removing infradhcpd's {addr}")
    log(f"networkd removed {addr}: {watch.deletions(addr)[0]}")

    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir)
    check(rc == 1 and problems(out, "networkd"), f"doctor must name networkd: exit {rc} {out}")
    check(any("50-infra.network" in (f.get("source") or "") for f in problems(out, "networkd")),
          f"the networkd finding must name 50-infra.network: {problems(out, 'networkd')}")
    # Its DHCP client is inside networkd: found by the socket it holds on the link.
    sock = [f for f in problems(out, "process") if f.get("source") == f"pid {nd.pid}"]
    check(len(sock) == 1 and "systemd-networkd runs its DHCPv4 client" in sock[0]["message"],
          f"networkd's own DHCP client socket not reported (pid {nd.pid}): {problems(out, 'process')}")
    log(f"networkd's client by its socket: {sock[0]['message']}")

    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir, "--fix")
    check(os.path.exists(os.path.join(netdir, f"00-infradhcp-{cif}.network")), "--fix wrote no .network file")
    check(not problems(out, "networkd"), f"networkd problem left after --fix: {problems(out, 'networkd')}")
    ifindex = c.ifindex(cif)

    def admin_state():
        p = sb.run(["cat", f"/run/systemd/netif/links/{ifindex}"])
        for line in p.stdout.splitlines():
            if line.startswith("ADMIN_STATE="):
                return line.split("=", 1)[1]
        return None

    wait_for(lambda: admin_state() == "unmanaged", 10, "networkd's ADMIN_STATE=unmanaged")
    wait_for(lambda: addr in c.ipv4(cif), 15, f"infradhcpd's {addr} back on {cif}")
    n_before = len(watch.deletions(addr))
    # Provoke networkd: reload, reconfigure, and a renewal by infradhcpd.
    sb.run(["networkctl", "reload"])
    sb.run(["networkctl", "reconfigure", cif])
    client.proc.send_signal(signal.SIGUSR1)
    time.sleep(5)
    check(len(watch.deletions(addr)) == n_before,
          f"networkd removed {addr} again after --fix: {watch.deletions(addr)[n_before:]}")
    check(addr in c.ipv4(cif), f"{addr} missing after --fix")
    check(nd.alive(), "systemd-networkd died")
    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir)
    check(rc == 0, f"doctor after --fix: exit {rc}: {problems(out)}")
    log(f"after --fix networkd leaves {cif} alone (ADMIN_STATE=unmanaged, no deletion in 5 s of reload/"
        "reconfigure/renew)")

    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir, "--undo")
    check(rc == 0, f"--undo: exit {rc}")
    check(not os.path.exists(os.path.join(netdir, f"00-infradhcp-{cif}.network")), "--undo left the file")
    wait_for(lambda: admin_state() not in (None, "unmanaged"), 10, "networkd managing the link again")
    log(f"--undo: networkd manages {cif} again (ADMIN_STATE={admin_state()})")


def scenario_networkmanager(topo, ctl, daemon):
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    netns.SERVERS["dnsmasq"](topo, s, sif, subnet, lease=600).start()
    client, addr = start_infradhcpd(topo, daemon, c, cif, subnet)
    etc = topo.mkdir("NetworkManager")
    os.makedirs(os.path.join(etc, "conf.d"), exist_ok=True)
    os.makedirs(os.path.join(etc, "system-connections"), exist_ok=True)
    with open(os.path.join(etc, "NetworkManager.conf"), "w") as f:
        f.write("[main]\nplugins=keyfile\ndns=none\nrc-manager=unmanaged\n\n[logging]\nlevel=INFO\n")
    resolv = topo.path("resolv.conf")
    open(resolv, "w").close()
    sb = Sandbox(topo, c, [("tmpfs", None, "/run/systemd"), ("tmpfs", None, "/run/dbus"),
                           ("tmpfs", None, "/run/NetworkManager"), ("tmpfs", None, "/var/lib/NetworkManager"),
                           ("bind", etc, "/etc/NetworkManager"), ("file", resolv, "/etc/resolv.conf"),
                           ("bind-if-exists", topo.mkdir("empty-networkd"), "/etc/systemd/network")])
    private_bus(sb)
    state = topo.mkdir("doctor-state")
    watch = AddrWatch(topo, sb.argv, cif)

    nm = sb.spawn("NetworkManager", [NM, "--no-daemon", "--debug"])
    # NM starts by assuming the address it finds (an "external" connection); it takes
    # the device over when its profile is activated, as `nmcli con up` does (the
    # seed's own workaround) or a reboot: then it runs DHCP and flushes the rest.
    nm.wait_log(r"created default wired connection 'Wired connection 1'", 30)
    nm.wait_log(r"startup complete", 30)
    sb.run(["nmcli", "--wait", "0", "connection", "up", "Wired connection 1", "ifname", cif])
    wait_for(lambda: watch.deletions(addr), 30, f"NetworkManager removing infradhcpd's {addr}")
    log(f"NetworkManager removed {addr}: {watch.deletions(addr)[0]}")

    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir)
    check(rc == 1 and problems(out, "networkmanager"), f"doctor must name NetworkManager: exit {rc}")
    check(any(f.get("source") == "D-Bus" and "manages" in f["message"] for f in problems(out, "networkmanager")),
          f"the live D-Bus state must be reported: {problems(out, 'networkmanager')}")
    # NM's internal client (n-dhcp4) has no process: the socket NM holds on the link.
    sock = [f for f in problems(out, "process") if f.get("source") == f"pid {nm.pid}"]
    check(len(sock) == 1 and "NetworkManager runs its internal DHCPv4 client" in sock[0]["message"] and
          sock[0].get("autoFix"), f"NM's internal DHCP client not reported (pid {nm.pid}): {problems(out, 'process')}")
    log(f"NM's internal client by its socket: {sock[0]['message']}")
    # Without the bus (doctor outside the sandbox's mount namespace) the socket still
    # names it; the live D-Bus state is then an error.
    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir)
    check(rc == 2 and any(f.get("source") == f"pid {nm.pid}" for f in problems(out, "process")),
          f"without D-Bus NM's internal client was not found (or exit not 2): exit {rc} {problems(out)}")

    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir, "--fix")
    check(os.path.exists(os.path.join(etc, "conf.d", f"99-infradhcp-{cif}.conf")), "--fix wrote no NM drop-in")
    log("link after --fix: " + c.run(["ip", "-br", "link", "show", cif]).stdout.strip())
    check(not problems(out, "networkmanager"), f"NM problem left: {problems(out, 'networkmanager')}")
    wait_for(lambda: "unmanaged" in sb.run(["nmcli", "-t", "-f", "DEVICE,STATE", "device"]).stdout.split(
        f"{cif}:", 1)[-1].split("\n")[0], 10, "nmcli: device unmanaged")
    wait_for(lambda: addr in c.ipv4(cif), 15, f"infradhcpd's {addr} back on {cif}")
    time.sleep(1)
    n_before = len(watch.deletions(addr))
    sb.run(["nmcli", "general", "reload"])
    up = sb.run(["nmcli", "--wait", "5", "connection", "up", "Wired connection 1", "ifname", cif])
    check(up.returncode != 0, f"nmcli con up still works on the unmanaged device: {up.stdout}")
    client.proc.send_signal(signal.SIGUSR1)
    time.sleep(5)
    check(len(watch.deletions(addr)) == n_before,
          f"NetworkManager removed {addr} after --fix: {watch.deletions(addr)[n_before:]}")
    check(addr in c.ipv4(cif), f"{addr} missing after --fix")
    check(nm.alive(), "NetworkManager died")
    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir)
    check(rc == 0 and not problems(out, "process"), f"doctor after --fix: exit {rc}: {problems(out)}")
    log(f"after --fix NetworkManager leaves {cif} alone (unmanaged; no deletion in 5 s of reload and renew)")

    rc, out = doctor(ctl, sb.argv, cif, state, client.runtime_dir, "--undo")
    check(rc == 0, f"--undo: exit {rc}")
    check(not os.path.exists(os.path.join(etc, "conf.d", f"99-infradhcp-{cif}.conf")), "--undo left the drop-in")
    wait_for(lambda: "unmanaged" not in sb.run(["nmcli", "-t", "-f", "DEVICE,STATE", "device"]).stdout.split(
        f"{cif}:", 1)[-1].split("\n")[0], 15, "NetworkManager managing the device again")
    log("--undo: NetworkManager manages the device again")


def scenario_link_state(topo, ctl, daemon):
    """What other managers leave on the link: a foreign address, opflex files that
    disagree, and (infradhcpd stopped, so nobody puts it back) a deleted multicast
    route."""
    s, sif, c, cif = netns.client_server_topology(topo)
    subnet = netns.Subnet()
    netns.SERVERS["dnsmasq"](topo, s, sif, subnet, lease=600).start()
    client, addr = start_infradhcpd(topo, daemon, c, cif, subnet)
    state = topo.mkdir("doctor-state")
    root = topo.mkdir("empty-root")
    opflex = topo.mkdir("opflex")
    net = addr.rsplit(".", 1)[0]
    with open(os.path.join(opflex, "01-base.conf"), "w") as f:
        json.dump({"opflex": {"name": "n", "peers": [{"hostname": "10.1.0.30", "port": "8009"}]}}, f)
    with open(os.path.join(opflex, "10-renderer.conf"), "w") as f:
        json.dump({"renderers": {"stitched-mode": {"encap": {"vxlan": {"remote-ip": net + ".32"}}}}}, f)
    c.add_address(cif, "192.0.2.7/24")
    opf_args = ("--opflex-config-path", opflex)

    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir, *opf_args, root=root)
    check(rc == 1, f"exit {rc}")
    check(any(f.get("source") == "192.0.2.7/24" for f in problems(out, "address")),
          f"foreign address not reported: {problems(out)}")
    opf = problems(out, "opflex")
    check(len(opf) == 1 and "10.1.0.30" in opf[0]["message"] and net + ".30" in opf[0]["message"],
          f"01-base.conf's wrong peer must be reported, 10-renderer.conf's right remote-ip not: {opf}")

    check(opf[0].get("autoFix"), f"the opflex mismatch has no --fix: {opf}")
    base = os.path.join(opflex, "01-base.conf")
    with open(base, "rb") as f:
        base_before = f.read()
    with open(os.path.join(opflex, "10-renderer.conf"), "rb") as f:
        renderer_before = f.read()

    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir, "--fix", *opf_args, root=root)
    check(rc == 0, f"--fix: exit {rc}: {problems(out)}")
    check("192.0.2.7" not in c.ipv4(cif) and addr in c.ipv4(cif), f"--fix: addresses {c.ipv4(cif)}")
    with open(base) as f:
        fixed = json.load(f)
    check(fixed == {"opflex": {"name": "n", "peers": [{"hostname": net + ".30", "port": "8009"}]}},
          f"--fix: 01-base.conf is {fixed}")
    with open(os.path.join(opflex, "10-renderer.conf"), "rb") as f:
        check(f.read() == renderer_before, "--fix rewrote 10-renderer.conf, which was right")
    rc, out = doctor(ctl, c.argv, cif, state, client.runtime_dir, "--undo", *opf_args, root=root)
    check(rc == 0 and "192.0.2.7" in c.ipv4(cif), f"--undo did not put 192.0.2.7 back: {c.ipv4(cif)}")
    with open(base, "rb") as f:
        check(f.read() == base_before, "--undo did not restore 01-base.conf byte for byte")
    log("foreign address: found, removed, put back by --undo; the opflex peer mismatch named, set to "
        f"{net}.30 by --fix (other fields kept), restored by --undo")

    # Stopped (SIGTERM keeps the address and the lease file): nobody keeps the route.
    client.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: not client.proc.alive(), 5, "infradhcpd stopped")
    c.ip("addr", "del", "192.0.2.7/24", "dev", cif)
    c.ip("route", "del", "224.0.0.0/4", "dev", cif, "metric", "401")
    rc, out = doctor(ctl, c.argv, cif, client.state_dir, client.runtime_dir, root=root)
    check(rc == 1 and problems(out, "multicast-route"), f"missing route not found: exit {rc}")
    doctor(ctl, c.argv, cif, client.state_dir, client.runtime_dir, "--fix", root=root)
    check(c.multicast_route(cif), "--fix did not add 224.0.0.0/4")
    rc, out = doctor(ctl, c.argv, cif, client.state_dir, client.runtime_dir, "--undo", root=root)
    check(rc == 0 and not c.multicast_route(cif), "--undo did not remove the route it added")
    log("multicast route: found missing (infradhcpd stopped: its lease file read), added, removed by --undo")


SCENARIOS = {
    "stray-dhclient": scenario_stray_dhclient,
    "second-infradhcpd": scenario_second_infradhcpd,
    "networkd": scenario_networkd,
    "networkmanager": scenario_networkmanager,
    "link-state": scenario_link_state,
}


def run(name, ctl, daemon, keep_tmp):
    netns.require_root()
    with netns.Topology("dr", keep_tmp=keep_tmp) as topo:
        try:
            SCENARIOS[name](topo, ctl, daemon)
        except netns.CheckFailed as e:
            print(f"FAIL: {e}")
            topo.dump_logs()
            return 1
    return 0
