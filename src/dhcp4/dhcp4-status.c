/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal rendering of a status snapshot (dhcp4-status.h). Pure: a struct in,
 * strings out.
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dhcp4-status.h"
#include "macro.h"
#include "parse-util.h"

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
