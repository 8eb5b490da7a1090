/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcp-agent: drives the ACI multipod migration flow on one node.
 *
 *   infradhcp-agent --node NAME [--host-agent-config FILE] [--interface IF]
 *       [--kubeconfig FILE] [--state-dir DIR] [--runtime-dir DIR]
 *       [--opflex-config-path DIR] [--reset-conf FILE] [--opflex-events-dir DIR]
 *       [--metrics-address ADDR:PORT]
 *
 * This file is the I/O around the pure reconcile step (agent-reconcile.c): it watches
 * the Node (src/kube), the interface's addresses (rtnetlink monitor), calls infradhcpd
 * (async varlink), and carries out the actions the step returns. Every input wakes
 * one coalesced reconcile (a defer source); nothing is polled.
 * Not here: any decision (agent-reconcile), file formats (agent-opflex, agent-journal).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "agent-config.h"
#include "agent-http.h"
#include "agent-journal.h"
#include "agent-metrics.h"
#include "agent-opflex-files.h"
#include "agent-opflex.h"
#include "agent-pod.h"
#include "agent-reconcile.h"
#include "capability-util.h"
#include "config.h"
#include "fileio.h"
#include "io.infradhcp.Agent.varlink.h"
#include "json-util.h"
#include "kube.h"
#include "log.h"
#include "parse-util.h"
#include "rtnl.h"
#include "time-util.h"
#include "varlink.h"

#define CLIENT_SOCKET "io.infradhcp.Client"
#define AGENT_SOCKET_DIR "agent"
#define AGENT_SOCKET "io.infradhcp.Agent"
#define JOURNAL_NAME "agent.json"
/* Per ReleaseAndRenew attempt, what infradhcpd waits for BOUND (its default). */
#define ATTEMPT_TIMEOUT_MS 10000U
/* A failed opflex rewrite is tried again this soon (besides every address change). */
#define OPFLEX_RETRY_USEC (10 * USEC_PER_SEC)
#define JOURNAL_RETRY_USEC (10 * USEC_PER_SEC)
#define MULTICAST_ROUTE_METRIC 401 /* what the ACI host agent and infradhcpd install */

/* LSB "program is not configured": no usable Kubernetes or host-agent configuration. */
#define EXIT_NOTCONFIGURED 6

typedef struct Agent {
        sd_event *event;
        AgentConfig config;
        const char *host_agent_config;     /* the file read, NULL when none exists */
        AgentJournal journal;
        AgentRuntime rt;
        char *journal_path;
        char uuid[37];

        Rtnl *rtnl;
        sd_event_source *rtnl_source;
        int ifindex;
        char ifname[IF_NAMESIZE];
        char *client_socket;
        AgentAddress addresses[AGENT_ADDRESSES_MAX];
        size_t n_addresses;

        KubeClient *kube;
        AgentPod pod, node_pod;
        char *pod_raw, *node_pod_raw;

        VarlinkAsync *call;
        AgentCallOutcome outcome;

        VarlinkServer *server;
        AgentMetrics metrics;
        AgentHttp *http;          /* --metrics-address; NULL: off */
        char *metrics_address;
        sd_event_source *defer;
        sd_event_source *retry_timer;
        bool starting;
        char last_error[256];
        char opflex_failed[256]; /* last opflex error logged (logged again only when it changes) */
        bool journal_dirty;      /* the journal in memory is newer than the file (a save failed) */
        unsigned journal_failures; /* saves failed in a row; logged at the first only */
        char opflex_note[300];   /* what the opflex rewrite of this run did, for the log line */
} Agent;


static void schedule(Agent *a) {
        if (a->defer)
                (void)sd_event_source_set_enabled(a->defer, SD_EVENT_ONESHOT);
}

_printf_(2, 3) static void set_error(Agent *a, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->last_error, sizeof(a->last_error), fmt, ap);
        va_end(ap);
}

/* ------------------------------------------------------------------------- */
/* Interface and addresses (netlink) */

static void link_forget(Agent *a) {
        a->ifindex = 0;
        a->n_addresses = 0;
        free(a->client_socket);
        a->client_socket = NULL;
}

static int link_resolve(Agent *a) {
        RtnlLink l;
        int r;

        if (a->config.interface)
                r = rtnl_link_get_by_name(a->rtnl, a->config.interface, &l);
        else
                r = rtnl_link_find_vlan(a->rtnl, a->config.infra_vlan, &l);
        if (r < 0) {
                if (a->ifindex != 0 || a->starting) {
                        if (a->config.interface)
                                log_warning_errno(r, "Interface %s not found: %m; waiting for it", a->config.interface);
                        else
                                log_warning_errno(r, "No VLAN link with id %u (aci-infra-vlan): %m; waiting for it",
                                                  a->config.infra_vlan);
                }
                link_forget(a);
                return r;
        }
        if (l.ifindex != a->ifindex || strcmp(l.name, a->ifname) != 0) {
                free(a->client_socket);
                a->client_socket = NULL;
                if (asprintf(&a->client_socket, "%s/%s/" CLIENT_SOCKET, a->config.runtime_dir, l.name) < 0) {
                        a->client_socket = NULL;
                        return -ENOMEM;
                }
                a->ifindex = l.ifindex;
                snprintf(a->ifname, sizeof(a->ifname), "%s", l.name);
                log_set_field("INTERFACE", a->ifname);
                log_info("Infra interface %s (index %d); infradhcpd at %s", a->ifname, a->ifindex, a->client_socket);
        }
        return 0;
}

/* Dumps the interface's IPv4 addresses: the truth the reconcile step verifies. */
static int addresses_read(Agent *a) {
        RtnlAddr list[AGENT_ADDRESSES_MAX];
        size_t n = 0;
        int r;

        a->n_addresses = 0;
        if (a->ifindex == 0 && link_resolve(a) < 0)
                return 0;
        r = rtnl_addr_list(a->rtnl, a->ifindex, list, ELEMENTSOF(list), &n);
        if (r == -ENODEV) {
                link_forget(a);
                return 0;
        }
        if (r < 0)
                return log_warning_errno(r, "Failed to read the addresses of %s: %m", a->ifname);
        a->n_addresses = n;
        for (size_t i = 0; i < MIN(n, ELEMENTSOF(list)); i++)
                a->addresses[i] = (AgentAddress){ .set = true, .address = list[i].address, .prefixlen = list[i].prefixlen };
        return 0;
}

static int on_rtnl_event(Rtnl *rtnl, const RtnlEvent *ev, void *userdata) {
        Agent *a = userdata;

        switch (ev->type) {
        case RTNL_EVENT_NEWADDR:
        case RTNL_EVENT_DELADDR:
                if (ev->addr.ifindex == a->ifindex)
                        schedule(a);
                break;
        case RTNL_EVENT_NEWLINK:
                if (a->ifindex == 0 || ev->link.ifindex == a->ifindex)
                        schedule(a);
                break;
        case RTNL_EVENT_DELLINK:
                if (ev->link.ifindex == a->ifindex) {
                        log_warning("Interface %s went away; waiting for it", a->ifname);
                        link_forget(a);
                        schedule(a);
                }
                break;
        case RTNL_EVENT_OVERRUN:
                schedule(a);
                break;
        default:
                break;
        }
        return 0;
}

static int on_rtnl_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Agent *a = userdata;
        int r = rtnl_monitor_dispatch(a->rtnl, on_rtnl_event, a);

        if (r < 0 && r != -EAGAIN)
                log_debug_errno(r, "Netlink monitor: %m");
        return 0;
}

static int ensure_route(Agent *a) {
        RtnlRoute rt = {
                .ifindex = a->ifindex,
                .dst.s_addr = htonl(0xe0000000U),
                .dst_len = 4,
                .scope = 253 /* RT_SCOPE_LINK */,
                .protocol = 4 /* RTPROT_STATIC */,
                .metric = MULTICAST_ROUTE_METRIC,
        };
        int r;

        if (a->ifindex == 0)
                return 0;
        r = rtnl_route_exists(a->rtnl, &rt);
        if (r != 0)
                return r < 0 ? log_debug_errno(r, "Cannot check the multicast route: %m") : 0;
        /* infradhcpd keeps this route; when it is gone (infradhcpd configured without it,
         * or someone deleted it between two of its checks), put it back. */
        log_warning("224.0.0.0/4 route on %s is missing; adding it (metric %d)", a->ifname, MULTICAST_ROUTE_METRIC);
        r = rtnl_route_replace(a->rtnl, &rt);
        if (r < 0)
                return log_warning_errno(r, "Failed to add the 224.0.0.0/4 route on %s: %m", a->ifname);
        return 0;
}

/* ------------------------------------------------------------------------- */
/* Node (kube) */

static const char *annotation(json_object *node, const char *key) {
        json_object *meta, *ann, *v;

        if (!node || !json_object_object_get_ex(node, "metadata", &meta) ||
            !json_object_object_get_ex(meta, "annotations", &ann) || !json_object_is_type(ann, json_type_object) ||
            !json_object_object_get_ex(ann, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool str_eq(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void annotation_update(Agent *a, const char *key, const char *value, bool node, char **raw, AgentPod *pod) {
        int r;

        if (!str_eq(*raw, value) || pod->kind == AGENT_POD_UNKNOWN) {
                if (pod->kind != AGENT_POD_UNKNOWN || value)
                        log_info("%s: %s -> %s", key, *raw ?: (pod->kind == AGENT_POD_UNKNOWN ? "unknown" : "absent"),
                                 value ?: "absent");
                free(*raw);
                *raw = value ? strdup(value) : NULL;
                r = node ? agent_node_pod_parse(value, pod) : agent_pod_parse(value, pod);
                if (r < 0) {
                        log_warning("%s: invalid value '%s' (expected %s or none); ignored", key, value,
                                    node ? "pod-<id>" : "pod-<id>-<a.b.c.d/len>");
                        set_error(a, "%s: invalid value '%s'", key, value);
                }
        }
}

static void on_node(KubeClient *c, KubeNodeEventType type, json_object *node, void *userdata) {
        Agent *a = userdata;

        if (type == KUBE_NODE_DELETED || !node) {
                log_warning("Node %s %s", a->config.node, type == KUBE_NODE_DELETED ? "deleted" : "not found");
                node = NULL;
        }
        annotation_update(a, AGENT_ANNOTATION_ACI_POD, annotation(node, AGENT_ANNOTATION_ACI_POD), false, &a->pod_raw,
                          &a->pod);
        annotation_update(a, AGENT_ANNOTATION_NODE_ACI_POD, annotation(node, AGENT_ANNOTATION_NODE_ACI_POD), true,
                          &a->node_pod_raw, &a->node_pod);
        schedule(a);
}

static void on_event_posted(KubeClient *c, int result, long http_status, json_object *response, void *userdata) {
        Agent *a = userdata;

        agent_metrics_note_event(&a->metrics, result == 0);
        if (result != 0) {
                log_warning("Posting a Kubernetes Event failed (HTTP %ld); dropped", http_status);
                set_error(a, "posting an Event failed (HTTP %ld)", http_status);
        }
}

/* ------------------------------------------------------------------------- */
/* infradhcpd (async varlink) */

static void on_call_reply(VarlinkAsync *va, int error, const VarlinkReply *reply, void *userdata) {
        Agent *a = userdata;
        AgentCallOutcome *o = &a->outcome;
        json_object *v;

        *o = (AgentCallOutcome){};
        if (error < 0) {
                o->result = AGENT_CALL_UNREACHABLE;
                snprintf(o->error, sizeof(o->error), "connection to infradhcpd lost: %s", strerror(-error));
        } else if (!reply->error) {
                const char *s = json_object_object_get_ex(reply->parameters, "address", &v) ? json_object_get_string(v)
                                                                                           : NULL;
                o->result = AGENT_CALL_SUCCEEDED;
                if (s && inet_pton(AF_INET, s, &o->address.address) == 1) {
                        o->address.set = true;
                        if (json_object_object_get_ex(reply->parameters, "prefixlen", &v))
                                o->address.prefixlen = (uint8_t)MIN(json_object_get_int(v), 32);
                }
                if (json_object_object_get_ex(reply->parameters, "attempts", &v))
                        o->attempts = (unsigned)MAX(json_object_get_int(v), 0);
                log_info("infradhcpd: ReleaseAndRenew bound %s after %u attempt(s)", s ?: "?", o->attempts);
        } else {
                const char *last = json_object_object_get_ex(reply->parameters, "lastError", &v)
                                           ? json_object_get_string(v)
                                           : NULL;
                if (json_object_object_get_ex(reply->parameters, "attempts", &v))
                        o->attempts = (unsigned)MAX(json_object_get_int(v), 0);
                if (strcmp(reply->error, "io.infradhcp.Client.Busy") == 0)
                        o->result = AGENT_CALL_BUSY;
                else if (strcmp(reply->error, "io.infradhcp.Client.RetriesExhausted") == 0)
                        o->result = AGENT_CALL_RETRIES_EXHAUSTED;
                else if (strcmp(reply->error, "io.infradhcp.Client.Stopped") == 0 ||
                         strcmp(reply->error, "io.infradhcp.Client.Cancelled") == 0)
                        o->result = AGENT_CALL_UNREACHABLE; /* stopping: ask the next one */
                else
                        o->result = AGENT_CALL_FAILED;
                snprintf(o->error, sizeof(o->error), "%s%s%s", reply->error, last ? ": " : "", last ?: "");
        }
        agent_metrics_note_call(&a->metrics, o->result);
        if (o->result != AGENT_CALL_SUCCEEDED)
                set_error(a, "ReleaseAndRenew: %s", o->error);
        a->call = varlink_async_free(a->call);
        schedule(a);
}

static void call_release_and_renew(Agent *a, const AgentAction *act) {
        const char *pools[1];
        char pool[32];
        json_object *p;
        uint64_t timeout;
        int r;

        pools[0] = agent_pod_format_pool(&act->pool, pool, sizeof(pool));
        p = json_build_object("delayMs", json_object_new_int64(act->delay_ms),
                              "maxRetries", json_object_new_int64(act->max_retries),
                              "attemptTimeoutMs", json_object_new_int64(ATTEMPT_TIMEOUT_MS),
                              act->kind == AGENT_MIGRATION_AWAY ? "refuseSubnets" : "requireSubnet",
                              act->kind == AGENT_MIGRATION_AWAY ? json_new_string_array(pools, 1)
                                                                : json_object_new_string(pool),
                              NULL);

        /* Bound by what infradhcpd may take: delay, then each attempt and its back-off
         * (at most 60 s), plus slack. It answers or closes the connection before that. */
        timeout = ((uint64_t)act->delay_ms + (uint64_t)(act->max_retries + 1) * (ATTEMPT_TIMEOUT_MS + 60000U) + 30000U) *
                  USEC_PER_MSEC;
        a->outcome = (AgentCallOutcome){};
        if (!a->client_socket)
                r = -ENODEV;
        else if (!p)
                r = -ENOMEM;
        else
                r = varlink_async_call(&a->call, a->event, a->client_socket, "io.infradhcp.Client.ReleaseAndRenew", p,
                                       0, timeout, on_call_reply, a);
        json_object_put(p);
        if (r < 0) {
                a->outcome.result = AGENT_CALL_UNREACHABLE;
                if (r == -ENODEV)
                        snprintf(a->outcome.error, sizeof(a->outcome.error), "infra interface not found");
                else
                        snprintf(a->outcome.error, sizeof(a->outcome.error), "infradhcpd not reachable at %s: %s",
                                 a->client_socket, strerror(-r));
                set_error(a, "%s", a->outcome.error);
                schedule(a);
                return;
        }
        log_debug("ReleaseAndRenew(delayMs=%u, maxRetries=%u, %s=%s) sent", act->delay_ms, act->max_retries,
                  act->kind == AGENT_MIGRATION_AWAY ? "refuseSubnets" : "requireSubnet", pool);
}

/* ------------------------------------------------------------------------- */
/* Actions */

/* Arms the retry timer for `at` unless it already fires earlier. */
static void retry_at(Agent *a, uint64_t at) {
        uint64_t cur = 0;
        int enabled = SD_EVENT_OFF;

        (void)sd_event_source_get_enabled(a->retry_timer, &enabled);
        if (enabled != SD_EVENT_OFF && sd_event_source_get_time(a->retry_timer, &cur) >= 0 && cur <= at)
                return;
        (void)sd_event_source_set_time(a->retry_timer, at);
        (void)sd_event_source_set_enabled(a->retry_timer, SD_EVENT_ONESHOT);
}

/* The journal is written atomically (never half-written). When that fails (state
 * directory full or read-only), the journal stays in memory, the error is logged once
 * and shown in status, and the save is retried every JOURNAL_RETRY_USEC until it works. */
static int journal_save(Agent *a) {
        _cleanup_(freep) char *text = NULL;
        int r;

        r = agent_journal_format(&a->journal, &text);
        if (r >= 0)
                r = write_file_atomic(a->journal_path, text, strlen(text), 0644);
        if (r < 0) {
                set_error(a, "cannot save the journal %s: %s", a->journal_path, strerror(-r));
                if (a->journal_failures++ == 0)
                        log_error_errno(r, "Cannot save the journal %s: %m; keeping it in memory and trying again "
                                           "every %" PRIu64 " s",
                                        a->journal_path, JOURNAL_RETRY_USEC / USEC_PER_SEC);
                a->journal_dirty = true;
                retry_at(a, usec_add(clock_now(CLOCK_BOOTTIME), JOURNAL_RETRY_USEC));
                return r;
        }
        if (a->journal_failures > 0) {
                log_info("Journal %s saved again after %u failed attempt%s", a->journal_path, a->journal_failures,
                         a->journal_failures == 1 ? "" : "s");
                if (strncmp(a->last_error, "cannot save the journal", 23) == 0)
                        a->last_error[0] = '\0';
        }
        a->journal_failures = 0;
        a->journal_dirty = false;
        return 0;
}

static void rewrite_opflex(Agent *a, const AgentAddress *addr) {
        AgentOpflexResult res;
        struct in_addr peer, rip;
        char p[INET_ADDRSTRLEN], ri[INET_ADDRSTRLEN], as[32];
        int r;

        agent_anycast(addr->address, addr->prefixlen, &peer, &rip);
        inet_ntop(AF_INET, &peer, p, sizeof(p));
        inet_ntop(AF_INET, &rip, ri, sizeof(ri));
        agent_address_format(addr, as, sizeof(as));
        r = agent_opflex_apply(a->config.opflex_config_path, a->config.encap, addr->address, addr->prefixlen, &res);
        if (r < 0) {
                snprintf(a->opflex_note, sizeof(a->opflex_note), "opflex files NOT rewritten: %s", res.error);
                set_error(a, "opflex files: %s", res.error);
                if (strcmp(a->opflex_failed, res.error) != 0) {
                        log_warning("Cannot update the opflex files for %s: %s; trying again on the next change and "
                                    "every %" PRIu64 " s",
                                    as, res.error, OPFLEX_RETRY_USEC / USEC_PER_SEC);
                        snprintf(a->opflex_failed, sizeof(a->opflex_failed), "%s", res.error);
                }
                retry_at(a, usec_add(clock_now(CLOCK_BOOTTIME), OPFLEX_RETRY_USEC));
                return;
        }
        a->opflex_failed[0] = '\0';
        agent_journal_note_opflex(&a->journal, addr, clock_now(CLOCK_REALTIME));
        if (r > 0) {
                snprintf(a->opflex_note, sizeof(a->opflex_note), "opflex files rewritten");
                log_info("opflex files rewritten for %s: peer %s%s%s (%d file%s)", as, p,
                         a->config.encap == AGENT_ENCAP_VXLAN ? ", remote-ip " : "",
                         a->config.encap == AGENT_ENCAP_VXLAN ? ri : "", r, r == 1 ? "" : "s");
        } else {
                snprintf(a->opflex_note, sizeof(a->opflex_note), "opflex files already up to date");
                log_debug("opflex files already up to date for %s", as);
        }
}

static void write_reset_conf(Agent *a, const AgentAction *act) {
        int r = agent_reset_conf_write(a->config.reset_conf, clock_now(CLOCK_REALTIME));

        if (r < 0) {
                set_error(a, "cannot write %s: %s", a->config.reset_conf, strerror(-r));
                log_warning_errno(r, "Cannot write %s (%s): %m", a->config.reset_conf, act->text);
                return;
        }
        log_info("Informed opflex-agent to reconnect: %s rewritten (%s)", a->config.reset_conf, act->text);
}

/* Returns whether a line was logged with the phase. */
static bool execute(Agent *a, const AgentActions *acts) {
        bool logged = false;
        char phase_field[64];
        const char *fields[] = { phase_field, NULL };

        snprintf(phase_field, sizeof(phase_field), "PHASE=%s", agent_phase_to_string(acts->phase));
        a->opflex_note[0] = '\0';
        for (size_t i = 0; i < acts->n; i++) {
                const AgentAction *act = &acts->actions[i];
                int r;

                switch (act->type) {
                case AGENT_ACTION_REWRITE_OPFLEX:
                        rewrite_opflex(a, &act->address);
                        break;
                case AGENT_ACTION_WRITE_RESET_CONF:
                        write_reset_conf(a, act);
                        break;
                case AGENT_ACTION_ENSURE_ROUTE:
                        (void)ensure_route(a);
                        break;
                case AGENT_ACTION_SAVE_JOURNAL:
                        (void)journal_save(a);
                        break;
                case AGENT_ACTION_LOG:
                        logged = true;
                        if (act->note_opflex && a->opflex_note[0])
                                log_full(act->level, 0, fields, "%s; %s", act->text, a->opflex_note);
                        else
                                log_full(act->level, 0, fields, "%s", act->text);
                        break;
                case AGENT_ACTION_POST_EVENT:
                        if (!a->kube)
                                break;
                        r = kube_event_create(a->kube, a->config.node, act->event_type, act->reason, act->text,
                                              on_event_posted, a);
                        if (r < 0) {
                                agent_metrics_note_event(&a->metrics, false);
                                log_warning_errno(r, "Cannot queue the %s Event: %m", act->reason);
                        }
                        break;
                case AGENT_ACTION_CALL_RELEASE_AND_RENEW:
                        call_release_and_renew(a, act);
                        break;
                case AGENT_ACTION_SCHEDULE_RETRY:
                        retry_at(a, act->at);
                        break;
                default:
                        break;
                }
        }
        return logged;
}

static int reconcile(Agent *a) {
        AgentFacts f = {};
        AgentActions acts;
        AgentPhase before = a->rt.phase;
        bool was_starting = a->starting, logged;

        (void)addresses_read(a);
        f.pod = a->pod;
        f.node_pod = a->node_pod;
        f.n_addresses = a->n_addresses;
        memcpy(f.addresses, a->addresses, sizeof(f.addresses));
        f.call_in_flight = varlink_async_is_running(a->call);
        f.outcome = a->outcome;
        a->outcome = (AgentCallOutcome){};
        f.starting = a->starting;
        f.now = clock_now(CLOCK_REALTIME);
        f.now_mono = clock_now(CLOCK_BOOTTIME);
        /* The intra-pod event is read at decision time only: aci-pod none, nothing
         * decided yet for this transition. */
        f.intra_pod = AGENT_INTRA_POD_NO;
        if (a->config.multipod && a->pod.kind == AGENT_POD_NONE && a->journal.decision == AGENT_DECISION_NONE &&
            a->journal.last_pod.kind == AGENT_POD_SET) {
                uint64_t when = 0;
                f.intra_pod = agent_platformconfig_check(a->config.events_dir, f.now,
                                                         a->config.intra_pod_max_age_sec * USEC_PER_SEC, &when);
                if (f.intra_pod < 0)
                        log_warning_errno(f.intra_pod, "Cannot read %s/" AGENT_PLATFORMCONFIG_NOTIFICATIONS
                                                       ": %m; taking it as no intra-pod move",
                                          a->config.events_dir);
        }

        agent_reconcile(&a->config, &f, &a->journal, &a->rt, &acts);
        a->starting = false;
        if (log_get_max_level() >= LOG_DEBUG)
                for (size_t i = 0; i < acts.n; i++)
                        log_debug("reconcile: %s", agent_action_type_to_string(acts.actions[i].type));
        if (acts.phase == AGENT_PHASE_IDLE && before != AGENT_PHASE_IDLE)
                a->last_error[0] = '\0'; /* resolved; the opflex result below may set it again */
        logged = execute(a, &acts);
        agent_metrics_note_ended(&a->metrics, &a->journal.last);
        if (before != acts.phase || was_starting) {
                char field[64];
                const char *fields[] = { field, NULL };
                snprintf(field, sizeof(field), "PHASE=%s", agent_phase_to_string(acts.phase));
                if (!logged)
                        log_full(acts.phase == AGENT_PHASE_DEGRADED ? LOG_WARNING : LOG_INFO, 0, fields,
                                 "Phase %s: %s", agent_phase_to_string(acts.phase), a->rt.reason);
                (void)sd_notifyf(false, "STATUS=%s: %s", agent_phase_to_string(acts.phase), a->rt.reason);
        }
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        return reconcile(userdata);
}

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        if (a->journal_dirty)
                (void)journal_save(a);
        schedule(a);
        return 0;
}

/* ------------------------------------------------------------------------- */
/* Own varlink interface */

static json_object *pod_json(const AgentPod *p) {
        char buf[AGENT_POD_STRING_MAX];
        return json_object_new_string(agent_pod_format(p, buf, sizeof(buf)));
}

/* The effective capability set, as names (least privilege, docs/security.md). */
static json_object *capabilities_json(void) {
        char names[512], *save = NULL;
        json_object *arr = json_object_new_array();

        capability_effective_names(names, sizeof(names));
        for (char *t = strtok_r(names, ",", &save); arr && t; t = strtok_r(NULL, ",", &save))
                if (json_append(arr, json_object_new_string(t)) < 0) {
                        json_object_put(arr);
                        return NULL;
                }
        return arr;
}

static int method_get_status(VarlinkCall *call, json_object *params, void *userdata) {
        Agent *a = userdata;
        json_object *o, *arr = json_object_new_array();
        char buf[64];
        int r;

        (void)addresses_read(a);
        for (size_t i = 0; arr && i < MIN(a->n_addresses, ELEMENTSOF(a->addresses)); i++)
                if (json_append(arr, json_object_new_string(agent_address_format(&a->addresses[i], buf, sizeof(buf)))) <
                    0) {
                        json_object_put(arr);
                        arr = NULL; /* the build below fails */
                }
        o = json_build_object("phase", json_object_new_string(agent_phase_to_string(a->rt.phase)),
                              "phaseReason", json_object_new_string(a->rt.reason),
                              "node", json_object_new_string(a->config.node), NULL);
        r = o ? 0 : -ENOMEM;
        if (r >= 0 && a->ifindex > 0)
                r = json_add(o, "interface", json_object_new_string(a->ifname));
        if (r >= 0)
                r = json_add_many(o, "addresses", arr,
                                  "aciPod", a->pod_raw ? json_object_new_string(a->pod_raw) : pod_json(&a->pod),
                                  "nodeAciPod",
                                  a->node_pod_raw ? json_object_new_string(a->node_pod_raw) : pod_json(&a->node_pod),
                                  "lastPod", pod_json(&a->journal.last_pod),
                                  "decision", json_object_new_string(agent_decision_to_string(a->journal.decision)),
                                  NULL);
        else
                json_object_put(arr);
        if (r >= 0 && a->journal.opflex.set)
                r = json_add(o, "opflexAddress",
                             json_object_new_string(agent_address_format(&a->journal.opflex, buf, sizeof(buf))));
        if (r >= 0 && a->journal.migration.kind != AGENT_MIGRATION_NONE)
                r = json_add(o, "migration", agent_timeline_to_json(&a->journal.migration));
        if (r >= 0 && a->journal.last.kind != AGENT_MIGRATION_NONE)
                r = json_add(o, "lastMigration", agent_timeline_to_json(&a->journal.last));
        if (r >= 0)
                r = json_add_many(o, "callInFlight", json_object_new_boolean(varlink_async_is_running(a->call)),
                                  "kubeQueue",
                                  json_object_new_int(a->kube ? (int)kube_client_get_queue_length(a->kube) : 0), NULL);
        if (r >= 0 && a->last_error[0])
                r = json_add(o, "lastError", json_object_new_string(a->last_error));
        if (r >= 0)
                r = json_add(o, "capabilities", capabilities_json());
        if (r >= 0 && a->host_agent_config)
                r = json_add(o, "hostAgentConfig", json_object_new_string(a->host_agent_config));
        if (r >= 0 && !a->config.multipod)
                r = json_add(o, "notActing", json_object_new_string(
                                     a->host_agent_config ? "aci-multipod is false in the host-agent configuration"
                                                          : "no host-agent configuration: aci-multipod is off"));
        if (r >= 0)
                r = json_add_many(o, "multipod", json_object_new_boolean(a->config.multipod),
                                  "reconnect", json_object_new_boolean(a->config.reconnect),
                                  "dhcpDelay", json_object_new_int((int)a->config.delay_sec),
                                  "maxRetries", json_object_new_int((int)a->config.max_retries),
                                  "encap", json_object_new_string(agent_encap_to_string(a->config.encap)), NULL);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return varlink_call_reply(call, o);
}

/* /metrics: the same facts as GetStatus, plus the counters (agent-metrics.c). */
static int render_metrics(void *userdata, char **ret, size_t *ret_len) {
        Agent *a = userdata;
        KubeClientStats ks = {};
        AgentMetricsSnapshot snap;

        (void)addresses_read(a);
        if (a->kube)
                kube_client_get_stats(a->kube, &ks);
        snap = (AgentMetricsSnapshot){
                .phase = a->rt.phase,
                .interface = a->ifindex > 0 ? a->ifname : NULL,
                .aci_pod = a->pod_raw,
                .n_addresses = (unsigned)a->n_addresses,
                .kube_lists = ks.lists,
                .kube_watches = ks.watches,
                .kube_last_contact_usec = ks.last_contact_usec,
                .kube_queue = a->kube ? kube_client_get_queue_length(a->kube) : 0,
                .in_flight = a->journal.migration.kind != AGENT_MIGRATION_NONE ? &a->journal.migration : NULL,
        };
        return agent_metrics_render(&a->metrics, &snap, ret, ret_len);
}

static const VarlinkMethod agent_methods[] = {
        { "GetStatus", method_get_status, false },
        {},
};

/* ------------------------------------------------------------------------- */
/* Start-up */

static void help(void) {
        printf("Usage: infradhcp-agent --node NAME [OPTIONS]\n"
               "\n"
               "Drives the ACI multipod migration flow for this node: watches the Node's\n"
               "opflex.cisco.com/aci-pod annotation, moves the infra address with infradhcpd,\n"
               "and keeps the opflex-agent files in step. Runs in the foreground.\n"
               "\n"
               "  --node NAME                 the Kubernetes Node to watch (required)\n"
               "  --host-agent-config FILE    ACI host-agent-config JSON (default " AGENT_DEFAULT_HOST_AGENT_CONFIG
               " if present)\n"
               "  --interface IF              infra interface (default: the VLAN link with aci-infra-vlan)\n"
               "  --kubeconfig FILE           kubeconfig (default: in-cluster, $KUBECONFIG, kubelet.conf)\n"
               "  --state-dir DIR             journal directory (default " STATE_DIR ")\n"
               "  --runtime-dir DIR           infradhcpd sockets and ours (default " RUNTIME_DIR ")\n"
               "  --opflex-config-path DIR    opflex-agent config dir (overrides opflex-config-path)\n"
               "  --reset-conf FILE           reconnect file (default " AGENT_DEFAULT_RESET_CONF ")\n"
               "  --opflex-events-dir DIR     PlatformConfig events (default " AGENT_DEFAULT_EVENTS_DIR ")\n"
               "  --intra-pod-max-age SEC     PlatformConfig event age taken as intra-pod (default 120)\n"
               "  --metrics-address ADDR:PORT serve Prometheus metrics on http://ADDR:PORT/metrics\n"
               "                              (e.g. 127.0.0.1:9101 or [::1]:9101; default off)\n"
               "  --log-level LEVEL           err, warning, notice, info (default), debug\n"
               "  -h --help                   show this help\n"
               "  --version                   show the version\n");
}

static int parse_args(int argc, char *argv[], AgentConfig *c, const char **ret_hac, char **ret_opflex_path,
                      char **ret_metrics) {
        enum { ARG_NODE = 0x100, ARG_HAC, ARG_INTERFACE, ARG_KUBECONFIG, ARG_STATE_DIR, ARG_RUNTIME_DIR, ARG_OPFLEX,
               ARG_RESET, ARG_EVENTS, ARG_MAX_AGE, ARG_LOG_LEVEL, ARG_METRICS, ARG_VERSION };
        static const struct option options[] = {
                { "node", required_argument, NULL, ARG_NODE },
                { "host-agent-config", required_argument, NULL, ARG_HAC },
                { "interface", required_argument, NULL, ARG_INTERFACE },
                { "kubeconfig", required_argument, NULL, ARG_KUBECONFIG },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "opflex-config-path", required_argument, NULL, ARG_OPFLEX },
                { "reset-conf", required_argument, NULL, ARG_RESET },
                { "opflex-events-dir", required_argument, NULL, ARG_EVENTS },
                { "intra-pod-max-age", required_argument, NULL, ARG_MAX_AGE },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "metrics-address", required_argument, NULL, ARG_METRICS },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int opt, level, r = 0;
        uint32_t u;

        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (opt) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("infradhcp-agent %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_NODE:
                        if (!kube_node_name_valid(optarg)) {
                                fprintf(stderr, "infradhcp-agent: --node '%s' is not a valid Node name\n", optarg);
                                return -EINVAL;
                        }
                        r = agent_config_set_string(&c->node, optarg);
                        break;
                case ARG_HAC:
                        *ret_hac = optarg;
                        break;
                case ARG_INTERFACE:
                        if (!ifname_valid(optarg)) {
                                fprintf(stderr, "infradhcp-agent: '%s' is not a valid interface name\n", optarg);
                                return -EINVAL;
                        }
                        r = agent_config_set_string(&c->interface, optarg);
                        break;
                case ARG_KUBECONFIG:
                        r = agent_config_set_string(&c->kubeconfig, optarg);
                        break;
                case ARG_STATE_DIR:
                        r = agent_config_set_string(&c->state_dir, optarg);
                        break;
                case ARG_RUNTIME_DIR:
                        r = agent_config_set_string(&c->runtime_dir, optarg);
                        break;
                case ARG_OPFLEX:
                        r = agent_config_set_string(ret_opflex_path, optarg);
                        break;
                case ARG_RESET:
                        r = agent_config_set_string(&c->reset_conf, optarg);
                        break;
                case ARG_EVENTS:
                        r = agent_config_set_string(&c->events_dir, optarg);
                        break;
                case ARG_MAX_AGE:
                        if (parse_u32(optarg, &u) < 0 || u == 0 || u > 86400) {
                                fprintf(stderr, "infradhcp-agent: invalid --intra-pod-max-age '%s' (1..86400)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        c->intra_pod_max_age_sec = u;
                        break;
                case ARG_METRICS: {
                        struct sockaddr_storage ss;
                        size_t sl;
                        if (agent_http_parse_address(optarg, &ss, &sl) < 0) {
                                fprintf(stderr,
                                        "infradhcp-agent: invalid --metrics-address '%s' (A.B.C.D:PORT or [IPv6]:PORT)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        r = agent_config_set_string(ret_metrics, optarg);
                        break;
                }
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "infradhcp-agent: invalid --log-level '%s'\n", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(level);
                        break;
                case '?':
                        fprintf(stderr, "infradhcp-agent: unknown option or missing value: '%s' (see --help)\n",
                                argv[optind - 1]);
                        return -EINVAL;
                default:
                        fprintf(stderr, "infradhcp-agent: option '%s' needs a value (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (optind != argc) {
                fprintf(stderr, "infradhcp-agent: unexpected argument '%s' (see --help)\n", argv[optind]);
                return -EINVAL;
        }
        if (!c->node) {
                fprintf(stderr, "infradhcp-agent: --node NAME is required\n");
                return -EINVAL;
        }
        if (!*c->state_dir || !*c->runtime_dir || !*c->reset_conf || !*c->events_dir ||
            (*ret_opflex_path && !**ret_opflex_path)) {
                fprintf(stderr, "infradhcp-agent: paths must not be empty\n");
                return -EINVAL;
        }
        return 1;
}

static int load_host_agent_config(Agent *a, const char *path) {
        _cleanup_(freep) char *text = NULL;
        char err[512] = "";
        size_t len;
        int r;

        if (!path) {
                if (access(AGENT_DEFAULT_HOST_AGENT_CONFIG, F_OK) < 0) {
                        /* Running but doing nothing is easy to miss: say it loudly. */
                        log_warning("No host-agent configuration (%s, or --host-agent-config): "
                                    "aci-multipod is off, infradhcp-agent will not act on this node",
                                    AGENT_DEFAULT_HOST_AGENT_CONFIG);
                        return 0;
                }
                path = AGENT_DEFAULT_HOST_AGENT_CONFIG;
        }
        a->host_agent_config = path;
        r = read_file_full(path, AGENT_CONFIG_SIZE_MAX, &text, &len);
        if (r < 0)
                return log_error_errno(r, "Cannot read the host-agent-config %s: %m", path);
        r = agent_config_parse_host_agent(&a->config, text, len, path, err, sizeof(err));
        if (r < 0) {
                log_error("Invalid host-agent-config %s", err); /* err names the key and the file */
                return r;
        }
        return 0;
}

static void journal_load(Agent *a) {
        _cleanup_(freep) char *text = NULL;
        char err[256] = "";
        size_t len;
        int r;

        agent_journal_init(&a->journal);
        r = read_file_full(a->journal_path, AGENT_JOURNAL_SIZE_MAX, &text, &len);
        if (r == -ENOENT) {
                log_info("No journal at %s: starting fresh", a->journal_path);
                return;
        }
        if (r >= 0)
                r = agent_journal_parse(text, len, &a->journal, err, sizeof(err));
        if (r < 0) {
                /* Level-triggered: an empty journal at worst decides the current
                 * transition again. */
                log_warning("Journal %s is unusable (%s); starting from an empty one", a->journal_path,
                            err[0] ? err : strerror(-r));
                agent_journal_init(&a->journal);
                return;
        }
        if (a->journal.migration.kind != AGENT_MIGRATION_NONE) {
                char pool[32];
                log_info("Resuming the migration %s %s from the journal (%u call(s) made)",
                         a->journal.migration.kind == AGENT_MIGRATION_AWAY ? "away from" : "into",
                         agent_pod_format_pool(&a->journal.migration.pool, pool, sizeof(pool)),
                         a->journal.migration.calls);
        }
}

static int subscribe_platformconfig(Agent *a) {
        sd_id128_t id;
        int r;

        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;
        snprintf(a->uuid, sizeof(a->uuid),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", id.bytes[0], id.bytes[1],
                 id.bytes[2], id.bytes[3], id.bytes[4], id.bytes[5], (id.bytes[6] & 0x0f) | 0x40, id.bytes[7],
                 (id.bytes[8] & 0x3f) | 0x80, id.bytes[9], id.bytes[10], id.bytes[11], id.bytes[12], id.bytes[13],
                 id.bytes[14], id.bytes[15]);
        r = agent_platformconfig_subscribe(a->config.events_dir, a->uuid);
        if (r < 0)
                return log_warning_errno(r, "Cannot subscribe to PlatformConfig events in %s: %m "
                                            "(intra-pod moves will not be recognised)",
                                         a->config.events_dir);
        log_debug("Subscribed to PlatformConfig deletions in %s (uuid %s)", a->config.events_dir, a->uuid);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Agent *a = userdata;

        log_info("Received %s: exiting; the journal keeps the progress%s", strsignal((int)si->ssi_signo),
                 varlink_async_is_running(a->call) ? " (infradhcpd finishes the running ReleaseAndRenew)" : "");
        (void)sd_notify(false, "STOPPING=1");
        return sd_event_exit(a->event, EXIT_SUCCESS);
}

static void agent_done(Agent *a) {
        a->call = varlink_async_free(a->call);
        a->server = varlink_server_free(a->server);
        a->http = agent_http_free(a->http);
        free(a->metrics_address);
        a->kube = kube_client_free(a->kube);
        a->rtnl_source = sd_event_source_disable_unref(a->rtnl_source);
        a->defer = sd_event_source_disable_unref(a->defer);
        a->retry_timer = sd_event_source_disable_unref(a->retry_timer);
        a->rtnl = rtnl_free(a->rtnl);
        free(a->client_socket);
        free(a->journal_path);
        free(a->pod_raw);
        free(a->node_pod_raw);
        agent_config_done(&a->config);
        a->event = sd_event_unref(a->event);
}

static int agent_setup(Agent *a) {
        _cleanup_(kube_config_freep) KubeConfig *kc = NULL;
        _cleanup_(freep) char *sock = NULL;
        char err[512] = "";
        int r;

        r = mkdir_p(a->config.state_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create the state directory %s: %m", a->config.state_dir);
        if (asprintf(&a->journal_path, "%s/" JOURNAL_NAME, a->config.state_dir) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        journal_load(a);
        agent_metrics_init(&a->metrics);
        /* The migration the journal already holds ended before this process. */
        a->metrics.last_started = a->journal.last.started;

        r = sd_event_default(&a->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        if ((r = sd_event_add_signal(a->event, NULL, SIGTERM, on_signal, a)) < 0 ||
            (r = sd_event_add_signal(a->event, NULL, SIGINT, on_signal, a)) < 0)
                return log_error_errno(r, "Cannot watch signals: %m");
        (void)sd_event_set_watchdog(a->event, true);
        r = sd_event_add_defer(a->event, &a->defer, on_defer, a);
        if (r < 0)
                return log_error_errno(r, "Cannot add the reconcile source: %m");
        (void)sd_event_source_set_description(a->defer, "reconcile");
        /* Reconcile after all other ready sources of an iteration: coalesces bursts. */
        (void)sd_event_source_set_priority(a->defer, SD_EVENT_PRIORITY_IDLE);
        r = sd_event_add_time(a->event, &a->retry_timer, CLOCK_BOOTTIME, 0, 0, on_retry_timer, a);
        if (r < 0)
                return log_error_errno(r, "Cannot add the retry timer: %m");
        (void)sd_event_source_set_enabled(a->retry_timer, SD_EVENT_OFF);

        r = rtnl_new(&a->rtnl);
        if (r < 0)
                return log_error_errno(r, "Cannot open rtnetlink: %m");
        r = sd_event_add_io(a->event, &a->rtnl_source, rtnl_monitor_fd(a->rtnl), EPOLLIN, on_rtnl_io, a);
        if (r < 0)
                return log_error_errno(r, "Cannot watch rtnetlink: %m");
        /* Address changes rewrite the opflex files: handle them before other input. */
        (void)sd_event_source_set_priority(a->rtnl_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void)link_resolve(a);

        r = kube_config_load(&kc, a->config.kubeconfig, err, sizeof(err));
        if (r < 0) {
                log_error("No usable Kubernetes configuration: %s", err[0] ? err : "not found");
                return -EXIT_NOTCONFIGURED;
        }
        r = kube_client_new(&a->kube, a->event, kc);
        kc = NULL;
        if (r < 0)
                return log_error_errno(r, "Cannot create the Kubernetes client: %m");
        r = kube_node_watch_start(a->kube, a->config.node, on_node, a);
        if (r < 0)
                return log_error_errno(r, "Cannot watch Node %s: %m", a->config.node);

        if (asprintf(&sock, "%s/" AGENT_SOCKET_DIR "/" AGENT_SOCKET, a->config.runtime_dir) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = varlink_server_new(&a->server, a->event, "infradhcp", "infradhcp-agent", PACKAGE_VERSION, NULL);
        if (r >= 0)
                r = varlink_server_add_interface(a->server, "io.infradhcp.Agent", agent_varlink_idl, agent_methods, a);
        if (r >= 0)
                r = varlink_server_listen(a->server, sock);
        if (r < 0)
                return log_error_errno(r, "Cannot listen on %s: %m", sock);

        if (a->metrics_address) {
                r = agent_http_start(&a->http, a->event, a->metrics_address, render_metrics, a);
                if (r < 0)
                        return log_error_errno(r, "Cannot serve metrics on %s: %m", a->metrics_address);
                log_info("Serving Prometheus metrics on http://%s/metrics (port %u)", a->metrics_address,
                         agent_http_port(a->http));
        }

        (void)subscribe_platformconfig(a);
        a->starting = true;
        schedule(a);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(freep) char *opflex_path = NULL;
        const char *hac = NULL;
        Agent a = {};
        sigset_t mask;
        int r, ret = EXIT_FAILURE;

        log_set_identifier("infradhcp-agent");
        if (agent_config_init(&a.config, STATE_DIR, RUNTIME_DIR) < 0)
                return EXIT_FAILURE;
        r = parse_args(argc, argv, &a.config, &hac, &opflex_path, &a.metrics_address);
        if (r <= 0) {
                agent_config_done(&a.config);
                free(a.metrics_address);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        log_set_field("NODE", a.config.node);
        /* Configuration problems exit EXIT_NOTCONFIGURED: the unit does not restart
         * (RestartPreventExitStatus=6) until the operator fixes them. */
        if (load_host_agent_config(&a, hac) < 0) {
                ret = EXIT_NOTCONFIGURED;
                goto finish;
        }
        /* The command line wins over the configmap. */
        if (opflex_path && agent_config_set_string(&a.config.opflex_config_path, opflex_path) < 0)
                goto finish;
        log_info("infradhcp-agent %s for node %s: aci-multipod %s, reconnect %s, dhcp-delay %u s, "
                 "retries %u, %s, opflex %s",
                 PACKAGE_VERSION, a.config.node, a.config.multipod ? "on" : "off", a.config.reconnect ? "on" : "off",
                 a.config.delay_sec, a.config.max_retries, agent_encap_to_string(a.config.encap),
                 a.config.opflex_config_path);

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = agent_setup(&a);
        if (r < 0) {
                if (r == -EXIT_NOTCONFIGURED)
                        ret = EXIT_NOTCONFIGURED;
                goto finish;
        }
        /* Everything is open (netlink, the control socket, the metrics listener, the API
         * client); from here on only the 224.0.0.0/4 route needs a capability
         * (docs/security.md). */
        r = capability_drop_except((const cap_value_t[]) { CAP_NET_ADMIN }, 1);
        if (r < 0) {
                log_error_errno(r, "Failed to drop capabilities: %m");
                goto finish;
        }
        (void)sd_notify(false, "READY=1\nSTATUS=Started");
        r = sd_event_loop(a.event);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                goto finish;
        }
        ret = r;
finish:
        agent_done(&a);
        return ret;
}
