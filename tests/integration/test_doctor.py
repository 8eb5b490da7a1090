#!/usr/bin/python3
"""infradhcpctl doctor (issue 10).

--scenario tree-NAME: a prepared file tree in one distribution's style
(doctor_trees.py: rhel8, rhel9, ubuntu2204, ubuntu2404, debian12). The doctor, run on
it with --root, must report exactly the expected problems (naming the file and line),
--fix must clear them with the documented files and edits, a second --fix must change
nothing, and --undo must restore every file of the tree byte for byte (modes and
directories included), after which the same problems are found again.

--scenario leases: other clients' lease files (client id, stale address) in a tree.
--scenario exit-status: exit 2 (no such interface, bad usage, a file that does not parse).
--scenario stray-dhclient, second-infradhcpd, networkd, networkmanager, link-state: the live
checks (test_doctor_live.py).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doctor_trees as trees  # noqa: E402
from netns import CheckFailed, check, log  # noqa: E402

CTL = None


def write_tree(root, files):
    os.makedirs(os.path.join(root, "var/lib"), exist_ok=True)  # every system has it
    for rel, content in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, tuple):
            os.symlink(content[1], path)
        else:
            with open(path, "w") as f:
                f.write(content)
            os.chmod(path, 0o600 if rel.startswith("etc/netplan/") else 0o644)


def snapshot(root, skip=("var/lib/infradhcp",)):
    """Every directory, file (content, mode) and symlink under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if any(rel_dir == s or rel_dir.startswith(s + "/") for s in skip):
            continue
        out[rel_dir + "/"] = ("dir", os.stat(dirpath).st_mode & 0o7777)
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read(), os.stat(p).st_mode & 0o7777)
    return out


def doctor(root, *extra, expect=None):
    argv = [CTL, "--json", "--root", root, "--link-mac", trees.MAC, "--link-vlan", str(trees.VLAN),
            "--link-parent", trees.PARENT, "doctor", trees.IF, *extra]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    try:
        out = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise CheckFailed(f"doctor {' '.join(extra)}: not JSON (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")
    if expect is not None:
        check(p.returncode == expect,
              f"doctor {' '.join(extra)}: exit {p.returncode}, expected {expect}:\n{json.dumps(out, indent=1)}\n{p.stderr}")
    return out


def text_doctor(root, *extra):
    argv = [CTL, "--root", root, "--link-mac", trees.MAC, "--link-vlan", str(trees.VLAN),
            "--link-parent", trees.PARENT, "doctor", trees.IF, *extra]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def problems(out):
    return [f for f in out["findings"] if f["status"] == "problem"]


def assert_problems(out, expected, what):
    got = problems(out)
    for check_name, source in expected:
        check(any(f["check"] == check_name and source in (f.get("source") or "") for f in got),
              f"{what}: no {check_name} problem naming {source}; got:\n{json.dumps(got, indent=1)}")
        check(all(f.get("fix") and f["autoFix"] for f in got if f["check"] == check_name),
              f"{what}: {check_name} problems must come with a fix --fix applies:\n{json.dumps(got, indent=1)}")
    extra = {f["check"] for f in got} - {c for c, _ in expected}
    check(not extra, f"{what}: unexpected problems {extra}:\n{json.dumps(got, indent=1)}")
    errors = [f for f in out["findings"] if f["status"] == "error"]
    check(not errors, f"{what}: checks not done: {errors}")


NETPLAN = "/usr/sbin/netplan"


def netplan_generate(root, what):
    """The real netplan (netplan.io) run on a copy of the tree's netplan YAML: the
    `[Network]` lines networkd would get for IF (None: netplan defines no such link)."""
    gen = tempfile.mkdtemp(prefix="idh-doctor-netplan-")
    try:
        for d in ("etc/netplan", "run/netplan", "lib/netplan"):
            if os.path.isdir(os.path.join(root, d)):
                shutil.copytree(os.path.join(root, d), os.path.join(gen, d), symlinks=True)
        p = subprocess.run([NETPLAN, "generate", "--root-dir", gen], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"{what}: netplan generate refused the tree: {p.stderr}")
        path = os.path.join(gen, f"run/systemd/network/10-netplan-{trees.IF}.network")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return f.read()
    finally:
        shutil.rmtree(gen, ignore_errors=True)


def netplan_dhcp4(text):
    return text is not None and any(line.strip() in ("DHCP=ipv4", "DHCP=yes") for line in text.splitlines())


def expected_files(name):
    """What --fix must have written for each tree."""
    IF = trees.IF
    return {
        "rhel8": [f"etc/NetworkManager/conf.d/99-infradhcp-{IF}.conf"],
        "rhel9": [f"etc/NetworkManager/conf.d/99-infradhcp-{IF}.conf"],
        "ubuntu2204": [f"etc/systemd/network/00-infradhcp-{IF}.network", f"etc/netplan/99-infradhcp-{IF}.yaml"],
        "ubuntu2404": [f"etc/systemd/network/00-infradhcp-{IF}.network", f"etc/netplan/99-infradhcp-{IF}.yaml"],
        "debian12": [],
    }[name]


def scenario_tree(name):
    files, expected = trees.TREES[name]
    root = tempfile.mkdtemp(prefix=f"idh-doctor-{name}-")
    try:
        write_tree(root, files)
        before = snapshot(root)
        uses_netplan = any(rel.startswith("etc/netplan/") for rel in files)
        if uses_netplan:
            gen = netplan_generate(root, f"{name}: before --fix")
            check(netplan_dhcp4(gen), f"{name}: netplan does not run DHCPv4 on {trees.IF} before --fix:\n{gen}")

        out = doctor(root, expect=1)
        assert_problems(out, expected, f"{name}: before --fix")
        log(f"{name}: found " + "; ".join(f"{f['check']} at {f.get('source')}" for f in problems(out)))
        t = text_doctor(root)
        check(t.returncode == 1 and "fix:" in t.stdout and "[--fix does this]" in t.stdout,
              f"{name}: text report lacks the fixes:\n{t.stdout}")

        out = doctor(root, "--fix", expect=0)
        check(len(out["fixed"]) >= len(expected), f"{name}: --fix reports {out['fixed']}")
        check(not problems(out), f"{name}: problems left after --fix: {problems(out)}")
        for rel in expected_files(name):
            p = os.path.join(root, rel)
            check(os.path.isfile(p), f"{name}: --fix did not write {rel}")
            mode = os.stat(p).st_mode & 0o777
            if rel.startswith("etc/netplan/"):
                check(mode == 0o600, f"{name}: {rel} has mode {mode:o}, netplan wants 0600")
                with open(p) as f:
                    text = f.read()
                check("vlans:" in text and f'"{trees.IF}":' in text and "dhcp4: false" in text,
                      f"{name}: netplan override:\n{text}")
        if uses_netplan:
            gen = netplan_generate(root, f"{name}: after --fix")
            check(gen is not None and not netplan_dhcp4(gen),
                  f"{name}: netplan generate still runs DHCPv4 on {trees.IF} after --fix:\n{gen}")
            log(f"{name}: netplan generate after --fix: {trees.IF} defined, without DHCP")
        if name == "debian12":
            with open(os.path.join(root, "etc/network/interfaces.d/infra")) as f:
                text = f.read()
            check(f"iface {trees.IF} inet manual\n" in text and "vlan-raw-device ens192" in text,
                  f"debian12: the stanza was not switched to manual:\n{text}")
        changed = {k for k in set(snapshot(root)) ^ set(before)} | \
            {k for k in before if k in snapshot(root) and snapshot(root)[k] != before[k]}
        log(f"{name}: --fix changed {sorted(changed)}")

        doctor(root, expect=0)
        out = doctor(root, "--fix", expect=0)
        check(not out["fixed"], f"{name}: a second --fix changed something: {out['fixed']}")

        p = subprocess.run([CTL, "--root", root, "doctor", "--undo", trees.IF, "--link-mac", trees.MAC],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, f"{name}: --undo exit {p.returncode}:\n{p.stdout}{p.stderr}")
        after = snapshot(root)
        diff = sorted(set(after) ^ set(before)) + sorted(k for k in before if k in after and after[k] != before[k])
        check(not diff, f"{name}: --undo did not restore the tree exactly: {diff}")
        check(not os.path.exists(os.path.join(root, f"var/lib/infradhcp/doctor/{trees.IF}.json")),
              f"{name}: the undo record is still there")
        out = doctor(root, expect=1)
        assert_problems(out, expected, f"{name}: after --undo")
        if uses_netplan:
            check(netplan_dhcp4(netplan_generate(root, f"{name}: after --undo")),
                  f"{name}: netplan generate without DHCPv4 on {trees.IF} after --undo")
        p = subprocess.run([CTL, "--root", root, "doctor", "--undo", trees.IF, "--link-mac", trees.MAC],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0 and "Nothing to undo" in p.stdout, f"{name}: second --undo: {p.stdout}")
        log(f"{name}: found, fixed, undone (tree identical)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def scenario_modified_after_fix():
    """A file doctor wrote and the operator then changed is left alone by --undo."""
    files, _ = trees.TREES["rhel9"]
    root = tempfile.mkdtemp(prefix="idh-doctor-mod-")
    try:
        write_tree(root, files)
        doctor(root, "--fix", expect=0)
        p = os.path.join(root, f"etc/NetworkManager/conf.d/99-infradhcp-{trees.IF}.conf")
        with open(p, "a") as f:
            f.write("# operator's note\n")
        r = subprocess.run([CTL, "--root", root, "doctor", "--undo", trees.IF, "--link-mac", trees.MAC],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 1 and "changed since doctor wrote it" in r.stdout,
              f"undo of a changed file: exit {r.returncode}\n{r.stdout}")
        check(os.path.exists(p), "undo removed a file the operator changed")
        check(os.path.exists(os.path.join(root, f"var/lib/infradhcp/doctor/{trees.IF}.json")),
              "the record must be kept when something could not be undone")
        log("modified: a changed file is named and kept, and so is the record")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def scenario_leases():
    """dhclient lease files the host agent reads: no client id, another client id, a
    stale address (newest block by the host agent's rule)."""
    root = tempfile.mkdtemp(prefix="idh-doctor-leases-")
    IF = trees.IF
    try:
        write_tree(root, {
            "var/lib/infradhcp/" + IF + ".lease":
                "ADDRESS=10.0.128.64\nPREFIXLEN=16\nSERVER_ADDRESS=10.0.0.1\nLIFETIME=600\n"
                "CLIENTID=01:00:50:56:97:da:24\nACQUIRED_REALTIME_USEC=1757230000000000\n",
            "var/lib/dhclient/dhclient--" + IF + ".lease":
                f'lease {{\n  interface "{IF}";\n  fixed-address 10.0.128.64;\n'
                '  option dhcp-client-identifier 1:0:50:56:97:da:24;\n  expire 4 2025/09/11 10:39:35;\n}\n',
            "var/lib/dhcp/dhclient." + IF + ".leases":
                f'lease {{\n  interface "{IF}";\n  fixed-address 10.1.176.71;\n  expire 4 2025/09/11 10:39:35;\n}}\n'
                f'lease {{\n  interface "{IF}";\n  fixed-address 10.1.176.71;\n  expire 3 2025/09/10 10:39:35;\n}}\n',
            "var/lib/NetworkManager/dhclient-c7ae4e3b-" + IF + ".lease":
                f'lease {{\n  interface "{IF}";\n  fixed-address 10.0.128.64;\n'
                '  option dhcp-client-identifier 0:50:56:97:da:24;\n  expire 4 2025/09/11 10:39:35;\n}\n',
        })
        out = doctor(root, expect=1)
        got = [f for f in problems(out) if f["check"] == "client-id"]
        srcs = {(f["source"], f["message"].split(",")[0]) for f in got}
        check(not any("/var/lib/dhclient/" in f["source"] for f in got),
              f"the matching lease was reported: {got}")
        check(any(f["source"] == f"/var/lib/dhcp/dhclient.{IF}.leases:1" and "without a client identifier"
                  in f["message"] for f in got), f"no client id (block 1 = latest expire) not found: {srcs}")
        check(any(f["source"] == f"/var/lib/dhcp/dhclient.{IF}.leases:1" and "10.1.176.71" in f["message"]
                  and "10.0.128.64" in f["message"] for f in got), f"stale address not found: {srcs}")
        check(any("dhclient-c7ae4e3b" in f["source"] and "00:50:56:97:da:24" in f["message"] for f in got),
              f"client id mismatch not found: {srcs}")
        log("leases: " + "; ".join(f"{f['source']}: {f['message'][:60]}" for f in got))
        check(all(f["autoFix"] for f in got), f"a stale lease without the set-aside fix: {got}")

        # --fix sets the stale files aside (readers of *.lease[s] no longer see them),
        # leaves the matching one, and --undo puts them back byte for byte.
        before = snapshot(root)
        out = doctor(root, "--fix", expect=0)
        check(not [f for f in problems(out) if f["check"] == "client-id"], f"client-id left: {problems(out)}")
        stale = [f"var/lib/dhcp/dhclient.{IF}.leases", f"var/lib/NetworkManager/dhclient-c7ae4e3b-{IF}.lease"]
        for rel in stale:
            check(not os.path.exists(os.path.join(root, rel)) and
                  os.path.exists(os.path.join(root, rel + ".infradhcp-doctor")), f"{rel} not set aside")
        check(os.path.exists(os.path.join(root, f"var/lib/dhclient/dhclient--{IF}.lease")),
              "the lease that matches was moved")
        p = subprocess.run([CTL, "--root", root, "doctor", "--undo", IF, "--link-mac", trees.MAC],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, f"--undo: exit {p.returncode}\n{p.stdout}{p.stderr}")
        after = snapshot(root)
        diff = sorted(set(after) ^ set(before)) + sorted(k for k in before if k in after and after[k] != before[k])
        check(not diff, f"--undo did not restore the lease files: {diff}")
        log("leases: --fix set the stale files aside, --undo put them back")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def scenario_exit_status():
    """Exit status 2 when something could not be checked: no such interface, bad usage,
    a file that does not parse (named with its line); the --json report says so too."""
    p = subprocess.run([CTL, "doctor", "idhnosuch0"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "no such interface" in p.stderr, f"no such interface: exit {p.returncode} {p.stderr}")
    for argv in (["doctor", "lo", "--fix", "--undo"], ["doctor"], ["doctor", "lo", "--bogus"]):
        p = subprocess.run([CTL] + argv, capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and p.stderr.startswith("infradhcpctl"), f"{argv}: exit {p.returncode} {p.stderr}")
    root = tempfile.mkdtemp(prefix="idh-doctor-exit-")
    try:
        write_tree(root, {"etc/netplan/50-cloud-init.yaml": "network:\n  vlans: [\n"})
        out = doctor(root, expect=2)
        errors = [f for f in out["findings"] if f["status"] == "error"]
        check(out.get("exitStatus") == 2 and len(errors) == 1 and
              errors[0]["message"] == "cannot parse /etc/netplan/50-cloud-init.yaml:3: not valid YAML",
              f"unparsable netplan: {out}")
        t = text_doctor(root)
        check(t.returncode == 2 and "1 check not done" in t.stdout, f"text report: {t.returncode}\n{t.stdout}")
        log("exit status 2: no such interface, bad usage, a file that does not parse (file:line)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    global CTL
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--daemon")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    CTL = os.path.abspath(args.ctl)
    try:
        if args.scenario == "tree-modified":
            scenario_modified_after_fix()
        elif args.scenario.startswith("tree-"):
            for name in (trees.TREES if args.scenario == "tree-all" else [args.scenario[5:]]):
                scenario_tree(name)
        elif args.scenario == "leases":
            scenario_leases()
        elif args.scenario == "exit-status":
            scenario_exit_status()
        else:
            import test_doctor_live as live
            return live.run(args.scenario, CTL, os.path.abspath(args.daemon), args.keep_tmp)
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
