/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The D-Bus object of one infradhcpd on the system bus, for busctl and other D-Bus
 * tools: interface io.infradhcp.Link1 (status properties with PropertiesChanged,
 * Release/Renew/Rebind for root) at /io/infradhcp/link/<escaped ifname>, on top of
 * the public dhcp4-client API. Names, paths, properties and policy: docs/dbus.md.
 * Not the primary control interface (that is varlink, dhcp4-varlink) and not the
 * client itself; it never blocks the daemon on the bus except for the sender's
 * credentials lookup of a privileged method call.
 */
#pragma once

#include <stddef.h>

#include <systemd/sd-event.h>

#include "dhcp4-client.h"
#include "macro.h"

#define DHCP4_DBUS_NAME "io.infradhcp"                 /* shared, queued: owned by one daemon */
#define DHCP4_DBUS_LINK_NAME_PREFIX "io.infradhcp.link." /* + sanitized ifname: one per daemon */
#define DHCP4_DBUS_PATH_PREFIX "/io/infradhcp/link"    /* + "/" + sd_bus_path_encode(ifname) */
#define DHCP4_DBUS_INTERFACE "io.infradhcp.Link1"
#define DHCP4_DBUS_ERROR_STOPPED "io.infradhcp.Link1.Stopped"
/* A varlink ReleaseAndRenew is running; try again when it has finished. */
#define DHCP4_DBUS_ERROR_BUSY "io.infradhcp.Link1.Busy"

typedef struct Dhcp4Dbus Dhcp4Dbus;

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS, else the default socket),
 * attaches to `event`, exports the object and requests the names asynchronously
 * (a refused or taken name is logged; the object stays reachable on the unique name).
 * Returns 0, or -errno when there is no usable system bus: -ENOENT (no socket),
 * -ECONNREFUSED (nobody listening), -EACCES, -EINVAL (bad address)... The caller
 * then runs on without D-Bus. `client` must outlive the returned object. */
int dhcp4_dbus_new(Dhcp4Dbus **ret, sd_event *event, Dhcp4Client *client);
/* -ENOENT when `address` (DBUS_SYSTEM_BUS_ADDRESS; NULL: sd-bus's default) is one
 * unix:path= whose socket does not exist, as sd_bus_open_system() would say after
 * connecting; else 0, and sd-bus decides. dhcp4_dbus_new() asks this first, so that on
 * a node or in a container without a bus no sd-bus code runs and nothing of it is
 * allocated (issue 13: about 140 kB of PSS). */
int dhcp4_dbus_system_bus_missing(const char *address);
/* Closes the connection without flushing (never blocks the daemon's stop). NULL-safe. */
Dhcp4Dbus *dhcp4_dbus_free(Dhcp4Dbus *d);
DEFINE_FREEP(Dhcp4Dbus, dhcp4_dbus_free)

/* Feeds a state change: emits PropertiesChanged for the properties whose values
 * changed, State being `new_state` (the client may already have moved on when
 * several transitions happen in one dispatch; each one is signalled). Has the
 * Dhcp4ClientStateHandler signature (userdata = the Dhcp4Dbus, NULL ignored), so
 * the daemon's combined handler forwards its arguments. Changes that come without
 * a state change (ACD state, last error) are noticed by the object itself after
 * each event loop iteration. */
void dhcp4_dbus_on_state(Dhcp4Client *c, Dhcp4State old_state, Dhcp4State new_state, void *userdata);

/* The per-interface well-known name for ifname: DHCP4_DBUS_LINK_NAME_PREFIX plus
 * ifname with every character outside [A-Za-z0-9_-] replaced by '_', and a leading
 * '_' added when ifname starts with a digit ("ens192.4093" → "io.infradhcp.link.ens192_4093").
 * Pure. Returns 0, -EINVAL for an empty ifname or -ENOBUFS when `size` is too small. */
int dhcp4_dbus_link_name(const char *ifname, char *buf, size_t size);
