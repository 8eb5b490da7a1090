# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds the .deb and the .rpm of a source tree, once per content, for the
`packaging` and `system` suites.

What it is: the steps an operator or a distribution would take, scripted. The .deb
is built with `dpkg-buildpackage -b -us -uc` in a fresh copy of the tree (the files
git knows, plus untracked ones not ignored: what a clean clone would have, with the
working tree's edits). The .rpm is built with `rpmbuild -bb --nodeps` from a source
tarball `infradhcp-VERSION.tar.gz` of the same files, with the spec from the tarball.
Both are kept under CACHE/<hash of the files' names and contents>/, so the suites
that need a package share one build and a changed tree builds anew.

What it is not: a release tool. The package builds skip the unit tests
(DEB_BUILD_OPTIONS=nocheck, rpmbuild --without check): `meson test` runs them.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    sys.stderr.write("packages: %s\n" % msg)
    sys.stderr.flush()


def source_files(src):
    """Relative paths of the tree's files, as a clean clone (plus local edits) has them."""
    if os.path.isdir(os.path.join(src, ".git")) or os.path.isfile(os.path.join(src, ".git")):
        out = subprocess.run(["git", "-C", src, "ls-files", "-z", "-co", "--exclude-standard"],
                             check=True, capture_output=True).stdout.decode()
        files = [f for f in out.split("\0") if f and os.path.lexists(os.path.join(src, f))]
    else:  # an unpacked tarball
        files = []
        for d, dirs, names in os.walk(src):
            dirs[:] = [x for x in dirs if not x.startswith("build") and x != ".git"]
            files += [os.path.relpath(os.path.join(d, n), src) for n in names]
    return sorted(files)


def tree_key(src, files):
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0")
        p = os.path.join(src, f)
        if os.path.islink(p):
            h.update(os.readlink(p).encode())
        else:
            with open(p, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()[:16]


def project_version(src):
    with open(os.path.join(src, "meson.build")) as f:
        m = re.search(r"project\([^)]*?version:\s*'([^']+)'", f.read(), re.S)
    if not m:
        raise RuntimeError("no version in meson.build project()")
    return m.group(1)


def copy_tree(src, files, dst):
    for f in files:
        s, d = os.path.join(src, f), os.path.join(dst, f)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.islink(s):
            os.symlink(os.readlink(s), d)
        else:
            shutil.copy2(s, d)


def _cache_dir(cache, src):
    files = source_files(src)
    # Packages are built without tests (nocheck): tests/ does not change them.
    d = os.path.join(cache, tree_key(src, [f for f in files if not f.startswith("tests/")]))
    os.makedirs(d, exist_ok=True)
    return d, files


def build_deb(src, cache):
    """Returns (path of infradhcp_<version>_<arch>.deb, path of the .changes)."""
    d, files = _cache_dir(cache, src)
    found = [f for f in os.listdir(d) if re.match(r"infradhcp_.*\.deb$", f)]
    changes = [f for f in os.listdir(d) if f.endswith(".changes")]
    if found and changes:
        return os.path.join(d, found[0]), os.path.join(d, changes[0])
    work = tempfile.mkdtemp(prefix="infradhcp-deb-", dir=d)
    try:
        tree = os.path.join(work, "infradhcp")
        copy_tree(src, files, tree)
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2", DEB_BUILD_PROFILES="nocheck")
        log("dpkg-buildpackage -b -us -uc in a copy of %s" % src)
        p = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=tree, env=env,
                           capture_output=True, text=True)
        with open(os.path.join(d, "dpkg-buildpackage.log"), "w") as f:
            f.write(p.stdout + p.stderr)
        if p.returncode != 0:
            raise RuntimeError("dpkg-buildpackage failed (%d):\n%s" % (p.returncode, (p.stdout + p.stderr)[-4000:]))
        for f in os.listdir(work):
            if f.endswith((".deb", ".changes", ".buildinfo")):
                shutil.move(os.path.join(work, f), os.path.join(d, f))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return build_deb(src, cache)


def make_tarball(src, files, version, out):
    top = "infradhcp-%s" % version
    with tarfile.open(out, "w:gz") as t:
        for f in files:
            t.add(os.path.join(src, f), arcname=os.path.join(top, f), recursive=False)


def build_rpm(src, cache):
    """Returns the path of the binary infradhcp-<version>-*.rpm."""
    d, files = _cache_dir(cache, src)
    found = [f for f in os.listdir(d) if re.match(r"infradhcp-\d.*\.rpm$", f) and "debug" not in f]
    if found:
        return os.path.join(d, found[0])
    version = project_version(src)
    work = tempfile.mkdtemp(prefix="infradhcp-rpm-", dir=d)
    try:
        top = os.path.join(work, "rpmbuild")
        for sub in ("SOURCES", "SPECS", "BUILD", "RPMS", "SRPMS", "BUILDROOT"):
            os.makedirs(os.path.join(top, sub))
        tarball = os.path.join(top, "SOURCES", "infradhcp-%s.tar.gz" % version)
        make_tarball(src, files, version, tarball)
        # The spec as the tarball carries it (what `rpmbuild -tb` would use).
        with tarfile.open(tarball) as t:
            spec = t.extractfile("infradhcp-%s/infradhcp.spec" % version).read()
        spec_path = os.path.join(top, "SPECS", "infradhcp.spec")
        with open(spec_path, "wb") as f:
            f.write(spec)
        argv = ["rpmbuild", "-bb", "--nodeps", "--without", "check",
                "--define", "_topdir %s" % top]
        # Debian's rpm lacks the RHEL macro packages (systemd-rpm-macros, meson's
        # macros.meson): load stand-ins only for what is not defined.
        if subprocess.run(["rpm", "--eval", "%{?_unitdir}"], capture_output=True, text=True).stdout.strip() == "":
            argv += ["--load", os.path.join(HERE, "rpm-macros.debian")]
        argv.append(spec_path)
        log("rpmbuild -bb --nodeps from %s" % os.path.basename(tarball))
        p = subprocess.run(argv, capture_output=True, text=True)
        with open(os.path.join(d, "rpmbuild.log"), "w") as f:
            f.write(" ".join(argv) + "\n" + p.stdout + p.stderr)
        if p.returncode != 0:
            raise RuntimeError("rpmbuild failed (%d):\n%s" % (p.returncode, (p.stdout + p.stderr)[-4000:]))
        for dd, _dirs, names in os.walk(os.path.join(top, "RPMS")):
            for n in names:
                shutil.move(os.path.join(dd, n), os.path.join(d, n))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return build_rpm(src, cache)
