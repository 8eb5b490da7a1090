/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process classification for the doctor (see doctor-proc.h). Option tables list the
 * options that take a value, so their values are never mistaken for interface names.
 */

#include <errno.h>
#include <string.h>

#include "doctor-proc.h"
#include "macro.h"
#include "parse-util.h"
#include "string-table.h"

#define ARGS_MAX 128

static const char *const doctor_proc_kind_table[_DOCTOR_PROC_MAX] = {
        [DOCTOR_PROC_OTHER] = "other",
        [DOCTOR_PROC_DHCLIENT] = "dhclient",
        [DOCTOR_PROC_DHCPCD] = "dhcpcd",
        [DOCTOR_PROC_UDHCPC] = "udhcpc",
        [DOCTOR_PROC_INFRADHCPD] = "infradhcpd",
        [DOCTOR_PROC_NETWORKMANAGER] = "NetworkManager",
        [DOCTOR_PROC_NETWORKD] = "systemd-networkd",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(doctor_proc_kind, DoctorProcKind)

static const char *base_name(const char *s) {
        const char *slash = strrchr(s, '/');
        return slash ? slash + 1 : s;
}

static bool in_list(const char *s, const char *const *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, list[i]) == 0)
                        return true;
        return false;
}

/* dhclient 4.4 options that take a value. */
static const char *const dhclient_value_opts[] = {
        "-p", "-s", "-g", "-cf", "-lf", "-pf", "-sf", "-df", "-e", "-H", "-F", "-V", "-C", "-D", "-I0",
        "--timeout", "-timeout", "--decline-wait-time", "--address-prefix-len", "--prefix-len-hint",
        "--dad-wait-time", "-tmpfile",
};

/* dhcpcd 9 short options that take a value (and their long forms take "=value" or the
 * next word). */
static const char dhcpcd_value_short[] = "cefhijlmorstuvyzCFIOQSWXZ";
static const char *const dhcpcd_value_long[] = {
        "--script", "--env", "--config", "--hostname", "--vendorclassid", "--logfile", "--leasetime",
        "--metric", "--option", "--request", "--inform", "--timeout", "--userclass", "--vendor", "--reboot",
        "--allowinterfaces", "--nohook", "--fqdn", "--clientid", "--nooption", "--require", "--destination",
        "--whitelist", "--blacklist", "--denyinterfaces",
};

static const char *const infradhcpd_value_opts[] = {
        "--config", "--state-dir", "--runtime-dir", "--log-level",
};

typedef struct Args {
        const char *v[ARGS_MAX];
        size_t n;
} Args;

static void split_cmdline(const char *cmdline, size_t len, Args *a) {
        size_t pos = 0;

        a->n = 0;
        while (pos < len && a->n < ARGS_MAX) {
                const char *s = cmdline + pos;
                const char *nul = memchr(s, '\0', len - pos);

                if (!nul)
                        break; /* unterminated tail: ignored */
                a->v[a->n++] = s;
                pos += (size_t)(nul - s) + 1;
        }
}

/* An argument left after the options and their values: an interface the client was
 * started for (dhclient, dhcpcd and udhcpc take them as positional arguments). */
static void positional(const char *s, const char *ifname, bool *named, bool *ours) {
        if (s[0] == '-')
                return;
        *named = true;
        if (strcmp(s, ifname) == 0)
                *ours = true;
}

static int classify_dhclient(const Args *a, const char *ifname, DoctorProc *ret) {
        bool named = false, ours = false;

        for (size_t i = 1; i < a->n; i++) {
                const char *s = a->v[i];

                if (in_list(s, dhclient_value_opts, ELEMENTSOF(dhclient_value_opts))) {
                        if (i + 1 < a->n) {
                                const char *v = a->v[i + 1];
                                if ((strcmp(s, "-sf") == 0 && strstr(v, "nm-dhcp-helper")) ||
                                    (strcmp(s, "-pf") == 0 && strstr(v, "NetworkManager")))
                                        ret->owned_by_nm = true;
                        }
                        i++;
                        continue;
                }
                positional(s, ifname, &named, &ours);
        }
        ret->all_interfaces = !named;
        return ours || !named;
}

static bool dhcpcd_takes_value(const char *s) {
        if (s[0] == '-' && s[1] && s[1] != '-' && s[2] == '\0')
                return strchr(dhcpcd_value_short, s[1]) != NULL;
        return in_list(s, dhcpcd_value_long, ELEMENTSOF(dhcpcd_value_long));
}

static int classify_dhcpcd(const Args *a, const char *ifname, DoctorProc *ret) {
        bool named = false, ours = false, control = false;

        if (a->n > 0 && strncmp(a->v[0], "dhcpcd: ", 8) == 0) {
                /* A process title: "dhcpcd: [manager] [ip4] [ip6]", "dhcpcd: eth0 [ip4]". */
                const char *t = a->v[0] + 8;
                size_t l;

                for (const char *w; (w = next_word(&t, " ", &l));)
                        if (w[0] != '[') {
                                named = true;
                                if (l == strlen(ifname) && memcmp(w, ifname, l) == 0)
                                        ours = true;
                        }
                ret->all_interfaces = !named;
                return ours || !named;
        }
        for (size_t i = 1; i < a->n; i++) {
                const char *s = a->v[i];

                if (strcmp(s, "-k") == 0 || strcmp(s, "--release") == 0 || strcmp(s, "-x") == 0 ||
                    strcmp(s, "--exit") == 0 || strcmp(s, "-U") == 0 || strcmp(s, "--dumplease") == 0 ||
                    strcmp(s, "--version") == 0)
                        control = true;
                if (dhcpcd_takes_value(s)) {
                        i++;
                        continue;
                }
                positional(s, ifname, &named, &ours);
        }
        if (control)
                return 0; /* talks to a running dhcpcd and exits */
        ret->all_interfaces = !named;
        return ours || !named;
}

static int classify_udhcpc(const Args *a, size_t first, const char *ifname) {
        const char *iface = "eth0";

        for (size_t i = first; i < a->n; i++) {
                const char *s = a->v[i];

                if ((strcmp(s, "-i") == 0 || strcmp(s, "--interface") == 0) && i + 1 < a->n)
                        iface = a->v[++i];
                else if (strncmp(s, "--interface=", 12) == 0)
                        iface = s + 12;
                else if (strncmp(s, "-i", 2) == 0 && s[2])
                        iface = s + 2;
        }
        return strcmp(iface, ifname) == 0;
}

static int classify_infradhcpd(const Args *a, const char *ifname) {
        const char *last = NULL;

        for (size_t i = 1; i < a->n; i++) {
                const char *s = a->v[i];

                if (in_list(s, infradhcpd_value_opts, ELEMENTSOF(infradhcpd_value_opts))) {
                        i++;
                        continue;
                }
                if (s[0] != '-')
                        last = s;
        }
        return last && strcmp(last, ifname) == 0;
}

int doctor_proc_classify(const char *comm, const char *cmdline, size_t len, const char *ifname, DoctorProc *ret) {
        Args a;
        const char *argv0;

        if (!comm || !ifname || !ret || (!cmdline && len > 0))
                return -EINVAL;
        *ret = (DoctorProc){};
        split_cmdline(cmdline, len, &a);
        argv0 = a.n > 0 ? base_name(a.v[0]) : "";

        if (strcmp(comm, "NetworkManager") == 0) {
                ret->kind = DOCTOR_PROC_NETWORKMANAGER;
                return 0;
        }
        if (strcmp(comm, "systemd-network") == 0 || strcmp(argv0, "systemd-networkd") == 0) {
                ret->kind = DOCTOR_PROC_NETWORKD;
                return 0;
        }
        if (strcmp(comm, "dhclient") == 0) {
                ret->kind = DOCTOR_PROC_DHCLIENT;
                return classify_dhclient(&a, ifname, ret);
        }
        if (strcmp(comm, "dhcpcd") == 0) {
                ret->kind = DOCTOR_PROC_DHCPCD;
                return classify_dhcpcd(&a, ifname, ret);
        }
        if (strcmp(comm, "udhcpc") == 0 || strcmp(argv0, "udhcpc") == 0 ||
            (strcmp(comm, "busybox") == 0 && a.n > 1 && strcmp(a.v[1], "udhcpc") == 0)) {
                ret->kind = DOCTOR_PROC_UDHCPC;
                return classify_udhcpc(&a, strcmp(argv0, "udhcpc") == 0 ? 1 : 2, ifname);
        }
        if (strcmp(comm, "infradhcpd") == 0) {
                ret->kind = DOCTOR_PROC_INFRADHCPD;
                return classify_infradhcpd(&a, ifname);
        }
        return 0;
}
