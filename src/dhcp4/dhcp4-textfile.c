/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node-exporter textfile (see dhcp4-textfile.h). One timer: a change arms it for
 * DHCP4_TEXTFILE_INTERVAL_USEC after the last write at the earliest, so a packet flood
 * (every packet moves a counter) costs one write a second. When it fires, the snapshot
 * is compared with the one the file was written from (the snapshot is
 * memcmp-comparable, dhcp4-status.h): equal, nothing; different only in the
 * attachment part, the write waits until DHCP4_TEXTFILE_ROUTINE_USEC after the last
 * one, so an idle node does not rewrite and fsync the file at the rhythm of its
 * periodic attachment checks; else the text is rendered and written, unless it is the
 * text the file holds. After each write the timer is also armed for the routine
 * deadline: the periodic checks run in the attachment code, which does not report to
 * the client's change handler, and are still written once a minute.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4-metrics.h"
#include "dhcp4-textfile.h"
#include "event-util.h"
#include "fileio.h"
#include "log.h"

struct Dhcp4Textfile {
        sd_event *event;
        Dhcp4Client *client;
        char *path;
        sd_event_source *timer;
        uint64_t last_attempt_usec; /* CLOCK_BOOTTIME; 0: none yet */
        bool written;               /* the file holds `text`, rendered from `last` */
        bool failing;               /* the last write failed (and was logged) */
        Dhcp4ClientStatus last;
        char *text;
};

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int textfile_arm(Dhcp4Textfile *t, uint64_t at) {
        return event_reset_time(t->event, &t->timer, CLOCK_BOOTTIME, at, 10 * USEC_PER_MSEC, on_timer, t,
                                "metrics-textfile");
}

/* When the timer fires next; UINT64_MAX when it is off. */
static uint64_t textfile_armed_at(const Dhcp4Textfile *t) {
        int enabled = SD_EVENT_OFF;
        uint64_t at;

        if (!t->timer || sd_event_source_get_enabled(t->timer, &enabled) < 0 || enabled == SD_EVENT_OFF ||
            sd_event_source_get_time(t->timer, &at) < 0)
                return UINT64_MAX;
        return at;
}

/* Whether a and b differ only in what attachment detection keeps (its periodic check
 * moves the check counters, the last check, the peers' last sightings). */
static bool attachment_only(const Dhcp4ClientStatus *a, const Dhcp4ClientStatus *b) {
        Dhcp4ClientStatus x = *b;

        x.attachment = a->attachment;
        return memcmp(a, &x, sizeof(x)) == 0;
}

/* Writes s unless the file holds its text already. Returns 0 when the file is
 * current, -errno when the write failed. */
static int textfile_write(Dhcp4Textfile *t, const Dhcp4ClientStatus *s) {
        _cleanup_(freep) char *text = NULL;
        size_t len;
        int r;

        r = dhcp4_metrics_render(s, &text, &len);
        if (r >= 0 && t->written && !t->failing && strcmp(text, t->text) == 0) {
                t->last = *s; /* nothing the file shows changed */
                return 0;
        }
        t->last_attempt_usec = clock_now(CLOCK_BOOTTIME);
        if (r >= 0)
                r = write_file_atomic(t->path, text, len, 0644); /* node-exporter reads it as another user */
        if (r < 0) {
                if (!t->failing)
                        log_warning_errno(r, "Cannot write the metrics file %s: %m; keeping the last complete one "
                                          "and retrying every %u s",
                                          t->path, (unsigned) (DHCP4_TEXTFILE_RETRY_USEC / USEC_PER_SEC));
                t->failing = true;
                return r;
        }
        if (t->failing)
                log_notice("Metrics file %s written again", t->path);
        t->failing = false;
        t->written = true;
        t->last = *s;
        free(t->text);
        t->text = text;
        text = NULL; /* consumed */
        return 0;
}

/* After a write: look again at the routine deadline, unless a look is due sooner. */
static void textfile_arm_routine(Dhcp4Textfile *t) {
        uint64_t at = usec_add(t->last_attempt_usec, DHCP4_TEXTFILE_ROUTINE_USEC);

        if (textfile_armed_at(t) > at && textfile_arm(t, at) < 0)
                log_warning("Cannot arm the metrics file timer; %s is written on a later change", t->path);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Dhcp4Textfile *t = userdata;
        Dhcp4ClientStatus st;
        uint64_t now = clock_now(CLOCK_BOOTTIME), routine;

        dhcp4_client_get_status(t->client, &st);
        if (t->written && !t->failing) {
                if (memcmp(&st, &t->last, sizeof(st)) == 0)
                        return 0;
                routine = usec_add(t->last_attempt_usec, DHCP4_TEXTFILE_ROUTINE_USEC);
                if (attachment_only(&t->last, &st) && now < routine) {
                        if (textfile_arm(t, routine) < 0)
                                log_warning("Cannot arm the metrics file timer; %s is written on a later change",
                                            t->path);
                        return 0;
                }
        }
        if (textfile_write(t, &st) >= 0)
                textfile_arm_routine(t);
        else if (textfile_arm(t, usec_add(now, DHCP4_TEXTFILE_RETRY_USEC)) < 0)
                log_warning("Cannot arm the retry of the metrics file %s; it is written again on the next change",
                            t->path);
        return 0;
}

void dhcp4_textfile_on_change(Dhcp4Client *c, void *userdata) {
        Dhcp4Textfile *t = userdata;
        uint64_t at;

        if (!t || (t->failing && textfile_armed_at(t) != UINT64_MAX))
                return; /* the retry is armed */
        at = t->last_attempt_usec ? usec_add(t->last_attempt_usec, DHCP4_TEXTFILE_INTERVAL_USEC) : 0;
        at = MAX(at, clock_now(CLOCK_BOOTTIME));
        if (textfile_armed_at(t) <= at)
                return; /* a look at the change is coming soon enough */
        if (textfile_arm(t, at) < 0)
                log_warning("Cannot arm the metrics file timer; %s is written on a later change", t->path);
}

void dhcp4_textfile_flush(Dhcp4Textfile *t) {
        Dhcp4ClientStatus s;

        if (!t)
                return;
        dhcp4_client_get_status(t->client, &s);
        (void) textfile_write(t, &s);
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
        free(t->text);
        free(t->path);
        free(t);
        return NULL;
}
