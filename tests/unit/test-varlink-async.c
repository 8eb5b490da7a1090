/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests for the asynchronous varlink client (varlink_async_call): server and client
 * share one sd-event loop in this process, which is the point: a slow method must
 * not block the loop. Covers replies, error replies, streams, oneway, timeouts, a
 * server going away, garbage replies, connect errors, and cancelling.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "time-util.h"
#include "varlink.h"

static const char idl[] = "interface io.test.Async\n"
                          "method Echo(x: int) -> (x: int)\n"
                          "method Fail() -> ()\n"
                          "method Slow(ms: int) -> (ms: int)\n"
                          "method Never() -> ()\n"
                          "method Stream(n: int) -> (i: int)\n"
                          "method Count() -> ()\n"
                          "method Stats() -> (count: int)\n"
                          "error Failed (why: string)\n";

typedef struct Ctx {
        sd_event *event;
        VarlinkServer *server;
        char dir[64], path[128];
        /* server side */
        unsigned count;
        VarlinkCall *held;
        /* client side */
        unsigned replies, finals;
        int error;
        int64_t last_x;
        char last_error[128];
        bool free_in_handler;
        VarlinkAsync *a;
        unsigned ticks;
} Ctx;

static Ctx *ctx_of(void *userdata) {
        return userdata;
}

static int m_echo(VarlinkCall *call, json_object *p, void *userdata) {
        return varlink_call_reply(call, json_object_get(p));
}

static int m_fail(VarlinkCall *call, json_object *p, void *userdata) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "why", json_object_new_string("because"));
        return varlink_call_error(call, "io.test.Async.Failed", o);
}

static int slow_done(sd_event_source *s, uint64_t usec, void *userdata) {
        VarlinkCall *call = userdata;
        json_object *o = json_object_new_object();

        json_object_object_add(o, "ms", json_object_new_int(1));
        (void)varlink_call_reply(call, o);
        varlink_call_unref(call);
        sd_event_source_unref(s);
        return 0;
}

static int m_slow(VarlinkCall *call, json_object *p, void *userdata) {
        Ctx *c = ctx_of(userdata);
        json_object *v;
        uint64_t now;
        int64_t ms = json_object_object_get_ex(p, "ms", &v) ? json_object_get_int64(v) : 0;

        assert_true(sd_event_now(c->event, CLOCK_MONOTONIC, &now) >= 0);
        assert_int_equal(sd_event_add_time(c->event, NULL, CLOCK_MONOTONIC, now + (uint64_t)ms * 1000, 0, slow_done,
                                           varlink_call_ref(call)),
                         0);
        return 0;
}

static int m_never(VarlinkCall *call, json_object *p, void *userdata) {
        Ctx *c = ctx_of(userdata);
        c->held = varlink_call_ref(call);
        return 0;
}

static int m_stream(VarlinkCall *call, json_object *p, void *userdata) {
        json_object *v;
        int n = json_object_object_get_ex(p, "n", &v) ? json_object_get_int(v) : 0;

        if (!varlink_call_wants_more(call))
                return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
        for (int i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "i", json_object_new_int(i));
                if (i + 1 < n)
                        varlink_call_reply_more(call, o);
                else
                        varlink_call_reply(call, o);
        }
        return 0;
}

static int m_count(VarlinkCall *call, json_object *p, void *userdata) {
        ctx_of(userdata)->count++;
        return varlink_call_reply(call, NULL);
}

static const VarlinkMethod methods[] = {
        { "Echo", m_echo, false },   { "Fail", m_fail, false },     { "Slow", m_slow, false },
        { "Never", m_never, false }, { "Stream", m_stream, false }, { "Count", m_count, false },
        {},
};

static int setup(void **state) {
        Ctx *c = calloc(1, sizeof(*c));

        assert_non_null(c);
        snprintf(c->dir, sizeof(c->dir), "/tmp/test-varlink-async-XXXXXX");
        assert_non_null(mkdtemp(c->dir));
        snprintf(c->path, sizeof(c->path), "%s/sock", c->dir);
        assert_int_equal(sd_event_new(&c->event), 0);
        assert_int_equal(varlink_server_new(&c->server, c->event, "test", "test", "1", NULL), 0);
        assert_int_equal(varlink_server_add_interface(c->server, "io.test.Async", idl, methods, c), 0);
        assert_int_equal(varlink_server_listen(c->server, c->path), 0);
        *state = c;
        return 0;
}

static int teardown(void **state) {
        Ctx *c = *state;

        varlink_async_free(c->a);
        varlink_call_unref(c->held);
        varlink_server_free(c->server);
        sd_event_unref(c->event);
        unlink(c->path);
        rmdir(c->dir);
        free(c);
        return 0;
}

static void on_reply(VarlinkAsync *a, int error, const VarlinkReply *reply, void *userdata) {
        Ctx *c = userdata;
        json_object *v;

        if (error < 0 || !reply || !reply->continues)
                c->finals++;
        c->error = error;
        if (reply) {
                c->replies++;
                snprintf(c->last_error, sizeof(c->last_error), "%s", reply->error ?: "");
                if (json_object_object_get_ex(reply->parameters, "x", &v) ||
                    json_object_object_get_ex(reply->parameters, "i", &v) ||
                    json_object_object_get_ex(reply->parameters, "ms", &v))
                        c->last_x = json_object_get_int64(v);
        }
        if (c->free_in_handler) {
                assert_ptr_equal(a, c->a);
                c->a = varlink_async_free(c->a);
        }
}

/* Runs the loop until the call ended (or 5 s). */
static void run_until_final(Ctx *c, unsigned finals) {
        for (int i = 0; i < 5000 && c->finals < finals; i++)
                assert_true(sd_event_run(c->event, 1000) >= 0);
        assert_int_equal(c->finals, finals);
}

static json_object *params_int(const char *key, int v) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, key, json_object_new_int(v));
        return o;
}

static void test_echo(void **state) {
        Ctx *c = *state;
        json_object *p = params_int("x", 42);

        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Echo", p, 0, 5 * USEC_PER_SEC,
                                            on_reply, c),
                         0);
        json_object_put(p);
        assert_true(varlink_async_is_running(c->a));
        run_until_final(c, 1);
        assert_int_equal(c->error, 0);
        assert_int_equal(c->replies, 1);
        assert_int_equal(c->last_x, 42);
        assert_string_equal(c->last_error, "");
        assert_false(varlink_async_is_running(c->a));
}

static void test_error_reply(void **state) {
        Ctx *c = *state;

        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Fail", NULL, 0, 5 * USEC_PER_SEC,
                                            on_reply, c),
                         0);
        run_until_final(c, 1);
        assert_int_equal(c->error, 0);
        assert_string_equal(c->last_error, "io.test.Async.Failed");
        c->a = varlink_async_free(c->a);
        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Nope", NULL, 0, 5 * USEC_PER_SEC,
                                            on_reply, c),
                         0);
        run_until_final(c, 2);
        assert_string_equal(c->last_error, VARLINK_ERROR_METHOD_NOT_FOUND);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Ctx *c = userdata;
        c->ticks++;
        return 0;
}

static void test_slow_does_not_block(void **state) {
        Ctx *c = *state;
        json_object *p = params_int("ms", 300);
        sd_event_source *tick = NULL;
        uint64_t now;

        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Slow", p, 0, 5 * USEC_PER_SEC,
                                            on_reply, c),
                         0);
        json_object_put(p);
        /* A timer due long before the reply fires while the call is pending. */
        assert_true(sd_event_now(c->event, CLOCK_MONOTONIC, &now) >= 0);
        assert_int_equal(sd_event_add_time(c->event, &tick, CLOCK_MONOTONIC, now + 50000, 0, on_tick, c), 0);
        while (c->ticks == 0)
                assert_true(sd_event_run(c->event, 1000) >= 0);
        assert_int_equal(c->finals, 0);
        assert_true(varlink_async_is_running(c->a));
        run_until_final(c, 1);
        assert_int_equal(c->error, 0);
        assert_int_equal(c->last_x, 1);
        sd_event_source_unref(tick);
}

static void test_stream(void **state) {
        Ctx *c = *state;
        json_object *p = params_int("n", 5);

        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Stream", p, VARLINK_CALL_MORE,
                                            5 * USEC_PER_SEC, on_reply, c),
                         0);
        json_object_put(p);
        run_until_final(c, 1);
        assert_int_equal(c->replies, 5);
        assert_int_equal(c->last_x, 4);
}

static void test_oneway(void **state) {
        Ctx *c = *state;

        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Count", NULL, VARLINK_CALL_ONEWAY,
                                            5 * USEC_PER_SEC, on_reply, c),
                         0);
        run_until_final(c, 1);
        assert_int_equal(c->error, 0);
        assert_int_equal(c->replies, 0);
        /* Let the server read it. */
        for (int i = 0; i < 100 && c->count == 0; i++)
                assert_true(sd_event_run(c->event, 10000) >= 0);
        assert_int_equal(c->count, 1);
}

static void test_timeout(void **state) {
        Ctx *c = *state;

        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Never", NULL, 0, 100 * USEC_PER_MSEC,
                                            on_reply, c),
                         0);
        run_until_final(c, 1);
        assert_int_equal(c->error, -ETIMEDOUT);
        assert_int_equal(c->replies, 0);
}

static void test_server_gone(void **state) {
        Ctx *c = *state;

        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Never", NULL, 0, USEC_INFINITY,
                                            on_reply, c),
                         0);
        while (!c->held)
                assert_true(sd_event_run(c->event, 1000) >= 0);
        /* The daemon exits mid-call (infradhcpd restarted). */
        c->server = varlink_server_free(c->server);
        run_until_final(c, 1);
        assert_int_equal(c->error, -ECONNRESET);
}

static void test_connect_errors(void **state) {
        Ctx *c = *state;
        char stale[160];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        snprintf(stale, sizeof(stale), "%s/none", c->dir);
        assert_int_equal(varlink_async_call(&c->a, c->event, stale, "io.test.Async.Echo", NULL, 0, USEC_PER_SEC,
                                            on_reply, c),
                         -ENOENT);
        assert_null(c->a);
        /* A socket file nobody listens on. */
        snprintf(stale, sizeof(stale), "%s/stale", c->dir);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        strcpy(sa.sun_path, stale);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(fd);
        assert_int_equal(varlink_async_call(&c->a, c->event, stale, "io.test.Async.Echo", NULL, 0, USEC_PER_SEC,
                                            on_reply, c),
                         -ECONNREFUSED);
        unlink(stale);
        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Echo", NULL, 0, 0, on_reply, c),
                         -EINVAL);
        assert_int_equal(c->finals, 0);
}

static int garbage_on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        static const char junk[] = "{not json";

        assert_true(cfd >= 0);
        assert_int_equal(send(cfd, junk, sizeof(junk), MSG_NOSIGNAL), (ssize_t)sizeof(junk)); /* with NUL */
        *(int *)userdata = cfd;
        return 0;
}

static void test_garbage_reply(void **state) {
        Ctx *c = *state;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        sd_event_source *src = NULL;
        int lfd, cfd = -1;

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/raw", c->dir);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(lfd, 4), 0);
        assert_int_equal(sd_event_add_io(c->event, &src, lfd, EPOLLIN, garbage_on_accept, &cfd), 0);
        assert_int_equal(varlink_async_call(&c->a, c->event, sa.sun_path, "io.test.Async.Echo", NULL, 0,
                                            5 * USEC_PER_SEC, on_reply, c),
                         0);
        run_until_final(c, 1);
        assert_int_equal(c->error, -EBADMSG);
        sd_event_source_disable_unref(src);
        close(lfd);
        close(cfd);
        unlink(sa.sun_path);
}

static void test_cancel_and_free_in_handler(void **state) {
        Ctx *c = *state;
        json_object *p = params_int("ms", 50);

        /* Freed before the reply: the handler is never called. */
        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Slow", p, 0, 5 * USEC_PER_SEC,
                                            on_reply, c),
                         0);
        c->a = varlink_async_free(c->a);
        for (int i = 0; i < 20; i++)
                assert_true(sd_event_run(c->event, 10000) >= 0);
        assert_int_equal(c->finals, 0);

        /* Freed from inside the handler, for a stream too. */
        c->free_in_handler = true;
        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Slow", p, 0, 5 * USEC_PER_SEC,
                                            on_reply, c),
                         0);
        run_until_final(c, 1);
        assert_null(c->a);
        json_object_put(p);
        p = params_int("n", 3);
        assert_int_equal(varlink_async_call(&c->a, c->event, c->path, "io.test.Async.Stream", p, VARLINK_CALL_MORE,
                                            5 * USEC_PER_SEC, on_reply, c),
                         0);
        json_object_put(p);
        for (int i = 0; i < 50; i++)
                assert_true(sd_event_run(c->event, 10000) >= 0);
        assert_null(c->a);
        assert_int_equal(c->replies, 2); /* one each: the stream was cancelled after its first */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_slow_does_not_block, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oneway, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_server_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_connect_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_and_free_in_handler, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
