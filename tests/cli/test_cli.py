#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Command lines and bad input at start: every program says what is wrong in one
line naming the file, line or key, and exits 1, before touching the network.
Needs no root: each case fails before a socket is opened."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

failures = 0
passed = 0


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def expect(name, argv, rc, *needles):
    global failures, passed
    got_rc, out = run(argv)
    missing = [n for n in needles if n not in out]
    if got_rc != rc or missing:
        failures += 1
        print("FAIL %s: rc %d (want %d), missing %r in:\n%s" % (name, got_rc, rc, missing, out))
    else:
        passed += 1
        print("ok   %s" % name)


def expect_lines(name, argv, rc, lines, absent=()):
    """The output is exactly `lines` (each a substring of its line, in order)."""
    global failures, passed
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/infradhcp-cli-test-bus")
    env.pop("JOURNAL_STREAM", None)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20, env=env)
    got = (p.stdout + p.stderr).splitlines()
    ok = p.returncode == rc and len(got) == len(lines) and all(w in g for w, g in zip(lines, got)) and \
        not any(a in p.stdout + p.stderr for a in absent)
    if not ok:
        failures += 1
        print("FAIL %s: rc %d (want %d), want lines %r, absent %r, got:\n%s" % (
            name, p.returncode, rc, lines, list(absent), "\n".join(got)))
    else:
        passed += 1
        print("ok   %s" % name)


class FakeAgent:
    """A varlink server on <rt>/agent/io.infradhcp.Agent answering GetStatus with a
    given phase: what `infradhcpctl agent --ready` (the DaemonSet's readiness probe)
    decides from."""

    def __init__(self, rt):
        os.makedirs(os.path.join(rt, "agent"), exist_ok=True)
        self.path = os.path.join(rt, "agent", "io.infradhcp.Agent")
        self.phase = "Idle"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            c, _ = self.sock.accept()
            with c:
                buf = b""
                while not buf.endswith(b"\0"):
                    d = c.recv(4096)
                    if not d:
                        break
                    buf += d
                if json.loads(buf[:-1]).get("method") != "io.infradhcp.Agent.GetStatus":
                    continue
                st = {"phase": self.phase, "phaseReason": "fake %s" % self.phase, "node": "n1",
                      "addresses": [], "aciPod": "none", "nodeAciPod": "none", "lastPod": "none",
                      "decision": "none", "callInFlight": False, "kubeQueue": 0, "multipod": True,
                      "reconnect": False, "dhcpDelay": 5, "maxRetries": 5, "encap": "vxlan"}
                c.sendall(json.dumps({"parameters": st}).encode() + b"\0")


def main():
    daemon, agent, ctl, dhc = sys.argv[1:5]
    with tempfile.TemporaryDirectory() as tmp:
        def write(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        st, rt = os.path.join(tmp, "state"), os.path.join(tmp, "run")
        base = ["--state-dir", st, "--runtime-dir", rt]

        # infradhcpd
        expect("infradhcpd --help", [daemon, "--help"], 0, "Usage: infradhcpd", "--state-dir")
        expect("infradhcpd --version", [daemon, "--version"], 0, "infradhcpd ")
        expect("infradhcpd no interface", [daemon], 1, "expected exactly one interface name")
        expect("infradhcpd two interfaces", [daemon, "a", "b"], 1, "expected exactly one interface name")
        expect("infradhcpd unknown option", [daemon, "--bogus", "x"], 1, "unknown option '--bogus'")
        expect("infradhcpd bad ifname", [daemon, "a/b"], 1, "'a/b' is not a valid interface name")
        expect("infradhcpd bad log level", [daemon, "--log-level", "loud", "lo"], 1, "invalid --log-level 'loud'")
        expect("infradhcpd missing config", [daemon, "--config", os.path.join(tmp, "none.conf")] + base + ["lo"],
               1, "Cannot read configuration", "none.conf")
        c = write("unknown.conf", "[DHCPv4]\nFoo=1\n")
        expect("infradhcpd unknown key", [daemon, "--config", c] + base + ["lo"], 1,
               "Invalid configuration %s: line 2: unknown key Foo in [DHCPv4]" % c)
        c = write("contra.conf", "[Timing]\nRetransmitInitialSec=20s\n")
        expect("infradhcpd contradiction", [daemon, "--config", c] + base + ["lo"], 1,
               "RetransmitInitialSec= (20s) is greater than RetransmitMaxSec= (16s)")
        # A drop-in (FILE.d/*.conf beside --config FILE): its error names the drop-in and
        # its line; a contradiction between the files names the main file and its drop-ins.
        c = write("main.conf", "[Timing]\nRetransmitInitialSec=20s\n")
        os.mkdir(c + ".d")
        d = write("main.conf.d/10-typo.conf", "# typo\n[Routes]\nUseGatway=yes\n")
        expect("infradhcpd drop-in error", [daemon, "--config", c] + base + ["lo"], 1,
               "Invalid configuration %s: line 3: unknown key UseGatway in [Routes]" % d)
        write("main.conf.d/10-typo.conf", "[Routes]\nUseGateway=no\n")
        expect("infradhcpd drop-in contradiction", [daemon, "--config", c] + base + ["lo"], 1,
               "Invalid configuration (%s and its drop-ins): RetransmitInitialSec= (20s) is greater" % c)
        c = write("profile.conf", "[ACD]\nProfile=fast\n")
        expect("infradhcpd bad profile", [daemon, "--config", c] + base + ["lo"], 1, "line 2: invalid Profile=fast")

        # First contact (issue 9): which of "unknown" and "needs a value"; the real
        # error first and alone, the missing bus only at debug level.
        expect("infradhcpd -r", [daemon, "-r", "eth0"], 1, "unknown option -r (see --help)")
        expect("infradhcpd --config without value", [daemon, "--config"], 1, "option '--config' needs a value")
        expect_lines("infradhcpd no such interface", [daemon] + base + ["nosuchif0"], 1,
                     ["No interface named nosuchif0"], absent=["system bus", "D-Bus"])

        # infradhcp-agent
        expect("agent --help", [agent, "--help"], 0, "--node NAME")
        expect("agent without --node", [agent], 1, "--node NAME is required")
        expect("agent bad node name", [agent, "--node", "Bad_Name!"], 1, "is not a valid Node name")
        for name, text, msg in [
            ("bool", '{"aci-multipod": "yes"}', "aci-multipod: expected true or false"),
            ("range", '{"dhcp-delay": -3}', "dhcp-delay: -3 out of range 0..3600"),
            ("encap", '{"encap-type": "geneve"}', 'encap-type: expected "vxlan" or "vlan", got "geneve"'),
            ("vlan", '{"aci-infra-vlan": 5000}', "aci-infra-vlan: 5000 out of range 1..4094"),
            ("json", "{not json", "invalid JSON"),
        ]:
            c = write("hac-%s.json" % name, text)
            # Configuration problems exit 6 (not configured): the unit does not restart.
            expect("agent host-agent-config %s" % name,
                   [agent, "--node", "n1", "--host-agent-config", c, "--interface", "lo"] + base, 6,
                   "Invalid host-agent-config %s: %s" % (c, msg))
        c = write("ok.json", '{"aci-multipod": true, "some-unknown-key": [1, 2], "dhcp-delay": 0}')
        expect("agent missing kubeconfig", [agent, "--node", "n1", "--host-agent-config", c, "--interface", "lo",
                                            "--kubeconfig", os.path.join(tmp, "nokube")] + base, 6,
               "No usable Kubernetes configuration", "nokube")
        # No host-agent configuration at all: said at warning level, before anything
        # else fails, that the agent will not act.
        expect("agent no host-agent-config", [agent, "--node", "n1", "--interface", "lo",
                                              "--kubeconfig", os.path.join(tmp, "nokube")] + base, 6,
               "<warning> No host-agent configuration", "infradhcp-agent will not act on this node")

        # infradhcpctl
        expect("ctl --help", [ctl, "--help"], 0, "release-and-renew")
        expect("ctl unknown verb", [ctl, "--runtime-dir", rt, "frobnicate"], 1, "frobnicate")
        expect("ctl no daemon", [ctl, "--runtime-dir", rt, "status", "eth9"], 1, "eth9")
        # One rule with and without --json: no daemon is exit 1 and a message; --json
        # still prints valid JSON.
        expect_lines("ctl status none", [ctl, "--runtime-dir", rt, "status"], 1,
                     ["No infradhcpd is running"])
        expect_lines("ctl --json status none", [ctl, "--runtime-dir", rt, "--json", "status"], 1,
                     ["[]", "No infradhcpd is running"])
        # Arguments are checked before anything is contacted.
        expect_lines("ctl restart bad subnet", [ctl, "--runtime-dir", rt, "restart", "eth0", "notasubnet"], 1,
                     ["invalid subnet 'notasubnet'"], absent=["not running"])
        expect_lines("ctl --refuse bad subnet", [ctl, "--runtime-dir", rt, "--refuse", "10.0.0.0/33",
                                                 "release-and-renew", "eth0"], 1,
                     ["invalid subnet '10.0.0.0/33'"], absent=["not running"])
        expect_lines("ctl --require bad subnet", [ctl, "--runtime-dir", rt, "--require", "x", "restart", "eth0"], 1,
                     ["invalid subnet 'x'"], absent=["not running"])
        expect("ctl no agent", [ctl, "--runtime-dir", rt, "agent"], 1, "infradhcp-agent is not running")
        expect("ctl --ready no agent", [ctl, "--runtime-dir", rt, "agent", "--ready"], 1,
               "infradhcp-agent is not running")
        expect("ctl --ready not for status", [ctl, "--runtime-dir", rt, "--ready", "status"], 1,
               "--ready applies to agent only")
        fake = FakeAgent(rt)
        for phase, rc in (("Idle", 0), ("Migrating", 0), ("Disabled", 0), ("Waiting", 1), ("Degraded", 1)):
            fake.phase = phase
            expect("ctl agent --ready %s" % phase, [ctl, "--runtime-dir", rt, "--timeout", "5s", "agent", "--ready"],
                   rc, "%s: fake %s" % (phase, phase))
        # infradhcp-dhclient (no daemon needed for these)
        expect("dhclient --help", [dhc, "--help"], 0, "Usage: infradhcp-dhclient", "-nw", "--timeout")
        expect("dhclient --version", [dhc, "--version"], 0, "infradhcp-dhclient ")
        expect("dhclient -6", [dhc, "-6", "eth0"], 1, "DHCPv6 is not handled by infradhcp")
        expect("dhclient unknown option", [dhc, "-z", "eth0"], 1, "unknown option '-z'")
        expect("dhclient -r -x", [dhc, "-r", "-x", "eth0"], 1, "-r and -x exclude each other")
        expect("dhclient no interface", [dhc], 1, "name the interface")
        expect("dhclient bad interface name", [dhc, "a/b"], 1, "'a/b' is not a valid interface name")
        expect("dhclient bad --timeout", [dhc, "--timeout", "0", "eth0"], 1, "invalid --timeout '0'")
        expect("dhclient -cf without a value", [dhc, "eth0", "-cf"], 1, "option -cf needs a value")
        c = write("broken-dhclient.conf", "send dhcp-client-identifier = hardware;\ninterface \"eth0\" {\n")
        expect("dhclient -cf that does not parse", [dhc, "--runtime-dir", rt, "-cf", c, "-r", "eth0"], 1,
               "%s:3: cannot parse: a block without its '}'" % c)
        expect("dhclient -cf missing", [dhc, "--runtime-dir", rt, "-cf", os.path.join(tmp, "nope.conf"), "-r", "eth0"],
               1, "cannot read", "nope.conf")
        expect("dhclient -r, nothing running", [dhc, "--runtime-dir", rt, "-r", "eth0"], 0,
               "infradhcpd is not running on eth0: nothing to release")
        expect("dhclient -x, nothing anywhere", [dhc, "--runtime-dir", os.path.join(tmp, "none"), "-x"], 0,
               "infradhcpd is not running on any interface")
        expect("dhclient no such interface", [dhc, "--runtime-dir", rt, "nosuchif0"], 1,
               "no interface named nosuchif0")
    print("%d passed, %d failed" % (passed, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
