#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Turns a varlink IDL file into a C header holding its text as one string constant,
# so the .varlink file stays the source of truth for GetInterfaceDescription.
#   varlink-idl-to-c.py INPUT.varlink OUTPUT.h SYMBOL
import sys


def c_string(text):
    out = []
    for line in text.splitlines(keepends=True):
        esc = ''.join(
            '\\\\' if ch == '\\' else
            '\\"' if ch == '"' else
            '\\n' if ch == '\n' else
            '\\t' if ch == '\t' else
            ch if 0x20 <= ord(ch) < 0x7f else
            ''.join('\\%03o' % b for b in ch.encode('utf-8'))
            for ch in line)
        out.append('        "%s"' % esc)
    return '\n'.join(out) if out else '        ""'


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: varlink-idl-to-c.py INPUT OUTPUT SYMBOL')
    src, dst, symbol = sys.argv[1:]
    with open(src, encoding='utf-8') as f:
        text = f.read()
    if '\0' in text:
        sys.exit('%s: contains a NUL byte' % src)
    with open(dst, 'w', encoding='utf-8') as f:
        f.write('/* Generated from %s by varlink-idl-to-c.py; do not edit. */\n' % src.split('/')[-1])
        f.write('#pragma once\n\n')
        f.write('static const char %s[] =\n%s;\n' % (symbol, c_string(text)))


if __name__ == '__main__':
    main()
