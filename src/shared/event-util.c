/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Timer (re)arming on sd-event (event-util.h).
 */

#include "event-util.h"
#include "time-util.h"

int event_reset_time(sd_event *e, sd_event_source **s, clockid_t clock, uint64_t usec, uint64_t accuracy,
                     sd_event_time_handler_t callback, void *userdata, const char *description) {
        int r;

        if (usec == USEC_INFINITY)
                return *s ? sd_event_source_set_enabled(*s, SD_EVENT_OFF) : 0;
        if (!*s) {
                r = sd_event_add_time(e, s, clock, usec, accuracy, callback, userdata);
                if (r < 0)
                        return r;
                if (description)
                        (void) sd_event_source_set_description(*s, description);
                return 0;
        }
        r = sd_event_source_set_time(*s, usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}

int event_reset_time_relative(sd_event *e, sd_event_source **s, clockid_t clock, uint64_t delay, uint64_t accuracy,
                              sd_event_time_handler_t callback, void *userdata, const char *description) {
        uint64_t now;
        int r;

        r = sd_event_now(e, clock, &now);
        if (r < 0)
                return r;
        return event_reset_time(e, s, clock, usec_add(now, delay), accuracy, callback, userdata, description);
}
