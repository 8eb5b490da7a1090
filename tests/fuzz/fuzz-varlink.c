/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the varlink wire handling (src/shared/varlink.c), through its
 * real sockets: the framing and call validation live in the connection code, so the
 * harness drives that code rather than a copy of it. First byte: bit 0 picks the side.
 *
 * Server side (bit 0 clear): the rest of the input is what a client writes on a
 * connection handed to a VarlinkServer (varlink_server_add_connection on one end of a
 * socketpair) serving a test interface (echo, streaming, errors, a failing handler, a
 * privileged method, a method without handler) and org.varlink.service. The harness
 * writes it, half-closes, and runs the event loop until the server has answered and
 * dropped the connection. Invariants: the server closes the connection (it never hangs
 * on a client that went away); everything it wrote is NUL-terminated strict JSON
 * objects, each a reply ("parameters" object, "continues" only without "error") or an
 * error (string); no more final replies than calls (NUL bytes) sent; and afterwards a
 * second client still gets its Echo answered: one client's garbage costs others nothing.
 *
 * Client side (bit 0 set): the rest is what a server answers to a VarlinkClient
 * (varlink_client_connect to a listening socket in a temporary directory). Invariants:
 * varlink_client_recv returns replies with an object for parameters and the message,
 * "continues" never together with an error, or fails with -EBADMSG, -ECONNRESET or
 * -EMSGSIZE. Test code only.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "fuzz-util.h"
#include "log.h"
#include "time-util.h"
#include "varlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char idl[] = "interface io.fuzz.Test\n"
                          "method Echo() -> ()\n";

static int m_echo(VarlinkCall *call, json_object *params, void *userdata) {
        return varlink_call_reply(call, json_object_get(params));
}

static int m_stream(VarlinkCall *call, json_object *params, void *userdata) {
        int r;

        if (!varlink_call_wants_more(call))
                return varlink_call_error(call, VARLINK_ERROR_EXPECTED_MORE, NULL);
        for (int i = 0; i < 2; i++) {
                r = varlink_call_reply_more(call, json_object_get(params));
                if (r < 0)
                        return r;
        }
        return varlink_call_reply(call, NULL);
}

static int m_fail(VarlinkCall *call, json_object *params, void *userdata) {
        return -EIO;
}

static int m_error(VarlinkCall *call, json_object *params, void *userdata) {
        return varlink_call_error(call, "io.fuzz.Test.Oops", json_object_get(params));
}

static int m_invalid(VarlinkCall *call, json_object *params, void *userdata) {
        return varlink_call_error_invalid_parameter(call, "x");
}

static const VarlinkMethod methods[] = {
        { "Echo", m_echo, false },   { "Stream", m_stream, false }, { "Fail", m_fail, false },
        { "Error", m_error, false }, { "Invalid", m_invalid, false }, { "Priv", m_echo, true },
        { "NoHandler", NULL, false }, {},
};

typedef struct Buf {
        char *data;
        size_t size, allocated;
} Buf;

/* Reads what is available; returns bytes read, 0 on EOF, -1 when nothing is ready. */
static ssize_t read_some(int fd, Buf *b) {
        ssize_t n;

        if (b->allocated - b->size < 65536) {
                b->allocated = b->allocated * 2 + 65536;
                b->data = realloc(b->data, b->allocated);
                CHECK(b->data);
        }
        n = recv(fd, b->data + b->size, b->allocated - b->size, MSG_DONTWAIT);
        if (n < 0) {
                CHECK(errno == EAGAIN || errno == EINTR || errno == ECONNRESET);
                return errno == ECONNRESET ? 0 : -1;
        }
        b->size += (size_t) n;
        return n;
}

/* Runs the loop until it has nothing left to dispatch right now. */
static void run_loop(sd_event *ev) {
        for (unsigned i = 0; i < 10000; i++) {
                int r = sd_event_run(ev, 0);
                CHECK(r >= 0);
                if (r == 0)
                        return;
        }
        CHECK(!"event loop never settles");
}

static json_object *parse_strict(const char *s, size_t n) {
        json_tokener *tok = json_tokener_new();
        json_object *o;

        CHECK(tok);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, s, (int) n);
        if (!o || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != n) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

/* Checks a server's output; returns the number of final replies. */
static size_t check_replies(const Buf *b) {
        size_t pos = 0, finals = 0;

        while (pos < b->size) {
                char *nul = memchr(b->data + pos, 0, b->size - pos);
                json_object *m, *v, *err = NULL;
                bool continues = false;
                size_t len;

                CHECK(nul); /* never a partial message */
                len = (size_t) (nul - (b->data + pos));
                m = parse_strict(b->data + pos, len);
                CHECK(m && json_object_is_type(m, json_type_object));
                if (json_object_object_get_ex(m, "error", &err))
                        CHECK(json_object_is_type(err, json_type_string));
                if (json_object_object_get_ex(m, "parameters", &v))
                        CHECK(json_object_is_type(v, json_type_object));
                else
                        CHECK(err); /* a reply carries parameters */
                if (json_object_object_get_ex(m, "continues", &v)) {
                        CHECK(json_object_is_type(v, json_type_boolean));
                        continues = json_object_get_boolean(v);
                }
                CHECK(!(continues && err));
                if (!continues)
                        finals++;
                json_object_put(m);
                pos += len + 1;
        }
        return finals;
}

static void fuzz_server(const uint8_t *data, size_t size) {
        static const char echo[] = "{\"method\":\"io.fuzz.Test.Echo\",\"parameters\":{\"x\":1}}";
        sd_event *ev = NULL;
        VarlinkServer *s = NULL;
        Buf out = {}, out2 = {};
        int fds[2], fds2[2];
        size_t pos = 0, calls = 0;
        bool eof = false;

        for (size_t i = 0; i < size; i++)
                calls += data[i] == 0;

        CHECK(sd_event_new(&ev) >= 0);
        CHECK(varlink_server_new(&s, ev, "infradhcp", "fuzz", "1", NULL) == 0);
        CHECK(varlink_server_add_interface(s, "io.fuzz.Test", idl, methods, NULL) == 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
        CHECK(varlink_server_add_connection(s, fds[0]) == 0);

        /* Write everything (the server may drop us half-way: then stop writing). */
        for (unsigned rounds = 0; pos < size; rounds++) {
                ssize_t n = send(fds[1], data + pos, size - pos, MSG_DONTWAIT | MSG_NOSIGNAL);

                CHECK(rounds < 100000);
                if (n > 0)
                        pos += (size_t) n;
                else {
                        CHECK(n < 0);
                        if (errno == EPIPE || errno == ECONNRESET)
                                break;
                        CHECK(errno == EAGAIN || errno == EINTR);
                }
                run_loop(ev);
                if (read_some(fds[1], &out) == 0) {
                        eof = true;
                        break;
                }
        }
        CHECK(shutdown(fds[1], SHUT_WR) == 0 || errno == ENOTCONN);

        /* The server answers what it got, then closes: nothing else may keep it open. */
        for (unsigned rounds = 0; !eof; rounds++) {
                ssize_t n;

                CHECK(rounds < 100000);
                run_loop(ev);
                n = read_some(fds[1], &out);
                if (n == 0)
                        eof = true;
        }
        run_loop(ev);
        CHECK(varlink_server_n_connections(s) == 0);
        CHECK(check_replies(&out) <= calls);

        /* Another client is served as if nothing happened. */
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds2) == 0);
        CHECK(varlink_server_add_connection(s, fds2[0]) == 0);
        CHECK(send(fds2[1], echo, sizeof(echo), MSG_NOSIGNAL) == (ssize_t) sizeof(echo));
        for (unsigned rounds = 0; !memchr(out2.data ? out2.data : "", 0, out2.size); rounds++) {
                CHECK(rounds < 1000);
                run_loop(ev);
                (void) read_some(fds2[1], &out2);
        }
        CHECK(strcmp(out2.data, "{\"parameters\":{\"x\":1}}") == 0);

        varlink_server_free(s);
        sd_event_unref(ev);
        close(fds[1]);
        close(fds2[1]);
        free(out.data);
        free(out2.data);
}

static char sock_dir[64], sock_path[128];
static int listen_fd = -1;

static void cleanup_socket(void) {
        if (listen_fd >= 0) {
                close(listen_fd);
                unlink(sock_path);
                rmdir(sock_dir);
        }
}

static void setup_socket(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (listen_fd >= 0)
                return;
        strcpy(sock_dir, "/tmp/fuzz-varlink-XXXXXX");
        CHECK(mkdtemp(sock_dir));
        snprintf(sock_path, sizeof(sock_path), "%s/sock", sock_dir);
        strcpy(sa.sun_path, sock_path);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(listen_fd >= 0);
        CHECK(bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        CHECK(listen(listen_fd, 4) == 0);
        atexit(cleanup_socket);
}

static void fuzz_client(const uint8_t *data, size_t size) {
        VarlinkClient *c = NULL;
        VarlinkReply reply = {};
        int fd, r;

        if (size > 65536)
                return; /* stays below the socket buffer: written before the client reads */
        setup_socket();
        CHECK(varlink_client_connect(&c, sock_path, 5 * USEC_PER_SEC) == 0);
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        CHECK(fd >= 0);
        {
                int sz = 1 << 20;
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
        }
        for (size_t pos = 0; pos < size;) {
                ssize_t n = send(fd, data + pos, size - pos, MSG_NOSIGNAL);
                CHECK(n > 0);
                pos += (size_t) n;
        }
        close(fd);

        for (;;) {
                r = varlink_client_recv(c, 5 * USEC_PER_SEC, &reply);
                if (r < 0)
                        break;
                CHECK(r == 0);
                CHECK(reply.message && json_object_is_type(reply.message, json_type_object));
                CHECK(reply.parameters && json_object_is_type(reply.parameters, json_type_object));
                CHECK(!(reply.continues && reply.error));
                varlink_reply_done(&reply);
        }
        CHECK(r == -EBADMSG || r == -ECONNRESET || r == -EMSGSIZE);
        varlink_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool initialized;

        if (!initialized) {
                log_set_max_level(LOG_CRIT); /* rejected clients are logged: not interesting here */
                initialized = true;
        }
        if (size < 1 || size > 262144)
                return 0;
        if (data[0] & 1)
                fuzz_client(data + 1, size - 1);
        else
                fuzz_server(data + 1, size - 1);
        return 0;
}
