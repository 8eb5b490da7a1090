/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal rendering of a status snapshot, the wall-clock labels of the lease
 * times (dhcp4-status.h) and the names of its counters' conflict kinds. Pure: a struct
 * or the clocks' values in, strings or a time out.
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dhcp4-status.h"
#include "macro.h"
#include "parse-util.h"
#include "string-table.h"

static const char *const dhcp4_acd_conflict_table[_DHCP4_ACD_CONFLICT_MAX] = {
        [DHCP4_ACD_CONFLICT_PROBE] = "probe",
        [DHCP4_ACD_CONFLICT_DEFENDED] = "defended",
        [DHCP4_ACD_CONFLICT_LOST] = "lost",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(dhcp4_acd_conflict, Dhcp4AcdConflict)

_printf_(2, 3) static void field(Dhcp4StatusJournal *j, const char *fmt, ...) {
        size_t n = 0;
        va_list ap;

        while (j->fields[n])
                n++;
        if (n >= DHCP4_STATUS_JOURNAL_MAX)
                return;
        va_start(ap, fmt);
        vsnprintf(j->buf[n], sizeof(j->buf[n]), fmt, ap);
        va_end(ap);
        j->fields[n] = j->buf[n];
        j->fields[n + 1] = NULL;
}

void dhcp4_status_journal_fields(const Dhcp4ClientStatus *s, Dhcp4StatusJournal *ret) {
        char a[INET_ADDRSTRLEN], m[18];

        *ret = (Dhcp4StatusJournal) {};
        /* One line per field; the tests and operators match "STATE=x ADDRESS=y". */
        field(ret, "STATE=%s", dhcp4_state_to_string(s->state) ?: "?");
        if (s->has_lease) {
                field(ret, "ADDRESS=%s", inet_ntop(AF_INET, &s->lease.address, a, sizeof(a)));
                field(ret, "PREFIXLEN=%u", s->lease.prefixlen);
                field(ret, "SERVER_ADDRESS=%s", inet_ntop(AF_INET, &s->lease.server_id, a, sizeof(a)));
        }
        field(ret, "ACD_STATE=%s", s->acd_state);
        if (s->conflicts > 0)
                field(ret, "CONFLICTS=%u", s->conflicts);
        if (dhcp4_status_has_conflict_mac(s))
                field(ret, "CONFLICT_MAC=%s", format_mac(s->conflict_mac, m));
        if (s->decline_backoff_usec > 0)
                field(ret, "DECLINE_BACKOFF_USEC=%" PRIu64, s->decline_backoff_usec);
}

uint64_t dhcp4_wallclock_convert(Dhcp4WallClock *w, uint64_t engine_usec, uint64_t now_engine_usec,
                                 uint64_t now_realtime_usec) {
        int64_t offset = (int64_t) (now_realtime_usec - now_engine_usec); /* two's complement: may be < 0 */
        int64_t moved;

        if (w->valid && w->engine_usec == engine_usec) {
                moved = offset - w->offset_usec;
                if (moved <= (int64_t) DHCP4_WALLCLOCK_STEP_USEC && moved >= -(int64_t) DHCP4_WALLCLOCK_STEP_USEC)
                        return w->realtime_usec;
        }
        w->valid = true;
        w->engine_usec = engine_usec;
        w->offset_usec = offset;
        /* realtime = engine + offset, saturating at 0 for a start before the epoch */
        if (offset < 0 && engine_usec < (uint64_t) -offset)
                w->realtime_usec = 0;
        else
                w->realtime_usec = engine_usec + (uint64_t) offset;
        return w->realtime_usec;
}
