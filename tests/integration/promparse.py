# SPDX-License-Identifier: LGPL-2.1-or-later
"""A strict parser of the Prometheus text exposition format 0.0.4, for the metrics
tests. Stricter than Prometheus itself where the project's conventions are stricter:
every family has exactly one # HELP and one # TYPE before its samples, samples of a
family are contiguous, counters end in _total, histograms have cumulative _bucket
series with le (ending at +Inf, equal to _count) and _sum, no series twice, label
names valid, label values only with the escapes \\\\ \\" \\n.

    fams = parse(text)    # {name: {"type":..., "help":..., "samples": [(name, {labels}, value)]}}
Raises ValueError naming the line on any violation."""

import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def _value(s, where):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise ValueError("%s: bad value %r" % (where, s))
    return float(s)


def _labels(s, where):
    out = {}
    i = 0
    while i < len(s):
        m = re.match(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"", s[i:])
        if not m:
            raise ValueError("%s: bad label at %r" % (where, s[i:]))
        name = m.group(1)
        i += m.end()
        v = []
        while True:
            if i >= len(s):
                raise ValueError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    raise ValueError("%s: bad escape in label %s" % (where, name))
                v.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError("%s: raw newline in label %s" % (where, name))
            else:
                v.append(c)
                i += 1
        if name in out:
            raise ValueError("%s: label %s twice" % (where, name))
        out[name] = "".join(v)
        if i < len(s):
            if s[i] != ",":
                raise ValueError("%s: expected ',' after label %s" % (where, name))
            i += 1
    return out


def _family_of(sample, fams):
    for suffix in ("_bucket", "_sum", "_count"):
        if sample.endswith(suffix) and fams.get(sample[:-len(suffix)], {}).get("type") == "histogram":
            return sample[:-len(suffix)]
    return sample


def parse(text):
    if not text.endswith("\n"):
        raise ValueError("the exposition does not end with a newline")
    fams = {}
    order = []
    current = None
    seen = set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, rest = line[2:6], line[7:]
            name, _, arg = rest.partition(" ")
            if not NAME.match(name):
                raise ValueError("%s: bad metric name %r" % (where, name))
            f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
            if f["samples"]:
                raise ValueError("%s: %s for %s after its samples" % (where, kind, name))
            if kind == "HELP":
                if f["help"] is not None:
                    raise ValueError("%s: second HELP for %s" % (where, name))
                if re.search(r"\\[^\\n]", arg.replace("\\\\", "")):
                    raise ValueError("%s: bad escape in HELP" % where)
                f["help"] = arg
            else:
                if f["type"] is not None:
                    raise ValueError("%s: second TYPE for %s" % (where, name))
                if arg not in TYPES:
                    raise ValueError("%s: bad type %r" % (where, arg))
                f["type"] = arg
            if name not in order:
                order.append(name)
            current = name
            continue
        if line.startswith("#") or line == "":
            if line == "":
                raise ValueError("%s: empty line" % where)
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( (-?\d+))?\Z", line)
        if not m:
            raise ValueError("%s: not a sample: %r" % (where, line))
        sname, labels, value = m.group(1), _labels(m.group(3) or "", where), _value(m.group(4), where)
        fam = _family_of(sname, fams)
        if fam not in fams or fams[fam]["type"] is None or fams[fam]["help"] is None:
            raise ValueError("%s: sample %s without HELP and TYPE" % (where, sname))
        if fam != current:
            raise ValueError("%s: sample of %s outside its family's block" % (where, fam))
        key = (sname, tuple(sorted(labels.items())))
        if key in seen:
            raise ValueError("%s: series %r twice" % (where, key))
        seen.add(key)
        fams[fam]["samples"].append((sname, labels, value))
    for name, f in fams.items():
        if f["type"] is None or f["help"] is None:
            raise ValueError("%s: HELP or TYPE missing" % name)
        if f["type"] == "counter":
            if not name.endswith("_total"):
                raise ValueError("counter %s does not end in _total" % name)
            if any(v < 0 or math.isnan(v) for _, _, v in f["samples"]):
                raise ValueError("counter %s has a negative or NaN value" % name)
        if f["type"] == "histogram":
            _check_histogram(name, f["samples"])
    return fams


def _check_histogram(name, samples):
    series = {}
    for sname, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname == name + "_bucket":
            if "le" not in labels:
                raise ValueError("%s_bucket without le" % name)
            s["buckets"].append((_value(labels["le"], name), value))
        elif sname == name + "_sum":
            s["sum"] = value
        elif sname == name + "_count":
            s["count"] = value
        else:
            raise ValueError("histogram %s has a sample %s" % (name, sname))
    for base, s in series.items():
        b = s["buckets"]
        if not b or b[-1][0] != math.inf or s["sum"] is None or s["count"] is None:
            raise ValueError("histogram %s%r: needs buckets ending at +Inf, _sum and _count" % (name, base))
        if [x for x, _ in b] != sorted(x for x, _ in b) or any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise ValueError("histogram %s%r: buckets not ascending and cumulative" % (name, base))
        if b[-1][1] != s["count"]:
            raise ValueError("histogram %s%r: +Inf bucket %s != _count %s" % (name, base, b[-1][1], s["count"]))


def value(fams, name, **labels):
    """The value of the one sample of name with exactly these labels."""
    fam = fams[_family_of(name, fams)]
    got = [v for n, l, v in fam["samples"] if n == name and l == labels]
    if len(got) != 1:
        raise KeyError("%s%r: %d samples" % (name, labels, len(got)))
    return got[0]
