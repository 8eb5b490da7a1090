/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests for shared/varlink: a test server (interface io.test.Echo) runs its sd-event
 * loop in a forked child on a socket in a temporary directory; the tests talk to it
 * with the blocking varlink client and with raw sockets (garbage, oversized and
 * pipelined messages, half-close, not reading). Server API error paths are tested
 * in-process. PermissionDenied is tested from a grandchild that drops to uid 65534
 * (skipped when not root).
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "time-util.h"
#include "varlink.h"

#define TIMEOUT (5 * USEC_PER_SEC)

static const char test_idl[] = "# A test interface.\n"
                               "interface io.test.Echo\n"
                               "method Echo(x: object) -> (x: object)\n";

static char dir[64];
static char sock_path[128];
static pid_t server_pid = -1;

/* ------------------------------------------------------------------------- */
/* The server (child process) */

#define TICKERS_MAX 64

typedef struct TestServer {
        sd_event *event;
        VarlinkServer *server;
        VarlinkCall *tickers[TICKERS_MAX];
        size_t tick_size[TICKERS_MAX];
        size_t n_tickers;
        sd_event_source *tick_timer;
        unsigned oneway_count, disconnects;
} TestServer;

static int m_echo(VarlinkCall *call, json_object *params, void *userdata) {
        return varlink_call_reply(call, json_object_get(params));
}

static int m_count(VarlinkCall *call, json_object *params, void *userdata) {
        TestServer *t = userdata;
        t->oneway_count++;
        /* A oneway call discards replies: the handler does not need to know. */
        return varlink_call_reply(call, NULL);
}

static int m_stats(VarlinkCall *call, json_object *params, void *userdata) {
        TestServer *t = userdata;
        json_object *p = json_object_new_object();

        json_object_object_add(p, "oneway", json_object_new_int((int)t->oneway_count));
        json_object_object_add(p, "disconnects", json_object_new_int((int)t->disconnects));
        json_object_object_add(p, "connections", json_object_new_int((int)varlink_server_n_connections(t->server)));
        json_object_object_add(p, "tickers", json_object_new_int((int)t->n_tickers));
        return varlink_call_reply(call, p);
}

/* Stream(n): n replies with continues, then a final one. */
static int m_stream(VarlinkCall *call, json_object *params, void *userdata) {
        json_object *v;
        int n = 0, r;

        if (!varlink_call_wants_more(call))
                return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (!json_object_object_get_ex(params, "n", &v) || !json_object_is_type(v, json_type_int))
                return varlink_call_error_invalid_parameter(call, "n");
        n = json_object_get_int(v);
        for (int i = 0; i < n; i++) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "i", json_object_new_int(i));
                r = varlink_call_reply_more(call, p);
                if (r < 0)
                        return r;
        }
        /* A second final reply is refused. */
        r = varlink_call_reply(call, NULL);
        assert_int_equal(varlink_call_reply(call, NULL), -EALREADY);
        return r;
}

/* MoreWithoutMore: tries reply_more on a call that did not ask for it. */
static int m_more_without_more(VarlinkCall *call, json_object *params, void *userdata) {
        json_object *p = json_object_new_object();
        int r = varlink_call_reply_more(call, json_object_new_object());

        json_object_object_add(p, "r", json_object_new_int(r));
        return varlink_call_reply(call, p);
}

static int m_fail(VarlinkCall *call, json_object *params, void *userdata) {
        return -EIO;
}

static int m_forget(VarlinkCall *call, json_object *params, void *userdata) {
        return 0; /* neither replies nor keeps the call */
}

static void ticker_remove(TestServer *t, VarlinkCall *call) {
        for (size_t i = 0; i < t->n_tickers; i++)
                if (t->tickers[i] == call) {
                        t->tickers[i] = t->tickers[t->n_tickers - 1];
                        t->tick_size[i] = t->tick_size[t->n_tickers - 1];
                        t->n_tickers--;
                        varlink_call_unref(call);
                        return;
                }
}

static void ticker_on_disconnect(VarlinkCall *call, void *userdata) {
        TestServer *t = userdata;
        t->disconnects++;
        ticker_remove(t, call);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        TestServer *t = userdata;

        for (size_t i = t->n_tickers; i > 0; i--) {
                json_object *p = json_object_new_object();
                char *pad = malloc(t->tick_size[i - 1] + 1);

                memset(pad, 'p', t->tick_size[i - 1]);
                pad[t->tick_size[i - 1]] = '\0';
                json_object_object_add(p, "pad", json_object_new_string(pad));
                free(pad);
                /* Failure means dropped: the disconnect handler follows. */
                (void)varlink_call_reply_more(t->tickers[i - 1], p);
        }
        sd_event_source_set_time(s, usec + 5 * USEC_PER_MSEC);
        return 0;
}

/* Ticks(size): a reply every 5 ms until the client goes away. */
static int m_ticks(VarlinkCall *call, json_object *params, void *userdata) {
        TestServer *t = userdata;
        json_object *v;

        if (!varlink_call_wants_more(call))
                return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (t->n_tickers >= TICKERS_MAX)
                return -EBUSY;
        t->tick_size[t->n_tickers] = json_object_object_get_ex(params, "size", &v) ? (size_t)json_object_get_int(v) : 1;
        t->tickers[t->n_tickers++] = varlink_call_ref(call);
        varlink_call_set_disconnect_handler(call, ticker_on_disconnect, t);
        return 0;
}

typedef struct Later {
        VarlinkCall *call;
        sd_event_source *timer;
} Later;

static int on_later(sd_event_source *s, uint64_t usec, void *userdata) {
        Later *l = userdata;
        json_object *p = json_object_new_object();

        json_object_object_add(p, "late", json_object_new_boolean(1));
        (void)varlink_call_reply(l->call, p);
        varlink_call_unref(l->call);
        sd_event_source_disable_unref(l->timer);
        free(l);
        return 0;
}

/* Slow: replies after 100 ms from a timer (a call kept by reference). */
static int m_slow(VarlinkCall *call, json_object *params, void *userdata) {
        TestServer *t = userdata;
        Later *l = calloc(1, sizeof(*l));
        uint64_t now;

        l->call = varlink_call_ref(call);
        sd_event_now(t->event, CLOCK_MONOTONIC, &now);
        return sd_event_add_time(t->event, &l->timer, CLOCK_MONOTONIC, now + 100 * USEC_PER_MSEC, 0, on_later, l);
}

static int m_mutate(VarlinkCall *call, json_object *params, void *userdata) {
        return varlink_call_reply(call, NULL);
}

static const VarlinkMethod test_methods[] = {
        { "Echo", m_echo, false },
        { "Count", m_count, false },
        { "Stats", m_stats, false },
        { "Stream", m_stream, false },
        { "MoreWithoutMore", m_more_without_more, false },
        { "Fail", m_fail, false },
        { "Forget", m_forget, false },
        { "Ticks", m_ticks, false },
        { "Slow", m_slow, false },
        { "Mutate", m_mutate, true },
        { "Unimplemented", NULL, false },
        {}
};

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static _Noreturn void run_server(void) {
        TestServer t = {};
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (sd_event_new(&t.event) < 0 || sd_event_add_signal(t.event, NULL, SIGTERM, on_sigterm, NULL) < 0)
                _exit(2);
        r = varlink_server_new(&t.server, t.event, "Test Vendor", "test-product", "1.2.3", "https://example.org");
        if (r < 0 || varlink_server_add_interface(t.server, "io.test.Echo", test_idl, test_methods, &t) < 0)
                _exit(3);
        if (varlink_server_listen(t.server, sock_path) < 0)
                _exit(4);
        if (sd_event_add_time_relative(t.event, &t.tick_timer, CLOCK_MONOTONIC, 5 * USEC_PER_MSEC, 0, on_tick, &t) < 0 ||
            sd_event_source_set_enabled(t.tick_timer, SD_EVENT_ON) < 0)
                _exit(5);
        r = sd_event_loop(t.event);
        while (t.n_tickers > 0) {
                varlink_call_set_disconnect_handler(t.tickers[0], NULL, NULL);
                ticker_remove(&t, t.tickers[0]);
        }
        sd_event_source_disable_unref(t.tick_timer);
        varlink_server_free(t.server);
        sd_event_unref(t.event);
        _exit(r < 0 ? 6 : 0);
}

/* ------------------------------------------------------------------------- */
/* Helpers (test process) */

static int group_setup(void **state) {
        struct stat st;

        log_set_target_stderr(1);
        log_set_max_level(LOG_WARNING);
        strcpy(dir, "/tmp/test-varlink-XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        chmod(dir, 0755); /* the uid-65534 child must reach the socket */
        snprintf(sock_path, sizeof(sock_path), "%s/run/io.test.Echo", dir);
        signal(SIGPIPE, SIG_IGN);
        server_pid = fork();
        if (server_pid < 0)
                return -1;
        if (server_pid == 0)
                run_server();
        for (int i = 0; i < 500; i++) {
                VarlinkClient *c = NULL;
                if (stat(sock_path, &st) == 0 && varlink_client_connect(&c, sock_path, TIMEOUT) == 0) {
                        varlink_client_free(c);
                        return 0;
                }
                usleep(10000);
        }
        return -1;
}

static int group_teardown(void **state) {
        int status = -1;
        char cmd[128];

        if (server_pid > 0) {
                kill(server_pid, SIGTERM);
                waitpid(server_pid, &status, 0);
        }
        /* The server removes its socket on exit and exits cleanly. */
        assert_int_equal(access(sock_path, F_OK), -1);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static VarlinkClient *connect_client(void) {
        VarlinkClient *c = NULL;
        assert_int_equal(varlink_client_connect(&c, sock_path, TIMEOUT), 0);
        return c;
}

static int raw_connect(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, sock_path);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        return fd;
}

static void raw_send(int fd, const char *s, size_t len) {
        assert_int_equal(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads until EOF (1) or a 2 s timeout (0), discarding data. */
static int raw_wait_eof(int fd) {
        char buf[65536];

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 2000) <= 0)
                        return 0;
                n = recv(fd, buf, sizeof(buf), 0);
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return 1;
                if (n < 0)
                        return 0;
        }
}

/* One call, the final reply kept in *ret (varlink_reply_done to free). */
typedef struct Collect {
        VarlinkReply last;
        int n;
} Collect;

static int collect(VarlinkClient *c, const VarlinkReply *r, void *userdata) {
        Collect *col = userdata;

        col->n++;
        if (!r->continues) {
                col->last.parameters = json_object_get(r->parameters);
                col->last.message = json_object_get(r->message);
                col->last.error = r->error;
        }
        return 0;
}

static void call(VarlinkClient *c, const char *method, const char *params_json, unsigned flags, Collect *ret) {
        json_object *p = params_json ? json_tokener_parse(params_json) : NULL;

        *ret = (Collect){};
        assert_int_equal(varlink_client_call(c, method, p, flags, TIMEOUT, collect, ret), 0);
        json_object_put(p);
}

static void send_json(VarlinkClient *c, const char *method, const char *params_json, unsigned flags) {
        json_object *p = json_tokener_parse(params_json);

        assert_non_null(p);
        assert_int_equal(varlink_client_send(c, method, p, flags, TIMEOUT), 0);
        json_object_put(p);
}

static int get_int(json_object *o, const char *key) {
        json_object *v;
        assert_true(json_object_object_get_ex(o, key, &v));
        assert_true(json_object_is_type(v, json_type_int));
        return json_object_get_int(v);
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;
        assert_true(json_object_object_get_ex(o, key, &v));
        assert_true(json_object_is_type(v, json_type_string));
        return json_object_get_string(v);
}

static int stats_on(VarlinkClient *c, const char *key) {
        Collect col;
        int v;

        call(c, "io.test.Echo.Stats", NULL, 0, &col);
        assert_null(col.last.error);
        v = get_int(col.last.parameters, key);
        varlink_reply_done(&col.last);
        return v;
}

static int stats(const char *key) {
        VarlinkClient *c = connect_client();
        int v = stats_on(c, key);

        varlink_client_free(c);
        return v;
}

/* Polls a server counter until it reaches `want` (the server works asynchronously). */
static void wait_stat(const char *key, int want) {
        VarlinkClient *c = connect_client(); /* one connection: "connections" counts it once */
        int v = -1;

        for (int i = 0; i < 300; i++) {
                v = stats_on(c, key);
                if (v == want)
                        break;
                usleep(10000);
        }
        varlink_client_free(c);
        if (v != want)
                fail_msg("%s: %d, expected %d", key, v, want);
}

/* ------------------------------------------------------------------------- */
/* Tests */

static void test_call_reply(void **state) {
        VarlinkClient *c = connect_client();
        Collect col;

        call(c, "io.test.Echo.Echo", "{\"a\": [1, \"x/y\", {\"b\": null}], \"s\": \"\\u00e9\"}", 0, &col);
        assert_int_equal(col.n, 1);
        assert_null(col.last.error);
        assert_string_equal(json_object_to_json_string_ext(col.last.parameters, JSON_C_TO_STRING_PLAIN |
                                                                                        JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"a\":[1,\"x/y\",{\"b\":null}],\"s\":\"\xc3\xa9\"}");
        varlink_reply_done(&col.last);

        /* No parameters: the handler sees {} and the reply carries {}. */
        call(c, "io.test.Echo.Echo", NULL, 0, &col);
        assert_int_equal(json_object_object_length(col.last.parameters), 0);
        varlink_reply_done(&col.last);

        /* A call kept by reference and answered from a timer. */
        call(c, "io.test.Echo.Slow", NULL, 0, &col);
        assert_null(col.last.error);
        assert_true(json_object_get_boolean(json_object_object_get(col.last.parameters, "late")));
        varlink_reply_done(&col.last);
        varlink_client_free(c);
}

static void test_wire_format(void **state) {
        /* Exact bytes: NUL-terminated objects, "parameters", and no "continues" on a final reply. */
        static const char msg[] = "{\"method\":\"io.test.Echo.Echo\",\"parameters\":{\"k\":1}}";
        char buf[256];
        size_t got = 0;
        int fd = raw_connect();

        raw_send(fd, msg, sizeof(msg)); /* with its NUL */
        while (got == 0 || buf[got - 1] != '\0') {
                ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);
                assert_true(n > 0);
                got += (size_t)n;
        }
        assert_string_equal(buf, "{\"parameters\":{\"k\":1}}");
        assert_int_equal(got, strlen(buf) + 1);
        close(fd);
}

static void test_streaming(void **state) {
        VarlinkClient *c = connect_client();
        VarlinkReply r;
        Collect col;

        send_json(c, "io.test.Echo.Stream", "{\"n\": 3}", VARLINK_CALL_MORE);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(varlink_client_recv(c, TIMEOUT, &r), 0);
                assert_true(r.continues);
                assert_null(r.error);
                assert_int_equal(get_int(r.parameters, "i"), i);
                assert_true(json_object_get_boolean(json_object_object_get(r.message, "continues")));
                varlink_reply_done(&r);
        }
        assert_int_equal(varlink_client_recv(c, TIMEOUT, &r), 0);
        assert_false(r.continues);
        assert_null(json_object_object_get(r.message, "continues"));
        varlink_reply_done(&r);

        /* Without "more": ExpectedMore. */
        call(c, "io.test.Echo.Stream", "{\"n\": 3}", 0, &col);
        assert_int_equal(col.n, 1);
        assert_string_equal(col.last.error, VARLINK_ERROR_EXPECTED_MORE);
        varlink_reply_done(&col.last);

        /* reply_more on a call without "more" is refused inside the server (-EINVAL). */
        call(c, "io.test.Echo.MoreWithoutMore", NULL, 0, &col);
        assert_int_equal(col.n, 1);
        assert_int_equal(get_int(col.last.parameters, "r"), -EINVAL);
        varlink_reply_done(&col.last);
        varlink_client_free(c);
}

static void test_oneway_and_ordering(void **state) {
        VarlinkClient *c = connect_client();
        int before = stats("oneway");
        VarlinkReply r;

        for (int i = 0; i < 3; i++)
                assert_int_equal(varlink_client_call(c, "io.test.Echo.Count", NULL, VARLINK_CALL_ONEWAY, TIMEOUT, NULL, NULL),
                                 0);
        /* Calls on one connection are answered in order, oneway ones not at all: the
         * first reply seen is the Stats one, and it counts all three. */
        assert_int_equal(varlink_client_send(c, "io.test.Echo.Stats", NULL, 0, TIMEOUT), 0);
        assert_int_equal(varlink_client_recv(c, TIMEOUT, &r), 0);
        assert_int_equal(get_int(r.parameters, "oneway"), before + 3);
        varlink_reply_done(&r);

        /* Pipelined in one write: the slow call is answered first. */
        assert_int_equal(varlink_client_send(c, "io.test.Echo.Slow", NULL, 0, TIMEOUT), 0);
        send_json(c, "io.test.Echo.Echo", "{\"n\": 2}", 0);
        assert_int_equal(varlink_client_recv(c, TIMEOUT, &r), 0);
        assert_non_null(json_object_object_get(r.parameters, "late"));
        varlink_reply_done(&r);
        assert_int_equal(varlink_client_recv(c, TIMEOUT, &r), 0);
        assert_int_equal(get_int(r.parameters, "n"), 2);
        varlink_reply_done(&r);
        /* Nothing else is queued. */
        assert_int_equal(varlink_client_recv(c, 100 * USEC_PER_MSEC, &r), -ETIMEDOUT);
        varlink_client_free(c);
}

static void test_errors(void **state) {
        VarlinkClient *c = connect_client();
        Collect col;

        call(c, "io.nope.Iface.Method", NULL, 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_INTERFACE_NOT_FOUND);
        assert_string_equal(get_str(col.last.parameters, "interface"), "io.nope.Iface");
        varlink_reply_done(&col.last);

        call(c, "io.test.Echo.Nope", NULL, 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_METHOD_NOT_FOUND);
        assert_string_equal(get_str(col.last.parameters, "method"), "io.test.Echo.Nope");
        varlink_reply_done(&col.last);

        call(c, "NoDots", NULL, 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_METHOD_NOT_FOUND);
        varlink_reply_done(&col.last);

        call(c, "io.test.Echo.Unimplemented", NULL, 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_METHOD_NOT_IMPLEMENTED);
        varlink_reply_done(&col.last);

        call(c, "io.test.Echo.Stream", "{\"n\": \"three\"}", VARLINK_CALL_MORE, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_INVALID_PARAMETER);
        assert_string_equal(get_str(col.last.parameters, "parameter"), "n");
        varlink_reply_done(&col.last);

        call(c, "io.test.Echo.Fail", NULL, 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_INTERNAL);
        assert_int_equal(get_int(col.last.parameters, "errno"), EIO);
        varlink_reply_done(&col.last);

        call(c, "io.test.Echo.Forget", NULL, 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_INTERNAL);
        assert_int_equal(get_int(col.last.parameters, "errno"), EPROTO);
        varlink_reply_done(&col.last);

        /* The connection survived all of these. */
        call(c, "io.test.Echo.Echo", "{}", 0, &col);
        assert_null(col.last.error);
        varlink_reply_done(&col.last);
        varlink_client_free(c);
}

static void test_service_interface(void **state) {
        VarlinkClient *c = connect_client();
        json_object *ifaces;
        Collect col;

        call(c, "org.varlink.service.GetInfo", NULL, 0, &col);
        assert_null(col.last.error);
        assert_string_equal(get_str(col.last.parameters, "vendor"), "Test Vendor");
        assert_string_equal(get_str(col.last.parameters, "product"), "test-product");
        assert_string_equal(get_str(col.last.parameters, "version"), "1.2.3");
        assert_string_equal(get_str(col.last.parameters, "url"), "https://example.org");
        ifaces = json_object_object_get(col.last.parameters, "interfaces");
        assert_int_equal(json_object_array_length(ifaces), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(ifaces, 0)), "org.varlink.service");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(ifaces, 1)), "io.test.Echo");
        varlink_reply_done(&col.last);

        call(c, "org.varlink.service.GetInterfaceDescription", "{\"interface\": \"io.test.Echo\"}", 0, &col);
        assert_null(col.last.error);
        assert_string_equal(get_str(col.last.parameters, "description"), test_idl);
        varlink_reply_done(&col.last);

        call(c, "org.varlink.service.GetInterfaceDescription", "{\"interface\": \"org.varlink.service\"}", 0, &col);
        assert_non_null(strstr(get_str(col.last.parameters, "description"), "interface org.varlink.service\n"));
        assert_non_null(strstr(get_str(col.last.parameters, "description"), "error ExpectedMore ()"));
        varlink_reply_done(&col.last);

        call(c, "org.varlink.service.GetInterfaceDescription", "{\"interface\": \"io.nope\"}", 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_INTERFACE_NOT_FOUND);
        assert_string_equal(get_str(col.last.parameters, "interface"), "io.nope");
        varlink_reply_done(&col.last);

        call(c, "org.varlink.service.GetInterfaceDescription", "{\"interface\": 7}", 0, &col);
        assert_string_equal(col.last.error, VARLINK_ERROR_INVALID_PARAMETER);
        assert_string_equal(get_str(col.last.parameters, "parameter"), "interface");
        varlink_reply_done(&col.last);
        varlink_client_free(c);
}

/* Protocol violations drop that client only. */
static void check_dropped(const char *msg, size_t len) {
        VarlinkClient *bystander = connect_client();
        int fd = raw_connect();
        Collect col;

        raw_send(fd, msg, len);
        assert_int_equal(raw_wait_eof(fd), 1);
        close(fd);
        call(bystander, "io.test.Echo.Echo", "{\"still\": true}", 0, &col);
        assert_null(col.last.error);
        assert_true(json_object_get_boolean(json_object_object_get(col.last.parameters, "still")));
        varlink_reply_done(&col.last);
        varlink_client_free(bystander);
}

static void test_garbage(void **state) {
        static const struct {
                const char *s;
        } bad[] = {
                { "this is not json" },
                { "[1, 2]" },
                { "\"string\"" },
                { "{}" },
                { "{\"method\": 5}" },
                { "{\"method\": \"io.test.Echo.Echo\", \"parameters\": [1]}" },
                { "{\"method\": \"io.test.Echo.Echo\", \"more\": \"yes\"}" },
                { "{\"method\": \"io.test.Echo.Echo\", \"oneway\": 1}" },
                { "{\"method\": \"io.test.Echo.Echo\", \"more\": true, \"oneway\": true}" },
                { "{\"method\": \"io.test.Echo.Echo\", \"upgrade\": true}" },
                { "{\"method\": \"io.test.Echo.Echo\"} trailing" },
                { "{\"method\": \"io.test.Echo.Echo\",}" },     /* not strict JSON */
                { "{'method': 'io.test.Echo.Echo'}" },          /* not strict JSON */
                { "{\"method\": \"io.test.Echo.Echo\"" },       /* truncated */
                { "" },                                         /* empty message */
                { "{\"method\": \"\xff\xfe\"}" },               /* invalid UTF-8 */
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                check_dropped(bad[i].s, strlen(bad[i].s) + 1);
        /* Two messages where the second is garbage: the first is still answered. */
        {
                static const char two[] = "{\"method\":\"io.test.Echo.Echo\",\"parameters\":{\"ok\":1}}\0garbage";
                int fd = raw_connect();
                char buf[128] = "";
                ssize_t n;

                raw_send(fd, two, sizeof(two));
                n = recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL);
                assert_true(n > 0);
                assert_string_equal(buf, "{\"parameters\":{\"ok\":1}}");
                assert_int_equal(raw_wait_eof(fd), 1);
                close(fd);
        }
}

static void check_dropped(const char *msg, size_t len);

static void test_huge_message(void **state) {
        size_t len = 10 * 1024 * 1024;
        char *big = malloc(len);
        VarlinkClient *bystander = connect_client();
        int fd = raw_connect();
        size_t sent = 0;
        Collect col;

        /* A valid-looking start, then 10 MB without a NUL. */
        memset(big, ' ', len);
        memcpy(big, "{\"method\":\"io.test.Echo.Echo\",\"parameters\":{\"x\":\"", 49);
        while (sent < len) {
                ssize_t n = send(fd, big + sent, len - sent, MSG_NOSIGNAL);
                if (n < 0) {
                        assert_true(errno == EPIPE || errno == ECONNRESET);
                        break;
                }
                sent += (size_t)n;
        }
        /* Dropped long before the end. */
        assert_true(sent < len);
        assert_true(sent >= VARLINK_MESSAGE_MAX);
        close(fd);
        free(big);

        call(bystander, "io.test.Echo.Echo", "{\"alive\": 1}", 0, &col);
        assert_int_equal(get_int(col.last.parameters, "alive"), 1);
        varlink_reply_done(&col.last);
        varlink_client_free(bystander);

        /* Exactly VARLINK_MESSAGE_MAX bytes (plus NUL) is still accepted. */
        {
                size_t n = VARLINK_MESSAGE_MAX;
                char *m = malloc(n + 1);
                static const char head[] = "{\"method\":\"io.test.Echo.Echo\",\"parameters\":{\"x\":\"";
                VarlinkClient *c = connect_client();
                VarlinkReply r;

                memset(m, 'a', n);
                memcpy(m, head, strlen(head));
                memcpy(m + n - 3, "\"}}", 3);
                m[n] = '\0';
                raw_send(varlink_client_get_fd(c), m, n + 1);
                assert_int_equal(varlink_client_recv(c, TIMEOUT, &r), 0);
                assert_null(r.error);
                assert_int_equal(strlen(get_str(r.parameters, "x")), n - strlen(head) - 3);
                varlink_reply_done(&r);
                varlink_client_free(c);
                free(m);
        }
        /* One byte more is too large: dropped. */
        {
                size_t n = VARLINK_MESSAGE_MAX + 1;
                char *m = malloc(n + 1);

                memset(m, ' ', n);
                memcpy(m, "{\"method\":\"io.test.Echo.Echo\"}", 30);
                m[n] = '\0';
                check_dropped(m, n + 1);
                free(m);
        }
}

static void test_concurrent_clients(void **state) {
        enum { N = 40 };
        VarlinkClient *c[N];
        char params[64];

        for (int i = 0; i < N; i++) {
                c[i] = connect_client();
                snprintf(params, sizeof(params), "{\"id\": %d}", i);
                assert_int_equal(varlink_client_send(c[i], "io.test.Echo.Slow", NULL, 0, TIMEOUT), 0);
                send_json(c[i], "io.test.Echo.Echo", params, 0);
        }
        /* Read in reverse order: every client got its own answers. */
        for (int i = N - 1; i >= 0; i--) {
                VarlinkReply r;
                assert_int_equal(varlink_client_recv(c[i], TIMEOUT, &r), 0);
                assert_non_null(json_object_object_get(r.parameters, "late"));
                varlink_reply_done(&r);
                assert_int_equal(varlink_client_recv(c[i], TIMEOUT, &r), 0);
                assert_int_equal(get_int(r.parameters, "id"), i);
                varlink_reply_done(&r);
        }
        for (int i = 0; i < N; i++)
                varlink_client_free(c[i]);
}

static void test_disconnect_mid_stream(void **state) {
        int before = stats("disconnects");
        VarlinkClient *c = connect_client();
        VarlinkReply r;

        assert_int_equal(varlink_client_send(c, "io.test.Echo.Ticks", NULL, VARLINK_CALL_MORE, TIMEOUT), 0);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(varlink_client_recv(c, TIMEOUT, &r), 0);
                assert_true(r.continues);
                varlink_reply_done(&r);
        }
        varlink_client_free(c);
        /* The handler is told, drops its reference, and the server forgets the call. */
        wait_stat("disconnects", before + 1);
        wait_stat("tickers", 0);
        wait_stat("connections", 1); /* only the Stats client itself */
}

static void test_slow_reader_dropped(void **state) {
        int before = stats("disconnects");
        VarlinkClient *c = connect_client();
        int fd = varlink_client_get_fd(c);

        /* 64 KiB every 5 ms and never read: the output buffer passes 1 MiB and the
         * server drops the client (the handler sees a disconnect). */
        send_json(c, "io.test.Echo.Ticks", "{\"size\": 65536}", VARLINK_CALL_MORE);
        wait_stat("disconnects", before + 1);
        wait_stat("tickers", 0);
        /* What was queued in the kernel can still be read, then EOF. */
        assert_int_equal(raw_wait_eof(fd), 1);
        varlink_client_free(c);
}

static void test_half_close(void **state) {
        /* Like `printf ... | socat - UNIX-CONNECT:`: send, shut down writing, read the reply. */
        static const char msg[] = "{\"method\":\"org.varlink.service.GetInfo\"}";
        int fd = raw_connect();
        char buf[4096];
        size_t got = 0;

        raw_send(fd, msg, sizeof(msg));
        assert_int_equal(shutdown(fd, SHUT_WR), 0);
        for (;;) {
                ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
                assert_true(n >= 0);
                if (n == 0)
                        break; /* the server closes once it has answered */
                got += (size_t)n;
        }
        assert_true(got > 0);
        assert_int_equal(buf[got - 1], '\0');
        assert_non_null(strstr(buf, "\"product\":\"test-product\""));
        close(fd);
}

static void test_permission(void **state) {
        VarlinkClient *c = connect_client();
        Collect col;
        pid_t pid;
        int status;

        /* As root: allowed. */
        call(c, "io.test.Echo.Mutate", NULL, 0, &col);
        assert_null(col.last.error);
        varlink_reply_done(&col.last);
        varlink_client_free(c);

        if (geteuid() != 0)
                skip();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                VarlinkClient *u = NULL;
                Collect a, b;
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(10);
                if (varlink_client_connect(&u, sock_path, TIMEOUT) < 0)
                        _exit(11);
                a = (Collect){};
                b = (Collect){};
                if (varlink_client_call(u, "io.test.Echo.Mutate", NULL, 0, TIMEOUT, collect, &a) < 0 ||
                    varlink_client_call(u, "io.test.Echo.Echo", NULL, 0, TIMEOUT, collect, &b) < 0)
                        _exit(12);
                if (!a.last.error || strcmp(a.last.error, VARLINK_ERROR_PERMISSION_DENIED) != 0)
                        _exit(13);
                if (b.last.error) /* unprivileged methods stay available */
                        _exit(14);
                _exit(0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_server_api(void **state) {
        sd_event *e = NULL;
        VarlinkServer *s = NULL;
        char path[256], longpath[200];
        int fd;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(varlink_server_new(&s, e, "v", "p", "1", NULL), 0);
        assert_int_equal(varlink_server_add_interface(s, "noDot", "", test_methods, NULL), -EINVAL);
        assert_int_equal(varlink_server_add_interface(s, "a..b", "", test_methods, NULL), -EINVAL);
        assert_int_equal(varlink_server_add_interface(s, "a.b_c", "", test_methods, NULL), -EINVAL);
        assert_int_equal(varlink_server_add_interface(s, "org.varlink.service", "", test_methods, NULL), -EEXIST);
        assert_int_equal(varlink_server_add_interface(s, "io.x", "", test_methods, NULL), 0);
        assert_int_equal(varlink_server_add_interface(s, "io.x", "", test_methods, NULL), -EEXIST);

        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[sizeof(longpath) - 1] = '\0';
        longpath[0] = '/';
        assert_int_equal(varlink_server_listen(s, longpath), -ENAMETOOLONG);
        /* A live server owns the other socket. */
        assert_int_equal(varlink_server_listen(s, sock_path), -EADDRINUSE);

        /* A stale socket (bound, nobody listening) is replaced; the new one is 0666,
         * missing parent directories are created, and free() removes the socket. */
        snprintf(path, sizeof(path), "%s/stale", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/stale/sock", dir);
        {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                struct stat st;

                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                strcpy(sa.sun_path, path);
                assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
                close(fd);
                assert_int_equal(varlink_server_listen(s, path), 0);
                assert_int_equal(varlink_server_listen(s, path), -EBUSY);
                assert_int_equal(stat(path, &st), 0);
                assert_true(S_ISSOCK(st.st_mode));
                assert_int_equal(st.st_mode & 07777, 0666);
        }
        varlink_server_free(s);
        assert_int_equal(access(path, F_OK), -1);

        /* Not a socket: refused, left alone. */
        snprintf(path, sizeof(path), "%s/stale/file", dir);
        fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(varlink_server_new(&s, e, "v", "p", "1", NULL), 0);
        assert_int_equal(varlink_server_listen(s, path), -EEXIST);
        assert_int_equal(access(path, F_OK), 0);

        snprintf(path, sizeof(path), "%s/new/sub/sock", dir);
        assert_int_equal(varlink_server_listen(s, path), 0);
        assert_int_equal(access(path, F_OK), 0);
        varlink_server_free(s);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_call_reply),
                cmocka_unit_test(test_wire_format),
                cmocka_unit_test(test_streaming),
                cmocka_unit_test(test_oneway_and_ordering),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_service_interface),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_huge_message),
                cmocka_unit_test(test_concurrent_clients),
                cmocka_unit_test(test_disconnect_mid_stream),
                cmocka_unit_test(test_slow_reader_dropped),
                cmocka_unit_test(test_half_close),
                cmocka_unit_test(test_permission),
                cmocka_unit_test(test_server_api),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
