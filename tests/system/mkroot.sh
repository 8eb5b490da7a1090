#!/usr/bin/env bash
# Builds (once) the Debian 12 root that the `system` suite boots with systemd-nspawn,
# and prints its path. The root is cached under $INFRADHCP_ROOT_CACHE (default
# /var/cache/infradhcp-tests) in a directory named after a hash of everything that
# goes into it: the suite, the mirror, the package list and this script. A later run
# with the same inputs finds it and returns at once; a changed input builds a new one
# (old ones are removed). Built in a temporary directory and renamed into place, so
# an interrupted build is never mistaken for a finished one.
#
# The root holds only what the tests need to boot systemd and to `apt-get install`
# the .deb without network: systemd + udev + dbus, and the runtime libraries the
# package depends on (the container has no route to a mirror).
set -euo pipefail

suite=bookworm
packages=(
  systemd systemd-sysv dbus udev iproute2
  # systemd-analyze verify checks the units' man: links with man
  man-db
  # the .deb's runtime dependencies (dh_shlibdeps), so apt-get install ./*.deb works offline
  libsystemd0 libmnl0 libjson-c5 libcurl4 libyaml-0-2 libmicrohttpd12
)
cache=${INFRADHCP_ROOT_CACHE:-/var/cache/infradhcp-tests}

# The mirror this machine's apt uses (deb822 or one-line sources).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n1 || true)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

key=$( { echo "$suite $mirror"; printf '%s\n' "${packages[@]}"; cat "$0"; } | sha256sum | cut -c1-16)
root="$cache/$suite-$key"
if [ -f "$root/.infradhcp-root-complete" ]; then
  echo "$root"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$root/.infradhcp-root-complete" ]; then  # built by a concurrent run
  echo "$root"
  exit 0
fi
tmp="$cache/.building-$suite-$key.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
include=$(IFS=,; echo "${packages[*]}")
echo "mkroot: debootstrap $suite from $mirror (once; cached as $root)" >&2
debootstrap --variant=minbase --include="$include" "$suite" "$tmp" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 || {
  echo "mkroot: debootstrap failed; log: $cache/debootstrap-$key.log" >&2
  tail -n 20 "$cache/debootstrap-$key.log" >&2
  exit 1
}

# Boot set-up that does not depend on the test: no udev trigger at boot (the test
# triggers net devices itself after mounting a fresh sysfs), nothing that runs timers
# or waits for a network manager, a known host name.
for u in systemd-udev-trigger.service apt-daily.timer apt-daily-upgrade.timer \
         e2scrub_all.timer fstrim.timer systemd-networkd-wait-online.service \
         getty@tty1.service console-getty.service; do
  ln -sf /dev/null "$tmp/etc/systemd/system/$u"
done
echo infradhcp-system >"$tmp/etc/hostname"
: >"$tmp/etc/machine-id"
rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"* 2>/dev/null || true
touch "$tmp/.infradhcp-root-complete"

# Drop roots built from other inputs, then publish this one.
for old in "$cache/$suite-"*; do
  [ -d "$old" ] && [ "$old" != "$root" ] && rm -rf "$old"
done
for old in "$cache/debootstrap-"*.log; do
  [ "$old" != "$cache/debootstrap-$key.log" ] && rm -f "$old"
done
mv "$tmp" "$root"
trap - EXIT
echo "$root"
