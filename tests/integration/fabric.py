# SPDX-License-Identifier: LGPL-2.1-or-later
"""A two-pod ACI "fabric" in network namespaces, for the multipod migration tests, the
demo and the benchmark (issue 6).

What it is:
  * Fabric: pod-1 (dnsmasq serving 10.0.0.0/16) and pod-2 (dnsmasq serving
    10.1.0.0/16), each in its own namespace, a "switch" namespace holding a bridge, and
    the node namespace whose veth is named like the infra VLAN interface
    (ens192.4093). The node's veth peer is a bridge port; so is one pod's link. Moving
    the pod port (`ip link set P nomaster`, `ip link set Q master BR`) migrates the
    node from one pod to the other without any carrier change on the node, as a live
    migration of the VM does. Optional squatter namespace on the bridge (a host that
    already owns an address the new pod will offer).
  * KubeStandIn: the stand-in API server (tests/kube/apiserver.py) running inside the
    node namespace (the agent reaches it on that namespace's loopback), authorizing
    the agent's token with the shipped deploy/kubernetes/rbac.yaml (a request the role
    does not allow gets 403, as from a real API server), recording every request to
    $INFRADHCP_API_RECORD when set (tests/deploy/test_rbac.py reads it), kubeconfigs
    for the agent (token) and for kubectl (client certificate), kubectl run inside
    the namespace, the stand-in's admin endpoint reached from this process by
    switching one thread into the namespace (setns) for the call.
  * OpflexFiles: realistic opflex-agent 01-base.conf and 10-renderer.conf (the JSON
    the ACI host agent templates), and the check that a rewrite changed exactly
    opflex.peers and renderers.stitched-mode.encap.vxlan.remote-ip.
  * Agent: infradhcp-agent with its fixed command line, readiness via NOTIFY_SOCKET.
  * FileWatch: inotify (through ctypes) counting the writes of one file.
  * varlink_call: one call on a varlink socket (NUL-framed JSON).

What it is not: a test. The scripts (test_multipod.py, bench/multipod.py, scripts/demo)
put these pieces together and decide what passes. Standard library only; root only.
"""

import ctypes
import ctypes.util
import datetime
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import time
import urllib.request
import uuid

import netns
from netns import CheckFailed, HarnessError, check, log

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
import kubetest  # noqa: E402

INFRA_IF = "ens192.4093"      # the node's veth, named like the infra VLAN link
NODE_MAC = "02:00:0f:a0:40:93"  # fixed, so a pod can reserve an address for it
NODE_NAME = "k8s-node-1"
ACI_POD = "opflex.cisco.com/aci-pod"
NODE_ACI_POD = "opflex.cisco.com/node-aci-pod"
PYTHON = "/usr/bin/python3"
METRICS_PORT = 9464  # the agent's --metrics-address inside the node's own namespace
RBAC_YAML = os.path.join(HERE, "..", "..", "deploy", "kubernetes", "rbac.yaml")


class Pod:
    """One ACI pod: its TEP pool, the anycast addresses derived from it, its DHCP
    server (in its own namespace) and its link into the switch."""

    def __init__(self, pod_id, cidr):
        self.id = pod_id
        self.name = "pod-%d" % pod_id
        self.net = ipaddress.ip_network(cidr)
        self.cidr = str(self.net)
        base = int(self.net.network_address)
        # .30 opflex peer and .32 VXLAN anycast remote-ip (reference: last octet of
        # the network address overwritten)
        self.peer = str(ipaddress.ip_address((base & ~0xFF) | 30))
        self.remote_ip = str(ipaddress.ip_address((base & ~0xFF) | 32))
        self.subnet = netns.Subnet(cidr)
        self.ns = self.port = self.server = None

    @property
    def annotation(self):
        return "%s-%s" % (self.name, self.cidr)

    def contains(self, addr):
        return ipaddress.ip_address(addr) in self.net

    def __repr__(self):
        return "Pod(%s)" % self.annotation


class Fabric:
    """The two pods, the switch and the node (see the module comment).

        fab = Fabric(topo, attached=("pod-2",))
        fab.migrate("pod-2", "pod-1")
    """

    def __init__(self, topo, attached=("pod-2",), squatter=None, reserve=None, lease=3600, servers=None):
        """attached: pods whose link is a bridge port at start. squatter: an address
        (e.g. "10.0.0.50") a squatter host on the bridge owns. reserve: {pod name:
        address} dnsmasq reservations for the node's MAC. servers: {pod name: (kind,
        authoritative)} with kind "dnsmasq" or "isc" (default: authoritative dnsmasq)."""
        self.topo = topo
        self.pods = {p.name: p for p in (Pod(1, "10.0.0.0/16"), Pod(2, "10.1.0.0/16"))}
        self.sw = topo.netns("sw")
        self.node = topo.netns("no")
        self.bridge = topo.unique("br")
        self.node_port = topo.unique("pn")
        topo.veth(self.sw, self.node_port, self.node, INFRA_IF, mac_b=NODE_MAC)
        ports = [self.node_port]
        for p in self.pods.values():
            p.ns = topo.netns("p%d" % p.id)
            p.port = topo.unique("p%d" % p.id)
            topo.veth(self.sw, p.port, p.ns, "leaf0")
            if p.name in attached:
                ports.append(p.port)
        self.squatter = None
        if squatter:
            self.squatter = topo.netns("sq")
            sq_port = topo.unique("pq")
            topo.veth(self.sw, sq_port, self.squatter, "eth0")
            self.squatter.add_address("eth0", "%s/%d" % (squatter, self.pod_of(squatter).net.prefixlen))
            ports.append(sq_port)
            self.squatter_addr = squatter
            self.squatter_mac = self.squatter.mac("eth0")
        topo.bridge(self.sw, self.bridge, ports=ports)
        for p in self.pods.values():
            hosts = []
            if reserve and p.name in reserve:
                hosts = [("node", NODE_MAC, reserve[p.name])]
            kind, auth = (servers or {}).get(p.name, ("dnsmasq", True))
            cls = netns.IscDhcpd if kind == "isc" else netns.Dnsmasq
            p.server = cls(topo, p.ns, "leaf0", p.subnet, lease=lease, hosts=hosts, authoritative=auth).start()

    def pod(self, name):
        return self.pods[name]

    def pod_of(self, addr):
        for p in self.pods.values():
            if p.contains(addr):
                return p
        return None

    def attached(self):
        """Names of the pods whose link is currently a bridge port."""
        out = []
        for p in self.pods.values():
            j = self.sw.ip_json("link", "show", "dev", p.port)
            if j and j[0].get("master") == self.bridge:
                out.append(p.name)
        return out

    def attach(self, name):
        self.sw.ip("link", "set", self.pods[name].port, "master", self.bridge)

    def detach(self, name):
        self.sw.ip("link", "set", self.pods[name].port, "nomaster")

    def migrate(self, src, dst):
        """Live migration: the node's port stays up; the fabric behind it changes."""
        if src:
            self.detach(src)
        self.attach(dst)
        log("fabric: node moved %s -> %s (bridge ports: %s)" % (src or "-", dst, ", ".join(self.attached())))

    def move_within(self, name):
        """A move inside one pod: the node reaches the same network and DHCP server
        through another leaf, whose MAC differs (as on a fabric without a fabric-wide
        gateway MAC). The pod's link leaves the bridge, its MAC changes, it returns."""
        p = self.pods[name]
        self.detach(name)
        mac = "02:00:0e:%02x:%02x:%02x" % tuple(os.urandom(3))
        p.ns.ip("link", "set", "leaf0", "address", mac)
        self.attach(name)
        log("fabric: node moved inside %s (the leaf is now %s)" % (name, mac))
        return mac

    def announce(self, mac=NODE_MAC):
        """The hypervisor's announcement of the migrated VM (QEMU self-announce, vMotion):
        a broadcast RARP request naming the VM's MAC as sender and target, with the VM's
        MAC as Ethernet source, sent into the node's bridge port. Returns time.time()."""
        m = bytes.fromhex(mac.replace(":", ""))
        frame = (b"\xff" * 6 + m + struct.pack("!H", 0x8035) +
                 struct.pack("!HHBBH", 1, 0x0800, 6, 4, 3) + m + bytes(4) + m + bytes(4))
        frame += bytes(60 - len(frame))
        with in_netns(self.sw.name):
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            try:
                s.bind((self.node_port, 0))
                t = time.time()
                s.send(frame)
            finally:
                s.close()
        log("fabric: hypervisor RARP announcement of %s sent" % mac)
        return t

    def carrier_changes(self):
        return int(self.node.run(["cat", "/sys/class/net/%s/carrier_changes" % INFRA_IF]).stdout)

    def ipv4(self):
        """[(address, prefixlen)] on the node's infra interface."""
        return [(a["local"], a["prefixlen"]) for a in self.node.addresses(INFRA_IF)]


# --------------------------------------------------------------------------------------
# entering a namespace from this process (one thread, for one call)

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
CLONE_NEWNET = 0x40000000


class in_netns:
    """with in_netns("name"): sockets created by this thread inside the block belong to
    that network namespace. setns(2) on a network namespace affects the calling thread
    only, so other threads are undisturbed."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        fd = os.open("/run/netns/%s" % self.name, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns(%s): %s" % (self.name, os.strerror(e)))
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        try:
            if _libc.setns(self.home, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns(back): %s" % os.strerror(e))
        finally:
            os.close(self.home)
        return False


# --------------------------------------------------------------------------------------
# the Kubernetes API stand-in inside the node namespace


class KubeStandIn:
    """tests/kube/apiserver.py in the node namespace, restartable on the same ports with
    the same state (nodes, resourceVersions, Events)."""

    def __init__(self, topo, ns, node_name=NODE_NAME):
        self.topo, self.ns, self.node_name = topo, ns, node_name
        self.dir = topo.mkdir("kube")
        self.pki = kubetest.make_pki(self.dir)
        self.token = "agent-token-%d" % os.getpid()
        self.state = os.path.join(self.dir, "apiserver-state.json")
        self.port = self.admin_port = 0
        self.proc = None
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(self.token + "\n")
        # One file per test (restarts of the stand-in append to it).
        self.record = os.environ.get("INFRADHCP_API_RECORD")
        if self.record:
            os.makedirs(os.path.dirname(os.path.abspath(self.record)), exist_ok=True)
            open(self.record, "w").close()

    @property
    def server(self):
        return "https://127.0.0.1:%d" % self.port

    def start(self):
        pf = os.path.join(self.dir, "ports")
        for _ in range(50):
            if os.path.exists(pf):
                os.unlink(pf)
            argv = [PYTHON, os.path.join(HERE, "..", "kube", "apiserver.py"),
                    "--cert", self.pki["server.crt"], "--key", self.pki["server.key"],
                    "--client-ca", self.pki["ca.crt"], "--state", self.state,
                    "--port", str(self.port), "--admin-port", str(self.admin_port),
                    "--port-file", pf, "--token", self.token, "--node", self.node_name,
                    "--rbac", RBAC_YAML]
            if self.record:
                argv += ["--record", self.record]
            self.proc = self.ns.spawn("apiserver", argv)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if os.path.exists(pf):
                    with open(pf) as f:
                        self.port, self.admin_port = map(int, f.read().split())
                    self._write_kubeconfigs()
                    return self
                if not self.proc.alive():
                    break
                time.sleep(0.02)
            if self.proc.alive():
                raise HarnessError("API stand-in did not start:\n" + self.proc.tail())
            time.sleep(0.1)  # the port may still be held after a kill: try again
        raise HarnessError("API stand-in could not bind its ports:\n" + self.proc.tail())

    def _write_kubeconfigs(self):
        self.kubeconfig = kubetest.write_kubeconfig(
            os.path.join(self.dir, "agent.kubeconfig"), self.server, ca=self.pki["ca.crt"],
            token_file=self.token_file)
        self.kubectl_config = kubetest.write_kubeconfig(
            os.path.join(self.dir, "kubectl.conf"), self.server, ca=self.pki["ca.crt"],
            cert=self.pki["client.crt"], key=self.pki["client.key"])

    def kill(self):
        """SIGKILL: the API server vanishes mid-conversation."""
        self.proc.stop(signal.SIGKILL)
        log("API stand-in killed")

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def kubectl(self, *args, check=True, timeout=30):
        return self.ns.run(["kubectl", "--kubeconfig", self.kubectl_config] + list(args),
                           check=check, timeout=timeout)

    def annotate(self, **kv):
        """kubectl annotate --overwrite node NAME key=value..., as the ACI controller
        writes them. Keys: aci_pod, node_aci_pod (or full names via a dict)."""
        names = {"aci_pod": ACI_POD, "node_aci_pod": NODE_ACI_POD}
        pairs = ["%s=%s" % (names.get(k, k), v) for k, v in kv.items()]
        self.kubectl("annotate", "--overwrite", "node", self.node_name, *pairs)
        log("controller: %s" % ", ".join(pairs))

    def admin(self, path, obj=None):
        url = "http://127.0.0.1:%d%s" % (self.admin_port, path)
        is_get = obj is None
        data = None if is_get else json.dumps(obj).encode()
        with in_netns(self.ns.name):
            with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
                return json.loads(r.read())

    def annotate_fast(self, **kv):
        """The same as annotate() through the admin endpoint: one local HTTP request,
        no kubectl start-up, for timing. Returns time.time() just before the write."""
        names = {"aci_pod": ACI_POD, "node_aci_pod": NODE_ACI_POD}
        ann = {names.get(k, k): v for k, v in kv.items()}
        url = "http://127.0.0.1:%d/annotate" % self.admin_port
        data = json.dumps({"name": self.node_name, "annotations": ann}).encode()
        with in_netns(self.ns.name):
            t = time.time()
            with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
                r.read()
        return t

    def stored_events(self):
        """Events on our Node as the stand-in stores them (read from its state file, so
        it works while the stand-in is down too)."""
        try:
            with open(self.state) as f:
                st = json.load(f)
        except (FileNotFoundError, ValueError):
            return []
        return [e for e in st.get("events", {}).values()
                if e.get("involvedObject", {}).get("name") == self.node_name
                and e.get("involvedObject", {}).get("kind") == "Node"]

    def events(self):
        """Events on our Node through kubectl (-n default, where they are posted)."""
        out = self.kubectl("get", "events", "-n", "default", "-o", "json").stdout
        return [e for e in json.loads(out).get("items", [])
                if e.get("involvedObject", {}).get("name") == self.node_name
                and e.get("involvedObject", {}).get("kind") == "Node"]

    def annotations(self):
        out = self.kubectl("get", "node", self.node_name, "-o", "json").stdout
        return json.loads(out)["metadata"].get("annotations", {})


def events_by_reason(events):
    out = {}
    for e in events:
        out.setdefault(e.get("reason"), []).append(e)
    return out


# --------------------------------------------------------------------------------------
# opflex-agent configuration files


def annotation_only_config(topo):
    """An infradhcpd configuration with attachment detection off ([Attachment]
    Detect=no, docs/dna.md): the node then moves only when the controller's annotation
    says so, the flow test_multipod.py and bench/multipod.py exercise. Returns its path."""
    path = topo.path(topo.unique("conf") + ".conf")
    with open(path, "w") as f:
        f.write("# the annotation path alone: no RFC 4436 attachment detection\n[Attachment]\nDetect=no\n")
    return path


def base_conf(node_name, pod):
    """01-base.conf as the ACI host agent writes it (its opflex-config-base template,
    plus ssl/inspector sections of the opflex-agent container's base config)."""
    return {
        "log": {"level": "info"},
        "opflex": {
            "name": node_name,
            "domain": "comp/prov-Kubernetes/ctrlr-[kube]-kube/sw-InsiemeLSOid",
            "peers": [{"hostname": pod.peer, "port": "8009"}],
            "ssl": {"mode": "encrypted", "ca-store": "/etc/ssl/certs/"},
            "inspector": {"enabled": True,
                          "socket-name": "/usr/local/var/run/opflex-agent-ovs-inspect.sock"},
            "notif": {"enabled": True,
                      "socket-name": "/usr/local/var/run/opflex-agent-ovs-notif.sock",
                      "socket-owner": "root", "socket-group": "opflexep",
                      "socket-permissions": "770"},
            "timers": {"switch-sync-delay": 5, "switch-sync-dynamic": 10},
        },
        "endpoint-sources": {"filesystem": ["/usr/local/var/lib/opflex-agent-ovs/endpoints"]},
        "service-sources": {"filesystem": ["/usr/local/var/lib/opflex-agent-ovs/services"]},
        "snat-sources": {"filesystem": ["/usr/local/var/lib/opflex-agent-ovs/snats"]},
        "netpol-sources": {"filesystem": ["/usr/local/var/lib/opflex-agent-ovs/netpols"]},
        "drop-log-config-sources": {"filesystem": ["/usr/local/var/lib/opflex-agent-ovs/droplog"]},
        "packet-event-notif": {"socket-name": ["/usr/local/var/run/aci-pkt-event-notify.sock"]},
        "host-agent-fault-sources": {"filesystem": ["/usr/local/var/lib/opflex-agent-ovs/faults"]},
        "event-notifications": {"filesystem": "/usr/local/var/lib/opflex-agent-ovs/events"},
    }


def renderer_conf(pod, uplink="ens192", vlan=4093):
    """10-renderer.conf for vxlan encap (the host agent's opflex-config-vxlan template,
    with the forwarding section opflex-agent documents). drop-log.geneve.remote-ip is
    deliberately another "remote-ip": only encap.vxlan.remote-ip may change."""
    return {
        "renderers": {
            "stitched-mode": {
                "int-bridge-name": "br-int",
                "access-bridge-name": "br-access",
                "encap": {
                    "vxlan": {
                        "encap-iface": "vxlan0",
                        "uplink-iface": "%s.%d" % (uplink, vlan),
                        "uplink-vlan": vlan,
                        "remote-ip": pod.remote_ip,
                        "remote-port": 8472,
                    }
                },
                "forwarding": {
                    "virtual-router": {"enabled": True, "mac": "00:22:bd:f8:19:ff",
                                       "ipv6": {"router-advertisement": "false"}},
                    "virtual-dhcp": {"enabled": "true", "mac": "00:22:bd:f8:19:ff"},
                    "endpoint-advertisements": {"enabled": "true", "mode": "gratuitous-broadcast"},
                },
                "flowid-cache-dir": "/usr/local/var/lib/opflex-agent-ovs/ids",
                "mcast-group-file": "/usr/local/var/lib/opflex-agent-ovs/mcast/opflex-groups.json",
                "drop-log": {"geneve": {"int-br-iface": "gen1", "access-br-iface": "gen2",
                                        "remote-ip": "192.168.1.2"}},
                "statistics": {"service": {"flow-disabled": "true", "enabled": "false"}},
            }
        }
    }


class OpflexFiles:
    """01-base.conf (mode 0640) and 10-renderer.conf (mode 0644) in a temp
    opflex-config-path, written in the host agent's layout (4-space indent)."""

    BASE, RENDERER = "01-base.conf", "10-renderer.conf"
    MODES = {BASE: 0o640, RENDERER: 0o644}

    def __init__(self, topo, node_name, pod):
        self.dir = topo.mkdir("base-conf.d")
        self.node_name = node_name
        self.reset(pod)

    def reset(self, pod):
        """(Re)writes both files for pod, as the deployment would have them."""
        self.original = {self.BASE: base_conf(self.node_name, pod), self.RENDERER: renderer_conf(pod)}
        for name, obj in self.original.items():
            p = self.path(name)
            with open(p, "w") as f:
                f.write(json.dumps(obj, indent=4) + "\n")
            os.chmod(p, self.MODES[name])

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        """Parsed JSON, or None while the file is missing or unparsable (a torn write)."""
        try:
            with open(self.path(name)) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def peer(self):
        b = self.read(self.BASE)
        try:
            return b["opflex"]["peers"]
        except (TypeError, KeyError):
            return None

    def remote_ip(self):
        r = self.read(self.RENDERER)
        try:
            return r["renderers"]["stitched-mode"]["encap"]["vxlan"]["remote-ip"]
        except (TypeError, KeyError):
            return None

    def points_to(self, pod):
        """Both files name pod's anycast addresses."""
        return (self.peer() == [{"hostname": pod.peer, "port": "8009"}]
                and self.remote_ip() == pod.remote_ip)

    def check_rewritten_for(self, pod):
        """peers / remote-ip are pod's; every other field equals the original (parsed
        JSON); modes unchanged."""
        b, r = self.read(self.BASE), self.read(self.RENDERER)
        check(b is not None and r is not None, "opflex files unreadable: %r %r" % (b, r))
        check(b["opflex"]["peers"] == [{"hostname": pod.peer, "port": "8009"}],
              "01-base.conf opflex.peers = %r, expected [{hostname: %s, port: \"8009\"}]" % (
                  b["opflex"]["peers"], pod.peer))
        vx = r["renderers"]["stitched-mode"]["encap"]["vxlan"]
        check(vx["remote-ip"] == pod.remote_ip,
              "10-renderer.conf encap.vxlan.remote-ip = %r, expected %s" % (vx["remote-ip"], pod.remote_ip))

        def strip_base(o):
            o = json.loads(json.dumps(o))
            o["opflex"].pop("peers", None)
            return o

        def strip_renderer(o):
            o = json.loads(json.dumps(o))
            o["renderers"]["stitched-mode"]["encap"]["vxlan"].pop("remote-ip", None)
            return o
        check(strip_base(b) == strip_base(self.original[self.BASE]),
              "01-base.conf: fields other than opflex.peers changed:\n%s" % json.dumps(b, indent=1))
        check(strip_renderer(r) == strip_renderer(self.original[self.RENDERER]),
              "10-renderer.conf: fields other than encap.vxlan.remote-ip changed:\n%s" % json.dumps(r, indent=1))
        for name, mode in self.MODES.items():
            m = os.stat(self.path(name)).st_mode & 0o7777
            check(m == mode, "%s mode %o, expected %o (unchanged)" % (name, m, mode))
        leftovers = sorted(set(os.listdir(self.dir)) - set(self.MODES))
        check(not leftovers, "temp files left in %s: %s" % (self.dir, leftovers))


# --------------------------------------------------------------------------------------
# host-agent-config, PlatformConfig events


def host_agent_config(topo, opflex_dir, dhcp_delay=1, retries=5, reconnect=False, multipod=True,
                      extra=None):
    """The host-agent-config JSON of the aci-containers-config configmap, with the keys
    the agent reads and a realistic set of keys it must ignore."""
    cfg = {
        "app-profile": "aci-containers-kube",
        "ep-registry": None,
        "opflex-mode": None,
        "log-level": "info",
        "aci-snat-namespace": "aci-containers-system",
        "aci-vmm-type": "Kubernetes",
        "aci-vmm-domain": "kube",
        "aci-vmm-controller": "kube",
        "aci-prefix": "kube",
        "aci-vrf": "kube-vrf",
        "aci-vrf-tenant": "common",
        "service-vlan": 4002,
        "kubeapi-vlan": 4001,
        "pod-subnet": "10.2.0.1/16",
        "node-subnet": "10.1.0.1/16",
        "encap-type": "vxlan",
        "aci-infra-vlan": 4093,
        "cni-netconfig": [{"gateway": "10.2.0.1", "routes": [{"dst": "0.0.0.0/0", "gw": "10.2.0.1"}],
                           "subnet": "10.2.0.0/16"}],
        "default-endpoint-group": {"policy-space": "kube", "name": "aci-containers-kube|aci-containers-default"},
        "opflex-config-path": opflex_dir,
        "aci-multipod": multipod,
        "dhcp-delay": dhcp_delay,
        "dhcp-renew-max-retry-count": retries,
        "enable-opflex-agent-reconnect": reconnect,
    }
    cfg.update(extra or {})
    p = topo.path("host-agent-config-%d.json" % int(time.monotonic() * 1000))
    with open(p, "w") as f:
        json.dump(cfg, f, indent=4)
    return p


def write_platform_notification(events_dir, age_s=1.0):
    """platformconfig.notifications as opflex-agent writes it when the PlatformConfig is
    deleted: one event, timestamp "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC), state deleted.
    Written atomically (opflex-agent renames too)."""
    ts = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=age_s)
    obj = {"uuid": str(uuid.uuid4()),
           "events": [{"uri": "/PolicyUniverse/PlatformConfig/comp%2fprov-Kubernetes%2fctrlr-%5bkube%5d-kube%2fsw-InsiemeLSOid/",
                       "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ts.microsecond // 1000),
                       "state": "deleted"}]}
    p = os.path.join(events_dir, "platformconfig.notifications")
    with open(p + ".tmp", "w") as f:
        json.dump(obj, f)
    os.rename(p + ".tmp", p)
    return obj


# --------------------------------------------------------------------------------------
# inotify: count the writes of one file (atomic renames included)

IN_CLOSE_WRITE = 0x008
IN_MOVED_TO = 0x080
IN_CREATE = 0x100


class FileWatch:
    """Counts completed writes of dir/name: IN_CLOSE_WRITE on it (written in place) or
    IN_MOVED_TO onto it (temp file + rename). Each is one new version of the file."""

    def __init__(self, path):
        self.dir, self.name = os.path.split(path)
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if _libc.inotify_add_watch(self.fd, self.dir.encode(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch %s" % self.dir)
        self.writes = []  # time.time() of each

    def poll(self):
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            off = 0
            while off + 16 <= len(data):
                _wd, mask, _cookie, ln = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + ln].rstrip(b"\0").decode(errors="replace")
                off += 16 + ln
                if name == self.name and mask & (IN_CLOSE_WRITE | IN_MOVED_TO):
                    self.writes.append(time.time())
        return len(self.writes)

    def wait_count(self, n, timeout):
        netns.wait_for(lambda: self.poll() >= n, timeout, "%d write(s) of %s (seen %d)" % (
            n, self.name, len(self.writes)), interval=0.01)

    def close(self):
        os.close(self.fd)


# --------------------------------------------------------------------------------------
# varlink (NUL-framed JSON over AF_UNIX), one call per connection


def varlink_call(path, method, parameters=None, timeout=30.0):
    """Calls method on the socket at path; returns the reply dict ({"parameters": ...}
    or {"error": ..., "parameters": ...}). Raises OSError if nobody answers."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    s.settimeout(timeout)
    try:
        s.connect(path)
        msg = {"method": method}
        if parameters is not None:
            msg["parameters"] = parameters
        s.sendall(json.dumps(msg).encode() + b"\0")
        buf = b""
        while b"\0" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("%s closed before replying to %s" % (path, method))
            buf += chunk
        return json.loads(buf.split(b"\0", 1)[0])
    finally:
        s.close()


# --------------------------------------------------------------------------------------
# the agent


class Agent:
    """infradhcp-agent in the node namespace with the fixed command line. Readiness:
    READY=1 on NOTIFY_SOCKET, or its varlink socket answering GetStatus."""

    def __init__(self, topo, ns, exe, kube, config, opflex_dir, runtime_dir, interface=INFRA_IF):
        self.topo, self.ns, self.exe, self.kube = topo, ns, exe, kube
        self.config, self.opflex_dir, self.runtime_dir = config, opflex_dir, runtime_dir
        self.interface = interface
        self.state_dir = topo.mkdir("agent-state")
        self.events_dir = topo.mkdir("opflex-events")
        self.reset_conf = os.path.join(topo.mkdir("reboot-conf.d"), "reset.conf")
        self.proc = None
        self.starts = 0

    @property
    def socket_path(self):
        return os.path.join(self.runtime_dir, "agent", "io.infradhcp.Agent")

    def argv(self):
        return [self.exe, "--node", self.kube.node_name, "--host-agent-config", self.config,
                "--interface", self.interface, "--kubeconfig", self.kube.kubeconfig,
                "--state-dir", self.state_dir, "--runtime-dir", self.runtime_dir,
                "--opflex-config-path", self.opflex_dir, "--reset-conf", self.reset_conf,
                "--opflex-events-dir", self.events_dir,
                "--metrics-address", "127.0.0.1:%d" % METRICS_PORT]

    def metrics(self):
        """GET /metrics (the agent's --metrics-address, in the node namespace): the
        HTTP status, Content-Type and body."""
        url = "http://127.0.0.1:%d/metrics" % METRICS_PORT
        with in_netns(self.ns.name):
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()

    def start(self, timeout=15):
        self.starts += 1
        npath = self.topo.path("agent-notify-%d.sock" % self.starts)
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        ns.bind(npath)
        env = dict(os.environ)
        env["NOTIFY_SOCKET"] = npath
        env.pop("JOURNAL_STREAM", None)
        env.setdefault("INFRADHCP_LOG_LEVEL", "debug")
        t0 = time.monotonic()
        self.proc = self.ns.spawn("infradhcp-agent", self.argv(), env=env)
        ready = False
        try:
            while time.monotonic() - t0 < timeout:
                if not self.proc.alive():
                    raise CheckFailed("infradhcp-agent exited (%s) at start:\n%s" % (
                        self.proc.popen.returncode, self.proc.tail()))
                r, _, _ = select.select([ns], [], [], 0.05)
                if r and b"READY=1" in ns.recv(4096):
                    ready = True
                    break
                if self.status() is not None:
                    ready = True
                    break
        finally:
            ns.close()
            os.unlink(npath)
        check(ready, "infradhcp-agent not ready after %d s:\n%s" % (timeout, self.proc.tail()))
        log("infradhcp-agent ready (pid %d, %.0f ms)" % (self.proc.pid, (time.monotonic() - t0) * 1000))
        return self

    def status(self):
        """GetStatus parameters of the agent's own varlink interface, or None."""
        if not os.path.exists(self.socket_path):
            return None
        try:
            r = varlink_call(self.socket_path, "io.infradhcp.Agent.GetStatus", {}, timeout=5)
        except (OSError, ValueError):
            return None
        return r.get("parameters") if "error" not in r else None

    def wait_seen(self, text, timeout=10):
        """Waits until the agent's status mentions text (e.g. the aci-pod value it has
        synced from the API). Without a status interface, its log must mention it."""
        def look():
            st = self.status()
            if st is not None and text in json.dumps(st):
                return True
            return text in self.proc.text()
        netns.wait_for(look, timeout, "infradhcp-agent to see %s" % text, interval=0.05)

    def kill(self, sig=signal.SIGKILL):
        self.proc.stop(sig)
        log("infradhcp-agent stopped with %s" % signal.Signals(sig).name)

    def alive(self):
        return self.proc is not None and self.proc.alive()


def find_agent(daemon):
    """The agent built next to infradhcpd (build/src/dhcp4/infradhcpd ->
    build/src/agent/infradhcp-agent), or None."""
    if not daemon:
        return None
    p = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(daemon))), "agent", "infradhcp-agent")
    return p if os.access(p, os.X_OK) else None
