/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * curl-multi <-> sd-event glue, after the pattern of systemd's src/import/curl-util.c:
 * one sd-event io source per socket curl asks us to watch (stored with
 * curl_multi_assign), one time source for curl's timeout, and
 * curl_multi_socket_action() from both. See kube-curl.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "event-util.h"
#include "kube-curl.h"
#include "log.h"
#include "time-util.h"

struct KubeCurl {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        KubeCurlProgress on_progress;
        KubeCurlFinished on_finished;
        void *userdata;
};

static void curl_glue_process(KubeCurl *g) {
        CURLMsg *msg;
        int left;

        if (g->on_progress)
                g->on_progress(g, g->userdata);

        while ((msg = curl_multi_info_read(g->multi, &left))) {
                CURL *easy;
                CURLcode result;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                /* msg dies with the handle's removal: copy what we need first. */
                easy = msg->easy_handle;
                result = msg->data.result;
                if (g->on_finished)
                        g->on_finished(g, easy, result, g->userdata);
                else
                        curl_multi_remove_handle(g->multi, easy);
        }
}

static int curl_glue_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        KubeCurl *g = userdata;
        int action = 0, running;

        if (revents & EPOLLIN)
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;

        if (curl_multi_socket_action(g->multi, fd, action, &running) != CURLM_OK)
                log_debug("kube: curl_multi_socket_action() failed on fd %d", fd);

        curl_glue_process(g);
        return 0;
}

static int curl_glue_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        KubeCurl *g = userdata;
        int running;

        if (curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
                log_debug("kube: curl_multi_socket_action() failed on timeout");

        curl_glue_process(g);
        return 0;
}

/* CURLMOPT_SOCKETFUNCTION: keep one io source per socket in step with what curl wants. */
static int curl_glue_socket_callback(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp) {
        KubeCurl *g = userdata;
        sd_event_source *io = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        sd_event_source_disable_unref(io);
                        curl_multi_assign(g->multi, fd, NULL);
                }
                return 0;
        }

        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                events |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                events |= EPOLLOUT;

        if (io) {
                r = sd_event_source_set_io_events(io, events);
                if (r >= 0)
                        r = sd_event_source_set_enabled(io, SD_EVENT_ON);
                if (r < 0) {
                        log_error_errno(r, "kube: cannot update io source for fd %d: %m", fd);
                        return -1;
                }
                return 0;
        }

        r = sd_event_add_io(g->event, &io, fd, events, curl_glue_on_io, g);
        if (r < 0) {
                log_error_errno(r, "kube: cannot watch fd %d: %m", fd);
                return -1;
        }
        (void) sd_event_source_set_description(io, "kube-curl-io");

        if (curl_multi_assign(g->multi, fd, io) != CURLM_OK) {
                sd_event_source_disable_unref(io);
                return -1;
        }
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after timeout_ms (-1: never). */
static int curl_glue_timer_callback(CURLM *multi, long timeout_ms, void *userdata) {
        KubeCurl *g = userdata;
        int r;

        if (timeout_ms < 0)
                r = event_reset_time(g->event, &g->timer, CLOCK_BOOTTIME, USEC_INFINITY, 0, curl_glue_on_timer, g,
                                     "kube-curl-timer");
        else
                r = event_reset_time_relative(g->event, &g->timer, CLOCK_BOOTTIME,
                                              (uint64_t) timeout_ms * USEC_PER_MSEC, 0, curl_glue_on_timer, g,
                                              "kube-curl-timer");
        if (r < 0) {
                log_error_errno(r, "kube: cannot arm curl timer: %m");
                return -1;
        }
        return 0;
}

int kube_curl_new(KubeCurl **ret, sd_event *e, KubeCurlProgress on_progress, KubeCurlFinished on_finished,
                  void *userdata) {
        _cleanup_(kube_curl_freep) KubeCurl *g = NULL;

        if (!ret || !e)
                return -EINVAL;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->event = sd_event_ref(e);
        g->on_progress = on_progress;
        g->on_finished = on_finished;
        g->userdata = userdata;

        g->multi = curl_multi_init();
        if (!g->multi)
                return -ENOMEM;
        if (curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, curl_glue_socket_callback) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, curl_glue_timer_callback) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g) != CURLM_OK)
                return -EIO;

        *ret = g;
        g = NULL;
        return 0;
}

KubeCurl *kube_curl_free(KubeCurl *g) {
        if (!g)
                return NULL;
        /* Cleanup calls the socket callback with CURL_POLL_REMOVE for open sockets. */
        if (g->multi)
                curl_multi_cleanup(g->multi);
        sd_event_source_disable_unref(g->timer);
        sd_event_unref(g->event);
        free(g);
        return NULL;
}

int kube_curl_add(KubeCurl *g, CURL *easy) {
        CURLMcode mc;

        if (!g || !easy)
                return -EINVAL;
        mc = curl_multi_add_handle(g->multi, easy);
        if (mc == CURLM_OUT_OF_MEMORY)
                return -ENOMEM;
        if (mc != CURLM_OK)
                return -EIO;
        return 0;
}

int kube_curl_remove(KubeCurl *g, CURL *easy) {
        if (!g || !easy)
                return -EINVAL;
        if (curl_multi_remove_handle(g->multi, easy) != CURLM_OK)
                return -EIO;
        return 0;
}

static curl_socket_t curl_glue_open_socket(void *userdata, curlsocktype purpose, struct curl_sockaddr *a) {
        int fd;

        fd = socket(a->family, a->socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->protocol);
        return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/* CURLOPT_SOCKOPTFUNCTION: a connection that dies silently (packets dropped, no FIN
 * or RST) must be noticed in well under client-go's 45 s, and libcurl sends no HTTP/2
 * PING of its own. An idle watch has nothing in flight, so only keepalive probes can
 * find out: the first after KUBE_TCP_KEEPIDLE_SEC of silence, then every
 * KUBE_TCP_KEEPINTVL_SEC; TCP_USER_TIMEOUT (RFC 5482) bounds both that and data left
 * unacknowledged (a PATCH sent into the dead connection) to KUBE_TCP_USER_TIMEOUT_MSEC,
 * instead of the ~15 minutes of tcp_retries2. Linux aborts at the first probe timer
 * after the user timeout: about 30 s after the last packet from the peer. Runs after
 * libcurl's own CURLOPT_TCP_KEEPALIVE settings, so these values win. */
static int curl_glue_sockopt(void *userdata, curl_socket_t fd, curlsocktype purpose) {
        static const struct {
                int level, name, value;
                const char *what;
        } opts[] = {
                { SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE" },
                { IPPROTO_TCP, TCP_KEEPIDLE, KUBE_TCP_KEEPIDLE_SEC, "TCP_KEEPIDLE" },
                { IPPROTO_TCP, TCP_KEEPINTVL, KUBE_TCP_KEEPINTVL_SEC, "TCP_KEEPINTVL" },
                { IPPROTO_TCP, TCP_KEEPCNT, KUBE_TCP_KEEPCNT, "TCP_KEEPCNT" },
                { IPPROTO_TCP, TCP_USER_TIMEOUT, KUBE_TCP_USER_TIMEOUT_MSEC, "TCP_USER_TIMEOUT" },
        };

        if (purpose != CURLSOCKTYPE_IPCXN)
                return CURL_SOCKOPT_OK;
        for (size_t i = 0; i < ELEMENTSOF(opts); i++)
                if (setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value, sizeof(opts[i].value)) < 0)
                        /* Not fatal (a non-TCP transport): the connection still works,
                         * it is only noticed later when it dies. */
                        log_debug_errno(errno, "kube: cannot set %s on fd %d: %m", opts[i].what, fd);
        return CURL_SOCKOPT_OK;
}

int kube_curl_setup_easy(CURL *easy) {
        if (curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, curl_glue_open_socket) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, curl_glue_sockopt) != CURLE_OK)
                return -EIO;
        return 0;
}
