#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The layers of docs/CODING_STYLE.md, checked against the build itself.

For every library named on the command line as KIND:TARGET (KIND basic, core or
json-core; TARGET the meson target name), from the configured build directory:

  1. symbols: every symbol the static library leaves undefined (nm -u) is defined by
     libc or the compiler runtime, by the library itself, by basic (and, for a
     json-core, by json-c and shared-json) -- so a core that calls into sd-event,
     curl, libmnl, the journal or src/shared no longer passes, even if it compiles;
  2. flags: each of its files is compiled with the force-included guard header
     (libc-only.h for basic, pure.h for the cores, plus -DPURE_CORE_JSON for the JSON
     cores) and with include paths of its own directory, basic, include/ and (for a
     json-core) shared-json only;
  3. includes: every #include "..." of its sources names a header of its own
     directory, of src/basic, infradhcp/lease.h, or (json-core) json-util.h;
  4. the guard works: with the library's own compiler flags, a probe file compiles,
     and the same probe plus one forbidden include (sd-event.h, sd-bus.h, curl.h,
     libmnl.h, yaml.h, json.h for a non-JSON layer) or one forbidden call (a clock,
     getrandom, socket, open; log_full of src/shared) fails to compile.

Also: infradhcp-agent (passed with --agent) contains no symbol of src/dhcp4; it
talks to infradhcpd over varlink.

Usage: test_layers.py --build-dir DIR --source-dir DIR --cc CC... -- KIND:TARGET...
Exit 0 when every check holds, 1 with one line per violation otherwise.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

SANITIZER_PREFIXES = ("__asan", "__ubsan", "__lsan", "__sanitizer", "__sancov", "__msan", "__tsan")
# Defined by the linker itself, not by any library.
LINKER_SYMBOLS = {"_GLOBAL_OFFSET_TABLE_", "__dso_handle", "_DYNAMIC"}

PROBES_ALWAYS = [
    ("systemd/sd-event.h", "#include <systemd/sd-event.h>\n"),
    ("systemd/sd-bus.h", "#include <systemd/sd-bus.h>\n"),
    ("systemd/sd-journal.h", "#include <systemd/sd-journal.h>\n"),
    ("curl/curl.h", "#include <curl/curl.h>\n"),
    ("libmnl/libmnl.h", "#include <libmnl/libmnl.h>\n"),
    ("yaml.h", "#include <yaml.h>\n"),
    ("log_full (src/shared)", "int log_full(int, int, const char *const *, const char *, ...);\n"),
]
PROBE_JSON = ("json-c/json.h", "#include <json-c/json.h>\n")
PROBES_PURE = [
    ("clock_gettime", "int f(void) { struct timespec ts; return clock_gettime(CLOCK_BOOTTIME, &ts); }\n"),
    ("getrandom", "long f(void *b) { return getrandom(b, 8, 0); }\n"),
    ("socket", "int f(void) { return socket(AF_INET, SOCK_DGRAM, 0); }\n"),
    ("open", "int f(const char *p) { return open(p, O_RDONLY); }\n"),
]
PROBE_BASE = "#include <string.h>\n#include <time.h>\n#include <fcntl.h>\n#include <sys/socket.h>\n" \
             "#include <sys/random.h>\n"


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def defined_symbols(path, dynamic=False):
    args = ["nm", "--defined-only", "-D" if dynamic else "-g", path]
    p = run(args)
    if p.returncode != 0:
        sys.exit("test_layers: %s: %s" % (" ".join(args), p.stderr.strip()))
    out = set()
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.add(parts[2].split("@")[0])
    return out


def undefined_symbols(path):
    p = run(["nm", "-u", path])
    if p.returncode != 0:
        sys.exit("test_layers: nm -u %s: %s" % (path, p.stderr.strip()))
    return {line.split()[-1].split("@")[0] for line in p.stdout.splitlines()
            if line.strip() and not line.endswith(":")}


def compiler_file(cc, name):
    p = run(cc + ["-print-file-name=" + name])
    path = p.stdout.strip()
    return path if p.returncode == 0 and os.path.isabs(path) and os.path.exists(path) else None


def runtime_symbols(cc):
    syms = set()
    for name, dynamic in (("libc.so.6", True), ("libc_nonshared.a", False), ("libm.so.6", True)):
        path = compiler_file(cc, name)
        if path:
            syms |= defined_symbols(path, dynamic)
    p = run(cc + ["-print-libgcc-file-name"])
    if p.returncode == 0 and os.path.exists(p.stdout.strip()):
        syms |= defined_symbols(p.stdout.strip())
    if not syms:
        sys.exit("test_layers: cannot find libc for %s" % " ".join(cc))
    return syms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--agent")
    ap.add_argument("--cc", nargs="+", required=True)
    ap.add_argument("layers", nargs="+")
    a = ap.parse_args()
    src = os.path.realpath(a.source_dir)
    basic_dir = os.path.join(src, "src", "basic")
    shared_dir = os.path.join(src, "src", "shared")
    include_dir = os.path.join(src, "include")

    with open(os.path.join(a.build_dir, "meson-info", "intro-targets.json")) as f:
        targets = {t["name"]: t for t in json.load(f)}
    problems = []

    def target(name):
        if name not in targets:
            sys.exit("test_layers: no target %s in the build" % name)
        return targets[name]

    libc = runtime_symbols(a.cc)
    basic_syms = defined_symbols(target("basic")["filename"][0])
    json_syms = defined_symbols(target("shared-json")["filename"][0])
    jsonc = compiler_file(a.cc, "libjson-c.so")
    if jsonc:
        json_syms |= defined_symbols(jsonc, True)

    for spec in a.layers:
        kind, name = spec.split(":", 1)
        if kind not in ("basic", "core", "json-core"):
            sys.exit("test_layers: bad layer kind in %s" % spec)
        t = target(name)
        lib = t["filename"][0]
        srcdir = os.path.dirname(t["defined_in"])

        # 1. symbols
        allowed = libc | basic_syms | defined_symbols(lib) | LINKER_SYMBOLS
        if kind == "json-core":
            allowed |= json_syms
        for sym in sorted(undefined_symbols(lib) - allowed):
            if not sym.startswith(SANITIZER_PREFIXES):
                problems.append("%s (%s): uses %s, which neither libc nor its allowed layers define" %
                                (name, kind, sym))

        # 2. flags
        guard = os.path.join(basic_dir, "libc-only.h" if kind == "basic" else "pure.h")
        allowed_inc = {os.path.realpath(srcdir), basic_dir, include_dir}
        if kind == "json-core":
            allowed_inc.add(shared_dir)
        sources, params = [], None
        for ts in t["target_sources"]:
            if ts.get("language") != "c":
                continue
            sources += ts["sources"]
            params = ts["parameters"]
            p = ts["parameters"]
            forced = [p[i + 1] for i, x in enumerate(p[:-1]) if x == "-include"]
            if guard not in [os.path.realpath(x) for x in forced]:
                problems.append("%s: compiled without -include %s" % (name, guard))
            if (kind == "json-core") != ("-DPURE_CORE_JSON" in p):
                problems.append("%s: -DPURE_CORE_JSON %s" % (name, "missing" if kind == "json-core"
                                                              else "set on a layer without JSON"))
            for x in p:
                if not x.startswith("-I"):
                    continue
                d = os.path.realpath(x[2:])
                if d.startswith(os.path.realpath(a.build_dir)) or d in allowed_inc:
                    continue
                if kind == "json-core" and d == "/usr/include/json-c":
                    continue
                problems.append("%s: include path %s is outside its layer" % (name, x[2:]))

        # 3. #include lines
        # Headers of this library (its .c files' headers and header-only files of its
        # directory) and of basic; not the headers of edges that share the directory.
        own = {os.path.basename(x)[:-2] for x in sources}
        local = {f for f in os.listdir(srcdir) if f.endswith(".h") and
                 (f[:-2] in own or not os.path.exists(os.path.join(srcdir, f[:-2] + ".c")))}
        local |= {f for f in os.listdir(basic_dir) if f.endswith(".h")}
        local |= {"infradhcp/lease.h"} | ({"json-util.h"} if kind == "json-core" else set())
        # Follow the #include "..." lines from the sources through the headers they reach.
        todo, seen = list(sources), set()
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            for n, line in enumerate(open(s, encoding="utf-8"), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                if m.group(1) not in local:
                    problems.append('%s:%d: #include "%s" is not in its layer' % (s, n, m.group(1)))
                    continue
                for d in (srcdir, basic_dir):
                    if os.path.exists(os.path.join(d, m.group(1))):
                        todo.append(os.path.join(d, m.group(1)))

        # 4. the guard header works, with this library's own flags
        if params:
            cmd = [x for x in params if not x.startswith(("-M", "-o"))]
            with tempfile.TemporaryDirectory(prefix="test-layers-") as tmp:
                def compiles(text):
                    path = os.path.join(tmp, "probe.c")
                    with open(path, "w") as f:
                        f.write(text)
                    return run(a.cc + cmd + ["-fsyntax-only", path]).returncode == 0

                if not compiles(PROBE_BASE + "int f(void);\n"):
                    problems.append("%s: the probe does not compile even without a forbidden use" % name)
                else:
                    probes = list(PROBES_ALWAYS)
                    if kind != "json-core":
                        probes.append(PROBE_JSON)
                    if kind != "basic":
                        probes += PROBES_PURE
                    for what, text in probes:
                        if compiles(PROBE_BASE + text):
                            problems.append("%s: a file using %s still compiles" % (name, what))

    if a.agent:
        leaked = sorted(s for s in defined_symbols(a.agent) if s.startswith("dhcp4_"))
        if leaked:
            problems.append("infradhcp-agent links dhcp4 code: %s" % ", ".join(leaked[:5]))

    for p in problems:
        print(p)
    print("test_layers: %d libraries, %d problems" % (len(a.layers), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
