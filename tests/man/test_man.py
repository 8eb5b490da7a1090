#!/usr/bin/python3
"""The man pages cannot drift from the programs and the configuration reference.

For each page built by man/meson.build: it renders with `man --warnings` without a
single warning; its header carries the project version; every option that the
program's --help lists (and, for infradhcpctl, every command) appears in the
rendered text; infradhcpd.conf(5) names every key of docs/configuration.md and no key
that the document lacks.

usage: test_man.py --version V --docs docs/configuration.md --conf-page CONF_PAGE [PAGE PROGRAM]...
"""
import argparse
import os
import re
import subprocess
import sys

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def render(page):
    env = dict(os.environ, MANWIDTH="1000", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
    env.pop("MANPAGER", None)
    env.pop("PAGER", None)
    p = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True, env=env)
    check(p.returncode == 0, "%s: man exited %d: %s" % (page, p.returncode, p.stderr.strip()))
    check(p.stderr.strip() == "", "%s: groff warnings:\n%s" % (page, p.stderr.strip()))
    # Plain text: undo overstrike and turn typographic hyphens back into '-'.
    text = re.sub(r".\x08", "", p.stdout).replace("\u2010", "-").replace("\u2212", "-")
    return text


def help_words(program):
    p = subprocess.run([program, "--help"], capture_output=True, text=True)
    check(p.returncode == 0, "%s --help exited %d" % (program, p.returncode))
    out = p.stdout
    options = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])", out)))
    commands = []
    m = re.search(r"^Commands:\n(.*?)\n\n", out, re.S | re.M)
    if m:
        commands = [line.split()[0] for line in m.group(1).splitlines() if line.strip()]
    return options, commands


def config_keys(doc):
    keys = set()
    with open(doc) as f:
        for line in f:
            m = re.match(r"\|\s*`([A-Z][A-Za-z0-9]*)=`\s*\|", line)
            if m:
                keys.add(m.group(1))
    return keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", required=True)
    ap.add_argument("--docs", required=True, help="docs/configuration.md")
    ap.add_argument("--conf-page", required=True, help="the built infradhcpd.conf.5")
    ap.add_argument("pages", nargs="+", help="PAGE PROGRAM pairs")
    args = ap.parse_args()

    if len(args.pages) % 2:
        ap.error("PAGE PROGRAM pairs expected")
    for page, program in zip(args.pages[::2], args.pages[1::2]):
        text = render(page)
        name = os.path.basename(page)
        check(("infradhcp %s" % args.version) in text,
              "%s: the header does not say infradhcp %s" % (name, args.version))
        options, commands = help_words(program)
        check(len(options) >= 3, "%s --help: found only %s" % (program, options))
        for opt in options:
            check(re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), text) is not None,
                  "%s: option %s of %s --help is not in the page" % (name, opt, os.path.basename(program)))
        for cmd in commands:
            check(re.search(r"(?m)^\s+%s\b" % re.escape(cmd), text) is not None,
                  "%s: command %s of %s --help has no entry in the page" % (name, cmd, os.path.basename(program)))
        print("%s: %d options%s of --help documented" % (
            name, len(options), (" and %d commands" % len(commands)) if commands else ""))

    keys = config_keys(args.docs)
    check(len(keys) >= 20, "docs/configuration.md: found only %d keys" % len(keys))
    text = render(args.conf_page)
    check(("infradhcp %s" % args.version) in text, "infradhcpd.conf.5: no version %s in the header" % args.version)
    in_page = set(re.findall(r"(?m)^\s+([A-Z][A-Za-z0-9]*)=", text))
    for k in sorted(keys - in_page):
        check(False, "infradhcpd.conf(5) has no entry for %s= (docs/configuration.md has)" % k)
    for k in sorted(in_page - keys):
        check(False, "infradhcpd.conf(5) documents %s=, which docs/configuration.md does not" % k)
    print("infradhcpd.conf.5: %d keys, the same as docs/configuration.md" % len(keys & in_page))

    if failures:
        print("%d failed" % len(failures))
        return 1
    print("man pages: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
