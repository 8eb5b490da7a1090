#!/bin/sh
# Feeds every seed in DIR to an AFL++ driver on stdin, as afl-fuzz's dry run would,
# and fails on the first one that crashes it. Proves the persistent-mode driver builds
# and runs the target (CI runs no AFL++ campaign).
set -eu
driver=$1 dir=$2
n=0
for f in "$dir"/*; do
        [ -f "$f" ] || continue
        "$driver" <"$f" >/dev/null || { echo "afl-replay: $f failed (exit $?)" >&2; exit 1; }
        n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "afl-replay: no seeds in $dir" >&2; exit 1; }
echo "$n inputs replayed through $(basename "$driver")"
