/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sd-event helpers shared by the daemons: one way to (re)arm a timer source.
 * Not an event loop abstraction: the callers use sd-event directly for the rest.
 */
#pragma once

#include <stdint.h>
#include <time.h>

#include <systemd/sd-event.h>

/* Arms *s to fire once at `usec` (absolute, on `clock`), creating it on first use
 * with callback, userdata, accuracy (usec; 0 = sd-event's default of 250 ms) and
 * description; usec USEC_INFINITY disables it (and creates nothing). As systemd's
 * event_reset_time(). Returns 0 or -errno. */
int event_reset_time(sd_event *e, sd_event_source **s, clockid_t clock, uint64_t usec, uint64_t accuracy,
                     sd_event_time_handler_t callback, void *userdata, const char *description);
/* The same, `delay` after the loop's current time on `clock` (sd_event_now). */
int event_reset_time_relative(sd_event *e, sd_event_source **s, clockid_t clock, uint64_t delay, uint64_t accuracy,
                              sd_event_time_handler_t callback, void *userdata, const char *description);
