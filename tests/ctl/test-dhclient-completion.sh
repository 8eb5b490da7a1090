#!/usr/bin/env bash
# Drives the infradhcp-dhclient bash completion the way bash does (COMP_WORDS/COMP_CWORD):
# options, interfaces (every one for a plain call, those with an infradhcpd socket in a
# fake runtime directory for -r and -x), no completion of --timeout's value.
set -euo pipefail
completion=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in eth1 ens192.4093; do
        mkdir -p "$tmp/$d"
        /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/$d/io.infradhcp.Client"
done
mkdir -p "$tmp/stale"
touch "$tmp/stale/io.infradhcp.Client" # not a socket: no daemon there

source /usr/share/bash-completion/bash_completion
source "$completion"

complete_line() { # words...; completes the last word
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _infradhcp_dhclient
        [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

fail=0
expect() { # description, got, want
        if [ "$2" != "$3" ]; then
                echo "FAIL: $1: got '$2', want '$3'"
                fail=1
        else
                echo "ok: $1"
        fi
}

expect "options starting with -n" "$(complete_line infradhcp-dhclient -n)" "-nw "
expect "long options" "$(complete_line infradhcp-dhclient --t)" "--timeout "
expect "no value for --timeout" "$(complete_line infradhcp-dhclient --timeout '')" ""
expect "any interface for a plain call" "$(complete_line infradhcp-dhclient l)" "lo "
expect "-r: interfaces infradhcpd runs on" "$(complete_line infradhcp-dhclient --runtime-dir "$tmp" -r e)" "ens192.4093 eth1 "
expect "-x: the same" "$(complete_line infradhcp-dhclient -x --runtime-dir "$tmp" '')" "ens192.4093 eth1 "
INFRADHCP_RUNTIME_DIR=$tmp expect "-r with INFRADHCP_RUNTIME_DIR" "$(INFRADHCP_RUNTIME_DIR=$tmp complete_line infradhcp-dhclient -r en)" "ens192.4093 "
exit $fail
