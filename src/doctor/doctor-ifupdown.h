/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ifupdown's /etc/network/interfaces (pure). interfaces(5): "iface NAME FAMILY METHOD"
 * starts a stanza; "auto NAME..." and "allow-CLASS NAME..." bring it up at boot or on
 * hotplug; "source PATTERN" and "source-directory DIR" include more files (the caller
 * reads them: this module only reports the directives). "iface IF inet dhcp" makes
 * ifup start a DHCP client (dhclient, or dhcpcd/udhcpc) on the interface.
 * Lines ending in '\' continue on the next line; '#' starts a comment line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum IfupdownInclude {
        IFUPDOWN_SOURCE,           /* glob pattern, relative to the including file's directory */
        IFUPDOWN_SOURCE_DIRECTORY, /* every run-parts-style name in the directory */
} IfupdownInclude;

typedef struct IfupdownResult {
        unsigned dhcp_line;   /* line of "iface IF inet dhcp", 0 if none */
        bool autostart;       /* "auto IF" or "allow-... IF" */
        unsigned autostart_line;
} IfupdownResult;

/* Called for every source/source-directory directive; return < 0 to stop. */
typedef int (*IfupdownIncludeHandler)(IfupdownInclude kind, const char *arg, unsigned line, void *userdata);

/* Scans one file for ifname. Fills *result (zeroed first) and calls include for each
 * directive (may be NULL). Returns 0, the handler's error, or -EBADMSG (NUL byte,
 * over-long line) with *ret_line. */
int ifupdown_scan(const char *text, size_t len, const char *ifname, IfupdownResult *result,
                  IfupdownIncludeHandler include, void *userdata, unsigned *ret_line);

/* The text with the method of the "iface IF inet dhcp" stanza on `line` changed to
 * "manual", everything else byte for byte. Returns 0 with *ret (malloc'd) and
 * *ret_len, -ENOENT when that line is not such a stanza, -ENOMEM. */
int ifupdown_disable_dhcp(const char *text, size_t len, const char *ifname, unsigned line, char **ret,
                          size_t *ret_len);

/* run-parts(8) names, as source-directory takes them: [A-Za-z0-9_-]+. */
bool ifupdown_run_parts_name(const char *name);
