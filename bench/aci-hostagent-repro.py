#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A faithful reproduction of how the ACI host agent (aci-containers hostagent) moves the
infra interface to a new pod today, as the benchmark's reference point (issue 6).

What it is: the same sequence, the same waits, with the real ISC dhclient, reacting to
the same Node annotation the controller writes (read with `kubectl get node -w`, as
the host agent's informer does). From the hostagent sources
(/work/shared/reference/aci-hostagent.md; pkg/hostagent doDhcpRenew, releaseVlanIp,
renewVlanIp, addMultiCastRoute, updateOpflexConfig):

  on aci-pod change (none -> pod-... is skipped: "odev connect case"), synchronously,
  so nothing else is handled meanwhile:
    if the new value is a pod and the address already lies in it: nothing.
    up to dhcp-renew-max-retry-count times:
      release: (retry loop with dhcp-delay between tries) if no dhclient lease matches
               the interface address: `dhclient -v IF` first, then sleep dhcp-delay;
               `dhclient -v -r IF`; delete any IPv4 still on the interface
      renew:   (retry loop with dhcp-delay between tries) link down, sleep dhcp-delay,
               link up; the host's DHCP client reacts to the link coming up (here:
               `dhclient -v IF` started at once, as NetworkManager would); poll 5 x 1 s
               for any IPv4
      poll 15 x 1 s: success = an IPv4 inside the new pod's pool (new value a pod) or
               not inside the old pool (new value none)
    failure is only logged; the new value is stored anyway (never retried)
    `ip route add 224.0.0.0/4 dev IF proto static scope link metric 401` if missing
  a 30 s ticker (independent of the above) recomputes the anycast addresses from the
  interface address (.30 peer, .32 remote-ip) and rewrites 01-base.conf /
  10-renderer.conf in place (truncate + write, not atomic) when they differ.

Deviations, each needed to run in a test namespace: dhclient gets -lf/-pf/-sf in a temp
dir (not /var/lib/dhcp); Debian's dhclient has no `--timeout 30` option, so the
equivalent `timeout 30;` is in its -cf file; the ticker's first tick comes after
--ticker-phase seconds (the benchmark draws it at random: in production the phase of
the ticker relative to a migration is random); the files are rewritten through a JSON
load/modify/dump instead of the host agent's text templates (same two fields change).

What it is not: part of infradhcp. It runs in the node's network namespace:
  aci-hostagent-repro.py --node N --kubeconfig F --interface IF --host-agent-config F
      --opflex-config-path DIR --dhclient-dir DIR [--ticker 30] [--ticker-phase S]
"""

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import threading
import time

IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"
ACI_POD = "opflex.cisco.com/aci-pod"
T0 = time.time()


def log(msg):
    sys.stdout.write("%.6f %s\n" % (time.time(), msg))
    sys.stdout.flush()


class Repro:
    def __init__(self, args):
        self.args = args
        with open(args.host_agent_config) as f:
            cfg = json.load(f)
        self.delay = int(cfg.get("dhcp-delay", 5))
        self.retries = int(cfg.get("dhcp-renew-max-retry-count", 5))
        self.ifname = args.interface
        d = args.dhclient_dir
        self.conf = os.path.join(d, "dhclient.conf")
        self.lease_file = os.path.join(d, "dhclient.leases")
        self.pid_file = os.path.join(d, "dhclient.pid")
        self.aci_pod = ""  # agent.aciPodAnnotation
        self.lock = threading.Lock()

    # --- dhclient and the interface ---------------------------------------------
    def dhclient(self, *extra, wait=True):
        argv = ["dhclient", "-v"] + list(extra) + ["-cf", self.conf, "-lf", self.lease_file,
                                                    "-pf", self.pid_file, "-sf", "/sbin/dhclient-script",
                                                    self.ifname]
        log("exec: %s" % " ".join(argv))
        if wait:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            return p.returncode
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return 0

    def ipv4(self):
        out = subprocess.run([IP, "-j", "-4", "addr", "show", "dev", self.ifname], stdout=subprocess.PIPE,
                             text=True).stdout.strip()
        j = json.loads(out) if out else []
        return [(a["local"], a["prefixlen"]) for a in (j[0].get("addr_info", []) if j else [])]

    def first_ipv4(self):
        a = self.ipv4()
        return a[0][0] if a else None

    def lease_ip(self):
        """checkDhclientLease: the fixed-address of this interface's block with the
        latest expire."""
        try:
            with open(self.lease_file) as f:
                text = f.read()
        except FileNotFoundError:
            return ""
        best, best_exp = "", ""
        for block in text.split("lease {")[1:]:
            body = block.split("}")[0]
            iface = ip = exp = None
            for line in body.splitlines():
                w = line.strip().rstrip(";").split()
                if len(w) >= 2 and w[0] == "interface":
                    iface = w[1].strip('"')
                elif len(w) >= 2 and w[0] == "fixed-address":
                    ip = w[1]
                elif len(w) >= 4 and w[0] == "expire":
                    exp = w[2] + " " + w[3]
            if iface == self.ifname and exp and ip and exp > best_exp:
                best, best_exp = ip, exp
        return best

    def same_subnet(self, subnet):
        net = ipaddress.ip_network(subnet, strict=False)
        return any(ipaddress.ip_address(a) in net for a, _ in self.ipv4())

    # --- releaseVlanIp / renewVlanIp / doDhcpRenew --------------------------------
    def release(self):
        for i in range(self.retries):
            if i > 0:
                time.sleep(self.delay)
            lease, addr = self.lease_ip(), self.first_ipv4()
            if addr is None and lease == "":
                log("no IP or lease found, nothing to release")
                return True
            if lease == "" or (addr is not None and lease != addr):
                self.dhclient()
                time.sleep(self.delay)
            self.dhclient("-r")
            left = self.ipv4()
            if left:
                for a, plen in left:  # manual flush (netlink AddrDel)
                    subprocess.run([IP, "addr", "del", "%s/%d" % (a, plen), "dev", self.ifname])
                log("deleted addresses left after release: %s" % left)
            return True
        return False

    def renew(self):
        for i in range(self.retries):
            if i > 0:
                time.sleep(self.delay)
            subprocess.run([IP, "link", "set", self.ifname, "down"])
            time.sleep(self.delay)
            subprocess.run([IP, "link", "set", self.ifname, "up"])
            # the host's DHCP client reacts to carrier: started at once
            self.dhclient(wait=False)
            for _ in range(5):
                if self.first_ipv4():
                    log("renewed: %s" % self.first_ipv4())
                    return True
                time.sleep(1)
        return False

    def do_dhcp_renew(self, new):
        old = self.aci_pod
        log("aci-pod %r -> %r" % (old, new))
        if old == "none" and new not in ("", "none"):
            return  # odev connect case
        subnet = new.split("-", 2)[2] if new != "none" and new.count("-") >= 2 else ""
        oldsubnet = old.split("-", 2)[2] if old not in ("none", "") and old.count("-") >= 2 else ""
        if new != "none" and subnet and self.same_subnet(subnet):
            log("ip already from same subnet %s" % subnet)
        else:
            success = False
            for i in range(self.retries):
                if not self.release():
                    log("FAILURE: release")
                    break
                if not self.renew():
                    log("FAILURE: renew")
                    break
                for _ in range(15):
                    if new != "none" and subnet:
                        if self.same_subnet(subnet):
                            success = True
                            break
                    elif oldsubnet:
                        if not self.same_subnet(oldsubnet):
                            success = True
                            break
                    time.sleep(1)
                if success:
                    break
                log("dhcp release and renew done, iteration %d" % (i + 1))
            log("dhcp renew %s: %s" % ("succeeded" if success else "FAILED", self.ipv4()))
            log("lease file: %s" % (self.lease_ip() or "(none)"))  # what checkDhclientLease reads now
        r = subprocess.run([IP, "-j", "-4", "route", "show", "224.0.0.0/4", "dev", self.ifname],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
        if not r or r == "[]":
            subprocess.run([IP, "route", "add", "224.0.0.0/4", "dev", self.ifname, "proto", "static",
                            "scope", "link", "metric", "401"])

    # --- the 30 s ticker ----------------------------------------------------------
    def update_opflex_config(self):
        a = self.ipv4()
        if not a:
            return
        net = ipaddress.ip_network("%s/%d" % a[0], strict=False)
        base = int(net.network_address) & ~0xFF
        peer = str(ipaddress.ip_address(base | 30))
        anycast = str(ipaddress.ip_address(base | 32))
        d = self.args.opflex_config_path
        for name, change in (("01-base.conf", lambda o: o["opflex"].__setitem__(
                "peers", [{"hostname": peer, "port": "8009"}])),
                             ("10-renderer.conf", lambda o: o["renderers"]["stitched-mode"]["encap"]["vxlan"]
                              .__setitem__("remote-ip", anycast))):
            p = os.path.join(d, name)
            try:
                with open(p) as f:
                    old = f.read()
                o = json.loads(old)
            except (OSError, ValueError):
                continue
            change(o)
            new = json.dumps(o, indent=4) + "\n"
            if new != old:
                with open(p, "w") as f:  # truncate + write, as today
                    f.write(new)
                log("wrote %s (%s / %s)" % (name, peer, anycast))

    def ticker(self):
        time.sleep(self.args.ticker_phase)
        while True:
            self.update_opflex_config()
            time.sleep(self.args.ticker)

    # --- the Node watch -------------------------------------------------------------
    def watch(self):
        p = subprocess.Popen(["kubectl", "--kubeconfig", self.args.kubeconfig, "get", "node", self.args.node,
                              "-w", "-o", "json"], stdout=subprocess.PIPE)
        dec = json.JSONDecoder()
        buf = ""
        while True:
            chunk = p.stdout.read1(65536).decode(errors="replace")
            if not chunk:
                log("kubectl watch ended (%s)" % p.wait())
                return
            buf += chunk
            while True:
                s = buf.lstrip()
                if not s:
                    buf = ""
                    break
                try:
                    obj, end = dec.raw_decode(s)
                except ValueError:
                    buf = s
                    break
                buf = s[end:]
                ann = (obj.get("metadata") or {}).get("annotations") or {}
                v = ann.get(ACI_POD, "")
                if v != self.aci_pod:
                    self.do_dhcp_renew(v)  # blocks the watch, as today
                    self.aci_pod = v       # stored even when it failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--node", required=True)
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--interface", required=True)
    ap.add_argument("--host-agent-config", required=True)
    ap.add_argument("--opflex-config-path", required=True)
    ap.add_argument("--dhclient-dir", required=True)
    ap.add_argument("--ticker", type=float, default=30.0)
    ap.add_argument("--ticker-phase", type=float, default=30.0, help="seconds to the first tick")
    args = ap.parse_args()
    r = Repro(args)
    if not os.path.exists(r.conf):
        with open(r.conf, "w") as f:
            f.write("send dhcp-client-identifier = hardware;\ntimeout 30;\n")
    log("started: dhcp-delay %d, retries %d, ticker %.0f s (first tick in %.3f s)" % (
        r.delay, r.retries, args.ticker, args.ticker_phase))
    threading.Thread(target=r.ticker, daemon=True).start()
    r.watch()


if __name__ == "__main__":
    main()
