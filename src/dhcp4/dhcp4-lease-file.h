/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Text formats of a persisted lease. Pure: strings in, strings out; no files, no
 * clocks (the caller reads/writes the file with fileio and passes wall-clock time).
 *
 * 1. The state file /var/lib/infradhcp/IFNAME.lease, systemd-networkd-like:
 *
 *      # infradhcp lease file (generated; do not edit)
 *      ADDRESS=10.0.128.64
 *      PREFIXLEN=16
 *      SERVER_ADDRESS=10.0.0.1
 *      BROADCAST=10.0.255.255               (optional keys are omitted when unset)
 *      ROUTER=10.0.0.1 10.0.0.2
 *      DNS=10.0.0.53
 *      ROUTES=0.0.0.0/0,10.0.0.1 10.1.0.0/16,0.0.0.0
 *      MTU=9000
 *      HOSTNAME=node-1
 *      DOMAINNAME=example.com
 *      LIFETIME=604800                      ("infinity" for UINT32_MAX)
 *      T1=302400
 *      T2=529200
 *      CLIENTID=01:52:54:00:12:34:56
 *      ACQUIRED_REALTIME_USEC=1757230000000000
 *      BOOT_ID=0f6c3a1e-8d2b-4c55-9b1a-2f0e7d6c5b4a   (with the next: both or neither)
 *      ACQUIRED_BOOTTIME_USEC=12345678
 *
 *    Mandatory: ADDRESS, PREFIXLEN, SERVER_ADDRESS, LIFETIME, CLIENTID,
 *    ACQUIRED_REALTIME_USEC. T1/T2 default to 0.5/0.875 × LIFETIME (RFC 2131
 *    §4.4.5) when absent. Unknown keys, empty lines and '#' lines are ignored
 *    (forward compatibility); a duplicate key, a line without '=', a NUL byte, a
 *    last line without '\n' (truncated file) or any malformed value makes the file
 *    corrupt. HOSTNAME/DOMAINNAME escape bytes outside '!'..'~' and '\' as "\xHH".
 *    When the lease was acquired is stored on two clocks (Dhcp4LeaseStamp): the
 *    wall clock, which survives a reboot but jumps when someone sets it, and
 *    CLOCK_BOOTTIME with the kernel's boot id, which never jumps but means nothing
 *    after a reboot. The daemon uses the boot clock for a file of this boot and the
 *    wall clock otherwise (dhcp4-persist.c).
 *
 * 2. A dhclient-compatible lease block (dhclient.leases(5)), for tools that read
 *    dhclient's lease files (ACI host agent: the block with the latest "expire" for
 *    the interface wins) and for dhclient itself:
 *
 *      lease {
 *        interface "ens192.4093";
 *        fixed-address 10.0.128.64;
 *        option subnet-mask 255.255.0.0;
 *        option routers 10.0.0.1;                  (the optional options only when
 *        option domain-name-servers 10.0.0.53;      the lease has them)
 *        option host-name "node-1";
 *        option domain-name "example.com";
 *        option interface-mtu 9000;
 *        option broadcast-address 10.0.255.255;
 *        option dhcp-lease-time 604800;
 *        option dhcp-message-type 5;
 *        option dhcp-server-identifier 10.0.0.1;
 *        option dhcp-renewal-time 302400;          (not for an infinite lease)
 *        option dhcp-rebinding-time 529200;
 *        option dhcp-client-identifier 1:52:54:0:12:34:56;
 *        renew 0 2025/09/07 10:03:50;
 *        rebind 3 2025/09/10 13:39:35;
 *        expire 4 2025/09/11 10:39:35;
 *      }
 *
 *    Times are UTC, "W YYYY/MM/DD HH:MM:SS" with W the weekday (0 = Sunday), computed
 *    as acquired_realtime + T1 / T2 / LIFETIME; "never" for an infinite time, as
 *    dhclient writes it. Strings are quoted with dhclient's escapes. Option 121 is
 *    not written: dhclient knows it only by a definition in dhclient.conf, and a
 *    reader without that definition would drop the whole block. A lease that ended
 *    (released, expired, replaced) is written with renew, rebind and expire at the
 *    moment it ended.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infradhcp/lease.h"

/* Largest text either formatter can produce (ROUTES with 32 entries and fully
 * escaped names included); a buffer this size never gets -ENOBUFS. */
#define DHCP4_LEASE_FILE_MAX 4096

/* Formats the state file (NUL-terminated). Returns 0 and sets *ret_len (strlen, may
 * be NULL); -EINVAL for a lease the parser would refuse (address or server 0.0.0.0,
 * lifetime 0, prefixlen > 32, counts above LEASE_MAX_*, unterminated hostname or
 * domain, client id not 0x01 + MAC); -ENOBUFS when size is too small. */
/* When a lease was acquired, as the state file stores it. */
#define DHCP4_BOOT_ID_LEN 36 /* /proc/sys/kernel/random/boot_id: 8-4-4-4-12 hex digits */
typedef struct Dhcp4LeaseStamp {
        uint64_t realtime_usec;          /* CLOCK_REALTIME */
        uint64_t boottime_usec;          /* CLOCK_BOOTTIME (not the engine clock); with boot_id */
        char boot_id[DHCP4_BOOT_ID_LEN + 1]; /* "" = unknown: realtime only */
} Dhcp4LeaseStamp;

/* A kernel boot id: 36 characters, lower-case hex digits and dashes at 8, 13, 18, 23. */
bool dhcp4_boot_id_valid(const char *s);

int dhcp4_lease_file_format(const Dhcp4Lease *l, const Dhcp4LeaseStamp *stamp, char *buf, size_t size,
                            size_t *ret_len);

/* Parses the state file text (need not be NUL-terminated). Returns 0 and fills *ret
 * (acquired_usec = 0) and *ret_stamp (boot_id "" when the file has none); or -EBADMSG
 * with *ret_error (may be NULL) set to a static reason such as "ADDRESS missing",
 * "LIFETIME malformed", "line without '='" or "BOOT_ID without
 * ACQUIRED_BOOTTIME_USEC" (then *ret and *ret_stamp are untouched); -EINVAL for NULL
 * arguments. */
int dhcp4_lease_file_parse(const char *text, size_t len, Dhcp4Lease *ret, Dhcp4LeaseStamp *ret_stamp,
                           const char **ret_error);

/* Formats one dhclient lease block (see above) for ifname (must pass
 * ifname_valid()). Returns 0, -EINVAL or -ENOBUFS like dhcp4_lease_file_format(). */
int dhcp4_lease_file_format_dhclient(const Dhcp4Lease *l, const char *ifname, uint64_t acquired_realtime_usec,
                                     char *buf, size_t size, size_t *ret_len);
/* The same block for a lease that ended at ended_realtime_usec (CLOCK_REALTIME, at
 * least one second after the epoch): renew, rebind and expire all say that moment. */
int dhcp4_lease_file_format_dhclient_ended(const Dhcp4Lease *l, const char *ifname, uint64_t acquired_realtime_usec,
                                           uint64_t ended_realtime_usec, char *buf, size_t size, size_t *ret_len);

/* 3. The offer policy file /var/lib/infradhcp/IFNAME.policy: the subnets restart()
 *    refuses and the one it requires (multipod), so a daemon restarted in the middle
 *    of a move keeps refusing the old pod's pool:
 *
 *      # infradhcp offer policy (generated; do not edit)
 *      REFUSE=10.1.0.0/16 10.2.0.0/16
 *      REQUIRE=10.0.0.0/16
 *
 *    Both keys optional (an empty policy is no file at all). Unknown keys ignored;
 *    malformed values, duplicates, more than `max` refused subnets or a truncated
 *    file make it corrupt (-EBADMSG with a reason). */
#define DHCP4_POLICY_FILE_MAX 1024

int dhcp4_policy_file_format(const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require, char *buf,
                             size_t size, size_t *ret_len);
int dhcp4_policy_file_parse(const char *text, size_t len, Dhcp4Subnet *refuse, size_t max, size_t *ret_n_refuse,
                            Dhcp4Subnet *ret_require, bool *ret_has_require, const char **ret_error);
