#!/usr/bin/env bash
# Drives the infradhcpctl bash completion the way bash does (COMP_WORDS/COMP_CWORD)
# against a fake runtime directory with two daemon sockets and the agent's.
set -euo pipefail
completion=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in eth1 ens192.4093; do
        mkdir -p "$tmp/$d"
        /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/$d/io.infradhcp.Client"
done
mkdir -p "$tmp/agent" "$tmp/stale"
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/agent/io.infradhcp.Agent"
touch "$tmp/stale/io.infradhcp.Client" # not a socket: no daemon there

source /usr/share/bash-completion/bash_completion
source "$completion"

complete_line() { # words...; completes the last word
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _infradhcpctl
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

expect "verbs starting with re" "$(complete_line infradhcpctl re)" "rebind release release-and-renew renew restart "
expect "metrics verb" "$(complete_line infradhcpctl me)" "metrics "
expect "interfaces for metrics, several" "$(complete_line infradhcpctl --runtime-dir "$tmp" metrics eth1 '')" "ens192.4093 eth1 "
expect "agent verb" "$(complete_line infradhcpctl ag)" "agent "
expect "check verb" "$(complete_line infradhcpctl ch)" "check "
expect "check takes one infradhcpd interface" "$(complete_line infradhcpctl --runtime-dir "$tmp" check e)" "ens192.4093 eth1 "
expect "one interface only for check" "$(complete_line infradhcpctl --runtime-dir "$tmp" check eth1 '')" ""
expect "doctor verb" "$(complete_line infradhcpctl do)" "doctor "
expect "doctor takes any interface" "$(complete_line infradhcpctl doctor l)" "lo "
expect "doctor options" "$(complete_line infradhcpctl --fi)" "--fix "
expect "options" "$(complete_line infradhcpctl --req)" "--require "
expect "interfaces for status" "$(complete_line infradhcpctl --runtime-dir "$tmp" status '')" "ens192.4093 eth1 "
expect "interface prefix" "$(complete_line infradhcpctl --runtime-dir "$tmp" renew e)" "ens192.4093 eth1 "
expect "one interface only for lease" "$(complete_line infradhcpctl --runtime-dir "$tmp" lease eth1 '')" ""
expect "value of --refuse not completed" "$(complete_line infradhcpctl --runtime-dir "$tmp" --refuse '')" ""
exit $fail
