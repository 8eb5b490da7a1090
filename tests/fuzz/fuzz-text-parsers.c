/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for every text parser that reads a file or an API value: the
 * first byte picks the parser (mod 9), the rest is the text, passed with its exact
 * length in a buffer of exactly that size (not NUL-terminated, so ASan sees overreads).
 *   0 dhcp4_lease_file_parse      lease → format → parse gives the same lease and the
 *                                 same text; the dhclient block formats too
 *   1 dhcp4_policy_file_parse     same round trip; the engine accepts the policy
 *   2 dhcp4_config_parse          success: verify, to_engine, dhcp4_engine_new and
 *                                 dhcp4_acd_new accept it; failure: *c untouched, a message
 *   3 agent host-agent-config     success: every value within its documented bounds
 *   4 aci-pod annotation          0 exactly when not INVALID; SET: 1..32, host bits clear,
 *                                 format → parse round trip
 *   5 node-aci-pod annotation     same, without a prefix
 *   6 agent journal               parse → format → parse → format is stable
 *   7 opflex transforms           base and renderer: fail with a message, or leave the
 *                                 text as is (0), or (1) return JSON with the field set
 *                                 (strict JSON when the input was), which transforms to 0
 *                                 the second time
 *   8 platformconfig notification a named outcome or -EBADMSG; YES within max age; plus
 *                                 the timestamp parser's round trip through the formatter
 * Any violated invariant calls abort(). Test code only.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "agent-config.h"
#include "agent-journal.h"
#include "agent-opflex.h"
#include "agent-pod.h"
#include "dhcp4-acd.h"
#include "dhcp4-config.h"
#include "dhcp4-engine.h"
#include "dhcp4-lease-export.h"
#include "dhcp4-lease-file.h"
#include "fuzz-util.h"
#include "macro.h"
#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REALTIME UINT64_C(1757230000000000)

static void check_message(const char *err, size_t size) {
        CHECK(memchr(err, 0, size));
        CHECK(err[0] != '\0');
}

static void check_lease_equal(const Dhcp4Lease *a, const Dhcp4Lease *b) {
        CHECK(a->address.s_addr == b->address.s_addr && a->prefixlen == b->prefixlen);
        CHECK(a->server_id.s_addr == b->server_id.s_addr && a->broadcast.s_addr == b->broadcast.s_addr);
        CHECK(a->n_routers == b->n_routers && memcmp(a->routers, b->routers, 4 * a->n_routers) == 0);
        CHECK(a->n_dns == b->n_dns && memcmp(a->dns, b->dns, 4 * a->n_dns) == 0);
        CHECK(a->n_routes == b->n_routes);
        for (size_t i = 0; i < a->n_routes; i++)
                CHECK(a->routes[i].destination.s_addr == b->routes[i].destination.s_addr &&
                      a->routes[i].prefixlen == b->routes[i].prefixlen &&
                      a->routes[i].gateway.s_addr == b->routes[i].gateway.s_addr);
        CHECK(a->mtu == b->mtu);
        CHECK(strcmp(a->hostname, b->hostname) == 0 && strcmp(a->domain, b->domain) == 0);
        CHECK(a->lifetime == b->lifetime && a->t1 == b->t1 && a->t2 == b->t2);
        CHECK(a->acquired_usec == b->acquired_usec);
        CHECK(memcmp(a->client_id, b->client_id, LEASE_CLIENT_ID_LEN) == 0);
}

static void fuzz_lease_file(const char *text, size_t len) {
        char buf[DHCP4_LEASE_FILE_MAX], buf2[DHCP4_LEASE_FILE_MAX];
        Dhcp4Lease l, l2;
        Dhcp4LeaseStamp st, st2;
        const char *err = NULL;
        size_t n, n2;
        int r;

        r = dhcp4_lease_file_parse(text, len, &l, &st, &err);
        if (r < 0) {
                CHECK(r == -EBADMSG && err && err[0]);
                return;
        }
        CHECK(r == 0);
        CHECK(l.prefixlen <= 32 && l.lifetime > 0 && l.address.s_addr != 0 && l.server_id.s_addr != 0);
        CHECK(l.n_routers <= LEASE_MAX_ROUTERS && l.n_dns <= LEASE_MAX_DNS && l.n_routes <= LEASE_MAX_ROUTES);
        CHECK(memchr(l.hostname, 0, sizeof(l.hostname)) && memchr(l.domain, 0, sizeof(l.domain)));

        /* A boot id is either absent or valid, with its boot clock. */
        CHECK(st.boot_id[0] == '\0' ? st.boottime_usec == 0 : dhcp4_boot_id_valid(st.boot_id));
        CHECK(dhcp4_lease_file_format(&l, &st, buf, sizeof(buf), &n) == 0);
        CHECK(n == strlen(buf));
        CHECK(dhcp4_lease_file_parse(buf, n, &l2, &st2, &err) == 0);
        CHECK(st2.realtime_usec == st.realtime_usec && st2.boottime_usec == st.boottime_usec &&
              strcmp(st2.boot_id, st.boot_id) == 0);
        check_lease_equal(&l, &l2);
        CHECK(dhcp4_lease_file_format(&l2, &st2, buf2, sizeof(buf2), &n2) == 0);
        CHECK(n2 == n && memcmp(buf, buf2, n) == 0);

        r = dhcp4_lease_file_format_dhclient(&l, "eth0.4093", REALTIME, buf, sizeof(buf), &n);
        if (r < 0)
                fprintf(stderr, "dhclient format of a parsed lease: %s\n", strerror(-r));
        CHECK(r == 0);
        CHECK(n == strlen(buf) && n > 0);
}

static void fuzz_policy_file(const char *text, size_t len) {
        Dhcp4Subnet refuse[DHCP4_ENGINE_REFUSE_MAX], refuse2[DHCP4_ENGINE_REFUSE_MAX], require = {}, require2 = {};
        char buf[DHCP4_POLICY_FILE_MAX];
        size_t n_refuse = 0, n2 = 0, n;
        bool has_require = false, has2 = false;
        const char *err = NULL;
        Dhcp4Engine *e = NULL;
        Dhcp4EngineConfig c;
        int r;

        r = dhcp4_policy_file_parse(text, len, refuse, ELEMENTSOF(refuse), &n_refuse, &require, &has_require, &err);
        if (r < 0) {
                CHECK(r == -EBADMSG && err && err[0]);
                return;
        }
        CHECK(r == 0 && n_refuse <= ELEMENTSOF(refuse));
        for (size_t i = 0; i < n_refuse; i++)
                CHECK(refuse[i].prefixlen <= 32);
        if (has_require)
                CHECK(require.prefixlen <= 32);

        CHECK(dhcp4_policy_file_format(refuse, n_refuse, has_require ? &require : NULL, buf, sizeof(buf), &n) == 0);
        CHECK(dhcp4_policy_file_parse(buf, n, refuse2, ELEMENTSOF(refuse2), &n2, &require2, &has2, &err) == 0);
        CHECK(n2 == n_refuse && has2 == has_require);
        for (size_t i = 0; i < n_refuse; i++)
                CHECK(refuse[i].address.s_addr == refuse2[i].address.s_addr &&
                      refuse[i].prefixlen == refuse2[i].prefixlen);
        if (has_require)
                CHECK(require.address.s_addr == require2.address.s_addr && require.prefixlen == require2.prefixlen);

        /* What the daemon does with it at start. */
        dhcp4_engine_config_init(&c);
        c.mac[0] = 0x02;
        CHECK(dhcp4_engine_new(&e, &c) == 0);
        CHECK(dhcp4_engine_set_offer_policy(e, refuse, n_refuse, has_require ? &require : NULL) == 0);
        dhcp4_engine_free(e);
}

static void fuzz_config(const char *text, size_t len) {
        static const uint8_t mac[6] = { 0x02, 0, 0x5e, 1, 2, 3 };
        Dhcp4Config c, before;
        Dhcp4EngineConfig ec;
        Dhcp4Engine *e = NULL;
        Dhcp4Acd *acd = NULL;
        char err[256];
        int r;

        dhcp4_config_init(&c);
        memcpy(&before, &c, sizeof(c));
        err[0] = '\0';
        r = dhcp4_config_parse(&c, text, len, err, sizeof(err));
        if (r < 0) {
                CHECK(r == -EINVAL);
                CHECK(memcmp(&before, &c, sizeof(c)) == 0);
                check_message(err, sizeof(err));
                return;
        }
        CHECK(r == 0);
        CHECK(memchr(c.hostname, 0, sizeof(c.hostname)));
        CHECK(c.multicast_route_prefix.prefixlen <= 32);
        CHECK(dhcp4_config_verify(&c, err, sizeof(err)) == 0);
        CHECK(dhcp4_config_to_engine(&c, &ec) == 0);
        memcpy(ec.mac, mac, 6);
        CHECK(dhcp4_engine_new(&e, &ec) == 0);
        dhcp4_engine_free(e);
        CHECK(dhcp4_acd_new(&acd, &c.acd, mac, 1) == 0);
        dhcp4_acd_free(acd);
        CHECK(dhcp4_acd_profile_to_string(c.acd.profile));
}

static void fuzz_agent_config(const char *text, size_t len) {
        AgentConfig c;
        char err[512];
        int r;

        CHECK(agent_config_init(&c, "/var/lib/infradhcp", "/run/infradhcp") == 0);
        err[0] = '\0';
        r = agent_config_parse_host_agent(&c, text, len, "host-agent.conf", err, sizeof(err));
        if (r < 0) {
                CHECK(r == -EINVAL);
                check_message(err, sizeof(err));
        } else {
                CHECK(r == 0);
                CHECK(c.max_retries <= AGENT_MAX_RETRIES_MAX && c.delay_sec <= AGENT_DELAY_SEC_MAX);
                CHECK(c.infra_vlan >= 1 && c.infra_vlan <= 4094);
                CHECK(c.encap == AGENT_ENCAP_VXLAN || c.encap == AGENT_ENCAP_VLAN);
                CHECK(agent_encap_to_string(c.encap));
                CHECK(c.opflex_config_path && c.opflex_config_path[0] == '/');
        }
        agent_config_done(&c);
}

static void fuzz_pod(const char *text, size_t len, bool node) {
        char *s = fuzz_strndup((const uint8_t *) text, len), buf[AGENT_POD_STRING_MAX], pool[32];
        AgentPod p, p2;
        int r;

        r = node ? agent_node_pod_parse(s, &p) : agent_pod_parse(s, &p);
        CHECK((unsigned) p.kind < _AGENT_POD_KIND_MAX && agent_pod_kind_to_string(p.kind));
        CHECK((r == 0) == (p.kind != AGENT_POD_INVALID));
        CHECK(r == 0 || r == -EINVAL);
        CHECK(p.kind == AGENT_POD_NONE || p.kind == AGENT_POD_SET || p.kind == AGENT_POD_INVALID);
        CHECK(agent_pod_format(&p, buf, sizeof(buf)) == buf && memchr(buf, 0, sizeof(buf)));
        if (p.kind == AGENT_POD_SET) {
                if (node)
                        CHECK(p.prefixlen == 0 && p.network.s_addr == 0);
                else {
                        CHECK(p.prefixlen >= 1 && p.prefixlen <= 32);
                        CHECK((p.network.s_addr & ~agent_prefix_mask(p.prefixlen)) == 0);
                        CHECK(agent_pod_contains(&p, p.network));
                        CHECK(agent_pod_format_pool(&p, pool, sizeof(pool)) == pool);
                }
                CHECK((node ? agent_node_pod_parse(buf, &p2) : agent_pod_parse(buf, &p2)) == 0);
                CHECK(agent_pod_equal(&p, &p2));
        }
        free(s);
}

static void fuzz_journal(const char *text, size_t len) {
        AgentJournal j, j2;
        char err[256], *t1 = NULL, *t2 = NULL;
        int r;

        err[0] = '\0';
        r = agent_journal_parse(text, len, &j, err, sizeof(err));
        if (r < 0) {
                CHECK(r == -EBADMSG);
                check_message(err, sizeof(err));
                return;
        }
        CHECK(r == 0);
        CHECK(agent_journal_format(&j, &t1) >= 0 && t1);
        r = agent_journal_parse(t1, strlen(t1), &j2, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "formatted journal does not parse: %s\n%s", err, t1);
        CHECK(r == 0);
        CHECK(agent_journal_format(&j2, &t2) >= 0 && t2);
        CHECK(strcmp(t1, t2) == 0);
        free(t1);
        free(t2);
}

/* Strict parse (RFC 8259, UTF-8) of a whole text; NULL if it is not exactly one JSON
 * value followed by whitespace only (and a final newline when `newline`). */
static json_object *parse_strict(const char *s, size_t n, bool newline) {
        json_tokener *tok = json_tokener_new();
        json_object *o;
        size_t end;

        CHECK(tok);
        if (n == 0 || n > INT32_MAX) {
                json_tokener_free(tok);
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, s, (int) n);
        if (o && json_tokener_get_error(tok) == json_tokener_success) {
                /* json-c may or may not consume the whitespace after the value. */
                end = json_tokener_get_parse_end(tok);
                for (size_t i = end; i < n; i++)
                        if (!strchr(" \t\r\n", s[i]))
                                end = SIZE_MAX;
                if (end == SIZE_MAX || (newline && s[n - 1] != '\n')) {
                        json_object_put(o);
                        o = NULL;
                }
        } else {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

static json_object *get_path(json_object *o, const char *const *path, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, path[i], &o))
                        return NULL;
        return o;
}

/* The transforms read opflex-agent's files as leniently as json-c does by default
 * (comments, non-UTF-8 bytes are kept as they are); what they write must be strict
 * JSON whenever what they read was. */
static void check_transform_output(const char *in, size_t in_len, const char *out, const char *const *path,
                                   size_t n_path, const char *value) {
        json_object *o, *v, *orig;

        orig = parse_strict(in, in_len, false);
        o = parse_strict(out, strlen(out), true);
        if (orig && !o)
                fprintf(stderr, "transform of strict JSON wrote invalid JSON:\n%s", out);
        CHECK(o || !orig);
        json_object_put(orig);
        if (!o) {
                o = json_tokener_parse(out);
                CHECK(o);
        }
        v = get_path(o, path, n_path);
        if (!value) {
                /* base: opflex.peers = [{"hostname": "10.0.0.30", "port": "8009"}] */
                CHECK(v && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 1);
                v = json_object_array_get_idx(v, 0);
                CHECK(json_object_object_get_ex(v, "hostname", &v) &&
                      strcmp(json_object_get_string(v), "10.0.0.30") == 0);
        } else
                CHECK(v && json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), value) == 0);
        json_object_put(o);
}

static void fuzz_opflex(const char *text, size_t len) {
        static const char *const base_path[] = { "opflex", "peers" };
        static const char *const rend_path[] = { "renderers", "stitched-mode", "encap", "vxlan", "remote-ip" };
        char err[256], *out = NULL, *out2 = NULL;
        int r;

        err[0] = '\0';
        r = agent_opflex_base_transform(text, len, "10.0.0.30", &out, err, sizeof(err));
        CHECK(r == -EBADMSG || r == 0 || r == 1);
        if (r == -EBADMSG)
                check_message(err, sizeof(err));
        if (r == 1) {
                CHECK(out);
                check_transform_output(text, len, out, base_path, ELEMENTSOF(base_path), NULL);
                CHECK(agent_opflex_base_transform(out, strlen(out), "10.0.0.30", &out2, err, sizeof(err)) == 0);
                CHECK(!out2);
        }
        free(out);
        out = NULL;

        err[0] = '\0';
        r = agent_opflex_renderer_transform(text, len, "10.0.0.32", &out, err, sizeof(err));
        CHECK(r == -EBADMSG || r == 0 || r == 1);
        if (r == -EBADMSG)
                check_message(err, sizeof(err));
        if (r == 1) {
                CHECK(out);
                check_transform_output(text, len, out, rend_path, ELEMENTSOF(rend_path), "10.0.0.32");
                CHECK(agent_opflex_renderer_transform(out, strlen(out), "10.0.0.32", &out2, err, sizeof(err)) == 0);
                CHECK(!out2);
        }
        free(out);
}

static void fuzz_platformconfig(const char *text, size_t len) {
        const uint64_t now = REALTIME, max_age = 120 * USEC_PER_SEC;
        uint64_t t = 0, t2 = 0;
        char buf[32], *s;
        int r;

        r = agent_platformconfig_notifications_parse(text, len, now, max_age, &t);
        CHECK(r == AGENT_INTRA_POD_NO || r == AGENT_INTRA_POD_YES || r == -EBADMSG);
        if (r == AGENT_INTRA_POD_YES)
                CHECK((t <= now ? now - t : t - now) <= max_age);

        /* The timestamp grammar on its own: parse → format (ms) → parse. */
        s = fuzz_strndup((const uint8_t *) text, len);
        if (agent_timestamp_parse(s, &t) == 0) {
                CHECK(agent_timestamp_format(t, buf, sizeof(buf)) == buf);
                CHECK(agent_timestamp_parse(buf, &t2) == 0);
                CHECK(t2 == t - t % USEC_PER_MSEC);
        }
        free(s);
}

/* A dhclient lease file found at the export path (any content: dhclient's, an
 * operator's, garbage) updated with a new block: the update never fails on content,
 * the new block ends the file, and the result is itself a file the update reads back
 * with the same foreign blocks and one more block of ours. */
static void fuzz_dhclient_export(const char *text, size_t len) {
        static const char block[] = "lease {\n  interface \"eth0.4093\";\n  fixed-address 10.0.128.64;\n"
                                    "  renew never;\n  rebind never;\n  expire never;\n}\n";
        const uint64_t now = REALTIME / USEC_PER_SEC;
        Dhcp4LeaseExportStats st, st2;
        char *out = NULL, *out2 = NULL;
        size_t n, n2;
        int r;

        r = dhcp4_lease_export_update(text, len, "eth0.4093", block, sizeof(block) - 1, now, 4, &out, &n, &st);
        CHECK(r == 0);
        CHECK(n == strlen(out) && n >= sizeof(block) - 1);
        CHECK(memcmp(out + n - (sizeof(block) - 1), block, sizeof(block) - 1) == 0);
        CHECK(st.kept <= 3);
        CHECK(!st.corrupt || (st.kept == 0 && st.others == 0 && n == sizeof(block) - 1));

        r = dhcp4_lease_export_update(out, n, "eth0.4093", block, sizeof(block) - 1, now + 1, 4, &out2, &n2, &st2);
        CHECK(r == 0);
        CHECK(!st2.corrupt);
        CHECK(st2.others == st.others);
        CHECK(st2.kept + st2.dropped == st.kept + 1);
        CHECK(st2.kept <= 3);
        /* The newest block of the first update was moved back: it ended after now. */
        CHECK(st2.clamped >= 1);
        free(out);
        free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text;
        size_t len;

        if (size < 1 || size > 65536)
                return 0;
        len = size - 1;
        text = malloc(len > 0 ? len : 1); /* exact size, no NUL: ASan catches overreads */
        CHECK(text);
        if (len > 0)
                memcpy(text, data + 1, len);

        switch (data[0] % 10) {
        case 0:
                fuzz_lease_file(text, len);
                break;
        case 1:
                fuzz_policy_file(text, len);
                break;
        case 2:
                fuzz_config(text, len);
                break;
        case 3:
                fuzz_agent_config(text, len);
                break;
        case 4:
                fuzz_pod(text, len, false);
                break;
        case 5:
                fuzz_pod(text, len, true);
                break;
        case 6:
                fuzz_journal(text, len);
                break;
        case 7:
                fuzz_opflex(text, len);
                break;
        case 8:
                fuzz_platformconfig(text, len);
                break;
        default:
                fuzz_dhclient_export(text, len);
        }
        free(text);
        return 0;
}
