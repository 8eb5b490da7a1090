/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests for agent-opflex: anycast addresses, the 01-base.conf / 10-renderer.conf
 * transforms (only the one field changes, every other field and the key order stay),
 * timestamps, the PlatformConfig files, and the file wrappers in a temporary directory.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "agent-opflex-files.h"
#include "agent-opflex.h"
#include "fileio.h"

static const char base_conf[] =
        "{\n"
        "    \"log\": {\"level\": \"debug2\"},\n"
        "    \"opflex\": {\n"
        "        \"name\": \"k8s-node-1\",\n"
        "        \"domain\": \"comp/prov-Kubernetes/ctrlr-[kube]-kube/sw-InsiemeLSOid\",\n"
        "        \"peers\": [\n"
        "            {\"hostname\": \"10.1.0.30\", \"port\": \"8009\"}\n"
        "        ],\n"
        "        \"ssl\": {\"mode\": \"encrypted\", \"ca-store\": \"/etc/ssl/certs/\"},\n"
        "        \"inspector\": {\"enabled\": true, \"socket-name\": \"/run/x.sock\"},\n"
        "        \"timers\": {\"switch-sync-delay\": 1.25, \"big\": 9007199254740993}\n"
        "    },\n"
        "    \"endpoint-sources\": {\"filesystem\": [\"/usr/local/var/lib/opflex-agent-ovs/endpoints\"]}\n"
        "}\n";

static const char renderer_conf[] =
        "{\n"
        "  \"renderers\": {\n"
        "    \"stitched-mode\": {\n"
        "      \"int-bridge-name\": \"br-int\",\n"
        "      \"encap\": {\n"
        "        \"vxlan\": {\n"
        "          \"encap-iface\": \"vxlan0\",\n"
        "          \"uplink-iface\": \"ens192.4093\",\n"
        "          \"uplink-vlan\": 4093,\n"
        "          \"remote-ip\": \"10.1.0.32\",\n"
        "          \"remote-port\": 8472\n"
        "        }\n"
        "      },\n"
        "      \"flowid-cache-dir\": \"/usr/local/var/lib/opflex-agent-ovs/ids\"\n"
        "    }\n"
        "  }\n"
        "}\n";

static json_object *parse(const char *s) {
        json_object *o = json_tokener_parse(s);
        assert_non_null(o);
        return o;
}

static void test_anycast(void **state) {
        struct in_addr a, p, r;
        char b1[16], b2[16];

        inet_pton(AF_INET, "10.0.128.64", &a);
        agent_anycast(a, 16, &p, &r);
        assert_string_equal(inet_ntop(AF_INET, &p, b1, sizeof(b1)), "10.0.0.30");
        assert_string_equal(inet_ntop(AF_INET, &r, b2, sizeof(b2)), "10.0.0.32");
        inet_pton(AF_INET, "10.1.0.57", &a);
        agent_anycast(a, 16, &p, &r);
        assert_string_equal(inet_ntop(AF_INET, &p, b1, sizeof(b1)), "10.1.0.30");
        inet_pton(AF_INET, "172.16.5.77", &a);
        agent_anycast(a, 24, &p, &r);
        assert_string_equal(inet_ntop(AF_INET, &p, b1, sizeof(b1)), "172.16.5.30");
        assert_string_equal(inet_ntop(AF_INET, &r, b2, sizeof(b2)), "172.16.5.32");
        /* /12: the network is 10.16.0.0 whatever the third octet of the address. */
        inet_pton(AF_INET, "10.17.200.9", &a);
        agent_anycast(a, 12, &p, &r);
        assert_string_equal(inet_ntop(AF_INET, &p, b1, sizeof(b1)), "10.16.0.30");
}

/* Every key path of a, in order, as one string: compares key order too. */
static void keys(json_object *o, char *buf, size_t size) {
        if (json_object_is_type(o, json_type_object)) {
                json_object_object_foreach(o, k, v) {
                        strncat(buf, k, size - strlen(buf) - 1);
                        strncat(buf, "{", size - strlen(buf) - 1);
                        keys(v, buf, size);
                        strncat(buf, "}", size - strlen(buf) - 1);
                }
        }
}

static void test_base_transform(void **state) {
        char *out = NULL, err[200] = "", k1[1024] = "", k2[1024] = "";
        json_object *a, *b, *peers, *v;

        assert_int_equal(agent_opflex_base_transform(base_conf, strlen(base_conf), "10.0.0.30", &out, err, sizeof(err)), 1);
        a = parse(base_conf);
        b = parse(out);
        assert_true(json_object_object_get_ex(json_object_object_get(b, "opflex"), "peers", &peers));
        assert_int_equal(json_object_array_length(peers), 1);
        v = json_object_array_get_idx(peers, 0);
        assert_string_equal(json_object_get_string(json_object_object_get(v, "hostname")), "10.0.0.30");
        assert_string_equal(json_object_get_string(json_object_object_get(v, "port")), "8009");
        /* Same keys in the same order; every other value equal. */
        keys(a, k1, sizeof(k1));
        keys(b, k2, sizeof(k2));
        assert_string_equal(k1, k2);
        json_object_object_del(json_object_object_get(a, "opflex"), "peers");
        json_object_object_del(json_object_object_get(b, "opflex"), "peers");
        assert_true(json_object_equal(a, b));
        /* Numbers keep their text: 1.25 and an integer past 2^53. */
        assert_non_null(strstr(out, "1.25"));
        assert_non_null(strstr(out, "9007199254740993"));
        assert_int_equal(out[strlen(out) - 1], '\n');
        json_object_put(a);
        json_object_put(b);

        /* Applied again: nothing to change. */
        {
                char *out2 = NULL;
                assert_int_equal(agent_opflex_base_transform(out, strlen(out), "10.0.0.30", &out2, err, sizeof(err)), 0);
                assert_null(out2);
        }
        free(out);
}

static void test_base_transform_shapes(void **state) {
        char *out = NULL, err[200];
        static const char several[] = "{\"opflex\":{\"peers\":[{\"hostname\":\"10.0.0.30\",\"port\":\"8009\"},"
                                      "{\"hostname\":\"10.0.0.31\",\"port\":\"8009\"}]}}";
        static const char no_peers[] = "{\"opflex\":{\"name\":\"n\"}}";

        /* Two peers, one of them right: replaced by exactly the one. */
        assert_int_equal(agent_opflex_base_transform(several, strlen(several), "10.0.0.30", &out, err, sizeof(err)), 1);
        assert_non_null(strstr(out, "10.0.0.30"));
        assert_null(strstr(out, "10.0.0.31"));
        free(out);
        out = NULL;
        assert_int_equal(agent_opflex_base_transform(no_peers, strlen(no_peers), "10.0.0.30", &out, err, sizeof(err)), 1);
        assert_non_null(strstr(out, "\"peers\""));
        free(out);
        out = NULL;

        err[0] = 0;
        assert_int_equal(agent_opflex_base_transform("{}", 2, "10.0.0.30", &out, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "opflex"));
        assert_int_equal(agent_opflex_base_transform("{\"opflex\":[]}", 13, "10.0.0.30", &out, err, sizeof(err)),
                         -EBADMSG);
        assert_int_equal(agent_opflex_base_transform("{\"opflex\":{}", 12, "10.0.0.30", &out, err, sizeof(err)),
                         -EBADMSG);
        assert_int_equal(agent_opflex_base_transform("{} {}", 5, "10.0.0.30", &out, err, sizeof(err)), -EBADMSG);
        assert_int_equal(agent_opflex_base_transform("", 0, "10.0.0.30", &out, err, sizeof(err)), -EBADMSG);
        /* Valid JSON that is not an object: said, and nothing leaks (ASan build). */
        err[0] = 0;
        assert_int_equal(agent_opflex_base_transform("[{\"opflex\":{}}]", 15, "10.0.0.30", &out, err, sizeof(err)),
                         -EBADMSG);
        assert_string_equal(err, "not a JSON object");
        assert_null(out);
}

static void test_renderer_transform(void **state) {
        char *out = NULL, err[200] = "", k1[1024] = "", k2[1024] = "";
        json_object *a, *b, *vx;

        assert_int_equal(agent_opflex_renderer_transform(renderer_conf, strlen(renderer_conf), "10.0.0.32", &out, err,
                                                         sizeof(err)),
                         1);
        a = parse(renderer_conf);
        b = parse(out);
        keys(a, k1, sizeof(k1));
        keys(b, k2, sizeof(k2));
        assert_string_equal(k1, k2);
        vx = json_object_object_get(
                json_object_object_get(json_object_object_get(json_object_object_get(b, "renderers"), "stitched-mode"),
                                       "encap"),
                "vxlan");
        assert_string_equal(json_object_get_string(json_object_object_get(vx, "remote-ip")), "10.0.0.32");
        json_object_object_add(vx, "remote-ip", json_object_new_string("10.1.0.32"));
        assert_true(json_object_equal(a, b));
        json_object_put(a);
        json_object_put(b);
        free(out);
        out = NULL;

        assert_int_equal(agent_opflex_renderer_transform(renderer_conf, strlen(renderer_conf), "10.1.0.32", &out, err,
                                                         sizeof(err)),
                         0);
        assert_null(out);
        /* vlan-encap style file without a vxlan section: an error naming the path. */
        static const char vlan[] = "{\"renderers\":{\"stitched-mode\":{\"encap\":{\"vlan\":{\"encap-iface\":\"x\"}}}}}";
        assert_int_equal(agent_opflex_renderer_transform(vlan, strlen(vlan), "10.0.0.32", &out, err, sizeof(err)),
                         -EBADMSG);
        assert_non_null(strstr(err, "renderers.stitched-mode.encap.vxlan"));
        err[0] = 0;
        assert_int_equal(agent_opflex_renderer_transform("\"x\"", 3, "10.0.0.32", &out, err, sizeof(err)), -EBADMSG);
        assert_string_equal(err, "not a JSON object");
        assert_null(out);
}

static void test_timestamps(void **state) {
        uint64_t t;
        char buf[32];

        assert_int_equal(agent_timestamp_parse("1970-01-01T00:00:00.000Z", &t), 0);
        assert_int_equal(t, 0);
        assert_int_equal(agent_timestamp_parse("2025-09-07T10:03:50.123Z", &t), 0);
        assert_int_equal(t, UINT64_C(1757239430123000));
        assert_string_equal(agent_timestamp_format(t, buf, sizeof(buf)), "2025-09-07T10:03:50.123Z");
        assert_int_equal(agent_timestamp_parse("2024-02-29T23:59:59Z", &t), 0);
        assert_string_equal(agent_timestamp_format(t, buf, sizeof(buf)), "2024-02-29T23:59:59.000Z");
        assert_int_equal(agent_timestamp_parse("2023-02-29T00:00:00.000Z", &t), -EINVAL);
        assert_int_equal(agent_timestamp_parse("2025-09-07 10:03:50.123Z", &t), -EINVAL);
        assert_int_equal(agent_timestamp_parse("2025-09-07T10:03:50.123", &t), -EINVAL);
        assert_int_equal(agent_timestamp_parse("2025-09-07T10:03:50.123+02:00", &t), -EINVAL);
        assert_int_equal(agent_timestamp_parse("2025-13-07T10:03:50.123Z", &t), -EINVAL);
        assert_int_equal(agent_timestamp_parse("2025-09-07T24:03:50.123Z", &t), -EINVAL);
        assert_int_equal(agent_timestamp_parse("2025-09-07T10:03:50.Z", &t), -EINVAL);
        assert_int_equal(agent_timestamp_parse("", &t), -EINVAL);
}

static void test_platformconfig(void **state) {
        const uint64_t now = UINT64_C(1757239430123000); /* 2025-09-07T10:03:50.123Z */
        const uint64_t max_age = 120 * UINT64_C(1000000);
        char *text = NULL;
        uint64_t ev = 0;
        json_object *o, *subs;

#define ONE(ts, st) "{\"uuid\":\"u\",\"events\":[{\"uri\":\"/PolicyUniverse/PlatformConfig/x/\",\"timestamp\":\"" ts "\",\"state\":\"" st "\"}]}"
        static const char fresh[] = ONE("2025-09-07T10:02:00.000Z", "deleted");
        static const char old[] = ONE("2025-09-07T10:01:50.000Z", "deleted");
        static const char edge[] = ONE("2025-09-07T10:01:50.123Z", "deleted");
        static const char created[] = ONE("2025-09-07T10:03:00.000Z", "created");
        static const char future[] = ONE("2025-09-07T10:04:30.000Z", "deleted");
        static const char badts[] = ONE("yesterday", "deleted");
        static const char two[] = "{\"events\":[{\"timestamp\":\"2025-09-07T10:03:00.000Z\",\"state\":\"deleted\"},"
                                  "{\"timestamp\":\"2025-09-07T10:03:10.000Z\",\"state\":\"deleted\"}]}";

        assert_int_equal(agent_platformconfig_notifications_parse(fresh, strlen(fresh), now, max_age, &ev),
                         AGENT_INTRA_POD_YES);
        assert_int_equal(ev, now - 110123000);
        assert_int_equal(agent_platformconfig_notifications_parse(edge, strlen(edge), now, max_age, NULL),
                         AGENT_INTRA_POD_YES);
        assert_int_equal(agent_platformconfig_notifications_parse(old, strlen(old), now, max_age, NULL),
                         AGENT_INTRA_POD_NO);
        assert_int_equal(agent_platformconfig_notifications_parse(created, strlen(created), now, max_age, NULL),
                         AGENT_INTRA_POD_NO);
        assert_int_equal(agent_platformconfig_notifications_parse(future, strlen(future), now, max_age, NULL),
                         AGENT_INTRA_POD_YES);
        assert_int_equal(agent_platformconfig_notifications_parse(two, strlen(two), now, max_age, NULL),
                         AGENT_INTRA_POD_NO);
        assert_int_equal(agent_platformconfig_notifications_parse("{\"events\":[]}", 13, now, max_age, NULL),
                         AGENT_INTRA_POD_NO);
        assert_int_equal(agent_platformconfig_notifications_parse(badts, strlen(badts), now, max_age, NULL), -EBADMSG);
        assert_int_equal(agent_platformconfig_notifications_parse("{\"events\":{}}", 13, now, max_age, NULL), -EBADMSG);
        assert_int_equal(agent_platformconfig_notifications_parse("nope", 4, now, max_age, NULL), -EBADMSG);
        assert_int_equal(agent_platformconfig_notifications_parse("[]", 2, now, max_age, NULL), -EBADMSG);

        assert_int_equal(agent_platformconfig_subscriptions_format("3f2504e0-4f89-11d3-9a0c-0305e82c3301", &text), 0);
        o = parse(text);
        assert_string_equal(json_object_get_string(json_object_object_get(o, "uuid")),
                            "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
        assert_string_equal(json_object_get_string(json_object_object_get(o, "time-zone")), "UTC");
        assert_string_equal(json_object_get_string(json_object_object_get(o, "time-format")), "ISO8601");
        subs = json_object_object_get(o, "subscriptions");
        assert_int_equal(json_object_array_length(subs), 1);
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(subs, 0), "subject")),
                            "PlatformConfig");
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(subs, 0), "state")),
                            "deleted");
        assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(subs, 0), "type")),
                            "class");
        json_object_put(o);
        free(text);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        assert_int_equal(write_file_atomic(path, text, strlen(text), mode), 0);
}

static void test_files(void **state) {
        char dir[] = "/tmp/test-agent-opflex-XXXXXX", path[256], *text = NULL;
        AgentOpflexResult res;
        struct in_addr a;
        struct stat st1, st2;
        size_t len;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/01-base.conf", dir);
        write_text(path, base_conf, 0600);
        snprintf(path, sizeof(path), "%s/10-renderer.conf", dir);
        write_text(path, renderer_conf, 0640);

        inet_pton(AF_INET, "10.0.0.112", &a);
        assert_int_equal(agent_opflex_apply(dir, AGENT_ENCAP_VXLAN, a, 16, &res), 2);
        assert_int_equal(res.base, 1);
        assert_int_equal(res.renderer, 1);
        snprintf(path, sizeof(path), "%s/01-base.conf", dir);
        assert_int_equal(stat(path, &st1), 0);
        assert_int_equal(st1.st_mode & 07777, 0600); /* same mode */
        assert_int_equal(read_file_full(path, 1 << 20, &text, &len), 0);
        assert_non_null(strstr(text, "10.0.0.30"));
        free(text);
        snprintf(path, sizeof(path), "%s/10-renderer.conf", dir);
        assert_int_equal(stat(path, &st2), 0);
        assert_int_equal(st2.st_mode & 07777, 0640);

        /* Unchanged: not rewritten (same inode: no rename happened). */
        assert_int_equal(agent_opflex_apply(dir, AGENT_ENCAP_VXLAN, a, 16, &res), 0);
        assert_int_equal(stat(path, &st1), 0);
        assert_int_equal(st1.st_ino, st2.st_ino);

        /* vlan encap: the renderer file is left alone. */
        inet_pton(AF_INET, "10.1.0.9", &a);
        assert_int_equal(agent_opflex_apply(dir, AGENT_ENCAP_VLAN, a, 16, &res), 1);
        assert_int_equal(res.renderer, 0);
        assert_int_equal(stat(path, &st1), 0);
        assert_int_equal(st1.st_ino, st2.st_ino);

        /* Missing file: error named, the other file still handled. */
        snprintf(path, sizeof(path), "%s/01-base.conf", dir);
        unlink(path);
        assert_int_equal(agent_opflex_apply(dir, AGENT_ENCAP_VXLAN, a, 16, &res), -ENOENT);
        assert_int_equal(res.renderer, 1);
        assert_non_null(strstr(res.error, "01-base.conf"));

        /* reset.conf: parent created, 0644, timestamp content. */
        snprintf(path, sizeof(path), "%s/reboot-conf.d/reset.conf", dir);
        assert_int_equal(agent_reset_conf_write(path, UINT64_C(1757239430123000)), 0);
        assert_int_equal(stat(path, &st1), 0);
        assert_int_equal(st1.st_mode & 07777, 0644);
        assert_int_equal(read_file_full(path, 1024, &text, &len), 0);
        assert_string_equal(text, "2025-09-07T10:03:50.123Z\n");
        free(text);

        /* Events dir: subscription written, notification checked. */
        snprintf(path, sizeof(path), "%s/events", dir);
        assert_int_equal(agent_platformconfig_check(path, 0, 1, NULL), AGENT_INTRA_POD_NO); /* no file */
        assert_int_equal(agent_platformconfig_subscribe(path, "u-1"), 0);
        snprintf(path, sizeof(path), "%s/events/platformconfig.subscriptions", dir);
        assert_int_equal(access(path, R_OK), 0);
        snprintf(path, sizeof(path), "%s/events/platformconfig.notifications", dir);
        write_text(path, "{\"events\":[{\"timestamp\":\"2025-09-07T10:03:00.000Z\",\"state\":\"deleted\"}]}", 0644);
        snprintf(path, sizeof(path), "%s/events", dir);
        assert_int_equal(agent_platformconfig_check(path, UINT64_C(1757239430123000), 120000000, NULL),
                         AGENT_INTRA_POD_YES);

        {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                assert_int_equal(system(cmd), 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_anycast),
                cmocka_unit_test(test_base_transform),
                cmocka_unit_test(test_base_transform_shapes),
                cmocka_unit_test(test_renderer_transform),
                cmocka_unit_test(test_timestamps),
                cmocka_unit_test(test_platformconfig),
                cmocka_unit_test(test_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
