/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File I/O of the opflex-agent integration (agent-opflex-files.c): the pure
 * transforms and formats of agent-opflex.h applied to the files themselves.
 * Not pure: these read and replace files.
 */
#pragma once

#include <netinet/in.h>
#include <stdint.h>

#include "agent-config.h"
#include "agent-opflex.h"

typedef struct AgentOpflexResult {
        int base;     /* 1 written, 0 unchanged, < 0 failed (-ENOENT: no such file) */
        int renderer; /* same; 0 with vlan encap (nothing to change) */
        char error[256];
} AgentOpflexResult;

/* Reads both files in dir, transforms them for address/prefixlen and replaces the ones
 * that change atomically with their own mode. Returns the number of files written or
 * the first error (both files are always attempted). */
int agent_opflex_apply(const char *dir, AgentEncap encap, struct in_addr address, uint8_t prefixlen,
                       AgentOpflexResult *ret);
/* Atomically writes reset.conf (mode 0644, parent created) with a timestamp. */
int agent_reset_conf_write(const char *path, uint64_t realtime_usec);
/* Writes <dir>/platformconfig.subscriptions (dir created). */
int agent_platformconfig_subscribe(const char *dir, const char *uuid);
/* Reads <dir>/platformconfig.notifications: a named outcome (NO when the file does not
 * exist), or -errno / -EBADMSG. */
int agent_platformconfig_check(const char *dir, uint64_t now_usec, uint64_t max_age_usec, uint64_t *ret_event_usec);
