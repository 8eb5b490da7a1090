/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon side of one interface (see dhcp4-client.h): the event-loop glue and the
 * dispatch of the engine's and the ACD machine's actions. Everything with an fd or a
 * timer lives here: the AF_PACKET socket (open only in the states that broadcast),
 * the UDP socket bound to the leased address (unicast RENEW/RELEASE), the ARP socket
 * of conflict detection, the rtnetlink monitor, and one CLOCK_BOOTTIME timer each for
 * the engine and ACD, re-armed from their next deadline after every dispatch.
 * Applying the lease to the link is dhcp4-link.c; the lease and policy files are
 * dhcp4-persist.c.
 *
 * The engine's clock is CLOCK_BOOTTIME shifted by a constant so that a lease acquired
 * before this boot (read back from the lease file) still has a representable
 * acquisition time.
 */

#include <errno.h>
#include <inttypes.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "capability-util.h"
#include "dhcp4-acd.h"
#include "dhcp4-arp.h"
#include "dhcp4-client.h"
#include "dhcp4-client-dna.h"
#include "dhcp4-link.h"
#include "dhcp4-export.h"
#include "dhcp4-persist.h"
#include "dhcp4-socket.h"
#include "event-util.h"
#include "fileio.h"
#include "log.h"
#include "netlink-owner.h"
#include "parse-util.h"
#include "ratelimit.h"
#include "rtnl.h"
#include "time-util.h"

/* 2^50 usec ≈ 35 years: far more than any lease persisted before this boot. */
#define ENGINE_CLOCK_OFFSET (UINT64_C(1) << 50)

/* Log lines about rejected input (packets that are ignored, unusable leases): at most
 * REJECT_LOG_BURST per REJECT_LOG_INTERVAL, then one line with the number suppressed
 * when the window is over (docs/security.md). A flood of 10,000 packets/s then writes
 * about two lines a second. */
#define REJECT_LOG_INTERVAL_USEC (10 * USEC_PER_SEC)
#define REJECT_LOG_BURST 20

struct Dhcp4Client {
        sd_event *event;
        char ifname[IF_NAMESIZE];
        int ifindex;
        uint8_t mac[6];
        bool carrier;

        Dhcp4Config config;
        Dhcp4Engine *engine;
        Dhcp4Acd *acd; /* NULL when ACD is disabled */
        Dhcp4ClientDna *dna; /* attachment detection (docs/dna.md) */
        Rtnl *rtnl;

        int arp_fd;
        struct in_addr arp_address; /* what arp_fd's filter watches */
        sd_event_source *arp_source;
        sd_event_source *acd_timer_source;

        int raw_fd;
        int udp_fd;
        struct in_addr udp_address; /* what udp_fd is bound to */
        sd_event_source *raw_source;
        sd_event_source *udp_source;
        sd_event_source *rtnl_source;
        sd_event_source *timer_source;

        sd_event_source *persist_retry_source; /* a lease/policy write failed: retry */

        RateLimit reject_log;
        sd_event_source *reject_summary_source; /* reports what reject_log suppressed */

        /* Link-layer source of the last ACK the engine took (the server, or the relay
         * next hop): the RELEASE goes there on the packet socket, needing no ARP. */
        bool has_server_mac;
        uint8_t server_mac[6];

        Dhcp4Link link;       /* what is on the interface; the engine may run ahead of it */
        Dhcp4Persist persist; /* lease and offer-policy files; the policy in force */
        Dhcp4Export export;   /* the lease in dhclient's format, for its readers */

        /* The last removal of our address or multicast route by someone else. */
        char last_removal[256];
        uint64_t last_removal_usec; /* CLOCK_REALTIME */
        RateLimit removal_log;

        /* The lease start on CLOCK_REALTIME for the status: once per lease, again after
         * a step of the wall clock (dhcp4_wallclock_convert). */
        Dhcp4WallClock start_wallclock;

        uint64_t seed; /* of the engine's, ACD's and attachment detection's PRNGs */
        bool dispatching;
        /* The CONFIGURE of the bind being dispatched failed: that bind is not persisted,
         * not reported, and the engine is told (dhcp4_engine_configure_failed). */
        bool bind_failed;
        Dhcp4State reported_state; /* the last state logged and handed to the front ends */
        bool attached_once;        /* client_attach() ran: a later one is the interface's return */
        bool sequence_running;
        char last_error[256];

        /* Status counters (dhcp4-status.h); last_address is the address configured
         * last, so that a renewal or putting it back is not an address change. */
        Dhcp4ClientCounters counters;
        struct in_addr last_address;

        Dhcp4ClientStateHandler state_handler;
        void *state_userdata;
        Dhcp4ClientChangeHandler change_handler;
        void *change_userdata;
};

static uint64_t engine_now(void) {
        return clock_now(CLOCK_BOOTTIME) + ENGINE_CLOCK_OFFSET;
}

static uint64_t engine_to_realtime(uint64_t engine_usec) {
        return boottime_to_realtime(engine_usec, ENGINE_CLOCK_OFFSET);
}

static const char *addr_str(struct in_addr a, char buf[static INET_ADDRSTRLEN]) {
        return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void client_set_error(Dhcp4Client *c, const char *fmt, ...) _printf_(2, 3);
static void client_set_error(Dhcp4Client *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
        va_end(ap);
}

static int client_dispatch(Dhcp4Client *c);
static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);
static int client_confirm(void *userdata, const char *why);

/* ---- rejected input ------------------------------------------------------------ */

static int on_reject_summary(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4Client *c = userdata;
        uint64_t n = ratelimit_take_suppressed(&c->reject_log, clock_now(CLOCK_BOOTTIME));

        if (n > 0)
                log_notice("Suppressed %" PRIu64 " message%s about rejected packets in the last %" PRIu64
                           " s (at most %u per %" PRIu64 " s are logged)",
                           n, n == 1 ? "" : "s", REJECT_LOG_INTERVAL_USEC / USEC_PER_SEC, REJECT_LOG_BURST,
                           REJECT_LOG_INTERVAL_USEC / USEC_PER_SEC);
        return 0;
}

/* Whether a line about rejected input at `level` may be written now (rate limit);
 * reports what an earlier window suppressed, and arms the report of this one. */
static bool client_reject_may_log(Dhcp4Client *c, int level) {
        uint64_t now = clock_now(CLOCK_BOOTTIME), earlier = 0;

        if (level > log_get_max_level())
                return false; /* not written anyway: not counted either */
        if (ratelimit_below(&c->reject_log, now, &earlier)) {
                if (earlier > 0)
                        log_notice("Suppressed %" PRIu64 " message%s about rejected packets before this one "
                                   "(at most %u per %" PRIu64 " s are logged)",
                                   earlier, earlier == 1 ? "" : "s", REJECT_LOG_BURST,
                                   REJECT_LOG_INTERVAL_USEC / USEC_PER_SEC);
                return true;
        }
        /* The first suppressed line of a window: report at its end. */
        if (c->reject_log.suppressed == 1)
                (void)event_reset_time(c->event, &c->reject_summary_source, CLOCK_BOOTTIME,
                                       usec_add(c->reject_log.begin, REJECT_LOG_INTERVAL_USEC), 0, on_reject_summary,
                                       c, "dhcp4-reject-summary");
        return false;
}

static const char *peer_str(const Dhcp4SocketPeer *p, char buf[static INET_ADDRSTRLEN]) {
        if (!p || !p->has_address)
                return "an unknown source";
        return inet_ntop(AF_INET, &p->address, buf, INET_ADDRSTRLEN);
}

/* The counters of what was refused: a message by the engine's named reason
 * (dhcp4_engine_rx_to_string), a datagram by the framing's (datagram = true). */
static void client_count_rejected(Dhcp4Client *c, bool datagram, int r) {
        if (r <= 0)
                return;
        if (datagram && r < _DHCP4_PACKET_MAX)
                c->counters.dropped[r]++;
        else if (!datagram && r < _DHCP4_RX_MAX)
                c->counters.rejected[r]++;
}

/* Counted (client_count_rejected), then one log line for a rejected datagram or
 * message, the same on both sockets:
 *   Ignored DHCP message from 10.0.0.1 on the packet socket: wrong-server (state RENEWING)
 *   Dropped datagram from 10.0.0.1 on the UDP socket: bad-length
 * with REJECT=<reason> and SOCKET=packet|udp. Messages that are simply not for us
 * (another client's xid or chaddr: normal on a shared segment) are debug; the rest
 * (malformed, unexpected, from the wrong server, unusable) info. Rate-limited. */
static void client_log_rejected(Dhcp4Client *c, bool udp, const Dhcp4SocketPeer *peer, bool datagram, int r) {
        const char *reason = datagram ? dhcp4_packet_result_to_string(r) : dhcp4_engine_rx_to_string(r);
        char ab[INET_ADDRSTRLEN], rf[64];
        int level = LOG_INFO;

        client_count_rejected(c, datagram, r); /* every one, logged or not */
        if (!datagram && (r == DHCP4_PARSE_XID_MISMATCH || r == DHCP4_PARSE_CHADDR_MISMATCH ||
                          r == DHCP4_PARSE_NOT_REPLY))
                level = LOG_DEBUG;
        if (!client_reject_may_log(c, level))
                return;
        snprintf(rf, sizeof(rf), "REJECT=%s", reason ? reason : "unknown");
        if (datagram)
                log_fields(level, ((const char *[]){ rf, udp ? "SOCKET=udp" : "SOCKET=packet", NULL }),
                           "Dropped datagram from %s on the %s socket: %s", peer_str(peer, ab),
                           udp ? "UDP" : "packet", reason ? reason : "unknown");
        else
                log_fields(level, ((const char *[]){ rf, udp ? "SOCKET=udp" : "SOCKET=packet", NULL }),
                           "Ignored DHCP message from %s on the %s socket: %s (state %s)", peer_str(peer, ab),
                           udp ? "UDP" : "packet", reason ? reason : "unknown",
                           dhcp4_state_to_string(dhcp4_engine_get_state(c->engine)));
}

/* ---- sockets ---------------------------------------------------------------- */

/* A message the engine took: counted by its type; an ACK's sender on the link is
 * remembered (see server_mac). */
static void client_note_accepted(Dhcp4Client *c, const uint8_t *payload, size_t len, const Dhcp4SocketPeer *peer) {
        Dhcp4Message m;

        if (dhcp4_message_parse(&m, payload, len) != DHCP4_PARSE_OK)
                return;
        if (m.message_type > 0 && m.message_type < DHCP4_STATUS_MESSAGE_TYPES)
                c->counters.received[m.message_type]++;
        if (!peer || !peer->has_mac || m.message_type != DHCP4_ACK)
                return;
        memcpy(c->server_mac, peer->mac, sizeof(c->server_mac));
        c->has_server_mac = true;
}

/* Feeds one DHCP payload to the engine and carries out what it queued before the
 * next packet, so a burst of packets can never overflow the engine's action queue.
 * A rejection is logged here, the same way for both sockets. */
static int client_receive(Dhcp4Client *c, const uint8_t *payload, size_t len, bool udp,
                          const Dhcp4SocketPeer *peer) {
        int r = dhcp4_engine_receive(c->engine, payload, len, engine_now());
        if (r == -ENOBUFS) {
                (void)client_dispatch(c);
                r = dhcp4_engine_receive(c->engine, payload, len, engine_now());
        }
        if (r < 0)
                return log_error_errno(r, "Engine failed on a received packet: %m");
        if (r == 0) {
                client_note_accepted(c, payload, len, peer);
                (void)client_dispatch(c);
        } else
                client_log_rejected(c, udp, peer, false, r);
        return r;
}

static int on_raw_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Dhcp4Client *c = userdata;
        uint8_t buf[DHCP4_SOCKET_RAW_BUFFER_SIZE];

        /* Bounded: one wakeup never starves the loop, whatever arrives. */
        for (int i = 0; i < 64 && c->raw_fd >= 0; i++) {
                Dhcp4SocketPeer peer;
                const uint8_t *payload;
                size_t len;
                int r = dhcp4_socket_recv_raw(c->raw_fd, buf, sizeof(buf), &payload, &len, &peer);
                if (r == -EAGAIN)
                        break;
                if (r < 0) {
                        log_warning_errno(r, "Reading the packet socket failed, reopening it on the next send: %m");
                        break;
                }
                if (r > 0) {
                        client_log_rejected(c, false, &peer, true, r);
                        continue;
                }
                r = client_receive(c, payload, len, false, &peer);
                if (r < 0)
                        return r;
        }
        return client_dispatch(c);
}

static int on_udp_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Dhcp4Client *c = userdata;
        uint8_t buf[DHCP4_MAX_MESSAGE_LEN];

        for (int i = 0; i < 64 && c->udp_fd >= 0; i++) {
                Dhcp4SocketPeer peer;
                size_t len;
                int r = dhcp4_socket_recv_udp(c->udp_fd, buf, sizeof(buf), &len, &peer);
                if (r == -EAGAIN)
                        break;
                if (r < 0) {
                        log_warning_errno(r, "Reading the UDP socket failed: %m");
                        break;
                }
                if (r > 0) {
                        client_log_rejected(c, true, &peer, true, r);
                        continue;
                }
                r = client_receive(c, buf, len, true, &peer);
                if (r < 0)
                        return r;
        }
        return client_dispatch(c);
}

static void client_close_raw(Dhcp4Client *c) {
        c->raw_source = sd_event_source_disable_unref(c->raw_source);
        c->raw_fd = safe_close(c->raw_fd);
}

static void client_close_udp(Dhcp4Client *c) {
        c->udp_source = sd_event_source_disable_unref(c->udp_source);
        c->udp_fd = safe_close(c->udp_fd);
        c->udp_address.s_addr = 0;
}

static int client_open_raw(Dhcp4Client *c) {
        int r;

        if (c->raw_fd >= 0)
                return 0;
        r = dhcp4_socket_open_raw(c->ifindex, &c->raw_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to open the packet socket on %s: %m", c->ifname);
        r = sd_event_add_io(c->event, &c->raw_source, c->raw_fd, EPOLLIN, on_raw_readable, c);
        if (r < 0) {
                c->raw_fd = safe_close(c->raw_fd);
                return log_error_errno(r, "Failed to watch the packet socket: %m");
        }
        (void)sd_event_source_set_description(c->raw_source, "dhcp4-raw");
        return 0;
}

static int client_open_udp(Dhcp4Client *c, struct in_addr address) {
        int r;

        if (c->udp_fd >= 0 && c->udp_address.s_addr == address.s_addr)
                return 0;
        client_close_udp(c);
        r = dhcp4_socket_open_udp(c->ifindex, c->ifname, address, &c->udp_fd);
        if (r < 0)
                return r;
        r = sd_event_add_io(c->event, &c->udp_source, c->udp_fd, EPOLLIN, on_udp_readable, c);
        if (r < 0) {
                c->udp_fd = safe_close(c->udp_fd);
                return r;
        }
        (void)sd_event_source_set_description(c->udp_source, "dhcp4-udp");
        c->udp_address = address;
        return 0;
}

/* The packet socket is needed in every state that broadcasts or waits for a reply to
 * a broadcast. RENEWING too: a server refusing a unicast renewal broadcasts its NAK
 * when giaddr is 0 (RFC 2131 §4.1, "If the server is not going to respond ... the
 * server broadcasts DHCPNAK"), which the UDP socket bound to the leased address never
 * sees. Only BOUND closes it, so a bound client takes no wakeups for other traffic. */
static bool state_needs_raw(Dhcp4State s) {
        switch (s) {
        case DHCP4_STATE_RENEWING:
        case DHCP4_STATE_INIT:
        case DHCP4_STATE_SELECTING:
        case DHCP4_STATE_REQUESTING:
        case DHCP4_STATE_INIT_REBOOT:
        case DHCP4_STATE_REBOOTING:
        case DHCP4_STATE_REBINDING:
        case DHCP4_STATE_DECLINED:
        case DHCP4_STATE_PROBING:
        case DHCP4_STATE_CONFIRMING: /* INIT-REBOOT REQUEST out: the answer comes broadcast or to chaddr */
                return true;
        default:
                return false;
        }
}

static void client_update_sockets(Dhcp4Client *c) {
        Dhcp4State s = dhcp4_engine_get_state(c->engine);

        if (state_needs_raw(s) && c->carrier)
                (void)client_open_raw(c);
        else
                client_close_raw(c);

        if (!c->link.configured)
                client_close_udp(c);
        else if (s == DHCP4_STATE_BOUND || s == DHCP4_STATE_RENEWING || s == DHCP4_STATE_REBINDING ||
                 s == DHCP4_STATE_CONFIRMING) {
                int r = client_open_udp(c, c->link.lease.address);
                if (r < 0)
                        log_warning_errno(r, "Failed to open the UDP socket on the leased address: %m");
        }
}


/* ---- ARP (RFC 5227 conflict detection) --------------------------------------- */

static int on_arp_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Dhcp4Client *c = userdata;
        uint8_t buf[DHCP4_ARP_BUFFER_SIZE], src[6];

        for (int i = 0; i < 64 && c->arp_fd >= 0; i++) {
                size_t len;
                int r = dhcp4_arp_recv(c->arp_fd, buf, sizeof(buf), &len, src);
                if (r == -EAGAIN)
                        break;
                if (r < 0) {
                        log_warning_errno(r, "Reading the ARP socket failed: %m");
                        break;
                }
                if (r > 0)
                        continue;
                r = dhcp4_acd_receive(c->acd, src, buf, len, engine_now());
                if (r < 0)
                        return log_error_errno(r, "ACD failed on a received ARP packet: %m");
                if (r > DHCP4_ACD_RX_IDLE)
                        log_debug("Ignored ARP packet: %s", dhcp4_acd_rx_to_string(r));
        }
        return client_dispatch(c);
}

static void client_close_arp(Dhcp4Client *c) {
        c->arp_source = sd_event_source_disable_unref(c->arp_source);
        c->arp_fd = safe_close(c->arp_fd);
        c->arp_address.s_addr = 0;
}

static int client_open_arp(Dhcp4Client *c, struct in_addr address) {
        int r;

        if (c->arp_fd >= 0 && c->arp_address.s_addr == address.s_addr)
                return 0;
        client_close_arp(c);
        r = dhcp4_arp_open(c->ifindex, address, &c->arp_fd);
        if (r < 0)
                return log_warning_errno(r, "Failed to open the ARP socket: %m");
        r = sd_event_add_io(c->event, &c->arp_source, c->arp_fd, EPOLLIN, on_arp_readable, c);
        if (r < 0) {
                c->arp_fd = safe_close(c->arp_fd);
                return log_warning_errno(r, "Failed to watch the ARP socket: %m");
        }
        (void)sd_event_source_set_description(c->arp_source, "dhcp4-arp");
        c->arp_address = address;
        return 0;
}

/* Engine asked for a probe of an ACKed address (RFC 2131 §2.2: "the client SHOULD
 * probe the newly received address"). */
static void client_start_probe(Dhcp4Client *c, struct in_addr address) {
        int r;

        if (!c->acd) {
                r = dhcp4_engine_probe_result(c->engine, false, NULL, engine_now());
                if (r < 0)
                        log_error_errno(r, "Engine rejected the probe result: %m");
                return;
        }
        r = client_open_arp(c, address);
        if (r >= 0)
                r = dhcp4_acd_start_probe(c->acd, address, engine_now());
        if (r < 0) {
                /* Cannot probe: using the address unprobed beats having none. */
                log_warning_errno(r, "Conflict detection unavailable, using the address unprobed: %m");
                client_close_arp(c);
                (void)dhcp4_engine_probe_result(c->engine, false, NULL, engine_now());
        }
}

/* Announce and defend the configured address (RFC 5227 §2.3, §2.4). The gratuitous
 * ARP also refreshes the peers' caches after a VM migration. */
static void client_start_announce(Dhcp4Client *c, struct in_addr address) {
        int r;

        if (!c->acd)
                return;
        if (dhcp4_acd_get_state(c->acd) != DHCP4_ACD_STATE_IDLE &&
            dhcp4_acd_get_state(c->acd) != DHCP4_ACD_STATE_PROBING &&
            dhcp4_acd_get_address(c->acd).s_addr == address.s_addr)
                return; /* a renewal of the address already defended */
        r = client_open_arp(c, address);
        if (r >= 0)
                r = dhcp4_acd_start_announce(c->acd, address, engine_now());
        if (r < 0)
                log_warning_errno(r, "Cannot announce/defend the address: %m");
}

static void client_stop_acd(Dhcp4Client *c, struct in_addr address) {
        if (!c->acd || dhcp4_acd_get_address(c->acd).s_addr != address.s_addr)
                return;
        (void)dhcp4_acd_stop(c->acd);
        client_close_arp(c);
}

static void client_handle_acd_action(Dhcp4Client *c, const Dhcp4AcdAction *a) {
        char m[18], ab[INET_ADDRSTRLEN], mf[32];
        int r;

        switch (a->type) {
        case DHCP4_ACD_ACTION_SEND:
                r = c->arp_fd >= 0 ? dhcp4_arp_send(c->arp_fd, c->ifindex, a->arp, a->len) : -EBADF;
                if (r < 0) {
                        log_warning_errno(r, "Failed to send ARP %s for %s: %m",
                                          a->kind == DHCP4_ACD_SEND_PROBE      ? "probe"
                                          : a->kind == DHCP4_ACD_SEND_ANNOUNCE ? "announcement"
                                                                               : "defence",
                                          addr_str(a->address, ab));
                        break;
                }
                if (a->kind == DHCP4_ACD_SEND_PROBE)
                        c->counters.acd_probes++;
                else
                        c->counters.acd_announcements++; /* a defence is an announcement on the wire */
                if (a->kind == DHCP4_ACD_SEND_DEFEND) {
                        c->counters.acd_conflicts[DHCP4_ACD_CONFLICT_DEFENDED]++;
                        log_notice("Defended %s against %s (RFC 5227 §2.4)", addr_str(a->address, ab),
                                   format_mac(a->mac, m));
                }
                break;
        case DHCP4_ACD_ACTION_RESULT:
                client_close_arp(c);
                if (a->conflict) {
                        c->counters.acd_conflicts[DHCP4_ACD_CONFLICT_PROBE]++;
                        snprintf(mf, sizeof(mf), "CONFLICT_MAC=%s", format_mac(a->mac, m));
                        log_fields(LOG_WARNING, ((const char *[]){ mf, NULL }),
                                   "Address %s is already in use by %s: declining it", addr_str(a->address, ab), m);
                        client_set_error(c, "offered address %s in use by %s; declined", ab, m);
                }
                r = dhcp4_engine_probe_result(c->engine, a->conflict, a->conflict ? a->mac : NULL, engine_now());
                if (r < 0)
                        log_error_errno(r, "Engine rejected the probe result: %m");
                break;
        case DHCP4_ACD_ACTION_LOST:
                c->counters.acd_conflicts[DHCP4_ACD_CONFLICT_LOST]++;
                snprintf(mf, sizeof(mf), "CONFLICT_MAC=%s", format_mac(a->mac, m));
                log_fields(LOG_WARNING, ((const char *[]){ mf, NULL }),
                           "Lost %s to %s after defending it (RFC 5227 §2.4 (b)): giving it up",
                           addr_str(a->address, ab), m);
                client_set_error(c, "address %s taken over by %s; given up", ab, m);
                client_close_arp(c);
                r = dhcp4_engine_address_lost(c->engine, engine_now());
                if (r < 0)
                        log_error_errno(r, "Engine failed on address loss: %m");
                break;
        }
}

static int on_acd_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4Client *c = userdata;
        int r = dhcp4_acd_timeout(c->acd, engine_now());
        if (r < 0)
                return log_error_errno(r, "ACD failed on timeout: %m");
        return client_dispatch(c);
}

/* Re-arms a timer from a deadline in the engine clock (UINT64_MAX: none). */
static int arm_timer(Dhcp4Client *c, sd_event_source **s, uint64_t deadline, sd_event_time_handler_t callback) {
        if (deadline != USEC_INFINITY)
                deadline = MAX(usec_sub(deadline, ENGINE_CLOCK_OFFSET), (uint64_t)1);
        return event_reset_time(c->event, s, CLOCK_BOOTTIME, deadline, 1, callback, c, NULL);
}

/* ---- persisted state ------------------------------------------------------------ */

static void client_persist_schedule(Dhcp4Client *c);

static int on_persist_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4Client *c = userdata;

        if (dhcp4_persist_retry(&c->persist) > 0)
                client_persist_schedule(c);
        return 0;
}

/* A lease or policy write failed (state directory full or read-only): the lease
 * stays in use, and the write is retried every DHCP4_PERSIST_RETRY_USEC. */
static void client_persist_schedule(Dhcp4Client *c) {
        uint64_t at = usec_add(clock_now(CLOCK_BOOTTIME), DHCP4_PERSIST_RETRY_USEC);
        int r;

        if (!dhcp4_persist_dirty(&c->persist))
                return;
        if (!c->persist_retry_source) {
                r = sd_event_add_time(c->event, &c->persist_retry_source, CLOCK_BOOTTIME, at, USEC_PER_SEC,
                                      on_persist_retry, c);
                if (r < 0)
                        log_warning_errno(r, "Cannot arm the retry of the state files: %m");
                return;
        }
        (void)sd_event_source_set_time(c->persist_retry_source, at);
        (void)sd_event_source_set_enabled(c->persist_retry_source, SD_EVENT_ONESHOT);
}

/* ---- the lease on the link ---------------------------------------------------- */

/* The address (and what comes with it, dhcp4-link) goes on the interface, then it is
 * announced and defended, and the sockets follow. */
static int client_configure(Dhcp4Client *c, const Dhcp4Lease *l) {
        int r = dhcp4_link_configure(&c->link, l, engine_now(), c->last_error, sizeof(c->last_error));

        if (r < 0)
                return r;
        if (l->address.s_addr != c->last_address.s_addr)
                c->counters.address_changes++;
        c->last_address = l->address;
        client_start_announce(c, l->address);
        client_update_sockets(c);
        /* Bound, renewed or confirmed: the attachment checks now test this lease's peers. */
        dhcp4_client_dna_set_lease(c->dna, l);
        c->last_error[0] = '\0';
        return 0;
}

static void client_deconfigure(Dhcp4Client *c, struct in_addr address, uint8_t prefixlen) {
        dhcp4_link_deconfigure(&c->link, address, prefixlen);
        client_stop_acd(c, address);
        dhcp4_client_dna_clear(c->dna, address);
        client_update_sockets(c);
}

/* ---- actions ----------------------------------------------------------------- */

/* Sends one message on the socket its kind needs. Returns 0 when a socket took it,
 * -errno (logged) when none did. */
static int client_transmit(Dhcp4Client *c, const Dhcp4Action *a) {
        char xid[32], type[32], dst[INET_ADDRSTRLEN];
        const char *name = dhcp4_message_type_to_string(a->message_type);
        int r;

        snprintf(xid, sizeof(xid), "XID=0x%08" PRIx32, a->xid);
        snprintf(type, sizeof(type), "DHCP_MESSAGE=%s", name ? name : "?");

        if (a->type == DHCP4_ACTION_SEND_BROADCAST) {
                struct in_addr src;
                /* ciaddr (RFC 2131 §4.1): the source is our address only when we have one
                 * configured and the message carries it (REBINDING, RELEASE). */
                memcpy(&src, a->packet + 12, sizeof(src));
                if (!(c->link.configured && src.s_addr == c->link.lease.address.s_addr))
                        src.s_addr = 0;
                r = client_open_raw(c);
                if (r >= 0)
                        r = dhcp4_socket_send_raw(c->raw_fd, c->ifindex, a->packet, a->len, src);
                if (r < 0)
                        return log_full(LOG_WARNING, r, ((const char *[]){ xid, type, NULL }),
                                        "Failed to broadcast %s: %m; the retransmit timer will retry", name);
                log_full(LOG_DEBUG, 0, ((const char *[]){ xid, type, NULL }), "Sent %s (broadcast)", name);
                return 0;
        }

        /* The RELEASE is followed at once by the removal of the address. Sent on the UDP
         * socket it would wait in the neighbour queue while the kernel resolves the
         * server (no entry after a quiet lease), and be dropped with the address: the
         * storm benchmark lost 2-5 % of them. So it goes on the packet socket, framed
         * to the link-layer source of the last ACK (the server, or the relay that is
         * the next hop to it), needing no ARP. Without one, the UDP socket. */
        if (a->message_type == DHCP4_RELEASE && c->has_server_mac && c->link.configured) {
                r = client_open_raw(c);
                if (r >= 0)
                        r = dhcp4_socket_send_raw_to(c->raw_fd, c->ifindex, c->server_mac, a->packet, a->len,
                                                     c->link.lease.address, a->address);
                if (r >= 0) {
                        char m[18];
                        log_full(LOG_DEBUG, 0, ((const char *[]){ xid, type, NULL }), "Sent %s to %s (%s)", name,
                                 addr_str(a->address, dst), format_mac(c->server_mac, m));
                        return 0;
                }
                log_debug_errno(r, "Sending %s on the packet socket failed, trying the UDP socket: %m", name);
        }

        r = c->link.configured ? client_open_udp(c, c->link.lease.address) : -EADDRNOTAVAIL;
        if (r >= 0)
                r = dhcp4_socket_send_udp(c->udp_fd, a->address, a->packet, a->len);
        if (r < 0)
                return log_full(LOG_WARNING, r, ((const char *[]){ xid, type, NULL }),
                                "Failed to send %s to %s: %m; the retransmit timer will retry", name,
                                addr_str(a->address, dst));
        log_full(LOG_DEBUG, 0, ((const char *[]){ xid, type, NULL }), "Sent %s to %s", name,
                 addr_str(a->address, dst));
        return 0;
}

/* Sends, and counts what a socket took (by message type) or refused. */
static void client_send(Dhcp4Client *c, const Dhcp4Action *a) {
        if (client_transmit(c, a) < 0)
                c->counters.send_failures++;
        else if (a->message_type > 0 && a->message_type < DHCP4_STATUS_MESSAGE_TYPES)
                c->counters.sent[a->message_type]++;
}

/* The journal front end of the status: every state change, with the status as
 * fields (dhcp4_status_journal_fields), its state being the transition's. */
static void client_log_state(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state) {
        int level = new_state == DHCP4_STATE_BOUND ? LOG_INFO : LOG_DEBUG;
        Dhcp4ClientStatus s;
        Dhcp4StatusJournal j;

        if (level > log_get_max_level())
                return;
        dhcp4_client_get_status(c, &s);
        s.state = new_state;
        dhcp4_status_journal_fields(&s, &j);
        log_fields(level, j.fields, "State %s -> %s", dhcp4_state_to_string(old_state),
                   dhcp4_state_to_string(new_state));
}

static void client_on_state(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state) {
        char state[48], a[INET_ADDRSTRLEN];
        const Dhcp4Lease *l = dhcp4_engine_get_lease(c->engine);

        /* A bind whose address could not be configured was never reported: the
         * transition out of it is reported from the state before. */
        old_state = c->reported_state;
        c->reported_state = new_state;

        snprintf(state, sizeof(state), "STATE=%s", dhcp4_state_to_string(new_state));
        client_log_state(c, old_state, new_state);
        if (new_state == DHCP4_STATE_DECLINED) {
                char bo[48];
                uint64_t backoff = dhcp4_engine_get_decline_backoff(c->engine);
                snprintf(bo, sizeof(bo), "BACKOFF_USEC=%" PRIu64, backoff);
                log_fields(LOG_NOTICE, ((const char *[]){ state, bo, NULL }),
                           "Conflict %u in a row: waiting %" PRIu64 " ms before the next DISCOVER (back-off doubles "
                           "up to the cap, resets on a successful bind)",
                           dhcp4_engine_get_conflicts(c->engine), backoff / USEC_PER_MSEC);
        }
        (void)sd_notifyf(false, "STATUS=%s%s%s", dhcp4_state_to_string(new_state), l ? " " : "",
                         l ? addr_str(l->address, a) : "");
        client_update_sockets(c);
        if (c->state_handler)
                c->state_handler(c, old_state, new_state, c->state_userdata);
}

static void client_on_event(Dhcp4Client *c, const Dhcp4Action *a) {
        char ev[48], addr[64], ab[INET_ADDRSTRLEN];
        int level = LOG_NOTICE;

        snprintf(ev, sizeof(ev), "EVENT=%s", dhcp4_event_to_string(a->event));
        snprintf(addr, sizeof(addr), "ADDRESS=%s", addr_str(a->address, ab));
        switch (a->event) {
        case DHCP4_EVENT_NAK:
                client_set_error(c, "NAK from server%s%s", a->text[0] ? ": " : "", a->text);
                break;
        case DHCP4_EVENT_EXPIRED:
                client_set_error(c, "lease on %s expired without renewal", ab);
                level = LOG_WARNING;
                break;
        case DHCP4_EVENT_CONFLICT:
                client_set_error(c, "address %s is in use by another host (%s)", ab, a->text);
                level = LOG_WARNING;
                break;
        case DHCP4_EVENT_BAD_LEASE:
                client_set_error(c, "server sent an unusable lease: %s", a->text);
                level = LOG_WARNING;
                break;
        case DHCP4_EVENT_CONFIGURE_FAILED:
                /* last_error already says why (dhcp4_link_configure) */
                level = LOG_WARNING;
                break;
        case DHCP4_EVENT_REQUEST_TIMEOUT:
        case DHCP4_EVENT_REBOOT_TIMEOUT:
        case DHCP4_EVENT_CONFIRMED:
                level = LOG_INFO;
                break;
        default:
                break;
        }
        /* An unusable or refused offer is rejected input a server (or anyone) can send
         * at any rate: rate-limited with the ignored packets. */
        if ((a->event == DHCP4_EVENT_BAD_LEASE || a->event == DHCP4_EVENT_OFFER_REFUSED) &&
            !client_reject_may_log(c, level))
                return;
        log_fields(level, ((const char *[]){ ev, addr, NULL }), "%s on %s%s%s", dhcp4_event_to_string(a->event),
                   ab, a->text[0] ? ": " : "", a->text);
}

/* Pops and carries out every queued action, then re-arms the one timer. Engine
 * inputs made while handling an action (the ACD answer) queue more actions, which
 * this loop picks up. */
static int client_dispatch(Dhcp4Client *c) {
        Dhcp4Action *a;
        uint64_t deadline;
        int r;

        if (c->dispatching)
                return 0;
        c->dispatching = true;

        a = malloc(sizeof(*a)); /* ~2 KiB, reused for the whole dispatch */
        if (!a) {
                c->dispatching = false;
                return -ENOMEM;
        }
        for (;;) {
                Dhcp4AcdAction aa;
                bool any = false;

                /* ACD first: its results feed the engine, whose actions may start ACD. */
                while (c->acd && dhcp4_acd_pop_action(c->acd, &aa) > 0) {
                        client_handle_acd_action(c, &aa);
                        any = true;
                }
                if (dhcp4_engine_pop_action(c->engine, a) <= 0) {
                        if (any)
                                continue;
                        break;
                }
                switch (a->type) {
                case DHCP4_ACTION_SEND_BROADCAST:
                case DHCP4_ACTION_SEND_UNICAST:
                        client_send(c, a);
                        break;
                case DHCP4_ACTION_PROBE:
                        client_start_probe(c, a->lease.address);
                        break;
                case DHCP4_ACTION_CONFIGURE:
                        /* Without the address the lease is useless. The rest of this
                         * bind (removing an older address, persisting, BOUND) is skipped
                         * and the engine backs off (issue 12: never BOUND for an address
                         * that is not there, never a tight retry loop). */
                        if (client_configure(c, &a->lease) < 0)
                                c->bind_failed = true;
                        break;
                case DHCP4_ACTION_DECONFIGURE:
                        if (!c->bind_failed) { /* keep the older address: the new one is not there */
                                client_deconfigure(c, a->address, a->prefixlen);
                                dhcp4_export_end(&c->export, a->address, clock_now(CLOCK_REALTIME));
                        }
                        break;
                case DHCP4_ACTION_PERSIST:
                        if (c->bind_failed)
                                break;
                        if (dhcp4_persist_save_lease(&c->persist, &a->lease, engine_to_realtime(a->lease.acquired_usec),
                                                     usec_sub(a->lease.acquired_usec, ENGINE_CLOCK_OFFSET)) < 0)
                                client_persist_schedule(c);
                        dhcp4_export_lease(&c->export, &a->lease, engine_to_realtime(a->lease.acquired_usec));
                        break;
                case DHCP4_ACTION_FORGET:
                        dhcp4_persist_forget_lease(&c->persist);
                        break;
                case DHCP4_ACTION_STATE:
                        if (c->bind_failed && a->new_state == DHCP4_STATE_BOUND) {
                                c->bind_failed = false;
                                r = dhcp4_engine_configure_failed(c->engine, engine_now());
                                if (r < 0)
                                        log_error_errno(r, "Engine failed on the configuration failure: %m");
                                break;
                        }
                        c->bind_failed = false;
                        client_on_state(c, a->old_state, a->new_state);
                        break;
                case DHCP4_ACTION_EVENT:
                        client_on_event(c, a);
                        break;
                }
        }
        free(a);
        /* Once per batch: a replaced lease (its end, then the new one) is one write. */
        if (dhcp4_export_pending(&c->export))
                dhcp4_export_flush(&c->export, clock_now(CLOCK_REALTIME));

        deadline = dhcp4_engine_next_deadline(c->engine);
        r = arm_timer(c, &c->timer_source, deadline, on_timer);
        if (r >= 0 && c->acd)
                r = arm_timer(c, &c->acd_timer_source, dhcp4_acd_next_deadline(c->acd), on_acd_timer);
        c->dispatching = false;
        if (c->change_handler)
                c->change_handler(c, c->change_userdata);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the lease timer: %m");
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4Client *c = userdata;
        int r = dhcp4_engine_timeout(c->engine, engine_now());
        if (r < 0)
                return log_error_errno(r, "Engine failed on timeout: %m");
        return client_dispatch(c);
}

/* ---- netlink monitor ---------------------------------------------------------- */

/* hints: the link came in a notification (not a re-read), so its change is a hint. */
static int client_apply_link(Dhcp4Client *c, const RtnlLink *link, bool hints) {
        int r;

        if (link->has_mac && memcmp(link->mac, c->mac, 6) != 0) {
                char m[18];
                memcpy(c->mac, link->mac, 6);
                log_notice("MAC address of %s changed to %s; client id follows", c->ifname, format_mac(c->mac, m));
                r = dhcp4_engine_set_mac(c->engine, c->mac, engine_now());
                if (r < 0)
                        return r;
                if (c->acd)
                        (void)dhcp4_acd_set_mac(c->acd, c->mac);
                dhcp4_client_dna_set_mac(c->dna, c->mac);
        }
        if (link->carrier == c->carrier && link->carrier && hints)
                /* A link change without carrier change: a live migration shows nothing
                 * else (RFC 4436 hints, docs/dna.md). */
                dhcp4_client_dna_link_event(c->dna, link->event, link->flags, link->operstate);
        else if (!hints)
                /* Read, not notified (start-up: the monitor subscribes after the first
                 * packet, then reads the link): what the first notification compares with. */
                dhcp4_client_dna_link_baseline(c->dna, link->flags, link->operstate);
        if (link->carrier != c->carrier) {
                c->carrier = link->carrier;
                log_info("%s carrier %s", c->ifname, c->carrier ? "up: confirming the lease" : "down");
                r = dhcp4_engine_link(c->engine, c->carrier, engine_now());
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool client_is_bound(const Dhcp4Client *c) {
        Dhcp4State s = dhcp4_engine_get_state(c->engine);
        return c->link.configured && (s == DHCP4_STATE_BOUND || s == DHCP4_STATE_RENEWING ||
                                      s == DHCP4_STATE_REBINDING || s == DHCP4_STATE_CONFIRMING);
}

static int client_attach(Dhcp4Client *c, const RtnlLink *link);
static int client_detach(Dhcp4Client *c);
/* "Who removed my address?" (issue 10): the notification carries the port of the
 * requesting socket; netlink-owner maps it to a process. Said in the log, kept in the
 * status, and the thing is put back by the caller. */
static void client_note_removal(Dhcp4Client *c, const char *what, bool route, uint32_t portid) {
        char who[128], msg[sizeof(c->last_removal)], f_by[96], f_pid[32], f_port[32], f_what[64];
        NetlinkOwner o;
        uint64_t suppressed = 0;

        (void) netlink_owner_find(NULL, NETLINK_ROUTE, portid, &o);
        netlink_owner_describe(&o, who, sizeof(who));
        snprintf(msg, sizeof(msg), "%s removed by %s; put back. Run infradhcpctl doctor %s", what, who, c->ifname);
        snprintf(c->last_removal, sizeof(c->last_removal), "%s", msg);
        c->last_removal_usec = clock_now(CLOCK_REALTIME);
        if (route)
                c->counters.route_removals++;
        else
                c->counters.address_removals++;
        if (!ratelimit_below(&c->removal_log, clock_now(CLOCK_BOOTTIME), &suppressed))
                return;
        if (suppressed > 0)
                log_warning("%" PRIu64 " more removals of the lease's address or route were not logged", suppressed);
        snprintf(f_by, sizeof(f_by), "REMOVED_BY=%s", o.kernel ? "kernel" : o.name[0] ? o.name : "unknown");
        snprintf(f_pid, sizeof(f_pid), "REMOVER_PID=%d", (int) o.pid);
        snprintf(f_port, sizeof(f_port), "NETLINK_PORT=%" PRIu32, portid);
        snprintf(f_what, sizeof(f_what), "REMOVED=%s", what);
        log_fields(LOG_WARNING, ((const char *[]) { f_what, f_by, f_pid, f_port, NULL }), "%s", msg);
}

static void client_resync(Dhcp4Client *c) {
        RtnlLink link;
        int r;

        if (c->ifindex == 0) {
                /* Detached: the notification of the interface's return may be the lost one. */
                if (rtnl_link_get_by_name(c->rtnl, c->ifname, &link) >= 0)
                        (void)client_attach(c, &link);
                return;
        }
        r = rtnl_link_get_by_index(c->rtnl, c->ifindex, &link);
        if (r == -ENODEV) {
                (void)client_detach(c);
                return;
        }
        if (r >= 0)
                (void)client_apply_link(c, &link, false);
        if (!client_is_bound(c))
                return;
        (void)dhcp4_link_ensure_multicast_route(&c->link);
        if (dhcp4_link_address_present(&c->link) == 0) {
                char a[INET_ADDRSTRLEN];

                /* The notification that named the remover is among the lost ones. */
                snprintf(c->last_removal, sizeof(c->last_removal),
                         "%s/%u removed while netlink notifications were lost (by whom is not known); put back. "
                         "Run infradhcpctl doctor %s",
                         addr_str(c->link.lease.address, a), c->link.lease.prefixlen, c->ifname);
                c->last_removal_usec = clock_now(CLOCK_REALTIME);
                c->counters.address_removals++;
                log_warning("%s", c->last_removal);
                (void)client_configure(c, &c->link.lease);
        }
}

/* The interface was deleted (and its address with it). Exit when configured to;
 * else stop the engine (the lease file stays, for an INIT-REBOOT on the interface's
 * return), close every socket and wait, idle, for an interface of the same name. */
static int client_detach(Dhcp4Client *c) {
        int old = c->ifindex;

        if (c->config.exit_on_link_removal) {
                log_error("Interface %s (ifindex %d) was removed; exiting (ExitOnLinkRemoval=yes)", c->ifname, old);
                return sd_event_exit(c->event, EXIT_FAILURE);
        }
        (void)dhcp4_engine_stop(c->engine);
        if (c->acd)
                (void)dhcp4_acd_stop(c->acd);
        dhcp4_client_dna_stop(c->dna);
        (void)client_dispatch(c);
        c->ifindex = 0;
        c->link.configured = false;
        c->has_server_mac = false;
        client_close_raw(c);
        client_close_udp(c);
        client_close_arp(c);
        client_set_error(c, "interface %s removed; waiting for it to return", c->ifname);
        log_warning("Interface %s (ifindex %d) was removed, its address with it; waiting for an interface named %s "
                    "to appear (the lease is kept for INIT-REBOOT)", c->ifname, old, c->ifname);
        client_on_state(c, c->reported_state, DHCP4_STATE_STOPPED);
        return 0;
}

static int on_rtnl_event(Rtnl *rtnl, const RtnlEvent *ev, void *userdata) {
        Dhcp4Client *c = userdata;
        char a[INET_ADDRSTRLEN];

        switch (ev->type) {
        case RTNL_EVENT_NEWLINK:
                if (c->ifindex > 0 && ev->link.ifindex == c->ifindex)
                        return client_apply_link(c, &ev->link, true) < 0 ? 0 : 0;
                if (c->ifindex == 0 && strcmp(ev->link.name, c->ifname) == 0)
                        return client_attach(c, &ev->link) < 0 ? 0 : 0;
                break;
        case RTNL_EVENT_DELLINK:
                if (c->ifindex > 0 && ev->link.ifindex == c->ifindex)
                        return client_detach(c);
                break;
        case RTNL_EVENT_DELROUTE:
                if (dhcp4_link_is_multicast_route(&c->link, &ev->route) && client_is_bound(c) &&
                    ev->portid != rtnl_request_portid(c->rtnl)) {
                        char what[64];

                        snprintf(what, sizeof(what), "%s/%u metric %" PRIu32 " route",
                                 addr_str(ev->route.dst, a), ev->route.dst_len, ev->route.metric);
                        client_note_removal(c, what, true, ev->portid);
                        (void)dhcp4_link_ensure_multicast_route(&c->link);
                }
                break;
        case RTNL_EVENT_DELADDR:
                if (ev->addr.ifindex == c->ifindex && client_is_bound(c) &&
                    ev->addr.address.s_addr == c->link.lease.address.s_addr &&
                    ev->portid != rtnl_request_portid(c->rtnl)) {
                        char what[32];

                        snprintf(what, sizeof(what), "%s/%u", addr_str(ev->addr.address, a), ev->addr.prefixlen);
                        client_note_removal(c, what, false, ev->portid);
                        (void)client_configure(c, &c->link.lease);
                }
                break;
        case RTNL_EVENT_OVERRUN:
                log_notice("Netlink notifications were lost; re-reading the state of %s", c->ifname);
                client_resync(c);
                break;
        default:
                break;
        }
        return 0;
}

static int on_rtnl_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Dhcp4Client *c = userdata;
        int r = rtnl_monitor_dispatch(c->rtnl, on_rtnl_event, c);
        if (r < 0 && r != -EAGAIN)
                log_warning_errno(r, "Reading netlink notifications failed: %m");
        return client_dispatch(c);
}

/* ---- lifecycle ----------------------------------------------------------------- */

int dhcp4_client_new(Dhcp4Client **ret, sd_event *event, const char *ifname, const Dhcp4Config *config,
                     const char *state_dir) {
        _cleanup_(dhcp4_client_freep) Dhcp4Client *c = NULL;

        if (!ret || !event || !ifname || !config || !state_dir || !ifname_valid(ifname))
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->raw_fd = c->udp_fd = c->arp_fd = -1;
        c->reject_log = RATELIMIT_INIT(REJECT_LOG_INTERVAL_USEC, REJECT_LOG_BURST);
        c->removal_log = RATELIMIT_INIT(60 * USEC_PER_SEC, 10); /* a manager fighting us: 10 lines a minute */
        c->event = sd_event_ref(event);
        snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
        c->config = *config;
        dhcp4_export_init(&c->export, ifname, &c->config, NULL);
        if (dhcp4_persist_init(&c->persist, state_dir, ifname) < 0)
                return -ENOMEM;
        *ret = c;
        c = NULL;
        return 0;
}

Dhcp4Client *dhcp4_client_free(Dhcp4Client *c) {
        if (!c)
                return NULL;
        client_close_raw(c);
        client_close_udp(c);
        client_close_arp(c);
        sd_event_source_disable_unref(c->acd_timer_source);
        sd_event_source_disable_unref(c->reject_summary_source);
        sd_event_source_disable_unref(c->persist_retry_source);
        dhcp4_acd_free(c->acd);
        dhcp4_client_dna_free(c->dna);
        sd_event_source_disable_unref(c->rtnl_source);
        sd_event_source_disable_unref(c->timer_source);
        dhcp4_engine_free(c->engine);
        rtnl_free(c->rtnl);
        sd_event_unref(c->event);
        dhcp4_persist_done(&c->persist);
        free(c);
        return NULL;
}

/* Hands the persisted offer policy to the engine (before start). */
static void client_load_policy(Dhcp4Client *c) {
        Dhcp4Persist *p = &c->persist;
        int r;

        if (dhcp4_persist_load_policy(p) <= 0)
                return;
        r = dhcp4_engine_set_offer_policy(c->engine, p->refuse, p->n_refuse, dhcp4_persist_require(p));
        if (r < 0) {
                dhcp4_persist_reject_policy(p, r, NULL);
                return;
        }
        log_notice("Offer policy of the previous run kept: refusing %zu subnet(s)%s; a lease outside it is not "
                   "confirmed", p->n_refuse, p->has_require ? ", requiring one" : "");
}

/* Takes the interface (at start, or when one of our name appears after ours was
 * deleted): its ifindex, MAC and carrier, then starts the engine with the remembered
 * lease (INIT-REBOOT) when there is one for this MAC, else INIT. First packet first:
 * the DISCOVER or REQUEST goes out before the interface's housekeeping
 * (promote_secondaries, foreign addresses), which only has to be done before a reply
 * is acted on, and replies are read by the event loop afterwards. */
static int client_attach(Dhcp4Client *c, const RtnlLink *link) {
        bool first = !c->attached_once;
        Dhcp4Lease remembered;
        bool have_lease;
        uint64_t now;
        char m[18];
        int r, k;

        if (!link->has_mac)
                return log_error_errno(-EPROTONOSUPPORT, "%s has no Ethernet address; DHCP needs one", c->ifname);
        c->ifindex = link->ifindex;
        c->carrier = link->carrier;
        dhcp4_client_dna_set_ifindex(c->dna, c->ifindex);
        if (memcmp(c->mac, link->mac, 6) != 0) {
                memcpy(c->mac, link->mac, 6);
                (void)dhcp4_engine_set_mac(c->engine, c->mac, engine_now()); /* stopped: only remembered */
                if (c->acd)
                        (void)dhcp4_acd_set_mac(c->acd, c->mac);
                dhcp4_client_dna_set_mac(c->dna, c->mac);
        }
        dhcp4_link_init(&c->link, c->rtnl, c->ifindex, c->ifname, &c->config);
        if (first)
                log_info("Starting on %s (ifindex %d, MAC %s, client id 01:%s, carrier %s)", c->ifname, c->ifindex,
                         format_mac(c->mac, m), m, c->carrier ? "up" : "down");
        else {
                log_notice("Interface %s is back (ifindex %d, MAC %s, client id 01:%s, carrier %s): leasing again",
                           c->ifname, c->ifindex, format_mac(c->mac, m), m, c->carrier ? "up" : "down");
                c->last_error[0] = '\0';
        }
        c->attached_once = true;

        now = clock_now(CLOCK_BOOTTIME);
        have_lease = dhcp4_persist_load_lease(&c->persist, c->ifname, c->mac, now + ENGINE_CLOCK_OFFSET,
                                              clock_now(CLOCK_REALTIME), now, &remembered) > 0;
        if (have_lease) {
                char a[INET_ADDRSTRLEN];
                c->last_address = remembered.address; /* ours already: confirming it is no change */
                log_info("Remembered lease %s/%u found: confirming it (INIT-REBOOT)",
                         addr_str(remembered.address, a), remembered.prefixlen);
                /* The export files hold it from the previous run: a NAK must end it there. */
                dhcp4_export_remembered(&c->export, &remembered, engine_to_realtime(remembered.acquired_usec));
        }
        /* Told before start, so no DISCOVER is queued for a link without carrier. */
        r = dhcp4_engine_link(c->engine, c->carrier, engine_now());
        if (r < 0)
                return log_error_errno(r, "Failed to pass the link state to the engine: %m");
        if (!c->carrier)
                log_info("%s has no carrier; waiting for it", c->ifname);
        r = dhcp4_engine_start(c->engine, have_lease ? &remembered : NULL, engine_now());
        if (r < 0)
                return log_error_errno(r, "Failed to start the DHCP engine: %m");
        r = client_dispatch(c); /* the first packet */

        /* Without promote_secondaries, removing the primary address of a subnet removes
         * every secondary of that subnet too: make-before-break would then lose the new
         * lease when the old address (same pool) goes. */
        /* Set once per boot and interface, and kept across our restarts: not written
         * again (an RTM_SETLINK takes the rtnl lock the server's own netlink calls wait
         * on, while it answers our first packet). */
        k = link->promote_secondaries == 1 ? 0 : rtnl_link_set_promote_secondaries(c->rtnl, c->ifindex, true);
        if (k < 0)
                log_warning_errno(k, "Cannot enable promote_secondaries on %s; replacing an address in the "
                                  "same subnet may briefly remove the new one: %m", c->ifname);
        if (!have_lease)
                /* Nothing of ours to keep: no address other than a lease of ours belongs here. */
                dhcp4_link_remove_foreign_addresses(&c->link, NULL, 0);
        return r;
}

int dhcp4_client_start(Dhcp4Client *c) {
        Dhcp4EngineConfig ec;
        RtnlLink link;
        int r;

        r = rtnl_new_request(&c->rtnl);
        if (r < 0)
                return log_error_errno(r, "Failed to open rtnetlink: %m");
        r = rtnl_link_get_by_name(c->rtnl, c->ifname, &link);
        if (r == -ENODEV)
                return log_error_errno(r, "No interface named %s", c->ifname);
        if (r < 0)
                return log_error_errno(r, "Failed to read interface %s: %m", c->ifname);
        if (!link.has_mac)
                return log_error_errno(-EPROTONOSUPPORT, "%s has no Ethernet address; DHCP needs one", c->ifname);
        memcpy(c->mac, link.mac, 6);
        c->ifindex = link.ifindex; /* client_attach() below takes the rest of the link */

        r = dhcp4_config_to_engine(&c->config, &ec);
        if (r < 0)
                return log_error_errno(r, "Invalid engine configuration: %m");
        memcpy(ec.mac, c->mac, 6);
        if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) != sizeof(c->seed))
                c->seed = clock_now(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)c->ifindex;
        ec.seed = c->seed;
        r = dhcp4_engine_new(&c->engine, &ec);
        if (r < 0)
                return log_error_errno(r, "Failed to create the DHCP engine: %m");

        r = sd_event_add_time(c->event, &c->timer_source, CLOCK_BOOTTIME, UINT64_MAX, 0, on_timer, c);
        if (r < 0)
                return log_error_errno(r, "Failed to create the lease timer: %m");
        /* Timers in this daemon are protocol deadlines: no coalescing slack. */
        (void)sd_event_source_set_time_accuracy(c->timer_source, 1);
        (void)sd_event_source_set_enabled(c->timer_source, SD_EVENT_OFF);

        client_load_policy(c);
        return client_attach(c, &link);
}

int dhcp4_client_start_detection(Dhcp4Client *c) {
        Dhcp4AcdConfig acd_config;
        int r;

        r = dhcp4_config_to_acd(&c->config, &acd_config);
        if (r < 0)
                return log_error_errno(r, "Invalid conflict detection configuration: %m");
        if (acd_config.enabled) {
                r = dhcp4_acd_new(&c->acd, &acd_config, c->mac, c->seed ^ UINT64_C(0x9e3779b97f4a7c15));
                if (r < 0)
                        return log_error_errno(r, "Failed to create conflict detection: %m");
                r = sd_event_add_time(c->event, &c->acd_timer_source, CLOCK_BOOTTIME, UINT64_MAX, 0, on_acd_timer,
                                      c);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the ACD timer: %m");
                (void)sd_event_source_set_time_accuracy(c->acd_timer_source, 1);
                (void)sd_event_source_set_enabled(c->acd_timer_source, SD_EVENT_OFF);
        }

        r = dhcp4_client_dna_new(&c->dna, c->event, c->ifindex, c->ifname, c->mac, &c->config.dna,
                                 c->seed ^ UINT64_C(0xd1b54a32d192ed03), client_confirm, c);
        if (r < 0)
                return log_error_errno(r, "Failed to set up attachment detection: %m");
        if (!c->config.dna.enabled)
                log_info("Attachment detection is off ([Attachment] Detect=no): a move to another network is "
                         "noticed only through the controller");
        return 0;
}

int dhcp4_client_start_monitor(Dhcp4Client *c) {
        int r;

        r = rtnl_monitor_open(c->rtnl);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to rtnetlink notifications: %m");
        r = sd_event_add_io(c->event, &c->rtnl_source, rtnl_monitor_fd(c->rtnl), EPOLLIN, on_rtnl_readable, c);
        if (r < 0)
                return log_error_errno(r, "Failed to watch rtnetlink: %m");
        /* What changed between the first read of the link and the subscription (carrier,
         * MAC, the interface gone, and once bound our address or route removed) would not
         * be notified: read it once more. */
        client_resync(c);
        return client_dispatch(c);
}

void dhcp4_client_stop(Dhcp4Client *c) {
        if (!c || !c->engine)
                return;
        (void)dhcp4_engine_stop(c->engine);
        if (c->acd)
                (void)dhcp4_acd_stop(c->acd);
        dhcp4_client_dna_stop(c->dna);
        (void)client_dispatch(c);
        client_close_raw(c);
        client_close_udp(c);
        client_close_arp(c);
}

Dhcp4State dhcp4_client_get_state(const Dhcp4Client *c) {
        return c && c->engine ? dhcp4_engine_get_state(c->engine) : DHCP4_STATE_STOPPED;
}

void dhcp4_client_set_state_handler(Dhcp4Client *c, Dhcp4ClientStateHandler h, void *userdata) {
        c->state_handler = h;
        c->state_userdata = userdata;
}

void dhcp4_client_set_change_handler(Dhcp4Client *c, Dhcp4ClientChangeHandler h, void *userdata) {
        c->change_handler = h;
        c->change_userdata = userdata;
}

int dhcp4_client_release(Dhcp4Client *c) {
        int r = dhcp4_engine_release(c->engine, engine_now());
        if (r < 0)
                return r;
        return client_dispatch(c);
}

int dhcp4_client_renew(Dhcp4Client *c) {
        int r = dhcp4_engine_renew(c->engine, engine_now());
        if (r < 0)
                return r;
        return client_dispatch(c);
}

int dhcp4_client_rebind(Dhcp4Client *c) {
        int r = dhcp4_engine_rebind(c->engine, engine_now());
        if (r < 0)
                return r;
        return client_dispatch(c);
}

int dhcp4_client_set_offer_policy(Dhcp4Client *c, const Dhcp4Subnet *refuse, size_t n_refuse,
                                  const Dhcp4Subnet *require) {
        int r;

        if (n_refuse > ELEMENTSOF(c->persist.refuse))
                return -E2BIG;
        r = dhcp4_engine_set_offer_policy(c->engine, refuse, n_refuse, require);
        if (r < 0)
                return r;
        r = dhcp4_persist_set_policy(&c->persist, refuse, n_refuse, require);
        client_persist_schedule(c);
        return r;
}

int dhcp4_client_restart(Dhcp4Client *c, const Dhcp4Subnet *refuse, size_t n_refuse, const Dhcp4Subnet *require) {
        int r = dhcp4_client_set_offer_policy(c, refuse, n_refuse, require);
        if (r < 0)
                return r;
        r = dhcp4_engine_restart(c->engine, refuse, n_refuse, require, engine_now());
        if (r < 0)
                return r;
        return client_dispatch(c);
}

/* ---- attachment detection ------------------------------------------------------- */

/* The DNA machine suspects a move: confirm the lease the INIT-REBOOT way while
 * keeping the address (dhcp4_engine_confirm; docs/dna.md). */
static int client_confirm(void *userdata, const char *why) {
        Dhcp4Client *c = userdata;
        const Dhcp4Lease *l = dhcp4_engine_get_lease(c->engine);
        char a[INET_ADDRSTRLEN];
        int r;

        if (c->sequence_running)
                return 1; /* a ReleaseAndRenew owns the client */
        r = dhcp4_engine_confirm(c->engine, engine_now());
        if (r != 0)
                return r;
        log_fields(LOG_NOTICE, ((const char *[]){ "REASON=attachment", NULL }),
                   "Attachment of %s in doubt (%s): confirming %s with an INIT-REBOOT REQUEST, the address stays",
                   c->ifname, why, l ? addr_str(l->address, a) : "?");
        return client_dispatch(c);
}

int dhcp4_client_check(Dhcp4Client *c) {
        return dhcp4_client_dna_check(c->dna);
}

void dhcp4_client_get_status(Dhcp4Client *c, Dhcp4ClientStatus *ret) {
        const Dhcp4Lease *l = c->engine ? dhcp4_engine_get_lease(c->engine) : NULL;
        Dhcp4ClientStatus s = {};
        const uint8_t *cid = NULL;
        size_t cid_len = 0;

        s.state = c->engine ? dhcp4_engine_get_state(c->engine) : DHCP4_STATE_STOPPED;
        memcpy(s.interface, c->ifname, sizeof(s.interface));
        if (l) {
                s.has_lease = true;
                s.lease = *l;
                /* Zero past the counts: snapshots compare with memcmp. */
                memset(s.lease.routers + MIN(l->n_routers, (size_t)LEASE_MAX_ROUTERS), 0,
                       sizeof(s.lease.routers[0]) * (LEASE_MAX_ROUTERS - MIN(l->n_routers, (size_t)LEASE_MAX_ROUTERS)));
                memset(s.lease.dns + MIN(l->n_dns, (size_t)LEASE_MAX_DNS), 0,
                       sizeof(s.lease.dns[0]) * (LEASE_MAX_DNS - MIN(l->n_dns, (size_t)LEASE_MAX_DNS)));
                memset(s.lease.routes + MIN(l->n_routes, (size_t)LEASE_MAX_ROUTES), 0,
                       sizeof(s.lease.routes[0]) * (LEASE_MAX_ROUTES - MIN(l->n_routes, (size_t)LEASE_MAX_ROUTES)));
                /* The same lease shows the same times (T1 - start is T1 exactly) until
                 * the wall clock is stepped; then they follow it (issue 12). */
                s.lease_start_usec = dhcp4_wallclock_convert(&c->start_wallclock, l->acquired_usec, engine_now(),
                                                             clock_now(CLOCK_REALTIME));
                if (l->lifetime == UINT32_MAX)
                        s.lifetime_usec = s.t1_usec = s.t2_usec = s.expiry_usec = USEC_INFINITY;
                else {
                        s.lifetime_usec = (uint64_t)l->lifetime * USEC_PER_SEC;
                        s.t1_usec = usec_add(s.lease_start_usec, (uint64_t)l->t1 * USEC_PER_SEC);
                        s.t2_usec = usec_add(s.lease_start_usec, (uint64_t)l->t2 * USEC_PER_SEC);
                        s.expiry_usec = usec_add(s.lease_start_usec, s.lifetime_usec);
                }
                cid = l->client_id;
                cid_len = LEASE_CLIENT_ID_LEN;
        } else if (c->engine)
                cid = dhcp4_engine_get_client_id(c->engine, &cid_len);
        if (cid && cid_len > 0) {
                s.client_id_len = MIN(cid_len, sizeof(s.client_id));
                memcpy(s.client_id, cid, s.client_id_len);
        }
        snprintf(s.last_error, sizeof(s.last_error), "%s", c->last_error);
        snprintf(s.persist_error, sizeof(s.persist_error), "%s", c->persist.error);
        snprintf(s.last_removal, sizeof(s.last_removal), "%s", c->last_removal);
        s.last_removal_usec = c->last_removal_usec;
        dhcp4_export_error(&c->export, s.export_error, sizeof(s.export_error));
        capability_effective_names(s.capabilities, sizeof(s.capabilities));
        snprintf(s.acd_state, sizeof(s.acd_state), "%s",
                 c->acd ? dhcp4_acd_state_to_string(dhcp4_acd_get_state(c->acd)) : "disabled");
        if (c->acd)
                (void)dhcp4_acd_get_conflict_mac(c->acd, s.conflict_mac);
        if (c->engine) {
                s.conflicts = dhcp4_engine_get_conflicts(c->engine);
                s.decline_backoff_usec = dhcp4_engine_get_decline_backoff(c->engine);
                s.n_declined = MIN(dhcp4_engine_get_declined(c->engine, s.declined, ELEMENTSOF(s.declined),
                                                             engine_now()),
                                   ELEMENTSOF(s.declined));
        }
        dhcp4_client_dna_get_status(c->dna, &s.attachment);
        s.counters = c->counters;
        *ret = s;
}

int dhcp4_client_add_lease_export(Dhcp4Client *c, const char *path) {
        return dhcp4_export_add(&c->export, path, clock_now(CLOCK_REALTIME));
}

void dhcp4_client_set_sequence_running(Dhcp4Client *c, bool running) {
        c->sequence_running = running;
}

bool dhcp4_client_sequence_running(const Dhcp4Client *c) {
        return c->sequence_running;
}
