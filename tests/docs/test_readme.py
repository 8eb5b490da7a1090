#!/usr/bin/python3
"""The README's first commands work as written in a fresh Debian 12 root shell.

Its first code block holds the two commands (the demo, every test): each must be a
program of the tree, executable, run as written (no sudo, which that shell does not
have). The "Install on a node" section gives the Ubuntu and RHEL package commands,
the unit and the systemd-escape form, and its escaping example is what
systemd-escape prints.

usage: test_readme.py SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def main():
    src = sys.argv[1]
    with open(os.path.join(src, "README.md")) as f:
        text = f.read()
    m = re.search(r"```sh\n(.*?)```", text, re.S)
    check(m is not None, "no sh code block in README.md")
    commands = [l.split("#")[0].strip() for l in m.group(1).splitlines() if l.split("#")[0].strip()]
    check(len(commands) == 2, "the first block has %d commands, not 2: %s" % (len(commands), commands))
    for c in commands:
        prog = c.split()[0]
        check(prog != "sudo", "README command %r uses sudo" % c)
        path = os.path.join(src, prog)
        check(os.path.isfile(path) and os.access(path, os.X_OK), "README command %r: %s is not an executable of the tree" % (c, prog))
        print("README: %s" % c)
    sec = re.search(r"^## Install on a node\n(.*?)^## ", text, re.S | re.M)
    check(sec is not None, "README has no 'Install on a node' section")
    if sec:
        body = sec.group(1)
        for needle in ("apt-get install ./infradhcp_", "dnf install ./infradhcp-",
                       'systemctl enable --now "infradhcpd@$(systemd-escape ens192.4093).service"',
                       "infradhcp-agent.service", "/etc/default/infradhcp-agent", "/etc/sysconfig/infradhcp-agent"):
            check(needle in body, "'Install on a node' does not say %s" % needle)
        ex = re.search(r"`(ens192-infra\.4093)` becomes `([^`]+)`", body)
        check(ex is not None, "no escaping example")
        if ex and shutil.which("systemd-escape"):
            got = subprocess.run(["systemd-escape", ex.group(1)], capture_output=True, text=True).stdout.strip()
            check(got == ex.group(2), "systemd-escape %s prints %s, README says %s" % (ex.group(1), got, ex.group(2)))
    if failures:
        print("%d failed" % len(failures))
        return 1
    print("README: first commands and install section checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
