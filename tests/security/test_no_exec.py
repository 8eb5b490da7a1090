#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""No daemon runs another program (docs/security.md): none of the given binaries
imports system(), popen(), fork(), vfork(), posix_spawn*() or any exec*() from the C
library. Read from the dynamic symbol table (`nm -D --undefined-only`), so a call in
any of our static libraries linked into the daemon counts too.

The scanner is proved on /bin/sh (which must be found to import execve and fork)
before the daemons are judged, so a broken nm cannot pass them silently.

  test_no_exec.py BINARY...
"""

import re
import subprocess
import sys

FORBIDDEN = re.compile(r"^(system|popen|fork|vfork|_Fork|posix_spawnp?|execl|execle|execlp|execv|execve|"
                       r"execvp|execvpe|execveat|fexecve|clone|clone3)$")


def imports(path):
    out = subprocess.run(["nm", "-D", "--undefined-only", path], check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == "U":
            names.add(parts[1].split("@")[0])
    return names


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    control = imports("/bin/sh")
    if not {"execve", "fork"} <= control and not {"execve", "_Fork"} <= control:
        print("FAIL: the scanner does not see /bin/sh import execve and fork: %s" % sorted(control)[:20])
        return 1
    failed = 0
    for path in sys.argv[1:]:
        names = imports(path)
        if "socket" not in names and "sd_event_new" not in names and "sd_event_default" not in names:
            print("FAIL: %s: no socket/sd_event import seen; is this a daemon binary?" % path)
            failed += 1
            continue
        bad = sorted(n for n in names if FORBIDDEN.match(n))
        if bad:
            print("FAIL: %s imports %s" % (path, ", ".join(bad)))
            failed += 1
        else:
            print("ok: %s imports none of system/popen/fork/exec* (%d imports checked)" % (path, len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
