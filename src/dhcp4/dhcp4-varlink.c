/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.infradhcp.Client over varlink: maps the methods of io.infradhcp.Client.varlink
 * onto dhcp4-client commands and observers, keeps the Monitor streams, and runs the
 * ReleaseAndRenew sequence (release → delay → restart with refused subnets → wait for
 * BOUND → retry with back-off) on sd-event timers.
 * Not here: the wire protocol (shared/varlink.c), any DHCP decision (the engine).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dhcp4-metrics.h"
#include "dhcp4-varlink.h"
#include "event-util.h"
#include "hexdecoct.h"
#include "io.infradhcp.Client.varlink.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "time-util.h"
#include "varlink.h"

#define ERROR_INVALID_SUBNET "io.infradhcp.Client.InvalidSubnet"
#define ERROR_BUSY "io.infradhcp.Client.Busy"
#define ERROR_STOPPED "io.infradhcp.Client.Stopped"
#define ERROR_RETRIES_EXHAUSTED "io.infradhcp.Client.RetriesExhausted"
#define ERROR_CANCELLED "io.infradhcp.Client.Cancelled"
#define ERROR_DETECTION_OFF "io.infradhcp.Client.DetectionOff"
#define ERROR_NOT_BOUND "io.infradhcp.Client.NotBound"
#define ERROR_INVALID_PATH "io.infradhcp.Client.InvalidPath"
#define ERROR_TOO_MANY_EXPORTS "io.infradhcp.Client.TooManyExports"
#define ERROR_EXPORT_FAILED "io.infradhcp.Client.ExportFailed"

#define RR_DELAY_MAX_MS (3600U * 1000U)
#define RR_RETRIES_MAX 100
#define RR_ATTEMPT_TIMEOUT_MIN_MS 100U
#define RR_ATTEMPT_TIMEOUT_MAX_MS (600U * 1000U)
#define RR_BACKOFF_MIN_MS 1000U
#define RR_BACKOFF_MAX_MS (60U * 1000U)
#define MONITORS_MAX 64

typedef enum RrPhase {
        RR_IDLE,
        RR_DELAY,      /* released, waiting delayMs before the first restart */
        RR_WAIT_BOUND, /* restarted, waiting for BOUND (attempt timer armed) */
        RR_BACKOFF,    /* attempt timed out, waiting before the next restart */
} RrPhase;

typedef struct ReleaseAndRenew {
        RrPhase phase;
        VarlinkCall *call;
        sd_event_source *timer;
        Dhcp4Subnet refuse[DHCP4_ENGINE_REFUSE_MAX];
        size_t n_refuse;
        Dhcp4Subnet require;
        bool has_require;
        unsigned attempts, max_retries;
        uint64_t delay_ms, attempt_timeout_ms;
        uint64_t started_usec; /* CLOCK_BOOTTIME */
} ReleaseAndRenew;

struct Dhcp4Varlink {
        sd_event *event;
        Dhcp4Client *client;
        VarlinkServer *server;
        VarlinkCall *monitors[MONITORS_MAX];
        size_t n_monitors;
        ReleaseAndRenew rr;
        Dhcp4ClientStatus status; /* scratch for client_status() */
};

/* ------------------------------------------------------------------------- */
/* Status */

static json_object *json_routes(const LeaseRoute *routes, size_t n) {
        json_object *arr = json_object_new_array();

        for (size_t i = 0; arr && i < n; i++) {
                char dst[INET_ADDRSTRLEN + 4], a[INET_ADDRSTRLEN];
                json_object *r;

                snprintf(dst, sizeof(dst), "%s/%u", inet_ntop(AF_INET, &routes[i].destination, a, sizeof(a)),
                         routes[i].prefixlen);
                r = json_build_object("destination", json_object_new_string(dst), NULL);
                if (routes[i].gateway.s_addr != 0 && json_add(r, "gateway", json_new_address(routes[i].gateway)) < 0) {
                        json_object_put(r);
                        r = NULL; /* json_append fails */
                }
                if (json_append(arr, r) < 0) {
                        json_object_put(arr);
                        return NULL;
                }
        }
        return arr;
}

static json_object *json_string_n(const char *s, size_t size) {
        return json_object_new_string_len(s, (int)strnlen(s, size));
}

/* "a,b,c" as a JSON array of strings (the capability names). */
static json_object *json_name_list(const char *list) {
        json_object *arr = json_object_new_array();

        while (arr && *list) {
                size_t n = strcspn(list, ",");
                if (json_append(arr, json_object_new_string_len(list, (int)n)) < 0) {
                        json_object_put(arr);
                        return NULL;
                }
                list += n + (list[n] == ',');
        }
        return arr;
}

/* The attachment (IDL type Attachment) from the snapshot. */
static json_object *json_attachment(const Dhcp4ClientAttachment *a) {
        json_object *o = json_object_new_object(), *peers = json_object_new_array(), *chk = NULL;
        int r = o && peers ? 0 : -ENOMEM;
        char buf[INET_ADDRSTRLEN], m[18];

        for (size_t i = 0; r >= 0 && i < MIN(a->n_peers, ELEMENTSOF(a->peers)); i++) {
                const Dhcp4DnaPeer *p = &a->peers[i];
                json_object *po = json_object_new_object();

                r = po ? 0 : -ENOMEM;
                if (r >= 0)
                        r = json_add(po, "address", json_object_new_string(inet_ntop(AF_INET, &p->address, buf, sizeof(buf)) ?: ""));
                if (r >= 0)
                        r = json_add(po, "source", json_object_new_string(dhcp4_dna_peer_source_to_string(p->source)));
                if (r >= 0 && p->has_mac)
                        r = json_add(po, "mac", json_object_new_string(format_mac(p->mac, m)));
                if (r >= 0)
                        r = json_add(po, "unresponsive", json_object_new_boolean(p->unresponsive));
                if (r >= 0 && p->last_seen_usec)
                        r = json_add(po, "lastSeen", json_new_uint64(p->last_seen_usec));
                if (r >= 0) {
                        r = json_append(peers, po);
                        po = NULL; /* consumed */
                }
                json_object_put(po);
        }
        if (r >= 0 && a->has_check) {
                const Dhcp4DnaCheck *c = &a->check;

                chk = json_object_new_object();
                r = chk ? 0 : -ENOMEM;
                if (r >= 0)
                        r = json_add(chk, "trigger", json_object_new_string(dhcp4_dna_trigger_to_string(c->trigger)));
                if (r >= 0)
                        r = json_add(chk, "outcome", json_object_new_string(a->outcome));
                if (r >= 0)
                        r = json_add(chk, "started", json_new_uint64(c->started_usec));
                if (r >= 0 && c->finished_usec)
                        r = json_add(chk, "finished", json_new_uint64(c->finished_usec));
                if (r >= 0)
                        r = json_add(chk, "probed", json_object_new_int((int)c->probed));
                if (r >= 0)
                        r = json_add(chk, "answered", json_object_new_int((int)c->answered));
                if (r >= 0)
                        r = json_add(chk, "reason", json_string_n(c->reason, sizeof(c->reason)));
        }
        if (r >= 0)
                r = json_add(o, "enabled", json_object_new_boolean(a->enabled));
        if (r >= 0)
                r = json_add(o, "state", json_string_n(a->state, sizeof(a->state)));
        if (r >= 0) {
                r = json_add(o, "peers", peers);
                peers = NULL; /* consumed, also on failure */
        }
        if (r >= 0)
                r = json_add(o, "usablePeers", json_object_new_int((int)a->usable_peers));
        if (r >= 0 && chk) {
                r = json_add(o, "lastCheck", chk);
                chk = NULL; /* consumed */
        }
        if (r >= 0)
                r = json_add(o, "checks", json_new_uint64(a->checks));
        if (r >= 0)
                r = json_add(o, "confirmations", json_new_uint64(a->confirmations));
        if (r >= 0 && a->next_check_usec != USEC_INFINITY)
                r = json_add(o, "nextCheck", json_new_uint64(a->next_check_usec));
        json_object_put(peers);
        json_object_put(chk);
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

json_object *dhcp4_varlink_build_status(const Dhcp4ClientStatus *s) {
        const Dhcp4Lease *l = &s->lease;
        bool finite = s->has_lease && l->lifetime != UINT32_MAX;
        char cid[LEASE_CLIENT_ID_LEN * 3], mac[18];
        json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;

        format_hex_bytes(s->client_id, s->client_id_len, ':', cid, sizeof(cid));
        /* One line per field: the value is built only when the field is shown. */
#define FIELD(cond, key, value)                                                                                  \
        do {                                                                                                     \
                if (r >= 0 && (cond))                                                                            \
                        r = json_add(o, key, value);                                                             \
        } while (0)
        FIELD(true, "state", json_object_new_string(dhcp4_state_to_string(s->state)));
        FIELD(true, "interface", json_object_new_string(s->interface));
        FIELD(s->has_lease, "address", json_new_address(l->address));
        FIELD(s->has_lease, "prefixlen", json_object_new_int(l->prefixlen));
        FIELD(s->has_lease && l->server_id.s_addr != 0, "server", json_new_address(l->server_id));
        FIELD(s->has_lease, "routers",
              json_new_address_array(l->routers, MIN(l->n_routers, (size_t) LEASE_MAX_ROUTERS)));
        FIELD(s->has_lease, "dns", json_new_address_array(l->dns, MIN(l->n_dns, (size_t)LEASE_MAX_DNS)));
        FIELD(s->has_lease && l->n_routes > 0, "routes",
              json_routes(l->routes, MIN(l->n_routes, (size_t)LEASE_MAX_ROUTES)));
        FIELD(s->has_lease && l->mtu > 0, "mtu", json_object_new_int(l->mtu));
        FIELD(s->has_lease && l->hostname[0], "hostname", json_string_n(l->hostname, sizeof(l->hostname)));
        FIELD(s->has_lease && l->domain[0], "domain", json_string_n(l->domain, sizeof(l->domain)));
        FIELD(s->has_lease, "leaseStart", json_new_uint64(s->lease_start_usec));
        FIELD(finite, "lifetime", json_object_new_int64(l->lifetime));
        FIELD(finite, "t1", json_new_uint64(s->t1_usec));
        FIELD(finite, "t2", json_new_uint64(s->t2_usec));
        FIELD(finite, "expiry", json_new_uint64(s->expiry_usec));
        FIELD(s->has_lease, "clientId", json_object_new_string(cid));
        FIELD(s->last_error[0], "lastError", json_object_new_string(s->last_error));
        FIELD(s->persist_error[0], "persistError", json_object_new_string(s->persist_error));
        FIELD(s->export_error[0], "exportError", json_object_new_string(s->export_error));
        FIELD(s->last_removal[0], "lastRemoval", json_object_new_string(s->last_removal));
        FIELD(s->last_removal_usec, "lastRemovalAt", json_new_uint64(s->last_removal_usec));
        FIELD(true, "capabilities", json_name_list(s->capabilities));
        FIELD(!s->has_lease && s->client_id_len > 0, "clientId", json_object_new_string(cid));
        FIELD(true, "acdState", json_object_new_string(s->acd_state));
        FIELD(dhcp4_status_has_conflict_mac(s), "conflictMac",
              json_object_new_string(format_mac(s->conflict_mac, mac)));
        FIELD(true, "conflicts", json_object_new_int((int)MIN(s->conflicts, (unsigned)INT32_MAX)));
        FIELD(true, "declineBackoffMs", json_new_uint64(s->decline_backoff_usec / USEC_PER_MSEC));
        FIELD(true, "declined", json_new_address_array(s->declined, MIN(s->n_declined, ELEMENTSOF(s->declined))));
        FIELD(true, "attachment", json_attachment(&s->attachment));
#undef FIELD
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* `state`: the state to report, _DHCP4_STATE_MAX for the current one. A Monitor
 * update reports the transition's new state, not the current one: several
 * transitions can be queued by one engine input (e.g. RELEASED → INIT → SELECTING)
 * and each is delivered after the engine moved on. */
static json_object *varlink_status(Dhcp4Varlink *v, Dhcp4State state) {
        Dhcp4ClientStatus s;

        dhcp4_client_get_status(v->client, &s);
        if (state != _DHCP4_STATE_MAX)
                s.state = state;
        return dhcp4_varlink_build_status(&s);
}

/* The status snapshot now, for the decisions of this file. */
static Dhcp4ClientStatus *client_status(Dhcp4Varlink *v) {
        dhcp4_client_get_status(v->client, &v->status);
        return &v->status;
}

/* ------------------------------------------------------------------------- */
/* Commands */

static int reply_command_result(VarlinkCall *call, int r) {
        if (r == -ESTALE)
                return varlink_call_error(call, ERROR_STOPPED, NULL);
        if (r < 0)
                return r; /* the server answers InternalError with the errno */
        return varlink_call_reply(call, NULL);
}

static bool rr_running(const Dhcp4Varlink *v) {
        return v->rr.phase != RR_IDLE;
}

static int method_get_status(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;
        json_object *s = varlink_status(v, _DHCP4_STATE_MAX);

        if (!s)
                return -ENOMEM;
        return varlink_call_reply(call, s);
}

/* The status as Prometheus text (dhcp4-metrics.c): the same renderer as the textfile. */
static int method_get_metrics(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;
        const Dhcp4ClientStatus *s = client_status(v);
        _cleanup_(freep) char *text = NULL;
        size_t len;
        json_object *o;
        int r;

        r = dhcp4_metrics_render(s, &text, &len);
        if (r < 0)
                return r;
        o = json_build_object("interface", json_object_new_string(s->interface), "text",
                              json_object_new_string_len(text, (int)len), NULL);
        if (!o)
                return -ENOMEM;
        return varlink_call_reply(call, o);
}

static int method_release(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;

        if (rr_running(v))
                return varlink_call_error(call, ERROR_BUSY, NULL);
        log_info("Release requested over varlink (uid %d)", (int)varlink_call_get_peer_uid(call));
        return reply_command_result(call, dhcp4_client_release(v->client));
}

static int method_renew(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;

        if (rr_running(v))
                return varlink_call_error(call, ERROR_BUSY, NULL);
        log_info("Renew requested over varlink (uid %d)", (int)varlink_call_get_peer_uid(call));
        return reply_command_result(call, dhcp4_client_renew(v->client));
}

static int method_rebind(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;

        if (rr_running(v))
                return varlink_call_error(call, ERROR_BUSY, NULL);
        log_info("Rebind requested over varlink (uid %d)", (int)varlink_call_get_peer_uid(call));
        return reply_command_result(call, dhcp4_client_rebind(v->client));
}

/* InvalidSubnet {"subnet": text}; returns 0 (an error reply was sent) for the parsers. */
static int reply_invalid_subnet(VarlinkCall *call, const char *text) {
        (void)varlink_call_error(call, ERROR_INVALID_SUBNET,
                                 json_build_object("subnet", json_object_new_string(text), NULL));
        return 0;
}

/* Parses the optional "refuseSubnets" array. Returns 1 when parsed, 0 when an error
 * reply was sent, -errno on failure. */
static int parse_refuse_subnets(VarlinkCall *call, json_object *params, Dhcp4Subnet *refuse, size_t *ret_n) {
        json_object *arr;
        size_t n;

        *ret_n = 0;
        if (!json_object_object_get_ex(params, "refuseSubnets", &arr) || json_object_is_type(arr, json_type_null))
                return 1;
        if (!json_object_is_type(arr, json_type_array))
                return varlink_call_error_invalid_parameter(call, "refuseSubnets"), 0;
        n = json_object_array_length(arr);
        if (n > DHCP4_ENGINE_REFUSE_MAX)
                return varlink_call_error_invalid_parameter(call, "refuseSubnets"), 0;
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(arr, i);
                const char *text;

                if (!json_object_is_type(s, json_type_string))
                        return varlink_call_error_invalid_parameter(call, "refuseSubnets"), 0;
                text = json_object_get_string(s);
                if (parse_ipv4_prefix(text, &refuse[i].address, &refuse[i].prefixlen) < 0)
                        return reply_invalid_subnet(call, text);
        }
        *ret_n = n;
        return 1;
}

/* Parses the optional "requireSubnet" string. Returns 1 when parsed (*ret_has says
 * whether it was given), 0 when an error reply was sent. */
static int parse_require_subnet(VarlinkCall *call, json_object *params, Dhcp4Subnet *ret, bool *ret_has) {
        json_object *o;
        const char *text;

        *ret_has = false;
        if (!json_object_object_get_ex(params, "requireSubnet", &o) || json_object_is_type(o, json_type_null))
                return 1;
        if (!json_object_is_type(o, json_type_string))
                return varlink_call_error_invalid_parameter(call, "requireSubnet"), 0;
        text = json_object_get_string(o);
        if (parse_ipv4_prefix(text, &ret->address, &ret->prefixlen) < 0)
                return reply_invalid_subnet(call, text);
        *ret_has = true;
        return 1;
}

static int method_restart(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;
        Dhcp4Subnet refuse[DHCP4_ENGINE_REFUSE_MAX];
        size_t n;
        int r;

        if (rr_running(v))
                return varlink_call_error(call, ERROR_BUSY, NULL);
        Dhcp4Subnet require;
        bool has_require;

        r = parse_refuse_subnets(call, params, refuse, &n);
        if (r <= 0)
                return r;
        r = parse_require_subnet(call, params, &require, &has_require);
        if (r <= 0)
                return r;
        log_info("Restart requested over varlink (uid %d), refusing %zu subnet(s)%s",
                 (int)varlink_call_get_peer_uid(call), n, has_require ? ", requiring one" : "");
        return reply_command_result(call, dhcp4_client_restart(v->client, refuse, n, has_require ? &require : NULL));
}

/* ------------------------------------------------------------------------- */
/* ReleaseAndRenew */

static void rr_reset(Dhcp4Varlink *v) {
        dhcp4_client_set_sequence_running(v->client, false);
        v->rr.timer = sd_event_source_disable_unref(v->rr.timer);
        v->rr.call = varlink_call_unref(v->rr.call);
        v->rr = (ReleaseAndRenew){};
}

static void rr_fail(Dhcp4Varlink *v, const char *error, json_object *params) {
        (void)varlink_call_error(v->rr.call, error, params);
        rr_reset(v);
}

static int rr_on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int rr_arm(Dhcp4Varlink *v, uint64_t ms) {
        /* Accuracy 1 µs, as the client's own timers: 0 would mean sd-event's default of
         * 250 ms, by which every delay, attempt timeout and back-off could fire late. */
        return event_reset_time_relative(v->event, &v->rr.timer, CLOCK_BOOTTIME, ms * USEC_PER_MSEC, 1, rr_on_timer, v,
                                         "release-and-renew");
}

static bool rr_refused(const Dhcp4Varlink *v, struct in_addr a) {
        if (v->rr.has_require && !dhcp4_subnet_contains(&v->rr.require, a))
                return true;
        for (size_t i = 0; i < v->rr.n_refuse; i++)
                if (dhcp4_subnet_contains(&v->rr.refuse[i], a))
                        return true;
        return false;
}

static void rr_attempt(Dhcp4Varlink *v) {
        int r;

        v->rr.attempts++;
        v->rr.phase = RR_WAIT_BOUND;
        log_info("ReleaseAndRenew: restart %u of %u", v->rr.attempts, v->rr.max_retries + 1);
        r = rr_arm(v, v->rr.attempt_timeout_ms);
        if (r >= 0)
                r = dhcp4_client_restart(v->client, v->rr.refuse, v->rr.n_refuse,
                                         v->rr.has_require ? &v->rr.require : NULL);
        if (r == -ESTALE)
                return rr_fail(v, ERROR_STOPPED, NULL);
        if (r < 0) {
                log_warning_errno(r, "ReleaseAndRenew: restart failed: %m; giving up");
                (void)varlink_call_error_errno(v->rr.call, r);
                rr_reset(v);
        }
}

static void rr_succeed(Dhcp4Varlink *v, const Dhcp4Lease *l) {
        uint64_t ms = usec_sub(clock_now(CLOCK_BOOTTIME), v->rr.started_usec) / USEC_PER_MSEC;
        json_object *p = json_build_object("address", json_new_address(l->address),
                                           "prefixlen", json_object_new_int(l->prefixlen),
                                           "attempts", json_object_new_int((int)v->rr.attempts),
                                           "durationMs", json_object_new_int64((int64_t)ms), NULL);
        char a[INET_ADDRSTRLEN];

        log_info("ReleaseAndRenew: bound to %s/%u after %u restart(s), %" PRIu64 " ms",
                 inet_ntop(AF_INET, &l->address, a, sizeof(a)), l->prefixlen, v->rr.attempts, ms);
        if (p)
                (void)varlink_call_reply(v->rr.call, p);
        else
                (void)varlink_call_error_errno(v->rr.call, -ENOMEM);
        rr_reset(v);
}

static void rr_attempt_failed(Dhcp4Varlink *v, const char *why) {
        uint64_t backoff;

        if (v->rr.attempts > v->rr.max_retries) {
                const char *e = client_status(v)->last_error;
                json_object *p = json_build_object("attempts", json_object_new_int((int)v->rr.attempts), NULL);

                log_warning("ReleaseAndRenew: %s after %u restart(s); giving up (the client keeps trying)", why,
                            v->rr.attempts);
                if (e && e[0] && json_add(p, "lastError", json_object_new_string(e)) < 0) {
                        json_object_put(p);
                        p = NULL; /* answered without parameters */
                }
                return rr_fail(v, ERROR_RETRIES_EXHAUSTED, p);
        }
        /* Exponential back-off so a struggling server is not hammered with DISCOVERs. */
        backoff = MAX(v->rr.delay_ms, (uint64_t)RR_BACKOFF_MIN_MS) << MIN(v->rr.attempts - 1, 16U);
        backoff = MIN(backoff, (uint64_t)RR_BACKOFF_MAX_MS);
        log_info("ReleaseAndRenew: %s; retrying in %" PRIu64 " ms", why, backoff);
        v->rr.phase = RR_BACKOFF;
        if (rr_arm(v, backoff) < 0) {
                (void)varlink_call_error_errno(v->rr.call, -ENOMEM);
                rr_reset(v);
        }
}

static int rr_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4Varlink *v = userdata;

        switch (v->rr.phase) {
        case RR_DELAY:
        case RR_BACKOFF:
                rr_attempt(v);
                break;
        case RR_WAIT_BOUND:
                rr_attempt_failed(v, "no acceptable lease in time");
                break;
        case RR_IDLE:
                break;
        }
        return 0;
}

static void rr_on_disconnect(VarlinkCall *call, void *userdata) {
        log_info("ReleaseAndRenew: the caller disconnected; the sequence continues");
}

static int get_uint_param(json_object *params, const char *key, uint64_t def, uint64_t min, uint64_t max,
                          uint64_t *ret) {
        json_object *o;
        int64_t x;

        if (!json_object_object_get_ex(params, key, &o) || json_object_is_type(o, json_type_null)) {
                *ret = def;
                return 0;
        }
        if (!json_object_is_type(o, json_type_int))
                return -EINVAL;
        x = json_object_get_int64(o);
        if (x < 0 || (uint64_t)x < min || (uint64_t)x > max)
                return -ERANGE;
        *ret = (uint64_t)x;
        return 0;
}

static int method_release_and_renew(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;
        uint64_t delay, retries, timeout;
        size_t n;
        int r;

        if (rr_running(v))
                return varlink_call_error(call, ERROR_BUSY, NULL);
        if (get_uint_param(params, "delayMs", 0, 0, RR_DELAY_MAX_MS, &delay) < 0)
                return varlink_call_error_invalid_parameter(call, "delayMs");
        if (get_uint_param(params, "maxRetries", 3, 0, RR_RETRIES_MAX, &retries) < 0)
                return varlink_call_error_invalid_parameter(call, "maxRetries");
        if (get_uint_param(params, "attemptTimeoutMs", 10000, RR_ATTEMPT_TIMEOUT_MIN_MS, RR_ATTEMPT_TIMEOUT_MAX_MS,
                           &timeout) < 0)
                return varlink_call_error_invalid_parameter(call, "attemptTimeoutMs");
        r = parse_refuse_subnets(call, params, v->rr.refuse, &n);
        if (r <= 0)
                return r;
        r = parse_require_subnet(call, params, &v->rr.require, &v->rr.has_require);
        if (r <= 0)
                return r;
        if (client_status(v)->state == DHCP4_STATE_STOPPED)
                return varlink_call_error(call, ERROR_STOPPED, NULL);

        {
                char refused[16 * 20] = "", required[20] = "none", a[INET_ADDRSTRLEN];
                size_t pos = 0;

                for (size_t i = 0; i < n && pos < sizeof(refused); i++)
                        pos += (size_t)snprintf(refused + pos, sizeof(refused) - pos, " %s/%u",
                                                inet_ntop(AF_INET, &v->rr.refuse[i].address, a, sizeof(a)),
                                                v->rr.refuse[i].prefixlen);
                if (v->rr.has_require)
                        snprintf(required, sizeof(required), "%s/%u",
                                 inet_ntop(AF_INET, &v->rr.require.address, a, sizeof(a)), v->rr.require.prefixlen);
                log_info("ReleaseAndRenew requested over varlink (uid %d): delay %" PRIu64 " ms, %" PRIu64
                         " retries, %zu refused subnet(s)%s%s, required subnet %s",
                         (int)varlink_call_get_peer_uid(call), delay, retries, n, n ? ":" : "", refused, required);
        }
        v->rr.n_refuse = n;
        v->rr.delay_ms = delay;
        v->rr.max_retries = (unsigned)retries;
        v->rr.attempt_timeout_ms = timeout;
        v->rr.started_usec = clock_now(CLOCK_BOOTTIME);
        v->rr.call = varlink_call_ref(call);
        v->rr.phase = RR_DELAY;
        dhcp4_client_set_sequence_running(v->client, true);
        varlink_call_set_disconnect_handler(call, rr_on_disconnect, v);

        /* The policy first: a daemon killed during the delay must still refuse the
         * old pool when it comes back. */
        r = dhcp4_client_set_offer_policy(v->client, v->rr.refuse, v->rr.n_refuse,
                                          v->rr.has_require ? &v->rr.require : NULL);
        if (r >= 0)
                r = dhcp4_client_release(v->client);
        if (r >= 0)
                r = rr_arm(v, delay);
        if (r < 0) {
                if (r == -ESTALE)
                        (void)varlink_call_error(call, ERROR_STOPPED, NULL);
                else
                        (void)varlink_call_error_errno(call, r);
                rr_reset(v);
        }
        return 0;
}

static void rr_on_state(Dhcp4Varlink *v, Dhcp4State new_state) {
        const Dhcp4ClientStatus *s;

        if (v->rr.phase == RR_IDLE)
                return;
        if (new_state == DHCP4_STATE_STOPPED) {
                log_info("ReleaseAndRenew: the client stopped; cancelled");
                return rr_fail(v, ERROR_CANCELLED, NULL);
        }
        if (v->rr.phase != RR_WAIT_BOUND || new_state != DHCP4_STATE_BOUND)
                return;
        s = client_status(v);
        if (!s->has_lease)
                return;
        if (rr_refused(v, s->lease.address)) {
                /* The engine refuses such offers; never trust an address we asked to avoid. */
                rr_attempt_failed(v, "bound inside a refused subnet");
                return;
        }
        rr_succeed(v, &s->lease);
}

/* ------------------------------------------------------------------------- */
/* Monitor */

static void monitor_remove(Dhcp4Varlink *v, VarlinkCall *call) {
        for (size_t i = 0; i < v->n_monitors; i++)
                if (v->monitors[i] == call) {
                        v->monitors[i] = v->monitors[--v->n_monitors];
                        varlink_call_unref(call);
                        return;
                }
}

static void monitor_on_disconnect(VarlinkCall *call, void *userdata) {
        monitor_remove(userdata, call);
}

static int method_monitor(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;
        json_object *s;
        int r;

        if (!varlink_call_wants_more(call))
                return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (v->n_monitors >= MONITORS_MAX)
                return varlink_call_error(call, ERROR_BUSY, NULL);
        s = varlink_status(v, _DHCP4_STATE_MAX);
        if (!s)
                return -ENOMEM;
        r = varlink_call_reply_more(call, s);
        if (r < 0)
                return 0; /* the client is gone or not reading */
        v->monitors[v->n_monitors++] = varlink_call_ref(call);
        varlink_call_set_disconnect_handler(call, monitor_on_disconnect, v);
        return 0;
}

static void monitor_on_state(Dhcp4Varlink *v, Dhcp4State old_state, Dhcp4State new_state) {
        for (size_t i = v->n_monitors; i > 0; i--) {
                VarlinkCall *call = v->monitors[i - 1];
                json_object *s = varlink_status(v, new_state);

                if (json_add(s, "previousState", json_object_new_string(dhcp4_state_to_string(old_state))) < 0) {
                        json_object_put(s);
                        s = NULL;
                }
                if (!s || varlink_call_reply_more(call, s) < 0)
                        monitor_remove(v, call); /* gone or not reading: it is being dropped */
        }
}

/* ------------------------------------------------------------------------- */

/* Attachment detection (docs/dna.md): test the peers now; the outcome is in
 * GetStatus().attachment.lastCheck once the check ends (a few 100 ms at most). */
static int method_check(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;
        json_object *o, *a;
        int r;

        if (rr_running(v))
                return varlink_call_error(call, ERROR_BUSY, NULL);
        r = dhcp4_client_check(v->client);
        if (r == -EOPNOTSUPP)
                return varlink_call_error(call, ERROR_DETECTION_OFF, NULL);
        if (r == -ENOTCONN)
                return varlink_call_error(call, ERROR_NOT_BOUND, NULL);
        if (r < 0)
                return reply_command_result(call, r);
        o = json_object_new_object();
        a = json_attachment(&client_status(v)->attachment);
        if (!o || json_add(o, "attachment", a) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return varlink_call_reply(call, o);
}

/* infradhcp-dhclient -lf FILE: one more dhclient-format target. */
static int method_add_lease_export(VarlinkCall *call, json_object *params, void *userdata) {
        Dhcp4Varlink *v = userdata;
        json_object *o, *reply;
        const char *path;
        int r;

        if (!json_object_object_get_ex(params, "path", &o) || !json_object_is_type(o, json_type_string))
                return varlink_call_error_invalid_parameter(call, "path");
        path = json_object_get_string(o);
        log_info("Lease export to %s requested over varlink (uid %d)", path, (int) varlink_call_get_peer_uid(call));
        r = dhcp4_client_add_lease_export(v->client, path);
        if (r == -EINVAL)
                return varlink_call_error(call, ERROR_INVALID_PATH,
                                          json_build_object("path", json_object_new_string(path), NULL));
        if (r == -E2BIG)
                return varlink_call_error(call, ERROR_TOO_MANY_EXPORTS, NULL);
        if (r < 0)
                return varlink_call_error(call, ERROR_EXPORT_FAILED,
                                          json_build_object("path", json_object_new_string(path), "errno",
                                                            json_object_new_int(-r), "message",
                                                            json_object_new_string(strerror(-r)), NULL));
        reply = json_build_object("written", json_object_new_boolean(r > 0), NULL);
        if (!reply)
                return -ENOMEM;
        return varlink_call_reply(call, reply);
}

static const VarlinkMethod client_methods[] = {
        { "GetStatus", method_get_status, false },
        { "GetMetrics", method_get_metrics, false },
        { "Check", method_check, true },
        { "Release", method_release, true },
        { "Renew", method_renew, true },
        { "Rebind", method_rebind, true },
        { "Restart", method_restart, true },
        { "ReleaseAndRenew", method_release_and_renew, true },
        { "Monitor", method_monitor, false },
        { "AddLeaseExport", method_add_lease_export, true },
        {}
};

void dhcp4_varlink_on_state(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state, void *userdata) {
        Dhcp4Varlink *v = userdata;

        if (!v)
                return;
        monitor_on_state(v, old_state, new_state);
        rr_on_state(v, new_state);
}

int dhcp4_varlink_check_free(const char *runtime_dir, const char *ifname) {
        _cleanup_(freep) char *path = NULL;
        int r;

        if (!runtime_dir || !ifname)
                return -EINVAL;
        if (asprintf(&path, "%s/%s/" DHCP4_VARLINK_SOCKET_NAME, runtime_dir, ifname) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = varlink_socket_in_use(path);
        if (r > 0)
                return log_error_errno(-EADDRINUSE, "Cannot listen on varlink socket %s: %m", path);
        return r < 0 ? r : 0;
}

int dhcp4_varlink_new(Dhcp4Varlink **ret, sd_event *event, Dhcp4Client *client, const char *runtime_dir) {
        _cleanup_(dhcp4_varlink_freep) Dhcp4Varlink *v = NULL;
        _cleanup_(freep) char *path = NULL;
        int r;

        if (!ret || !event || !client || !runtime_dir)
                return -EINVAL;
        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v->event = sd_event_ref(event);
        v->client = client;
        r = varlink_server_new(&v->server, event, "infradhcp", "infradhcpd", PACKAGE_VERSION,
                               "https://github.com/infradhcp/infradhcp");
        if (r < 0)
                return r;
        r = varlink_server_add_interface(v->server, "io.infradhcp.Client", dhcp4_varlink_idl, client_methods, v);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s/" DHCP4_VARLINK_SOCKET_NAME, runtime_dir, client_status(v)->interface) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = varlink_server_listen(v->server, path);
        if (r < 0)
                return log_error_errno(r, "Cannot listen on varlink socket %s: %m", path);
        log_debug("Listening on varlink socket %s", path);
        *ret = v;
        v = NULL;
        return 0;
}

Dhcp4Varlink *dhcp4_varlink_free(Dhcp4Varlink *v) {
        if (!v)
                return NULL;
        if (v->rr.phase != RR_IDLE)
                rr_fail(v, ERROR_CANCELLED, NULL);
        rr_reset(v);
        while (v->n_monitors > 0) {
                VarlinkCall *call = v->monitors[v->n_monitors - 1];
                varlink_call_set_disconnect_handler(call, NULL, NULL);
                monitor_remove(v, call);
        }
        varlink_server_free(v->server);
        sd_event_unref(v->event);
        free(v);
        return NULL;
}
