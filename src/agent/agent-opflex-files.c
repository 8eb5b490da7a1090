/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file side of agent-opflex: reads opflex-agent's config files, runs the pure
 * transforms of agent-opflex.h on them and replaces the ones that change atomically
 * (write_file_atomic); writes reset.conf and the PlatformConfig subscription, reads
 * the notifications. An edge (src/shared fileio); the decisions of when to do any of
 * it are agent-reconcile's, the formats agent-opflex's.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-opflex-files.h"
#include "errmsg.h"
#include "fileio.h"
#include "macro.h"

static char *path_join(const char *dir, const char *name) {
        char *p;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return NULL;
        return p;
}

typedef int (*TransformFn)(const char *text, size_t len, const char *value, char **ret_text, char *err,
                           size_t errlen);

static int apply_one(const char *dir, const char *name, TransformFn fn, const char *value, char *err, size_t errlen) {
        _cleanup_(freep) char *path = path_join(dir, name), *text = NULL, *out = NULL;
        char msg[200] = "";
        size_t len;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file_full(path, AGENT_OPFLEX_FILE_MAX, &text, &len);
        if (r < 0) {
                errmsg(err, errlen, r, path, "%s", strerror(-r));
                return r;
        }
        r = fn(text, len, value, &out, msg, sizeof(msg));
        if (r < 0) {
                errmsg(err, errlen, r, path, "%s", msg[0] ? msg : strerror(-r));
                return r;
        }
        if (r == 0)
                return 0;
        /* (mode_t)-1: keep the file's own mode. */
        r = write_file_atomic(path, out, strlen(out), (mode_t)-1);
        if (r < 0) {
                errmsg(err, errlen, r, path, "cannot replace: %s", strerror(-r));
                return r;
        }
        return 1;
}

int agent_opflex_apply(const char *dir, AgentEncap encap, struct in_addr address, uint8_t prefixlen,
                       AgentOpflexResult *ret) {
        char peer[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN];
        struct in_addr p, rip;
        AgentOpflexResult res = {};
        char err2[sizeof(res.error)] = "";

        agent_anycast(address, prefixlen, &p, &rip);
        inet_ntop(AF_INET, &p, peer, sizeof(peer));
        inet_ntop(AF_INET, &rip, remote, sizeof(remote));
        res.base = apply_one(dir, AGENT_OPFLEX_BASE_CONF, agent_opflex_base_transform, peer, res.error,
                             sizeof(res.error));
        /* vlan encap has no VXLAN remote-ip to follow. */
        if (encap == AGENT_ENCAP_VXLAN)
                res.renderer = apply_one(dir, AGENT_OPFLEX_RENDERER_CONF, agent_opflex_renderer_transform, remote,
                                         err2, sizeof(err2));
        if (!res.error[0] && err2[0])
                memcpy(res.error, err2, sizeof(res.error));
        *ret = res;
        if (res.base < 0)
                return res.base;
        if (res.renderer < 0)
                return res.renderer;
        return res.base + res.renderer;
}

int agent_reset_conf_write(const char *path, uint64_t realtime_usec) {
        char ts[32], text[64];
        int r;

        r = mkdir_parents(path, 0755);
        if (r < 0)
                return r;
        /* opflex-agent ignores the content; any change makes it drop learned peers. */
        snprintf(text, sizeof(text), "%s\n", agent_timestamp_format(realtime_usec, ts, sizeof(ts)));
        return write_file_atomic(path, text, strlen(text), 0644);
}

int agent_platformconfig_subscribe(const char *dir, const char *uuid) {
        _cleanup_(freep) char *path = path_join(dir, AGENT_PLATFORMCONFIG_SUBSCRIPTIONS), *text = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        r = agent_platformconfig_subscriptions_format(uuid, &text);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, strlen(text), 0644);
}

int agent_platformconfig_check(const char *dir, uint64_t now_usec, uint64_t max_age_usec, uint64_t *ret_event_usec) {
        _cleanup_(freep) char *path = path_join(dir, AGENT_PLATFORMCONFIG_NOTIFICATIONS), *text = NULL;
        size_t len;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file_full(path, AGENT_OPFLEX_FILE_MAX, &text, &len);
        if (r == -ENOENT)
                return AGENT_INTRA_POD_NO;
        if (r < 0)
                return r;
        return agent_platformconfig_notifications_parse(text, len, now_usec, max_age_usec, ret_event_usec);
}
