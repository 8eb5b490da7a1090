/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * varlink server (sd-event) and blocking client; see varlink.h for the contract.
 * Protocol reference: https://varlink.org/Method-Call and the org.varlink.service
 * interface. One connection handles one call at a time (replies must come back in
 * call order), so later calls wait in the input buffer until the current one ends.
 * Not here: method semantics (the interface implementations), IDL parsing.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "json-util.h"
#include "log.h"
#include "time-util.h"
#include "varlink.h"

#define VARLINK_CONNECTIONS_MAX 256U
/* Replies the CLI accepts (GetStatus/GetInterfaceDescription are a few KiB). */
#define VARLINK_CLIENT_MESSAGE_MAX (16U * 1024U * 1024U)
#define JSON_FORMAT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char org_varlink_service_idl[] =
        "# The interface every varlink service provides: what the service is and\n"
        "# which interfaces it implements.\n"
        "interface org.varlink.service\n"
        "\n"
        "# Information about the service and the list of its interfaces.\n"
        "method GetInfo() -> (\n"
        "  vendor: string,\n"
        "  product: string,\n"
        "  version: string,\n"
        "  url: string,\n"
        "  interfaces: []string\n"
        ")\n"
        "\n"
        "# The interface definition (IDL text) of one implemented interface.\n"
        "method GetInterfaceDescription(interface: string) -> (description: string)\n"
        "\n"
        "# The interface is not implemented by this service.\n"
        "error InterfaceNotFound (interface: string)\n"
        "\n"
        "# The interface has no such method.\n"
        "error MethodNotFound (method: string)\n"
        "\n"
        "# The interface defines the method, but this service does not implement it.\n"
        "error MethodNotImplemented (method: string)\n"
        "\n"
        "# A parameter is missing or invalid.\n"
        "error InvalidParameter (parameter: string)\n"
        "\n"
        "# The caller may not call this method.\n"
        "error PermissionDenied ()\n"
        "\n"
        "# The method streams replies and must be called with \"more\": true.\n"
        "error ExpectedMore ()\n";

typedef struct VarlinkInterface {
        char *name;
        const char *idl; /* borrowed, like methods: a static string (no copy: 10 kB not touched at start) */
        const VarlinkMethod *methods;
        void *userdata;
} VarlinkInterface;

typedef struct VarlinkConnection VarlinkConnection;

struct VarlinkServer {
        sd_event *event;
        char *vendor, *product, *version, *url;
        VarlinkInterface *interfaces;
        size_t n_interfaces;
        int listen_fd;
        sd_event_source *listen_source;
        char *path; /* socket we created, unlinked on free */
        VarlinkConnection *connections;
        size_t n_connections;
};

struct VarlinkConnection {
        unsigned n_ref;
        VarlinkServer *server; /* NULL once closed */
        VarlinkConnection *prev, *next;
        int fd;
        uid_t uid;
        sd_event_source *io_source;
        sd_event_source *defer_source; /* runs queued calls / a deferred close */
        char in[VARLINK_MESSAGE_MAX + 1];
        size_t in_size;
        char *out;
        size_t out_size, out_alloc;
        VarlinkCall *current; /* the call being answered (holds a reference) */
        bool read_eof;        /* peer shut down its sending side */
        bool dead;            /* write failed or overflowed: close at the next chance */
        bool closed;
};

struct VarlinkCall {
        unsigned n_ref;
        VarlinkConnection *connection; /* holds a reference */
        json_object *message;          /* the parsed call, owns `parameters` */
        json_object *parameters;
        char *method;
        bool more, oneway, finished;
        VarlinkDisconnectHandler disconnect;
        void *disconnect_userdata;
};

/* Strict JSON (no comments, single quotes, trailing commas), valid UTF-8, and the
 * whole buffer must be exactly one value. Returns NULL when it is not. */
static json_object *json_parse_exact(const char *buf, size_t len) {
        json_object *o = NULL;

        return json_parse(buf, len, JSON_PARSE_STRICT, &o, NULL, NULL) < 0 ? NULL : o;
}

static bool json_is_object(json_object *o) {
        return json_object_is_type(o, json_type_object);
}

/* ------------------------------------------------------------------------- */
/* Connections */

static VarlinkConnection *connection_ref(VarlinkConnection *c) {
        c->n_ref++;
        return c;
}

static VarlinkConnection *connection_unref(VarlinkConnection *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        /* Closed before the last reference goes: the server list holds one until then. */
        free(c->out);
        free(c);
        return NULL;
}

static bool connection_alive(const VarlinkConnection *c) {
        return c && !c->closed && !c->dead;
}

static void connection_update_events(VarlinkConnection *c) {
        uint32_t events = 0;

        if (c->closed || !c->io_source)
                return;
        if (!c->read_eof && !c->dead && c->in_size < sizeof(c->in))
                events |= EPOLLIN;
        if (c->out_size > 0 && !c->dead)
                events |= EPOLLOUT;
        /* With no events, epoll still reports EPOLLHUP/EPOLLERR: a vanished peer is seen. */
        (void)sd_event_source_set_io_events(c->io_source, events);
}

static void connection_schedule(VarlinkConnection *c) {
        if (!c->closed && c->defer_source)
                (void)sd_event_source_set_enabled(c->defer_source, SD_EVENT_ONESHOT);
}

/* Marks the connection for closing from a context (a handler's reply) where closing
 * now would call back into the handler; the defer source closes it. */
static void connection_kill(VarlinkConnection *c) {
        if (c->closed || c->dead)
                return;
        c->dead = true;
        connection_update_events(c);
        connection_schedule(c);
}

static void call_notify_disconnect(VarlinkCall *call);

static void connection_close(VarlinkConnection *c) {
        VarlinkServer *s = c->server;
        VarlinkCall *call;

        if (c->closed)
                return;
        c->closed = true;
        c->io_source = sd_event_source_disable_unref(c->io_source);
        c->defer_source = sd_event_source_disable_unref(c->defer_source);
        c->fd = safe_close(c->fd);
        if (s) {
                if (c->prev)
                        c->prev->next = c->next;
                else
                        s->connections = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                c->prev = c->next = NULL;
                s->n_connections--;
                c->server = NULL;
        }
        call = c->current;
        c->current = NULL;
        if (call) {
                call_notify_disconnect(call);
                varlink_call_unref(call);
        }
        connection_unref(c); /* the server list's reference */
}

static int connection_flush(VarlinkConnection *c) {
        while (c->out_size > 0) {
                ssize_t n = send(c->fd, c->out, c->out_size, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                memmove(c->out, c->out + n, c->out_size - (size_t)n);
                c->out_size -= (size_t)n;
        }
        connection_update_events(c);
        return 0;
}

/* Queues one message (with its NUL) and writes what the socket takes now. */
static int connection_send(VarlinkConnection *c, json_object *message) {
        const char *text;
        size_t len;
        int r;

        if (!connection_alive(c))
                return -ENOTCONN;
        text = json_object_to_json_string_length(message, JSON_FORMAT, &len);
        if (!text)
                return -ENOMEM;
        if (len + 1 > VARLINK_OUTPUT_MAX - c->out_size) {
                log_warning("varlink: client (uid %d) does not read its replies (%zu bytes queued); "
                            "disconnecting it",
                            (int)c->uid, c->out_size);
                connection_kill(c);
                return -ENOBUFS;
        }
        if (c->out_size + len + 1 > c->out_alloc) {
                size_t n = MAX(c->out_alloc * 2, c->out_size + len + 1);
                char *p = realloc(c->out, n);
                if (!p) {
                        connection_kill(c);
                        return -ENOMEM;
                }
                c->out = p;
                c->out_alloc = n;
        }
        memcpy(c->out + c->out_size, text, len + 1); /* json-c escapes NUL, so it ends here */
        c->out_size += len + 1;
        r = connection_flush(c);
        if (r < 0) {
                log_debug_errno(r, "varlink: write to client failed: %m; disconnecting it");
                connection_kill(c);
                return -ENOTCONN;
        }
        return 0;
}

/* ------------------------------------------------------------------------- */
/* Calls */

VarlinkCall *varlink_call_ref(VarlinkCall *c) {
        if (c)
                c->n_ref++;
        return c;
}

VarlinkCall *varlink_call_unref(VarlinkCall *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        connection_unref(c->connection);
        json_object_put(c->message);
        json_object_put(c->parameters);
        free(c->method);
        free(c);
        return NULL;
}

bool varlink_call_wants_more(const VarlinkCall *c) {
        return c->more;
}

bool varlink_call_is_oneway(const VarlinkCall *c) {
        return c->oneway;
}

bool varlink_call_is_connected(const VarlinkCall *c) {
        return connection_alive(c->connection);
}

bool varlink_call_is_finished(const VarlinkCall *c) {
        return c->finished;
}

const char *varlink_call_get_method(const VarlinkCall *c) {
        return c->method;
}

uid_t varlink_call_get_peer_uid(const VarlinkCall *c) {
        return c->connection->uid;
}

void varlink_call_set_disconnect_handler(VarlinkCall *c, VarlinkDisconnectHandler h, void *userdata) {
        c->disconnect = h;
        c->disconnect_userdata = userdata;
}

static void call_notify_disconnect(VarlinkCall *call) {
        VarlinkDisconnectHandler h = call->disconnect;

        if (call->finished || !h)
                return;
        call->disconnect = NULL; /* once */
        varlink_call_ref(call);
        h(call, call->disconnect_userdata);
        varlink_call_unref(call);
}

/* The call got its final reply: the connection may go on with the next call. */
static void call_finish(VarlinkCall *call) {
        VarlinkConnection *c = call->connection;

        if (call->finished)
                return;
        call->finished = true;
        if (c->current == call) {
                c->current = NULL;
                connection_schedule(c);
                varlink_call_unref(call); /* the connection's reference; the caller holds one */
        }
}

static int call_send(VarlinkCall *call, json_object *message, bool final) {
        VarlinkConnection *c = call->connection;
        int r;

        if (call->finished)
                return -EALREADY;
        if (call->oneway) {
                if (final)
                        call_finish(call);
                return 0;
        }
        /* On failure the call stays attached to its (dying) connection, so that closing
         * it notifies the disconnect handler. */
        if (!connection_alive(c))
                return -ENOTCONN;
        r = connection_send(c, message);
        if (r < 0)
                return r;
        if (final)
                call_finish(call);
        return 0;
}

static json_object *params_or_empty(json_object *parameters) {
        return parameters ?: json_object_new_object();
}

int varlink_call_reply(VarlinkCall *call, json_object *parameters) {
        _cleanup_(json_object_unrefp) json_object *m = json_build_object("parameters", params_or_empty(parameters),
                                                                         NULL);

        if (!m)
                return -ENOMEM;
        return call_send(call, m, true);
}

int varlink_call_reply_more(VarlinkCall *call, json_object *parameters) {
        _cleanup_(json_object_unrefp) json_object *m = NULL;

        if (!call->more || call->oneway) {
                json_object_put(parameters);
                return -EINVAL;
        }
        m = json_build_object("parameters", params_or_empty(parameters), "continues", json_object_new_boolean(1),
                              NULL);
        if (!m)
                return -ENOMEM;
        return call_send(call, m, false);
}

int varlink_call_error(VarlinkCall *call, const char *error, json_object *parameters) {
        _cleanup_(json_object_unrefp) json_object *m = json_build_object(
                "parameters", params_or_empty(parameters), "error", json_object_new_string(error), NULL);

        if (!m)
                return -ENOMEM;
        return call_send(call, m, true);
}

int varlink_call_error_invalid_parameter(VarlinkCall *call, const char *parameter) {
        return varlink_call_error(call, VARLINK_ERROR_INVALID_PARAMETER,
                                  json_build_object("parameter", json_object_new_string(parameter), NULL));
}

int varlink_call_error_errno(VarlinkCall *call, int error) {
        error = abs(error);
        return varlink_call_error(call, VARLINK_ERROR_INTERNAL,
                                  json_build_object("errno", json_object_new_int(error),
                                                    "message", json_object_new_string(strerror(error)), NULL));
}

/* ------------------------------------------------------------------------- */
/* Dispatch */

static const VarlinkInterface *server_find_interface(const VarlinkServer *s, const char *name, size_t len) {
        for (size_t i = 0; i < s->n_interfaces; i++)
                if (strlen(s->interfaces[i].name) == len && memcmp(s->interfaces[i].name, name, len) == 0)
                        return &s->interfaces[i];
        return NULL;
}

static int connection_dispatch(VarlinkConnection *c, json_object *message /* consumed */) {
        _cleanup_(json_object_unrefp) json_object *m = message;
        json_object *v, *parameters = NULL;
        const VarlinkInterface *iface;
        const VarlinkMethod *method = NULL;
        const char *name, *dot;
        size_t name_len;
        VarlinkCall *call;
        bool more = false, oneway = false;
        int r;

        /* Anything but a well-formed call object is a protocol violation: drop the client. */
        if (!json_is_object(m))
                return -EBADMSG;
        if (!json_object_object_get_ex(m, "method", &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        name = json_object_get_string(v);
        name_len = (size_t)json_object_get_string_len(v);
        if (json_object_object_get_ex(m, "parameters", &v) && !json_object_is_type(v, json_type_null)) {
                if (!json_is_object(v))
                        return -EBADMSG;
                parameters = json_object_get(v);
        }
        if (json_object_object_get_ex(m, "more", &v) && !json_object_is_type(v, json_type_null)) {
                if (!json_object_is_type(v, json_type_boolean)) {
                        json_object_put(parameters);
                        return -EBADMSG;
                }
                more = json_object_get_boolean(v);
        }
        if (json_object_object_get_ex(m, "oneway", &v) && !json_object_is_type(v, json_type_null)) {
                if (!json_object_is_type(v, json_type_boolean)) {
                        json_object_put(parameters);
                        return -EBADMSG;
                }
                oneway = json_object_get_boolean(v);
        }
        if (json_object_object_get_ex(m, "upgrade", &v) && json_object_get_boolean(v)) {
                json_object_put(parameters);
                return -EPROTONOSUPPORT;
        }
        if (more && oneway) {
                json_object_put(parameters);
                return -EBADMSG;
        }
        if (!parameters) {
                parameters = json_object_new_object();
                if (!parameters)
                        return -ENOMEM;
        }

        call = calloc(1, sizeof(*call));
        if (!call) {
                json_object_put(parameters);
                return -ENOMEM;
        }
        call->n_ref = 1; /* the connection's (c->current) */
        call->connection = connection_ref(c);
        call->parameters = parameters;
        call->more = more;
        call->oneway = oneway;
        call->method = strdup(name);
        call->message = m;
        m = NULL;
        if (!call->method) {
                varlink_call_unref(call);
                return -ENOMEM;
        }
        c->current = call;
        varlink_call_ref(call); /* ours, for the duration of the dispatch */

        /* A name with an embedded NUL ("\u0000" in JSON) names nothing: matching it as a C
         * string would take "io.infradhcp.Client.Release\u0000x" for Release. */
        dot = strrchr(name, '.');
        if (strlen(name) != name_len || !dot || dot == name || !dot[1]) {
                r = varlink_call_error(
                        call, VARLINK_ERROR_METHOD_NOT_FOUND,
                        json_build_object("method", json_object_new_string_len(name, (int) name_len), NULL));
                goto done;
        }
        iface = c->server ? server_find_interface(c->server, name, (size_t)(dot - name)) : NULL;
        if (!iface) {
                r = varlink_call_error(call, VARLINK_ERROR_INTERFACE_NOT_FOUND,
                                       json_build_object("interface", json_object_new_string_len(
                                                                              name, (int)(dot - name)), NULL));
                goto done;
        }
        for (const VarlinkMethod *mt = iface->methods; mt && mt->name; mt++)
                if (strcmp(mt->name, dot + 1) == 0) {
                        method = mt;
                        break;
                }
        if (!method) {
                r = varlink_call_error(call, VARLINK_ERROR_METHOD_NOT_FOUND,
                                       json_build_object("method", json_object_new_string(name), NULL));
                goto done;
        }
        if (!method->handler) {
                r = varlink_call_error(call, VARLINK_ERROR_METHOD_NOT_IMPLEMENTED,
                                       json_build_object("method", json_object_new_string(name), NULL));
                goto done;
        }
        if (method->privileged && c->uid != 0) {
                log_info("varlink: %s refused for uid %d (root only)", name, (int)c->uid);
                r = varlink_call_error(call, VARLINK_ERROR_PERMISSION_DENIED, NULL);
                goto done;
        }

        r = method->handler(call, call->parameters, iface->userdata);
        if (call->oneway)
                call_finish(call);
        else if (!call->finished) {
                if (r < 0)
                        (void)varlink_call_error_errno(call, r);
                else if (call->n_ref <= 2 && connection_alive(c)) {
                        /* Nobody can answer this call any more. A handler whose reply
                         * failed because the peer is gone (a Monitor whose client closed
                         * before its first reply) rightly keeps nothing: not a bug. */
                        log_error("varlink: handler of %s neither replied nor kept the call", name);
                        (void)varlink_call_error_errno(call, -EPROTO);
                }
        }
        r = 0;
done:
        varlink_call_unref(call);
        return r == -ENOMEM ? r : 0;
}

/* Runs buffered calls while no call is in progress. Returns < 0 when the client must
 * be dropped for a protocol violation. */
static int connection_process(VarlinkConnection *c) {
        int r;

        connection_ref(c);
        while (connection_alive(c) && !c->current) {
                char *nul = memchr(c->in, 0, c->in_size);
                json_object *m;
                size_t len;

                if (!nul) {
                        if (c->in_size >= sizeof(c->in)) {
                                log_warning("varlink: message from client (uid %d) exceeds %u bytes; "
                                            "disconnecting it",
                                            (int)c->uid, VARLINK_MESSAGE_MAX);
                                r = -EMSGSIZE;
                                goto finish;
                        }
                        break;
                }
                len = (size_t)(nul - c->in);
                m = json_parse_exact(c->in, len);
                memmove(c->in, nul + 1, c->in_size - len - 1);
                c->in_size -= len + 1;
                if (!m) {
                        log_info("varlink: invalid JSON from client (uid %d); disconnecting it", (int)c->uid);
                        r = -EBADMSG;
                        goto finish;
                }
                r = connection_dispatch(c, m);
                if (r < 0) {
                        log_info_errno(r, "varlink: invalid call from client (uid %d): %m; disconnecting it",
                                       (int)c->uid);
                        goto finish;
                }
        }
        /* Peer finished sending and everything it asked for is answered and written. */
        if (connection_alive(c) && c->read_eof && !c->current && c->out_size == 0 &&
            !memchr(c->in, 0, c->in_size))
                c->dead = true;
        r = 0;
finish:
        if (r < 0 || c->dead)
                connection_close(c);
        else
                connection_update_events(c);
        connection_unref(c);
        return r;
}

static int connection_on_defer(sd_event_source *s, void *userdata) {
        VarlinkConnection *c = userdata;

        (void)connection_process(c);
        return 0;
}

static int connection_read(VarlinkConnection *c) {
        ssize_t n;

        if (c->read_eof || c->in_size >= sizeof(c->in))
                return 0;
        n = recv(c->fd, c->in + c->in_size, sizeof(c->in) - c->in_size, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                return -errno;
        }
        if (n == 0)
                c->read_eof = true;
        c->in_size += (size_t)n;
        return 0;
}

static int connection_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VarlinkConnection *c = userdata;
        int r;

        connection_ref(c);
        if (revents & EPOLLOUT) {
                r = connection_flush(c);
                if (r < 0) {
                        connection_close(c);
                        goto finish;
                }
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                r = connection_read(c);
                if (r < 0) {
                        connection_close(c);
                        goto finish;
                }
        }
        (void)connection_process(c);
        /* Fully gone (not just half-closed): nothing we send can be read. */
        if (!c->closed && (revents & (EPOLLHUP | EPOLLERR)))
                connection_close(c);
finish:
        connection_unref(c);
        return 0;
}

int varlink_server_add_connection(VarlinkServer *s, int fd) {
        VarlinkConnection *c;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int r;

        if (s->n_connections >= VARLINK_CONNECTIONS_MAX) {
                log_warning("varlink: %u clients connected; refusing another", VARLINK_CONNECTIONS_MAX);
                safe_close(fd);
                return -EMFILE;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->n_ref = 1;
        c->fd = fd;
        c->uid = (uid_t)-1;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) >= 0 && len == sizeof(cred))
                c->uid = cred.uid;
        c->server = s;
        c->next = s->connections;
        if (c->next)
                c->next->prev = c;
        s->connections = c;
        s->n_connections++;

        r = sd_event_add_io(s->event, &c->io_source, fd, EPOLLIN, connection_on_io, c);
        if (r >= 0)
                r = sd_event_add_defer(s->event, &c->defer_source, connection_on_defer, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->defer_source, SD_EVENT_OFF);
        if (r < 0) {
                connection_close(c);
                return r;
        }
        (void)sd_event_source_set_description(c->io_source, "varlink-connection");
        return 0;
}

static int server_on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        VarlinkServer *s = userdata;
        int cfd;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                        log_warning_errno(-errno, "varlink: accept failed: %m; continuing");
                return 0;
        }
        (void)varlink_server_add_connection(s, cfd);
        return 0;
}

/* ------------------------------------------------------------------------- */
/* org.varlink.service */

static int service_get_info(VarlinkCall *call, json_object *parameters, void *userdata) {
        VarlinkServer *s = userdata;
        json_object *p, *list = json_object_new_array();

        for (size_t i = 0; list && i < s->n_interfaces; i++)
                if (json_append(list, json_object_new_string(s->interfaces[i].name)) < 0) {
                        json_object_put(list);
                        list = NULL; /* json_build_object() below fails */
                }
        p = json_build_object("vendor", json_object_new_string(s->vendor),
                              "product", json_object_new_string(s->product),
                              "version", json_object_new_string(s->version),
                              "url", json_object_new_string(s->url),
                              "interfaces", list, NULL);
        if (!p)
                return -ENOMEM;
        return varlink_call_reply(call, p);
}

static int service_get_interface_description(VarlinkCall *call, json_object *parameters, void *userdata) {
        VarlinkServer *s = userdata;
        const VarlinkInterface *iface;
        json_object *v;
        const char *name;
        int len;

        if (!json_object_object_get_ex(parameters, "interface", &v) || !json_object_is_type(v, json_type_string))
                return varlink_call_error_invalid_parameter(call, "interface");
        /* The JSON length, not strlen(): a name with an embedded NUL matches nothing. */
        name = json_object_get_string(v);
        len = json_object_get_string_len(v);
        iface = server_find_interface(s, name, (size_t)len);
        if (!iface)
                return varlink_call_error(call, VARLINK_ERROR_INTERFACE_NOT_FOUND,
                                          json_build_object("interface", json_object_new_string_len(name, len), NULL));
        return varlink_call_reply(call, json_build_object("description", json_object_new_string(iface->idl), NULL));
}

static const VarlinkMethod service_methods[] = {
        { "GetInfo", service_get_info, false },
        { "GetInterfaceDescription", service_get_interface_description, false },
        {}
};

/* ------------------------------------------------------------------------- */
/* Server */

int varlink_server_new(VarlinkServer **ret, sd_event *event, const char *vendor, const char *product,
                       const char *version, const char *url) {
        _cleanup_(varlink_server_freep) VarlinkServer *s = NULL;
        int r;

        if (!ret || !event || !vendor || !product || !version)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->listen_fd = -1;
        s->event = sd_event_ref(event);
        s->vendor = strdup(vendor);
        s->product = strdup(product);
        s->version = strdup(version);
        s->url = strdup(url ?: "");
        if (!s->vendor || !s->product || !s->version || !s->url)
                return -ENOMEM;
        r = varlink_server_add_interface(s, "org.varlink.service", org_varlink_service_idl, service_methods, s);
        if (r < 0)
                return r;
        *ret = s;
        s = NULL;
        return 0;
}

VarlinkServer *varlink_server_free(VarlinkServer *s) {
        if (!s)
                return NULL;
        while (s->connections)
                connection_close(s->connections);
        s->listen_source = sd_event_source_disable_unref(s->listen_source);
        s->listen_fd = safe_close(s->listen_fd);
        if (s->path)
                (void)unlink(s->path);
        for (size_t i = 0; i < s->n_interfaces; i++)
                free(s->interfaces[i].name);
        free(s->interfaces);
        free(s->path);
        free(s->vendor);
        free(s->product);
        free(s->version);
        free(s->url);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

/* Interface names: reverse-domain, dot-separated words of [A-Za-z0-9-], at least two. */
static bool interface_name_valid(const char *name) {
        bool dot = false;
        size_t n = strlen(name);

        if (n == 0 || n > 255 || name[0] == '.' || name[n - 1] == '.')
                return false;
        for (const char *p = name; *p; p++) {
                if (*p == '.') {
                        if (p[1] == '.')
                                return false;
                        dot = true;
                } else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                             *p == '-'))
                        return false;
        }
        return dot;
}

int varlink_server_add_interface(VarlinkServer *s, const char *name, const char *idl,
                                 const VarlinkMethod *methods, void *userdata) {
        VarlinkInterface *n;

        if (!name || !idl || !interface_name_valid(name))
                return -EINVAL;
        if (server_find_interface(s, name, strlen(name)))
                return -EEXIST;
        n = realloc(s->interfaces, (s->n_interfaces + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->interfaces = n;
        n = &s->interfaces[s->n_interfaces];
        *n = (VarlinkInterface){ .name = strdup(name), .idl = idl, .methods = methods, .userdata = userdata };
        if (!n->name)
                return -ENOMEM;
        s->n_interfaces++;
        return 0;
}

static int sockaddr_un_set(struct sockaddr_un *sa, const char *path) {
        size_t len = strlen(path);

        if (len == 0)
                return -EINVAL;
        if (len >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
        memcpy(sa->sun_path, path, len + 1);
        return 0;
}

/* A socket file nobody accepts on is left over from a crashed daemon: remove it.
 * One that answers belongs to a running daemon: -EADDRINUSE. */
static int unlink_stale_socket(const struct sockaddr_un *sa) {
        struct stat st;
        int fd, r;

        if (lstat(sa->sun_path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
        safe_close(fd);
        if (r >= 0 || errno == EAGAIN)
                return -EADDRINUSE;
        if (unlink(sa->sun_path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int varlink_socket_in_use(const char *path) {
        struct sockaddr_un sa;
        struct stat st;
        int fd, r;

        r = sockaddr_un_set(&sa, path);
        if (r < 0)
                return r;
        if (lstat(sa.sun_path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return 0; /* not ours to judge here: listening will say what is wrong */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        r = connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
        safe_close(fd);
        return r >= 0 || errno == EAGAIN;
}

int varlink_server_listen(VarlinkServer *s, const char *path) {
        _cleanup_(closep) int fd = -1;
        struct sockaddr_un sa;
        int r;

        if (s->listen_fd >= 0)
                return -EBUSY;
        r = sockaddr_un_set(&sa, path);
        if (r < 0)
                return r;
        r = mkdir_parents(path, 0755);
        if (r < 0)
                return r;
        r = unlink_stale_socket(&sa);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        s->path = strdup(path);
        if (!s->path) {
                (void)unlink(path);
                return -ENOMEM;
        }
        /* Readers need write permission on a unix socket to connect; privileged methods
         * are checked per call against SO_PEERCRED. */
        if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        r = sd_event_add_io(s->event, &s->listen_source, fd, EPOLLIN, server_on_accept, s);
        if (r < 0)
                return r;
        (void)sd_event_source_set_description(s->listen_source, "varlink-listen");
        s->listen_fd = fd;
        fd = -1;
        return 0;
}

size_t varlink_server_n_connections(const VarlinkServer *s) {
        return s->n_connections;
}

/* ------------------------------------------------------------------------- */
/* Client */

struct VarlinkClient {
        int fd;
        char *in;
        size_t in_size, in_alloc;
};

static int wait_fd(int fd, short events, uint64_t deadline) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int timeout = -1, r;

                if (deadline != USEC_INFINITY) {
                        uint64_t now = clock_now(CLOCK_MONOTONIC);
                        if (now >= deadline)
                                return -ETIMEDOUT;
                        timeout = (int)MIN((deadline - now + 999) / 1000, (uint64_t)INT32_MAX);
                }
                r = poll(&p, 1, timeout);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r > 0)
                        return 0;
        }
}

static uint64_t deadline_from(uint64_t timeout_usec) {
        return timeout_usec == USEC_INFINITY ? USEC_INFINITY : usec_add(clock_now(CLOCK_MONOTONIC), timeout_usec);
}

int varlink_client_connect(VarlinkClient **ret, const char *path, uint64_t timeout_usec) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        uint64_t deadline = deadline_from(timeout_usec);
        struct sockaddr_un sa;
        int r;

        if (!ret || !path)
                return -EINVAL;
        r = sockaddr_un_set(&sa, path);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->fd < 0)
                return -errno;
        /* A full backlog answers EAGAIN on unix sockets: retry until the deadline. */
        while (connect(c->fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return -errno;
                r = wait_fd(c->fd, POLLOUT, MIN(deadline, usec_add(clock_now(CLOCK_MONOTONIC), 10 * USEC_PER_MSEC)));
                if (r < 0 && r != -ETIMEDOUT)
                        return r;
                if (clock_now(CLOCK_MONOTONIC) >= deadline)
                        return -ETIMEDOUT;
        }
        *ret = c;
        c = NULL;
        return 0;
}

VarlinkClient *varlink_client_free(VarlinkClient *c) {
        if (!c)
                return NULL;
        safe_close(c->fd);
        free(c->in);
        free(c);
        return NULL;
}

int varlink_client_get_fd(const VarlinkClient *c) {
        return c->fd;
}

/* A call {"method", "parameters" (borrowed), "more", "oneway"} for both clients; NULL
 * on allocation failure. */
static json_object *call_message_new(const char *method, json_object *parameters, unsigned flags) {
        json_object *m = json_build_object("method", json_object_new_string(method), NULL);

        if ((parameters && json_add(m, "parameters", json_object_get(parameters)) < 0) ||
            ((flags & VARLINK_CALL_MORE) && json_add(m, "more", json_object_new_boolean(1)) < 0) ||
            ((flags & VARLINK_CALL_ONEWAY) && json_add(m, "oneway", json_object_new_boolean(1)) < 0)) {
                json_object_put(m);
                return NULL;
        }
        return m;
}

int varlink_client_send(VarlinkClient *c, const char *method, json_object *parameters, unsigned flags,
                        uint64_t timeout_usec) {
        _cleanup_(json_object_unrefp) json_object *m = call_message_new(method, parameters, flags);
        uint64_t deadline = deadline_from(timeout_usec);
        const char *text;
        size_t len, done = 0;
        int r;

        if (!m)
                return -ENOMEM;
        text = json_object_to_json_string_length(m, JSON_FORMAT, &len);
        if (!text)
                return -ENOMEM;
        len++; /* the NUL terminator */
        while (done < len) {
                ssize_t n = send(c->fd, text + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        r = wait_fd(c->fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                done += (size_t)n;
        }
        return 0;
}

void varlink_reply_done(VarlinkReply *r) {
        if (!r)
                return;
        json_object_put(r->parameters);
        json_object_put(r->message);
        *r = (VarlinkReply){};
}

/* Takes one complete message out of the buffer. 1: got one, 0: none buffered. */
static int client_take_message(VarlinkClient *c, VarlinkReply *ret) {
        json_object *m, *v, *params = NULL;
        char *nul = c->in ? memchr(c->in, 0, c->in_size) : NULL;
        const char *error = NULL;
        bool continues = false;
        size_t len;

        if (!nul)
                return 0;
        len = (size_t)(nul - c->in);
        m = json_parse_exact(c->in, len);
        memmove(c->in, nul + 1, c->in_size - len - 1);
        c->in_size -= len + 1;
        if (!m)
                return -EBADMSG;
        if (!json_is_object(m))
                goto bad;
        if (json_object_object_get_ex(m, "error", &v)) {
                if (!json_object_is_type(v, json_type_string))
                        goto bad;
                error = json_object_get_string(v);
        }
        if (json_object_object_get_ex(m, "parameters", &v) && !json_object_is_type(v, json_type_null)) {
                if (!json_is_object(v))
                        goto bad;
                params = json_object_get(v);
        }
        if (json_object_object_get_ex(m, "continues", &v)) {
                if (!json_object_is_type(v, json_type_boolean))
                        goto bad;
                continues = json_object_get_boolean(v);
        }
        if (!params) {
                params = json_object_new_object();
                if (!params) {
                        json_object_put(m);
                        return -ENOMEM;
                }
        }
        *ret = (VarlinkReply){ .parameters = params, .error = error, .continues = continues && !error, .message = m };
        return 1;
bad:
        json_object_put(params);
        json_object_put(m);
        return -EBADMSG;
}

int varlink_client_recv(VarlinkClient *c, uint64_t timeout_usec, VarlinkReply *ret) {
        uint64_t deadline = deadline_from(timeout_usec);
        int r;

        for (;;) {
                ssize_t n;

                r = client_take_message(c, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (c->in_size >= VARLINK_CLIENT_MESSAGE_MAX)
                        return -EMSGSIZE;
                if (c->in_alloc - c->in_size < 4096) {
                        size_t na = MAX(c->in_alloc * 2, (size_t)65536);
                        char *p = realloc(c->in, na);
                        if (!p)
                                return -ENOMEM;
                        c->in = p;
                        c->in_alloc = na;
                }
                n = recv(c->fd, c->in + c->in_size, c->in_alloc - c->in_size, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        if (timeout_usec == 0)
                                return -EAGAIN;
                        r = wait_fd(c->fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (n == 0)
                        return -ECONNRESET;
                c->in_size += (size_t)n;
        }
}

int varlink_client_call(VarlinkClient *c, const char *method, json_object *parameters, unsigned flags,
                        uint64_t timeout_usec, VarlinkReplyHandler handler, void *userdata) {
        int r;

        r = varlink_client_send(c, method, parameters, flags, timeout_usec);
        if (r < 0 || (flags & VARLINK_CALL_ONEWAY))
                return r;
        for (;;) {
                VarlinkReply reply;
                bool last;

                r = varlink_client_recv(c, timeout_usec, &reply);
                if (r < 0)
                        return r;
                last = !reply.continues;
                r = handler ? handler(c, &reply, userdata) : 0;
                varlink_reply_done(&reply);
                if (r < 0)
                        return r;
                if (last)
                        return 0;
        }
}

/* ------------------------------------------------------------------------- */
/* Asynchronous client (sd-event) */

struct VarlinkAsync {
        unsigned n_ref;
        sd_event *event;
        int fd;
        struct sockaddr_un sa;
        sd_event_source *io_source;
        sd_event_source *timer;
        uint64_t timeout_usec;
        VarlinkAsyncHandler handler;
        void *userdata;
        char *out;
        size_t out_size, out_done;
        VarlinkClient reader; /* reuses the blocking client's input buffer and framing */
        bool connected, oneway, running;
};

static VarlinkAsync *async_ref(VarlinkAsync *a) {
        a->n_ref++;
        return a;
}

static void async_close(VarlinkAsync *a) {
        a->io_source = sd_event_source_disable_unref(a->io_source);
        a->timer = sd_event_source_disable_unref(a->timer);
        a->fd = safe_close(a->fd);
        a->reader.fd = -1;
        a->running = false;
}

static VarlinkAsync *async_unref(VarlinkAsync *a) {
        if (!a || --a->n_ref > 0)
                return NULL;
        async_close(a);
        free(a->out);
        free(a->reader.in);
        sd_event_unref(a->event);
        free(a);
        return NULL;
}

VarlinkAsync *varlink_async_free(VarlinkAsync *a) {
        if (!a)
                return NULL;
        a->handler = NULL; /* cancelled: never called again */
        async_close(a);
        return async_unref(a);
}

bool varlink_async_is_running(const VarlinkAsync *a) {
        return a && a->running;
}

/* Delivers the final error; the handler may free a. */
static void async_fail(VarlinkAsync *a, int error) {
        VarlinkAsyncHandler h = a->handler;

        async_close(a);
        a->handler = NULL;
        if (h)
                h(a, error, NULL, a->userdata);
}

static int async_arm_timer(VarlinkAsync *a) {
        uint64_t now;
        int r;

        if (a->timeout_usec == USEC_INFINITY)
                return 0;
        r = sd_event_now(a->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        if (a->timer)
                return sd_event_source_set_time(a->timer, usec_add(now, a->timeout_usec)) < 0
                               ? -EIO
                               : sd_event_source_set_enabled(a->timer, SD_EVENT_ONESHOT);
        return 0;
}

static void async_update_events(VarlinkAsync *a) {
        uint32_t events = 0;

        if (!a->io_source)
                return;
        if (!a->connected || a->out_done < a->out_size)
                events |= EPOLLOUT;
        else if (!a->oneway)
                events |= EPOLLIN;
        (void)sd_event_source_set_io_events(a->io_source, events);
}

static int async_try_connect(VarlinkAsync *a) {
        if (connect(a->fd, (const struct sockaddr *)&a->sa, sizeof(a->sa)) < 0) {
                /* Unix stream sockets connect at once or fail; EAGAIN means the listen
                 * backlog is full and is returned to the caller (polling for it would
                 * spin: an unconnected socket is always writable). */
                if (errno == EINTR || errno == EINPROGRESS)
                        return 0;
                if (errno == EISCONN)
                        return 1;
                return -errno;
        }
        return 1;
}

static int async_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        VarlinkAsync *a = userdata;

        async_ref(a);
        async_fail(a, -ETIMEDOUT);
        async_unref(a);
        return 0;
}

/* Reads what is there and delivers every complete reply. */
static void async_read(VarlinkAsync *a) {
        for (;;) {
                VarlinkReply reply;
                VarlinkAsyncHandler h;
                bool last;
                int r;

                r = varlink_client_recv(&a->reader, 0, &reply);
                if (r == -EAGAIN)
                        return;
                if (r < 0)
                        return async_fail(a, r);
                last = !reply.continues;
                h = a->handler;
                if (last) {
                        async_close(a);
                        a->handler = NULL;
                } else
                        (void)async_arm_timer(a); /* the timeout applies to each reply */
                if (h)
                        h(a, 0, &reply, a->userdata);
                varlink_reply_done(&reply);
                if (last || !a->handler || a->fd < 0)
                        return;
        }
}

static int async_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VarlinkAsync *a = userdata;
        int r;

        async_ref(a);
        if (!a->connected) {
                r = async_try_connect(a);
                if (r < 0) {
                        async_fail(a, r);
                        goto finish;
                }
                if (r == 0)
                        goto finish;
                a->connected = true;
        }
        while (a->out_done < a->out_size) {
                ssize_t n = send(a->fd, a->out + a->out_done, a->out_size - a->out_done, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        async_fail(a, -errno);
                        goto finish;
                }
                a->out_done += (size_t)n;
        }
        if (a->out_done == a->out_size && a->oneway) {
                VarlinkAsyncHandler h = a->handler;
                async_close(a);
                a->handler = NULL;
                if (h)
                        h(a, 0, NULL, a->userdata);
                goto finish;
        }
        if (a->out_done == a->out_size && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                async_read(a);
        else if (revents & EPOLLERR) {
                int err = 0;
                socklen_t l = sizeof(err);
                (void)getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                async_fail(a, err > 0 ? -err : -ECONNRESET);
                goto finish;
        }
        async_update_events(a);
finish:
        async_unref(a);
        return 0;
}

int varlink_async_call(VarlinkAsync **ret, sd_event *event, const char *path, const char *method,
                       json_object *parameters, unsigned flags, uint64_t timeout_usec, VarlinkAsyncHandler handler,
                       void *userdata) {
        _cleanup_(json_object_unrefp) json_object *m = NULL;
        VarlinkAsync *a;
        const char *text;
        size_t len;
        uint64_t now;
        int r;

        if (!ret || !event || !path || !method || !handler || timeout_usec == 0)
                return -EINVAL;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->n_ref = 1;
        a->fd = -1;
        a->reader.fd = -1;
        a->event = sd_event_ref(event);
        a->timeout_usec = timeout_usec;
        a->handler = handler;
        a->userdata = userdata;
        a->oneway = flags & VARLINK_CALL_ONEWAY;
        a->running = true;

        r = sockaddr_un_set(&a->sa, path);
        if (r < 0)
                goto fail;
        m = call_message_new(method, parameters, flags);
        if (!m) {
                r = -ENOMEM;
                goto fail;
        }
        text = json_object_to_json_string_length(m, JSON_FORMAT, &len);
        if (!text || !(a->out = malloc(len + 1))) {
                r = -ENOMEM;
                goto fail;
        }
        memcpy(a->out, text, len + 1); /* with its NUL terminator */
        a->out_size = len + 1;

        a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (a->fd < 0) {
                r = -errno;
                goto fail;
        }
        a->reader.fd = a->fd;
        r = async_try_connect(a);
        if (r < 0)
                goto fail;
        a->connected = r > 0;

        r = sd_event_add_io(event, &a->io_source, a->fd, EPOLLOUT, async_on_io, a);
        if (r < 0)
                goto fail;
        (void)sd_event_source_set_description(a->io_source, "varlink-async");
        if (timeout_usec != USEC_INFINITY) {
                r = sd_event_now(event, CLOCK_MONOTONIC, &now);
                if (r >= 0)
                        r = sd_event_add_time(event, &a->timer, CLOCK_MONOTONIC, usec_add(now, timeout_usec), 0,
                                              async_on_timer, a);
                if (r < 0)
                        goto fail;
                (void)sd_event_source_set_description(a->timer, "varlink-async-timeout");
        }
        async_update_events(a);
        *ret = a;
        return 0;
fail:
        a->handler = NULL;
        async_unref(a);
        return r;
}
