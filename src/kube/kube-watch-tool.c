/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcp-kube-test: a small driver of the kube client for the integration tests
 * (tests/kube/). It watches a node and prints each change of its annotations as one
 * JSON line, and takes commands on stdin (post an Event, patch annotations, GET, print
 * the received-bytes counter). Not installed, not an administration tool.
 *
 * Output lines (stdout, one JSON object each):
 *   {"kind":"node","type":"SYNC|ADDED|MODIFIED|DELETED","present":true,
 *    "resourceVersion":"12","annotations":{...}}
 *   {"kind":"result","op":"event|annotate|get","id":"<id>","result":0,"status":201}
 *   {"kind":"bytes","bytes":1234,"queue":0}
 * stdin commands, one per line:
 *   annotate <id> key=value [key- ...] | event <id> <Normal|Warning> <Reason> <message...>
 *   get <id> | bytes | quit
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube.h"
#include "log.h"
#include "parse-util.h"
#include "time-util.h"

static const char *arg_kubeconfig;
static const char *arg_node;
static bool arg_every;
static uint64_t arg_backoff_initial = 500 * USEC_PER_MSEC, arg_backoff_max = 30 * USEC_PER_SEC;
static unsigned arg_watch_timeout = 300;
static size_t arg_max_object = KUBE_WATCH_OBJECT_SIZE_MAX_DEFAULT;

typedef struct Tool {
        sd_event *event;
        KubeClient *client;
        json_object *last_annotations;   /* last printed; NULL: nothing printed yet */
        bool last_present;
        char line[64 * 1024];
        size_t line_len;
} Tool;

/* Prints o (consumed) as one line; NULL (a failed build) is reported. */
static void emit(json_object *o) {
        if (!o) {
                log_error("Out of memory building an output line");
                return;
        }
        fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), stdout);
        fputc('\n', stdout);
        fflush(stdout);
        json_object_put(o);
}

static json_object *annotations_of(json_object *node) {
        json_object *md, *a;

        if (node && json_object_object_get_ex(node, "metadata", &md) && json_object_object_get_ex(md, "annotations", &a) &&
            json_object_is_type(a, json_type_object))
                return a;
        return NULL;
}

static void on_node(KubeClient *c, KubeNodeEventType type, json_object *node, void *userdata) {
        Tool *t = userdata;
        json_object *ann = annotations_of(node), *o, *md, *rv = NULL;
        _cleanup_(json_object_unrefp) json_object *empty = json_object_new_object();
        bool present = node && type != KUBE_NODE_DELETED;

        if (!ann)
                ann = empty;

        /* Print changes only: a relist that finds what we already printed is not one. */
        if (!arg_every && t->last_annotations && present == t->last_present &&
            json_object_equal(ann, t->last_annotations))
                return;

        json_object_put(t->last_annotations);
        t->last_annotations = json_object_get(ann);
        t->last_present = present;

        if (node && json_object_object_get_ex(node, "metadata", &md))
                (void) json_object_object_get_ex(md, "resourceVersion", &rv);
        o = json_build_object("kind", json_object_new_string("node"),
                              "type", json_object_new_string(kube_node_event_type_to_string(type)),
                              "present", json_object_new_boolean(present), NULL);
        if ((rv && json_add(o, "resourceVersion", json_object_get(rv)) < 0) ||
            json_add_many(o, "annotations", json_object_get(ann),
                          "bytes", json_object_new_int64((int64_t) kube_client_get_bytes_received(c)), NULL) < 0) {
                json_object_put(o);
                o = NULL;
        }
        emit(o);
}

static void on_result(KubeClient *c, int result, long status, json_object *response, void *userdata) {
        char *tag = userdata; /* "op id" */
        char *sp = strchr(tag, ' ');
        json_object *o = json_build_object("kind", json_object_new_string("result"),
                                           "op", json_object_new_string_len(tag, (int) (sp - tag)),
                                           "id", json_object_new_string(sp + 1),
                                           "result", json_object_new_int(result),
                                           "status", json_object_new_int64(status), NULL);

        if (response && strncmp(tag, "get ", 4) == 0 && json_add(o, "object", json_object_get(response)) < 0) {
                json_object_put(o);
                o = NULL;
        }
        emit(o);
        free(tag);
}

static char *make_tag(const char *op, const char *id) {
        char *s;
        if (asprintf(&s, "%s %s", op, id) < 0)
                return NULL;
        return s;
}

static int run_command(Tool *t, char *line) {
        char *save = NULL, *cmd, *id;
        int r;

        cmd = strtok_r(line, " \t", &save);
        if (!cmd)
                return 0;

        if (strcmp(cmd, "quit") == 0)
                return sd_event_exit(t->event, 0);

        if (strcmp(cmd, "bytes") == 0) {
                emit(json_build_object(
                        "kind", json_object_new_string("bytes"),
                        "bytes", json_object_new_int64((int64_t) kube_client_get_bytes_received(t->client)),
                        "queue", json_object_new_int((int) kube_client_get_queue_length(t->client)), NULL));
                return 0;
        }

        id = strtok_r(NULL, " \t", &save);
        if (!id)
                return log_error_errno(-EINVAL, "command %s needs an id", cmd);

        if (strcmp(cmd, "get") == 0) {
                char *tag = make_tag("get", id);
                if (!tag)
                        return -ENOMEM;
                r = kube_node_get(t->client, arg_node, on_result, tag);
                if (r < 0)
                        free(tag);
                return r;
        }

        if (strcmp(cmd, "annotate") == 0) {
                _cleanup_(json_object_unrefp) json_object *a = json_object_new_object();
                char *kv, *tag;

                while ((kv = strtok_r(NULL, " \t", &save))) {
                        char *eq = strchr(kv, '=');
                        size_t n = strlen(kv);

                        if (eq) {
                                *eq = 0;
                                r = json_add(a, kv, json_object_new_string(eq + 1));
                        } else if (n > 1 && kv[n - 1] == '-') {
                                kv[n - 1] = 0;
                                r = json_add_null(a, kv);
                        } else
                                return log_error_errno(-EINVAL, "bad annotation \"%s\"", kv);
                        if (r < 0)
                                return r;
                }
                tag = make_tag("annotate", id);
                if (!tag)
                        return -ENOMEM;
                r = kube_node_patch_annotations(t->client, arg_node, a, on_result, tag);
                if (r < 0)
                        free(tag);
                return r;
        }

        if (strcmp(cmd, "event") == 0) {
                char *type = strtok_r(NULL, " \t", &save);
                char *reason = strtok_r(NULL, " \t", &save);
                char *message = save && *save ? save : "";
                char *tag;

                if (!type || !reason)
                        return log_error_errno(-EINVAL, "event needs a type and a reason");
                tag = make_tag("event", id);
                if (!tag)
                        return -ENOMEM;
                r = kube_event_create(t->client, arg_node, type, reason, message, on_result, tag);
                if (r < 0)
                        free(tag);
                return r;
        }

        return log_error_errno(-EINVAL, "unknown command \"%s\"", cmd);
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Tool *t = userdata;

        for (;;) {
                ssize_t n = read(fd, t->line + t->line_len, sizeof(t->line) - 1 - t->line_len);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        return sd_event_exit(t->event, -errno);
                }
                if (n == 0) /* EOF: the test harness is gone. */
                        return sd_event_exit(t->event, 0);
                t->line_len += (size_t) n;

                for (;;) {
                        char *nl = memchr(t->line, '\n', t->line_len);
                        size_t len;
                        int r;

                        if (!nl)
                                break;
                        *nl = 0;
                        len = (size_t) (nl - t->line) + 1;
                        r = run_command(t, t->line);
                        if (r < 0)
                                log_error_errno(r, "command failed: %m");
                        memmove(t->line, t->line + len, t->line_len - len);
                        t->line_len -= len;
                }
                if (t->line_len == sizeof(t->line) - 1)
                        return sd_event_exit(t->event, -E2BIG);
        }
}

static void help(void) {
        printf("infradhcp-kube-test [OPTIONS] NODE\n"
               "  --kubeconfig PATH       kubeconfig (default: discovery order)\n"
               "  --backoff-initial MSEC  first reconnect delay (500)\n"
               "  --backoff-max MSEC      reconnect delay cap (30000)\n"
               "  --watch-timeout SEC     server-side watch timeout base (300)\n"
               "  --max-object BYTES      watch event size limit\n"
               "  --every                 print every delivery, not only changes\n"
               "  --no-watch              only run stdin commands\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "kubeconfig", required_argument, NULL, 'k' },
                { "backoff-initial", required_argument, NULL, 'i' },
                { "backoff-max", required_argument, NULL, 'm' },
                { "watch-timeout", required_argument, NULL, 't' },
                { "max-object", required_argument, NULL, 'o' },
                { "every", no_argument, NULL, 'e' },
                { "no-watch", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(kube_config_freep) KubeConfig *cfg = NULL;
        Tool t = {};
        bool no_watch = false;
        char err[1024] = "";
        uint32_t u;
        int c, r;

        log_set_target_stderr(1);
        if (getenv("INFRADHCP_LOG_LEVEL")) {
                r = log_level_from_string(getenv("INFRADHCP_LOG_LEVEL"));
                if (r >= 0)
                        log_set_max_level(r);
        }

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'k':
                        arg_kubeconfig = optarg;
                        break;
                case 'i':
                case 'm':
                case 't':
                case 'o':
                        if (parse_u32(optarg, &u) < 0 || u == 0) {
                                fprintf(stderr, "bad value \"%s\"\n", optarg);
                                return 2;
                        }
                        if (c == 'i')
                                arg_backoff_initial = u * USEC_PER_MSEC;
                        else if (c == 'm')
                                arg_backoff_max = u * USEC_PER_MSEC;
                        else if (c == 't')
                                arg_watch_timeout = u;
                        else
                                arg_max_object = u;
                        break;
                case 'e':
                        arg_every = true;
                        break;
                case 'n':
                        no_watch = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind + 1 != argc) {
                help();
                return 2;
        }
        arg_node = argv[optind];

        r = kube_config_load(&cfg, arg_kubeconfig, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }

        r = sd_event_default(&t.event);
        if (r < 0)
                return 1;
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        (void) sd_event_add_signal(t.event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(t.event, NULL, SIGINT, NULL, NULL);

        r = kube_client_new(&t.client, t.event, cfg);
        cfg = NULL;
        if (r < 0) {
                log_error_errno(r, "cannot create client: %m");
                return 1;
        }
        if (kube_client_set_backoff(t.client, arg_backoff_initial, arg_backoff_max) < 0 ||
            kube_client_set_watch_timeout(t.client, arg_watch_timeout) < 0 ||
            kube_client_set_max_object_size(t.client, arg_max_object) < 0) {
                fprintf(stderr, "bad tuning values\n");
                return 2;
        }

        if (!no_watch) {
                r = kube_node_watch_start(t.client, arg_node, on_node, &t);
                if (r < 0) {
                        log_error_errno(r, "cannot watch node %s: %m", arg_node);
                        return 1;
                }
        }

        (void) fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
        r = sd_event_add_io(t.event, NULL, STDIN_FILENO, EPOLLIN, on_stdin, &t);
        if (r < 0) {
                log_error_errno(r, "cannot watch stdin: %m");
                return 1;
        }

        r = sd_event_loop(t.event);

        kube_client_free(t.client);
        json_object_put(t.last_annotations);
        sd_event_unref(t.event);
        return r < 0 ? 1 : 0;
}
