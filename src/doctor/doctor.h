/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpctl doctor: finds every other manager of IPv4 on the infra interface,
 * explains each with the exact fix, applies the reversible ones (--fix) and reverts
 * them (--undo). This is the edge: it reads files (under an optional root, for
 * checking a prepared tree), /proc, rtnetlink, infradhcpd's varlink status and, when
 * one runs, NetworkManager and systemd-networkd over the system bus; the rules live in
 * the pure doctor-*.c modules. docs/doctor.md documents every check.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct DoctorOptions {
        const char *ifname;
        const char *root;        /* NULL or "": the running system; else a file tree (no D-Bus) */
        const char *state_dir;   /* undo records in <state_dir>/doctor; NULL: <root>/var/lib/infradhcp */
        const char *runtime_dir; /* infradhcpd's varlink sockets */
        const char *opflex_dir;  /* NULL: <root>/usr/local/etc/opflex-agent-ovs/base-conf.d */
        /* Describe the interface instead of reading it (a file tree checked offline):
         * has_mac → mac; vlan_id > 0 → a VLAN on parent. */
        bool has_mac;
        uint8_t mac[6];
        int vlan_id;
        const char *parent;
        bool fix;
        bool undo;
        bool json;
} DoctorOptions;

/* Exit status of the doctor. */
enum {
        DOCTOR_EXIT_CLEAN = 0,    /* nothing else manages IPv4 on the interface */
        DOCTOR_EXIT_PROBLEMS = 1, /* problems found (after --fix: problems left) */
        DOCTOR_EXIT_UNCHECKED = 2 /* something could not be checked */
};

/* Runs the checks (and --fix or --undo) and prints the report. Returns an exit status. */
int doctor_run(const DoctorOptions *o);
