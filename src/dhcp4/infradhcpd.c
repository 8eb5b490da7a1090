/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpd: a DHCPv4 client daemon that exclusively owns one interface.
 * This file is the command line, configuration loading, signals and the sd-event
 * main loop; the per-interface work is dhcp4-client.c.
 *
 *   infradhcpd [--config FILE] [--state-dir DIR] [--runtime-dir DIR] [--log-level LEVEL]
 *              [--system-call-filter yes|no|log] IFNAME
 *
 * Start-up, first packet first (docs/design.md, "Start-up"): configuration, the link,
 * the persisted lease, the packet socket, and the first DISCOVER or INIT-REBOOT REQUEST
 * is sent; then, while the server answers, every capability but CAP_NET_ADMIN,
 * CAP_NET_RAW and CAP_NET_BIND_SERVICE goes (no_new_privs set), the seccomp allow-list
 * is loaded and conflict and attachment detection are created, before the event loop
 * reads anything (docs/security.md). The rest (the netlink monitor, signals, varlink,
 * D-Bus, the metrics file, READY=1) is set up by the event loop in steps that yield to
 * the server's answers, so that it never stands between an OFFER and our REQUEST.
 *
 * Signals: SIGTERM/SIGINT stop without releasing (the address keeps its kernel
 * lifetime), SIGUSR1 renews now, SIGUSR2 releases (DHCPRELEASE, address removed,
 * the daemon stays up idle until told to renew).
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "capability-util.h"
#include "config.h"
#include "dhcp4-client.h"
#include "dhcp4-config.h"
#include "dhcp4-config-files.h"
#include "dhcp4-dbus.h"
#include "dhcp4-seccomp.h"
#include "dhcp4-textfile.h"
#include "dhcp4-varlink.h"
#include "fileio.h"
#include "log.h"
#include "parse-util.h"
#include "time-util.h"


typedef struct Args {
        const char *config_path; /* NULL: default, optional */
        const char *state_dir;
        const char *runtime_dir;
        const char *ifname;
        Dhcp4SeccompMode seccomp;
} Args;

static void help(void) {
        printf("Usage: infradhcpd [OPTIONS] IFNAME\n"
               "\n"
               "DHCPv4 client daemon that exclusively owns the IPv4 configuration of IFNAME.\n"
               "Runs in the foreground.\n"
               "\n"
               "  --config FILE       configuration and its drop-ins FILE.d/*.conf (default\n"
               "                      IFNAME.conf and IFNAME.conf.d/*.conf in " SYSCONFDIR "/infradhcp,\n"
               "                      " RUNTIME_DIR ", " LIBCONFDIR ")\n"
               "  --state-dir DIR     lease directory (default " STATE_DIR ")\n"
               "  --runtime-dir DIR   runtime directory for control sockets (default " RUNTIME_DIR ")\n"
               "  --log-level LEVEL   err, warning, notice, info (default), debug\n"
               "  --system-call-filter MODE\n"
               "                      seccomp allow-list: yes (default), log (allow and let\n"
               "                      the kernel log calls outside it), no\n"
               "  -h --help           show this help\n"
               "  --version           show the version\n"
               "\n"
               "Signals: TERM/INT stop without releasing, USR1 renews, USR2 releases.\n");
}

static int parse_args(int argc, char *argv[], Args *ret) {
        enum { ARG_CONFIG = 0x100, ARG_STATE_DIR, ARG_RUNTIME_DIR, ARG_LOG_LEVEL, ARG_SECCOMP, ARG_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, ARG_CONFIG },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "system-call-filter", required_argument, NULL, ARG_SECCOMP },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        Args a = { .state_dir = STATE_DIR, .runtime_dir = RUNTIME_DIR, .seccomp = DHCP4_SECCOMP_ENFORCE };
        int c, level;

        opterr = 0;
        /* The leading ':' makes getopt tell a missing value (':') from an unknown
         * option ('?'), so the message can say which. */
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("infradhcpd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG:
                        a.config_path = optarg;
                        break;
                case ARG_STATE_DIR:
                        a.state_dir = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        a.runtime_dir = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "infradhcpd: invalid --log-level '%s' (err, warning, notice, info, debug)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(level);
                        break;
                case ARG_SECCOMP:
                        level = dhcp4_seccomp_mode_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "infradhcpd: invalid --system-call-filter '%s' (yes, no, log)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        a.seccomp = level;
                        break;
                case ':':
                        if (optopt > 0 && optopt < 0x100)
                                fprintf(stderr, "infradhcpd: option -%c needs a value (see --help)\n", optopt);
                        else
                                fprintf(stderr, "infradhcpd: option '%s' needs a value (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                fprintf(stderr, "infradhcpd: unknown option -%c (see --help)\n", optopt);
                        else
                                fprintf(stderr, "infradhcpd: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                default:
                        fprintf(stderr, "infradhcpd: cannot parse option '%s' (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "infradhcpd: expected exactly one interface name (see --help)\n");
                return -EINVAL;
        }
        a.ifname = argv[optind];
        if (!ifname_valid(a.ifname)) {
                fprintf(stderr, "infradhcpd: '%s' is not a valid interface name\n", a.ifname);
                return -EINVAL;
        }
        if (!*a.state_dir || !*a.runtime_dir) {
                fprintf(stderr, "infradhcpd: directories must not be empty\n");
                return -EINVAL;
        }
        *ret = a;
        return 1;
}

/* The main file and its drop-ins (dhcp4-config-files.h); every file is optional. */
static int load_config(const Args *a, Dhcp4Config *ret) {
        _cleanup_(dhcp4_config_files_done) Dhcp4ConfigFiles files = {};
        const char *failed = NULL;
        char err[256] = "";
        int r;

        dhcp4_config_init(ret);
        r = dhcp4_config_files_list(NULL, a->ifname, a->config_path, &files);
        if (r < 0)
                return log_error_errno(r, "Cannot list the configuration files of %s: %m", a->ifname);
        r = dhcp4_config_files_load(&files, ret, &failed, err, sizeof(err));
        if (r < 0) {
                /* err names the line and key; failed names the file, or none when the
                 * files together contradict each other. */
                if (failed && r != -EINVAL)
                        log_error("Cannot read configuration %s: %s", failed, err);
                else if (failed)
                        log_error("Invalid configuration %s: %s", failed, err);
                else
                        log_error("Invalid configuration (%s%s): %s", files.n > 0 ? files.paths[0] : "defaults",
                                  files.n > 1 ? " and its drop-ins" : "", err);
                return r;
        }
        for (size_t i = 0; i < files.n; i++)
                log_debug("Configuration %s %s", i == 0 && files.has_main ? "loaded from" : "drop-in", files.paths[i]);
        return 0;
}

typedef struct Daemon {
        sd_event *event;
        Dhcp4Client *client;
        Dhcp4Varlink *varlink;
        Dhcp4Dbus *dbus; /* NULL without a system bus */
        Dhcp4Textfile *textfile; /* NULL without [Metrics] TextfilePath= */
        const Args *args;
        const Dhcp4Config *config;
        sd_event_source *setup_source;
        sd_event_source *setup_timer;
        unsigned setup_next; /* SetupStep */
} Daemon;

static void setup_begin(Daemon *d);

/* The first exchange is over when the engine is anywhere but on its way from start to
 * the first ACK (or NAK): probing or bound, waiting for the link, declined... */
static bool exchange_over(Dhcp4State state) {
        switch (state) {
        case DHCP4_STATE_INIT:
        case DHCP4_STATE_SELECTING:
        case DHCP4_STATE_REQUESTING:
        case DHCP4_STATE_INIT_REBOOT:
        case DHCP4_STATE_REBOOTING:
                return false;
        default:
                return true;
        }
}

/* One state handler fans out to every status consumer. */
static void on_client_state(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state, void *userdata) {
        Daemon *d = userdata;
        dhcp4_varlink_on_state(c, old_state, new_state, d->varlink);
        dhcp4_dbus_on_state(c, old_state, new_state, d->dbus);
        if (exchange_over(new_state))
                setup_begin(d);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        log_info("Received %s: stopping without release; the address keeps its kernel lifetime",
                 strsignal((int)si->ssi_signo));
        (void)sd_notify(false, "STOPPING=1");
        dhcp4_client_stop(d->client);
        return sd_event_exit(d->event, EXIT_SUCCESS);
}

static int on_sigusr(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        int r;

        if (si->ssi_signo == SIGUSR1) {
                log_info("Renew requested (SIGUSR1)");
                r = dhcp4_client_renew(d->client);
        } else {
                log_info("Release requested (SIGUSR2)");
                r = dhcp4_client_release(d->client);
        }
        if (r < 0)
                log_warning_errno(r, "Command failed: %m");
        return 0;
}

/* Everything that needs more than the network capabilities is done by now: the state
 * and runtime directories exist (the varlink socket and the bus connection, opened
 * after, need nothing but uid 0 owning the runtime directory). What stays, and why
 * (docs/security.md): CAP_NET_ADMIN for addresses, routes and SO_RCVBUFFORCE on the
 * netlink socket; CAP_NET_RAW for the packet and ARP sockets (reopened in every state
 * that broadcasts) and SO_BINDTOIFINDEX; CAP_NET_BIND_SERVICE for the UDP socket bound
 * to <leased address>:68, opened at every bind. */
static int drop_privileges(void) {
        static const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE };
        char names[128];
        int r;

        r = capability_drop_except(keep, ELEMENTSOF(keep));
        if (r < 0)
                return log_error_errno(r, "Failed to drop capabilities: %m");
        if (log_get_max_level() >= LOG_DEBUG) /* the names cost two capget()s */
                log_debug("Capabilities now: %s",
                          *capability_effective_names(names, sizeof(names)) ? names : "none");
        return 0;
}

/* What no DHCP packet needs (docs/design.md, "Start-up"): set up once the first
 * exchange is over (the ACK or NAK acted on), or SETUP_WAIT_USEC after the start when
 * the server is slower than that, in steps: one per dispatch of an idle-priority defer
 * source. A server that answers within SETUP_WAIT_USEC sees an exchange undisturbed by
 * our set-up (no CPU, no rtnl lock taken between its answers); a slower one gets its
 * answers read, and the next packet sent, between two steps, since the packet socket
 * has the normal priority. Signals wait, blocked, for their step; a control client finds
 * no socket until its step (as before the daemon started); READY=1 comes last. */
#define SETUP_WAIT_USEC (20 * USEC_PER_MSEC)

typedef enum SetupStep {
        SETUP_MONITOR,
        SETUP_SIGNALS,
        SETUP_VARLINK,
        SETUP_DBUS,
        SETUP_METRICS,
        SETUP_READY,
        _SETUP_STEP_MAX,
} SetupStep;

static int setup_step(Daemon *d, SetupStep step) {
        int r;

        switch (step) {
        case SETUP_MONITOR:
                return dhcp4_client_start_monitor(d->client);
        case SETUP_SIGNALS:
                if ((r = sd_event_add_signal(d->event, NULL, SIGTERM, on_sigterm, d)) < 0 ||
                    (r = sd_event_add_signal(d->event, NULL, SIGINT, on_sigterm, d)) < 0 ||
                    (r = sd_event_add_signal(d->event, NULL, SIGUSR1, on_sigusr, d)) < 0 ||
                    (r = sd_event_add_signal(d->event, NULL, SIGUSR2, on_sigusr, d)) < 0)
                        return log_error_errno(r, "Failed to watch signals: %m");
                return 0;
        case SETUP_VARLINK:
                r = dhcp4_varlink_new(&d->varlink, d->event, d->client, d->args->runtime_dir);
                if (r < 0)
                        return log_error_errno(r, "Failed to listen for control connections under %s: %m",
                                               d->args->runtime_dir);
                return 0;
        case SETUP_DBUS:
                r = dhcp4_dbus_new(&d->dbus, d->event, d->client);
                if (r < 0)
                        /* No bus at all (no socket, nobody listening: containers, initrd,
                         * the tests) is normal: said at debug level, so that a real error
                         * that follows is the first and only line. A bus that exists but
                         * fails is worth a notice. */
                        log_full(r == -ENOENT || r == -ECONNREFUSED ? LOG_DEBUG : LOG_NOTICE, r, NULL,
                                 "No system bus; D-Bus interface disabled: %m");
                return 0;
        case SETUP_METRICS:
                if (!d->config->metrics_textfile_path[0])
                        return 0;
                r = dhcp4_textfile_new(&d->textfile, d->event, d->client, d->config->metrics_textfile_path);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up the metrics file %s: %m",
                                               d->config->metrics_textfile_path);
                dhcp4_client_set_change_handler(d->client, dhcp4_textfile_on_change, d->textfile);
                /* The start-up's changes happened before it existed. */
                dhcp4_textfile_on_change(d->client, d->textfile);
                log_debug("Writing metrics to %s", d->config->metrics_textfile_path);
                return 0;
        case SETUP_READY:
                (void)sd_notify(false, "READY=1\nSTATUS=Started");
                return 0;
        default:
                return -EINVAL;
        }
}

static void setup_begin(Daemon *d) {
        if (!d->setup_source || d->setup_next > 0 ||
            sd_event_source_get_enabled(d->setup_source, NULL) > 0)
                return;
        (void)sd_event_source_set_enabled(d->setup_source, SD_EVENT_ON);
        d->setup_timer = sd_event_source_disable_unref(d->setup_timer);
}

static int on_setup_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        setup_begin(userdata);
        return 0;
}

static int on_setup(sd_event_source *s, void *userdata) {
        Daemon *d = userdata;
        int r;

        r = setup_step(d, d->setup_next++);
        if (r < 0)
                return sd_event_exit(d->event, EXIT_FAILURE);
        if (d->setup_next >= _SETUP_STEP_MAX)
                (void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

int main(int argc, char *argv[]) {
        Args args;
        Dhcp4Config config;
        Daemon d = {};
        sigset_t mask;
        int r, ret = EXIT_FAILURE;

        log_set_identifier("infradhcpd");
        r = parse_args(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        log_set_field("INTERFACE", args.ifname);

        if (load_config(&args, &config) < 0)
                return EXIT_FAILURE;
        r = mkdir_p(args.state_dir, 0755);
        if (r < 0) {
                log_error_errno(r, "Cannot create state directory %s: %m", args.state_dir);
                return EXIT_FAILURE;
        }
        r = mkdir_p(args.runtime_dir, 0755);
        if (r < 0) {
                log_error_errno(r, "Cannot create runtime directory %s: %m", args.runtime_dir);
                return EXIT_FAILURE;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGUSR2);
        /* Blocked now, watched below: a signal in between waits for its signalfd. */
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&d.event);
        if (r < 0) {
                log_error_errno(r, "Failed to create the event loop: %m");
                goto finish;
        }
        /* An infradhcpd already running on this interface: not a packet from this one. */
        r = dhcp4_varlink_check_free(args.runtime_dir, args.ifname);
        if (r < 0) {
                log_error_errno(r, "Failed to listen for control connections under %s: %m", args.runtime_dir);
                goto finish;
        }
        r = dhcp4_client_new(&d.client, d.event, args.ifname, &config, args.state_dir);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the client: %m");
                goto finish;
        }

        /* First packet first (docs/design.md, "Start-up"): the link, the persisted lease
         * and the packet socket, and the DISCOVER or INIT-REBOOT REQUEST is on the wire.
         * Everything below runs while the server answers; its answer is read by the event
         * loop, so by then the capabilities are dropped and the filter is in place, and
         * the set-up steps give way to it. */
        r = dhcp4_client_start(d.client);
        if (r < 0)
                goto finish;

        /* Least privilege before anything from outside is parsed (docs/security.md):
         * nothing has been read from the network yet, and nothing from a local client. */
        r = drop_privileges();
        if (r < 0)
                goto finish;
        r = dhcp4_seccomp_install(args.seccomp);
        if (r < 0) {
                log_error_errno(r, "Failed to install the system call filter: %m");
                goto finish;
        }
        if (args.seccomp != DHCP4_SECCOMP_OFF)
                log_debug("System call filter installed (%s)", args.seccomp == DHCP4_SECCOMP_LOG ? "log only" : "enforcing");

        r = dhcp4_client_start_detection(d.client);
        if (r < 0)
                goto finish;
        (void)sd_event_set_watchdog(d.event, true);
        d.args = &args;
        d.config = &config;
        r = sd_event_add_defer(d.event, &d.setup_source, on_setup, &d);
        if (r >= 0)
                /* accuracy 1 µs: sd-event's default (0) would coalesce it up to 250 ms late */
                r = sd_event_add_time_relative(d.event, &d.setup_timer, CLOCK_MONOTONIC, SETUP_WAIT_USEC, 1,
                                               on_setup_timer, &d);
        if (r < 0) {
                log_error_errno(r, "Failed to schedule the set-up: %m");
                goto finish;
        }
        (void)sd_event_source_set_priority(d.setup_source, SD_EVENT_PRIORITY_IDLE);
        (void)sd_event_source_set_enabled(d.setup_source, SD_EVENT_OFF);
        dhcp4_client_set_state_handler(d.client, on_client_state, &d);
        /* An exchange already over (no carrier: the engine waits in INIT, and the timer
         * starts the set-up; a start that failed at once) needs no wait. */
        if (exchange_over(dhcp4_client_get_state(d.client)))
                setup_begin(&d);

        r = sd_event_loop(d.event);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                goto finish;
        }
        ret = r;

finish:
        sd_event_source_disable_unref(d.setup_timer);
        sd_event_source_disable_unref(d.setup_source);
        dhcp4_textfile_flush(d.textfile); /* the last status, STOPPED after SIGTERM */
        dhcp4_textfile_free(d.textfile);
        dhcp4_dbus_free(d.dbus);
        dhcp4_varlink_free(d.varlink);
        dhcp4_client_free(d.client);
        sd_event_unref(d.event);
        return ret;
}
