/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node-exporter textfile of one infradhcpd ([Metrics] TextfilePath=,
 * docs/metrics.md): the metrics text of the status snapshot (dhcp4-metrics.c) written
 * atomically (a temporary file in the same directory renamed over the old one, so a
 * reader sees the old file or the new one, never a part of either), after every change
 * of the status and at most once per DHCP4_TEXTFILE_INTERVAL_USEC; a change of the
 * attachment detection alone (its periodic check runs every 1.5 s and usually changes
 * nothing else) at most once per DHCP4_TEXTFILE_ROUTINE_USEC. A write that fails
 * (file system full, directory missing or read-only) is logged once, retried every
 * DHCP4_TEXTFILE_RETRY_USEC, and its recovery is logged once.
 * Not here: what the metrics are (dhcp4-metrics.c), how files are replaced (fileio).
 */
#pragma once

#include <systemd/sd-event.h>

#include "dhcp4-client.h"
#include "macro.h"
#include "time-util.h"

#define DHCP4_TEXTFILE_INTERVAL_USEC (1 * USEC_PER_SEC)
#define DHCP4_TEXTFILE_RETRY_USEC    (10 * USEC_PER_SEC)
#define DHCP4_TEXTFILE_ROUTINE_USEC  (60 * USEC_PER_SEC)

typedef struct Dhcp4Textfile Dhcp4Textfile;

/* Returns 0, -EINVAL (path not absolute) or -ENOMEM. Nothing is written before the
 * first change (the client's start is one). */
int dhcp4_textfile_new(Dhcp4Textfile **ret, sd_event *event, Dhcp4Client *client, const char *path);
/* Writes the current status now unless the file already holds it (at exit, after the
 * client stopped: the file then says STOPPED). */
void dhcp4_textfile_flush(Dhcp4Textfile *t);
Dhcp4Textfile *dhcp4_textfile_free(Dhcp4Textfile *t);
DEFINE_FREEP(Dhcp4Textfile, dhcp4_textfile_free)

/* The client's change handler (dhcp4_client_set_change_handler, userdata = t):
 * schedules a write. */
void dhcp4_textfile_on_change(Dhcp4Client *c, void *userdata);
