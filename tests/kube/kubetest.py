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


def make_server_cert(d, name, ca, ca_key, ips=("127.0.0.1",)):
    """Another server certificate (NAME.crt, NAME.key) signed by CA, for 127.0.0.1,
    localhost and IPS: a renewed certificate, or one from a rotated CA."""
    ossl = shutil.which("openssl") or "/usr/bin/openssl"
    key, csr, crt, ext = (os.path.join(d, name + x) for x in (".key", ".csr", ".crt", ".cnf"))
    with open(ext, "w") as f:
        f.write("subjectAltName=%s,DNS:localhost\nextendedKeyUsage=serverAuth\n" %
                ",".join("IP:" + ip for ip in dict.fromkeys(("127.0.0.1",) + tuple(ips))))
    run([ossl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
         "-out", csr, "-subj", "/CN=kube-apiserver"])
    run([ossl, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
         "-days", "2", "-extfile", ext])
    return crt, key


def make_ca(d, name):
    """A new CA (NAME.crt, NAME.key)."""
    ossl = shutil.which("openssl") or "/usr/bin/openssl"
    crt, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    run([ossl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
         "-out", crt, "-days", "2", "-subj", "/CN=" + name])
    return crt, key


def make_pki(d, ips=()):
    """CA, server cert for 127.0.0.1/localhost (and IPS), client cert; all ECDSA P-256 PEM."""
    ossl = shutil.which("openssl") or "/usr/bin/openssl"
    p = {k: os.path.join(d, k) for k in
         ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt", "client.key", "client.csr",
          "client.crt", "ext.cnf")}
    run([ossl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p["ca.key"], "-out", p["ca.crt"],
         "-days", "2", "-subj", "/CN=standin-ca"])
    with open(p["ext.cnf"], "w") as f:
        f.write("subjectAltName=%s,DNS:localhost\nextendedKeyUsage=serverAuth\n" %
                ",".join("IP:" + ip for ip in dict.fromkeys(("127.0.0.1",) + tuple(ips))))
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

    def __init__(self, d, pki, tokens=(), nodes=(), verbose=False, address="127.0.0.1"):
        self.d, self.pki, self.tokens, self.nodes, self.verbose = d, pki, list(tokens), list(nodes), verbose
        self.address = address
        self.state = os.path.join(d, "apiserver-state.json")
        self.port = self.admin_port = 0
        self.proc = None
        self.log = open(os.path.join(d, "apiserver.log"), "a")

    @property
    def server(self):
        return "https://%s:%d" % (self.address, self.port)

    def start(self):
        pf = os.path.join(self.d, "ports")
        if os.path.exists(pf):
            os.unlink(pf)
        cmd = [PYTHON, os.path.join(HERE, "apiserver.py"), "--cert", self.pki["server.crt"], "--key",
               self.pki["server.key"], "--client-ca", self.pki["ca.crt"], "--state", self.state,
               "--address", self.address, "--port", str(self.port), "--admin-port", str(self.admin_port),
               "--port-file", pf]
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
        is_get = path in ("/stats", "/requests", "/events", "/fired") or path.startswith("/node/")
        data = None if is_get else json.dumps(obj or {}).encode()
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as r:
            return json.loads(r.read())

    def requests(self):
        return self.admin("/requests")


def free_port(address="127.0.0.1"):
    import socket
    with socket.socket() as so:
        so.bind((address, 0))
        return so.getsockname()[1]


class H2Proxy:
    """A real HTTP/2 server in front of the stand-in: Debian's haproxy, TLS with ALPN
    h2,http/1.1 on the front (so libcurl negotiates HTTP/2), TLS to the stand-in behind
    (HTTP/1.1, verified against the test CA). Bearer tokens pass through; client
    certificates end at the proxy, so tests through it use token auth. Each request is
    logged with the HTTP version the client spoke (`requests()`)."""

    def __init__(self, d, pki, backend_port, address="127.0.0.1", cert=None, key=None):
        self.d, self.address = d, address
        self.port = free_port(address)
        self.pem = os.path.join(d, "proxy.pem")
        with open(self.pem, "w") as out:
            for path in (cert or pki["server.crt"], key or pki["server.key"]):
                with open(path) as f:
                    out.write(f.read())
        self.cfg = os.path.join(d, "haproxy.cfg")
        self.logpath = os.path.join(d, "haproxy.log")
        with open(self.cfg, "w") as f:
            f.write("""global
    log stdout format raw local0 info
    maxconn 256
defaults
    mode http
    log global
    log-format "REQ %%HV %%HM %%HU %%ST"
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout http-request 30s
frontend api
    bind %s:%d ssl crt %s alpn h2,http/1.1
    default_backend standin
backend standin
    server standin 127.0.0.1:%d ssl verify required ca-file %s
""" % (address, self.port, self.pem, backend_port, pki["ca.crt"]))
        self.proc = None

    @property
    def server(self):
        return "https://%s:%d" % (self.address, self.port)

    def start(self):
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        run([haproxy, "-c", "-q", "-f", self.cfg])
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen([haproxy, "-db", "-f", self.cfg], stdout=self.log, stderr=self.log)
        wait_until(lambda: self._listening(), timeout=10, what="haproxy listening")
        return self

    def _listening(self):
        import socket
        if self.proc.poll() is not None:
            raise RuntimeError("haproxy exited (%s); see %s" % (self.proc.returncode, self.logpath))
        try:
            socket.create_connection((self.address, self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def requests(self):
        """[(http_version, method, uri, status)] as haproxy logged them."""
        out = []
        with open(self.logpath) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5 and parts[0] == "REQ":
                    out.append((parts[1], parts[2], parts[3], parts[4]))
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()


def proxy_mode():
    """KUBE_TEST_PROXY=h2 runs the tool through H2Proxy (meson registers the kube tests
    both ways)."""
    return os.environ.get("KUBE_TEST_PROXY", "")


class Tool:
    """infradhcp-kube-test: JSON lines out, commands in."""

    def __init__(self, path, kubeconfig, node, *extra, log=None, prefix=()):
        cmd = list(prefix) + [path, "--kubeconfig", kubeconfig, "--backoff-initial", "200", "--backoff-max",
                              "1000"] + list(extra)
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

    def __init__(self, node="node-a", tokens=("tok-1",), extra_nodes=(), verbose=False, proxy=None, address=None):
        """ADDRESS: where the tool reaches the stand-in (or the proxy), when not on
        loopback; the certificates name it."""
        self.node = node
        self.tmp = tempfile.TemporaryDirectory(prefix="kube-test-%d-" % os.getpid())
        self.d = self.tmp.name
        self.pki = make_pki(self.d, ips=(address,) if address else ())
        self.proxy_mode = proxy_mode() if proxy is None else proxy
        self.api = StandIn(self.d, self.pki, tokens=tokens, nodes=[node] + list(extra_nodes), verbose=verbose,
                           address=address if address and self.proxy_mode != "h2" else "127.0.0.1")
        self.tools = []
        self.toollog = open(os.path.join(self.d, "tool.log"), "a")
        self.proxy = None
        self.proxy_address = address or "127.0.0.1"

    @property
    def server(self):
        """What the tool talks to: the stand-in, or the HTTP/2 proxy in front of it."""
        return self.proxy.server if self.proxy else self.api.server

    def __enter__(self):
        self.api.start()
        if self.proxy_mode == "h2":
            self.proxy = H2Proxy(self.d, self.pki, self.api.port, address=self.proxy_address).start()
        self.token_file = os.path.join(self.d, "token")
        with open(self.token_file, "w") as f:
            f.write(self.api.tokens[0] + "\n")
        self.ca_file = os.path.join(self.d, "kubeconfig-ca.crt")
        shutil.copyfile(self.pki["ca.crt"], self.ca_file)
        self.kubeconfig = write_kubeconfig(os.path.join(self.d, "kubeconfig"), self.server,
                                           ca=self.ca_file, token_file=self.token_file)
        self.kubectl_config = write_kubeconfig(os.path.join(self.d, "kubectl.conf"), self.api.server,
                                               ca=self.pki["ca.crt"], cert=self.pki["client.crt"],
                                               key=self.pki["client.key"])
        return self

    def tool(self, *extra, kubeconfig=None, node=None, prefix=()):
        t = Tool(tool_path(), kubeconfig or self.kubeconfig, node or self.node, *extra, log=self.toollog,
                 prefix=prefix)
        self.tools.append(t)
        return t

    def kubectl(self, *args, **kw):
        return kubectl(self.kubectl_config, *args, **kw)

    def tool_log(self):
        """What the tools wrote to stderr so far (their log lines)."""
        self.toollog.flush()
        with open(os.path.join(self.d, "tool.log")) as f:
            return f.read()

    def check_http2(self):
        """Through the proxy, the tool must have spoken HTTP/2 (ALPN h2)."""
        if not self.proxy:
            return
        reqs = [r for r in self.proxy.requests() if "/api/v1/nodes" in r[2]]
        assert reqs, "no request went through the proxy"
        assert all(r[0] == "HTTP/2.0" for r in reqs), reqs[:5]

    def __exit__(self, *exc):
        http2_error = None
        for t in self.tools:
            t.close()
        if self.proxy:
            if exc[0] is None:
                try:
                    self.check_http2()
                except AssertionError as e:
                    http2_error = e
            self.proxy.stop()
        self.api.stop()
        if exc[0] is not None or http2_error or os.environ.get("KUBE_TEST_KEEP"):
            for name in ("apiserver.log", "tool.log", "haproxy.log"):
                p = os.path.join(self.d, name)
                if os.path.exists(p):
                    with open(p) as f:
                        tail = f.read()[-6000:]
                    sys.stderr.write("---- %s (tail) ----\n%s\n" % (name, tail))
        self.toollog.close()
        self.api.log.close()
        self.tmp.cleanup()
        if http2_error:
            raise http2_error
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
