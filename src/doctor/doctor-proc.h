/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which running process manages IPv4 on an interface, from its name (comm) and
 * command line (/proc/PID/cmdline, NUL-separated). Pure; the edge walks /proc.
 *
 * - dhclient: the interfaces are its non-option arguments; none means every
 *   broadcast interface. NetworkManager's dhclient plugin runs it with
 *   "-sf .../nm-dhcp-helper" (or a pid file under NetworkManager's directory): that
 *   one belongs to NM and goes away when NM stops managing the device.
 * - dhcpcd: non-option arguments; none means manager mode for every interface. Its
 *   privilege-separated processes rename themselves "dhcpcd: [manager] ..." or
 *   "dhcpcd: IF [ip4]": the title is read instead.
 * - udhcpc (busybox): -i IF / --interface=IF, default eth0.
 * - infradhcpd: its last non-option argument.
 * - NetworkManager and systemd-networkd are recognised (kind only): whether they
 *   manage the interface is decided from their configuration.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum DoctorProcKind {
        DOCTOR_PROC_OTHER,
        DOCTOR_PROC_DHCLIENT,
        DOCTOR_PROC_DHCPCD,
        DOCTOR_PROC_UDHCPC,
        DOCTOR_PROC_INFRADHCPD,
        DOCTOR_PROC_NETWORKMANAGER,
        DOCTOR_PROC_NETWORKD,
        _DOCTOR_PROC_MAX,
} DoctorProcKind;

typedef struct DoctorProc {
        DoctorProcKind kind;
        bool all_interfaces; /* no interface named: manages every interface */
        bool owned_by_nm;    /* dhclient started by NetworkManager */
} DoctorProc;

const char *doctor_proc_kind_to_string(DoctorProcKind k);

/* Classifies the process. Returns 1 when it is a DHCP client or infradhcpd that
 * manages ifname, 0 when not (ret->kind still says what it is), -EINVAL for NULL. */
int doctor_proc_classify(const char *comm, const char *cmdline, size_t len, const char *ifname, DoctorProc *ret);
