/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dhclient-format lease files of one interface (see dhcp4-export.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4-export.h"
#include "dhcp4-lease-export.h"
#include "dhcp4-lease-file.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

static Dhcp4ExportTarget *target_find(Dhcp4Export *e, const char *path) {
        for (size_t i = 0; i < e->n_targets; i++)
                if (strcmp(e->targets[i].path, path) == 0)
                        return &e->targets[i];
        return NULL;
}

static void target_add(Dhcp4Export *e, const char *path, bool extra) {
        Dhcp4ExportTarget *t = &e->targets[e->n_targets++];

        *t = (Dhcp4ExportTarget) { .extra = extra, .pending = e->have_lease };
        snprintf(t->path, sizeof(t->path), "%s", path);
}

void dhcp4_export_init(Dhcp4Export *e, const char *ifname, const Dhcp4Config *config, const char *os_release_path) {
        static const char *const os_release[] = { "/etc/os-release", "/usr/lib/os-release" };
        char path[DHCP4_CONFIG_PATH_MAX], id[64] = "";
        Dhcp4OsFamily family = DHCP4_OS_UNKNOWN;
        const char *from = NULL;
        int r;

        *e = (Dhcp4Export) { .max_blocks = config->lease_export_max_blocks };
        snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
        if (!config->lease_export) {
                log_debug("Lease export in dhclient's format is off ([LeaseExport] Enabled=no)");
                return;
        }
        if (config->lease_export_path[0]) {
                target_add(e, config->lease_export_path, false);
                log_debug("Exporting the lease in dhclient's format to %s ([LeaseExport] Path=)",
                          config->lease_export_path);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(os_release); i++) {
                _cleanup_(freep) char *text = NULL;
                size_t len;

                from = os_release_path ? os_release_path : os_release[i];
                r = read_file_full(from, 64 * 1024, &text, &len);
                if (r >= 0) {
                        (void) dhcp4_lease_export_os_family(text, len, &family, id);
                        break;
                }
                from = NULL;
                if (os_release_path)
                        break;
        }
        if (dhcp4_lease_export_default_path(family, ifname, path, sizeof(path)) < 0) {
                log_notice("No dhclient lease location is known for this system (%s%s%s); the lease is not "
                           "exported in dhclient's format. Set [LeaseExport] Path= to export it.",
                           from ? from : "no os-release", id[0] ? ": ID=" : "", id);
                return;
        }
        target_add(e, path, false);
        log_debug("Exporting the lease in dhclient's format to %s (%s family, from %s)", path,
                  dhcp4_os_family_to_string(family), from);
}

static void set_pending(Dhcp4Export *e) {
        for (size_t i = 0; i < e->n_targets; i++)
                e->targets[i].pending = true;
}

void dhcp4_export_remembered(Dhcp4Export *e, const Dhcp4Lease *l, uint64_t acquired_realtime_usec) {
        e->have_lease = true;
        e->lease = *l;
        e->acquired_realtime_usec = acquired_realtime_usec;
        e->ended_realtime_usec = 0;
}

void dhcp4_export_lease(Dhcp4Export *e, const Dhcp4Lease *l, uint64_t acquired_realtime_usec) {
        e->have_lease = true;
        e->lease = *l;
        e->acquired_realtime_usec = acquired_realtime_usec;
        e->ended_realtime_usec = 0;
        set_pending(e);
}

void dhcp4_export_end(Dhcp4Export *e, struct in_addr address, uint64_t now_realtime_usec) {
        if (!e->have_lease || e->ended_realtime_usec != 0 || e->lease.address.s_addr != address.s_addr)
                return;
        e->ended_realtime_usec = MAX(now_realtime_usec, USEC_PER_SEC);
        set_pending(e);
}

bool dhcp4_export_pending(const Dhcp4Export *e) {
        for (size_t i = 0; i < e->n_targets; i++)
                if (e->targets[i].pending)
                        return true;
        return false;
}

static int target_write(Dhcp4Export *e, Dhcp4ExportTarget *t, const char *block, size_t block_len,
                        uint64_t now_realtime_usec) {
        _cleanup_(freep) char *old = NULL, *text = NULL, *dir = NULL;
        Dhcp4LeaseExportStats st = {};
        size_t old_len = 0, len;
        char *slash;
        int r;

        r = read_file_full(t->path, DHCP4_LEASE_EXPORT_FILE_MAX, &old, &old_len);
        if (r == -ENOENT || r == -EFBIG || r == -EBADFD) {
                /* None yet; or not something to keep (too large, not a regular file:
                 * the atomic rename replaces it). */
                if (r != -ENOENT)
                        log_notice("%s is %s; replacing it with the lease", t->path,
                                   r == -EFBIG ? "larger than 1 MiB" : "not a regular file");
                old_len = 0;
        } else if (r < 0)
                return r;
        r = dhcp4_lease_export_update(old, old_len, e->ifname, block, block_len,
                                      MAX(now_realtime_usec / USEC_PER_SEC, (uint64_t) 1), e->max_blocks, &text, &len,
                                      &st);
        if (r < 0)
                return r;
        if (st.corrupt)
                log_notice("%s did not parse as a dhclient lease file; replaced by the current lease", t->path);
        dir = strdup(t->path);
        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                r = mkdir_p(dir, 0755);
                if (r < 0)
                        return r;
        }
        return write_file_atomic(t->path, text, len, 0644);
}

static int target_flush(Dhcp4Export *e, Dhcp4ExportTarget *t, uint64_t now_realtime_usec) {
        char block[DHCP4_LEASE_FILE_MAX], a[INET_ADDRSTRLEN];
        size_t len;
        int r;

        if (!e->have_lease)
                return 0;
        if (e->ended_realtime_usec)
                r = dhcp4_lease_file_format_dhclient_ended(&e->lease, e->ifname, e->acquired_realtime_usec,
                                                           e->ended_realtime_usec, block, sizeof(block), &len);
        else
                r = dhcp4_lease_file_format_dhclient(&e->lease, e->ifname, e->acquired_realtime_usec, block,
                                                     sizeof(block), &len);
        if (r >= 0)
                r = target_write(e, t, block, len, now_realtime_usec);
        if (r < 0) {
                /* Once per failure, not once per attempt. */
                if (t->error != r)
                        log_warning_errno(r, "Cannot write the lease in dhclient's format to %s: %m; trying again "
                                          "at the next change", t->path);
                t->error = r;
                return r;
        }
        if (t->error != 0)
                log_info("Lease written to %s again", t->path);
        else
                log_debug("Lease %s%s written to %s in dhclient's format",
                          inet_ntop(AF_INET, &e->lease.address, a, sizeof(a)),
                          e->ended_realtime_usec ? " (ended)" : "", t->path);
        t->error = 0;
        t->pending = false;
        return 1;
}

void dhcp4_export_flush(Dhcp4Export *e, uint64_t now_realtime_usec) {
        for (size_t i = 0; i < e->n_targets; i++)
                if (e->targets[i].pending)
                        (void) target_flush(e, &e->targets[i], now_realtime_usec);
}

int dhcp4_export_add(Dhcp4Export *e, const char *path, uint64_t now_realtime_usec) {
        Dhcp4ExportTarget *t;
        size_t extra = 0;
        int r;

        if (!path || path[0] != '/' || strlen(path) >= sizeof(e->targets[0].path) || strstr(path, "/../") ||
            strcmp(path + strlen(path) - MIN(strlen(path), (size_t) 3), "/..") == 0 || path[strlen(path) - 1] == '/')
                return -EINVAL;
        t = target_find(e, path);
        if (!t) {
                for (size_t i = 0; i < e->n_targets; i++)
                        extra += e->targets[i].extra;
                if (extra >= DHCP4_EXPORT_EXTRA_MAX)
                        return -E2BIG;
                target_add(e, path, true);
                t = &e->targets[e->n_targets - 1];
                log_info("Also exporting the lease in dhclient's format to %s", path);
        }
        if (!e->have_lease)
                return 0;
        t->pending = true;
        r = target_flush(e, t, now_realtime_usec);
        return r;
}

void dhcp4_export_error(const Dhcp4Export *e, char *buf, size_t size) {
        buf[0] = '\0';
        for (size_t i = 0; i < e->n_targets; i++)
                if (e->targets[i].error < 0) {
                        snprintf(buf, size, "%s: %s", e->targets[i].path, strerror(-e->targets[i].error));
                        return;
                }
}
