/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The metrics front end of infradhcpd's status: one Dhcp4ClientStatus snapshot
 * (dhcp4-status.h) rendered as Prometheus text format 0.0.4 through src/shared/prom.h.
 * What each metric means: docs/metrics.md. Pure: a struct in, text out; served by
 * varlink GetMetrics (dhcp4-varlink.c) and written to the node-exporter textfile
 * (dhcp4-textfile.c). Not a registry: the counters live in the status.
 */
#pragma once

#include <stddef.h>

#include "dhcp4-status.h"

/* Renders s. Returns 0 and the NUL-terminated text in *ret_text (caller frees), or a
 * negative errno (-ENOMEM). Label values are escaped, whatever s holds. */
int dhcp4_metrics_render(const Dhcp4ClientStatus *s, char **ret_text, size_t *ret_len);
