# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reading ISC dhclient lease files the way their readers do, written apart from
infradhcp's C code so that the tests check the exported file against an independent
reading:

  blocks(text)           every `lease { ... }` block: interface, fixed-address, options,
                         renew/rebind/expire as UTC epoch seconds (None for "never")
  host_agent_pick(...)   the ACI host agent's rule (/work/shared/reference/
                         aci-hostagent.md, "Lease files that other tools read"): of the
                         blocks for the interface, the one with the latest expire; times
                         are UTC and the leading digit is the weekday. Go's After() is
                         strict, so of equal expires the first block wins.
  dhclient_active(...)   the lease dhclient itself asks for with INIT-REBOOT when it
                         reads the file: read_client_leases makes the last block for the
                         interface the active lease, and state_reboot goes to INIT
                         (DISCOVER) instead when that one has expired.
"""

import calendar
import re
import time

_BLOCK = re.compile(r"(?ms)^\s*lease\s*\{(.*?)^\s*\}")


def _when(words):
    if words == ["never"]:
        return None
    if len(words) == 2 and words[0] == "epoch":
        return int(words[1])
    if len(words) != 3 or not words[0].isdigit():
        raise ValueError("bad time %r" % words)
    t = time.strptime(words[1] + " " + words[2], "%Y/%m/%d %H:%M:%S")
    weekday = (t.tm_wday + 1) % 7  # dhclient: 0 = Sunday; Python: 0 = Monday
    if int(words[0]) != weekday:
        raise ValueError("weekday %s is not that of %s" % (words[0], words[1]))
    return calendar.timegm(t)


class Block:
    def __init__(self, body, index):
        self.index = index
        self.body = body
        self.interface = self.address = None
        self.options = {}
        self.times = {}
        for stmt in body.split(";"):
            w = stmt.split()
            if not w:
                continue
            if w[0] == "interface":
                self.interface = w[1].strip('"')
            elif w[0] == "fixed-address":
                self.address = w[1]
            elif w[0] == "option":
                self.options[w[1]] = " ".join(w[2:])
            elif w[0] in ("renew", "rebind", "expire"):
                self.times[w[0]] = _when(w[1:])

    @property
    def expire(self):
        return self.times.get("expire", 0)

    def expire_key(self):
        return float("inf") if self.expire is None else self.expire

    def __repr__(self):
        return "<block %d %s %s expire %s>" % (self.index, self.interface, self.address, self.expire)


def blocks(text):
    return [Block(m.group(1), i) for i, m in enumerate(_BLOCK.finditer(text))]


def host_agent_pick(text, ifname):
    best = None
    for b in blocks(text):
        if b.interface != ifname or not b.address or "expire" not in b.times:
            continue
        if best is None or b.expire_key() > best.expire_key():
            best = b
    return best


def dhclient_active(text, ifname, now=None):
    now = time.time() if now is None else now
    last = None
    for b in blocks(text):
        if b.interface == ifname:
            last = b
    if last is None or (last.expire is not None and last.expire <= now):
        return None
    return last
