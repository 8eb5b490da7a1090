/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd metrics (docs/metrics.md lists each one): the status snapshot rendered
 * with src/shared/prom.c. Every series carries the interface label, so that the
 * expositions of several daemons on one node merge into one (infradhcpctl metrics).
 * Counters start at 0 with the daemon, as Prometheus expects (rate() handles
 * restarts); each labelled family lists every known label value, 0 included, so a
 * rate over a reason that has never happened is 0 rather than absent.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "dhcp4-metrics.h"
#include "macro.h"
#include "prom.h"
#include "time-util.h"

#define PREFIX "infradhcp_"

/* One unlabelled counter of Dhcp4ClientCounters. */
typedef struct Counter {
        const char *name, *help;
        size_t offset;
} Counter;

#define COUNTER(n, h, field)                                                                                           \
        { PREFIX n, h, offsetof(Dhcp4ClientCounters, field) }

static const Counter counters[] = {
        COUNTER("dhcp_address_changes_total",
                "Times another address than the one before was configured on the interface (the first lease "
                "included; renewals and putting a removed address back are not changes).",
                address_changes),
        COUNTER("dhcp_discovers_sent_total", "DHCPDISCOVER messages sent.", sent[DHCP4_DISCOVER]),
        COUNTER("dhcp_requests_sent_total",
                "DHCPREQUEST messages sent (selecting, renewing, rebinding, INIT-REBOOT and attachment "
                "confirmations).",
                sent[DHCP4_REQUEST]),
        COUNTER("dhcp_releases_sent_total", "DHCPRELEASE messages sent.", sent[DHCP4_RELEASE]),
        COUNTER("dhcp_declines_sent_total", "DHCPDECLINE messages sent (RFC 5227 conflicts).", sent[DHCP4_DECLINE]),
        COUNTER("dhcp_send_failures_total",
                "DHCP messages the socket refused to send (the retransmission timer sends them again).", send_failures),
        COUNTER("dhcp_offers_received_total",
                "DHCPOFFER messages processed (a refused or unusable offer counts as rejected).",
                received[DHCP4_OFFER]),
        COUNTER("dhcp_acks_received_total", "DHCPACK messages processed.", received[DHCP4_ACK]),
        COUNTER("dhcp_naks_received_total", "DHCPNAK messages processed.", received[DHCP4_NAK]),
        COUNTER("acd_probes_sent_total", "ARP probes sent for an offered address (RFC 5227 section 2.1.1).",
                acd_probes),
        COUNTER("acd_announcements_sent_total",
                "ARP announcements sent for our address (RFC 5227 section 2.3, and each defence of section 2.4).",
                acd_announcements),
        COUNTER("address_removed_total",
                "Times another process (or the kernel) removed the leased address; it was put back (lastRemoval "
                "of the status names who).",
                address_removals),
        COUNTER("multicast_route_removed_total",
                "Times another process (or the kernel) removed the multicast route; it was put back.",
                route_removals),
};

static uint64_t counter_value(const Dhcp4ClientCounters *c, const Counter *k) {
        uint64_t v;

        memcpy(&v, (const uint8_t *) c + k->offset, sizeof(v));
        return v;
}

static double usec_to_seconds(uint64_t usec) {
        return usec == USEC_INFINITY ? INFINITY : (double) usec / (double) USEC_PER_SEC;
}

/* A family with one series per label value of `label`, each value named by
 * `name_of(i)` for i in [first, n); NULL names are skipped. */
static void render_by_label(PromWriter *w, const char *name, const char *help, const char *ifname, const char *label,
                            const uint64_t *values, size_t first, size_t n, const char *(*name_of)(int) ) {
        prom_family(w, name, "counter", help);
        for (size_t i = first; i < n; i++) {
                const char *v = name_of((int) i);
                if (!v)
                        continue;
                PromLabel l[] = {{"interface", ifname}, {label, v}};
                prom_sample_u64(w, name, l, ELEMENTSOF(l), values[i]);
        }
}

static const char *state_name(int i) {
        return dhcp4_state_to_string((Dhcp4State) i);
}

static const char *packet_reason(int i) {
        return dhcp4_packet_result_to_string((Dhcp4PacketResult) i);
}

static const char *conflict_reason(int i) {
        return dhcp4_acd_conflict_to_string((Dhcp4AcdConflict) i);
}

static const char *trigger_name(int i) {
        return dhcp4_dna_trigger_to_string((Dhcp4DnaTrigger) i);
}

static const char *outcome_name(int i) {
        return dhcp4_dna_outcome_to_string((Dhcp4DnaOutcome) i);
}

/* Attachment detection (RFC 4436, docs/dna.md). */
static void render_attachment(PromWriter *w, const Dhcp4ClientAttachment *a, const char *ifname,
                              const PromLabel *ifl) {
        prom_family(w, PREFIX "attachment_detection_enabled", "gauge",
                    "1 when attachment detection ([Attachment] Detect=) is on.");
        prom_sample(w, PREFIX "attachment_detection_enabled", ifl, 1, a->enabled);
        prom_family(w, PREFIX "attachment_usable_peers", "gauge",
                    "Peers of the lease whose MAC is known, i.e. that an attachment check can ask (0: only hints "
                    "and DHCP can tell a move).");
        prom_sample(w, PREFIX "attachment_usable_peers", ifl, 1, a->usable_peers);
        render_by_label(w, PREFIX "attachment_checks_total",
                        "Attachment checks started, by reason: periodic, notify-peers, link-change, announce "
                        "(the hypervisor's RARP or gratuitous ARP), peer-mac, command, retry.",
                        ifname, "reason", a->checks_by_trigger, 0, _DHCP4_DNA_TRIGGER_MAX, trigger_name);
        /* From ATTACHED: "none" and "running" are not results. */
        render_by_label(w, PREFIX "attachment_outcomes_total",
                        "Attachment check results, by result: attached, confirming (DHCP asked), rate-limited, then "
                        "the confirmation's confirmed, moved or aborted; no-peer (a periodic check with nobody to "
                        "ask).",
                        ifname, "result", a->outcomes, DHCP4_DNA_OUTCOME_ATTACHED, _DHCP4_DNA_OUTCOME_MAX,
                        outcome_name);
}

static void render_lease_times(PromWriter *w, const Dhcp4ClientStatus *s, const PromLabel *ifl) {
        static const struct {
                const char *name, *help;
                size_t offset;
        } times[] = {
                {PREFIX "dhcp_lease_start_timestamp_seconds",
                 "When the REQUEST that obtained the current lease was sent (Unix time; RFC 2131 section 4.4.1). "
                 "Absent without a lease.",
                 offsetof(Dhcp4ClientStatus, lease_start_usec)},
                {PREFIX "dhcp_lease_t1_timestamp_seconds",
                 "When the current lease is renewed (T1, Unix time; +Inf for an infinite lease). Absent without "
                 "a lease.",
                 offsetof(Dhcp4ClientStatus, t1_usec)},
                {PREFIX "dhcp_lease_t2_timestamp_seconds",
                 "When the current lease is rebound (T2, Unix time; +Inf for an infinite lease). Absent without "
                 "a lease.",
                 offsetof(Dhcp4ClientStatus, t2_usec)},
                {PREFIX "dhcp_lease_expiry_timestamp_seconds",
                 "When the current lease expires (Unix time; +Inf for an infinite lease). Absent without a "
                 "lease.",
                 offsetof(Dhcp4ClientStatus, expiry_usec)},
        };

        for (size_t i = 0; i < ELEMENTSOF(times); i++) {
                uint64_t usec;

                prom_family(w, times[i].name, "gauge", times[i].help);
                if (!s->has_lease)
                        continue;
                memcpy(&usec, (const uint8_t *) s + times[i].offset, sizeof(usec));
                prom_sample(w, times[i].name, ifl, 1, usec_to_seconds(usec));
        }
}

int dhcp4_metrics_render(const Dhcp4ClientStatus *s, char **ret_text, size_t *ret_len) {
        const Dhcp4ClientCounters *c = &s->counters;
        char ifname[sizeof(s->interface) + 1];
        PromWriter w;
        int r;

        /* The snapshot is plain data: never trust it to be terminated. */
        memcpy(ifname, s->interface, sizeof(s->interface));
        ifname[sizeof(s->interface)] = '\0';
        const PromLabel ifl[] = {{"interface", ifname}};

        r = prom_writer_open(&w);
        if (r < 0)
                return r;

        prom_family(&w, PREFIX "dhcp_state", "gauge",
                    "The DHCP client's state (RFC 2131 section 4.4): 1 for the current one, 0 for the others.");
        for (Dhcp4State st = 0; st < _DHCP4_STATE_MAX; st++) {
                PromLabel l[] = {{"interface", ifname}, {"state", state_name((int) st)}};
                prom_sample(&w, PREFIX "dhcp_state", l, ELEMENTSOF(l), s->state == st);
        }
        render_lease_times(&w, s, ifl);

        for (size_t i = 0; i < ELEMENTSOF(counters); i++) {
                prom_family(&w, counters[i].name, "counter", counters[i].help);
                prom_sample_u64(&w, counters[i].name, ifl, 1, counter_value(c, &counters[i]));
        }
        render_by_label(&w, PREFIX "dhcp_messages_rejected_total",
                        "DHCP messages ignored, by reason: malformed (the codec's reasons), not for us (xid, chaddr, "
                        "client id), or not acceptable now (the engine's reasons).",
                        ifname, "reason", c->rejected, 1, _DHCP4_RX_MAX, dhcp4_engine_rx_to_string);
        render_by_label(&w, PREFIX "dhcp_datagrams_dropped_total",
                        "Datagrams dropped before DHCP decoding, by reason (IPv4/UDP framing and checksums).", ifname,
                        "reason", c->dropped, 1, _DHCP4_PACKET_MAX, packet_reason);
        render_by_label(&w, PREFIX "acd_conflicts_total",
                        "Address conflicts (RFC 5227), by reason: probe (an offered address in use, declined), "
                        "defended (our address claimed, defended), lost (claimed again, given up).",
                        ifname, "reason", c->acd_conflicts, 0, _DHCP4_ACD_CONFLICT_MAX, conflict_reason);
        render_attachment(&w, &s->attachment, ifname, ifl);
        return prom_writer_close(&w, ret_text, ret_len);
}
