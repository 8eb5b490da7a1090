/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attachment detection for one interface, the fd and clock side (see
 * dhcp4-client-dna.h): two packet sockets opened while a lease is configured, one
 * timer re-armed from the machine's deadline after every input, and the journal
 * lines that say what was detected and why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhcp4-arp.h"
#include "dhcp4-client-dna.h"
#include "dhcp4-dna-socket.h"
#include "dhcp4-status.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "time-util.h"

struct Dhcp4ClientDna {
        sd_event *event;
        int ifindex;
        char ifname[IF_NAMESIZE];
        uint8_t mac[6];
        Dhcp4Dna *dna;

        int arp_fd, rarp_fd;
        sd_event_source *arp_source, *rarp_source, *timer_source;
        bool has_lease;
        Dhcp4Lease lease;

        bool has_link;
        uint32_t link_flags;
        uint8_t link_operstate;

        Dhcp4ClientDnaConfirm confirm;
        void *userdata;
        bool dispatching, again;

        /* status counters (Dhcp4ClientAttachment) */
        uint64_t checks_by_trigger[_DHCP4_DNA_TRIGGER_MAX];
        uint64_t outcomes[_DHCP4_DNA_OUTCOME_MAX];
};

static uint64_t now_clock(clockid_t id) {
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static uint64_t now_boottime(void) {
        return now_clock(CLOCK_BOOTTIME);
}

uint64_t dhcp4_client_dna_to_realtime(const Dhcp4ClientDna *d, uint64_t usec) {
        uint64_t b = now_boottime(), r = now_clock(CLOCK_REALTIME);

        if (usec == 0 || usec == UINT64_MAX)
                return usec;
        return usec >= b ? usec_add(r, usec - b) : usec_sub(r, b - usec);
}

static const char *addr_str(struct in_addr a, char buf[static INET_ADDRSTRLEN]) {
        return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void dna_dispatch(Dhcp4ClientDna *d);

/* ---- sockets ------------------------------------------------------------------ */

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Dhcp4ClientDna *d = userdata;
        uint16_t ethertype = fd == d->rarp_fd ? DHCP4_DNA_ETHERTYPE_RARP : DHCP4_DNA_ETHERTYPE_ARP;
        uint8_t buf[DHCP4_ARP_BUFFER_SIZE], src[6];

        for (int i = 0; i < 64; i++) {
                size_t len;
                int r = dhcp4_arp_recv(fd, buf, sizeof(buf), &len, src);

                if (r == -EAGAIN)
                        break;
                if (r < 0) {
                        log_warning_errno(r, "Reading the attachment %s socket failed: %m",
                                          ethertype == DHCP4_DNA_ETHERTYPE_ARP ? "ARP" : "RARP");
                        break;
                }
                if (r > 0)
                        continue;
                r = dhcp4_dna_receive(d->dna, ethertype, src, buf, len, now_boottime());
                if (r == -ENOBUFS) {
                        dna_dispatch(d);
                        r = dhcp4_dna_receive(d->dna, ethertype, src, buf, len, now_boottime());
                }
                if (r < 0)
                        return log_error_errno(r, "Attachment detection failed on a received packet: %m");
                if (r > DHCP4_DNA_RX_IGNORED)
                        log_debug("Attachment: ignored packet (%s)", dhcp4_dna_rx_to_string(r));
                dna_dispatch(d);
        }
        return 0;
}

static void close_sockets(Dhcp4ClientDna *d) {
        d->arp_source = sd_event_source_disable_unref(d->arp_source);
        d->rarp_source = sd_event_source_disable_unref(d->rarp_source);
        d->arp_fd = safe_close(d->arp_fd);
        d->rarp_fd = safe_close(d->rarp_fd);
}

static int watch(Dhcp4ClientDna *d, int fd, sd_event_source **ret, const char *name) {
        int r = sd_event_add_io(d->event, ret, fd, EPOLLIN, on_readable, d);

        if (r >= 0)
                (void) sd_event_source_set_description(*ret, name);
        return r;
}

/* The ARP filter names the peers of this lease: reopened for every lease. */
static void open_sockets(Dhcp4ClientDna *d) {
        Dhcp4DnaPeer peers[DHCP4_DNA_PEER_MAX];
        struct in_addr addrs[DHCP4_DNA_PEER_MAX];
        size_t n = MIN(dhcp4_dna_get_peers(d->dna, peers, ELEMENTSOF(peers)), ELEMENTSOF(peers));
        int r;

        d->arp_source = sd_event_source_disable_unref(d->arp_source);
        d->arp_fd = safe_close(d->arp_fd);
        for (size_t i = 0; i < n; i++)
                addrs[i] = peers[i].address;
        r = dhcp4_dna_socket_open_arp(d->ifindex, d->lease.address, d->mac, addrs, n, &d->arp_fd);
        if (r >= 0)
                r = watch(d, d->arp_fd, &d->arp_source, "dna-arp");
        if (r < 0) {
                log_warning_errno(r, "Cannot open the attachment detection ARP socket on %s: %m; the move of this "
                                  "node to another network is noticed only by the controller", d->ifname);
                d->arp_fd = safe_close(d->arp_fd);
        }
        if (d->rarp_fd >= 0)
                return;
        r = dhcp4_dna_socket_open_rarp(d->ifindex, d->mac, &d->rarp_fd);
        if (r >= 0)
                r = watch(d, d->rarp_fd, &d->rarp_source, "dna-rarp");
        if (r < 0) {
                log_warning_errno(r, "Cannot open the RARP socket on %s: %m; hypervisor announcements are not seen",
                                  d->ifname);
                d->rarp_fd = safe_close(d->rarp_fd);
        }
}

/* ---- actions ------------------------------------------------------------------ */

static int log_level_for(const Dhcp4DnaAction *a) {
        bool periodic = a->trigger == DHCP4_DNA_TRIGGER_PERIODIC;

        switch (a->event) {
        case DHCP4_DNA_EVENT_CHECK:
                return periodic ? LOG_DEBUG : LOG_INFO;
        case DHCP4_DNA_EVENT_RESULT:
                switch (a->outcome) {
                case DHCP4_DNA_OUTCOME_ATTACHED:
                        return periodic ? LOG_DEBUG : LOG_INFO;
                case DHCP4_DNA_OUTCOME_RATE_LIMITED:
                        return LOG_WARNING;
                default:
                        return LOG_NOTICE;
                }
        case DHCP4_DNA_EVENT_PEER_LEARNED:
                return LOG_INFO;
        default:
                return LOG_NOTICE;
        }
}

/* Counted (the status counters of the attachment), then logged. */
static void handle_event(Dhcp4ClientDna *d, const Dhcp4DnaAction *a) {
        char ev[48], tr[48], out[48];
        const char *fields[] = { ev, tr, a->event == DHCP4_DNA_EVENT_RESULT ? out : NULL, NULL };

        if (a->event == DHCP4_DNA_EVENT_CHECK && (size_t) a->trigger < _DHCP4_DNA_TRIGGER_MAX)
                d->checks_by_trigger[a->trigger]++;
        if (a->event == DHCP4_DNA_EVENT_RESULT && (size_t) a->outcome < _DHCP4_DNA_OUTCOME_MAX)
                d->outcomes[a->outcome]++;
        snprintf(ev, sizeof(ev), "ATTACHMENT_EVENT=%s", dhcp4_dna_event_to_string(a->event));
        snprintf(tr, sizeof(tr), "TRIGGER=%s", dhcp4_dna_trigger_to_string(a->trigger));
        snprintf(out, sizeof(out), "OUTCOME=%s", dhcp4_dna_outcome_to_string(a->outcome));
        log_fields(log_level_for(a), fields, "Attachment of %s (%s): %s", d->ifname,
                   dhcp4_dna_trigger_to_string(a->trigger), a->text);
}

static void handle_action(Dhcp4ClientDna *d, const Dhcp4DnaAction *a) {
        char p[INET_ADDRSTRLEN], m[18];
        int r;

        switch (a->type) {
        case DHCP4_DNA_ACTION_SEND:
                r = d->arp_fd >= 0 ? dhcp4_dna_socket_send(d->arp_fd, d->ifindex, a->dest_mac, a->arp, a->len)
                                   : -EBADF;
                if (r < 0)
                        log_debug_errno(r, "Failed to send the attachment ARP for %s to %s: %m",
                                        addr_str(a->peer, p), format_mac(a->dest_mac, m));
                break;
        case DHCP4_DNA_ACTION_CONFIRM:
                r = d->confirm ? d->confirm(d->userdata, a->text) : 1;
                if (r != 0) {
                        if (r < 0)
                                log_warning_errno(r, "Cannot confirm the lease on %s: %m", d->ifname);
                        (void) dhcp4_dna_confirm_abort(d->dna, now_boottime());
                }
                break;
        case DHCP4_DNA_ACTION_EVENT:
                handle_event(d, a);
                break;
        }
}

static void arm_timer(Dhcp4ClientDna *d) {
        uint64_t t = dhcp4_dna_next_deadline(d->dna);
        int r;

        if (t == UINT64_MAX) {
                (void) sd_event_source_set_enabled(d->timer_source, SD_EVENT_OFF);
                return;
        }
        r = sd_event_source_set_time(d->timer_source, t ? t : 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->timer_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the attachment timer: %m");
}

/* Pops every action; a CONFIRM calls into the client, which may hand us a lease
 * (set_lease) while we are here: that input is picked up by the same loop. */
static void dna_dispatch(Dhcp4ClientDna *d) {
        Dhcp4DnaAction a;

        if (d->dispatching) {
                d->again = true;
                return;
        }
        d->dispatching = true;
        do {
                d->again = false;
                while (dhcp4_dna_pop_action(d->dna, &a) > 0)
                        handle_action(d, &a);
        } while (d->again);
        d->dispatching = false;
        arm_timer(d);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4ClientDna *d = userdata;
        int r = dhcp4_dna_timeout(d->dna, now_boottime());

        if (r < 0)
                log_warning_errno(r, "Attachment detection failed on its timer: %m");
        dna_dispatch(d);
        return 0;
}

/* ---- inputs ------------------------------------------------------------------- */

void dhcp4_client_dna_set_lease(Dhcp4ClientDna *d, const Dhcp4Lease *lease) {
        bool reopen;
        int r;

        if (!d || !lease || !dhcp4_dna_get_enabled(d->dna))
                return;
        reopen = !d->has_lease || d->lease.address.s_addr != lease->address.s_addr ||
                 d->lease.n_routers != lease->n_routers ||
                 memcmp(d->lease.routers, lease->routers, sizeof(lease->routers[0]) * lease->n_routers) != 0 ||
                 d->lease.server_id.s_addr != lease->server_id.s_addr || d->arp_fd < 0;
        d->lease = *lease;
        d->has_lease = true;
        r = dhcp4_dna_set_lease(d->dna, lease, now_boottime());
        if (r == -ENOBUFS) {
                dna_dispatch(d);
                r = dhcp4_dna_set_lease(d->dna, lease, now_boottime());
        }
        if (r < 0)
                log_warning_errno(r, "Attachment detection rejected the lease: %m");
        /* The sockets first: the learning requests go out on them. */
        if (reopen)
                open_sockets(d);
        dna_dispatch(d);
}

void dhcp4_client_dna_clear(Dhcp4ClientDna *d, struct in_addr address) {
        if (!d || !d->has_lease || d->lease.address.s_addr != address.s_addr)
                return;
        d->has_lease = false;
        (void) dhcp4_dna_clear(d->dna);
        close_sockets(d);
        arm_timer(d);
}

void dhcp4_client_dna_set_mac(Dhcp4ClientDna *d, const uint8_t mac[6]) {
        if (!d || !mac)
                return;
        memcpy(d->mac, mac, 6);
        (void) dhcp4_dna_set_mac(d->dna, mac);
        if (d->has_lease) {
                /* The filters name our MAC. */
                d->rarp_source = sd_event_source_disable_unref(d->rarp_source);
                d->rarp_fd = safe_close(d->rarp_fd);
                open_sockets(d);
        }
}

static int hint(Dhcp4ClientDna *d, Dhcp4DnaTrigger t) {
        int r = dhcp4_dna_hint(d->dna, t, now_boottime());

        if (r == -ENOBUFS) {
                dna_dispatch(d);
                r = dhcp4_dna_hint(d->dna, t, now_boottime());
        }
        dna_dispatch(d);
        return r;
}

void dhcp4_client_dna_link_event(Dhcp4ClientDna *d, uint32_t event, uint32_t flags, uint8_t operstate) {
        bool changed, notify_peers = event == IFLA_EVENT_NOTIFY_PEERS;

        if (!d)
                return;
        changed = d->has_link && (((flags ^ d->link_flags) & ~(uint32_t) (IFF_PROMISC | IFF_ALLMULTI)) != 0 ||
                                  operstate != d->link_operstate);
        d->has_link = true;
        d->link_flags = flags;
        d->link_operstate = operstate;
        if (!d->has_lease || (!event && !changed))
                return;
        if (notify_peers)
                log_info("%s: the kernel asks to notify peers (IFLA_EVENT_NOTIFY_PEERS, e.g. after a live migration): "
                         "checking the attachment", d->ifname);
        (void) hint(d, notify_peers ? DHCP4_DNA_TRIGGER_NOTIFY_PEERS : DHCP4_DNA_TRIGGER_LINK_CHANGE);
}

void dhcp4_client_dna_link_baseline(Dhcp4ClientDna *d, uint32_t flags, uint8_t operstate) {
        if (!d || d->has_link)
                return;
        d->has_link = true;
        d->link_flags = flags;
        d->link_operstate = operstate;
}

int dhcp4_client_dna_check(Dhcp4ClientDna *d) {
        if (!d || !dhcp4_dna_get_enabled(d->dna))
                return -EOPNOTSUPP;
        if (!d->has_lease || dhcp4_dna_get_state(d->dna) == DHCP4_DNA_STATE_IDLE)
                return -ENOTCONN;
        return hint(d, DHCP4_DNA_TRIGGER_COMMAND);
}

void dhcp4_client_dna_stop(Dhcp4ClientDna *d) {
        if (!d)
                return;
        close_sockets(d);
        (void) sd_event_source_set_enabled(d->timer_source, SD_EVENT_OFF);
}

void dhcp4_client_dna_set_ifindex(Dhcp4ClientDna *d, int ifindex) {
        if (!d || ifindex <= 0)
                return;
        dhcp4_client_dna_stop(d);
        d->ifindex = ifindex;
}

/* ---- lifecycle ----------------------------------------------------------------- */

int dhcp4_client_dna_new(Dhcp4ClientDna **ret, sd_event *event, int ifindex, const char *ifname,
                         const uint8_t mac[6], const Dhcp4DnaConfig *cfg, uint64_t seed,
                         Dhcp4ClientDnaConfirm confirm, void *userdata) {
        _cleanup_(dhcp4_client_dna_freep) Dhcp4ClientDna *d = NULL;
        int r;

        if (!ret || !event || ifindex <= 0 || !ifname || !mac || !cfg)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->arp_fd = d->rarp_fd = -1;
        d->event = sd_event_ref(event);
        d->ifindex = ifindex;
        snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
        memcpy(d->mac, mac, 6);
        d->confirm = confirm;
        d->userdata = userdata;
        r = dhcp4_dna_new(&d->dna, cfg, mac, seed);
        if (r < 0)
                return r;
        r = sd_event_add_time(event, &d->timer_source, CLOCK_BOOTTIME, UINT64_MAX, 0, on_timer, d);
        if (r < 0)
                return r;
        /* A 50 ms probe window must not be stretched by timer coalescing. */
        (void) sd_event_source_set_time_accuracy(d->timer_source, 1);
        (void) sd_event_source_set_enabled(d->timer_source, SD_EVENT_OFF);
        (void) sd_event_source_set_description(d->timer_source, "dna-timer");
        *ret = d;
        d = NULL; /* consumed */
        return 0;
}

Dhcp4ClientDna *dhcp4_client_dna_free(Dhcp4ClientDna *d) {
        if (!d)
                return NULL;
        close_sockets(d);
        sd_event_source_disable_unref(d->timer_source);
        dhcp4_dna_free(d->dna);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}

/* ---- status -------------------------------------------------------------------- */

void dhcp4_client_dna_get_status(const Dhcp4ClientDna *d, Dhcp4ClientAttachment *ret) {
        const Dhcp4Dna *dna = d ? d->dna : NULL;
        Dhcp4ClientAttachment a = {};
        uint64_t next = dhcp4_dna_get_next_check(dna);

        a.enabled = dhcp4_dna_get_enabled(dna);
        snprintf(a.state, sizeof(a.state), "%s", dhcp4_dna_state_to_string(dhcp4_dna_get_state(dna)));
        a.n_peers = MIN(dhcp4_dna_get_peers(dna, a.peers, ELEMENTSOF(a.peers)), ELEMENTSOF(a.peers));
        for (size_t i = 0; i < a.n_peers; i++)
                a.peers[i].last_seen_usec = dhcp4_client_dna_to_realtime(d, a.peers[i].last_seen_usec);
        a.usable_peers = dhcp4_dna_get_usable_peers(dna);
        a.has_check = dhcp4_dna_get_last_check(dna, &a.check);
        if (a.has_check) {
                a.check.started_usec = dhcp4_client_dna_to_realtime(d, a.check.started_usec);
                a.check.finished_usec = dhcp4_client_dna_to_realtime(d, a.check.finished_usec);
                snprintf(a.outcome, sizeof(a.outcome), "%s", dhcp4_dna_outcome_to_string(a.check.outcome));
        }
        a.checks = dhcp4_dna_get_checks(dna);
        a.confirmations = dhcp4_dna_get_confirmations(dna);
        a.next_check_usec = next == UINT64_MAX ? USEC_INFINITY : dhcp4_client_dna_to_realtime(d, next);
        if (d) {
                memcpy(a.checks_by_trigger, d->checks_by_trigger, sizeof(a.checks_by_trigger));
                memcpy(a.outcomes, d->outcomes, sizeof(a.outcomes));
        }
        *ret = a;
}

const Dhcp4Dna *dhcp4_client_dna_machine(const Dhcp4ClientDna *d) {
        return d ? d->dna : NULL;
}
