# SPDX-License-Identifier: LGPL-2.1-or-later
"""Kubernetes RBAC authorization of recorded API requests, for the deployment tests.

What it is: the two halves of what kube-apiserver does before RBAC decides, written
from the Kubernetes documentation ("Using RBAC Authorization", "Authorization
Overview: request verbs"):
  * request_info(): HTTP method + path + query -> (verb, apiGroup, resource,
    subresource, namespace, name), as the API server's request-info resolver does:
    GET of a collection is `list`, with watch=true `watch`; GET of a named object
    `get`; POST `create`, PUT `update`, PATCH `patch`, DELETE `delete`/
    `deletecollection`; for list and watch, a field selector that is exactly
    metadata.name=X (or ==X) makes X the request's name, which is what lets
    resourceNames narrow list/watch.
  * Policy: ClusterRoles bound by ClusterRoleBindings, Roles (and ClusterRoles) bound by
    RoleBindings in a namespace, to a ServiceAccount subject; allowed() says which
    rule, if any, allows a request; unused() which rule parts nothing used.

What it is not: an API server (no aggregation, no escalation checks, no groups
other than the ServiceAccount's own, no impersonation). Non-resource paths (/version,
/api discovery) are reported as such: system:discovery grants them to every
authenticated user, so a role need not.
Standard library only (PyYAML when loading manifests: Debian's python3-yaml).
"""

import urllib.parse

VERBS_BY_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch"}


class RequestInfo:
    def __init__(self, verb, group="", version="", resource="", subresource="", namespace="", name="",
                 path="", resource_request=True):
        self.verb, self.group, self.version = verb, group, version
        self.resource, self.subresource = resource, subresource
        self.namespace, self.name, self.path = namespace, name, path
        self.resource_request = resource_request

    def key(self):
        return (self.verb, self.group, self.resource, self.subresource, self.namespace, self.name)

    def __repr__(self):
        if not self.resource_request:
            return "%s %s (non-resource)" % (self.verb, self.path)
        r = self.resource + ("/" + self.subresource if self.subresource else "")
        where = (" in %s" % self.namespace) if self.namespace else " (cluster)"
        return "%s %s%s%s%s" % (self.verb, (self.group + "/") if self.group else "", r,
                                (" %r" % self.name) if self.name else "", where)


def _name_from_field_selector(sel):
    """metadata.name=X as the only requirement -> X, else ''."""
    if not sel:
        return ""
    terms = sel.split(",")
    if len(terms) != 1:
        return ""
    t = terms[0]
    if "!=" in t:
        return ""
    key, sep, value = t.partition("==")
    if not sep:
        key, sep, value = t.partition("=")
    return value if sep and key.strip() == "metadata.name" else ""


def request_info(method, path, query=None):
    """query: dict of the last value of each parameter (as apiserver.py records it)."""
    if query is None:
        u = urllib.parse.urlsplit(path)
        path = u.path
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
    parts = [p for p in path.split("/") if p]
    method = method.upper()
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        rest = None
    if not rest:
        return RequestInfo(method.lower(), path=path, resource_request=False)
    watch_prefix = False
    if rest[0] == "watch":
        watch_prefix, rest = True, rest[1:]
        if not rest:
            return RequestInfo(method.lower(), path=path, resource_request=False)
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    elif rest[0] == "namespaces" and len(rest) == 2:
        # the namespace object itself
        rest = ["namespaces", rest[1]]
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else ""
    subresource = rest[2] if len(rest) >= 3 else ""
    if method == "GET" or method == "HEAD":
        if watch_prefix or query.get("watch") in ("true", "1"):
            verb = "watch"
        elif name:
            verb = "get"
        else:
            verb = "list"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = VERBS_BY_METHOD.get(method, method.lower())
    if verb in ("list", "watch") and not name:
        name = _name_from_field_selector(query.get("fieldSelector", ""))
    return RequestInfo(verb, group, version, resource, subresource, namespace, name, path)


def _match(values, want):
    return "*" in values or want in values


def rule_allows(rule, ri):
    if not ri.resource_request:
        return _match(rule.get("nonResourceURLs") or [], ri.path) and _match(rule.get("verbs") or [], ri.verb)
    res = ri.resource + ("/" + ri.subresource if ri.subresource else "")
    return (_match(rule.get("verbs") or [], ri.verb)
            and _match(rule.get("apiGroups") or [], ri.group)
            and (_match(rule.get("resources") or [], res))
            and (not rule.get("resourceNames") or ri.name in rule["resourceNames"]))


class Policy:
    """The roles and bindings of a set of manifests, for one ServiceAccount."""

    def __init__(self, docs, sa_namespace, sa_name):
        self.sa = (sa_namespace, sa_name)
        self.roles = {}    # (kind, namespace, name) -> rules
        self.grants = []   # (binding kind, binding namespace or '', role key)
        bindings = []
        for d in docs:
            kind, md = d.get("kind"), d.get("metadata", {})
            if kind == "ClusterRole":
                self.roles[("ClusterRole", "", md["name"])] = d.get("rules") or []
            elif kind == "Role":
                self.roles[("Role", md.get("namespace", "default"), md["name"])] = d.get("rules") or []
            elif kind in ("ClusterRoleBinding", "RoleBinding"):
                bindings.append(d)
        for b in bindings:
            md = b["metadata"]
            ns = md.get("namespace", "default") if b["kind"] == "RoleBinding" else ""
            if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa_name
                       and s.get("namespace", ns) == sa_namespace for s in b.get("subjects") or []):
                continue
            ref = b["roleRef"]
            if ref.get("apiGroup") != "rbac.authorization.k8s.io":
                continue
            if ref["kind"] == "ClusterRole":
                key = ("ClusterRole", "", ref["name"])
            elif ref["kind"] == "Role" and b["kind"] == "RoleBinding":
                key = ("Role", ns, ref["name"])
            else:
                continue
            if key in self.roles:
                self.grants.append((b["kind"], ns, key))

    def rules(self):
        """[(scope namespace or '' for cluster-wide, role key, index, rule)]."""
        out = []
        for bkind, ns, key in self.grants:
            for i, rule in enumerate(self.roles[key]):
                out.append((ns if bkind == "RoleBinding" else "", key, i, rule))
        return out

    def allowed(self, ri):
        """The (scope, role key, index) of a rule that allows ri, or None."""
        for scope, key, i, rule in self.rules():
            if scope and (ri.namespace != scope or not ri.resource_request):
                continue
            if rule_allows(rule, ri):
                return (scope, key, i)
        return None

    def unused(self, infos):
        """Every (role key, index, verb, apiGroup, resource, resourceName) a bound rule
        grants that none of infos used."""
        used = set()
        for ri in infos:
            for scope, key, i, rule in self.rules():
                if scope and ri.namespace != scope:
                    continue
                if rule_allows(rule, ri):
                    res = ri.resource + ("/" + ri.subresource if ri.subresource else "")
                    used.add((key, i, ri.verb, ri.group, res, ri.name if rule.get("resourceNames") else ""))
        out = []
        for scope, key, i, rule in self.rules():
            names = rule.get("resourceNames") or [""]
            for verb in rule.get("verbs") or []:
                for group in rule.get("apiGroups") or []:
                    for res in rule.get("resources") or []:
                        for n in names:
                            if verb == "*" or group == "*" or res == "*":
                                out.append((key, i, verb, group, res, n, "wildcard"))
                            elif (key, i, verb, group, res, n) not in used:
                                out.append((key, i, verb, group, res, n, "never used"))
            for url in rule.get("nonResourceURLs") or []:
                out.append((key, i, ",".join(rule.get("verbs") or []), "", url, "", "non-resource URL"))
        return out
