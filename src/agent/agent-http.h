/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's /metrics endpoint: libmicrohttpd in external-loop mode (its epoll fd
 * and timeout driven by the agent's sd-event loop: no thread). Serves GET/HEAD
 * /metrics and nothing else (404 for other paths, 405 for other methods).
 */
#pragma once

#include <stddef.h>

#include <systemd/sd-event.h>

typedef struct AgentHttp AgentHttp;

/* Renders the body (malloc'ed text) on each scrape. */
typedef int (*AgentHttpRender)(void *userdata, char **ret_text, size_t *ret_len);

/* address: "A.B.C.D:PORT" or "[IPv6]:PORT" (PORT 0: any free port). */
int agent_http_parse_address(const char *address, void *ret_sockaddr, size_t *ret_len);
int agent_http_start(AgentHttp **ret, sd_event *e, const char *address, AgentHttpRender render, void *userdata);
AgentHttp *agent_http_free(AgentHttp *h);
/* The bound port (useful with PORT 0). */
unsigned agent_http_port(AgentHttp *h);
