/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics front end of the status snapshot (src/dhcp4/dhcp4-metrics.c): families,
 * one-hot state, lease timestamps, every counter and reason, label escaping. The
 * netns test (tests/integration/test_metrics.py) checks real expositions with the
 * strict parser and promtool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-metrics.h"
#include "macro.h"
#include "time-util.h"

static char *render(const Dhcp4ClientStatus *s) {
        char *t = NULL;
        size_t len = 0;

        assert_int_equal(dhcp4_metrics_render(s, &t, &len), 0);
        assert_non_null(t);
        assert_int_equal(strlen(t), len);
        assert_true(len > 0 && t[len - 1] == '\n');
        return t;
}

static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

static size_t count_prefix(const char *text, const char *prefix) {
        size_t n = 0, k = strlen(prefix);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, prefix, k) == 0)
                        n++;
        return n;
}

/* Every family has one HELP, then its TYPE, then only its own samples; no name twice. */
static void check_structure(const char *text) {
        char family[128] = "", seen[64][128];
        size_t n_seen = 0;
        const char *p = text;

        while (*p) {
                const char *e = strchr(p, '\n');
                char line[512];

                assert_non_null(e);
                assert_true((size_t) (e - p) < sizeof(line));
                memcpy(line, p, (size_t) (e - p));
                line[e - p] = '\0';
                p = e + 1;
                if (strncmp(line, "# HELP ", 7) == 0) {
                        assert_int_equal(sscanf(line + 7, "%127s", family), 1);
                        for (size_t i = 0; i < n_seen; i++)
                                assert_string_not_equal(seen[i], family);
                        assert_true(n_seen < ELEMENTSOF(seen));
                        snprintf(seen[n_seen++], sizeof(seen[0]), "%s", family);
                        assert_true(strncmp(family, "infradhcp_", 10) == 0);
                        continue;
                }
                if (strncmp(line, "# TYPE ", 7) == 0) {
                        char name[128], type[32];
                        assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
                        assert_string_equal(name, family);
                        if (strcmp(type, "counter") == 0) {
                                size_t k = strlen(name);
                                assert_true(k > 6 && strcmp(name + k - 6, "_total") == 0);
                        } else
                                assert_string_equal(type, "gauge");
                        continue;
                }
                /* a sample of the current family: the name, then '{' */
                assert_true(family[0]);
                assert_true(strncmp(line, family, strlen(family)) == 0);
                assert_true(line[strlen(family)] == '{');
                assert_non_null(strstr(line, "interface=\""));
        }
        assert_true(n_seen >= 19);
}

static void init_status(Dhcp4ClientStatus *s, const char *ifname) {
        *s = (Dhcp4ClientStatus){.state = DHCP4_STATE_STOPPED};
        snprintf(s->interface, sizeof(s->interface), "%s", ifname);
        snprintf(s->acd_state, sizeof(s->acd_state), "disabled");
}

static void test_no_lease(void **state) {
        Dhcp4ClientStatus s;
        char *t;

        init_status(&s, "eth0");
        t = render(&s);
        check_structure(t);
        assert_true(has_line(t, "# TYPE infradhcp_dhcp_state gauge"));
        assert_true(has_line(t, "infradhcp_dhcp_state{interface=\"eth0\",state=\"STOPPED\"} 1"));
        assert_true(has_line(t, "infradhcp_dhcp_state{interface=\"eth0\",state=\"BOUND\"} 0"));
        /* one-hot over every state */
        assert_int_equal(count_prefix(t, "infradhcp_dhcp_state{"), _DHCP4_STATE_MAX);
        assert_int_equal(count_prefix(t, "infradhcp_dhcp_state{interface=\"eth0\",state=\"STOPPED\"} 1"), 1);
        /* no lease: the timestamp families are there, without samples */
        assert_true(has_line(t, "# TYPE infradhcp_dhcp_lease_expiry_timestamp_seconds gauge"));
        assert_int_equal(count_prefix(t, "infradhcp_dhcp_lease_"), 0);
        assert_true(has_line(t, "infradhcp_dhcp_discovers_sent_total{interface=\"eth0\"} 0"));
        free(t);
}

static void test_bound_lease(void **state) {
        Dhcp4ClientStatus s;
        char *t;

        init_status(&s, "ens192.4093");
        s.state = DHCP4_STATE_BOUND;
        s.has_lease = true;
        s.lease_start_usec = UINT64_C(1700000000250000);
        s.lifetime_usec = 120 * USEC_PER_SEC;
        s.t1_usec = s.lease_start_usec + 60 * USEC_PER_SEC;
        s.t2_usec = s.lease_start_usec + 105 * USEC_PER_SEC;
        s.expiry_usec = s.lease_start_usec + 120 * USEC_PER_SEC;
        t = render(&s);
        check_structure(t);
        assert_true(has_line(t, "infradhcp_dhcp_state{interface=\"ens192.4093\",state=\"BOUND\"} 1"));
        assert_true(has_line(t, "infradhcp_dhcp_state{interface=\"ens192.4093\",state=\"STOPPED\"} 0"));
        assert_true(has_line(t, "infradhcp_dhcp_lease_start_timestamp_seconds{interface=\"ens192.4093\"} "
                                "1700000000.25"));
        assert_true(has_line(t, "infradhcp_dhcp_lease_t1_timestamp_seconds{interface=\"ens192.4093\"} "
                                "1700000060.25"));
        assert_true(has_line(t, "infradhcp_dhcp_lease_t2_timestamp_seconds{interface=\"ens192.4093\"} "
                                "1700000105.25"));
        assert_true(has_line(t, "infradhcp_dhcp_lease_expiry_timestamp_seconds{interface=\"ens192.4093\"} "
                                "1700000120.25"));
        free(t);

        /* An infinite lease never renews nor expires. */
        s.lifetime_usec = s.t1_usec = s.t2_usec = s.expiry_usec = USEC_INFINITY;
        t = render(&s);
        assert_true(has_line(t, "infradhcp_dhcp_lease_t1_timestamp_seconds{interface=\"ens192.4093\"} +Inf"));
        assert_true(has_line(t, "infradhcp_dhcp_lease_expiry_timestamp_seconds{interface=\"ens192.4093\"} +Inf"));
        assert_true(has_line(t, "infradhcp_dhcp_lease_start_timestamp_seconds{interface=\"ens192.4093\"} "
                                "1700000000.25"));
        free(t);
}

static void test_counters(void **state) {
        Dhcp4ClientStatus s;
        Dhcp4ClientCounters *c = &s.counters;
        char *t;

        init_status(&s, "eth1");
        c->sent[DHCP4_DISCOVER] = 3;
        c->sent[DHCP4_REQUEST] = 5;
        c->sent[DHCP4_RELEASE] = 1;
        c->sent[DHCP4_DECLINE] = 2;
        c->send_failures = 4;
        c->received[DHCP4_OFFER] = 6;
        c->received[DHCP4_ACK] = 7;
        c->received[DHCP4_NAK] = 8;
        c->address_changes = 9;
        c->acd_probes = 10;
        c->acd_announcements = 11;
        c->acd_conflicts[DHCP4_ACD_CONFLICT_PROBE] = 12;
        c->acd_conflicts[DHCP4_ACD_CONFLICT_DEFENDED] = 13;
        c->acd_conflicts[DHCP4_ACD_CONFLICT_LOST] = 14;
        c->rejected[DHCP4_PARSE_XID_MISMATCH] = 15;
        c->rejected[DHCP4_RX_WRONG_SERVER] = 16;
        c->rejected[DHCP4_RX_FORCERENEW] = 17;
        c->dropped[DHCP4_PACKET_BAD_UDP_CHECKSUM] = 18;
        c->address_removals = 19;
        c->route_removals = 20;
        c->sent[DHCP4_INFORM] = 99; /* never sent by this client: not rendered */
        t = render(&s);
        check_structure(t);
        static const char *const lines[] = {
                "infradhcp_dhcp_discovers_sent_total{interface=\"eth1\"} 3",
                "infradhcp_dhcp_requests_sent_total{interface=\"eth1\"} 5",
                "infradhcp_dhcp_releases_sent_total{interface=\"eth1\"} 1",
                "infradhcp_dhcp_declines_sent_total{interface=\"eth1\"} 2",
                "infradhcp_dhcp_send_failures_total{interface=\"eth1\"} 4",
                "infradhcp_dhcp_offers_received_total{interface=\"eth1\"} 6",
                "infradhcp_dhcp_acks_received_total{interface=\"eth1\"} 7",
                "infradhcp_dhcp_naks_received_total{interface=\"eth1\"} 8",
                "infradhcp_dhcp_address_changes_total{interface=\"eth1\"} 9",
                "infradhcp_acd_probes_sent_total{interface=\"eth1\"} 10",
                "infradhcp_acd_announcements_sent_total{interface=\"eth1\"} 11",
                "infradhcp_acd_conflicts_total{interface=\"eth1\",reason=\"probe\"} 12",
                "infradhcp_acd_conflicts_total{interface=\"eth1\",reason=\"defended\"} 13",
                "infradhcp_acd_conflicts_total{interface=\"eth1\",reason=\"lost\"} 14",
                "infradhcp_dhcp_messages_rejected_total{interface=\"eth1\",reason=\"xid-mismatch\"} 15",
                "infradhcp_dhcp_messages_rejected_total{interface=\"eth1\",reason=\"wrong-server\"} 16",
                "infradhcp_dhcp_messages_rejected_total{interface=\"eth1\",reason=\"forcerenew-unauthenticated\"} 17",
                "infradhcp_dhcp_messages_rejected_total{interface=\"eth1\",reason=\"too-short\"} 0",
                "infradhcp_dhcp_datagrams_dropped_total{interface=\"eth1\",reason=\"bad-udp-checksum\"} 18",
                "infradhcp_dhcp_datagrams_dropped_total{interface=\"eth1\",reason=\"fragment\"} 0",
                "infradhcp_address_removed_total{interface=\"eth1\"} 19",
                "infradhcp_multicast_route_removed_total{interface=\"eth1\"} 20",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                if (!has_line(t, lines[i]))
                        fail_msg("missing: %s\n%s", lines[i], t);
        }
        assert_null(strstr(t, " 99\n"));
        /* Every named reason of the engine and the codec is a label value, "ok" is not. */
        assert_int_equal(count_prefix(t, "infradhcp_dhcp_messages_rejected_total{"), _DHCP4_RX_MAX - 1);
        for (int r = 1; r < _DHCP4_RX_MAX; r++) {
                char want[160];
                snprintf(want, sizeof(want), "infradhcp_dhcp_messages_rejected_total{interface=\"eth1\",reason=\"%s\"}",
                         dhcp4_engine_rx_to_string(r));
                assert_int_equal(count_prefix(t, want), 1);
        }
        assert_int_equal(count_prefix(t, "infradhcp_dhcp_datagrams_dropped_total{"), _DHCP4_PACKET_MAX - 1);
        assert_null(strstr(t, "reason=\"ok\""));
        free(t);
}

static void test_attachment(void **state) {
        Dhcp4ClientStatus s;
        char *t;

        init_status(&s, "eth2");
        t = render(&s);
        assert_true(has_line(t, "infradhcp_attachment_detection_enabled{interface=\"eth2\"} 0"));
        free(t);

        s.attachment.enabled = true;
        s.attachment.usable_peers = 2;
        s.attachment.checks_by_trigger[DHCP4_DNA_TRIGGER_PERIODIC] = 40;
        s.attachment.checks_by_trigger[DHCP4_DNA_TRIGGER_ANNOUNCE] = 1;
        s.attachment.outcomes[DHCP4_DNA_OUTCOME_ATTACHED] = 39;
        s.attachment.outcomes[DHCP4_DNA_OUTCOME_CONFIRMING] = 2;
        s.attachment.outcomes[DHCP4_DNA_OUTCOME_MOVED] = 1;
        s.attachment.outcomes[DHCP4_DNA_OUTCOME_RUNNING] = 77; /* not a result: not rendered */
        t = render(&s);
        check_structure(t);
        static const char *const lines[] = {
                "infradhcp_attachment_detection_enabled{interface=\"eth2\"} 1",
                "infradhcp_attachment_usable_peers{interface=\"eth2\"} 2",
                "infradhcp_attachment_checks_total{interface=\"eth2\",reason=\"periodic\"} 40",
                "infradhcp_attachment_checks_total{interface=\"eth2\",reason=\"announce\"} 1",
                "infradhcp_attachment_checks_total{interface=\"eth2\",reason=\"notify-peers\"} 0",
                "infradhcp_attachment_outcomes_total{interface=\"eth2\",result=\"attached\"} 39",
                "infradhcp_attachment_outcomes_total{interface=\"eth2\",result=\"confirming\"} 2",
                "infradhcp_attachment_outcomes_total{interface=\"eth2\",result=\"moved\"} 1",
                "infradhcp_attachment_outcomes_total{interface=\"eth2\",result=\"no-peer\"} 0",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                if (!has_line(t, lines[i]))
                        fail_msg("missing: %s\n%s", lines[i], t);
        assert_int_equal(count_prefix(t, "infradhcp_attachment_checks_total{"), _DHCP4_DNA_TRIGGER_MAX);
        assert_int_equal(count_prefix(t, "infradhcp_attachment_outcomes_total{"),
                         _DHCP4_DNA_OUTCOME_MAX - DHCP4_DNA_OUTCOME_ATTACHED);
        assert_null(strstr(t, "result=\"none\""));
        assert_null(strstr(t, "result=\"running\""));
        free(t);
}

static void test_escaping(void **state) {
        Dhcp4ClientStatus s;
        char *t;

        /* ifname_valid() refuses these bytes; the renderer escapes them anyway. */
        init_status(&s, "a\"b\\c\nd");
        t = render(&s);
        assert_true(has_line(t, "infradhcp_dhcp_discovers_sent_total{interface=\"a\\\"b\\\\c\\nd\"} 0"));
        assert_true(has_line(t, "infradhcp_dhcp_state{interface=\"a\\\"b\\\\c\\nd\",state=\"STOPPED\"} 1"));
        free(t);

        /* A name filling the whole array, not terminated: cut at its size. */
        memset(s.interface, 'x', sizeof(s.interface));
        t = render(&s);
        assert_true(has_line(t, "infradhcp_dhcp_discovers_sent_total{interface=\"xxxxxxxxxxxxxxxx\"} 0"));
        free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_lease),
                cmocka_unit_test(test_bound_lease),
                cmocka_unit_test(test_counters),
                cmocka_unit_test(test_attachment),
                cmocka_unit_test(test_escaping),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
