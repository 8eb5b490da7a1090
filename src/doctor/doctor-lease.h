/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lease files other DHCP clients leave behind, read to compare with infradhcpd's
 * lease (pure):
 * - ISC dhclient's "lease { ... }" blocks (dhclient.leases(5)): interface,
 *   fixed-address, option subnet-mask, option dhcp-client-identifier (colon hex such
 *   as 1:52:54:0:12:34:56, or a quoted string), renew/rebind/expire as
 *   "W YYYY/MM/DD HH:MM:SS" (UTC), "epoch N" or "never". Other statements, top-level
 *   declarations and lease6 blocks are skipped.
 * - the KEY=value lease files of systemd-networkd and of NetworkManager's internal
 *   client (ADDRESS=, CLIENTID= as plain hex).
 * The ACI host agent reads the dhclient file of its interface and takes the block with
 * the latest expire (dhclient_leases_pick() implements exactly that rule; a tie goes to
 * the later block, which dhclient wrote last).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCLIENT_CLIENT_ID_MAX 64
#define DHCLIENT_EXPIRE_NEVER INT64_MAX

typedef struct DhclientLease {
        unsigned line;            /* of "lease {" */
        char interface[64];       /* "" when the block names none */
        struct in_addr address;   /* fixed-address */
        bool has_address;
        uint8_t prefixlen;        /* from option subnet-mask, 0 if absent */
        uint8_t client_id[DHCLIENT_CLIENT_ID_MAX];
        size_t client_id_len;     /* 0: no dhcp-client-identifier */
        int64_t renew, rebind, expire; /* seconds since the epoch; DHCLIENT_EXPIRE_NEVER */
        bool has_expire;
} DhclientLease;

/* Parses every lease block, storing up to max (counting all in *ret_n). Returns 0 or
 * -EBADMSG with *ret_line and *ret_error (unterminated block or string, a NUL byte,
 * a malformed address, client id or time in a lease block). */
int dhclient_leases_parse(const char *text, size_t len, DhclientLease *out, size_t max, size_t *ret_n,
                          unsigned *ret_line, const char **ret_error);

/* Index of the block the host agent uses for ifname (latest expire; ties: the later
 * block), or -ENOENT. */
int dhclient_leases_pick(const DhclientLease *v, size_t n, const char *ifname);

/* "W YYYY/MM/DD HH:MM:SS" → seconds (UTC). The weekday is not checked (dhclient
 * ignores it too). -EINVAL. */
int dhclient_time_parse(const char *s, int64_t *ret);

/* systemd-style KEY=value lease: ADDRESS and CLIENTID (hex). Returns 0 with what was
 * found (has_address/client_id_len may be 0), -EBADMSG on a malformed value. */
int sd_lease_parse(const char *text, size_t len, DhclientLease *ret);

/* Formats a client id the way the doctor reports it: "01:52:54:00:12:34:56". */
char *dhclient_client_id_format(const uint8_t *id, size_t len, char *buf, size_t size);
