/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node-exporter textfile (see dhcp4-textfile.h). One timer: armed by a change
 * unless already armed, no earlier than DHCP4_TEXTFILE_INTERVAL_USEC after the last
 * write, so a packet flood (every packet moves a counter) costs one write a second.
 * When it fires, the snapshot is compared with the one the file holds (the snapshot is
 * memcmp-comparable, dhcp4-status.h) and written only if it differs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4-metrics.h"
#include "dhcp4-textfile.h"
#include "fileio.h"
#include "log.h"

struct Dhcp4Textfile {
        sd_event *event;
        Dhcp4Client *client;
        char *path;
        sd_event_source *timer;
        uint64_t last_attempt_usec; /* CLOCK_BOOTTIME; 0: none yet */
        bool written;               /* `last` is what the file holds */
        bool failing;               /* the last write failed (and was logged) */
        Dhcp4ClientStatus last;
};

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int textfile_arm(Dhcp4Textfile *t, uint64_t at) {
        int r;

        if (!t->timer) {
                r = sd_event_add_time(t->event, &t->timer, CLOCK_BOOTTIME, at, 10 * USEC_PER_MSEC, on_timer, t);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(t->timer, "metrics-textfile");
                return 0;
        }
        r = sd_event_source_set_time(t->timer, at);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
}

static bool textfile_armed(const Dhcp4Textfile *t) {
        int enabled = SD_EVENT_OFF;

        return t->timer && sd_event_source_get_enabled(t->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF;
}

/* Writes the status unless the file holds it already. Returns 0 when the file is
 * current, -errno when the write failed. */
static int textfile_write(Dhcp4Textfile *t) {
        _cleanup_(freep) char *text = NULL;
        Dhcp4ClientStatus s;
        size_t len;
        int r;

        dhcp4_client_get_status(t->client, &s);
        if (t->written && memcmp(&s, &t->last, sizeof(s)) == 0)
                return 0;
        t->last_attempt_usec = clock_now(CLOCK_BOOTTIME);
        r = dhcp4_metrics_render(&s, &text, &len);
        if (r >= 0)
                r = write_file_atomic(t->path, text, len, 0644); /* node-exporter reads it as another user */
        if (r < 0) {
                if (!t->failing)
                        log_warning_errno(r,
                                          "Cannot write the metrics file %s: %m; keeping the last complete one "
                                          "and retrying every %u s",
                                          t->path, (unsigned) (DHCP4_TEXTFILE_RETRY_USEC / USEC_PER_SEC));
                t->failing = true;
                return r;
        }
        if (t->failing)
                log_notice("Metrics file %s written again", t->path);
        t->failing = false;
        t->last = s;
        t->written = true;
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4Textfile *t = userdata;

        if (textfile_write(t) < 0 &&
            textfile_arm(t, usec_add(clock_now(CLOCK_BOOTTIME), DHCP4_TEXTFILE_RETRY_USEC)) < 0)
                log_warning("Cannot arm the retry of the metrics file %s; it is written again on the next change",
                            t->path);
        return 0;
}

void dhcp4_textfile_on_change(Dhcp4Client *c, void *userdata) {
        Dhcp4Textfile *t = userdata;
        uint64_t at;

        if (!t || textfile_armed(t))
                return; /* a write (or the retry of a failed one) is coming */
        at = t->last_attempt_usec ? usec_add(t->last_attempt_usec, DHCP4_TEXTFILE_INTERVAL_USEC) : 0;
        at = MAX(at, clock_now(CLOCK_BOOTTIME));
        if (textfile_arm(t, at) < 0)
                log_warning("Cannot arm the metrics file timer; %s is written on a later change", t->path);
}

void dhcp4_textfile_flush(Dhcp4Textfile *t) {
        if (!t)
                return;
        (void) textfile_write(t);
}

int dhcp4_textfile_new(Dhcp4Textfile **ret, sd_event *event, Dhcp4Client *client, const char *path) {
        Dhcp4Textfile *t;

        if (!ret || !event || !client || !path || path[0] != '/')
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->path = strdup(path);
        if (!t->path) {
                free(t);
                return -ENOMEM;
        }
        t->event = sd_event_ref(event);
        t->client = client;
        *ret = t;
        return 0;
}

Dhcp4Textfile *dhcp4_textfile_free(Dhcp4Textfile *t) {
        if (!t)
                return NULL;
        sd_event_source_disable_unref(t->timer);
        sd_event_unref(t->event);
        free(t->path);
        free(t);
        return NULL;
}
