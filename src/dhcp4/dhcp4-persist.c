/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lease and offer-policy files of one interface (see dhcp4-persist.h).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp4-lease-file.h"
#include "dhcp4-persist.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

/* The kernel's id of this boot, "" when it cannot be read (then lease files are aged on
 * the wall clock alone, as before boot ids were stored). */
static void read_boot_id(const char *path, char ret[DHCP4_BOOT_ID_LEN + 1]) {
        _cleanup_(freep) char *text = NULL;
        size_t len;

        ret[0] = '\0';
        if (read_file_full(path, 64, &text, &len) < 0)
                return;
        if (len == DHCP4_BOOT_ID_LEN + 1 && text[DHCP4_BOOT_ID_LEN] == '\n')
                text[DHCP4_BOOT_ID_LEN] = '\0';
        if (dhcp4_boot_id_valid(text))
                memcpy(ret, text, DHCP4_BOOT_ID_LEN + 1);
        else
                log_debug("%s does not hold a boot id; lease files are aged on the wall clock", path);
}

int dhcp4_persist_init(Dhcp4Persist *p, const char *state_dir, const char *ifname) {
        *p = (Dhcp4Persist) {};
        p->state_dir = strdup(state_dir);
        if (!p->state_dir || asprintf(&p->lease_path, "%s/%s.lease", state_dir, ifname) < 0) {
                p->lease_path = NULL;
                return -ENOMEM;
        }
        if (asprintf(&p->policy_path, "%s/%s.policy", state_dir, ifname) < 0) {
                p->policy_path = NULL;
                return -ENOMEM;
        }
        read_boot_id(DHCP4_PERSIST_BOOT_ID_PATH, p->boot_id);
        return 0;
}

void dhcp4_persist_done(Dhcp4Persist *p) {
        free(p->state_dir);
        free(p->lease_path);
        free(p->policy_path);
        *p = (Dhcp4Persist) {};
}

/* A write failed: the first failure of an episode is logged (a full disk retried every
 * 10 s must not log every 10 s), every one is counted and kept for the status. */
static int persist_failed(Dhcp4Persist *p, int r, const char *path, const char *what) {
        snprintf(p->error, sizeof(p->error), "cannot write %s: %s", path, strerror(-r));
        if (p->failures++ == 0)
                log_warning_errno(r, "Cannot write %s %s: %m; %s stays in use (in memory and on the interface), "
                                  "writing it is retried every %" PRIu64 " s",
                                  what, path, what, DHCP4_PERSIST_RETRY_USEC / USEC_PER_SEC);
        return r;
}

static void persist_succeeded(Dhcp4Persist *p) {
        if (dhcp4_persist_dirty(p))
                return;
        if (p->failures > 0)
                log_info("State under %s written after %u failed attempt%s", p->state_dir, p->failures,
                         p->failures == 1 ? "" : "s");
        p->failures = 0;
        p->error[0] = '\0';
}

static int persist_write_lease(Dhcp4Persist *p) {
        char buf[DHCP4_LEASE_FILE_MAX];
        size_t len;
        int r;

        r = dhcp4_lease_file_format(&p->pending_lease, &p->pending_stamp, buf, sizeof(buf), &len);
        if (r < 0) {
                /* Not a disk problem: never retried. */
                p->lease_dirty = false;
                return log_warning_errno(r, "Cannot represent the lease in the lease file: %m");
        }
        r = mkdir_p(p->state_dir, 0755);
        if (r >= 0)
                r = write_file_atomic(p->lease_path, buf, len, 0644);
        if (r < 0)
                return persist_failed(p, r, p->lease_path, "the lease");
        p->lease_dirty = false;
        persist_succeeded(p);
        return 0;
}

int dhcp4_persist_save_lease(Dhcp4Persist *p, const Dhcp4Lease *l, uint64_t acquired_realtime_usec,
                             uint64_t acquired_boottime_usec) {
        p->pending_lease = *l;
        p->pending_stamp = (Dhcp4LeaseStamp) {
                .realtime_usec = acquired_realtime_usec,
                .boottime_usec = acquired_boottime_usec,
        };
        memcpy(p->pending_stamp.boot_id, p->boot_id, sizeof(p->boot_id));
        p->lease_dirty = true;
        return persist_write_lease(p);
}

void dhcp4_persist_forget_lease(Dhcp4Persist *p) {
        p->lease_dirty = false;
        persist_succeeded(p);
        if (unlink(p->lease_path) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove lease file %s: %m", p->lease_path);
}

/* How long ago the lease of the file was acquired. */
static uint64_t lease_age(const Dhcp4Persist *p, const Dhcp4LeaseStamp *st, uint64_t now_realtime_usec,
                          uint64_t now_boottime_usec) {
        if (p->boot_id[0] && strcmp(st->boot_id, p->boot_id) == 0 && st->boottime_usec <= now_boottime_usec) {
                uint64_t age = now_boottime_usec - st->boottime_usec;
                uint64_t wall_age = usec_sub(now_realtime_usec, st->realtime_usec);

                /* The wall clock moved by more than a second since the lease was written: say
                 * so, since the dhclient-format times and the status follow the wall clock. */
                if (st->realtime_usec > now_realtime_usec ||
                    (wall_age > age ? wall_age - age : age - wall_age) > USEC_PER_SEC)
                        log_info("The wall clock was set since the lease file was written; its age, %" PRIu64
                                 " s, comes from the boot clock", age / USEC_PER_SEC);
                return age;
        }
        if (st->realtime_usec > now_realtime_usec)
                /* Written "in the future": a wall clock set back since, in an earlier boot.
                 * Its true age is unknown; INIT-REBOOT asks the server anyway. */
                log_warning("Lease file %s was written %" PRIu64 " s in the future by the wall clock (set back "
                            "since?); taking it as just acquired, for the server to confirm",
                            p->lease_path, (st->realtime_usec - now_realtime_usec) / USEC_PER_SEC);
        return usec_sub(now_realtime_usec, st->realtime_usec);
}

int dhcp4_persist_load_lease(Dhcp4Persist *p, const char *ifname, const uint8_t mac[6], uint64_t now_usec,
                             uint64_t now_realtime_usec, uint64_t now_boottime_usec, Dhcp4Lease *ret) {
        _cleanup_(freep) char *text = NULL;
        Dhcp4LeaseStamp stamp;
        uint64_t elapsed;
        const char *why = NULL;
        Dhcp4Lease l;
        size_t len;
        int r;

        r = read_file_full(p->lease_path, DHCP4_LEASE_FILE_MAX * 4, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_warning_errno(r, "Lease file %s unreadable, ignoring it: %m", p->lease_path);
                return 0;
        }
        r = dhcp4_lease_file_parse(text, len, &l, &stamp, &why);
        if (r < 0) {
                log_warning("Lease file %s is corrupt (%s), ignoring it and starting with DISCOVER", p->lease_path,
                            why ? why : "unknown reason");
                return 0;
        }
        if (memcmp(l.client_id + 1, mac, 6) != 0) {
                log_info("Lease file %s belongs to another MAC address, ignoring it", p->lease_path);
                return 0;
        }
        elapsed = lease_age(p, &stamp, now_realtime_usec, now_boottime_usec);
        if (l.lifetime != UINT32_MAX && elapsed >= (uint64_t) l.lifetime * USEC_PER_SEC) {
                log_info("Remembered lease for %s has expired, starting with DISCOVER", ifname);
                return 0;
        }
        l.acquired_usec = usec_sub(now_usec, elapsed);
        *ret = l;
        return 1;
}

static void persist_write_policy(Dhcp4Persist *p) {
        char buf[DHCP4_POLICY_FILE_MAX];
        size_t len;
        int r;

        if (p->n_refuse == 0 && !p->has_require) {
                if (unlink(p->policy_path) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "Failed to remove %s: %m", p->policy_path);
                p->policy_dirty = false;
                persist_succeeded(p);
                return;
        }
        r = dhcp4_policy_file_format(p->refuse, p->n_refuse, dhcp4_persist_require(p), buf, sizeof(buf), &len);
        if (r < 0) {
                log_warning_errno(r, "Cannot represent the offer policy: %m");
                return;
        }
        r = mkdir_p(p->state_dir, 0755);
        if (r >= 0)
                r = write_file_atomic(p->policy_path, buf, len, 0644);
        if (r < 0) {
                p->policy_dirty = true;
                (void) persist_failed(p, r, p->policy_path, "the offer policy");
                return;
        }
        p->policy_dirty = false;
        persist_succeeded(p);
}

int dhcp4_persist_retry(Dhcp4Persist *p) {
        if (p->lease_dirty)
                (void) persist_write_lease(p);
        if (p->policy_dirty)
                persist_write_policy(p);
        return dhcp4_persist_dirty(p) ? 1 : 0;
}

int dhcp4_persist_set_policy(Dhcp4Persist *p, const Dhcp4Subnet *refuse, size_t n_refuse,
                             const Dhcp4Subnet *require) {
        if (n_refuse > ELEMENTSOF(p->refuse))
                return -E2BIG;
        if (n_refuse > 0)
                memcpy(p->refuse, refuse, n_refuse * sizeof(refuse[0]));
        p->n_refuse = n_refuse;
        p->has_require = require != NULL;
        if (require)
                p->require = *require;
        persist_write_policy(p);
        return 0;
}

void dhcp4_persist_reject_policy(Dhcp4Persist *p, int error, const char *why) {
        log_warning("Offer policy %s is unusable (%s), ignoring it", p->policy_path, why ? why : strerror(-error));
        p->n_refuse = 0;
        p->has_require = false;
        (void) unlink(p->policy_path);
}

int dhcp4_persist_load_policy(Dhcp4Persist *p) {
        _cleanup_(freep) char *text = NULL;
        const char *why = NULL;
        size_t len, n;
        int r;

        r = read_file_full(p->policy_path, DHCP4_POLICY_FILE_MAX, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r >= 0)
                r = dhcp4_policy_file_parse(text, len, p->refuse, ELEMENTSOF(p->refuse), &n, &p->require,
                                            &p->has_require, &why);
        if (r < 0) {
                dhcp4_persist_reject_policy(p, r, why);
                return 0;
        }
        p->n_refuse = n;
        return 1;
}
