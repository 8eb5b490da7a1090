/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * host-agent-config parser and agent option defaults; see agent-config.h.
 * Not here: reading the file or the command line (infradhcp-agent.c).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent-config.h"
#include "errmsg.h"
#include "json-util.h"
#include "macro.h"

const char *agent_encap_to_string(AgentEncap e) {
        return e == AGENT_ENCAP_VLAN ? "vlan" : "vxlan";
}

int agent_config_set_string(char **field, const char *value) {
        char *s = NULL;

        if (value) {
                s = strdup(value);
                if (!s)
                        return -ENOMEM;
        }
        free(*field);
        *field = s;
        return 0;
}

int agent_config_init(AgentConfig *c, const char *state_dir, const char *runtime_dir) {
        *c = (AgentConfig){
                .max_retries = AGENT_DEFAULT_MAX_RETRIES,
                .delay_sec = AGENT_DEFAULT_DELAY_SEC,
                .infra_vlan = AGENT_DEFAULT_INFRA_VLAN,
                .encap = AGENT_ENCAP_VXLAN,
                .intra_pod_max_age_sec = AGENT_DEFAULT_INTRA_POD_MAX_AGE_SEC,
        };
        if (agent_config_set_string(&c->opflex_config_path, AGENT_DEFAULT_OPFLEX_CONFIG_PATH) < 0 ||
            agent_config_set_string(&c->reset_conf, AGENT_DEFAULT_RESET_CONF) < 0 ||
            agent_config_set_string(&c->events_dir, AGENT_DEFAULT_EVENTS_DIR) < 0 ||
            agent_config_set_string(&c->state_dir, state_dir) < 0 ||
            agent_config_set_string(&c->runtime_dir, runtime_dir) < 0) {
                agent_config_done(c);
                return -ENOMEM;
        }
        return 0;
}

void agent_config_done(AgentConfig *c) {
        free(c->opflex_config_path);
        free(c->node);
        free(c->interface);
        free(c->kubeconfig);
        free(c->state_dir);
        free(c->runtime_dir);
        free(c->reset_conf);
        free(c->events_dir);
        *c = (AgentConfig){};
}

/* Returns the value of key, or NULL when absent or JSON null (both: keep the default). */
static json_object *get_key(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return v;
}

static int get_bool(json_object *o, const char *key, bool *ret, const char *path, char *err, size_t errlen) {
        json_object *v = get_key(o, key);

        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return errmsg(err, errlen, -EINVAL, path, "%s: expected true or false", key);
        *ret = json_object_get_boolean(v);
        return 0;
}

static int get_uint(json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret, const char *path,
                    char *err, size_t errlen) {
        json_object *v = get_key(o, key);
        int64_t x;

        if (!v)
                return 0;
        /* json-c gives numbers beyond int64 as int64 limits with errno set; an integer of
         * that size is out of any range here anyway. Doubles ("5.0") are not integers. */
        if (!json_object_is_type(v, json_type_int))
                return errmsg(err, errlen, -EINVAL, path, "%s: expected an integer", key);
        errno = 0;
        x = json_object_get_int64(v);
        if (errno != 0 || x < min || x > max)
                return errmsg(err, errlen, -EINVAL, path, "%s: %s out of range %" PRId64 "..%" PRId64, key,
                              json_object_to_json_string(v), min, max);
        *ret = x;
        return 0;
}

int agent_config_parse_host_agent(AgentConfig *c, const char *text, size_t len, const char *path, char *err,
                                  size_t errlen) {
        json_object *root = NULL, *v;
        const char *why;
        size_t at;
        int64_t x;
        int r = -EINVAL;

        if (!path)
                path = "host-agent-config";
        if (len > AGENT_CONFIG_SIZE_MAX)
                return errmsg(err, errlen, -EINVAL, path, "file larger than %u bytes", AGENT_CONFIG_SIZE_MAX);
        if (len == 0)
                return errmsg(err, errlen, -EINVAL, path, "empty file (expected a JSON object)");
        /* Trailing whitespace (a final newline) but nothing else. */
        r = json_parse(text, len, JSON_PARSE_STRICT, &root, &why, &at);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return at > 0 ? errmsg(err, errlen, -EINVAL, path, "trailing data after the JSON object at byte %zu",
                                       at)
                              : errmsg(err, errlen, -EINVAL, path, "invalid JSON: %s", why);
        if (!json_object_is_type(root, json_type_object)) {
                r = errmsg(err, errlen, -EINVAL, path, "expected a JSON object");
                goto finish;
        }

        if ((r = get_bool(root, "aci-multipod", &c->multipod, path, err, errlen)) < 0 ||
            (r = get_bool(root, "enable-opflex-agent-reconnect", &c->reconnect, path, err, errlen)) < 0)
                goto finish;
        x = c->max_retries;
        if ((r = get_uint(root, "dhcp-renew-max-retry-count", 0, AGENT_MAX_RETRIES_MAX, &x, path, err, errlen)) < 0)
                goto finish;
        c->max_retries = (unsigned)x;
        x = c->delay_sec;
        if ((r = get_uint(root, "dhcp-delay", 0, AGENT_DELAY_SEC_MAX, &x, path, err, errlen)) < 0)
                goto finish;
        c->delay_sec = (unsigned)x;
        x = c->infra_vlan;
        if ((r = get_uint(root, "aci-infra-vlan", 1, 4094, &x, path, err, errlen)) < 0)
                goto finish;
        c->infra_vlan = (uint16_t)x;

        v = get_key(root, "encap-type");
        if (v) {
                const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
                if (s && strcmp(s, "vxlan") == 0)
                        c->encap = AGENT_ENCAP_VXLAN;
                else if (s && strcmp(s, "vlan") == 0)
                        c->encap = AGENT_ENCAP_VLAN;
                else {
                        r = errmsg(err, errlen, -EINVAL, path, "encap-type: expected \"vxlan\" or \"vlan\", got %s",
                                   json_object_to_json_string(v));
                        goto finish;
                }
        }
        v = get_key(root, "opflex-config-path");
        if (v) {
                const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
                if (!s || s[0] != '/' || (size_t)json_object_get_string_len(v) != strlen(s)) {
                        r = errmsg(err, errlen, -EINVAL, path, "opflex-config-path: expected an absolute path");
                        goto finish;
                }
                r = agent_config_set_string(&c->opflex_config_path, s);
                if (r < 0)
                        goto finish;
        }
        r = 0;
finish:
        json_object_put(root);
        return r;
}
