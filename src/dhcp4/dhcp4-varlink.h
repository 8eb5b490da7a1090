/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The io.infradhcp.Client varlink interface (io.infradhcp.Client.varlink) of one
 * infradhcpd: status, commands, the ReleaseAndRenew sequence and Monitor streams,
 * on top of the public dhcp4-client API. Listens on
 * <runtime-dir>/<ifname>/io.infradhcp.Client.
 * Not the protocol layer (shared/varlink.c) and not the client itself.
 */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "dhcp4-client.h"
#include "infradhcp/lease.h"
#include "macro.h"

#define DHCP4_VARLINK_SOCKET_NAME "io.infradhcp.Client"

typedef struct Dhcp4Varlink Dhcp4Varlink;

/* Before the daemon sends anything: -EADDRINUSE (logged) when another infradhcpd
 * answers on <runtime_dir>/<ifname>/io.infradhcp.Client, the interface being its;
 * else 0 (or -errno). Creates nothing: dhcp4_varlink_new() comes after the first packet. */
int dhcp4_varlink_check_free(const char *runtime_dir, const char *ifname);

/* Creates the server and listens on <runtime_dir>/<ifname>/io.infradhcp.Client.
 * Returns 0 or -errno (-EADDRINUSE: another daemon answers on that socket). */
int dhcp4_varlink_new(Dhcp4Varlink **ret, sd_event *event, Dhcp4Client *client, const char *runtime_dir);
/* Answers a running ReleaseAndRenew with Cancelled, ends Monitor streams, removes the socket. */
Dhcp4Varlink *dhcp4_varlink_free(Dhcp4Varlink *v);
DEFINE_FREEP(Dhcp4Varlink, dhcp4_varlink_free)

/* Feeds a state change to Monitor streams and ReleaseAndRenew. Has the
 * Dhcp4ClientStateHandler signature (userdata = the Dhcp4Varlink), so it can be
 * installed directly with dhcp4_client_set_state_handler() or called from the
 * daemon's own handler. A NULL userdata is ignored. */
void dhcp4_varlink_on_state(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state, void *userdata);

/* The varlink front end of the status: the GetStatus object (io.infradhcp.Client
 * ClientStatus) of s. Pure: no clock, no I/O. NULL on allocation failure. */
json_object *dhcp4_varlink_build_status(const Dhcp4ClientStatus *s);
