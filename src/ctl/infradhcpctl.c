/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpctl: shows and drives the infradhcpd of each interface over its varlink
 * socket <runtime-dir>/<ifname>/io.infradhcp.Client (docs/control.md).
 * Output for humans in the style of `networkctl status`, or the daemon's JSON as is
 * with --json. Not a daemon and not a DHCP client: every answer comes from infradhcpd.
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "doctor.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "prom.h"
#include "time-util.h"
#include "varlink.h"

#define SOCKET_NAME "io.infradhcp.Client"
#define METHOD(m) "io.infradhcp.Client." m
#define JSON_FORMAT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define IFACES_MAX 256

static const char *arg_runtime_dir = RUNTIME_DIR;
static bool arg_json = false;
static uint64_t arg_timeout = 10 * USEC_PER_SEC;
static int64_t arg_delay_ms = -1, arg_max_retries = -1, arg_attempt_timeout_ms = -1;
static const char *arg_refuse[16];
static size_t arg_n_refuse = 0;
static const char *arg_require = NULL;
static bool arg_ready = false;
static bool arg_fix = false, arg_undo = false;
static const char *arg_root = NULL, *arg_state_dir = NULL, *arg_opflex_dir = NULL, *arg_link_parent = NULL;
static bool arg_link_has_mac = false;
static uint8_t arg_link_mac[6];
static int arg_link_vlan = 0;

static void help(void) {
        printf("Usage: infradhcpctl [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Show and control infradhcpd, the DHCPv4 client of the infra interface.\n"
               "\n"
               "Commands:\n"
               "  list                       interfaces with an infradhcpd socket\n"
               "  status [IF...]             state and lease (all interfaces when none given)\n"
               "  lease IF                   the current lease of IF\n"
               "  release IF                 send DHCPRELEASE and remove the address\n"
               "  renew IF                   renew the lease now\n"
               "  rebind IF                  rebind (broadcast REQUEST) now\n"
               "  restart IF [SUBNET...]     start over with DISCOVER, refusing offers in SUBNETs\n"
               "  release-and-renew IF       release, wait, restart and wait until bound again\n"
               "  check IF                   attachment check now (RFC 4436) and its outcome\n"
               "  monitor [IF...]            print every state change (all interfaces when none given)\n"
               "  metrics [IF...]            counters and state as Prometheus text (all interfaces when none given)\n"
               "  agent                      status of infradhcp-agent (multipod migrations)\n"
               "  doctor IF                  find every other manager of IPv4 on IF, with the fix\n"
               "\n"
               "Options:\n"
               "  --runtime-dir DIR          where the sockets are (default " RUNTIME_DIR ")\n"
               "  --json                     print the daemon's JSON replies\n"
               "  --timeout DURATION         wait at most this long for a reply (default 10s)\n"
               "  --delay MS                 release-and-renew: wait after the release (default 0)\n"
               "  --max-retries N            release-and-renew: restarts after the first (default 3)\n"
               "  --attempt-timeout MS       release-and-renew: wait per attempt (default 10000)\n"
               "  --refuse SUBNET            release-and-renew: refuse offers in SUBNET (repeatable)\n"
               "  --require SUBNET           restart, release-and-renew: accept only offers in SUBNET\n"
               "  --ready                    agent: print the phase; exit 0 only when Idle, Migrating\n"
               "                             or Disabled (a readiness probe)\n"
               "  --fix                      doctor: apply the reversible fixes (recorded for --undo)\n"
               "  --undo                     doctor: revert what --fix changed\n"
               "  --root DIR                 doctor: check the configuration files under DIR\n"
               "  --state-dir DIR            doctor: where --fix keeps its record (default " STATE_DIR ")\n"
               "  --opflex-config-path DIR   doctor: opflex-agent's base-conf.d\n"
               "  --link-mac MAC             doctor: the interface's MAC (with --root, when IF is not here)\n"
               "  --link-vlan ID             doctor: IF is a VLAN with this id ...\n"
               "  --link-parent IF           doctor: ... on this parent\n"
               "  -h --help                  show this help\n"
               "  --version                  show the version\n"
               "\n"
               "State-changing commands need root.\n");
}

/* ------------------------------------------------------------------------- */
/* Connecting and calling */

static char *socket_path(const char *ifname) {
        char *p;
        if (asprintf(&p, "%s/%s/" SOCKET_NAME, arg_runtime_dir, ifname) < 0)
                return NULL;
        return p;
}

static int connect_iface(const char *ifname, VarlinkClient **ret, bool quiet) {
        _cleanup_(freep) char *path = NULL;
        int r;

        if (!ifname_valid(ifname)) {
                fprintf(stderr, "'%s' is not a valid interface name.\n", ifname);
                return -EINVAL;
        }
        path = socket_path(ifname);
        if (!path)
                return -ENOMEM;
        r = varlink_client_connect(ret, path, arg_timeout);
        if (r >= 0 || quiet)
                return r;
        if (r == -ENOENT)
                fprintf(stderr, "infradhcpd is not running on %s (no socket at %s)\n", ifname, path);
        else if (r == -ECONNREFUSED)
                fprintf(stderr, "infradhcpd is not running on %s (stale socket at %s)\n", ifname, path);
        else if (r == -EACCES)
                fprintf(stderr, "Permission denied connecting to %s\n", path);
        else
                fprintf(stderr, "Cannot connect to infradhcpd on %s (%s): %s\n", ifname, path, strerror(-r));
        return r;
}

typedef struct Result {
        json_object *parameters;
        char *error;
} Result;

static void result_done(Result *r) {
        json_object_put(r->parameters);
        free(r->error);
        *r = (Result){};
}

static int on_final(VarlinkClient *c, const VarlinkReply *reply, void *userdata) {
        Result *res = userdata;

        result_done(res);
        res->parameters = json_object_get(reply->parameters);
        if (reply->error) {
                res->error = strdup(reply->error);
                if (!res->error)
                        return -ENOMEM;
        }
        return 0;
}

static const char *jstr(json_object *o, const char *key);
static bool jint(json_object *o, const char *key, int64_t *ret);

static void print_call_error(const char *what, const char *ifname, const Result *res) {
        const char *e = res->error;

        if (strcmp(e, VARLINK_ERROR_PERMISSION_DENIED) == 0)
                fprintf(stderr, "Failed to %s %s: permission denied (only root may do this)\n", what, ifname);
        else if (strcmp(e, METHOD("Busy")) == 0)
                fprintf(stderr, "Failed to %s %s: a release-and-renew is in progress\n", what, ifname);
        else if (strcmp(e, METHOD("Stopped")) == 0 || strcmp(e, METHOD("Cancelled")) == 0)
                fprintf(stderr, "Failed to %s %s: infradhcpd is stopping\n", what, ifname);
        else if (strcmp(e, METHOD("RetriesExhausted")) == 0) {
                int64_t n = 0;
                const char *last = jstr(res->parameters, "lastError");
                jint(res->parameters, "attempts", &n);
                fprintf(stderr, "Failed to %s %s: no acceptable lease after %" PRIi64 " attempt%s%s%s "
                                "(infradhcpd keeps trying)\n",
                        what, ifname, n, n == 1 ? "" : "s", last ? "; last error: " : "", last ?: "");
        } else if (strcmp(e, METHOD("DetectionOff")) == 0)
                fprintf(stderr, "Failed to %s %s: attachment detection is off ([Attachment] Detect=no)\n", what,
                        ifname);
        else if (strcmp(e, METHOD("NotBound")) == 0)
                fprintf(stderr, "Failed to %s %s: no lease to check\n", what, ifname);
        else if (strcmp(e, METHOD("InvalidSubnet")) == 0)
                fprintf(stderr, "Failed to %s %s: invalid subnet '%s' (expected a.b.c.d/len)\n", what, ifname,
                        jstr(res->parameters, "subnet") ?: "?");
        else
                fprintf(stderr, "Failed to %s %s: %s %s\n", what, ifname, e,
                        json_object_to_json_string_ext(res->parameters, JSON_FORMAT));
}

/* One call with one final reply. Prints the failure; returns 0 or -errno (-EREMOTE
 * for an error reply, which stays in *res for --json). */
static int call_iface(const char *ifname, const char *what, const char *method, json_object *params,
                      uint64_t timeout, Result *res) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        int r;

        *res = (Result){};
        r = connect_iface(ifname, &c, false);
        if (r < 0)
                return r;
        r = varlink_client_call(c, method, params, 0, timeout, on_final, res);
        if (r < 0) {
                if (r == -ETIMEDOUT)
                        fprintf(stderr, "Failed to %s %s: no answer from infradhcpd in time\n", what, ifname);
                else
                        fprintf(stderr, "Failed to %s %s: %s\n", what, ifname, strerror(-r));
                result_done(res);
                return r;
        }
        if (res->error) {
                print_call_error(what, ifname, res);
                return -EREMOTE;
        }
        return 0;
}

/* ------------------------------------------------------------------------- */
/* Formatting */

static const char *jstr(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool jint(json_object *o, const char *key, int64_t *ret) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

static char *format_timestamp(char *buf, size_t size, int64_t usec) {
        time_t t = (time_t)(usec / (int64_t)USEC_PER_SEC);
        uint64_t now = clock_now(CLOCK_REALTIME);
        char when[64], span[64];
        struct tm tm;

        if (usec < 0 || !localtime_r(&t, &tm) || strftime(when, sizeof(when), "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0) {
                snprintf(buf, size, "n/a");
                return buf;
        }
        if ((uint64_t)usec >= now)
                snprintf(buf, size, "%s (in %s)", when, format_timespan(span, sizeof(span), (uint64_t)usec - now));
        else
                snprintf(buf, size, "%s (%s ago)", when, format_timespan(span, sizeof(span), now - (uint64_t)usec));
        return buf;
}

static void field(const char *label, const char *value) {
        if (value)
                printf("%16s: %s\n", label, value);
}

static void field_strings(const char *label, json_object *o, const char *key) {
        json_object *arr;
        size_t n;

        if (!json_object_object_get_ex(o, key, &arr) || !json_object_is_type(arr, json_type_array))
                return;
        n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++)
                printf("%16s%s %s\n", i == 0 ? label : "", i == 0 ? ":" : " ",
                       json_object_get_string(json_object_array_get_idx(arr, i)));
}

static void field_time(const char *label, json_object *o, const char *key) {
        char buf[160];
        int64_t v;

        if (jint(o, key, &v))
                field(label, format_timestamp(buf, sizeof(buf), v));
}

static void print_lease(json_object *s) {
        json_object *routes;
        char buf[160], span[64];
        int64_t v, plen;

        if (jstr(s, "address") && jint(s, "prefixlen", &plen)) {
                snprintf(buf, sizeof(buf), "%s/%" PRIi64, jstr(s, "address"), plen);
                field("Address", buf);
        }
        field("Server", jstr(s, "server"));
        field_strings("Gateway", s, "routers");
        field_strings("DNS", s, "dns");
        if (json_object_object_get_ex(s, "routes", &routes) && json_object_is_type(routes, json_type_array)) {
                size_t n = json_object_array_length(routes);
                for (size_t i = 0; i < n; i++) {
                        json_object *r = json_object_array_get_idx(routes, i);
                        const char *gw = jstr(r, "gateway");
                        snprintf(buf, sizeof(buf), "%s %s%s", jstr(r, "destination") ?: "?", gw ? "via " : "on-link",
                                 gw ?: "");
                        printf("%16s%s %s\n", i == 0 ? "Routes" : "", i == 0 ? ":" : " ", buf);
                }
        }
        if (jint(s, "mtu", &v)) {
                snprintf(buf, sizeof(buf), "%" PRIi64, v);
                field("MTU", buf);
        }
        field("Hostname", jstr(s, "hostname"));
        field("Domain", jstr(s, "domain"));
        field("Client ID", jstr(s, "clientId"));
        field_time("Lease Start", s, "leaseStart");
        if (jint(s, "lifetime", &v))
                field("Lifetime", format_timespan(span, sizeof(span), (uint64_t)MAX(v, 0) * USEC_PER_SEC));
        else if (jstr(s, "address"))
                field("Lifetime", "infinite");
        field_time("Renews (T1)", s, "t1");
        field_time("Rebinds (T2)", s, "t2");
        field_time("Expires", s, "expiry");
}

/* RFC 5227 conflict detection: its state, who last claimed an address offered to us
 * or ours, and the addresses declined and still in quarantine. */
static void print_acd(json_object *s) {
        char buf[64];
        int64_t conflicts, backoff;

        field("ACD", jstr(s, "acdState"));
        field("Conflict MAC", jstr(s, "conflictMac"));
        field_strings("Declined", s, "declined");
        if (jint(s, "conflicts", &conflicts) && conflicts > 0 && jint(s, "declineBackoffMs", &backoff)) {
                snprintf(buf, sizeof(buf), "%" PRIi64 " conflict%s in a row, waited %" PRIi64 " ms", conflicts,
                         conflicts == 1 ? "" : "s", backoff);
                field("Back-off", buf);
        }
}

/* "10.0.128.64/16 removed by NetworkManager (pid 812); put back. Run infradhcpctl doctor
 * IF" and how long ago. */
static void print_last_removal(json_object *s) {
        const char *m = jstr(s, "lastRemoval");
        char when[160], buf[512];
        int64_t v;

        if (!m)
                return;
        if (jint(s, "lastRemovalAt", &v)) {
                snprintf(buf, sizeof(buf), "%s (%s)", m, format_timestamp(when, sizeof(when), v));
                field("Last Removal", buf);
        } else
                field("Last Removal", m);
}

static void print_capabilities(json_object *s) {
        json_object *caps;
        char buf[256] = "";
        size_t n = 0;

        if (!json_object_object_get_ex(s, "capabilities", &caps) || !json_object_is_type(caps, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(caps); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(caps, i));
                int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "", name ? name : "?");
                if (w < 0 || (size_t)w >= sizeof(buf) - n)
                        break;
                n += (size_t)w;
        }
        field("Capabilities", buf[0] ? buf : "none");
}

static bool jbool(json_object *o, const char *key, bool *ret) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
                return false;
        *ret = json_object_get_boolean(v);
        return true;
}

/* "attached (periodic, 3s ago): 1 of 1 peers answered ..." */
static char *format_check(char *buf, size_t size, json_object *chk) {
        char ago[80] = "", span[64];
        int64_t t;

        if (jint(chk, "started", &t) && t > 0 && (uint64_t) t <= clock_now(CLOCK_REALTIME))
                snprintf(ago, sizeof(ago), ", %s ago",
                         format_timespan(span, sizeof(span), clock_now(CLOCK_REALTIME) - (uint64_t) t));
        snprintf(buf, size, "%s (%s%s): %s", jstr(chk, "outcome") ?: "?", jstr(chk, "trigger") ?: "?", ago,
                 jstr(chk, "reason") ?: "");
        return buf;
}

/* RFC 4436 attachment detection: its state, the peers and the last check. */
static void print_attachment(json_object *s) {
        json_object *a, *peers, *chk;
        char buf[512];
        int64_t usable = 0, checks = 0, confirms = 0;
        bool enabled = false;

        if (!json_object_object_get_ex(s, "attachment", &a))
                return;
        if (!jbool(a, "enabled", &enabled) || !enabled) {
                field("Attachment", "disabled");
                return;
        }
        jint(a, "usablePeers", &usable);
        jint(a, "checks", &checks);
        jint(a, "confirmations", &confirms);
        snprintf(buf, sizeof(buf),
                 "%s, %" PRIi64 " usable peer%s%s; %" PRIi64 " check%s, %" PRIi64 " DHCP confirmation%s",
                 jstr(a, "state") ?: "?", usable, usable == 1 ? "" : "s",
                 usable == 0 ? " (only hints lead to a DHCP check)" : "", checks, checks == 1 ? "" : "s", confirms,
                 confirms == 1 ? "" : "s");
        field("Attachment", buf);
        if (json_object_object_get_ex(a, "peers", &peers) && json_object_is_type(peers, json_type_array))
                for (size_t i = 0; i < json_object_array_length(peers); i++) {
                        json_object *p = json_object_array_get_idx(peers, i);
                        bool unresp = false;

                        jbool(p, "unresponsive", &unresp);
                        snprintf(buf, sizeof(buf), "%s (%s) %s%s%s", jstr(p, "address") ?: "?",
                                 jstr(p, "source") ?: "?", jstr(p, "mac") ? "at " : "MAC unknown",
                                 jstr(p, "mac") ?: "", unresp ? ", unresponsive" : "");
                        printf("%16s%s %s\n", i == 0 ? "Peers" : "", i == 0 ? ":" : " ", buf);
                }
        if (json_object_object_get_ex(a, "lastCheck", &chk))
                field("Last Check", format_check(buf, sizeof(buf), chk));
}

static void print_status(json_object *s) {
        printf("\u25cf %s\n", jstr(s, "interface") ?: "?");
        field("State", jstr(s, "state"));
        print_lease(s);
        print_acd(s);
        print_attachment(s);
        field("Last Error", jstr(s, "lastError"));
        field("Persist Error", jstr(s, "persistError"));
        field("Export Error", jstr(s, "exportError"));
        print_last_removal(s);
        print_capabilities(s);
}

/* The exit code of a verb that ran out of memory building a request or output. */
static int log_oom(void) {
        fprintf(stderr, "infradhcpctl: out of memory\n");
        return EXIT_FAILURE;
}

static void print_json(json_object *o) {
        printf("%s\n", json_object_to_json_string_ext(o, JSON_FORMAT));
}

/* ------------------------------------------------------------------------- */
/* Interfaces in the runtime directory */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Interface names that have a socket file, sorted. */
static int scan_ifaces(char ***ret, size_t *ret_n) {
        DIR *d = opendir(arg_runtime_dir);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        if (!d) {
                if (errno == ENOENT) {
                        *ret = NULL;
                        *ret_n = 0;
                        return 0;
                }
                return -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_(freep) char *path = NULL;
                struct stat st;
                char **nn;

                if (!ifname_valid(de->d_name) || n >= IFACES_MAX)
                        continue;
                path = socket_path(de->d_name);
                if (!path || stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                        continue;
                nn = realloc(names, (n + 1) * sizeof(*names));
                if (!nn || !(nn[n] = strdup(de->d_name))) {
                        names = nn ?: names;
                        break;
                }
                names = nn;
                n++;
        }
        closedir(d);
        if (n > 0) /* qsort(NULL, 0, ...) is undefined (its pointer is declared nonnull) */
                qsort(names, n, sizeof(*names), cmp_str);
        *ret = names;
        *ret_n = n;
        return 0;
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* ------------------------------------------------------------------------- */
/* Commands */

/* A read-only call without parameters (GetStatus, GetMetrics): its reply in *ret. */
static int get_reply(const char *ifname, const char *method, const char *what, bool quiet, json_object **ret) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        Result res = {};
        int r;

        r = connect_iface(ifname, &c, quiet);
        if (r < 0)
                return r;
        r = varlink_client_call(c, method, NULL, 0, arg_timeout, on_final, &res);
        if (r >= 0 && res.error)
                r = -EREMOTE;
        if (r < 0) {
                if (!quiet)
                        fprintf(stderr, "Failed to get the %s of %s: %s\n", what, ifname, res.error ?: strerror(-r));
                result_done(&res);
                return r;
        }
        *ret = res.parameters;
        free(res.error);
        return 0;
}

static int get_status(const char *ifname, bool quiet, json_object **ret) {
        return get_reply(ifname, METHOD("GetStatus"), "status", quiet, ret);
}

static int verb_list(int argc, char **argv) {
        _cleanup_(json_object_unrefp) json_object *arr = json_object_new_array();
        char **names;
        size_t n;
        int r;

        r = scan_ifaces(&names, &n);
        if (r < 0) {
                fprintf(stderr, "Cannot read %s: %s\n", arg_runtime_dir, strerror(-r));
                return EXIT_FAILURE;
        }
        if (!arg_json)
                printf("%-16s %-12s %s\n", "INTERFACE", "STATE", "ADDRESS");
        for (size_t i = 0; i < n; i++) {
                json_object *s = NULL;
                char addr[64] = "-";
                int64_t plen;

                r = get_status(names[i], true, &s);
                if (arg_json) {
                        if (r < 0)
                                s = json_build_object("interface", json_object_new_string(names[i]),
                                                      "state", json_object_new_string("unreachable"), NULL);
                        if (json_append(arr, s) < 0) {
                                free_names(names, n);
                                return log_oom();
                        }
                        continue;
                }
                if (r >= 0 && jstr(s, "address") && jint(s, "prefixlen", &plen))
                        snprintf(addr, sizeof(addr), "%s/%" PRIi64, jstr(s, "address"), plen);
                printf("%-16s %-12s %s\n", names[i], r >= 0 ? jstr(s, "state") ?: "?" : "unreachable", addr);
                json_object_put(s);
        }
        if (arg_json)
                print_json(arr);
        else
                printf("\n%zu interface%s listed.\n", n, n == 1 ? "" : "s");
        free_names(names, n);
        return EXIT_SUCCESS;
}

/* The interfaces of a verb taking [IF...]: argv[1..] as given, else every one with a
 * socket. One rule with and without --json: nothing to show is a failure (exit 1, said
 * on stderr); --json still prints its (empty) array. *ret_names gets the scanned names
 * (free_names; NULL when given). Returns the count, or -1 after printing why. */
static ssize_t verb_ifaces(int argc, char **argv, char ***ret_names, size_t *ret_n) {
        int r;

        *ret_names = NULL;
        *ret_n = 0;
        if (argc > 1)
                return argc - 1;
        r = scan_ifaces(ret_names, ret_n);
        if (r < 0) {
                fprintf(stderr, "Cannot read %s: %s\n", arg_runtime_dir, strerror(-r));
                return -1;
        }
        if (*ret_n == 0) {
                fprintf(stderr, "No infradhcpd is running (no sockets in %s)\n", arg_runtime_dir);
                if (arg_json)
                        printf("[]\n");
                return -1;
        }
        return (ssize_t) *ret_n;
}

/* --json of a verb taking [IF...]: one interface named, its reply; otherwise an array. */
static void print_json_replies(json_object *arr, int argc) {
        if (argc == 2) {
                if (json_object_array_length(arr) == 1)
                        print_json(json_object_array_get_idx(arr, 0));
        } else
                print_json(arr);
}

static int verb_status(int argc, char **argv) {
        _cleanup_(json_object_unrefp) json_object *arr = json_object_new_array();
        char **names;
        size_t n;
        ssize_t count = verb_ifaces(argc, argv, &names, &n);
        bool failed = false;

        if (count < 0)
                return EXIT_FAILURE;
        for (size_t i = 0; i < (size_t) count; i++) {
                const char *ifname = names ? names[i] : argv[i + 1];
                json_object *s = NULL;

                if (get_status(ifname, false, &s) < 0) {
                        failed = true;
                        continue;
                }
                if (arg_json) {
                        if (json_append(arr, s) < 0) {
                                free_names(names, n);
                                return log_oom();
                        }
                        continue;
                }
                if (i > 0)
                        printf("\n");
                print_status(s);
                json_object_put(s);
        }
        free_names(names, n);
        if (arg_json)
                print_json_replies(arr, argc);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The Prometheus text of each interface's infradhcpd (GetMetrics), merged into one
 * exposition: every family once, its series from every interface (docs/metrics.md). */
static int verb_metrics(int argc, char **argv) {
        _cleanup_(json_object_unrefp) json_object *arr = json_object_new_array();
        _cleanup_(freep) const char **texts = NULL;
        _cleanup_(freep) char *merged = NULL;
        char **names;
        size_t n, n_texts = 0;
        ssize_t count = verb_ifaces(argc, argv, &names, &n);
        bool failed = false;
        int r;

        if (count < 0)
                return EXIT_FAILURE;
        texts = calloc(MAX((size_t) count, (size_t) 1), sizeof(*texts));
        if (!arr || !texts) {
                free_names(names, n);
                return log_oom();
        }
        for (size_t i = 0; i < (size_t) count; i++) {
                const char *ifname = names ? names[i] : argv[i + 1], *text;
                json_object *m = NULL;

                if (get_reply(ifname, METHOD("GetMetrics"), "metrics", false, &m) < 0) {
                        failed = true;
                        continue;
                }
                if (json_append(arr, m) < 0) {
                        free_names(names, n);
                        return log_oom();
                }
                text = jstr(m, "text");
                if (!text) {
                        fprintf(stderr, "Failed to get the metrics of %s: no text in the reply\n", ifname);
                        failed = true;
                        continue;
                }
                texts[n_texts++] = text; /* owned by arr */
        }
        free_names(names, n);
        if (arg_json) {
                print_json_replies(arr, argc);
                return failed ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        r = prom_merge(texts, n_texts, &merged, NULL);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                fprintf(stderr, "The metrics of these interfaces cannot be merged into one exposition (a family "
                                "typed differently: infradhcpd versions differ?); use --json or one interface\n");
                return EXIT_FAILURE;
        }
        fputs(merged, stdout);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int verb_lease(int argc, char **argv) {
        json_object *s = NULL;

        if (get_status(argv[1], false, &s) < 0)
                return EXIT_FAILURE;
        if (!jstr(s, "address")) {
                fprintf(stderr, "%s has no lease (state %s)\n", argv[1], jstr(s, "state") ?: "?");
                json_object_put(s);
                return EXIT_FAILURE;
        }
        if (arg_json) {
                /* The lease fields only: not the client's state, last error or
                 * conflict detection (`status` has those). */
                static const char *const drop[] = { "state", "lastError", "acdState", "conflictMac",
                                                    "declined", "attachment", "exportError", "lastRemoval",
                                                    "lastRemovalAt" };
                for (size_t i = 0; i < ELEMENTSOF(drop); i++)
                        json_object_object_del(s, drop[i]);
                print_json(s);
        } else {
                printf("\u25cf %s\n", argv[1]);
                print_lease(s);
        }
        json_object_put(s);
        return EXIT_SUCCESS;
}

static int simple_command(const char *ifname, const char *what, const char *method, json_object *params,
                          uint64_t timeout) {
        Result res;
        int r;

        r = call_iface(ifname, what, method, params, timeout, &res);
        if (arg_json && res.parameters) {
                /* The reply, or the error as {"error": ..., "parameters": ...}. */
                if (res.error) {
                        json_object *o = json_build_object("error", json_object_new_string(res.error),
                                                           "parameters", json_object_get(res.parameters), NULL);
                        if (!o) {
                                result_done(&res);
                                return log_oom();
                        }
                        print_json(o);
                        json_object_put(o);
                } else
                        print_json(res.parameters);
        }
        if (r >= 0 && !arg_json && strcmp(method, METHOD("ReleaseAndRenew")) == 0) {
                int64_t plen = 0, attempts = 0, ms = 0;
                jint(res.parameters, "prefixlen", &plen);
                jint(res.parameters, "attempts", &attempts);
                jint(res.parameters, "durationMs", &ms);
                printf("%s: bound to %s/%" PRIi64 " after %" PRIi64 " attempt%s in %" PRIi64 " ms\n", ifname,
                       jstr(res.parameters, "address") ?: "?", plen, attempts, attempts == 1 ? "" : "s", ms);
        }
        result_done(&res);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Check, then follow GetStatus until the check has ended and, when it asked DHCP,
 * until the confirmation is answered (confirmed, moved or aborted). */
static int verb_check(int argc, char **argv) {
        static const char *const final[] = { "attached", "rate-limited", "confirmed", "moved", "aborted", "no-peer" };
        uint64_t deadline = usec_add(clock_now(CLOCK_REALTIME), arg_timeout);
        json_object *s = NULL, *a = NULL, *chk = NULL;
        char buf[512];
        Result res;
        int r;

        r = call_iface(argv[1], "check", METHOD("Check"), NULL, arg_timeout, &res);
        if (r < 0) {
                if (arg_json && res.error && res.parameters)
                        print_json(res.parameters);
                result_done(&res);
                return EXIT_FAILURE;
        }
        result_done(&res);
        for (;;) {
                const char *o;
                bool done = false;

                json_object_put(s);
                s = NULL;
                a = chk = NULL;
                if (get_status(argv[1], false, &s) < 0)
                        return EXIT_FAILURE;
                if (json_object_object_get_ex(s, "attachment", &a) && json_object_object_get_ex(a, "lastCheck", &chk) &&
                    (o = jstr(chk, "outcome")))
                        for (size_t i = 0; i < ELEMENTSOF(final); i++)
                                done = done || strcmp(o, final[i]) == 0;
                if (done || clock_now(CLOCK_REALTIME) >= deadline)
                        break;
                (void) poll(NULL, 0, 20);
        }
        if (arg_json)
                print_json(a);
        else if (chk)
                printf("%s: %s\n", argv[1], format_check(buf, sizeof(buf), chk));
        else
                printf("%s: no check ran\n", argv[1]);
        r = chk ? EXIT_SUCCESS : EXIT_FAILURE;
        json_object_put(s);
        return r;
}

static int verb_release(int argc, char **argv) {
        return simple_command(argv[1], "release", METHOD("Release"), NULL, arg_timeout);
}

static int verb_renew(int argc, char **argv) {
        return simple_command(argv[1], "renew", METHOD("Renew"), NULL, arg_timeout);
}

static int verb_rebind(int argc, char **argv) {
        return simple_command(argv[1], "rebind", METHOD("Rebind"), NULL, arg_timeout);
}

/* Arguments are checked before anything is contacted: a bad subnet is the
 * user's error whether or not a daemon runs. */
static bool subnet_ok(const char *s) {
        struct in_addr a;
        uint8_t len;

        if (parse_ipv4_prefix(s, &a, &len) >= 0)
                return true;
        fprintf(stderr, "infradhcpctl: invalid subnet '%s' (expected a.b.c.d/len, len 0..32)\n", s);
        return false;
}

static int verb_restart(int argc, char **argv) {
        for (int i = 2; i < argc; i++)
                if (!subnet_ok(argv[i]))
                        return EXIT_FAILURE;

        _cleanup_(json_object_unrefp) json_object *p = json_build_object(
                "refuseSubnets", json_new_string_array((const char *const *)argv + 2, (size_t)argc - 2), NULL);

        if (!p || (arg_require && json_add(p, "requireSubnet", json_object_new_string(arg_require)) < 0))
                return log_oom();
        return simple_command(argv[1], "restart", METHOD("Restart"), p, arg_timeout);
}

static int verb_release_and_renew(int argc, char **argv) {
        _cleanup_(json_object_unrefp) json_object *p = json_object_new_object();
        uint64_t delay = arg_delay_ms >= 0 ? (uint64_t)arg_delay_ms : 0;
        uint64_t retries = arg_max_retries >= 0 ? (uint64_t)arg_max_retries : 3;
        uint64_t attempt = arg_attempt_timeout_ms >= 0 ? (uint64_t)arg_attempt_timeout_ms : 10000;
        uint64_t timeout, backoff_total = 0;

        if (!p || (arg_delay_ms >= 0 && json_add(p, "delayMs", json_object_new_int64(arg_delay_ms)) < 0) ||
            (arg_max_retries >= 0 && json_add(p, "maxRetries", json_object_new_int64(arg_max_retries)) < 0) ||
            (arg_attempt_timeout_ms >= 0 &&
             json_add(p, "attemptTimeoutMs", json_object_new_int64(arg_attempt_timeout_ms)) < 0) ||
            (arg_n_refuse > 0 && json_add(p, "refuseSubnets", json_new_string_array(arg_refuse, arg_n_refuse)) < 0) ||
            (arg_require && json_add(p, "requireSubnet", json_object_new_string(arg_require)) < 0))
                return log_oom();
        /* The daemon answers when the sequence ends: allow its worst case (back-offs of
         * at most 60 s each) plus the usual timeout. */
        for (uint64_t i = 0; i < retries; i++)
                backoff_total += 60000;
        timeout = usec_add(usec_add(delay, usec_add((retries + 1) * attempt, backoff_total)) * USEC_PER_MSEC,
                           arg_timeout);
        return simple_command(argv[1], "release-and-renew", METHOD("ReleaseAndRenew"), p, timeout);
}

typedef struct Monitor {
        char *ifname;
        VarlinkClient *client;
} Monitor;

static int monitor_print(const char *ifname, const VarlinkReply *r) {
        char when[64];
        time_t t = time(NULL);
        struct tm tm;
        int64_t plen;

        if (r->error) {
                fprintf(stderr, "%s: monitor failed: %s\n", ifname, r->error);
                return -EREMOTE;
        }
        if (arg_json) {
                print_json(r->parameters);
        } else {
                localtime_r(&t, &tm);
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
                printf("%s %s: %s", when, ifname, jstr(r->parameters, "state") ?: "?");
                if (jstr(r->parameters, "address") && jint(r->parameters, "prefixlen", &plen))
                        printf(" %s/%" PRIi64, jstr(r->parameters, "address"), plen);
                if (jstr(r->parameters, "previousState"))
                        printf(" (was %s)", jstr(r->parameters, "previousState"));
                printf("\n");
        }
        fflush(stdout);
        return 0;
}

static int verb_monitor(int argc, char **argv) {
        Monitor mons[IFACES_MAX];
        struct pollfd pfd[IFACES_MAX];
        char **names = NULL;
        size_t n = 0, n_mons = 0, open_mons;
        int ret = EXIT_SUCCESS, r;

        if (argc <= 1) {
                r = scan_ifaces(&names, &n);
                if (r < 0 || n == 0) {
                        fprintf(stderr, "No infradhcpd is running (no sockets in %s)\n", arg_runtime_dir);
                        return EXIT_FAILURE;
                }
        } else {
                n = MIN((size_t)argc - 1, (size_t)IFACES_MAX);
                names = calloc(n, sizeof(*names));
                for (size_t i = 0; names && i < n; i++)
                        names[i] = strdup(argv[i + 1]);
                if (!names)
                        return EXIT_FAILURE;
        }
        for (size_t i = 0; i < n; i++) {
                VarlinkClient *c = NULL;

                if (!names[i] || connect_iface(names[i], &c, false) < 0) {
                        ret = EXIT_FAILURE;
                        continue;
                }
                r = varlink_client_send(c, METHOD("Monitor"), NULL, VARLINK_CALL_MORE, arg_timeout);
                if (r < 0) {
                        fprintf(stderr, "%s: cannot start monitoring: %s\n", names[i], strerror(-r));
                        varlink_client_free(c);
                        ret = EXIT_FAILURE;
                        continue;
                }
                mons[n_mons++] = (Monitor){ .ifname = names[i], .client = c };
        }
        open_mons = n_mons;
        while (open_mons > 0) {
                for (size_t i = 0; i < n_mons; i++)
                        pfd[i] = (struct pollfd){ .fd = mons[i].client ? varlink_client_get_fd(mons[i].client) : -1,
                                                  .events = POLLIN };
                if (poll(pfd, n_mons, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        ret = EXIT_FAILURE;
                        break;
                }
                for (size_t i = 0; i < n_mons; i++) {
                        if (!mons[i].client || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        for (;;) {
                                VarlinkReply reply;
                                bool end;

                                r = varlink_client_recv(mons[i].client, 0, &reply);
                                if (r == -EAGAIN)
                                        break;
                                if (r < 0) {
                                        fprintf(stderr, "%s: infradhcpd went away (%s)\n", mons[i].ifname,
                                                strerror(-r));
                                        end = true;
                                        ret = EXIT_FAILURE;
                                } else {
                                        end = monitor_print(mons[i].ifname, &reply) < 0 || !reply.continues;
                                        if (reply.error)
                                                ret = EXIT_FAILURE;
                                        varlink_reply_done(&reply);
                                }
                                if (end) {
                                        mons[i].client = varlink_client_free(mons[i].client);
                                        open_mons--;
                                        break;
                                }
                        }
                }
        }
        for (size_t i = 0; i < n_mons; i++)
                varlink_client_free(mons[i].client);
        free_names(names, n);
        return ret;
}

/* ------------------------------------------------------------------------- */
/* agent: the status of infradhcp-agent (<runtime-dir>/agent/io.infradhcp.Agent) */

static void print_migration(const char *title, json_object *m) {
        char buf[256];
        int64_t v, started = -1;
        const char *s;

        if (!m)
                return;
        printf("%16s:\n", title);
        snprintf(buf, sizeof(buf), "%s %s (%s -> %s)", jstr(m, "kind") ?: "?", jstr(m, "pool") ?: "?",
                 jstr(m, "from") ?: "?", jstr(m, "to") ?: "?");
        field("Migration", buf);
        field("Result", jstr(m, "result"));
        if ((s = jstr(m, "oldAddress")) || jstr(m, "newAddress")) {
                snprintf(buf, sizeof(buf), "%s -> %s", s ?: "none", jstr(m, "newAddress") ?: "...");
                field("Address", buf);
        }
        if (jint(m, "started", &v))
                started = v;
        field_time("Started", m, "started");
        /* Each later step as an offset from the start: the timeline at a glance. */
        static const struct {
                const char *label, *key;
        } steps[] = { { "Released", "released" }, { "Bound", "bound" }, { "Files Written", "filesWritten" },
                      { "Finished", "finished" } };
        for (size_t i = 0; i < ELEMENTSOF(steps); i++)
                if (jint(m, steps[i].key, &v) && started >= 0) {
                        snprintf(buf, sizeof(buf), "+%" PRIi64 " ms", (v - started) / 1000);
                        field(steps[i].label, buf);
                }
        if (jint(m, "calls", &v)) {
                int64_t f = 0;
                (void)jint(m, "failures", &f);
                snprintf(buf, sizeof(buf), "%" PRIi64 " (%" PRIi64 " failed)", v, f);
                field("Calls", buf);
        }
        field("Error", jstr(m, "error"));
}

/* --ready: the agent does its job (Idle, Migrating) or has none (Disabled). Waiting
 * (no Node read yet, no interface or address) and Degraded (migrations failing) are
 * not ready, so a DaemonSet rollout stops on a node where the new agent cannot work. */
static int agent_ready(json_object *s) {
        static const char *const ready[] = { "Idle", "Migrating", "Disabled" };
        const char *phase = jstr(s, "phase");

        printf("%s: %s\n", phase ?: "?", jstr(s, "phaseReason") ?: "");
        for (size_t i = 0; phase && i < ELEMENTSOF(ready); i++)
                if (strcmp(phase, ready[i]) == 0)
                        return EXIT_SUCCESS;
        return EXIT_FAILURE;
}

static int verb_agent(int argc, char **argv) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        _cleanup_(freep) char *path = NULL;
        Result res = {};
        json_object *s, *v;
        char buf[256];
        int r;

        if (asprintf(&path, "%s/agent/io.infradhcp.Agent", arg_runtime_dir) < 0)
                return EXIT_FAILURE;
        r = varlink_client_connect(&c, path, arg_timeout);
        if (r < 0) {
                if (r == -ENOENT || r == -ECONNREFUSED)
                        fprintf(stderr, "infradhcp-agent is not running (%s socket at %s)\n",
                                r == -ENOENT ? "no" : "stale", path);
                else
                        fprintf(stderr, "Cannot connect to infradhcp-agent (%s): %s\n", path, strerror(-r));
                return EXIT_FAILURE;
        }
        r = varlink_client_call(c, "io.infradhcp.Agent.GetStatus", NULL, 0, arg_timeout, on_final, &res);
        if (r < 0 || res.error) {
                fprintf(stderr, "Failed to get the agent status: %s\n", res.error ?: strerror(-r));
                result_done(&res);
                return EXIT_FAILURE;
        }
        s = res.parameters;
        if (arg_ready) {
                r = agent_ready(s);
                result_done(&res);
                return r;
        }
        if (arg_json) {
                print_json(s);
                result_done(&res);
                return EXIT_SUCCESS;
        }
        printf("\u25cf infradhcp-agent (node %s)\n", jstr(s, "node") ?: "?");
        snprintf(buf, sizeof(buf), "%s (%s)", jstr(s, "phase") ?: "?", jstr(s, "phaseReason") ?: "");
        field("Phase", buf);
        if (jstr(s, "notActing")) {
                snprintf(buf, sizeof(buf), "off: will not act (%s)", jstr(s, "notActing"));
                field("Multipod", buf);
        } else
                field("Multipod", "on");
        field("Config", jstr(s, "hostAgentConfig") ?: "none");
        field("Interface", jstr(s, "interface") ?: "not found");
        if (json_object_object_get_ex(s, "addresses", &v) && json_object_is_type(v, json_type_array)) {
                size_t pos = 0;
                buf[0] = '\0';
                for (size_t i = 0; i < json_object_array_length(v) && pos < sizeof(buf); i++)
                        pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s", i ? " " : "",
                                                json_object_get_string(json_object_array_get_idx(v, i)));
                field("Addresses", buf[0] ? buf : "none");
        }
        field("aci-pod", jstr(s, "aciPod"));
        field("node-aci-pod", jstr(s, "nodeAciPod"));
        field("Last Pod", jstr(s, "lastPod"));
        field("Decision", jstr(s, "decision"));
        field("Opflex Address", jstr(s, "opflexAddress"));
        print_migration("In Flight", json_object_object_get_ex(s, "migration", &v) ? v : NULL);
        print_migration("Last Migration", json_object_object_get_ex(s, "lastMigration", &v) ? v : NULL);
        field("Last Error", jstr(s, "lastError"));
        result_done(&res);
        return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------- */

/* Exit status of doctor is its own (0 clean, 1 problems, 2 not checked): returned
 * as a negative number so main() can pass it through unchanged. */
static int verb_doctor(int argc, char *argv[]) {
        DoctorOptions o = {
                .ifname = argv[1],
                .root = arg_root,
                .state_dir = arg_state_dir,
                .runtime_dir = arg_runtime_dir,
                .opflex_dir = arg_opflex_dir,
                .has_mac = arg_link_has_mac,
                .vlan_id = arg_link_vlan,
                .parent = arg_link_parent,
                .fix = arg_fix,
                .undo = arg_undo,
                .json = arg_json,
        };

        if (!ifname_valid(argv[1])) {
                fprintf(stderr, "'%s' is not a valid interface name.\n", argv[1]);
                return -DOCTOR_EXIT_UNCHECKED;
        }
        if (arg_fix && arg_undo) {
                fprintf(stderr, "infradhcpctl: --fix and --undo exclude each other\n");
                return -DOCTOR_EXIT_UNCHECKED;
        }
        memcpy(o.mac, arg_link_mac, 6);
        return -doctor_run(&o);
}

static const struct {
        const char *name;
        int min_args, max_args; /* after the verb */
        int (*run)(int argc, char **argv);
} verbs[] = {
        { "list", 0, 0, verb_list },
        { "status", 0, IFACES_MAX, verb_status },
        { "lease", 1, 1, verb_lease },
        { "metrics", 0, IFACES_MAX, verb_metrics },
        { "release", 1, 1, verb_release },
        { "renew", 1, 1, verb_renew },
        { "rebind", 1, 1, verb_rebind },
        { "restart", 1, 17, verb_restart },
        { "release-and-renew", 1, 1, verb_release_and_renew },
        { "check", 1, 1, verb_check },
        { "monitor", 0, IFACES_MAX, verb_monitor },
        { "agent", 0, 0, verb_agent },
        { "doctor", 1, 1, verb_doctor },
};

static int parse_ms(const char *opt, const char *s, int64_t max, int64_t *ret) {
        uint64_t v;

        if (parse_u64(s, &v) < 0 || v > (uint64_t)max) {
                fprintf(stderr, "infradhcpctl: invalid %s '%s' (0..%" PRIi64 ")\n", opt, s, max);
                return -EINVAL;
        }
        *ret = (int64_t)v;
        return 0;
}

static int parse_args(int argc, char *argv[]) {
        enum { ARG_RUNTIME_DIR = 0x100, ARG_JSON, ARG_TIMEOUT, ARG_DELAY, ARG_MAX_RETRIES, ARG_ATTEMPT_TIMEOUT,
               ARG_REFUSE, ARG_REQUIRE, ARG_READY, ARG_VERSION, ARG_FIX, ARG_UNDO, ARG_ROOT, ARG_STATE_DIR,
               ARG_OPFLEX_DIR, ARG_LINK_MAC, ARG_LINK_VLAN, ARG_LINK_PARENT };
        static const struct option options[] = {
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "json", no_argument, NULL, ARG_JSON },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "delay", required_argument, NULL, ARG_DELAY },
                { "max-retries", required_argument, NULL, ARG_MAX_RETRIES },
                { "attempt-timeout", required_argument, NULL, ARG_ATTEMPT_TIMEOUT },
                { "refuse", required_argument, NULL, ARG_REFUSE },
                { "require", required_argument, NULL, ARG_REQUIRE },
                { "ready", no_argument, NULL, ARG_READY },
                { "fix", no_argument, NULL, ARG_FIX },
                { "undo", no_argument, NULL, ARG_UNDO },
                { "root", required_argument, NULL, ARG_ROOT },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "opflex-config-path", required_argument, NULL, ARG_OPFLEX_DIR },
                { "link-mac", required_argument, NULL, ARG_LINK_MAC },
                { "link-vlan", required_argument, NULL, ARG_LINK_VLAN },
                { "link-parent", required_argument, NULL, ARG_LINK_PARENT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("infradhcpctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_RUNTIME_DIR:
                        if (!*optarg) {
                                fprintf(stderr, "infradhcpctl: --runtime-dir must not be empty\n");
                                return -EINVAL;
                        }
                        arg_runtime_dir = optarg;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_TIMEOUT:
                        if (parse_duration_usec(optarg, &arg_timeout) < 0 || arg_timeout == 0) {
                                fprintf(stderr, "infradhcpctl: invalid --timeout '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_DELAY:
                        if (parse_ms("--delay", optarg, 3600000, &arg_delay_ms) < 0)
                                return -EINVAL;
                        break;
                case ARG_MAX_RETRIES:
                        if (parse_ms("--max-retries", optarg, 100, &arg_max_retries) < 0)
                                return -EINVAL;
                        break;
                case ARG_ATTEMPT_TIMEOUT:
                        if (parse_ms("--attempt-timeout", optarg, 600000, &arg_attempt_timeout_ms) < 0)
                                return -EINVAL;
                        break;
                case ARG_REFUSE:
                        if (arg_n_refuse >= ELEMENTSOF(arg_refuse)) {
                                fprintf(stderr, "infradhcpctl: at most %zu --refuse subnets\n", ELEMENTSOF(arg_refuse));
                                return -EINVAL;
                        }
                        if (!subnet_ok(optarg))
                                return -EINVAL;
                        arg_refuse[arg_n_refuse++] = optarg;
                        break;
                case ARG_REQUIRE:
                        if (!subnet_ok(optarg))
                                return -EINVAL;
                        arg_require = optarg;
                        break;
                case ARG_READY:
                        arg_ready = true;
                        break;
                case ARG_FIX:
                        arg_fix = true;
                        break;
                case ARG_UNDO:
                        arg_undo = true;
                        break;
                case ARG_LINK_MAC:
                        if (parse_mac(optarg, arg_link_mac) < 0) {
                                fprintf(stderr, "infradhcpctl: invalid --link-mac '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_link_has_mac = true;
                        break;
                case ARG_LINK_VLAN: {
                        uint32_t id;
                        if (parse_u32(optarg, &id) < 0 || id < 1 || id > 4094) {
                                fprintf(stderr, "infradhcpctl: invalid --link-vlan '%s' (1..4094)\n", optarg);
                                return -EINVAL;
                        }
                        arg_link_vlan = (int)id;
                        break;
                }
                case ARG_LINK_PARENT:
                        if (!ifname_valid(optarg)) {
                                fprintf(stderr, "infradhcpctl: invalid --link-parent '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_link_parent = optarg;
                        break;
                case ARG_ROOT:
                case ARG_STATE_DIR:
                case ARG_OPFLEX_DIR:
                        if (!*optarg || optarg[0] != '/') {
                                fprintf(stderr, "infradhcpctl: %s needs an absolute path\n", argv[optind - 1]);
                                return -EINVAL;
                        }
                        if (c == ARG_ROOT)
                                arg_root = optarg;
                        else if (c == ARG_STATE_DIR)
                                arg_state_dir = optarg;
                        else
                                arg_opflex_dir = optarg;
                        break;
                case '?':
                        if (optopt)
                                fprintf(stderr, "infradhcpctl: option needs a value or is unknown: '%s' (see --help)\n",
                                        argv[optind - 1]);
                        else
                                fprintf(stderr, "infradhcpctl: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                default:
                        fprintf(stderr, "infradhcpctl: option '%s' needs a value (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        return 1;
}

/* doctor's exit status 1 means "problems found": its bad usage must be 2 ("could not
 * check") also when the option parser, before the verb is known, refuses the line. No
 * option value can be "doctor" but --link-parent's, which applies to doctor only. */
static bool argv_names_doctor(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "doctor") == 0)
                        return true;
        return false;
}

int main(int argc, char *argv[]) {
        const char *verb;
        int r, n;

        r = parse_args(argc, argv);
        if (r < 0)
                return argv_names_doctor(argc, argv) ? DOCTOR_EXIT_UNCHECKED : EXIT_FAILURE;
        if (r == 0)
                return EXIT_SUCCESS;
        verb = optind < argc ? argv[optind] : "list";
        n = optind < argc ? argc - optind - 1 : 0;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char *list_argv[] = { (char *)"list", NULL };

                if (strcmp(verbs[i].name, verb) != 0)
                        continue;
                if (n < verbs[i].min_args || n > verbs[i].max_args) {
                        fprintf(stderr, "infradhcpctl: wrong number of arguments for '%s' (see --help)\n", verb);
                        return verbs[i].run == verb_doctor ? DOCTOR_EXIT_UNCHECKED : EXIT_FAILURE;
                }
                if (arg_n_refuse > 0 && verbs[i].run != verb_release_and_renew) {
                        fprintf(stderr, "infradhcpctl: --refuse applies to release-and-renew only "
                                        "(restart takes subnets as arguments)\n");
                        return EXIT_FAILURE;
                }
                if (arg_require && verbs[i].run != verb_release_and_renew && verbs[i].run != verb_restart) {
                        fprintf(stderr, "infradhcpctl: --require applies to restart and release-and-renew only\n");
                        return EXIT_FAILURE;
                }
                if (arg_ready && verbs[i].run != verb_agent) {
                        fprintf(stderr, "infradhcpctl: --ready applies to agent only\n");
                        return EXIT_FAILURE;
                }
                if ((arg_fix || arg_undo || arg_root || arg_state_dir || arg_opflex_dir || arg_link_has_mac ||
                     arg_link_vlan || arg_link_parent) &&
                    verbs[i].run != verb_doctor) {
                        fprintf(stderr, "infradhcpctl: --fix, --undo, --root, --state-dir, --opflex-config-path and "
                                        "--link-* apply to doctor only\n");
                        return EXIT_FAILURE;
                }
                if (verbs[i].run == verb_doctor)
                        return -verb_doctor(n + 1, argv + optind);
                return verbs[i].run(n + 1, optind < argc ? argv + optind : list_argv);
        }
        fprintf(stderr, "infradhcpctl: unknown command '%s' (see --help)\n", verb);
        return EXIT_FAILURE;
}
