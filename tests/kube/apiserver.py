#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in for the Kubernetes API server, for infradhcp's kube client tests.

What it is: a small, faithful-enough core/v1 API over TLS (Python standard library
only): discovery (/version, /api, /apis, /api/v1), Nodes list/get/watch/patch with
resourceVersions, fieldSelector, bookmarks, 410 Gone after compaction or restart,
bearer-token and client-certificate auth, chunked watch streams, Events create/list.
kubectl get/annotate/get -w work against it (tests/kube/test_kubectl.py proves it).

What it is not: a real API server. One lock, objects in memory, persisted to a JSON
state file (objects and the resourceVersion counter; not the watch history, as a real
API server's watch cache does not survive a restart either).

A plain-HTTP admin endpoint on loopback lets tests inject faults: drop or cut watch
streams, compact, slow mode, rotate accepted tokens, churn 1,000 other nodes, and
(POST /fault) answer the next N requests of a kind (watch, list, get, mutation, any)
with a status (500, or 429/503 with Retry-After), a truncated body (a short read, or
complete HTTP carrying half a JSON document), or silence (nothing at all, or the
headers of a watch and then not one byte), and (POST /cert) serve a new certificate
on new connections. Every request is logged with its arrival time (CLOCK_MONOTONIC,
which all processes on the machine share) for tests that measure delays.

Authorization (optional): bearer tokens stand for one ServiceAccount (--rbac-sa) whose
roles come from manifests (--rbac FILE, e.g. deploy/kubernetes/rbac.yaml); each
token-authenticated request is decided by tests/kube/rbac.py and refused with 403
Forbidden, as kube-apiserver's RBAC authorizer would, when no bound rule allows it.
Client certificates stay cluster-admin (the tests' kubectl). --record FILE appends
every request as a JSON line (method, path, query, identity, the RBAC decision), so a
test can check a whole suite's requests against the shipped roles afterwards.
"""
import argparse
import bisect
import copy
import datetime
import json
import os
import random
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rbac  # noqa: E402

HISTORY_MAX = 20000


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class Store:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Condition()
        self.rv = 1
        self.nodes = {}
        self.events = {}
        self.load()
        # Watch history: (rv, type, object). Not persisted: after a restart a watch from
        # an older resourceVersion gets 410 Gone, as from a fresh real API server.
        self.history = []
        self.history_rvs = []
        self.history_start = self.rv
        self.dirty = False
        self.persist_sync = True

    def load(self):
        if self.path and os.path.exists(self.path):
            with open(self.path) as f:
                st = json.load(f)
            self.rv = st["rv"]
            self.nodes = st["nodes"]
            self.events = st.get("events", {})

    def save_locked(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"rv": self.rv, "nodes": self.nodes, "events": self.events}, f)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.path)
        self.dirty = False

    def commit_locked(self, etype, obj, persist=True):
        rv = int(obj["metadata"]["resourceVersion"])
        self.history.append((rv, etype, copy.deepcopy(obj)))
        self.history_rvs.append(rv)
        if len(self.history) > HISTORY_MAX * 3 // 2:
            drop = len(self.history) - HISTORY_MAX
            self.history_start = self.history[drop - 1][0]
            del self.history[:drop]
            del self.history_rvs[:drop]
        if persist and self.persist_sync:
            self.save_locked()
        else:
            self.dirty = True
        self.lock.notify_all()

    def next_rv_locked(self):
        self.rv += 1
        return str(self.rv)

    def new_node_locked(self, name, annotations=None, persist=True):
        node = {
            "kind": "Node", "apiVersion": "v1",
            "metadata": {
                "name": name, "uid": str(uuid.uuid4()), "resourceVersion": self.next_rv_locked(),
                "creationTimestamp": now_rfc3339(),
                "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
                "annotations": dict(annotations or {}),
            },
            "spec": {},
            "status": {
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": now_rfc3339(), "lastTransitionTime": now_rfc3339()}],
                "addresses": [{"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "architecture": "amd64", "operatingSystem": "linux"},
            },
        }
        etype = "MODIFIED" if name in self.nodes else "ADDED"
        self.nodes[name] = node
        self.commit_locked(etype, node, persist)
        return node

    def patch_node_locked(self, name, patch, persist=True):
        node = merge_patch(self.nodes[name], patch)
        # Fields a patch cannot change.
        node["metadata"]["name"] = name
        node["metadata"]["uid"] = self.nodes[name]["metadata"]["uid"]
        node["kind"], node["apiVersion"] = "Node", "v1"
        node["metadata"]["resourceVersion"] = self.next_rv_locked()
        self.nodes[name] = node
        self.commit_locked("MODIFIED", node, persist)
        return node

    def delete_node_locked(self, name):
        node = self.nodes.pop(name)
        node = copy.deepcopy(node)
        node["metadata"]["resourceVersion"] = self.next_rv_locked()
        self.commit_locked("DELETED", node)
        return node


class Faults:
    def __init__(self):
        self.tokens = set()
        self.cut = 0                 # next N watch events are cut mid-chunk
        self.slow_delay = 0.0        # seconds between pieces
        self.slow_piece = 0          # bytes per piece (0: off)
        self.gone_mode = "event"     # "event": 200 + ERROR 410; "http": HTTP 410
        self.bookmark_interval = 5.0
        self.generation = 0          # bumped to drop all watch streams
        self.fail_status = 0         # answer every API request with this status
        self.requests = []
        self.queue = []              # POST /fault entries, consumed in order
        self.release = 0             # bumped to end every silent request
        self.fired = []              # faults applied: {kind, fault, time}


def request_kind(method, parts, q):
    """watch, list, get or mutation, for matching /fault entries."""
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        return "mutation"
    if parts[:3] == ["api", "v1", "nodes"] and len(parts) == 3:
        return "watch" if q.get("watch") in ("true", "1") else "list"
    return "get"


class ApiServer:
    def __init__(self, args):
        self.args = args
        self.store = Store(args.state)
        self.faults = Faults()
        self.faults.tokens = set(args.token or [])
        self.churn_thread = None
        self.churn_stop = threading.Event()
        self.churn_events = 0
        self.watchers = 0
        self.sent_watch_bytes = 0
        self.policy = None
        if args.rbac:
            import yaml
            docs = []
            for path in args.rbac:
                with open(path) as f:
                    docs += [d for d in yaml.safe_load_all(f) if d]
            ns, _, name = args.rbac_sa.partition("/")
            self.policy = rbac.Policy(docs, ns, name)
        self.record_lock = threading.Lock()

    def record(self, entry):
        if not self.args.record:
            return
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.record_lock:
            # O_APPEND: several stand-ins (one per test) may share one file.
            fd = os.open(self.args.record, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


def field_selector_matcher(sel):
    if not sel:
        return lambda o: True
    tests = []
    for term in sel.split(","):
        if "!=" in term:
            k, v = term.split("!=", 1)
            neg = True
        elif "==" in term:
            k, v = term.split("==", 1)
            neg = False
        elif "=" in term:
            k, v = term.split("=", 1)
            neg = False
        else:
            raise ValueError(term)
        if k != "metadata.name":
            raise ValueError(k)
        tests.append((v, neg))

    def m(o):
        name = o["metadata"]["name"]
        return all((name != v) if neg else (name == v) for v, neg in tests)
    return m


def node_table(nodes, rv, include_object):
    rows = []
    for n in nodes:
        ann = n["metadata"]
        obj = n if include_object == "Object" else {
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": ann}
        rows.append({"cells": [ann["name"], "Ready", "<none>", "1m", "v1.32.0"], "object": obj})
    cols = [
        {"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0},
        {"name": "Status", "type": "string", "format": "", "description": "Node status", "priority": 0},
        {"name": "Roles", "type": "string", "format": "", "description": "Roles", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0},
        {"name": "Version", "type": "string", "format": "", "description": "Kubelet version", "priority": 0},
    ]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": cols, "rows": rows}


API_RESOURCES = {
    "kind": "APIResourceList", "groupVersion": "v1",
    "resources": [
        {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
         "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "shortNames": ["no"]},
        {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event",
         "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "shortNames": ["ev"]},
        {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
         "verbs": ["get", "list"], "shortNames": ["ns"]},
    ],
}


class Closed(Exception):
    pass


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-standin"

    def setup(self):
        # TLS handshake here, in the connection's own thread, not in accept().
        self.request.settimeout(10)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.handshake_failed = True
        else:
            self.handshake_failed = False
        self.request.settimeout(None)
        super().setup()

    def handle(self):
        if self.handshake_failed:
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, Closed, OSError):
            pass

    def log_message(self, fmt, *args):
        if self.server.api.args.verbose:
            sys.stderr.write("apiserver: %s\n" % (fmt % args))

    # --- output helpers -------------------------------------------------------
    def write_raw(self, data):
        f = self.server.api.faults
        if f.slow_piece > 0:
            for i in range(0, len(data), f.slow_piece):
                self.wfile.write(data[i:i + f.slow_piece])
                self.wfile.flush()
                time.sleep(f.slow_delay)
        else:
            self.wfile.write(data)
            self.wfile.flush()

    def send_json(self, code, obj, extra_headers=None):
        body = json.dumps(obj).encode()
        f = getattr(self, "fault", None)
        short = False
        if f and f["fault"] == "truncate" and code < 300:
            # "json": a complete HTTP response carrying half a document; "short": the
            # Content-Length of the whole, half of it sent, then the connection closed.
            if f.get("mode", "json") == "json":
                body = body[:len(body) // 2]
            else:
                short = True
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            if short:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.request.shutdown(socket.SHUT_RDWR)
                raise Closed()
            self.write_raw(body)

    def send_fault_status(self, f):
        code = int(f.get("status", 500))
        reasons = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                   504: "Timeout"}
        extra = {}
        if f.get("retry_after") is not None:
            extra["Retry-After"] = str(f["retry_after"])
        body = status(code, reasons.get(code, "InternalError"), "injected failure")
        if code == 429:
            body["details"] = {"retryAfterSeconds": int(f.get("retry_after") or 1)}
        return self.send_json(code, body, extra)

    def hold_silent(self, f):
        """Keeps the request open without a byte until the client goes away, POST
        /release, or `hold` seconds (default one hour) have passed."""
        api = self.server.api
        gen = api.faults.release
        deadline = time.monotonic() + float(f.get("hold", 3600))
        sock = self.request
        while time.monotonic() < deadline and api.faults.release == gen:
            r, _, _ = select.select([sock], [], [], 0.2)
            if r:
                try:
                    if not sock.recv(4096):
                        break
                except (OSError, ssl.SSLError):
                    break
        self.close_connection = True
        raise Closed()

    def send_status(self, code, reason, message, details=None):
        self.send_json(code, status(code, reason, message, details))

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 3 * 1024 * 1024:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    # --- auth -----------------------------------------------------------------
    def authenticated(self):
        """'token' (the ServiceAccount of --rbac-sa), 'cert' (admin) or None."""
        api = self.server.api
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            if auth[7:].strip() in api.faults.tokens:
                return "token"
        try:
            cert = self.request.getpeercert()
        except (ValueError, AttributeError):
            cert = None
        if cert:
            return "cert"  # verified against the CA by the TLS layer
        return None

    def authorize(self, who, url, q):
        """None when allowed, else the RequestInfo refused. Records the request."""
        api = self.server.api
        ri = rbac.request_info(self.command, url.path, q)
        refused = None
        if who == "token" and api.policy is not None and ri.resource_request:
            if api.policy.allowed(ri) is None:
                refused = ri
        api.record({"method": self.command, "path": url.path, "query": q, "identity": who or "anonymous",
                    "user_agent": self.headers.get("User-Agent", ""), "content_type": self.headers.get(
                        "Content-Type", ""), "decision": "deny" if refused else "allow", "time": time.time()})
        return refused

    # --- dispatch -------------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        api = self.server.api
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        parts = [p for p in url.path.split("/") if p]
        with api.store.lock:
            api.faults.requests.append({"method": self.command, "path": url.path, "query": q,
                                        "accept": self.headers.get("Accept", ""),
                                        "content_type": self.headers.get("Content-Type", ""),
                                        "user_agent": self.headers.get("User-Agent", ""),
                                        "time": time.monotonic()})
            if len(api.faults.requests) > 10000:
                del api.faults.requests[:5000]
            fail_status = api.faults.fail_status
            fault = None
            kind = request_kind(self.command, parts, q)
            for f in api.faults.queue:
                if f["match"] in (kind, "any") and (not f.get("agent_only") or self.headers.get(
                        "User-Agent", "").startswith("infradhcp/")):
                    fault = dict(f)
                    f["count"] -= 1
                    if f["count"] == 0:
                        api.faults.queue.remove(f)
                    api.faults.fired.append({"kind": kind, "fault": fault["fault"], "time": time.monotonic()})
                    break
        if self.command in ("POST", "PUT", "PATCH"):
            body = self.read_body()
        else:
            body = b""
        who = self.authenticated()
        if not who:
            self.authorize(None, url, q)
            return self.send_status(401, "Unauthorized", "Unauthorized")
        refused = self.authorize(who, url, q)
        if refused:
            ns, sa = api.args.rbac_sa.partition("/")[::2]
            scope = ('in the namespace "%s"' % refused.namespace) if refused.namespace else "at the cluster scope"
            return self.send_status(403, "Forbidden", 'User "system:serviceaccount:%s:%s" cannot %s resource "%s" '
                                    'in API group "%s" %s' % (ns, sa, refused.verb, refused.resource,
                                                              refused.group, scope),
                                    {"kind": refused.resource, "name": refused.name})
        if fail_status:
            return self.send_status(fail_status, "InternalError", "injected failure")
        if fault:
            self.fault = fault
            if fault["fault"] == "status":
                return self.send_fault_status(fault)
            if fault["fault"] == "silent" and fault.get("stage", "nothing") == "nothing":
                return self.hold_silent(fault)
        else:
            self.fault = None

        if parts == ["version"]:
            return self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                                        "gitCommit": "standin", "gitTreeState": "clean",
                                        "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23",
                                        "compiler": "gc", "platform": "linux/amd64"})
        if parts == ["api"]:
            host = "127.0.0.1:%d" % self.server.server_address[1]
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                                        "serverAddress": host}]})
        if parts == ["apis"]:
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        if parts == ["api", "v1"]:
            return self.send_json(200, API_RESOURCES)
        if parts[:2] == ["api", "v1"] and len(parts) >= 3:
            rest = parts[2:]
            if rest[0] == "nodes":
                return self.nodes(rest[1:], q, body)
            if rest[0] == "namespaces" and len(rest) == 3 and rest[2] == "events":
                return self.events(rest[1], q, body)
            if rest == ["events"] and self.command == "GET":
                return self.events(None, q, body)
        # openapi and unknown groups: kubectl tolerates 404 here.
        return self.send_status(404, "NotFound", "the server could not find the requested resource")

    # --- nodes ----------------------------------------------------------------
    def nodes(self, rest, q, body):
        api = self.server.api
        st = api.store
        if not rest:
            if self.command != "GET":
                return self.send_status(405, "MethodNotAllowed", "method not allowed")
            try:
                match = field_selector_matcher(q.get("fieldSelector", ""))
            except ValueError as e:
                return self.send_status(400, "BadRequest",
                                        'field label not supported: "%s"' % e)
            if q.get("watch") in ("true", "1"):
                return self.watch(match, q)
            with st.lock:
                items = [copy.deepcopy(n) for n in sorted(st.nodes.values(), key=lambda n: n["metadata"]["name"])
                         if match(n)]
                rv = str(st.rv)
            if "as=Table" in self.headers.get("Accept", ""):
                return self.send_json(200, node_table(items, rv, q.get("includeObject", "Metadata")))
            return self.send_json(200, {"kind": "NodeList", "apiVersion": "v1",
                                        "metadata": {"resourceVersion": rv}, "items": items})
        name = rest[0]
        if len(rest) != 1:
            return self.send_status(404, "NotFound", "not found")
        with st.lock:
            node = st.nodes.get(name)
            if node is None:
                return self.send_status(404, "NotFound", 'nodes "%s" not found' % name,
                                        {"name": name, "kind": "nodes"})
            if self.command == "GET":
                node = copy.deepcopy(node)
                rv = str(st.rv)
            elif self.command == "PATCH":
                ct = self.headers.get("Content-Type", "").split(";")[0].strip()
                try:
                    patch = json.loads(body)
                except ValueError:
                    return self.send_status(400, "BadRequest", "invalid JSON in patch")
                if ct in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                    if not isinstance(patch, dict):
                        return self.send_status(400, "BadRequest", "patch is not an object")
                    ann = patch.get("metadata", {}).get("annotations", {}) if isinstance(
                        patch.get("metadata"), dict) else {}
                    if not isinstance(ann, dict) or any(v is not None and not isinstance(v, str)
                                                        for v in ann.values()):
                        return self.send_status(400, "BadRequest", "annotations must be strings")
                    node = copy.deepcopy(st.patch_node_locked(name, patch))
                else:
                    return self.send_status(415, "UnsupportedMediaType",
                                            "the body of the request was in an unknown format")
            else:
                return self.send_status(405, "MethodNotAllowed", "method not allowed")
        if self.command == "GET" and "as=Table" in self.headers.get("Accept", ""):
            return self.send_json(200, node_table([node], rv, q.get("includeObject", "Metadata")))
        return self.send_json(200, node)

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data, cut=False):
        frame = b"%x\r\n" % len(data) + data + b"\r\n"
        if cut:
            # Half a chunk, then the connection dies: "connection cut mid-chunk".
            self.wfile.write(frame[:len(frame) // 2])
            self.wfile.flush()
            self.request.shutdown(socket.SHUT_RDWR)
            raise Closed()
        self.write_raw(frame)
        self.server.api.sent_watch_bytes += len(data)

    def watch(self, match, q):
        api = self.server.api
        st = api.store
        f = api.faults
        rv_s = q.get("resourceVersion", "")
        timeout = float(q.get("timeoutSeconds") or 1800)
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        deadline = time.monotonic() + timeout
        pending = []
        with st.lock:
            gen = f.generation
            if rv_s in ("", "0"):
                # "Start at most recent": synthetic ADDED for what exists, then changes.
                pending = [("ADDED", copy.deepcopy(n)) for n in st.nodes.values() if match(n)]
                cursor_rv = st.rv
            else:
                try:
                    cursor_rv = int(rv_s)
                except ValueError:
                    return self.send_status(400, "BadRequest", "invalid resourceVersion")
                if cursor_rv < st.history_start:
                    msg = "too old resource version: %d (%d)" % (cursor_rv, st.history_start)
                    if f.gone_mode == "http":
                        return self.send_status(410, "Expired", msg)
                    gone = status(410, "Expired", msg)
                    self.start_chunked()
                    self.write_chunk(json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n")
                    self.wfile.write(b"0\r\n\r\n")
                    self.close_connection = True
                    return
            api.watchers += 1
        try:
            self.start_chunked()
            f_ = getattr(self, "fault", None)
            if f_ and f_["fault"] == "silent":
                return self.hold_silent(f_)  # headers sent; then not one byte
            last_bookmark = time.monotonic()
            while True:
                cut = False
                with st.lock:
                    if cursor_rv < st.history_start:
                        # Compacted while we were writing: the stream cannot go on.
                        self.request.shutdown(socket.SHUT_RDWR)
                        raise Closed()
                    for i in range(bisect.bisect_right(st.history_rvs, cursor_rv), len(st.history)):
                        hrv, etype, obj = st.history[i]
                        cursor_rv = hrv
                        if match(obj):
                            pending.append((etype, obj))
                    if not pending:
                        now = time.monotonic()
                        wait = min(deadline, last_bookmark + f.bookmark_interval) - now
                        if wait > 0 and f.generation == gen:
                            st.lock.wait(min(wait, 0.5))
                    if f.generation != gen:
                        self.request.shutdown(socket.SHUT_RDWR)
                        raise Closed()
                    if pending and f.cut > 0:
                        f.cut -= 1
                        cut = True
                    bookmark_rv = cursor_rv
                for i, (etype, obj) in enumerate(pending):
                    self.write_chunk(json.dumps({"type": etype, "object": obj}).encode() + b"\n",
                                     cut=cut and i == 0)
                pending = []
                now = time.monotonic()
                if now >= deadline:
                    break
                if bookmarks and now - last_bookmark >= f.bookmark_interval:
                    bm = {"kind": "Node", "apiVersion": "v1",
                          "metadata": {"resourceVersion": str(bookmark_rv), "creationTimestamp": None}}
                    self.write_chunk(json.dumps({"type": "BOOKMARK", "object": bm}).encode() + b"\n")
                    last_bookmark = now
            self.write_raw(b"0\r\n\r\n")
        finally:
            with st.lock:
                api.watchers -= 1

    # --- events ---------------------------------------------------------------
    def events(self, ns, q, body):
        st = self.server.api.store
        if self.command == "GET":
            with st.lock:
                items = [copy.deepcopy(e) for e in st.events.values()
                         if ns is None or e["metadata"]["namespace"] == ns]
                rv = str(st.rv)
            return self.send_json(200, {"kind": "EventList", "apiVersion": "v1",
                                        "metadata": {"resourceVersion": rv}, "items": items})
        if self.command != "POST":
            return self.send_status(405, "MethodNotAllowed", "method not allowed")
        try:
            ev = json.loads(body)
        except ValueError:
            return self.send_status(400, "BadRequest", "invalid JSON")
        md = ev.get("metadata") if isinstance(ev, dict) else None
        if not isinstance(md, dict) or not isinstance(ev.get("involvedObject"), dict):
            return self.send_status(422, "Invalid", "Event is invalid: metadata and involvedObject required")
        name = md.get("name") or (md.get("generateName", "") + uuid.uuid4().hex[:5])
        if not name:
            return self.send_status(422, "Invalid", "Event is invalid: metadata.name: Required value")
        if md.get("namespace", ns) != ns:
            return self.send_status(400, "BadRequest", "the namespace of the object does not match")
        if ev.get("type") not in ("Normal", "Warning"):
            return self.send_status(422, "Invalid", "Event is invalid: type: Unsupported value")
        key = "%s/%s" % (ns, name)
        with st.lock:
            if key in st.events:
                return self.send_status(409, "AlreadyExists", 'events "%s" already exists' % name,
                                        {"name": name, "kind": "events"})
            md.update({"name": name, "namespace": ns, "uid": str(uuid.uuid4()),
                       "resourceVersion": st.next_rv_locked(), "creationTimestamp": now_rfc3339()})
            st.events[key] = ev
            st.save_locked()
        return self.send_json(201, ev)


class ApiHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, api, ctx):
        self.api = api
        self.ctx = ctx
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


class AdminHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, obj, code=200):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        api = self.server.api
        st = api.store
        with st.lock:
            if self.path == "/stats":
                return self.reply({"rv": st.rv, "nodes": len(st.nodes), "churn_events": api.churn_events,
                                   "watchers": api.watchers, "history_start": st.history_start,
                                   "sent_watch_bytes": api.sent_watch_bytes})
            if self.path == "/requests":
                return self.reply(api.faults.requests)
            if self.path == "/fired":
                return self.reply(api.faults.fired)
            if self.path == "/events":
                return self.reply(list(st.events.values()))
            if self.path.startswith("/node/"):
                n = st.nodes.get(self.path[6:])
                return self.reply(n, 200 if n else 404)
        self.reply({"error": "unknown"}, 404)

    def do_POST(self):
        api = self.server.api
        st = api.store
        f = api.faults
        n = int(self.headers.get("Content-Length") or 0)
        req = json.loads(self.rfile.read(n) or b"{}")
        p = self.path
        with st.lock:
            if p == "/node":
                node = st.new_node_locked(req["name"], req.get("annotations"))
                return self.reply(node)
            if p == "/annotate":
                node = st.patch_node_locked(req["name"], {"metadata": {"annotations": req["annotations"]}})
                return self.reply(node)
            if p == "/delete":
                return self.reply(st.delete_node_locked(req["name"]))
            if p == "/tokens":
                f.tokens = set(req["tokens"])
                return self.reply({})
            if p == "/compact":
                st.history_start = st.rv
                st.history = []
                st.history_rvs = []
                return self.reply({"history_start": st.history_start})
            if p == "/drop":
                f.generation += 1
                st.lock.notify_all()
                return self.reply({})
            if p == "/cut":
                f.cut = int(req.get("count", 1))
                return self.reply({})
            if p == "/slow":
                f.slow_delay = float(req.get("delay", 0))
                f.slow_piece = int(req.get("piece", 0))
                return self.reply({})
            if p == "/gone_mode":
                f.gone_mode = req["mode"]
                return self.reply({})
            if p == "/bookmark_interval":
                f.bookmark_interval = float(req["seconds"])
                return self.reply({})
            if p == "/fail":
                f.fail_status = int(req.get("status", 0))
                return self.reply({})
            if p == "/fault":
                # {"fault": "status"|"truncate"|"silent", "match": "watch"|"list"|"get"|
                #  "mutation"|"any", "count": N (-1: until cleared), "agent_only": bool,
                #  plus status/retry_after, mode ("json"|"short"), stage ("nothing"|"headers")/hold}
                if req.get("clear"):
                    f.queue = []
                    return self.reply({})
                entry = dict(req)
                entry.setdefault("match", "any")
                entry["count"] = int(entry.get("count", 1))
                f.queue.append(entry)
                return self.reply({"queued": len(f.queue)})
            if p == "/release":
                f.release += 1
                return self.reply({})
            if p == "/cert":
                # New connections get this certificate (same client CA); live ones keep theirs.
                srv = api.api_server
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(req["cert"], req["key"])
                ctx.load_verify_locations(api.args.client_ca)
                ctx.verify_mode = ssl.CERT_OPTIONAL
                srv.ctx = ctx
                return self.reply({})
            if p == "/churn":
                if req.get("stop"):
                    api.churn_stop.set()
                    return self.reply({"churn_events": api.churn_events})
                count = int(req.get("nodes", 1000))
                st.persist_sync = False
                for i in range(count):
                    st.new_node_locked("churn-%04d" % i, persist=False)
                api.churn_stop.clear()
                api.churn_thread = threading.Thread(target=churn, args=(api, count, float(req.get("rate", 500))),
                                                    daemon=True)
                api.churn_thread.start()
                return self.reply({})
        self.reply({"error": "unknown"}, 404)


def churn(api, count, rate):
    st = api.store
    i = 0
    while not api.churn_stop.is_set():
        with st.lock:
            for _ in range(10):
                name = "churn-%04d" % random.randrange(count)
                st.patch_node_locked(name, {"metadata": {"annotations": {"churn": str(i)}},
                                            "status": {"heartbeat": now_rfc3339()}}, persist=False)
                api.churn_events += 1
                i += 1
        time.sleep(10.0 / rate)


def flusher(api):
    st = api.store
    while True:
        time.sleep(0.2)
        with st.lock:
            if st.dirty:
                st.save_locked()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", required=True, help="CA that signs accepted client certificates")
    ap.add_argument("--state", help="JSON state file (objects and resourceVersion persist across restarts)")
    ap.add_argument("--address", default="127.0.0.1", help="address the API listens on")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--admin-port", type=int, default=0)
    ap.add_argument("--port-file", help="written with 'api_port admin_port' once listening")
    ap.add_argument("--token", action="append", help="accepted bearer token (repeatable)")
    ap.add_argument("--node", action="append", default=[], help="create this node if absent")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--rbac", action="append", help="roles and bindings (YAML) deciding token requests (repeatable)")
    ap.add_argument("--rbac-sa", default="aci-containers-system/infradhcp-agent",
                    help="NAMESPACE/NAME of the ServiceAccount bearer tokens stand for")
    ap.add_argument("--record", help="append every request to this file as a JSON line")
    args = ap.parse_args()

    api = ApiServer(args)
    with api.store.lock:
        for n in args.node:
            if n not in api.store.nodes:
                api.store.new_node_locked(n)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(args.client_ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL

    srv = ApiHTTPServer((args.address, args.port), ApiHandler, api, ctx)
    api.api_server = srv
    adm = ThreadingHTTPServer(("127.0.0.1", args.admin_port), AdminHandler)
    adm.daemon_threads = True
    adm.api = api
    threading.Thread(target=adm.serve_forever, daemon=True).start()
    threading.Thread(target=flusher, args=(api,), daemon=True).start()

    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %d\n" % (srv.server_address[1], adm.server_address[1]))
        os.rename(tmp, args.port_file)

    def term(*_):
        with api.store.lock:
            api.store.save_locked()
        os._exit(0)
    signal.signal(signal.SIGTERM, term)
    srv.serve_forever()


if __name__ == "__main__":
    main()
