#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `packaging` suite: the .deb and the .rpm as an operator gets them (issue 9).

  deb       dpkg-buildpackage -b -us -uc in a clean copy of the tree builds
            infradhcp_<version>_<arch>.deb holding every file the package must
            ship (programs, units, D-Bus policy, sysusers, environment file,
            varlink IDLs, bash completion, man pages, README and every docs/*.md)
            and nothing that StateDirectory=/RuntimeDirectory= create; no unit is
            enabled by the maintainer scripts
  lintian   no error; every warning kept is listed with its reason in
            docs/packaging.md
  version   project(version:) of meson.build is the version of the .deb, of the
            .rpm, of debian/changelog and infradhcp.spec
  rpm       rpmbuild -bb --nodeps from a source tarball; `rpm -qlp` lists the same
            files as the .deb, up to the differences the distributions impose
            (listed below, and in docs/packaging.md)
  units     systemd-analyze security --offline=true of both units as packaged:
            exposure <= 2.0 (printed)
  dbus      the policy uses only what dbus-daemon 1.12 (RHEL 8, Ubuntu 22.04)
            accepts: no send_destination_prefix
  prefix    with --build: that build (default prefix /usr/local) installs the
            policy, the units and the sysusers file where dbus and systemd read them

usage: test_packages.py --source DIR --cache DIR
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import packages  # noqa: E402

failures = []
MAX_EXPOSURE = 2.0


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, flush=True)
    return cond


def out(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def deb_files(deb):
    """Regular files and symlinks of the .deb, as absolute paths."""
    files = []
    for line in out(["dpkg-deb", "-c", deb]).splitlines():
        w = line.split(None, 5)
        if len(w) < 6 or w[0].startswith("d"):
            continue
        files.append(w[5].split(" -> ")[0].lstrip("."))
    return sorted(files)


def rpm_files(rpm):
    """`rpm -qlp` without the directories the package owns."""
    listed = out(["rpm", "-qlp", rpm]).split()
    return sorted(p for p in listed if not any(q.startswith(p + "/") for q in listed))


# The differences between the two file lists that the distributions impose, as
# (deb pattern, rpm replacement); docs/packaging.md explains each.
DEB_TO_RPM = [
    (r"^/lib/systemd/system/", "/usr/lib/systemd/system/"),       # Debian 12 dh_installsystemd
    (r"^/etc/default/infradhcp-agent$", "/etc/sysconfig/infradhcp-agent"),
    (r"^(/usr/share/(man|doc)/.*)\.gz$", r"\1"),                   # dh_compress; rpm compresses per brp
]
DEB_ONLY = [r"^/usr/share/doc/infradhcp/changelog(\.Debian)?$",  # Debian policy: the changelog
            r"^/usr/share/doc/infradhcp/copyright$"]             # RPM: %license
RPM_ONLY = [r"^/usr/lib/\.build-id/",                             # RPM's debuginfo links
            r"^/usr/share/licenses/"]


def normalize_deb(files):
    outl = []
    for f in files:
        for pat, rep in DEB_TO_RPM:
            f = re.sub(pat, rep, f)
        if not any(re.match(p, f) for p in DEB_ONLY):
            outl.append(f)
    return sorted(outl)


def normalize_rpm(files):
    return sorted(re.sub(r"\.(gz|bz2|xz|zst)$", "", f) for f in files
                  if not any(re.match(p, f) for p in RPM_ONLY))


def expected_files(src, version):
    docs = ["/usr/share/doc/infradhcp/%s" % f for f in ["README.md"] + sorted(
        os.path.basename(p) for p in os.listdir(os.path.join(src, "docs")) if p.endswith(".md"))]
    return [
        "/usr/sbin/infradhcpd", "/usr/sbin/infradhcp-agent", "/usr/bin/infradhcpctl", "/usr/sbin/infradhcp-dhclient",
        "/lib/systemd/system/infradhcpd@.service", "/lib/systemd/system/infradhcp-agent.service",
        "/usr/lib/sysusers.d/infradhcp.conf", "/usr/lib/tmpfiles.d/infradhcp.conf", "/etc/default/infradhcp-agent",
        "/usr/share/dbus-1/system.d/io.infradhcp.conf",
        "/usr/share/infradhcp/varlink/io.infradhcp.Client.varlink",
        "/usr/share/infradhcp/varlink/io.infradhcp.Agent.varlink",
        "/usr/share/bash-completion/completions/infradhcpctl",
        "/usr/share/bash-completion/completions/infradhcp-dhclient",
        "/usr/share/man/man8/infradhcp-dhclient.8.gz",
        "/usr/share/man/man1/infradhcpctl.1.gz", "/usr/share/man/man5/infradhcpd.conf.5.gz",
        "/usr/share/man/man8/infradhcpd.8.gz", "/usr/share/man/man8/infradhcp-agent.8.gz",
    ] + docs


def test_deb(src, deb, changes, version):
    files = deb_files(deb)
    plain = [re.sub(r"\.gz$", "", f) for f in files]
    for f in expected_files(src, version):
        check(f in files or re.sub(r"\.gz$", "", f) in plain, ".deb lacks %s" % f)
    for f in files:
        check(not re.match(r"^/(var|run)/", f), ".deb ships %s (StateDirectory=/RuntimeDirectory= create it)" % f)
        check(not f.startswith("/etc/systemd/system/"), ".deb enables a unit: %s" % f)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["dpkg-deb", "-e", deb, d], check=True)
        for script in ("postinst", "preinst"):
            p = os.path.join(d, script)
            if os.path.exists(p):
                with open(p) as fh:
                    text = fh.read()
                # dh_installsystemd re-enables only what was enabled (was-enabled).
                for m in re.finditer(r"^[^#\n]*\b(deb-systemd-helper|systemctl)\b[^\n]*\benable\b[^\n]*$", text, re.M):
                    prev = text[max(0, m.start() - 200):m.start()]
                    check("was-enabled" in prev, "%s enables a unit: %s" % (script, m.group(0).strip()))
            if script == "postinst":
                check("systemd-sysusers" in text, "postinst does not create the user (systemd-sysusers)")
                m = re.search(r"systemd-tmpfiles\b.*--create\b.*\binfradhcp\.conf", text)
                check(m is not None, "postinst does not apply usr/lib/tmpfiles.d/infradhcp.conf (the lease export "
                                     "directory)")
                # Its ACL entry names user infradhcp: the user must exist by then.
                u = re.search(r"systemd-sysusers\b", text)
                check(m is None or (u is not None and u.start() < m.start()),
                      "postinst applies tmpfiles.d before systemd-sysusers created the user")
                check(re.search(r"update-alternatives --install /usr/sbin/dhclient dhclient "
                                r"/usr/sbin/infradhcp-dhclient \d+", text) is not None,
                      "postinst does not offer infradhcp-dhclient as dhclient")
        with open(os.path.join(d, "prerm")) as fh:
            check("update-alternatives --remove dhclient /usr/sbin/infradhcp-dhclient" in fh.read(),
                  "prerm does not withdraw the dhclient alternative")
        # Never over a real dhclient: the package ships no /usr/sbin/dhclient or /sbin/dhclient.
        check(not [f for f in files if f.endswith("/sbin/dhclient")], ".deb ships a dhclient file")
        subprocess.run(["dpkg-deb", "-x", deb, os.path.join(d, "root")], check=True)
        with open(os.path.join(d, "root", "usr/lib/tmpfiles.d/infradhcp.conf")) as fh:
            tmpfiles = fh.read()
        # Debian and Ubuntu: dhclient's /var/lib/dhcp, writable for user infradhcp by ACL.
        check("a+ /var/lib/dhcp - - - - u:infradhcp:rwx" in tmpfiles and "/var/lib/dhclient" not in tmpfiles,
              "tmpfiles.d entry of the .deb:\n%s" % tmpfiles)
        with open(os.path.join(d, "root", "lib/systemd/system/infradhcpd@.service")) as fh:
            check("ReadWritePaths=-/var/lib/dhcp\n" in fh.read(), "infradhcpd@.service may not write /var/lib/dhcp")
    fields = out(["dpkg-deb", "-f", deb, "Version", "Package", "Depends"])
    print("deb: %s, %d files\n%s" % (os.path.basename(deb), len(files), fields.strip()))
    check(re.search(r"^Version: %s$" % re.escape(version), fields, re.M) is not None,
          ".deb version is not %s" % version)
    check(os.path.basename(deb).startswith("infradhcp_%s_" % version), "file name %s" % deb)
    return files


def test_lintian(changes, doc):
    p = subprocess.run(["lintian", "--no-tag-display-limit", "--display-info", changes],
                       capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if re.match(r"^[EWIPX]: ", l)]
    print("lintian:\n  " + "\n  ".join(lines or ["(nothing)"]))
    errors = [l for l in lines if l.startswith("E: ")]
    check(not errors, "lintian errors:\n" + "\n".join(errors))
    with open(doc) as f:
        text = f.read()
    for l in lines:
        if l.startswith("W: "):
            tag = l.split()[2]
            check(re.search(r"`%s`" % re.escape(tag), text) is not None,
                  "lintian warning %s is not justified in docs/packaging.md" % tag)


def test_versions(src, version, rpm):
    with open(os.path.join(src, "debian", "changelog")) as f:
        m = re.match(r"infradhcp \(([^)]+)\)", f.readline())
    check(m and re.sub(r"-[^-]*$", "", m.group(1)) == version,
          "debian/changelog: %s, meson: %s" % (m and m.group(1), version))
    with open(os.path.join(src, "infradhcp.spec")) as f:
        m = re.search(r"^Version:\s*(\S+)", f.read(), re.M)
    check(m and m.group(1) == version, "infradhcp.spec Version %s, meson %s" % (m and m.group(1), version))
    v = out(["rpm", "-qp", "--qf", "%{VERSION}", rpm]).strip()
    check(v == version, ".rpm version %s, meson %s" % (v, version))


def test_rpm(rpm, deb_list):
    rl = rpm_files(rpm)
    print("rpm: %s, %d files (rpm -qlp without owned directories)" % (os.path.basename(rpm), len(rl)))
    a, b = normalize_deb(deb_list), normalize_rpm(rl)
    for f in sorted(set(a) - set(b)):
        check(False, "in the .deb, not in the .rpm: %s" % f)
    for f in sorted(set(b) - set(a)):
        check(False, "in the .rpm, not in the .deb: %s" % f)
    if set(a) == set(b):
        print("rpm -qlp and the .deb list the same %d files (up to %d distribution rules)" % (
            len(a), len(DEB_TO_RPM) + len(DEB_ONLY) + len(RPM_ONLY)))
    scripts = out(["rpm", "-qp", "--scripts", rpm])
    check("useradd" in scripts and "infradhcp" in scripts, "the .rpm does not create the user")
    check("systemctl" in scripts, "the .rpm has no systemd scriptlets")
    check(re.search(r"alternatives --install /usr/sbin/dhclient dhclient /usr/sbin/infradhcp-dhclient", scripts)
          is not None and "alternatives --remove dhclient /usr/sbin/infradhcp-dhclient" in scripts,
          "the .rpm does not offer/withdraw infradhcp-dhclient as dhclient:\n%s" % scripts)
    check(re.search(r"\[ -L /usr/sbin/dhclient \]", scripts) is not None,
          "the .rpm's %post would put the alternative over a real dhclient")
    check("systemd-tmpfiles" in scripts and "infradhcp.conf" in scripts, "the .rpm does not apply its tmpfiles.d")


def test_units(deb):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["dpkg-deb", "-x", deb, d], check=True)
        for unit in ("infradhcpd@.service", "infradhcp-agent.service"):
            path = os.path.join(d, "lib/systemd/system", unit)
            p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                               capture_output=True, text=True)
            m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", p.stdout + p.stderr)
            check(m is not None, "no exposure level for %s:\n%s" % (unit, p.stdout[-2000:] + p.stderr))
            if m:
                score = float(m.group(1))
                print("systemd-analyze security --offline=true %s: exposure %.1f (limit %.1f)" % (
                    unit, score, MAX_EXPOSURE))
                check(score <= MAX_EXPOSURE, "%s: exposure %.1f > %.1f" % (unit, score, MAX_EXPOSURE))


# Attributes of <allow>/<deny> that dbus-daemon 1.12 knows (bus/config-parser.c of
# 1.12.x); anything else makes it reject the whole file ("Attribute ... is invalid").
DBUS_112_RULE_ATTRS = {
    "send_interface", "send_member", "send_error", "send_destination", "send_path", "send_type",
    "receive_interface", "receive_member", "receive_error", "receive_sender", "receive_path",
    "receive_type", "eavesdrop", "send_requested_reply", "receive_requested_reply",
    "own", "own_prefix", "user", "group", "log",
}


def test_dbus_policy(src):
    path = os.path.join(src, "src", "dhcp4", "io.infradhcp.conf")
    root = ET.parse(path).getroot()
    check(root.tag == "busconfig", "policy root is %s" % root.tag)
    n = 0
    for policy in root:
        check(policy.tag == "policy", "unexpected element <%s>" % policy.tag)
        check(set(policy.attrib) <= {"context", "user", "group", "at_console"},
              "<policy %s>" % policy.attrib)
        for rule in policy:
            n += 1
            check(rule.tag in ("allow", "deny"), "unexpected element <%s>" % rule.tag)
            bad = set(rule.attrib) - DBUS_112_RULE_ATTRS
            check(not bad, "dbus-daemon 1.12 rejects attribute(s) %s in %s" % (sorted(bad), rule.attrib))
    print("D-Bus policy: %d rules, all within dbus-daemon 1.12's grammar" % n)


def test_prefix(build):
    """Whatever the prefix of this build (/usr/local by default), the policy, the
    units and the sysusers file go where dbus and systemd read them."""
    installed = json.loads(out(["meson", "introspect", "--installed", build]))
    prefix = [o["value"] for o in json.loads(out(["meson", "introspect", "--buildoptions", build]))
              if o["name"] == "prefix"][0]
    dest = {os.path.basename(k): v for k, v in installed.items()}
    want = {"io.infradhcp.conf": ("/usr/share/dbus-1/system.d/io.infradhcp.conf",),
            "infradhcpd@.service": ("/lib/systemd/system/infradhcpd@.service",
                                    "/usr/lib/systemd/system/infradhcpd@.service"),
            "infradhcp-agent.service": ("/lib/systemd/system/infradhcp-agent.service",
                                        "/usr/lib/systemd/system/infradhcp-agent.service"),
            "infradhcp.sysusers": ("/usr/lib/sysusers.d/infradhcp.conf",)}
    for name, paths in want.items():
        check(dest.get(name) in paths, "prefix %s installs %s to %s, not %s" % (
            prefix, name, dest.get(name), " or ".join(paths)))
    print("prefix %s: D-Bus policy, units and sysusers go to %s" % (
        prefix, ", ".join(sorted(os.path.dirname(dest.get(n, "?")) for n in want))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--build", help="a configured meson build dir: check its install locations")
    args = ap.parse_args()
    for tool in ("dpkg-buildpackage", "lintian", "rpmbuild", "systemd-analyze"):
        if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode:
            print("packaging: %s missing (scripts/install-deps installs it)" % tool)
            return 1
    src = os.path.abspath(args.source)
    version = packages.project_version(src)
    test_dbus_policy(src)
    if args.build:
        test_prefix(args.build)
    deb, changes = packages.build_deb(src, args.cache)
    deb_list = test_deb(src, deb, changes, version)
    test_lintian(changes, os.path.join(src, "docs", "packaging.md"))
    test_units(deb)
    rpm = packages.build_rpm(src, args.cache)
    test_versions(src, version, rpm)
    test_rpm(rpm, deb_list)
    if failures:
        print("packaging: %d failed" % len(failures))
        return 1
    print("packaging: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
