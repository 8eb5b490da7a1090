/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's persisted progress (<state-dir>/agent.json): the last pod the node was
 * verified in, the decision taken for the current aci-pod → none transition, the
 * migration in flight (if any) with its timeline, the last node-aci-pod value, the
 * address the opflex files were last written for, and the last finished migration.
 * Pure: JSON text <-> struct. The daemon writes it atomically (write_file_atomic).
 *
 * Not here: any rule (agent-reconcile). A journal that does not parse is reported by
 * the caller and replaced by an empty one: reconcile is level-triggered, so at worst a
 * pod → none transition seen before is decided again.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "agent-pod.h"

#define AGENT_JOURNAL_VERSION 1
#define AGENT_JOURNAL_SIZE_MAX (256U * 1024U)
#define AGENT_JOURNAL_ERROR_MAX 256

typedef enum AgentDecision {
        AGENT_DECISION_NONE,              /* no pod → none transition pending */
        AGENT_DECISION_SKIPPED_INTRA_POD, /* the PlatformConfig event said: same pod */
        AGENT_DECISION_MIGRATING,         /* migrating away from the last pod */
        AGENT_DECISION_DONE,              /* the address is outside the last pod's pool */
        _AGENT_DECISION_MAX,
} AgentDecision;

typedef enum AgentMigrationKind {
        AGENT_MIGRATION_NONE,
        AGENT_MIGRATION_AWAY, /* refuse the old pod's pool */
        AGENT_MIGRATION_INTO, /* require the new pod's pool */
        AGENT_MIGRATION_DETECTED, /* infradhcpd moved the node on its own (RFC 4436 attachment
                                   * detection): verified outside the old pod's pool */
        _AGENT_MIGRATION_KIND_MAX,
} AgentMigrationKind;

typedef enum AgentResult {
        AGENT_RESULT_NONE,
        AGENT_RESULT_IN_PROGRESS,
        AGENT_RESULT_RETRYING,   /* a call failed; retrying at a capped interval (Degraded) */
        AGENT_RESULT_SUCCEEDED,
        AGENT_RESULT_SUPERSEDED, /* the annotation changed before it finished */
        _AGENT_RESULT_MAX,
} AgentResult;

typedef struct AgentAddress {
        bool set;
        struct in_addr address;
        uint8_t prefixlen;
} AgentAddress;

/* Timestamps are CLOCK_REALTIME usec, 0 = not (yet) reached. */
typedef struct AgentTimeline {
        AgentMigrationKind kind;
        AgentPod from;           /* aci-pod before the change (AWAY: the old pod) */
        AgentPod to;             /* aci-pod after the change (none, or the new pod) */
        AgentPod pool;           /* AWAY: refused pool; INTO: required pool */
        AgentAddress old_address;
        AgentAddress new_address;
        uint64_t started, released, bound, files_written, finished;
        unsigned calls;          /* ReleaseAndRenew calls made */
        unsigned failures;       /* calls that failed */
        AgentResult result;
        bool posted_started, posted_failed, posted_succeeded; /* Events sent (once each) */
        char error[AGENT_JOURNAL_ERROR_MAX]; /* last failure */
} AgentTimeline;

typedef struct AgentJournal {
        AgentPod last_pod;       /* last aci-pod pod-X the address was verified in */
        AgentDecision decision;
        AgentPod last_node_pod;  /* node-aci-pod as last seen */
        AgentAddress opflex;     /* address the opflex files were last written for */
        AgentTimeline migration; /* in flight when kind != NONE */
        AgentTimeline last;      /* the last migration that ended */
        /* infradhcpd detected that the node left this pod while aci-pod still names it:
         * the controller has not caught up yet (it flips aci-pod 25 s after the move). */
        AgentPod detected_from;  /* kind SET while so */
        uint64_t detected_at;    /* CLOCK_REALTIME usec */
} AgentJournal;

void agent_journal_init(AgentJournal *j);

/* Parses journal text. On failure returns -EBADMSG with a one-line reason in err and
 * leaves *ret untouched. */
int agent_journal_parse(const char *text, size_t len, AgentJournal *ret, char *err, size_t errlen);
/* Formats the journal (pretty JSON with a final newline). */
int agent_journal_format(const AgentJournal *j, char **ret_text);

/* A timeline as a JSON object (also served by GetStatus); NULL on ENOMEM. */
json_object *agent_timeline_to_json(const AgentTimeline *t);

/* Names in the journal file; NULL for an invalid value. from_string: the value or -EINVAL. */
const char *agent_decision_to_string(AgentDecision d);
int agent_decision_from_string(const char *s);
const char *agent_migration_kind_to_string(AgentMigrationKind k);
int agent_migration_kind_from_string(const char *s);
const char *agent_result_to_string(AgentResult r);
int agent_result_from_string(const char *s);

bool agent_address_equal(const AgentAddress *a, const AgentAddress *b);
/* "a.b.c.d/len" or "none"; buf >= 19 bytes. */
char *agent_address_format(const AgentAddress *a, char *buf, size_t size);
/* "a.b.c.d" or "none"; buf >= 16 bytes. */
char *agent_address_format_ip(const AgentAddress *a, char *buf, size_t size);
