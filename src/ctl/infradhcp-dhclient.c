/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcp-dhclient: the ISC dhclient command line, carried out by infradhcpd (issue 10,
 * docs/dhclient.md). Installed as infradhcp-dhclient and offered as `dhclient` by the
 * packages, so that the ACI host agent's `dhclient -r IF` / `dhclient IF` and an
 * operator's habits work unchanged on a node where infradhcpd owns the interface:
 *
 *   dhclient [-4] [-v] [-d] [-nw] [-1] [-q] [-w] [-r | -x] [-cf FILE] [-lf FILE]
 *            [-pf FILE] [-sf FILE] [--timeout N] [IFNAME...]
 *
 *   (none)  infradhcpd@IF renews now, by broadcast (started through systemd when it does not run;
 *           without systemd as PID 1 this says how to start it), then waits for a lease
 *           (exit 2 when none within the timeout)
 *   -r      DHCPRELEASE through the running infradhcpd (address gone); starts nothing
 *   -x      stops infradhcpd without releasing
 *   -lf     one more file for the lease in dhclient's format (AddLeaseExport)
 *   -cf     read: what infradhcpd cannot honour is a warning naming the line
 *   -sf     not run (said once); -pf gets infradhcpd's pid
 *
 * Not a DHCP client: every packet is infradhcpd's. Not a daemon: it talks to the
 * daemon over its varlink socket and to systemd over the system bus, then exits
 * (-d: stays and prints the state changes until interrupted).
 */

#include <errno.h>
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "dhclient-conf.h"
#include "fileio.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "time-util.h"
#include "varlink.h"

#define SOCKET_NAME "io.infradhcp.Client"
#define METHOD(m) "io.infradhcp.Client." m
#define DEFAULT_TIMEOUT_SEC 60 /* dhclient's `timeout 60;` */
#define IFACES_MAX 64
#define CALL_TIMEOUT (10 * USEC_PER_SEC)

/* Exit codes of dhclient: 0, 1 for any failure, 2 when no lease was obtained. */
enum { EXIT_NO_LEASE = 2 };

typedef struct Args {
        bool release, stop, no_wait, once, quiet, verbose, foreground, allow_missing;
        const char *cf, *lf, *pf, *sf;
        int64_t timeout_sec; /* -1: --timeout not given */
        const char *runtime_dir;
        const char *ifnames[IFACES_MAX];
        size_t n_ifnames;
} Args;

static Args arg = { .timeout_sec = -1 };

static bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static volatile sig_atomic_t interrupted;

_printf_(1, 2) static void info(const char *fmt, ...) {
        va_list ap;

        if (arg.quiet)
                return;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

_printf_(1, 2) static void verbose(const char *fmt, ...) {
        va_list ap;

        if (!arg.verbose || arg.quiet)
                return;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

_printf_(1, 2) static void error(const char *fmt, ...) {
        va_list ap;

        fputs("infradhcp-dhclient: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void help(void) {
        printf("Usage: infradhcp-dhclient [-4] [-v] [-d] [-nw] [-1] [-q] [-w] [-r | -x] [-cf FILE] [-lf FILE]\n"
               "                          [-pf FILE] [-sf FILE] [--timeout N] [IFNAME...]\n"
               "\n"
               "ISC dhclient's command line for interfaces that infradhcpd owns: the daemon does the\n"
               "DHCP work, this command asks it over its control socket (installed as dhclient\n"
               "through update-alternatives/alternatives when no real dhclient is there).\n"
               "\n"
               "  (no -r/-x)    renew now through infradhcpd@IFNAME (started through systemd when it\n"
               "                does not run) and wait for a lease; exit 2 when none in time\n"
               "  -r            release the lease (DHCPRELEASE, address removed); starts nothing\n"
               "  -x            stop infradhcpd without releasing (the address keeps its lifetime)\n"
               "  -4            IPv4 (the only family infradhcp handles)\n"
               "  -1            try once: no lease within the timeout stops infradhcpd again if this\n"
               "                command started it\n"
               "  -nw           do not wait for a lease\n"
               "  -d            stay in the foreground and print infradhcpd's state changes\n"
               "  -w            do not fail when IFNAME does not exist (yet)\n"
               "  -v            say what happens\n"
               "  -q            say only errors\n"
               "  -cf FILE      dhclient.conf: read; what infradhcpd cannot honour is a warning with\n"
               "                the line (send dhcp-client-identifier = hardware; and timeout N; are)\n"
               "  -lf FILE      also write the lease in dhclient's format to FILE (for the life of\n"
               "                infradhcpd)\n"
               "  -pf FILE      write infradhcpd's pid to FILE\n"
               "  -sf FILE      accepted; scripts are not run (infradhcpd configures the interface)\n"
               "  -e VAR=VALUE  accepted; no script gets an environment\n"
               "  --timeout N   seconds to wait for a lease (default: timeout of -cf, else %d)\n"
               "  --runtime-dir DIR\n"
               "                infradhcpd's socket directory (default $INFRADHCP_RUNTIME_DIR, else\n"
               "                " RUNTIME_DIR ")\n"
               "  -h --help     show this help\n"
               "  --version     show the version\n"
               "\n"
               "Without IFNAME, -r and -x act on every interface infradhcpd runs on.\n"
               "Exit status: 0, 1 on failure, 2 when no lease was obtained in time.\n",
               DEFAULT_TIMEOUT_SEC);
}

static int need_value(int argc, char *argv[], int *i, const char **ret) {
        if (*i + 1 >= argc) {
                error("option %s needs a value (see --help)", argv[*i]);
                return -EINVAL;
        }
        *ret = argv[++*i];
        return 0;
}

/* dhclient's options are single-dash words; GNU getopt would split -nw and -cf. */
static int parse_args(int argc, char *argv[]) {
        bool end = false;

        arg.runtime_dir = getenv("INFRADHCP_RUNTIME_DIR");
        if (!arg.runtime_dir || !*arg.runtime_dir)
                arg.runtime_dir = RUNTIME_DIR;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v;

                if (end || a[0] != '-') {
                        if (!ifname_valid(a)) {
                                error("'%s' is not a valid interface name", a);
                                return -EINVAL;
                        }
                        if (arg.n_ifnames >= IFACES_MAX) {
                                error("at most %d interfaces", IFACES_MAX);
                                return -EINVAL;
                        }
                        arg.ifnames[arg.n_ifnames++] = a;
                        continue;
                }
                if (streq(a, "--"))
                        end = true;
                else if (streq(a, "-h") || streq(a, "--help")) {
                        help();
                        return 0;
                } else if (streq(a, "--version")) {
                        printf("infradhcp-dhclient %s\n", PACKAGE_VERSION);
                        return 0;
                } else if (streq(a, "-4"))
                        ;
                else if (streq(a, "-6") || streq(a, "-S") || streq(a, "-T") || streq(a, "-P") || streq(a, "-N")) {
                        error("%s: DHCPv6 is not handled by infradhcp (IPv4 only)", a);
                        return -EINVAL;
                } else if (streq(a, "-v"))
                        arg.verbose = true;
                else if (streq(a, "-q"))
                        arg.quiet = true;
                else if (streq(a, "-d"))
                        arg.foreground = true;
                else if (streq(a, "-nw"))
                        arg.no_wait = true;
                else if (streq(a, "-1"))
                        arg.once = true;
                else if (streq(a, "-w"))
                        arg.allow_missing = true;
                else if (streq(a, "-r"))
                        arg.release = true;
                else if (streq(a, "-x"))
                        arg.stop = true;
                else if (streq(a, "-cf") || streq(a, "-lf") || streq(a, "-pf") || streq(a, "-sf") || streq(a, "-e") ||
                         streq(a, "--runtime-dir")) {
                        if (need_value(argc, argv, &i, &v) < 0)
                                return -EINVAL;
                        if (streq(a, "-cf"))
                                arg.cf = v;
                        else if (streq(a, "-lf"))
                                arg.lf = v;
                        else if (streq(a, "-pf"))
                                arg.pf = v;
                        else if (streq(a, "-sf"))
                                arg.sf = v;
                        else if (streq(a, "--runtime-dir"))
                                arg.runtime_dir = v;
                        /* -e: an environment for scripts, which are not run */
                } else if (streq(a, "--timeout") || streq(a, "-timeout")) {
                        uint64_t t;

                        if (need_value(argc, argv, &i, &v) < 0)
                                return -EINVAL;
                        if (parse_u64(v, &t) < 0 || t == 0 || t > 86400) {
                                error("invalid %s '%s': expected seconds, 1..86400", a, v);
                                return -EINVAL;
                        }
                        arg.timeout_sec = (int64_t) t;
                } else {
                        error("unknown option '%s' (see --help)", a);
                        return -EINVAL;
                }
        }
        if (arg.release && arg.stop) {
                error("-r and -x exclude each other");
                return -EINVAL;
        }
        if (!arg.release && !arg.stop && arg.n_ifnames == 0) {
                error("name the interface: infradhcpd manages the interfaces it is started for (see --help)");
                return -EINVAL;
        }
        return 1;
}

/* ---- infradhcpd's socket ------------------------------------------------------------ */

static char *socket_path(const char *ifname) {
        char *p;

        if (asprintf(&p, "%s/%s/" SOCKET_NAME, arg.runtime_dir, ifname) < 0)
                return NULL;
        return p;
}

/* 0 connected, -ENOENT/-ECONNREFUSED not running, other -errno. */
static int connect_daemon(const char *ifname, VarlinkClient **ret) {
        _cleanup_(freep) char *path = socket_path(ifname);

        if (!path)
                return -ENOMEM;
        return varlink_client_connect(ret, path, CALL_TIMEOUT);
}

static bool not_running(int r) {
        return r == -ENOENT || r == -ECONNREFUSED;
}

typedef struct Reply {
        json_object *parameters;
        char *error;
} Reply;

static void reply_done(Reply *r) {
        json_object_put(r->parameters);
        free(r->error);
        *r = (Reply) {};
}

static int on_reply(VarlinkClient *c, const VarlinkReply *reply, void *userdata) {
        Reply *res = userdata;

        reply_done(res);
        res->parameters = json_object_get(reply->parameters);
        if (reply->error && !(res->error = strdup(reply->error)))
                return -ENOMEM;
        return 0;
}

static const char *jstr(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool jint(json_object *o, const char *key, int64_t *ret) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

/* One call on a fresh connection. 0 with *res (an error reply included), -errno. */
static int call(const char *ifname, const char *method, json_object *params, Reply *res) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        int r;

        *res = (Reply) {};
        r = connect_daemon(ifname, &c);
        if (r < 0)
                return r;
        return varlink_client_call(c, method, params, 0, CALL_TIMEOUT, on_reply, res);
}

/* Says what went wrong with a call; returns 1 (the exit status). */
static int report_call(const char *ifname, const char *what, int r, const Reply *res) {
        if (r < 0)
                error("%s %s: %s", what, ifname, strerror(-r));
        else if (res->error && streq(res->error, VARLINK_ERROR_PERMISSION_DENIED))
                error("%s %s: permission denied (only root may do this)", what, ifname);
        else if (res->error && streq(res->error, METHOD("Busy")))
                error("%s %s: a release-and-renew is in progress (infradhcp-agent)", what, ifname);
        else if (res->error)
                error("%s %s: %s %s", what, ifname, res->error,
                      json_object_to_json_string_ext(res->parameters, JSON_C_TO_STRING_PLAIN));
        return EXIT_FAILURE;
}

/* The daemon's pid: the peer of its socket. */
static pid_t daemon_pid(const char *ifname) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        struct ucred cred;
        socklen_t l = sizeof(cred);

        if (connect_daemon(ifname, &c) < 0)
                return 0;
        if (getsockopt(varlink_client_get_fd(c), SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0)
                return 0;
        return cred.pid;
}

static int scan_ifaces(const char **out, size_t max, char ***ret_owned, size_t *ret_n) {
        DIR *d = opendir(arg.runtime_dir);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        *ret_owned = NULL;
        *ret_n = 0;
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)) && n < max) {
                _cleanup_(freep) char *path = NULL;
                struct stat st;
                char **nn;

                if (!ifname_valid(de->d_name))
                        continue;
                path = socket_path(de->d_name);
                if (!path || stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                        continue;
                nn = realloc(names, (n + 1) * sizeof(*names));
                if (!nn)
                        break;
                names = nn;
                if (!(names[n] = strdup(de->d_name)))
                        break;
                out[n] = names[n];
                n++;
        }
        closedir(d);
        *ret_owned = names;
        *ret_n = n;
        return 0;
}

/* ---- systemd ------------------------------------------------------------------------ */

/* systemd's unit name escaping of an instance (systemd-escape): letters, digits, ':',
 * '_' and '.' stay (a leading '.' does not), '/' becomes '-', the rest \xNN. */
static void unit_name(const char *ifname, char *buf, size_t size) {
        size_t k = (size_t) snprintf(buf, size, "infradhcpd@");

        for (const char *p = ifname; *p && k + 5 < size; p++) {
                unsigned char c = (unsigned char) *p;

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
                    c == '_' || (c == '.' && p != ifname))
                        buf[k++] = (char) c;
                else if (c == '/')
                        buf[k++] = '-';
                else
                        k += (size_t) snprintf(buf + k, size - k, "\\x%02x", c);
        }
        snprintf(buf + k, size - k, ".service");
}

static int systemd_call(const char *method, const char *unit, const char *mode) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                error("cannot reach systemd on the system bus: %s", strerror(-r));
                return r;
        }
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", method, &e, &reply, "ss", unit, mode);
        if (r < 0)
                error("systemd %s %s: %s", method, unit, e.message ? e.message : strerror(-r));
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
        return r;
}

/* The unit of a pid ("" when none or no systemd). */
static void unit_of_pid(pid_t pid, char *buf, size_t size) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path = NULL;
        char *id = NULL;
        sd_bus *bus = NULL;

        buf[0] = '\0';
        if (sd_booted() <= 0 || sd_bus_open_system(&bus) < 0)
                return;
        if (sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnitByPID", &e, &reply, "u",
                               (uint32_t) pid) >= 0 &&
            sd_bus_message_read(reply, "o", &path) >= 0 &&
            sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit", "Id",
                                       NULL, &id) >= 0)
                snprintf(buf, size, "%s", id);
        free(id);
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
}

/* ---- waiting ------------------------------------------------------------------------- */

static uint64_t now_usec(void) {
        return clock_now(CLOCK_MONOTONIC);
}

static void on_signal(int sig) {
        interrupted = 1;
}

/* Until the socket answers or the deadline: 0, -ETIMEDOUT. */
static int wait_socket(const char *ifname, uint64_t deadline) {
        for (;;) {
                _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;

                if (connect_daemon(ifname, &c) >= 0)
                        return 0;
                if (now_usec() >= deadline || interrupted)
                        return -ETIMEDOUT;
                (void) usleep(100 * 1000);
        }
}

static bool has_lease(json_object *st) {
        const char *s = jstr(st, "state");

        return jstr(st, "address") && s &&
               (streq(s, "BOUND") || streq(s, "RENEWING") || streq(s, "REBINDING") || streq(s, "CONFIRMING"));
}

/* Follows infradhcpd's Monitor stream until BOUND (1, *ret the status) or the deadline
 * (0, *ret the last status). -errno when the daemon goes away. */
static int wait_bound(const char *ifname, uint64_t deadline, json_object **ret) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        json_object *last = NULL;
        int r;

        *ret = NULL;
        r = connect_daemon(ifname, &c);
        if (r < 0)
                return r;
        r = varlink_client_send(c, METHOD("Monitor"), NULL, VARLINK_CALL_MORE, CALL_TIMEOUT);
        if (r < 0)
                return r;
        for (;;) {
                VarlinkReply reply = {};
                uint64_t now = now_usec();

                if (now >= deadline || interrupted) {
                        *ret = last;
                        return 0;
                }
                r = varlink_client_recv(c, MIN(deadline - now, 500 * USEC_PER_MSEC), &reply);
                if (r == -ETIMEDOUT)
                        continue;
                if (r < 0) {
                        json_object_put(last);
                        return r;
                }
                if (reply.error) {
                        error("infradhcpd on %s: %s", ifname, reply.error);
                        varlink_reply_done(&reply);
                        json_object_put(last);
                        return -EREMOTE;
                }
                json_object_put(last);
                last = json_object_get(reply.parameters);
                varlink_reply_done(&reply);
                verbose("%s: %s%s%s", ifname, jstr(last, "state") ?: "?", jstr(last, "address") ? " " : "",
                        jstr(last, "address") ?: "");
                if (streq(jstr(last, "state") ?: "", "BOUND") && jstr(last, "address")) {
                        *ret = last;
                        return 1;
                }
        }
}

static void say_bound(const char *ifname, json_object *st) {
        int64_t plen = 0, t1 = 0;
        uint64_t now = clock_now(CLOCK_REALTIME);

        (void) jint(st, "prefixlen", &plen);
        if (jint(st, "t1", &t1) && (uint64_t) t1 > now)
                info("%s: bound to %s/%" PRIi64 " -- renewal in %" PRIu64 " seconds.", ifname, jstr(st, "address"),
                     plen, ((uint64_t) t1 - now) / USEC_PER_SEC);
        else
                info("%s: bound to %s/%" PRIi64 ".", ifname, jstr(st, "address"), plen);
}

/* ---- -cf, -lf, -sf, -pf -------------------------------------------------------------- */

static bool read_mac(const char *ifname, uint8_t mac[6]) {
        _cleanup_(freep) char *text = NULL;
        char path[128];
        size_t len;

        snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
        if (read_file_full(path, 64, &text, &len) < 0)
                return false;
        while (len > 0 && text[len - 1] == '\n')
                text[--len] = '\0';
        return parse_mac(text, mac) >= 0;
}

/* Reads -cf for ifname: warnings printed, `timeout N;` taken. 0 or 1 (exit status). */
static int read_conf(const char *ifname, int64_t *timeout_sec, bool *said_script) {
        _cleanup_(freep) char *text = NULL;
        const char *why = NULL;
        DhclientConf conf;
        unsigned line = 0;
        uint8_t mac[6];
        size_t len;
        int r;

        if (!arg.cf)
                return 0;
        r = read_file_full(arg.cf, 64 * 1024, &text, &len);
        if (r < 0) {
                error("cannot read %s: %s", arg.cf, strerror(-r));
                return EXIT_FAILURE;
        }
        r = dhclient_conf_parse(text, len, ifname, read_mac(ifname, mac) ? mac : NULL, &conf, &line, &why);
        if (r < 0) {
                error("%s:%u: cannot parse: %s", arg.cf, line, why);
                return EXIT_FAILURE;
        }
        for (size_t i = 0; i < MIN(conf.n_warnings, ELEMENTSOF(conf.warnings)); i++)
                info("infradhcp-dhclient: %s:%u: `%s` is not honoured: %s", arg.cf, conf.warnings[i].line,
                     conf.warnings[i].statement, conf.warnings[i].reason);
        if (conf.n_warnings > ELEMENTSOF(conf.warnings))
                info("infradhcp-dhclient: %s: %zu more statements are not honoured", arg.cf,
                     conf.n_warnings - ELEMENTSOF(conf.warnings));
        if (conf.script[0] && !*said_script) {
                info("infradhcp-dhclient: %s:%u: script \"%s\" is not run: infradhcpd configures the interface "
                     "itself", arg.cf, conf.script_line, conf.script);
                *said_script = true;
        }
        if (conf.timeout_sec > 0 && arg.timeout_sec < 0)
                *timeout_sec = conf.timeout_sec;
        return 0;
}

/* -lf: the file becomes one more export target of infradhcpd (an absolute path). */
static void add_lease_export(const char *ifname) {
        _cleanup_(freep) char *abs = NULL;
        Reply res = {};
        int r;

        if (!arg.lf)
                return;
        if (arg.lf[0] == '/')
                abs = strdup(arg.lf);
        else {
                char cwd[PATH_MAX];

                if (getcwd(cwd, sizeof(cwd)) && asprintf(&abs, "%s/%s", cwd, arg.lf) < 0)
                        abs = NULL;
        }
        if (!abs) {
                error("-lf %s: cannot make it an absolute path", arg.lf);
                return;
        }
        r = call(ifname, METHOD("AddLeaseExport"), json_build_object("path", json_object_new_string(abs), NULL),
                 &res);
        if (r >= 0 && !res.error)
                verbose("%s: the lease goes to %s too", ifname, abs);
        else if (r >= 0 && streq(res.error, METHOD("ExportFailed")))
                error("-lf %s: infradhcpd cannot write it: %s (it keeps trying)", abs,
                      jstr(res.parameters, "message") ?: "?");
        else
                (void) report_call(ifname, "-lf for", r, &res);
        reply_done(&res);
}

static void write_pid_file(pid_t pid) {
        char buf[32];
        int n, r;

        if (!arg.pf || pid <= 0)
                return;
        n = snprintf(buf, sizeof(buf), "%d\n", (int) pid);
        r = write_file_atomic(arg.pf, buf, (size_t) n, 0644);
        if (r < 0)
                error("cannot write %s: %s", arg.pf, strerror(-r));
}

/* ---- the three actions ---------------------------------------------------------------- */

static int do_release(const char *ifname) {
        Reply res = {}, st = {};
        int r;

        r = call(ifname, METHOD("GetStatus"), NULL, &st);
        if (not_running(r)) {
                info("infradhcp-dhclient: infradhcpd is not running on %s: nothing to release", ifname);
                return EXIT_SUCCESS;
        }
        add_lease_export(ifname);
        r = call(ifname, METHOD("Release"), NULL, &res);
        if (r < 0 || res.error) {
                r = report_call(ifname, "Failed to release", r, &res);
                reply_done(&res);
                reply_done(&st);
                return r;
        }
        if (jstr(st.parameters, "address"))
                verbose("%s: released %s/%s", ifname, jstr(st.parameters, "address"),
                        json_object_to_json_string(json_object_object_get(st.parameters, "prefixlen")));
        else
                verbose("%s: released (there was no lease)", ifname);
        reply_done(&res);
        reply_done(&st);
        return EXIT_SUCCESS;
}

static int do_stop(const char *ifname) {
        pid_t pid = daemon_pid(ifname);
        char unit[128];
        uint64_t deadline = now_usec() + 10 * USEC_PER_SEC;

        if (pid <= 0) {
                info("infradhcp-dhclient: infradhcpd is not running on %s: nothing to stop", ifname);
                return EXIT_SUCCESS;
        }
        unit_of_pid(pid, unit, sizeof(unit));
        if (strncmp(unit, "infradhcpd@", 11) == 0) {
                verbose("%s: stopping %s (pid %d) without a release", ifname, unit, (int) pid);
                if (systemd_call("StopUnit", unit, "replace") < 0)
                        return EXIT_FAILURE;
        } else {
                verbose("%s: stopping infradhcpd (pid %d) without a release", ifname, (int) pid);
                if (kill(pid, SIGTERM) < 0) {
                        error("cannot stop infradhcpd (pid %d): %s", (int) pid, strerror(errno));
                        return EXIT_FAILURE;
                }
        }
        /* Gone once its socket is (the daemon removes it on the way out; a process that
         * stopped but was not reaped yet is a zombie and kill(pid, 0) still works). */
        for (;;) {
                _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
                int r = connect_daemon(ifname, &c);

                if (not_running(r) || (kill(pid, 0) < 0 && errno == ESRCH))
                        break;
                if (now_usec() >= deadline) {
                        error("infradhcpd (pid %d) on %s did not stop within 10 s", (int) pid, ifname);
                        return EXIT_FAILURE;
                }
                (void) usleep(50 * 1000);
        }
        return EXIT_SUCCESS;
}

/* Renews, or starts infradhcpd; *started says whether this started it. 0, or the
 * exit status of a failure (said). */
static int renew_or_start(const char *ifname, uint64_t deadline, bool *started) {
        char unit[128];
        Reply res = {};
        int r;

        /* A fresh dhclient confirms its lease with a broadcast (INIT-REBOOT), answered by
         * whatever server is on the link now, also after a move. The same for a bound
         * infradhcpd: REBINDING (RFC 2131 §4.4.5), a broadcast REQUEST any server ACKs or
         * NAKs; a unicast renewal to a server left behind would go unanswered. */
        *started = false;
        r = call(ifname, METHOD("Rebind"), NULL, &res);
        if (r >= 0 && (!res.error || streq(res.error, METHOD("Busy")))) {
                verbose("%s: infradhcpd renews now (broadcast)%s", ifname,
                        res.error ? " (a release-and-renew is in progress: waiting for it)" : "");
                reply_done(&res);
                return 0;
        }
        if (!not_running(r)) {
                r = report_call(ifname, "Failed to renew", r, &res);
                reply_done(&res);
                return r;
        }
        unit_name(ifname, unit, sizeof(unit));
        if (sd_booted() <= 0) {
                error("infradhcpd is not running on %s, and systemd is not running here (not PID 1) to start %s. "
                      "Start it as root with `infradhcpd %s` (it stays in the foreground; infradhcpd(8)), then run "
                      "this again.", ifname, unit, ifname);
                return EXIT_FAILURE;
        }
        verbose("%s: starting %s", ifname, unit);
        if (systemd_call("StartUnit", unit, "replace") < 0)
                return EXIT_FAILURE;
        *started = true;
        if (wait_socket(ifname, deadline) < 0) {
                error("%s did not come up in time; see `journalctl -u %s`", unit, unit);
                return EXIT_FAILURE;
        }
        return 0;
}

static int do_lease(const char *ifname, uint64_t deadline, bool *bound_any) {
        json_object *st = NULL;
        bool started;
        int r;

        if (!arg.allow_missing && if_nametoindex(ifname) == 0) {
                error("no interface named %s (-w to go ahead anyway)", ifname);
                return EXIT_FAILURE;
        }
        r = renew_or_start(ifname, deadline, &started);
        if (r != 0)
                return r;
        add_lease_export(ifname);
        if (!*bound_any)
                write_pid_file(daemon_pid(ifname));
        if (arg.no_wait) {
                *bound_any = true;
                return EXIT_SUCCESS;
        }
        r = wait_bound(ifname, deadline, &st);
        if (r > 0) {
                say_bound(ifname, st);
                json_object_put(st);
                *bound_any = true;
                return EXIT_SUCCESS;
        }
        if (r == 0 && has_lease(st)) {
                /* The renewal is not answered yet, but the lease holds. */
                info("%s: %s %s/%s: the renewal is not answered yet, the lease still holds", ifname,
                     jstr(st, "state"), jstr(st, "address"),
                     json_object_to_json_string(json_object_object_get(st, "prefixlen")));
                json_object_put(st);
                *bound_any = true;
                return EXIT_SUCCESS;
        }
        if (r < 0)
                error("infradhcpd on %s went away: %s", ifname, strerror(-r));
        else
                info("%s: no lease within the timeout (state %s%s%s); %s", ifname,
                     jstr(st, "state") ?: "?", jstr(st, "lastError") ? ": " : "", jstr(st, "lastError") ?: "",
                     arg.once && started ? "stopping infradhcpd again (-1)" : "infradhcpd keeps trying");
        json_object_put(st);
        if (arg.once && started) {
                char unit[128];

                unit_name(ifname, unit, sizeof(unit));
                (void) systemd_call("StopUnit", unit, "replace");
        }
        return r < 0 ? EXIT_FAILURE : EXIT_NO_LEASE;
}

/* -d: follows the first interface's state changes until a signal. */
static int follow(const char *ifname) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        int r;

        r = connect_daemon(ifname, &c);
        if (r < 0)
                return EXIT_FAILURE;
        r = varlink_client_send(c, METHOD("Monitor"), NULL, VARLINK_CALL_MORE, CALL_TIMEOUT);
        while (r >= 0 && !interrupted) {
                VarlinkReply reply = {};

                r = varlink_client_recv(c, 500 * USEC_PER_MSEC, &reply);
                if (r == -ETIMEDOUT) {
                        r = 0;
                        continue;
                }
                if (r < 0)
                        break;
                info("%s: %s%s%s", ifname, jstr(reply.parameters, "state") ?: "?",
                     jstr(reply.parameters, "address") ? " " : "", jstr(reply.parameters, "address") ?: "");
                varlink_reply_done(&reply);
        }
        if (interrupted)
                return EXIT_SUCCESS;
        error("infradhcpd on %s went away: %s", ifname, strerror(-r));
        return EXIT_FAILURE;
}

int main(int argc, char *argv[]) {
        char **owned = NULL;
        size_t n_owned = 0;
        int64_t timeout_sec = DEFAULT_TIMEOUT_SEC;
        bool said_script = false, bound_any = false;
        uint64_t deadline;
        int r, ret = EXIT_SUCCESS;

        r = parse_args(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        (void) signal(SIGINT, on_signal);
        (void) signal(SIGTERM, on_signal);
        (void) signal(SIGPIPE, SIG_IGN);

        if (arg.sf) {
                info("infradhcp-dhclient: -sf %s: scripts are not run; infradhcpd configures the interface itself",
                     arg.sf);
                said_script = true;
        }
        if ((arg.release || arg.stop) && arg.n_ifnames == 0) {
                r = scan_ifaces(arg.ifnames, IFACES_MAX, &owned, &n_owned);
                if (r < 0) {
                        error("cannot read %s: %s", arg.runtime_dir, strerror(-r));
                        return EXIT_FAILURE;
                }
                arg.n_ifnames = n_owned;
                if (n_owned == 0)
                        info("infradhcp-dhclient: infradhcpd is not running on any interface (%s)", arg.runtime_dir);
        }
        for (size_t i = 0; i < arg.n_ifnames; i++)
                if (read_conf(arg.ifnames[i], &timeout_sec, &said_script) != 0) {
                        ret = EXIT_FAILURE;
                        goto finish;
                }
        if (arg.timeout_sec > 0)
                timeout_sec = arg.timeout_sec;
        deadline = now_usec() + (uint64_t) timeout_sec * USEC_PER_SEC;

        for (size_t i = 0; i < arg.n_ifnames; i++) {
                const char *ifname = arg.ifnames[i];

                if (arg.release)
                        r = do_release(ifname);
                else if (arg.stop)
                        r = do_stop(ifname);
                else
                        r = do_lease(ifname, deadline, &bound_any);
                ret = MAX(ret, r);
        }
        if (arg.foreground && !arg.release && !arg.stop && ret != EXIT_FAILURE)
                ret = MAX(ret, follow(arg.ifnames[0]));
finish:
        for (size_t i = 0; i < n_owned; i++)
                free(owned[i]);
        free(owned);
        return ret;
}
