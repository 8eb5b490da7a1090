/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability drop and report (see capability-util.h), on libcap rather than raw
 * capset(2): the version negotiation of the kernel ABI, the ambient set and the names
 * are libcap's job, and Debian ships it in every base system.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "capability-util.h"

static bool in_list(cap_value_t c, const cap_value_t *keep, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (keep[i] == c)
                        return true;
        return false;
}

int capability_drop_except(const cap_value_t *keep, size_t n_keep) {
        cap_value_t last = cap_max_bits() - 1;
        cap_t caps;
        int r = 0;

        if (n_keep > 0 && !keep)
                return -EINVAL;

        caps = cap_get_proc();
        if (!caps)
                return -errno;

        /* The bounding set first: it needs CAP_SETPCAP, which goes with the rest below.
         * Dropping a capability that is not in the set is a no-op, so each is dropped
         * without reading the set first (one prctl per capability instead of two: this
         * runs while the server answers the first DISCOVER). */
        if (CAP_IS_SUPPORTED(CAP_SETPCAP)) {
                cap_flag_value_t v = CAP_CLEAR;
                (void) cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &v);
                for (cap_value_t c = 0; v == CAP_SET && c <= last; c++) {
                        if (in_list(c, keep, n_keep))
                                continue;
                        if (cap_drop_bound(c) < 0 && errno != EINVAL) {
                                r = -errno;
                                goto finish;
                        }
                }
        }

        /* Ambient capabilities would survive an exec; there is none, but clear them, in
         * one call (libcap's cap_reset_ambient() asks about each capability first). */
        if (CAP_AMBIENT_SUPPORTED() && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
            errno != EINVAL && errno != EPERM) {
                r = -errno;
                goto finish;
        }

        for (cap_value_t c = 0; c <= last; c++) {
                cap_flag_value_t have = CAP_CLEAR;
                cap_value_t one[1] = { c };

                (void) cap_get_flag(caps, c, CAP_PERMITTED, &have);
                /* keep what we have and want, in permitted and effective; drop the rest */
                if (have == CAP_SET && in_list(c, keep, n_keep)) {
                        if (cap_set_flag(caps, CAP_EFFECTIVE, 1, one, CAP_SET) < 0) {
                                r = -errno;
                                goto finish;
                        }
                        continue;
                }
                if (cap_set_flag(caps, CAP_EFFECTIVE, 1, one, CAP_CLEAR) < 0 ||
                    cap_set_flag(caps, CAP_PERMITTED, 1, one, CAP_CLEAR) < 0) {
                        r = -errno;
                        goto finish;
                }
        }
        if (cap_clear_flag(caps, CAP_INHERITABLE) < 0 || cap_set_proc(caps) < 0) {
                r = -errno;
                goto finish;
        }

        /* Nothing this process could exec (it execs nothing) gains privileges. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = -errno;

finish:
        cap_free(caps);
        return r;
}

bool capability_have(cap_value_t cap) {
        cap_flag_value_t v = CAP_CLEAR;
        cap_t caps = cap_get_proc();

        if (!caps)
                return false;
        (void) cap_get_flag(caps, cap, CAP_EFFECTIVE, &v);
        cap_free(caps);
        return v == CAP_SET;
}

char *capability_effective_names(char *buf, size_t size) {
        cap_value_t last = cap_max_bits() - 1;
        size_t n = 0;
        cap_t caps;

        if (!buf || size == 0)
                return buf;
        buf[0] = '\0';
        caps = cap_get_proc();
        if (!caps)
                return buf;
        for (cap_value_t c = 0; c <= last; c++) {
                cap_flag_value_t v = CAP_CLEAR;
                char *name;
                int w;

                if (cap_get_flag(caps, c, CAP_EFFECTIVE, &v) < 0 || v != CAP_SET)
                        continue;
                name = cap_to_name(c);
                if (!name)
                        continue;
                w = snprintf(buf + n, size - n, "%s%s", n > 0 ? "," : "", name);
                cap_free(name);
                if (w < 0 || (size_t) w >= size - n) {
                        buf[n] = '\0'; /* a whole name or none */
                        break;
                }
                n += (size_t) w;
        }
        cap_free(caps);
        return buf;
}
