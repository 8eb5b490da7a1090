/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the agent reads and writes for opflex-agent:
 * - the anycast addresses of a TEP network (.30 opflex peer, .32 VXLAN remote-ip);
 * - pure JSON transforms of 01-base.conf (opflex.peers) and 10-renderer.conf
 *   (renderers.stitched-mode.encap.vxlan.remote-ip) that change only that field and
 *   keep every other field, in order;
 * - the reset.conf content (reconnect feature);
 * - the PlatformConfig subscription it writes and the notification it parses (the
 *   intra-pod check), with `now` passed in.
 * Pure: text in, text out, `now` passed in. The file I/O (read, atomic replace with
 * the same mode) is agent-opflex-files.h. Not here: when to do any of it.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-config.h"

#define AGENT_OPFLEX_BASE_CONF "01-base.conf"
#define AGENT_OPFLEX_RENDERER_CONF "10-renderer.conf"
#define AGENT_OPFLEX_PEER_PORT "8009"
#define AGENT_OPFLEX_FILE_MAX (1024U * 1024U)
#define AGENT_PLATFORMCONFIG_SUBSCRIPTIONS "platformconfig.subscriptions"
#define AGENT_PLATFORMCONFIG_NOTIFICATIONS "platformconfig.notifications"

/* Network of address/prefixlen with the last octet overwritten: .30 and .32.
 * 10.0.128.64/16 → 10.0.0.30, 10.0.0.32. (What ACI's host agent computes, also for
 * prefixes longer than /24.) */
void agent_anycast(struct in_addr address, uint8_t prefixlen, struct in_addr *ret_peer, struct in_addr *ret_remote_ip);

/* Transforms. Return 1 and *ret_text (malloc'd, pretty-printed JSON with a final
 * newline) when the field must change, 0 when it already has that value (nothing to
 * write), or -EBADMSG with a message in err when the text is not JSON of the expected
 * shape (-ENOMEM). */
int agent_opflex_base_transform(const char *text, size_t len, const char *peer, char **ret_text, char *err,
                                size_t errlen);
int agent_opflex_renderer_transform(const char *text, size_t len, const char *remote_ip, char **ret_text, char *err,
                                    size_t errlen);

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) from CLOCK_REALTIME usec; buf >= 25 bytes. */
char *agent_timestamp_format(uint64_t realtime_usec, char *buf, size_t size);
/* Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (fraction 1..9 digits); -EINVAL. */
int agent_timestamp_parse(const char *s, uint64_t *ret_usec);

/* The PlatformConfig subscription opflex-agent expects in its events directory. */
int agent_platformconfig_subscriptions_format(const char *uuid, char **ret_text);

/* Named outcomes of the intra-pod check. */
enum {
        AGENT_INTRA_POD_NO = 0,  /* no event, several, not "deleted", or too old */
        AGENT_INTRA_POD_YES = 1, /* exactly one "deleted" event at most max_age from now */
};
/* Parses platformconfig.notifications. An event in the future counts when it is within
 * max_age of now too (clock skew between the leaf and the node). Returns a named
 * outcome (and the event time in *ret_event_usec when YES; may be NULL), or -EBADMSG. */
int agent_platformconfig_notifications_parse(const char *text, size_t len, uint64_t now_usec, uint64_t max_age_usec,
                                             uint64_t *ret_event_usec);
