/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict parsers for values read from files, command lines and the API: integers
 * with range checks, booleans, durations, IPv4 addresses and prefixes, MACs.
 * Every function returns 0 and writes *ret only on success, else -EINVAL/-ERANGE.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int parse_u32(const char *s, uint32_t *ret);               /* decimal only, no sign, no junk, -ERANGE */
int parse_u64(const char *s, uint64_t *ret);
int parse_bool(const char *s, bool *ret);                  /* yes/no/true/false/on/off/1/0, any case */
/* "250ms", "2s", "1.5s", "5min", "1h", "3d", bare number = seconds (also "1.5").
 * Units: us usec ms msec s sec min h d; no whitespace, no sign, one term only.
 * Fractions are truncated to whole usec. Result in usec; -ERANGE past UINT64_MAX. */
int parse_duration_usec(const char *s, uint64_t *ret);
int parse_ipv4(const char *s, struct in_addr *ret);        /* dotted quad, exactly 4 parts */
/* "a.b.c.d/len", len 0..32 (-ERANGE above). The address is returned as given: host
 * bits are NOT cleared or rejected ("10.0.128.64/16" is an interface address); callers
 * that need a network check (address & mask) == address themselves. */
int parse_ipv4_prefix(const char *s, struct in_addr *ret, uint8_t *ret_prefixlen);
/* The index of `name` among the space- or tab-separated words of a table's header
 * line header[0..len) (/proc/net/netlink, /proc/net/packet), or -1. */
int table_column(const char *header, size_t len, const char *name);
int parse_mac(const char *s, uint8_t ret[6]);              /* aa:bb:cc:dd:ee:ff, any hex case */
/* Formats "aa:bb:cc:dd:ee:ff"; buf >= 18 bytes. Returns buf. */
char *format_mac(const uint8_t mac[6], char *buf);
/* Valid Linux interface name: 1..15 chars, not "." or "..", none of '/', ':',
 * whitespace (kernel rules), nor control/non-ASCII bytes, '"' or '\\' (the name goes
 * into paths, logs and dhclient-format lease files). */
bool ifname_valid(const char *s);
/* Word splitting for lists in config files and command lines: skips the separators at
 * *p, returns the word there with its length in *ret_len and moves *p past it; NULL
 * (and *p at the end) when only separators are left. The string is not modified. */
const char *next_word(const char **p, const char *separators, size_t *ret_len);
/* The socket path of a D-Bus address that is exactly one "unix:path=PATH" (no other
 * key, no second address, no %-escape), else NULL: an address only a D-Bus library
 * should interpret. */
const char *bus_address_unix_path(const char *address);
