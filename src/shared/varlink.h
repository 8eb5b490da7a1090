/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal varlink (https://varlink.org) implementation on sd-event + json-c:
 * a server that listens on a unix stream socket and dispatches calls to method
 * tables, and a small blocking client for the command line tool.
 *
 * Wire format: every message is one JSON object terminated by a NUL byte.
 *   call:  {"method": "iface.Method", "parameters": {...}, "oneway": bool, "more": bool}
 *   reply: {"parameters": {...}}  or with "continues": true while a `more` call streams
 *   error: {"error": "iface.ErrorName", "parameters": {...}}
 * Calls on one connection are answered in order: the next buffered call is dispatched
 * once the current one has sent its final reply (or was oneway).
 *
 * The server answers org.varlink.service (GetInfo, GetInterfaceDescription) itself.
 * A client that sends invalid JSON, a message that is not a call, or a message larger
 * than VARLINK_MESSAGE_MAX, or that does not read its replies (output above
 * VARLINK_OUTPUT_MAX), is disconnected; other clients are unaffected.
 * Methods marked privileged are refused with org.varlink.service.PermissionDenied
 * unless the peer (SO_PEERCRED) is uid 0.
 *
 * Not here: the IDL is served as text and not parsed or used to validate
 * parameters (handlers validate their own), no protocol upgrade, no fd passing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define VARLINK_MESSAGE_MAX (64U * 1024U)   /* one incoming message, without its NUL */
#define VARLINK_OUTPUT_MAX (1024U * 1024U)  /* unsent replies queued for one client */

/* Errors of org.varlink.service. */
#define VARLINK_ERROR_INTERFACE_NOT_FOUND "org.varlink.service.InterfaceNotFound"
#define VARLINK_ERROR_METHOD_NOT_FOUND "org.varlink.service.MethodNotFound"
#define VARLINK_ERROR_METHOD_NOT_IMPLEMENTED "org.varlink.service.MethodNotImplemented"
#define VARLINK_ERROR_INVALID_PARAMETER "org.varlink.service.InvalidParameter"
#define VARLINK_ERROR_PERMISSION_DENIED "org.varlink.service.PermissionDenied"
#define VARLINK_ERROR_EXPECTED_MORE "org.varlink.service.ExpectedMore"
/* Sent when a handler fails with -errno before replying; parameters {errno, message}. */
#define VARLINK_ERROR_INTERNAL "io.infradhcp.InternalError"

typedef struct VarlinkServer VarlinkServer;
typedef struct VarlinkCall VarlinkCall;
typedef struct VarlinkClient VarlinkClient;

/* A method handler. `parameters` is borrowed (an empty object when the call had none).
 * It replies now (varlink_call_reply/_more/_error), or takes a reference
 * (varlink_call_ref) and replies later. Returning -errno without having replied sends
 * VARLINK_ERROR_INTERNAL. Returning >= 0 without replying and without keeping a
 * reference is a handler bug and is answered the same way (-EPROTO). */
typedef int (*VarlinkMethodHandler)(VarlinkCall *call, json_object *parameters, void *userdata);
/* Called once when the peer of a call still referenced by a handler goes away. The
 * call stays valid until unreferenced; replies on it return -ENOTCONN. */
typedef void (*VarlinkDisconnectHandler)(VarlinkCall *call, void *userdata);

typedef struct VarlinkMethod {
        const char *name;      /* without the interface: "GetStatus" */
        VarlinkMethodHandler handler;
        bool privileged;       /* changes state: only uid 0 may call it */
} VarlinkMethod;                /* tables end with an entry whose name is NULL */

/* Server. `url` may be NULL (served as ""). Strings are copied. */
int varlink_server_new(VarlinkServer **ret, sd_event *event, const char *vendor, const char *product,
                       const char *version, const char *url);
/* Closes all connections (handlers holding calls get their disconnect callback). */
VarlinkServer *varlink_server_free(VarlinkServer *s);
DEFINE_FREEP(VarlinkServer, varlink_server_free)

/* Registers interface `name` with its IDL text (served by GetInterfaceDescription) and
 * a method table (both borrowed, not copied: they must outlive the server; they are
 * static tables). -EEXIST if already registered,
 * -EINVAL for an invalid name. */
int varlink_server_add_interface(VarlinkServer *s, const char *name, const char *idl,
                                 const VarlinkMethod *methods, void *userdata);
/* Binds and listens on `path`: creates missing parent directories (0755), removes a
 * stale socket, and makes the socket 0666 (anyone may read status; privileged
 * methods check the caller). -ENAMETOOLONG if the path does not fit sun_path. */
int varlink_server_listen(VarlinkServer *s, const char *path);
/* Whether a server accepts on the socket at path: 1, or 0 (no such file, a stale
 * socket nobody accepts on, or no socket at all), or -errno. Nothing is removed or
 * created; varlink_server_listen() decides about a stale socket. */
int varlink_socket_in_use(const char *path);
/* Takes an already connected socket as a client connection (tests, socket activation
 * of an accepted fd). The fd is owned by the server afterwards, even on failure. */
int varlink_server_add_connection(VarlinkServer *s, int fd);
size_t varlink_server_n_connections(const VarlinkServer *s);

/* Calls. Each reply function consumes `parameters` (may be NULL: {}), even on failure. */
VarlinkCall *varlink_call_ref(VarlinkCall *c);
VarlinkCall *varlink_call_unref(VarlinkCall *c);
DEFINE_FREEP(VarlinkCall, varlink_call_unref)
/* Final reply. On a oneway call nothing is sent (returns 0). -EALREADY if the call
 * already got its final reply, -ENOTCONN if the peer is gone. */
int varlink_call_reply(VarlinkCall *c, json_object *parameters);
/* Intermediate reply with "continues": true; -EINVAL unless the call asked for more. */
int varlink_call_reply_more(VarlinkCall *c, json_object *parameters);
/* Final error reply; `error` is a fully qualified error name. */
int varlink_call_error(VarlinkCall *c, const char *error, json_object *parameters);
int varlink_call_error_invalid_parameter(VarlinkCall *c, const char *parameter);
int varlink_call_error_errno(VarlinkCall *c, int error); /* VARLINK_ERROR_INTERNAL */
bool varlink_call_wants_more(const VarlinkCall *c);
bool varlink_call_is_oneway(const VarlinkCall *c);
bool varlink_call_is_connected(const VarlinkCall *c);
bool varlink_call_is_finished(const VarlinkCall *c);
const char *varlink_call_get_method(const VarlinkCall *c); /* fully qualified */
uid_t varlink_call_get_peer_uid(const VarlinkCall *c);     /* (uid_t)-1 if unknown */
void varlink_call_set_disconnect_handler(VarlinkCall *c, VarlinkDisconnectHandler h, void *userdata);

/* Client: blocking, for infradhcpctl and tests. Timeouts in usec, USEC_INFINITY waits
 * forever. */
enum {
        VARLINK_CALL_MORE = 1 << 0,
        VARLINK_CALL_ONEWAY = 1 << 1,
};

typedef struct VarlinkReply {
        json_object *parameters; /* owned by the reply; {} when absent */
        const char *error;       /* NULL unless an error reply; points into `message` */
        bool continues;
        json_object *message;    /* the whole reply object */
} VarlinkReply;

void varlink_reply_done(VarlinkReply *r);

/* Called per reply; `reply` is borrowed. A negative return stops and is returned. */
typedef int (*VarlinkReplyHandler)(VarlinkClient *c, const VarlinkReply *reply, void *userdata);

/* -ENOENT: no socket there; -ECONNREFUSED: a stale socket (nobody listens). */
int varlink_client_connect(VarlinkClient **ret, const char *path, uint64_t timeout_usec);
VarlinkClient *varlink_client_free(VarlinkClient *c);
DEFINE_FREEP(VarlinkClient, varlink_client_free)
int varlink_client_get_fd(const VarlinkClient *c);
/* Sends one call; `parameters` borrowed, NULL sends none. */
int varlink_client_send(VarlinkClient *c, const char *method, json_object *parameters, unsigned flags,
                        uint64_t timeout_usec);
/* Receives one reply into *ret (free with varlink_reply_done). -ETIMEDOUT when the
 * timeout passes (timeout 0: -EAGAIN when no complete reply is available),
 * -ECONNRESET when the server closed the connection, -EBADMSG on an invalid reply. */
int varlink_client_recv(VarlinkClient *c, uint64_t timeout_usec, VarlinkReply *ret);
/* send + recv until the final reply (for a oneway call: returns after sending).
 * Returns 0 when the final reply arrived (error replies included: the handler sees
 * `error`), or a negative errno. `timeout_usec` applies to each reply. */
int varlink_client_call(VarlinkClient *c, const char *method, json_object *parameters, unsigned flags,
                        uint64_t timeout_usec, VarlinkReplyHandler handler, void *userdata);

/* Asynchronous client on sd-event, for daemons that must keep serving while a call
 * runs (the agent's ReleaseAndRenew takes seconds): one connection per call, connected
 * without blocking, NUL-framed JSON, a timeout per reply.
 *
 * The handler is called once per reply with error 0 (reply->error set for an error
 * reply, reply->continues while a "more" call streams), and finally either after the
 * last reply or once with a negative errno and reply NULL: -ETIMEDOUT, -ECONNRESET
 * (the server closed the connection), -EBADMSG (an invalid reply), or a socket error.
 * After the final call the object is inert; free it with varlink_async_free(), which
 * may be called from inside the handler, and cancels a call still running (its
 * handler is then never called). */
typedef struct VarlinkAsync VarlinkAsync;
typedef void (*VarlinkAsyncHandler)(VarlinkAsync *a, int error, const VarlinkReply *reply, void *userdata);

/* Connects to path and sends the call; `parameters` borrowed, NULL sends none.
 * Returns -ENOENT (no socket), -ECONNREFUSED (nobody listens), -EAGAIN (listen backlog
 * full) and other connect errors directly, without calling the handler.
 * VARLINK_CALL_ONEWAY: the handler is called with error 0
 * and reply NULL once the call is written. timeout_usec: USEC_INFINITY waits forever. */
int varlink_async_call(VarlinkAsync **ret, sd_event *event, const char *path, const char *method,
                       json_object *parameters, unsigned flags, uint64_t timeout_usec, VarlinkAsyncHandler handler,
                       void *userdata);
VarlinkAsync *varlink_async_free(VarlinkAsync *a);
DEFINE_FREEP(VarlinkAsync, varlink_async_free)
/* True until the final reply or error was delivered. */
bool varlink_async_is_running(const VarlinkAsync *a);
