/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What infradhcp-dhclient makes of a dhclient.conf(5) given with -cf: the statements
 * infradhcpd honours, and a warning naming the line of every one it does not. Pure:
 * text in, findings out (infradhcp-dhclient reads the file and prints).
 *
 * Honoured (no warning):
 *   send dhcp-client-identifier = hardware;   what infradhcpd always sends (01:<MAC>)
 *   send dhcp-client-identifier 1:<MAC>;      the same, written out (when it is ours)
 *   timeout N;                                the wait for a lease (as --timeout N)
 *   option NAME code N = TYPE;                a definition: no behaviour of its own
 *   interface "OTHER" { ... }                 another interface's: not ours
 *   script "FILE";                            reported like -sf: scripts are not run
 * Everything else (send host-name, request, require, retry, reboot, supersede, lease
 * blocks, ...) is a warning: "FILE:LINE: `STATEMENT` is not honoured: REASON".
 * A text that does not parse (an unterminated string or block, a stray '}', a
 * statement without ';') is an error with its line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCLIENT_CONF_WARNINGS_MAX 32

typedef struct DhclientConfWarning {
        unsigned line;
        char statement[96]; /* the statement, blanks collapsed, cut at 95 bytes */
        const char *reason; /* static */
} DhclientConfWarning;

typedef struct DhclientConf {
        int64_t timeout_sec; /* -1: no timeout statement */
        bool client_id_hardware; /* a dhcp-client-identifier statement that is ours */
        char script[128];        /* a script statement's file, "" none */
        unsigned script_line;
        DhclientConfWarning warnings[DHCLIENT_CONF_WARNINGS_MAX];
        size_t n_warnings;       /* all of them, also beyond the array */
} DhclientConf;

/* Parses text for ifname, whose MAC is mac (NULL: unknown, a written-out client id is
 * then a warning). Returns 0 with *ret filled, or -EBADMSG with *ret_line and
 * *ret_error (static) for a text that does not parse, -EINVAL for bad arguments. */
int dhclient_conf_parse(const char *text, size_t len, const char *ifname, const uint8_t *mac, DhclientConf *ret,
                        unsigned *ret_line, const char **ret_error);
