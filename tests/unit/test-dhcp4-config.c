/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the daemon configuration parser (src/dhcp4/dhcp4-config.c):
 * documented defaults, every key, ACD profiles, empty-value resets, and the exact
 * error messages (with line numbers) for typos and bad values.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp4-config.h"
#include "macro.h"
#include "time-util.h"

#define MS USEC_PER_MSEC
#define SEC USEC_PER_SEC

static void assert_config_equal(const Dhcp4Config *a, const Dhcp4Config *b) {
        assert_string_equal(a->hostname, b->hostname);
        assert_int_equal(a->request_broadcast, b->request_broadcast);
        assert_int_equal(a->remove_foreign_addresses, b->remove_foreign_addresses);
        assert_int_equal(a->exit_on_link_removal, b->exit_on_link_removal);
        assert_true(a->initial_delay_usec == b->initial_delay_usec);
        assert_true(a->retransmit_initial_usec == b->retransmit_initial_usec);
        assert_true(a->retransmit_max_usec == b->retransmit_max_usec);
        assert_true(a->retransmit_jitter_usec == b->retransmit_jitter_usec);
        assert_true(a->reboot_timeout_usec == b->reboot_timeout_usec);
        assert_int_equal(a->request_max_attempts, b->request_max_attempts);
        assert_true(a->renew_retransmit_min_usec == b->renew_retransmit_min_usec);
        assert_true(a->decline_backoff_initial_usec == b->decline_backoff_initial_usec);
        assert_true(a->decline_backoff_max_usec == b->decline_backoff_max_usec);
        assert_true(a->decline_quarantine_usec == b->decline_quarantine_usec);
        assert_int_equal(a->use_gateway, b->use_gateway);
        assert_int_equal(a->use_routes, b->use_routes);
        assert_int_equal(a->route_metric, b->route_metric);
        assert_int_equal(a->multicast_route, b->multicast_route);
        assert_int_equal(a->multicast_route_metric, b->multicast_route_metric);
        assert_int_equal(a->multicast_route_prefix.address.s_addr, b->multicast_route_prefix.address.s_addr);
        assert_int_equal(a->multicast_route_prefix.prefixlen, b->multicast_route_prefix.prefixlen);
        assert_int_equal(a->acd.enabled, b->acd.enabled);
        assert_int_equal(a->acd.profile, b->acd.profile);
        assert_true(a->acd.probe_wait_usec == b->acd.probe_wait_usec);
        assert_int_equal(a->acd.probe_num, b->acd.probe_num);
        assert_true(a->acd.probe_min_usec == b->acd.probe_min_usec);
        assert_true(a->acd.probe_max_usec == b->acd.probe_max_usec);
        assert_true(a->acd.announce_wait_usec == b->acd.announce_wait_usec);
        assert_int_equal(a->acd.announce_num, b->acd.announce_num);
        assert_true(a->acd.announce_interval_usec == b->acd.announce_interval_usec);
        assert_true(a->acd.defend_interval_usec == b->acd.defend_interval_usec);
        assert_int_equal(a->dna.enabled, b->dna.enabled);
        assert_true(a->dna.probe_timeout_usec == b->dna.probe_timeout_usec);
        assert_int_equal(a->dna.probe_attempts, b->dna.probe_attempts);
        assert_true(a->dna.check_interval_usec == b->dna.check_interval_usec);
        assert_true(a->dna.check_holdoff_usec == b->dna.check_holdoff_usec);
        assert_int_equal(a->dna.confirm_burst, b->dna.confirm_burst);
        assert_true(a->dna.confirm_interval_usec == b->dna.confirm_interval_usec);
        assert_int_equal(a->dna.n_extra, b->dna.n_extra);
        assert_memory_equal(a->dna.extra, b->dna.extra, sizeof(a->dna.extra[0]) * a->dna.n_extra);
        assert_true(a->refuse_old_subnet_usec == b->refuse_old_subnet_usec);
        assert_int_equal(a->use_mtu, b->use_mtu);
        assert_int_equal(a->lease_export, b->lease_export);
        assert_string_equal(a->lease_export_path, b->lease_export_path);
        assert_int_equal(a->lease_export_max_blocks, b->lease_export_max_blocks);
}

static void parse_ok(Dhcp4Config *c, const char *text) {
        char err[256] = "unset";

        if (dhcp4_config_parse(c, text, strlen(text), err, sizeof(err)) != 0)
                fail_msg("refused: %s\n%s", err, text);
        assert_string_equal(err, "");
}

static void test_defaults(void **state) {
        Dhcp4Config c, d;
        Dhcp4EngineConfig e;

        dhcp4_config_init(&c);
        assert_string_equal(c.hostname, "");
        assert_false(c.request_broadcast);
        assert_true(c.remove_foreign_addresses);
        assert_false(c.exit_on_link_removal);
        assert_true(c.initial_delay_usec == 0);
        assert_true(c.retransmit_initial_usec == 1 * SEC);
        assert_true(c.retransmit_max_usec == 16 * SEC);
        assert_true(c.retransmit_jitter_usec == 100 * MS);
        assert_true(c.reboot_timeout_usec == 2 * SEC);
        assert_int_equal(c.request_max_attempts, 4);
        assert_true(c.renew_retransmit_min_usec == 10 * SEC);
        assert_true(c.decline_backoff_initial_usec == 1 * SEC);
        assert_true(c.decline_backoff_max_usec == 64 * SEC);
        assert_true(c.decline_quarantine_usec == 600 * SEC);
        assert_false(c.use_gateway);
        assert_false(c.use_routes);
        assert_int_equal(c.route_metric, 1024);
        assert_true(c.multicast_route);
        assert_int_equal(c.multicast_route_metric, 401);
        assert_int_equal(ntohl(c.multicast_route_prefix.address.s_addr), 0xe0000000);
        assert_int_equal(c.multicast_route_prefix.prefixlen, 4);
        assert_true(c.acd.enabled);
        assert_int_equal(c.acd.profile, DHCP4_ACD_PROFILE_DATACENTER);
        assert_string_equal(c.metrics_textfile_path, "");
        assert_true(c.acd.probe_wait_usec == 10 * MS);
        assert_int_equal(c.acd.probe_num, 3);
        assert_true(c.acd.probe_min_usec == 30 * MS);
        assert_true(c.acd.probe_max_usec == 50 * MS);
        assert_true(c.acd.announce_wait_usec == 80 * MS);
        assert_int_equal(c.acd.announce_num, 2);
        assert_true(c.acd.announce_interval_usec == 2 * SEC);
        assert_true(c.acd.defend_interval_usec == 10 * SEC);
        /* [Attachment]: on, fabric timings (docs/dna.md). */
        assert_true(c.dna.enabled);
        assert_true(c.dna.probe_timeout_usec == 50 * MS);
        assert_int_equal(c.dna.probe_attempts, 2);
        assert_true(c.dna.check_interval_usec == 1500 * MS);
        assert_true(c.dna.check_holdoff_usec == 250 * MS);
        assert_int_equal(c.dna.confirm_burst, 3);
        assert_true(c.dna.confirm_interval_usec == 30 * SEC);
        assert_int_equal(c.dna.n_extra, 0);
        assert_true(c.refuse_old_subnet_usec == 30 * SEC);
        /* MTU left alone; the lease exported where the distribution's dhclient keeps it. */
        assert_false(c.use_mtu);
        assert_true(c.lease_export);
        assert_string_equal(c.lease_export_path, "");
        assert_int_equal(c.lease_export_max_blocks, 10);
        /* The documented datacenter budget: worst-case probing ≤ 200 ms. */
        assert_true(c.acd.probe_wait_usec + (c.acd.probe_num - 1) * c.acd.probe_max_usec +
                            c.acd.announce_wait_usec <=
                    200 * MS);
        assert_int_equal(dhcp4_config_verify(&c, NULL, 0), 0);

        /* Empty text, whitespace and comments only: the defaults. */
        d = c;
        parse_ok(&d, "");
        assert_config_equal(&c, &d);
        parse_ok(&d, "\n\n   \n# comment\n; other comment\n\t# indented comment\n");
        assert_config_equal(&c, &d);
        assert_int_equal(dhcp4_config_parse(&d, NULL, 0, NULL, 0), 0);
        assert_config_equal(&c, &d);
        /* Sections without keys. */
        parse_ok(&d, "[DHCPv4]\n[Timing]\n[Routes]\n[ACD]\n");
        assert_config_equal(&c, &d);

        /* The engine gets the same timings. */
        memset(&e, 0xaa, sizeof(e));
        assert_int_equal(dhcp4_config_to_engine(&c, &e), 0);
        assert_true(e.initial_delay_usec == 0);
        assert_true(e.retransmit_initial_usec == 1 * SEC);
        assert_true(e.retransmit_max_usec == 16 * SEC);
        assert_true(e.retransmit_jitter_usec == 100 * MS);
        assert_true(e.reboot_timeout_usec == 2 * SEC);
        assert_int_equal(e.request_max_attempts, 4);
        assert_true(e.renew_retransmit_min_usec == 10 * SEC);
        assert_true(e.decline_backoff_initial_usec == 1 * SEC);
        assert_true(e.decline_backoff_max_usec == 64 * SEC);
        assert_true(e.decline_quarantine_usec == 600 * SEC);
        assert_string_equal(e.hostname, "");
        assert_false(e.broadcast_flag);
        assert_true(e.seed == 0);
        for (size_t i = 0; i < 6; i++)
                assert_int_equal(e.mac[i], 0);

        /* No drift from the engine's own defaults. */
        Dhcp4EngineConfig ref;
        dhcp4_engine_config_init(&ref);
        assert_int_equal(e.broadcast_flag, ref.broadcast_flag);
        assert_string_equal(e.hostname, ref.hostname);
        assert_true(e.initial_delay_usec == ref.initial_delay_usec);
        assert_true(e.retransmit_initial_usec == ref.retransmit_initial_usec);
        assert_true(e.retransmit_max_usec == ref.retransmit_max_usec);
        assert_true(e.retransmit_jitter_usec == ref.retransmit_jitter_usec);
        assert_true(e.reboot_timeout_usec == ref.reboot_timeout_usec);
        assert_int_equal(e.request_max_attempts, ref.request_max_attempts);
        assert_true(e.renew_retransmit_min_usec == ref.renew_retransmit_min_usec);
        assert_true(e.decline_backoff_initial_usec == ref.decline_backoff_initial_usec);
        assert_true(e.decline_backoff_max_usec == ref.decline_backoff_max_usec);
        assert_true(e.decline_quarantine_usec == ref.decline_quarantine_usec);
}

static const char every_key[] =
        "# every key, none at its default\n"
        "[DHCPv4]\n"
        "Hostname=node-7.infra\n"
        "RequestBroadcast=yes\n"
        "RemoveForeignAddresses=no\n"
        "ExitOnLinkRemoval=yes\n"
        "\n"
        "[Timing]\n"
        "InitialDelaySec=250ms\n"
        "RetransmitInitialSec=2s\n"
        "RetransmitMaxSec=1min\n"
        "RetransmitJitterSec=50ms\n"
        "RebootTimeoutSec=1.5s\n"
        "RequestMaxAttempts=7\n"
        "RenewRetransmitMinSec=60\n"
        "DeclineBackoffInitialSec=500ms\n"
        "DeclineBackoffMaxSec=2min\n"
        "DeclineQuarantineSec=1h\n"
        "\n"
        "[Routes]\n"
        "UseGateway=yes\n"
        "UseRoutes=true\n"
        "RouteMetric=300\n"
        "MulticastRoute=off\n"
        "MulticastRouteMetric=0\n"
        "MulticastRoutePrefix=239.0.0.0/8\n"
        "\n"
        "[ACD]\n"
        "Enabled=no\n"
        "Profile=rfc5227\n"
        "ProbeWaitSec=5ms\n"
        "ProbeNum=1\n"
        "ProbeMinSec=7ms\n"
        "ProbeMaxSec=9ms\n"
        "AnnounceWaitSec=11ms\n"
        "AnnounceNum=0\n"
        "AnnounceIntervalSec=13ms\n"
        "DefendIntervalSec=17s\n"
        "\n"
        "[Attachment]\n"
        "Detect=no\n"
        "ProbeTimeoutSec=20ms\n"
        "ProbeAttempts=3\n"
        "CheckIntervalSec=0\n"
        "CheckHoldoffSec=1s\n"
        "ConfirmBurst=5\n"
        "ConfirmIntervalSec=1min\n"
        "RefuseOldSubnetSec=0\n"
        "ExtraPeers=.30   10.0.0.99\n"
        "\n"
        "[Metrics]\n"
        "TextfilePath=/var/lib/prometheus/node-exporter/infradhcp-ens192.4093.prom\n"
        "[DHCPv4]\n"
        "UseMTU=yes\n"
        "[LeaseExport]\n"
        "Enabled=no\n"
        "Path=/var/lib/NetworkManager/dhclient-5b0a1d3e-ens192.4093.lease\n"
        "MaxBlocks=100\n";

static void test_every_key(void **state) {
        Dhcp4Config c;
        Dhcp4EngineConfig e;

        dhcp4_config_init(&c);
        parse_ok(&c, every_key);
        assert_string_equal(c.hostname, "node-7.infra");
        assert_true(c.request_broadcast);
        assert_false(c.remove_foreign_addresses);
        assert_true(c.exit_on_link_removal);
        assert_true(c.initial_delay_usec == 250 * MS);
        assert_true(c.retransmit_initial_usec == 2 * SEC);
        assert_true(c.retransmit_max_usec == 60 * SEC);
        assert_true(c.retransmit_jitter_usec == 50 * MS);
        assert_true(c.reboot_timeout_usec == 1500 * MS);
        assert_int_equal(c.request_max_attempts, 7);
        assert_true(c.renew_retransmit_min_usec == 60 * SEC);
        assert_true(c.decline_backoff_initial_usec == 500 * MS);
        assert_true(c.decline_backoff_max_usec == 120 * SEC);
        assert_true(c.decline_quarantine_usec == 3600 * SEC);
        assert_true(c.use_gateway);
        assert_true(c.use_routes);
        assert_int_equal(c.route_metric, 300);
        assert_false(c.multicast_route);
        assert_int_equal(c.multicast_route_metric, 0);
        assert_int_equal(ntohl(c.multicast_route_prefix.address.s_addr), 0xef000000);
        assert_int_equal(c.multicast_route_prefix.prefixlen, 8);
        assert_false(c.acd.enabled);
        assert_int_equal(c.acd.profile, DHCP4_ACD_PROFILE_RFC5227);
        /* Explicit values win over the profile. */
        assert_true(c.acd.probe_wait_usec == 5 * MS);
        assert_int_equal(c.acd.probe_num, 1);
        assert_true(c.acd.probe_min_usec == 7 * MS);
        assert_true(c.acd.probe_max_usec == 9 * MS);
        assert_true(c.acd.announce_wait_usec == 11 * MS);
        assert_int_equal(c.acd.announce_num, 0);
        assert_true(c.acd.announce_interval_usec == 13 * MS);
        assert_true(c.acd.defend_interval_usec == 17 * SEC);
        assert_false(c.dna.enabled);
        assert_true(c.dna.probe_timeout_usec == 20 * MS);
        assert_int_equal(c.dna.probe_attempts, 3);
        assert_true(c.dna.check_interval_usec == 0);
        assert_true(c.dna.check_holdoff_usec == 1 * SEC);
        assert_int_equal(c.dna.confirm_burst, 5);
        assert_true(c.dna.confirm_interval_usec == 60 * SEC);
        assert_true(c.refuse_old_subnet_usec == 0);
        assert_int_equal(c.dna.n_extra, 2);
        assert_true(c.dna.extra[0].relative);
        assert_int_equal(c.dna.extra[0].last_octet, 30);
        assert_false(c.dna.extra[1].relative);
        assert_int_equal(ntohl(c.dna.extra[1].address.s_addr), 0x0a000063);
        assert_string_equal(c.metrics_textfile_path, "/var/lib/prometheus/node-exporter/infradhcp-ens192.4093.prom");
        assert_true(c.use_mtu);
        assert_false(c.lease_export);
        assert_string_equal(c.lease_export_path, "/var/lib/NetworkManager/dhclient-5b0a1d3e-ens192.4093.lease");
        assert_int_equal(c.lease_export_max_blocks, 100);

        assert_int_equal(dhcp4_config_to_engine(&c, &e), 0);
        assert_true(e.confirm_refuse_usec == 0);
        assert_string_equal(e.hostname, "node-7.infra");
        assert_true(e.broadcast_flag);
        assert_true(e.initial_delay_usec == 250 * MS);
        assert_true(e.retransmit_initial_usec == 2 * SEC);
        assert_true(e.retransmit_max_usec == 60 * SEC);
        assert_true(e.retransmit_jitter_usec == 50 * MS);
        assert_true(e.reboot_timeout_usec == 1500 * MS);
        assert_int_equal(e.request_max_attempts, 7);
        assert_true(e.renew_retransmit_min_usec == 60 * SEC);
        assert_true(e.decline_backoff_initial_usec == 500 * MS);
        assert_true(e.decline_backoff_max_usec == 120 * SEC);
        assert_true(e.decline_quarantine_usec == 3600 * SEC);

        /* Empty assignments put every key back to its default. */
        static const char reset[] =
                "[DHCPv4]\nHostname=\nRequestBroadcast=\nRemoveForeignAddresses=\nExitOnLinkRemoval=\nUseMTU=\n"
                "[Timing]\nInitialDelaySec=\nRetransmitInitialSec=\nRetransmitMaxSec=\nRetransmitJitterSec=\n"
                "RebootTimeoutSec=\nRequestMaxAttempts=\nRenewRetransmitMinSec=\nDeclineBackoffInitialSec=\n"
                "DeclineBackoffMaxSec=\nDeclineQuarantineSec=\n"
                "[Routes]\nUseGateway=\nUseRoutes=\nRouteMetric=\nMulticastRoute=\nMulticastRouteMetric=\n"
                "MulticastRoutePrefix=\n"
                "[ACD]\nEnabled=\nProfile=\nProbeWaitSec=\nProbeNum=\nProbeMinSec=\nProbeMaxSec=\n"
                "AnnounceWaitSec=\nAnnounceNum=\nAnnounceIntervalSec=\nDefendIntervalSec=\n"
                "[Attachment]\nDetect=\nProbeTimeoutSec=\nProbeAttempts=\nCheckIntervalSec=\nCheckHoldoffSec=\n"
                "ConfirmBurst=\nConfirmIntervalSec=\nRefuseOldSubnetSec=\nExtraPeers=\n"
                "[Metrics]\nTextfilePath=\n"
                "[LeaseExport]\nEnabled=\nPath=\nMaxBlocks=\n";
        Dhcp4Config d;
        dhcp4_config_init(&d);
        parse_ok(&c, reset);
        assert_config_equal(&c, &d);
}

static void test_syntax_tolerance(void **state) {
        Dhcp4Config c, want;

        dhcp4_config_init(&want);
        want.use_gateway = true;
        want.route_metric = 5;
        want.acd.probe_num = 4;

        /* Whitespace around keys/values, CRLF line ends, no final newline, a section
         * given twice, the last assignment winning. */
        dhcp4_config_init(&c);
        parse_ok(&c, "  [Routes]  \r\n"
                     "\tUseGateway = yes \r\n"
                     "RouteMetric=7\n"
                     "[ACD]\n"
                     "ProbeNum=4\n"
                     "[Routes]\n"
                     "RouteMetric =5");
        assert_config_equal(&c, &want);

        /* Only len bytes count. */
        static const char text[] = "[Routes]\nUseGateway=yes\nRouteMetric=5\n[ACD]\nProbeNum=4\nBogus";
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_parse(&c, text, strlen(text) - 5, NULL, 0), 0);
        assert_config_equal(&c, &want);
}

static void test_profiles(void **state) {
        Dhcp4Config c;

        /* rfc5227: the RFC 5227 §1.1 constants. */
        dhcp4_config_init(&c);
        parse_ok(&c, "[ACD]\nProfile=rfc5227\n");
        assert_int_equal(c.acd.profile, DHCP4_ACD_PROFILE_RFC5227);
        assert_true(c.acd.enabled);
        assert_true(c.acd.probe_wait_usec == 1 * SEC);
        assert_int_equal(c.acd.probe_num, 3);
        assert_true(c.acd.probe_min_usec == 1 * SEC);
        assert_true(c.acd.probe_max_usec == 2 * SEC);
        assert_true(c.acd.announce_wait_usec == 2 * SEC);
        assert_int_equal(c.acd.announce_num, 2);
        assert_true(c.acd.announce_interval_usec == 2 * SEC);
        assert_true(c.acd.defend_interval_usec == 10 * SEC);

        /* An explicit key wins whatever the line order. */
        dhcp4_config_init(&c);
        parse_ok(&c, "[ACD]\nProbeNum=5\nProfile=rfc5227\n");
        assert_int_equal(c.acd.probe_num, 5);
        assert_true(c.acd.probe_wait_usec == 1 * SEC);
        dhcp4_config_init(&c);
        parse_ok(&c, "[ACD]\nProfile=rfc5227\nProbeNum=5\n");
        assert_int_equal(c.acd.probe_num, 5);
        assert_true(c.acd.probe_max_usec == 2 * SEC);

        /* An emptied key goes back to the profile's value. */
        dhcp4_config_init(&c);
        parse_ok(&c, "[ACD]\nAnnounceWaitSec=5s\nProfile=rfc5227\nAnnounceWaitSec=\n");
        assert_true(c.acd.announce_wait_usec == 2 * SEC);

        /* Back to datacenter. */
        parse_ok(&c, "[ACD]\nProfile=datacenter\n");
        assert_int_equal(c.acd.profile, DHCP4_ACD_PROFILE_DATACENTER);
        assert_true(c.acd.probe_max_usec == 50 * MS);

        /* Without Profile=, single keys change only themselves. */
        dhcp4_config_init(&c);
        parse_ok(&c, "[ACD]\nProbeMaxSec=60ms\n");
        assert_true(c.acd.probe_max_usec == 60 * MS);
        assert_true(c.acd.probe_min_usec == 30 * MS);

        assert_string_equal(dhcp4_acd_profile_to_string(DHCP4_ACD_PROFILE_DATACENTER), "datacenter");
        assert_string_equal(dhcp4_acd_profile_to_string(DHCP4_ACD_PROFILE_RFC5227), "rfc5227");
        assert_null(dhcp4_acd_profile_to_string(_DHCP4_ACD_PROFILE_MAX));
}

static void test_errors(void **state) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "[DHCPv4]\nUseGatway=yes\n", "line 2: unknown key UseGatway in [DHCPv4]" },
                { "[DHCPv4]\nUseGateway=yes\n", "line 2: unknown key UseGateway in [DHCPv4]" },
                { "\n# c\n[Routes]\n\nusegateway=yes\n", "line 5: unknown key usegateway in [Routes]" },
                { "[Route]\n", "line 1: unknown section [Route] (known: [DHCPv4], [Timing], [Routes], [ACD], "
                                "[Attachment], [Metrics], [LeaseExport])" },
                { "[dhcpv4]\n", "line 1: unknown section [dhcpv4] (known: [DHCPv4], [Timing], [Routes], [ACD], "
                                 "[Attachment], [Metrics], [LeaseExport])" },
                { "[LeaseExport]\nPath=var/lib/dhcp/x.leases\n",
                  "line 2: invalid Path=var/lib/dhcp/x.leases: expected an absolute file name of at most 255 bytes" },
                { "[LeaseExport]\nPath=/var/lib/dhcp/\n",
                  "line 2: invalid Path=/var/lib/dhcp/: expected an absolute file name of at most 255 bytes" },
                { "[LeaseExport]\nMaxBlocks=0\n", "line 2: invalid MaxBlocks=0: expected an integer between 1 and 100" },
                { "[DHCPv4]\nUseMTU=maybe\n", "line 2: invalid UseMTU=maybe: expected yes or no" },
                { "[Attachment]\nExtraPeers=.0\n", "line 2: invalid ExtraPeers= entry .0: expected .N (1..254, the "
                                                     "leased network with last octet N) or a.b.c.d" },
                { "[Attachment]\nExtraPeers=10.0.0.1 .x\n", "line 2: invalid ExtraPeers= entry .x: expected .N (1..254, "
                                                             "the leased network with last octet N) or a.b.c.d" },
                { "[Attachment]\nExtraPeers=10.0.0\n",
                  "line 2: invalid ExtraPeers= entry 10.0.0: expected .N or a.b.c.d" },
                { "[Attachment]\nExtraPeers=.1 .2 .3 .4 .5 .6 .7 .8 .9\n",
                  "line 2: ExtraPeers= names more than 8 peers" },
                { "[Attachment]\nProbeAttempts=0\n",
                  "line 2: invalid ProbeAttempts=0: expected an integer between 1 and 10" },
                { "[Attachment]\nConfirmIntervalSec=0\n",
                  "line 2: invalid ConfirmIntervalSec=0: expected a duration between 1s and 3600s "
                  "(e.g. \"250ms\", \"2s\", \"5min\")" },
                { "[Attachment]\nDetect=sometimes\n", "line 2: invalid Detect=sometimes: expected yes or no" },
                { "[DHCPv4\n", "line 1: malformed section header [DHCPv4" },
                { "[]\n", "line 1: malformed section header []" },
                { "UseGateway=yes\n", "line 1: UseGateway= outside of a section" },
                { "[Routes]\nUseGateway\n", "line 2: expected Key=value or [Section], got \"UseGateway\"" },
                { "[Routes]\n=yes\n", "line 2: missing key before '='" },
                { "[Routes]\nUseGateway=yes # default route\n",
                  "line 2: invalid UseGateway=yes # default route: expected yes or no" },
                { "[Routes]\nUseGateway=maybe\n", "line 2: invalid UseGateway=maybe: expected yes or no" },
                { "[Routes]\nRouteMetric=-1\n",
                  "line 2: invalid RouteMetric=-1: expected an integer between 0 and 4294967295" },
                { "[Routes]\nRouteMetric=4294967296\n",
                  "line 2: invalid RouteMetric=4294967296: expected an integer between 0 and 4294967295" },
                { "[Routes]\nMulticastRoutePrefix=224.0.0.0\n",
                  "line 2: invalid MulticastRoutePrefix=224.0.0.0: expected a.b.c.d/len" },
                { "[Routes]\nMulticastRoutePrefix=224.0.0.0/33\n",
                  "line 2: invalid MulticastRoutePrefix=224.0.0.0/33: expected a.b.c.d/len" },
                { "[Routes]\nMulticastRoutePrefix=224.0.0.1/4\n",
                  "line 2: invalid MulticastRoutePrefix=224.0.0.1/4: host bits set" },
                { "[Timing]\nRetransmitInitialSec=1x\n",
                  "line 2: invalid RetransmitInitialSec=1x: expected a duration between 1ms and 2592000s "
                  "(e.g. \"250ms\", \"2s\", \"5min\")" },
                { "[Timing]\nRetransmitInitialSec=0\n",
                  "line 2: invalid RetransmitInitialSec=0: expected a duration between 1ms and 2592000s "
                  "(e.g. \"250ms\", \"2s\", \"5min\")" },
                { "[Timing]\nDeclineQuarantineSec=31d\n",
                  "line 2: invalid DeclineQuarantineSec=31d: expected a duration between 0s and 2592000s "
                  "(e.g. \"250ms\", \"2s\", \"5min\")" },
                { "[Timing]\nRequestMaxAttempts=0\n",
                  "line 2: invalid RequestMaxAttempts=0: expected an integer between 1 and 1000" },
                { "[ACD]\nProbeNum=0\n", "line 2: invalid ProbeNum=0: expected an integer between 1 and 255" },
                { "[ACD]\nAnnounceNum=256\n", "line 2: invalid AnnounceNum=256: expected an integer between 0 and 255" },
                { "[ACD]\nProbeWaitSec=61s\n",
                  "line 2: invalid ProbeWaitSec=61s: expected a duration between 0s and 60s "
                  "(e.g. \"250ms\", \"2s\", \"5min\")" },
                { "[ACD]\nProfile=fast\n", "line 2: invalid Profile=fast: expected datacenter or rfc5227" },
                { "[ACD]\nProfile=RFC5227\n", "line 2: invalid Profile=RFC5227: expected datacenter or rfc5227" },
                { "[DHCPv4]\nHostname=bad_name\n",
                  "line 2: invalid Hostname=bad_name: expected a host name of at most 63 letters, digits, '-' and '.'" },
                { "[DHCPv4]\nHostname=-lead\n",
                  "line 2: invalid Hostname=-lead: expected a host name of at most 63 letters, digits, '-' and '.'" },
                { "[DHCPv4]\nHostname=a..b\n",
                  "line 2: invalid Hostname=a..b: expected a host name of at most 63 letters, digits, '-' and '.'" },
                { "[DHCPv4]\nHostname=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
                  "line 2: invalid Hostname=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: "
                  "expected a host name of at most 63 letters, digits, '-' and '.'" },
                { "[Metrics]\nTextfilePath=infradhcp.prom\n",
                  "line 2: invalid TextfilePath=infradhcp.prom: expected an absolute file name of at most 511 bytes" },
                { "[Metrics]\nTextfilePath=/var/lib/node-exporter/\n",
                  "line 2: invalid TextfilePath=/var/lib/node-exporter/: expected an absolute file name of at most "
                  "511 bytes" },
                { "[Metrics]\nTextfilePath=/\n",
                  "line 2: invalid TextfilePath=/: expected an absolute file name of at most 511 bytes" },
                { "[Metrics]\nTextfilePath=/a\tb\n",
                  "line 2: invalid TextfilePath=/a\tb: expected an absolute file name of at most 511 bytes" },
                { "[Metrics]\nPath=/x\n", "line 2: unknown key Path in [Metrics]" },
                /* Cross-key constraints. */
                { "[Timing]\nRetransmitInitialSec=20s\n",
                  "RetransmitInitialSec= (20s) is greater than RetransmitMaxSec= (16s)" },
                { "[Timing]\nRetransmitJitterSec=1s\n",
                  "RetransmitJitterSec= (1s) must be less than RetransmitInitialSec= (1s)" },
                { "[Timing]\nDeclineBackoffInitialSec=65s\n",
                  "DeclineBackoffInitialSec= (65s) is greater than DeclineBackoffMaxSec= (64s)" },
                { "[ACD]\nProbeMinSec=51ms\n", "[ACD] ProbeMinSec= (51ms) is greater than ProbeMaxSec= (50ms)" },
                { "[ACD]\nProfile=rfc5227\nProbeMaxSec=500ms\n",
                  "[ACD] ProbeMinSec= (1s) is greater than ProbeMaxSec= (500ms)" },
        };
        Dhcp4Config c, d;
        char err[512];

        dhcp4_config_init(&d);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                dhcp4_config_init(&c);
                memset(err, 0, sizeof(err));
                int r = dhcp4_config_parse(&c, cases[i].text, strlen(cases[i].text), err, sizeof(err));
                if (r != -EINVAL)
                        fail_msg("accepted (r=%d):\n%s", r, cases[i].text);
                assert_string_equal(err, cases[i].error);
                assert_config_equal(&c, &d); /* untouched */
                /* NULL/short error buffers are fine. */
                assert_int_equal(dhcp4_config_parse(&c, cases[i].text, strlen(cases[i].text), NULL, 0), -EINVAL);
                assert_int_equal(dhcp4_config_parse(&c, cases[i].text, strlen(cases[i].text), err, 5), -EINVAL);
                assert_int_equal(strlen(err), 4);
        }

        /* A textfile path that does not fit the field: refused, not cut. */
        {
                char text[700] = "[Metrics]\nTextfilePath=/";
                size_t n = strlen(text);

                memset(text + n, 'p', 511);
                text[n + 511] = '\n';
                text[n + 512] = '\0';
                dhcp4_config_init(&c);
                assert_int_equal(dhcp4_config_parse(&c, text, strlen(text), err, sizeof(err)), -EINVAL);
                assert_true(strncmp(err, "line 2: invalid TextfilePath=/ppp", 33) == 0);
                text[n + 510] = '\n';
                text[n + 511] = '\0';
                assert_int_equal(dhcp4_config_parse(&c, text, strlen(text), err, sizeof(err)), 0);
                assert_int_equal(strlen(c.metrics_textfile_path), 511);
        }

        /* A good key before the bad line is not applied either. */
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_parse(&c, "[Routes]\nUseGateway=yes\nFoo=1\n", strlen("[Routes]\nUseGateway=yes\nFoo=1\n"), err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "line 3: unknown key Foo in [Routes]");
        assert_false(c.use_gateway);

        /* NUL bytes and overlong lines. */
        static const char nul[] = "[Routes]\nUseGateway=y\0es\n";
        assert_int_equal(dhcp4_config_parse(&c, nul, sizeof(nul) - 1, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "line 2: NUL byte");
        char big[1100];
        memset(big, ' ', sizeof(big));
        memcpy(big, "[Routes]\n", 9);
        assert_int_equal(dhcp4_config_parse(&c, big, sizeof(big), err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "line 2: line too long (max 1023 bytes)");

        /* Key names are per section. */
        assert_int_equal(dhcp4_config_parse(&c, "[ACD]\nUseGateway=yes\n", strlen("[ACD]\nUseGateway=yes\n"), err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "line 2: unknown key UseGateway in [ACD]");
}

static void test_verify_and_engine(void **state) {
        Dhcp4Config c;
        Dhcp4EngineConfig e;
        char err[256];

        dhcp4_config_init(&c);
        c.multicast_route_prefix.address.s_addr = htonl(0xe0000001);
        assert_int_equal(dhcp4_config_verify(&c, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "MulticastRoutePrefix= has host bits set");
        assert_int_equal(dhcp4_config_to_engine(&c, &e), -EINVAL);

        dhcp4_config_init(&c);
        c.acd.profile = _DHCP4_ACD_PROFILE_MAX;
        assert_int_equal(dhcp4_config_verify(&c, err, sizeof(err)), -EINVAL);
        dhcp4_config_init(&c);
        strcpy(c.hostname, "a b");
        assert_int_equal(dhcp4_config_verify(&c, err, sizeof(err)), -EINVAL);
        dhcp4_config_init(&c);
        c.request_max_attempts = 0;
        assert_int_equal(dhcp4_config_verify(&c, err, sizeof(err)), -EINVAL);
        dhcp4_config_init(&c);
        c.reboot_timeout_usec = 0;
        assert_int_equal(dhcp4_config_verify(&c, err, sizeof(err)), -EINVAL);

        assert_int_equal(dhcp4_config_to_engine(NULL, &e), -EINVAL);
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_to_engine(&c, NULL), -EINVAL);
}

/* Several texts (a main file and its drop-ins) as one configuration: later texts win,
 * each starts outside of any section, an empty value resets, Profile= fills what no
 * text sets, cross-key checks hold for the result only, and an error names its text. */
static void test_texts(void **state) {
        Dhcp4Config c, before;
        char err[256];
        size_t failed;

#define T(s) { s, sizeof(s) - 1 }
        const Dhcp4ConfigText order[] = {
                T("[Routes]\nRouteMetric=1\nMulticastRouteMetric=7\n"),
                T("[Routes]\nRouteMetric=2\n"),
                T("[Routes]\nRouteMetric=3\nMulticastRouteMetric=\n"),
        };
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_parse_texts(&c, order, ELEMENTSOF(order), &failed, err, sizeof(err)), 0);
        assert_int_equal(c.route_metric, 3);
        assert_int_equal(c.multicast_route_metric, 401); /* reset by the last text */
        assert_int_equal(failed, ELEMENTSOF(order));

        /* The main file alone breaks RetransmitInitialSec <= RetransmitMaxSec; the
         * drop-in makes the whole consistent. */
        const Dhcp4ConfigText fixed[] = {
                T("[Timing]\nRetransmitInitialSec=20s\n"),
                T("[Timing]\nRetransmitMaxSec=40s\n"),
        };
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_parse_texts(&c, fixed, 2, &failed, err, sizeof(err)), 0);
        assert_true(c.retransmit_initial_usec == 20 * SEC && c.retransmit_max_usec == 40 * SEC);

        /* ... and the other way round it contradicts itself: no file to blame. */
        const Dhcp4ConfigText broken[] = {
                T("[Timing]\nRetransmitMaxSec=40s\n"),
                T("[Timing]\nRetransmitMaxSec=2s\nRetransmitInitialSec=20s\n"),
        };
        dhcp4_config_init(&c);
        before = c;
        assert_int_equal(dhcp4_config_parse_texts(&c, broken, 2, &failed, err, sizeof(err)), -EINVAL);
        assert_int_equal(failed, 2);
        assert_string_equal(err, "RetransmitInitialSec= (20s) is greater than RetransmitMaxSec= (2s)");
        assert_config_equal(&c, &before);

        /* A drop-in does not continue the section the previous text ended in. */
        const Dhcp4ConfigText nosection[] = {
                T("[Routes]\nRouteMetric=1\n"),
                T("# drop-in\nRouteMetric=2\n"),
        };
        assert_int_equal(dhcp4_config_parse_texts(&c, nosection, 2, &failed, err, sizeof(err)), -EINVAL);
        assert_int_equal(failed, 1);
        assert_string_equal(err, "line 2: RouteMetric= outside of a section");
        assert_config_equal(&c, &before);

        /* Errors carry the line within their own text. */
        const Dhcp4ConfigText typo[] = {
                T("[DHCPv4]\nHostname=a\n\n\n"),
                T("\n[Routes]\nUseGatway=yes\n"),
        };
        assert_int_equal(dhcp4_config_parse_texts(&c, typo, 2, &failed, err, sizeof(err)), -EINVAL);
        assert_int_equal(failed, 1);
        assert_string_equal(err, "line 3: unknown key UseGatway in [Routes]");

        /* Profile= in a drop-in keeps a value the main file set explicitly, and fills
         * the rest from the profile. */
        const Dhcp4ConfigText prof[] = {
                T("[ACD]\nProbeNum=5\n"),
                T("[ACD]\nProfile=rfc5227\n"),
        };
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_parse_texts(&c, prof, 2, &failed, err, sizeof(err)), 0);
        assert_int_equal(c.acd.probe_num, 5);
        assert_true(c.acd.probe_wait_usec == 1 * SEC);
        assert_true(c.acd.probe_max_usec == 2 * SEC);

        /* No texts: the configuration stays what it was; NULL checks. */
        dhcp4_config_init(&c);
        assert_int_equal(dhcp4_config_parse_texts(&c, NULL, 0, NULL, err, sizeof(err)), 0);
        assert_config_equal(&c, &before);
        assert_int_equal(dhcp4_config_parse_texts(NULL, order, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(dhcp4_config_parse_texts(&c, NULL, 1, NULL, NULL, 0), -EINVAL);
#undef T
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),         cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_syntax_tolerance), cmocka_unit_test(test_profiles),
                cmocka_unit_test(test_errors),           cmocka_unit_test(test_verify_and_engine),
                cmocka_unit_test(test_texts),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
