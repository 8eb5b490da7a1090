/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /metrics over HTTP with libmicrohttpd (Debian's libmicrohttpd12): MHD_USE_EPOLL
 * without an internal thread gives one epoll fd to watch; each time it is readable, or
 * MHD's own timeout expires, MHD_run() does the work. Connection limit and timeout
 * keep a slow or hostile scraper from holding the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "agent-http.h"
#include "macro.h"
#include "log.h"
#include "parse-util.h"
#include "prom.h"
#include "time-util.h"

#define HTTP_CONNECTIONS_MAX 16U
#define HTTP_CONNECTION_TIMEOUT_SEC 10U

struct AgentHttp {
        sd_event *event;
        struct MHD_Daemon *mhd;
        sd_event_source *io, *timer;
        AgentHttpRender render;
        void *userdata;
        unsigned port;
};

int agent_http_parse_address(const char *address, void *ret_sockaddr, size_t *ret_len) {
        char host[64];
        const char *colon, *h = address;
        size_t hl;
        uint32_t port;

        if (!address)
                return -EINVAL;
        if (*address == '[') {
                const char *end = strchr(address, ']');
                if (!end || end[1] != ':')
                        return -EINVAL;
                h = address + 1;
                hl = (size_t)(end - h);
                colon = end + 1;
        } else {
                colon = strrchr(address, ':');
                if (!colon)
                        return -EINVAL;
                hl = (size_t)(colon - address);
        }
        if (hl == 0 || hl >= sizeof(host) || parse_u32(colon + 1, &port) < 0 || port > 65535)
                return -EINVAL;
        memcpy(host, h, hl);
        host[hl] = '\0';
        if (*address == '[') {
                struct sockaddr_in6 *sa = ret_sockaddr;
                *sa = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
                if (inet_pton(AF_INET6, host, &sa->sin6_addr) != 1)
                        return -EINVAL;
                *ret_len = sizeof(*sa);
        } else {
                struct sockaddr_in *sa = ret_sockaddr;
                *sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
                if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
                        return -EINVAL;
                *ret_len = sizeof(*sa);
        }
        return 0;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body, size_t len, bool owned,
                             const char *type) {
        struct MHD_Response *resp;
        enum MHD_Result r;

        resp = MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!resp) {
                if (owned)
                        free(body);
                return MHD_NO;
        }
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        r = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        static char not_found[] = "Not found: only /metrics is served here.\n";
        static char not_allowed[] = "Method not allowed: GET or HEAD /metrics.\n";
        static char failed[] = "Cannot render the metrics.\n";
        AgentHttp *h = cls;
        char *text = NULL;
        size_t len = 0;

        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, strlen(not_allowed), false,
                             "text/plain; charset=utf-8");
        if (strcmp(url, "/metrics") != 0)
                return reply(conn, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found), false, "text/plain; charset=utf-8");
        if (h->render(h->userdata, &text, &len) < 0)
                return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, failed, strlen(failed), false,
                             "text/plain; charset=utf-8");
        return reply(conn, MHD_HTTP_OK, text, len, true, PROM_CONTENT_TYPE);
}

static void http_rearm(AgentHttp *h) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now;

        if (MHD_get_timeout(h->mhd, &ms) != MHD_YES) {
                (void)sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
                return;
        }
        if (sd_event_now(h->event, CLOCK_MONOTONIC, &now) < 0)
                return;
        (void)sd_event_source_set_time(h->timer, now + (uint64_t)ms * USEC_PER_MSEC);
        (void)sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        AgentHttp *h = userdata;

        (void)MHD_run(h->mhd);
        http_rearm(h);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return on_io(NULL, -1, 0, userdata);
}

AgentHttp *agent_http_free(AgentHttp *h) {
        if (!h)
                return NULL;
        h->io = sd_event_source_disable_unref(h->io);
        h->timer = sd_event_source_disable_unref(h->timer);
        if (h->mhd)
                MHD_stop_daemon(h->mhd);
        sd_event_unref(h->event);
        free(h);
        return NULL;
}

int agent_http_start(AgentHttp **ret, sd_event *e, const char *address, AgentHttpRender render, void *userdata) {
        struct sockaddr_storage ss;
        size_t sl;
        const union MHD_DaemonInfo *info;
        AgentHttp *h;
        int r, fd;

        r = agent_http_parse_address(address, &ss, &sl);
        if (r < 0)
                return r;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->event = sd_event_ref(e);
        h->render = render;
        h->userdata = userdata;
        h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                                  0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                  MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
                                  HTTP_CONNECTION_TIMEOUT_SEC, MHD_OPTION_END);
        if (!h->mhd) {
                agent_http_free(h);
                return -EADDRNOTAVAIL;
        }
        info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || info->epoll_fd < 0) {
                agent_http_free(h);
                return -EIO;
        }
        r = sd_event_add_io(e, &h->io, info->epoll_fd, EPOLLIN, on_io, h);
        if (r >= 0)
                r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, 0, 0, on_timer, h);
        if (r < 0) {
                agent_http_free(h);
                return r;
        }
        (void)sd_event_source_set_description(h->io, "metrics-http");
        (void)sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
        info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_LISTEN_FD);
        fd = info ? info->listen_fd : -1;
        if (fd >= 0) {
                struct sockaddr_storage b;
                socklen_t bl = sizeof(b);
                if (getsockname(fd, (struct sockaddr *)&b, &bl) == 0)
                        h->port = ntohs(b.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&b)->sin6_port
                                                                : ((struct sockaddr_in *)&b)->sin_port);
        }
        http_rearm(h);
        *ret = h;
        return 0;
}

unsigned agent_http_port(AgentHttp *h) {
        return h->port;
}
