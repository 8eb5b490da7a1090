/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Journal (de)serialisation; see agent-journal.h. Every field is checked on input:
 * the file is ours, but a truncated or hand-edited one must not crash the agent.
 * Not here: file I/O and rules.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-journal.h"
#include "errmsg.h"
#include "macro.h"
#include "json-util.h"
#include "parse-util.h"
#include "string-table.h"

#define JSON_OUT_FORMAT (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *const agent_decision_table[_AGENT_DECISION_MAX] = {
        [AGENT_DECISION_NONE] = "none",
        [AGENT_DECISION_SKIPPED_INTRA_POD] = "skipped-intra-pod",
        [AGENT_DECISION_MIGRATING] = "migrating",
        [AGENT_DECISION_DONE] = "done",
};
static const char *const agent_migration_kind_table[_AGENT_MIGRATION_KIND_MAX] = {
        [AGENT_MIGRATION_NONE] = "none",
        [AGENT_MIGRATION_AWAY] = "away",
        [AGENT_MIGRATION_INTO] = "into",
        [AGENT_MIGRATION_DETECTED] = "detected",
};
static const char *const agent_result_table[_AGENT_RESULT_MAX] = {
        [AGENT_RESULT_NONE] = "none",         [AGENT_RESULT_IN_PROGRESS] = "in-progress",
        [AGENT_RESULT_RETRYING] = "retrying", [AGENT_RESULT_SUCCEEDED] = "succeeded",
        [AGENT_RESULT_SUPERSEDED] = "superseded",
};

DEFINE_STRING_TABLE_LOOKUP(agent_decision, AgentDecision)
DEFINE_STRING_TABLE_LOOKUP(agent_migration_kind, AgentMigrationKind)
DEFINE_STRING_TABLE_LOOKUP(agent_result, AgentResult)

void agent_journal_init(AgentJournal *j) {
        *j = (AgentJournal){ .last_pod.kind = AGENT_POD_UNKNOWN, .last_node_pod.kind = AGENT_POD_UNKNOWN };
}

bool agent_address_equal(const AgentAddress *a, const AgentAddress *b) {
        if (a->set != b->set)
                return false;
        return !a->set || (a->address.s_addr == b->address.s_addr && a->prefixlen == b->prefixlen);
}

char *agent_address_format(const AgentAddress *a, char *buf, size_t size) {
        char s[INET_ADDRSTRLEN];

        if (!a->set)
                snprintf(buf, size, "none");
        else
                snprintf(buf, size, "%s/%u", inet_ntop(AF_INET, &a->address, s, sizeof(s)), a->prefixlen);
        return buf;
}

char *agent_address_format_ip(const AgentAddress *a, char *buf, size_t size) {
        char s[INET_ADDRSTRLEN];

        snprintf(buf, size, "%s", a->set ? inet_ntop(AF_INET, &a->address, s, sizeof(s)) : "none");
        return buf;
}

/* ------------------------------------------------------------------------- */
/* Output */

static int add_str(json_object *o, const char *key, const char *s) {
        return json_add(o, key, json_object_new_string(s));
}

static int add_pod(json_object *o, const char *key, const AgentPod *p) {
        char buf[AGENT_POD_STRING_MAX];
        return add_str(o, key, agent_pod_format(p, buf, sizeof(buf)));
}

static int add_address(json_object *o, const char *key, const AgentAddress *a) {
        char buf[32];
        if (!a->set)
                return 0;
        return add_str(o, key, agent_address_format(a, buf, sizeof(buf)));
}

static int add_time(json_object *o, const char *key, uint64_t t) {
        if (t == 0)
                return 0;
        return json_add(o, key, json_object_new_int64((int64_t)MIN(t, (uint64_t)INT64_MAX)));
}

json_object *agent_timeline_to_json(const AgentTimeline *t) {
        json_object *o = json_object_new_object(), *ev;
        char pool[32];
        int r = 0;

        if (!o)
                return NULL;
        ev = json_object_new_array();
        if ((t->posted_started && json_append(ev, json_object_new_string("MigrationStarted")) < 0) ||
            (t->posted_failed && json_append(ev, json_object_new_string("MigrationFailed")) < 0) ||
            (t->posted_succeeded && json_append(ev, json_object_new_string("MigrationSucceeded")) < 0)) {
                json_object_put(ev);
                ev = NULL; /* json_add below fails with -ENOMEM */
        }
        if ((r = add_str(o, "kind", agent_migration_kind_to_string(t->kind))) < 0 ||
            (r = add_pod(o, "from", &t->from)) < 0 || (r = add_pod(o, "to", &t->to)) < 0 ||
            (r = add_str(o, "pool", agent_pod_format_pool(&t->pool, pool, sizeof(pool)))) < 0 ||
            (r = add_pod(o, "poolPod", &t->pool)) < 0 || (r = add_address(o, "oldAddress", &t->old_address)) < 0 ||
            (r = add_address(o, "newAddress", &t->new_address)) < 0 || (r = add_time(o, "started", t->started)) < 0 ||
            (r = add_time(o, "released", t->released)) < 0 || (r = add_time(o, "bound", t->bound)) < 0 ||
            (r = add_time(o, "filesWritten", t->files_written)) < 0 ||
            (r = add_time(o, "finished", t->finished)) < 0 ||
            (r = json_add(o, "calls", json_object_new_int((int)MIN(t->calls, (unsigned)INT32_MAX)))) < 0 ||
            (r = json_add(o, "failures", json_object_new_int((int)MIN(t->failures, (unsigned)INT32_MAX)))) < 0 ||
            (r = add_str(o, "result", agent_result_to_string(t->result))) < 0 || (r = json_add(o, "events", ev)) < 0 ||
            (t->error[0] && (r = add_str(o, "error", t->error)) < 0)) {
                json_object_put(o);
                return NULL;
        }
        if (t->started && t->finished >= t->started)
                json_add(o, "durationMs", json_object_new_int64((int64_t)((t->finished - t->started) / 1000)));
        return o;
}

int agent_journal_format(const AgentJournal *j, char **ret_text) {
        json_object *o = json_object_new_object();
        const char *s;
        size_t n;
        char *t;
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = json_add(o, "version", json_object_new_int(AGENT_JOURNAL_VERSION))) < 0 ||
            (r = add_pod(o, "lastPod", &j->last_pod)) < 0 ||
            (r = add_str(o, "decision", agent_decision_to_string(j->decision))) < 0 ||
            (r = add_pod(o, "lastNodePod", &j->last_node_pod)) < 0 ||
            (r = add_address(o, "opflexAddress", &j->opflex)) < 0 ||
            (j->migration.kind != AGENT_MIGRATION_NONE &&
             (r = json_add(o, "migration", agent_timeline_to_json(&j->migration))) < 0) ||
            (j->last.kind != AGENT_MIGRATION_NONE &&
             (r = json_add(o, "lastMigration", agent_timeline_to_json(&j->last))) < 0) ||
            (j->detected_from.kind == AGENT_POD_SET && ((r = add_pod(o, "detectedFrom", &j->detected_from)) < 0 ||
                                                        (r = add_time(o, "detectedAt", j->detected_at)) < 0)))
                goto fail;
        s = json_object_to_json_string_length(o, JSON_OUT_FORMAT, &n);
        if (!s || !(t = malloc(n + 2))) {
                r = -ENOMEM;
                goto fail;
        }
        memcpy(t, s, n);
        t[n] = '\n';
        t[n + 1] = '\0';
        json_object_put(o);
        *ret_text = t;
        return 0;
fail:
        json_object_put(o);
        return r;
}

/* ------------------------------------------------------------------------- */
/* Input */

typedef struct Ctx {
        char *err;
        size_t errlen;
} Ctx;

/* NULL when absent or null; -EBADMSG through *r when present with another type. */
static json_object *get(json_object *o, const char *key, json_type type, int *r, Ctx *c) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        if (!json_object_is_type(v, type)) {
                *r = errmsg(c->err, c->errlen, -EBADMSG, NULL, "%s: wrong type", key);
                return NULL;
        }
        return v;
}

static int get_pod(json_object *o, const char *key, bool node, AgentPod *ret, Ctx *c) {
        int r = 0, k;
        json_object *v = get(o, key, json_type_string, &r, c);
        const char *s;

        if (r < 0)
                return r;
        if (!v) {
                *ret = (AgentPod){ .kind = AGENT_POD_UNKNOWN };
                return 0;
        }
        s = json_object_get_string(v);
        k = agent_pod_kind_from_string(s);
        if (k >= 0 && k != AGENT_POD_SET && k != AGENT_POD_NONE) {
                *ret = (AgentPod){ .kind = k };
                return 0;
        }
        if ((node ? agent_node_pod_parse(s, ret) : agent_pod_parse(s, ret)) < 0)
                return errmsg(c->err, c->errlen, -EBADMSG, NULL, "%s: invalid pod '%s'", key, s);
        return 0;
}

static int get_address(json_object *o, const char *key, AgentAddress *ret, Ctx *c) {
        int r = 0;
        json_object *v = get(o, key, json_type_string, &r, c);

        if (r < 0)
                return r;
        *ret = (AgentAddress){};
        if (!v)
                return 0;
        if (parse_ipv4_prefix(json_object_get_string(v), &ret->address, &ret->prefixlen) < 0)
                return errmsg(c->err, c->errlen, -EBADMSG, NULL, "%s: invalid address", key);
        ret->set = true;
        return 0;
}

static int get_enum(json_object *o, const char *key, int (*from_string)(const char *), int *ret, Ctx *c) {
        int r = 0, k;
        json_object *v = get(o, key, json_type_string, &r, c);

        if (r < 0)
                return r;
        if (!v) {
                *ret = 0;
                return 0;
        }
        k = from_string(json_object_get_string(v));
        if (k < 0)
                return errmsg(c->err, c->errlen, -EBADMSG, NULL, "%s: unknown value '%s'", key,
                              json_object_get_string(v));
        *ret = k;
        return 0;
}

static int get_u64(json_object *o, const char *key, uint64_t *ret, Ctx *c) {
        int r = 0;
        json_object *v = get(o, key, json_type_int, &r, c);
        int64_t x;

        if (r < 0)
                return r;
        *ret = 0;
        if (!v)
                return 0;
        x = json_object_get_int64(v);
        if (x < 0)
                return errmsg(c->err, c->errlen, -EBADMSG, NULL, "%s: negative", key);
        *ret = (uint64_t)x;
        return 0;
}

static int get_unsigned(json_object *o, const char *key, unsigned *ret, Ctx *c) {
        uint64_t x;
        int r = get_u64(o, key, &x, c);

        if (r < 0)
                return r;
        if (x > UINT32_MAX)
                return errmsg(c->err, c->errlen, -EBADMSG, NULL, "%s: too large", key);
        *ret = (unsigned)x;
        return 0;
}

static int parse_timeline(json_object *o, AgentTimeline *t, Ctx *c) {
        json_object *v;
        int r = 0, k;

        *t = (AgentTimeline){};
        if ((r = get_enum(o, "kind", agent_migration_kind_from_string, &k, c)) < 0)
                return r;
        t->kind = k;
        if (t->kind == AGENT_MIGRATION_NONE)
                return errmsg(c->err, c->errlen, -EBADMSG, NULL, "migration: kind missing");
        if ((r = get_pod(o, "from", false, &t->from, c)) < 0 || (r = get_pod(o, "to", false, &t->to, c)) < 0 ||
            (r = get_pod(o, "poolPod", false, &t->pool, c)) < 0)
                return r;
        if (t->pool.kind != AGENT_POD_SET)
                return errmsg(c->err, c->errlen, -EBADMSG, NULL, "migration: poolPod must be a pod");
        if ((r = get_address(o, "oldAddress", &t->old_address, c)) < 0 ||
            (r = get_address(o, "newAddress", &t->new_address, c)) < 0 ||
            (r = get_u64(o, "started", &t->started, c)) < 0 || (r = get_u64(o, "released", &t->released, c)) < 0 ||
            (r = get_u64(o, "bound", &t->bound, c)) < 0 || (r = get_u64(o, "filesWritten", &t->files_written, c)) < 0 ||
            (r = get_u64(o, "finished", &t->finished, c)) < 0 || (r = get_unsigned(o, "calls", &t->calls, c)) < 0 ||
            (r = get_unsigned(o, "failures", &t->failures, c)) < 0)
                return r;
        if ((r = get_enum(o, "result", agent_result_from_string, &k, c)) < 0)
                return r;
        t->result = k;
        v = get(o, "events", json_type_array, &r, c);
        if (r < 0)
                return r;
        for (size_t i = 0; v && i < json_object_array_length(v); i++) {
                json_object *e = json_object_array_get_idx(v, i);
                const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
                if (strcmp(s, "MigrationStarted") == 0)
                        t->posted_started = true;
                else if (strcmp(s, "MigrationFailed") == 0)
                        t->posted_failed = true;
                else if (strcmp(s, "MigrationSucceeded") == 0)
                        t->posted_succeeded = true;
                else
                        return errmsg(c->err, c->errlen, -EBADMSG, NULL, "events: unknown event");
        }
        v = get(o, "error", json_type_string, &r, c);
        if (r < 0)
                return r;
        if (v)
                snprintf(t->error, sizeof(t->error), "%s", json_object_get_string(v));
        return 0;
}

int agent_journal_parse(const char *text, size_t len, AgentJournal *ret, char *err, size_t errlen) {
        Ctx c = { err, errlen };
        json_object *root = NULL, *v;
        AgentJournal j;
        int r = 0, k;

        if (len == 0 || len > AGENT_JOURNAL_SIZE_MAX)
                return errmsg(c.err, c.errlen, -EBADMSG, NULL, len == 0 ? "empty" : "too large");
        r = json_parse(text, len, JSON_PARSE_STRICT | JSON_PARSE_TRAILING_ANY, &root, NULL, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return errmsg(c.err, c.errlen, -EBADMSG, NULL, "invalid JSON (truncated?)");
        agent_journal_init(&j);
        if (!json_object_is_type(root, json_type_object)) {
                r = errmsg(c.err, c.errlen, -EBADMSG, NULL, "not a JSON object");
                goto finish;
        }
        v = get(root, "version", json_type_int, &r, &c);
        if (r < 0)
                goto finish;
        if (!v || json_object_get_int64(v) != AGENT_JOURNAL_VERSION) {
                r = errmsg(c.err, c.errlen, -EBADMSG, NULL, "version: expected %d", AGENT_JOURNAL_VERSION);
                goto finish;
        }
        if ((r = get_pod(root, "lastPod", false, &j.last_pod, &c)) < 0 ||
            (r = get_pod(root, "lastNodePod", true, &j.last_node_pod, &c)) < 0 ||
            (r = get_address(root, "opflexAddress", &j.opflex, &c)) < 0)
                goto finish;
        if ((r = get_enum(root, "decision", agent_decision_from_string, &k, &c)) < 0)
                goto finish;
        j.decision = k;
        v = get(root, "migration", json_type_object, &r, &c);
        if (r < 0 || (v && (r = parse_timeline(v, &j.migration, &c)) < 0))
                goto finish;
        v = get(root, "lastMigration", json_type_object, &r, &c);
        if (r < 0 || (v && (r = parse_timeline(v, &j.last, &c)) < 0))
                goto finish;
        if ((r = get_pod(root, "detectedFrom", false, &j.detected_from, &c)) < 0 ||
            (r = get_u64(root, "detectedAt", &j.detected_at, &c)) < 0)
                goto finish;
        if (j.detected_from.kind != AGENT_POD_SET)
                j.detected_from = (AgentPod){ .kind = AGENT_POD_UNKNOWN };
        *ret = j;
        r = 0;
finish:
        json_object_put(root);
        return r;
}
