# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the kube integration tests: a throw-away PKI made with the openssl CLI,
the stand-in API server (apiserver.py) as a subprocess, kubeconfig files, kubectl, and
infradhcp-kube-test as a line-oriented JSON subprocess.

Everything lives in a temporary directory and on loopback ports chosen at run time.
Not a test itself.
"""
import base64
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


def tool_path():
    p = os.environ.get("KUBE_TEST_TOOL") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if not p or not os.access(p, os.X_OK):
        sys.exit("usage: test_*.py PATH-TO-infradhcp-kube-test (or KUBE_TEST_TOOL=)")
    return p


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def make_pki(d):
    """CA, server cert for 127.0.0.1/localhost, client cert; all ECDSA P-256 PEM."""
    ossl = shutil.which("openssl") or "/usr/bin/openssl"
    p = {k: os.path.join(d, k) for k in
         ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt", "client.key", "client.csr",
          "client.crt", "ext.cnf")}
    run([ossl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p["ca.key"], "-out", p["ca.crt"],
         "-days", "2", "-subj", "/CN=standin-ca"])
    with open(p["ext.cnf"], "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run([ossl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p["server.key"], "-out", p["server.csr"],
         "-subj", "/CN=kube-apiserver"])
    run([ossl, "x509", "-req", "-in", p["server.csr"], "-CA", p["ca.crt"], "-CAkey", p["ca.key"],
         "-CAcreateserial", "-out", p["server.crt"], "-days", "2", "-extfile", p["ext.cnf"]])
    with open(p["ext.cnf"], "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    run([ossl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p["client.key"], "-out", p["client.csr"],
         "-subj", "/O=system:nodes/CN=system:node:test"])
    run([ossl, "x509", "-req", "-in", p["client.csr"], "-CA", p["ca.crt"], "-CAkey", p["ca.key"],
         "-CAcreateserial", "-out", p["client.crt"], "-days", "2", "-extfile", p["ext.cnf"]])
    return p


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_kubeconfig(path, server, ca=None, ca_data=False, token=None, token_file=None, cert=None, key=None,
                     cert_data=False, insecure=False):
    lines = ["apiVersion: v1", "kind: Config", "current-context: test",
             "contexts:", "- name: test", "  context:", "    cluster: standin", "    user: agent",
             "clusters:", "- name: standin", "  cluster:", "    server: %s" % server]
    if insecure:
        lines.append("    insecure-skip-tls-verify: true")
    elif ca and ca_data:
        lines.append("    certificate-authority-data: %s" % b64file(ca))
    elif ca:
        lines.append("    certificate-authority: %s" % ca)
    lines += ["users:", "- name: agent", "  user:"]
    if token:
        lines.append("    token: %s" % token)
    if token_file:
        lines.append("    tokenFile: %s" % token_file)
    if cert and cert_data:
        lines.append("    client-certificate-data: %s" % b64file(cert))
        lines.append("    client-key-data: %s" % b64file(key))
    elif cert:
        lines.append("    client-certificate: %s" % cert)
        lines.append("    client-key: %s" % key)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class StandIn:
    """The stand-in API server as a subprocess that can be killed and restarted on the
    same ports with the same state file."""

    def __init__(self, d, pki, tokens=(), nodes=(), verbose=False):
        self.d, self.pki, self.tokens, self.nodes, self.verbose = d, pki, list(tokens), list(nodes), verbose
        self.state = os.path.join(d, "apiserver-state.json")
        self.port = self.admin_port = 0
        self.proc = None
        self.log = open(os.path.join(d, "apiserver.log"), "a")

    @property
    def server(self):
        return "https://127.0.0.1:%d" % self.port

    def start(self):
        pf = os.path.join(self.d, "ports")
        if os.path.exists(pf):
            os.unlink(pf)
        cmd = [PYTHON, os.path.join(HERE, "apiserver.py"), "--cert", self.pki["server.crt"], "--key",
               self.pki["server.key"], "--client-ca", self.pki["ca.crt"], "--state", self.state,
               "--port", str(self.port), "--admin-port", str(self.admin_port), "--port-file", pf]
        for t in self.tokens:
            cmd += ["--token", t]
        for n in self.nodes:
            cmd += ["--node", n]
        if self.verbose:
            cmd.append("--verbose")
        for _ in range(50):
            self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if os.path.exists(pf):
                    with open(pf) as f:
                        self.port, self.admin_port = map(int, f.read().split())
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
            if self.proc.poll() is None:
                raise RuntimeError("stand-in did not start")
            # Port still in TIME_WAIT/used after a kill: try again shortly.
            time.sleep(0.1)
        raise RuntimeError("stand-in could not bind its ports")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()

    def admin(self, path, obj=None):
        url = "http://127.0.0.1:%d%s" % (self.admin_port, path)
        is_get = path in ("/stats", "/requests", "/events") or path.startswith("/node/")
        data = None if is_get else json.dumps(obj or {}).encode()
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as r:
            return json.loads(r.read())

    def requests(self):
        return self.admin("/requests")


class Tool:
    """infradhcp-kube-test: JSON lines out, commands in."""

    def __init__(self, path, kubeconfig, node, *extra, log=None):
        cmd = [path, "--kubeconfig", kubeconfig, "--backoff-initial", "200", "--backoff-max", "1000"] + list(extra)
        cmd.append(node)
        env = dict(os.environ)
        env.setdefault("INFRADHCP_LOG_LEVEL", "debug")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                     text=True, bufsize=1, env=env)
        self.q = queue.Queue()
        self.lines = []
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for line in self.proc.stdout:
            try:
                obj = json.loads(line)
            except ValueError:
                obj = {"kind": "garbage", "line": line}
            self.q.put(obj)
        self.q.put(None)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def next(self, timeout):
        try:
            obj = self.q.get(timeout=timeout)
        except queue.Empty:
            return None
        if obj is None:
            raise AssertionError("tool exited (rc=%s)" % self.proc.poll())
        self.lines.append(obj)
        return obj

    def wait_for(self, pred, timeout=15, what="line"):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for %s; got %s" % (what, self.lines[-10:]))
            obj = self.next(left)
            if obj is not None and pred(obj):
                return obj

    def seen_or_wait(self, pred, timeout=15, what="line"):
        """Like wait_for, but a matching line already read counts too."""
        for o in self.lines:
            if pred(o):
                return o
        return self.wait_for(pred, timeout, what)

    def node_lines(self):
        return [o for o in self.lines if o.get("kind") == "node"]

    def bytes(self):
        self.send("bytes")
        return self.wait_for(lambda o: o.get("kind") == "bytes", what="bytes")["bytes"]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(5)
            except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
                self.proc.kill()
                self.proc.wait()


def kubectl(kubeconfig, *args, timeout=30, check=True):
    r = subprocess.run(["kubectl", "--kubeconfig", kubeconfig] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("kubectl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


class Env:
    """Temp dir + PKI + stand-in with a token, a node, and a kubeconfig for both the tool
    and kubectl. Use as a context manager; cleans up on any exit."""

    def __init__(self, node="node-a", tokens=("tok-1",), extra_nodes=(), verbose=False):
        self.node = node
        self.tmp = tempfile.TemporaryDirectory(prefix="kube-test-%d-" % os.getpid())
        self.d = self.tmp.name
        self.pki = make_pki(self.d)
        self.api = StandIn(self.d, self.pki, tokens=tokens, nodes=[node] + list(extra_nodes), verbose=verbose)
        self.tools = []
        self.toollog = open(os.path.join(self.d, "tool.log"), "a")

    def __enter__(self):
        self.api.start()
        self.token_file = os.path.join(self.d, "token")
        with open(self.token_file, "w") as f:
            f.write(self.api.tokens[0] + "\n")
        self.kubeconfig = write_kubeconfig(os.path.join(self.d, "kubeconfig"), self.api.server,
                                           ca=self.pki["ca.crt"], token_file=self.token_file)
        self.kubectl_config = write_kubeconfig(os.path.join(self.d, "kubectl.conf"), self.api.server,
                                               ca=self.pki["ca.crt"], cert=self.pki["client.crt"],
                                               key=self.pki["client.key"])
        return self

    def tool(self, *extra, kubeconfig=None, node=None):
        t = Tool(tool_path(), kubeconfig or self.kubeconfig, node or self.node, *extra, log=self.toollog)
        self.tools.append(t)
        return t

    def kubectl(self, *args, **kw):
        return kubectl(self.kubectl_config, *args, **kw)

    def __exit__(self, *exc):
        for t in self.tools:
            t.close()
        self.api.stop()
        if exc[0] is not None or os.environ.get("KUBE_TEST_KEEP"):
            for name in ("apiserver.log", "tool.log"):
                p = os.path.join(self.d, name)
                if os.path.exists(p):
                    with open(p) as f:
                        tail = f.read()[-6000:]
                    sys.stderr.write("---- %s (tail) ----\n%s\n" % (name, tail))
        self.toollog.close()
        self.api.log.close()
        self.tmp.cleanup()
        return False


def main(tests):
    """Runs test functions in order; prints one line each; exit status 1 on failure."""
    failed = 0
    for t in tests:
        start = time.monotonic()
        try:
            t()
        except Exception:
            import traceback
            traceback.print_exc()
            print("FAIL %s (%.1fs)" % (t.__name__, time.monotonic() - start), flush=True)
            failed += 1
        else:
            print("ok   %s (%.1fs)" % (t.__name__, time.monotonic() - start), flush=True)
    sys.exit(1 if failed else 0)


def node_lines_of(tool, typ=None):
    return [o for o in tool.lines if o.get("kind") == "node" and (typ is None or o["type"] == typ)]


def has_annotation(key, value):
    return lambda o: o.get("kind") == "node" and o.get("annotations", {}).get(key) == value


def wait_until(cond, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def json_stream(text):
    """Objects of a concatenated JSON stream (kubectl -w -o json output)."""
    dec = json.JSONDecoder()
    i, out = 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)
