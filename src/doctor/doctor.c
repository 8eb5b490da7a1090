/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * infradhcpctl doctor (see doctor.h): gathers facts, runs each check, prints findings,
 * applies and records fixes, and undoes them. Decisions come from the pure modules;
 * this file only reads, writes and talks to other daemons.
 *
 * Every fix is recorded in <state-dir>/doctor/IFNAME.json before the next one is
 * applied (files with their previous content, the device's previous NM "Managed"
 * value, the command line of a stopped process, an added route, a removed address),
 * so --undo can restore exactly that, newest first. A file that changed since doctor
 * wrote it is left alone and named.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include "agent-opflex.h"
#include "conf-files.h"
#include "doctor-ifupdown.h"
#include "doctor-lease.h"
#include "doctor-netplan.h"
#include "doctor-networkd.h"
#include "doctor-nm.h"
#include "doctor-proc.h"
#include "doctor-socket.h"
#include "doctor.h"
#include "fileio.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "rtnl.h"
#include "time-util.h"
#include "varlink.h"

#define FILE_MAX (4U * 1024U * 1024U)
#define MCAST_METRIC 401
#define NM_BUS "org.freedesktop.NetworkManager"
#define NM_PATH "/org/freedesktop/NetworkManager"
#define NM_DEVICE_IFACE "org.freedesktop.NetworkManager.Device"
#define NETWORKD_BUS "org.freedesktop.network1"
#define IFUPDOWN_FILES_MAX 64

/* Hands a pointer over and clears the variable (the new owner consumes it). */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _tp = (p);                                                           \
                (p) = NULL;                                                                        \
                _tp;                                                                               \
        })

typedef enum Status { STATUS_OK, STATUS_INFO, STATUS_PROBLEM, STATUS_ERROR } Status;

typedef enum FixKind {
        FIX_NONE,
        FIX_NM_UNMANAGE,        /* conf.d drop-in + runtime Managed=false */
        FIX_NETWORKD_UNMANAGED, /* .network with Unmanaged=yes, then networkd reload */
        FIX_NETPLAN_OVERRIDE,   /* /etc/netplan/99-infradhcp-IF.yaml dhcp4: false */
        FIX_IFUPDOWN_MANUAL,    /* iface IF inet dhcp → manual */
        FIX_STOP_PROCESS,       /* SIGTERM */
        FIX_MCAST_ROUTE,        /* add 224.0.0.0/4 */
        FIX_ADDRESS_DEL,        /* remove an address that is not infradhcpd's */
        FIX_LEASE_SET_ASIDE,    /* another client's lease file renamed to FILE.infradhcp-doctor */
        FIX_OPFLEX_REWRITE,     /* opflex peer / vxlan remote-ip set (line 1: base, 2: renderer) */
} FixKind;

/* The name a lease file is set aside under: no reader's *.lease / *.leases. */
#define LEASE_ASIDE_SUFFIX ".infradhcp-doctor"

typedef struct Finding {
        const char *check;
        Status status;
        char *source;
        char *message;
        char *fix;
        FixKind autofix;
        char *path;     /* file to write (root included) */
        char *content;  /* its content */
        unsigned line;  /* ifupdown */
        pid_t pid;      /* process */
        RtnlAddr addr;  /* address */
        bool applied;
} Finding;

typedef struct Doctor {
        const DoctorOptions *o;
        const char *root;
        char *state_dir;
        DoctorLink link;
        int ifindex;
        bool link_ok;
        Rtnl *rtnl;
        sd_bus *bus;
        bool bus_tried;
        /* infradhcpd */
        bool daemon_running, daemon_has_address;
        pid_t daemon_pid;
        struct in_addr daemon_address;
        uint8_t daemon_prefixlen;
        bool lease_known; /* from the daemon or its lease file */
        /* processes */
        bool nm_running, networkd_running;
        NmConfig nm;
        bool nm_config_loaded;
        Finding *f;
        size_t n_f;
} Doctor;

/* ------------------------------------------------------------------------- */
/* Helpers */

static char *rootp(const Doctor *d, const char *path) {
        char *p;

        if (asprintf(&p, "%s%s", d->root, path) < 0)
                return NULL;
        return p;
}

static bool exists(const Doctor *d, const char *path) {
        _cleanup_(freep) char *p = rootp(d, path);

        return p && access(p, F_OK) == 0;
}

/* Strips the root prefix for display. */
static const char *shown(const Doctor *d, const char *path) {
        size_t l = strlen(d->root);

        return l > 0 && strncmp(path, d->root, l) == 0 ? path + l : path;
}

static Finding *add(Doctor *d, const char *check, Status status, const char *source, const char *fix,
                    const char *fmt, ...) _printf_(6, 7);

static Finding *add(Doctor *d, const char *check, Status status, const char *source, const char *fix,
                    const char *fmt, ...) {
        Finding *nf, *f;
        va_list ap;
        int r;

        nf = realloc(d->f, (d->n_f + 1) * sizeof(*d->f));
        if (!nf)
                return NULL;
        d->f = nf;
        f = &d->f[d->n_f++];
        *f = (Finding){ .check = check, .status = status, .pid = -1 };
        f->source = source ? strdup(source) : NULL;
        f->fix = fix ? strdup(fix) : NULL;
        va_start(ap, fmt);
        r = vasprintf(&f->message, fmt, ap);
        va_end(ap);
        if (r < 0)
                f->message = NULL;
        return f;
}

static void findings_free(Doctor *d) {
        for (size_t i = 0; i < d->n_f; i++) {
                free(d->f[i].source);
                free(d->f[i].message);
                free(d->f[i].fix);
                free(d->f[i].path);
                free(d->f[i].content);
        }
        free(d->f);
        d->f = NULL;
        d->n_f = 0;
}

static char *strdupf(const char *fmt, ...) _printf_(1, 2);
static char *strdupf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static int read_text(const char *path, char **ret, size_t *ret_len) {
        return read_file_full(path, FILE_MAX, ret, ret_len);
}

static bool unit_enabled(const Doctor *d, const char *unit) {
        static const char *const wants[] = { "multi-user.target.wants", "network-online.target.wants",
                                             "sockets.target.wants", "sysinit.target.wants",
                                             "network.target.wants" };
        for (size_t i = 0; i < ELEMENTSOF(wants); i++) {
                _cleanup_(freep) char *p = strdupf("/etc/systemd/system/%s/%s", wants[i], unit);
                if (p && exists(d, p))
                        return true;
        }
        return false;
}

static sd_bus *bus(Doctor *d) {
        if (d->root[0])
                return NULL; /* a file tree has no bus */
        if (!d->bus_tried) {
                d->bus_tried = true;
                if (sd_bus_open_system(&d->bus) < 0)
                        d->bus = NULL;
        }
        return d->bus;
}

static bool bus_has_name(Doctor *d, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus *b = bus(d);
        int has = 0;

        if (!b || sd_bus_call_method(b, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameHasOwner", NULL, &reply, "s", name) < 0)
                return false;
        return sd_bus_message_read(reply, "b", &has) >= 0 && has;
}

/* ------------------------------------------------------------------------- */
/* Facts: the link, infradhcpd, processes */

/* infradhcpctl doctor --link-vlan (and --link-parent) describe the link as the VLAN it
 * is on the node, whatever the kernel says (the files are matched against the VLAN). */
static void link_apply_vlan_option(Doctor *d) {
        if (d->o->vlan_id <= 0)
                return;
        doctor_strlcpy(d->link.kind, sizeof(d->link.kind), "vlan");
        d->link.vlan_id = (uint16_t)d->o->vlan_id;
        doctor_strlcpy(d->link.parent, sizeof(d->link.parent), d->o->parent ? d->o->parent : "");
}

static int gather_link(Doctor *d) {
        RtnlLink l, parent;
        int r;

        r = rtnl_new(&d->rtnl);
        if (r < 0)
                return r;
        r = rtnl_link_get_by_name(d->rtnl, d->o->ifname, &l);
        if (r == -ENODEV && d->o->has_mac) {
                /* Described on the command line: only the files can be checked. */
                doctor_strlcpy(d->link.name, sizeof(d->link.name), d->o->ifname);
                memcpy(d->link.mac, d->o->mac, 6);
                d->link.has_mac = true;
                link_apply_vlan_option(d);
                return 0;
        }
        if (r < 0)
                return r;
        d->ifindex = l.ifindex;
        doctor_strlcpy(d->link.name, sizeof(d->link.name), l.name);
        memcpy(d->link.mac, l.mac, 6);
        d->link.has_mac = l.has_mac;
        doctor_strlcpy(d->link.kind, sizeof(d->link.kind), l.kind);
        d->link.vlan_id = l.vlan_id;
        if (strcmp(l.kind, "vlan") == 0 && l.parent_ifindex > 0 &&
            rtnl_link_get_by_index(d->rtnl, l.parent_ifindex, &parent) >= 0)
                doctor_strlcpy(d->link.parent, sizeof(d->link.parent), parent.name);
        if (d->o->has_mac) {
                memcpy(d->link.mac, d->o->mac, 6);
                d->link.has_mac = true;
        }
        link_apply_vlan_option(d);
        d->link_ok = true;
        return 0;
}

static int on_status(VarlinkClient *c, const VarlinkReply *reply, void *userdata) {
        Doctor *d = userdata;
        json_object *a, *p;

        if (reply->error)
                return 0;
        if (json_object_object_get_ex(reply->parameters, "address", &a) &&
            json_object_object_get_ex(reply->parameters, "prefixlen", &p) &&
            parse_ipv4(json_object_get_string(a), &d->daemon_address) >= 0) {
                d->daemon_prefixlen = (uint8_t)json_object_get_int(p);
                d->daemon_has_address = true;
                d->lease_known = true;
        }
        return 0;
}

static void gather_daemon(Doctor *d) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        _cleanup_(freep) char *path = NULL, *lease = NULL, *text = NULL;
        struct ucred cred;
        socklen_t sl = sizeof(cred);
        size_t len;

        if (d->link_ok && asprintf(&path, "%s/%s/io.infradhcp.Client", d->o->runtime_dir, d->o->ifname) >= 0 &&
            varlink_client_connect(&c, path, 5 * USEC_PER_SEC) >= 0) {
                d->daemon_running = true;
                if (getsockopt(varlink_client_get_fd(c), SOL_SOCKET, SO_PEERCRED, &cred, &sl) >= 0)
                        d->daemon_pid = cred.pid;
                (void)varlink_client_call(c, "io.infradhcp.Client.GetStatus", NULL, 0, 5 * USEC_PER_SEC, on_status,
                                          d);
        }
        if (d->lease_known)
                return;
        /* Not running (or a tree): the lease it persisted. */
        lease = strdupf("%s/%s.lease", d->state_dir, d->o->ifname);
        if (lease && read_text(lease, &text, &len) >= 0) {
                DhclientLease l;
                if (sd_lease_parse(text, len, &l) >= 0 && l.has_address) {
                        d->daemon_address = l.address;
                        d->lease_known = true;
                }
        }
}

static bool same_netns(pid_t pid, const struct stat *self) {
        char p[64];
        struct stat st;

        snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
        if (stat(p, &st) < 0)
                return false;
        return st.st_ino == self->st_ino && st.st_dev == self->st_dev;
}

static int read_proc(pid_t pid, const char *what, char **ret, size_t *ret_len) {
        char p[128];

        snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, what);
        return read_file_full(p, 128 * 1024, ret, ret_len);
}

static char *cmdline_display(const char *cmdline, size_t len) {
        char *s = malloc(len + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < len; i++)
                s[i] = cmdline[i] ? cmdline[i] : ' ';
        while (len > 0 && s[len - 1] == ' ')
                len--;
        s[len] = '\0';
        return s;
}

/* The DHCPv4 client sockets on the interface in this network namespace's tables
 * (doctor-socket.h): NetworkManager's and networkd's internal clients have no
 * process of their own. */
#define SOCKETS_MAX 64

static size_t client_sockets(Doctor *d, DoctorSocket *out, size_t max) {
        _cleanup_(freep) char *packet = NULL, *udp = NULL;
        RtnlAddr addrs[64];
        struct in_addr a[64];
        size_t len, n = 0, na = 0;

        if (!d->link_ok)
                return 0;
        if (read_file_full("/proc/self/net/packet", FILE_MAX, &packet, &len) >= 0)
                (void)doctor_socket_parse_packet(packet, len, d->ifindex, out, max, &n);
        if (rtnl_addr_list(d->rtnl, d->ifindex, addrs, ELEMENTSOF(addrs), &na) >= 0 && na > 0 &&
            read_file_full("/proc/self/net/udp", FILE_MAX, &udp, &len) >= 0) {
                na = MIN(na, ELEMENTSOF(addrs));
                for (size_t i = 0; i < na; i++)
                        a[i] = addrs[i].address;
                (void)doctor_socket_parse_udp(udp, len, a, na, out, max, &n);
        }
        return n;
}

/* The first of socks[] that pid holds (/proc/PID/fd), or NULL. */
static const DoctorSocket *pid_client_socket(pid_t pid, const DoctorSocket *socks, size_t n) {
        char path[64];
        DIR *dir;
        struct dirent *de;
        const DoctorSocket *found = NULL;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        dir = opendir(path);
        if (!dir)
                return NULL;
        while (!found && (de = readdir(dir))) {
                char target[64];
                ssize_t l = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
                uint64_t inode;

                if (l <= 0)
                        continue;
                target[l] = '\0';
                if (strncmp(target, "socket:[", 8) != 0 || target[l - 1] != ']')
                        continue;
                target[l - 1] = '\0';
                if (parse_u64(target + 8, &inode) >= 0)
                        found = doctor_socket_find(socks, n, inode);
        }
        closedir(dir);
        return found;
}

static char *nm_fix_text(const Doctor *d);
static void nm_fix_finding(Doctor *d, Finding *f);

/* A process that is no DHCP client by name but holds one's socket on the interface. */
static void check_client_socket(Doctor *d, pid_t pid, const char *comm, DoctorProcKind kind,
                                const DoctorSocket *socks, size_t n) {
        const DoctorSocket *s = n > 0 ? pid_client_socket(pid, socks, n) : NULL;
        _cleanup_(freep) char *src = NULL, *what = NULL, *fix = NULL;
        char a[INET_ADDRSTRLEN];
        Finding *f;

        if (!s)
                return;
        src = strdupf("pid %d", (int)pid);
        if (s->kind == DOCTOR_SOCKET_PACKET)
                what = strdupf("a packet socket bound to %s for IPv4: it is asking for a lease", d->o->ifname);
        else
                what = strdupf("a UDP socket on %s:68: it holds a lease on %s and renews it",
                               inet_ntop(AF_INET, &s->local, a, sizeof(a)) ?: "?", d->o->ifname);
        switch (kind) {
        case DOCTOR_PROC_NETWORKMANAGER:
                fix = nm_fix_text(d);
                f = add(d, "process", STATUS_PROBLEM, src, fix,
                        "NetworkManager runs its internal DHCPv4 client on %s (%s)", d->o->ifname, what);
                nm_fix_finding(d, f);
                break;
        case DOCTOR_PROC_NETWORKD:
                fix = strdupf("make systemd-networkd leave %s alone (see the networkd finding: a .network file "
                              "with [Link] Unmanaged=yes)",
                              d->o->ifname);
                add(d, "process", STATUS_PROBLEM, src, fix, "systemd-networkd runs its DHCPv4 client on %s (%s)",
                    d->o->ifname, what);
                break;
        default:
                fix = strdupf("find out what started %s (pid %d) and stop it managing %s", comm, (int)pid,
                              d->o->ifname);
                add(d, "process", STATUS_PROBLEM, src, fix, "%s (pid %d) runs a DHCPv4 client on %s (%s)", comm,
                    (int)pid, d->o->ifname, what);
                break;
        }
}

static void check_processes(Doctor *d) {
        struct stat self;
        DIR *dir;
        struct dirent *de;
        unsigned n_infradhcpd = 0;
        DoctorSocket socks[SOCKETS_MAX];
        size_t n_socks = client_sockets(d, socks, ELEMENTSOF(socks));

        if (stat("/proc/self/ns/net", &self) < 0 || !(dir = opendir("/proc"))) {
                add(d, "process", STATUS_ERROR, "/proc", NULL, "cannot read /proc: %s", strerror(errno));
                return;
        }
        while ((de = readdir(dir))) {
                _cleanup_(freep) char *comm = NULL, *cmdline = NULL, *shown_cmd = NULL;
                size_t clen = 0, cl = 0;
                DoctorProc p;
                uint32_t pid32;
                pid_t pid;
                int m;

                if (parse_u32(de->d_name, &pid32) < 0 || pid32 == (uint32_t)getpid())
                        continue;
                pid = (pid_t)pid32;
                if (read_proc(pid, "comm", &comm, &cl) < 0 || read_proc(pid, "cmdline", &cmdline, &clen) < 0)
                        continue;
                if (cl > 0 && comm[cl - 1] == '\n')
                        comm[cl - 1] = '\0';
                m = doctor_proc_classify(comm, cmdline, clen, d->o->ifname, &p);
                if (p.kind == DOCTOR_PROC_OTHER && n_socks == 0)
                        continue;
                /* A process in another network namespace manages another interface. */
                if (!same_netns(pid, &self))
                        continue;
                if (p.kind == DOCTOR_PROC_NETWORKMANAGER)
                        d->nm_running = true;
                if (p.kind == DOCTOR_PROC_NETWORKD)
                        d->networkd_running = true;
                if (m <= 0) {
                        /* Named clients of other interfaces, NM, networkd, anything else:
                         * by the sockets they hold. infradhcpd's own are its to hold. */
                        if (p.kind != DOCTOR_PROC_INFRADHCPD)
                                check_client_socket(d, pid, comm, p.kind, socks, n_socks);
                        continue;
                }
                shown_cmd = cmdline_display(cmdline, clen);
                if (p.kind == DOCTOR_PROC_INFRADHCPD) {
                        n_infradhcpd++;
                        if (d->daemon_running && d->daemon_pid == pid)
                                continue;
                        if (!d->daemon_running && n_infradhcpd == 1) {
                                add(d, "process", STATUS_INFO, NULL, NULL,
                                    "infradhcpd (pid %d) runs for %s but its control socket is not in %s", (int)pid,
                                    d->o->ifname, d->o->runtime_dir);
                                continue;
                        }
                }
                {
                        _cleanup_(freep) char *src = strdupf("pid %d", (int)pid);
                        _cleanup_(freep) char *fix = NULL;
                        Finding *f;

                        if (p.owned_by_nm)
                                fix = strdupf("make NetworkManager leave %s alone (see the NetworkManager finding); "
                                              "NetworkManager then stops this dhclient itself",
                                              d->o->ifname);
                        else
                                fix = strdupf("kill %d%s", (int)pid,
                                              p.kind == DOCTOR_PROC_DHCLIENT ? " (dhclient -x: stop without release)"
                                                                             : "");
                        f = add(d, "process", STATUS_PROBLEM, src, fix, "%s%s: %s (%s)",
                                p.kind == DOCTOR_PROC_INFRADHCPD ? "a second " : "",
                                doctor_proc_kind_to_string(p.kind),
                                p.kind == DOCTOR_PROC_INFRADHCPD ? "two daemons fight over the interface"
                                : p.all_interfaces ? "runs on every interface, this one included"
                                                   : "runs a DHCP client on this interface",
                                shown_cmd ? shown_cmd : "?");
                        if (f && !p.owned_by_nm) {
                                f->autofix = FIX_STOP_PROCESS;
                                f->pid = pid;
                        }
                }
        }
        closedir(dir);
        if (!d->daemon_running && n_infradhcpd == 0) {
                _cleanup_(freep) char *fix = strdupf("systemctl enable --now infradhcpd@%s (or run: infradhcpd %s)",
                                                     d->o->ifname, d->o->ifname);
                add(d, "infradhcpd", STATUS_INFO, NULL, fix, "infradhcpd is not running on %s", d->o->ifname);
        }
}

/* ------------------------------------------------------------------------- */
/* systemd-networkd */

static const char *const networkd_dirs[] = {
        "/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network",
        "/usr/lib/systemd/network", "/lib/systemd/network",
};

/* Loads the file and its drop-ins; *ret_dhcp_source names the text that set DHCP=. */
static int networkd_load(Doctor *d, const ConfFile *cf, NetworkdNetwork *n, char **ret_error,
                         char **ret_dhcp_source) {
        _cleanup_(freep) char *text = NULL;
        ConfFile *dropins = NULL;
        size_t len, nd = 0;
        unsigned line = 0;
        const char *why = NULL;
        int r;

        r = read_text(cf->path, &text, &len);
        if (r < 0) {
                *ret_error = strdupf("%s: %s", shown(d, cf->path), strerror(-r));
                return r;
        }
        r = networkd_network_parse(n, text, len, &line, &why);
        if (r < 0) {
                *ret_error = strdupf("%s:%u: %s", shown(d, cf->path), line, why ? why : strerror(-r));
                return r;
        }
        if (n->dhcp >= 0)
                *ret_dhcp_source = strdupf("%s:%u", shown(d, cf->path), n->dhcp_line);
        r = conf_files_list_dropins(d->root, networkd_dirs, ELEMENTSOF(networkd_dirs), cf->name, ".conf", &dropins,
                                    &nd);
        for (size_t i = 0; r >= 0 && i < nd; i++) {
                _cleanup_(freep) char *dt = NULL;
                size_t dl;

                if (dropins[i].masked)
                        continue;
                r = read_text(dropins[i].path, &dt, &dl);
                if (r >= 0)
                        r = networkd_network_parse(n, dt, dl, &line, &why);
                if (r >= 0 && n->dhcp_text == n->n_parsed && n->dhcp >= 0) {
                        free(*ret_dhcp_source);
                        *ret_dhcp_source = strdupf("%s:%u", shown(d, dropins[i].path), n->dhcp_line);
                }
                if (r < 0)
                        *ret_error = strdupf("%s:%u: %s", shown(d, dropins[i].path), line, why ? why : strerror(-r));
        }
        conf_files_free(dropins, nd);
        return r;
}

static void check_networkd(Doctor *d) {
        ConfFile *files = NULL;
        size_t n = 0;
        bool in_use = d->networkd_running || unit_enabled(d, "systemd-networkd.service");
        int r;

        r = conf_files_list(d->root, networkd_dirs, ELEMENTSOF(networkd_dirs), ".network", &files, &n);
        if (r < 0) {
                add(d, "networkd", STATUS_ERROR, NULL, NULL, "cannot list .network files: %s", strerror(-r));
                return;
        }
        for (size_t i = 0; i < n; i++) {
                NetworkdNetwork net;
                _cleanup_(freep) char *err = NULL, *src = NULL, *fix = NULL, *path = NULL, *content = NULL,
                                      *dhcp_src = NULL;
                char name[300], body[1024];
                NetworkdVerdict v;
                Finding *f;

                if (files[i].masked)
                        continue;
                networkd_network_init(&net);
                if (networkd_load(d, &files[i], &net, &err, &dhcp_src) < 0) {
                        add(d, "networkd", STATUS_ERROR, NULL, NULL, "cannot parse %s", err ? err : "?");
                        networkd_network_done(&net);
                        continue;
                }
                if (!networkd_network_matches(&net, &d->link)) {
                        networkd_network_done(&net);
                        continue;
                }
                v = networkd_network_verdict(&net);
                src = strdupf("%s%s", shown(d, files[i].path), "");
                if (v == NETWORKD_VERDICT_UNMANAGED) {
                        add(d, "networkd", STATUS_OK, src, NULL, "systemd-networkd leaves %s alone (Unmanaged=yes)",
                            d->o->ifname);
                        networkd_network_done(&net);
                        break;
                }
                if (networkd_unmanaged_file_name(d->o->ifname, files[i].name, name, sizeof(name)) < 0 ||
                    networkd_unmanaged_file_format(d->o->ifname, body, sizeof(body)) < 0) {
                        add(d, "networkd", STATUS_PROBLEM, src,
                            "add a .network file with [Match] Name=IF and [Link] Unmanaged=yes that sorts before it",
                            "systemd-networkd manages %s and no file name sorts before %s", d->o->ifname,
                            files[i].name);
                        networkd_network_done(&net);
                        break;
                }
                path = strdupf("%s/etc/systemd/network/%s", d->root, name);
                content = strdup(body);
                fix = strdupf("create /etc/systemd/network/%s with \"[Match] Name=%s\" and \"[Link] Unmanaged=yes\" "
                              "(it sorts before %s, so networkd uses it), then run: networkctl reload",
                              name, d->o->ifname, files[i].name);
                if (v == NETWORKD_VERDICT_DHCP && dhcp_src) {
                        free(src);
                        src = TAKE_PTR(dhcp_src);
                }
                f = add(d, "networkd", in_use ? STATUS_PROBLEM : STATUS_INFO, src, fix, "%s%s%s",
                        v == NETWORKD_VERDICT_DHCP
                                ? "systemd-networkd runs DHCPv4 on this interface (DHCP=yes|ipv4) and removes "
                                  "addresses and routes it did not add"
                        : v == NETWORKD_VERDICT_KEEPS
                                ? "systemd-networkd manages this interface (KeepConfiguration= keeps infradhcpd's "
                                  "address, but it still owns the link)"
                                : "systemd-networkd manages this interface and removes addresses and routes it did "
                                  "not add (infradhcpd's address and 224.0.0.0/4 route)",
                        net.assumed[0] ? "; [Match] " : "", net.assumed[0] ? net.assumed : "");
                if (f && net.assumed[0]) {
                        char *m = strdupf("%s (could not be checked, assumed to match)", f->message);
                        if (m) {
                                free(f->message);
                                f->message = m;
                        }
                }
                if (f && !in_use) {
                        char *m = strdupf("%s; networkd is neither running nor enabled", f->message);
                        if (m) {
                                free(f->message);
                                f->message = m;
                        }
                }
                if (f) {
                        f->autofix = FIX_NETWORKD_UNMANAGED;
                        f->path = TAKE_PTR(path);
                        f->content = TAKE_PTR(content);
                }
                networkd_network_done(&net);
                break; /* the first matching file decides */
        }
        conf_files_free(files, n);
}

/* ------------------------------------------------------------------------- */
/* NetworkManager */

static const char *const nm_conf_dirs[] = {
        "/etc/NetworkManager/conf.d", "/run/NetworkManager/conf.d", "/usr/lib/NetworkManager/conf.d",
};
static const char *const nm_connection_dirs[] = {
        "/etc/NetworkManager/system-connections", "/run/NetworkManager/system-connections",
        "/usr/lib/NetworkManager/system-connections",
};

static void nm_conf_apply(Doctor *d, const char *path) {
        _cleanup_(freep) char *text = NULL;
        size_t len;
        unsigned line = 0;
        const char *why = NULL;

        if (read_text(path, &text, &len) < 0)
                return;
        if (nm_config_parse(&d->nm, text, len, shown(d, path), &line, &why) < 0)
                add(d, "networkmanager", STATUS_ERROR, NULL, NULL, "cannot parse %s:%u: %s", shown(d, path), line,
                    why ? why : "?");
}

/* NetworkManager.conf(5): conf.d of /usr/lib and /run, NetworkManager.conf, conf.d of
 * /etc; a name in /etc shadows the same name elsewhere. */
static void nm_load_config(Doctor *d) {
        ConfFile *files = NULL;
        size_t n = 0;
        _cleanup_(freep) char *main_conf = rootp(d, "/etc/NetworkManager/NetworkManager.conf");

        nm_config_done(&d->nm);
        nm_config_init(&d->nm);
        d->nm_config_loaded = true;
        if (conf_files_list(d->root, nm_conf_dirs, ELEMENTSOF(nm_conf_dirs), ".conf", &files, &n) < 0)
                n = 0;
        for (size_t i = 0; i < n; i++)
                if (files[i].dir_index != 0 && !files[i].masked)
                        nm_conf_apply(d, files[i].path);
        if (main_conf)
                nm_conf_apply(d, main_conf);
        for (size_t i = 0; i < n; i++)
                if (files[i].dir_index == 0 && !files[i].masked)
                        nm_conf_apply(d, files[i].path);
        conf_files_free(files, n);
}

typedef struct NmLive {
        bool on_bus;
        bool found;
        bool managed;
        uint32_t state;
        bool dhcp4;
        char connection[128];
        char path[256];
} NmLive;

static void nm_live(Doctor *d, NmLive *live) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus *b;
        const char *path = NULL;
        int managed = 0;
        char *dhcp = NULL, *ac = NULL;

        *live = (NmLive){};
        if (!bus_has_name(d, NM_BUS))
                return;
        b = bus(d);
        live->on_bus = true;
        if (sd_bus_call_method(b, NM_BUS, NM_PATH, NM_BUS, "GetDeviceByIpIface", NULL, &reply, "s", d->o->ifname) < 0 ||
            sd_bus_message_read(reply, "o", &path) < 0)
                return;
        live->found = true;
        doctor_strlcpy(live->path, sizeof(live->path), path);
        if (sd_bus_get_property_trivial(b, NM_BUS, live->path, NM_DEVICE_IFACE, "Managed", NULL, 'b', &managed) >= 0)
                live->managed = managed;
        (void)sd_bus_get_property_trivial(b, NM_BUS, live->path, NM_DEVICE_IFACE, "State", NULL, 'u', &live->state);
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                const char *o;
                if (sd_bus_get_property(b, NM_BUS, live->path, NM_DEVICE_IFACE, "Dhcp4Config", NULL, &m, "o") >= 0 &&
                    sd_bus_message_read(m, "o", &o) >= 0)
                        live->dhcp4 = strcmp(o, "/") != 0;
        }
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                const char *o;
                if (sd_bus_get_property(b, NM_BUS, live->path, NM_DEVICE_IFACE, "ActiveConnection", NULL, &m, "o") >=
                            0 &&
                    sd_bus_message_read(m, "o", &o) >= 0 && strcmp(o, "/") != 0 &&
                    sd_bus_get_property_string(b, NM_BUS, o, "org.freedesktop.NetworkManager.Connection.Active", "Id",
                                               NULL, &ac) >= 0) {
                        doctor_strlcpy(live->connection, sizeof(live->connection), ac);
                        free(ac);
                }
        }
        free(dhcp);
}

static const char *nm_state_name(uint32_t s) {
        switch (s) {
        case 10: return "unmanaged";
        case 20: return "unavailable";
        case 30: return "disconnected";
        case 40: return "preparing";
        case 50: return "configuring";
        case 60: return "needs-auth";
        case 70: return "getting IP configuration";
        case 80: return "checking IP connectivity";
        case 90: return "waiting for secondaries";
        case 100: return "activated";
        case 110: return "deactivating";
        case 120: return "failed";
        default: return "unknown";
        }
}

static void nm_fix_finding(Doctor *d, Finding *f) {
        char body[1024];

        if (!f || nm_unmanaged_conf_format(d->o->ifname, body, sizeof(body)) < 0)
                return;
        f->autofix = FIX_NM_UNMANAGE;
        f->path = strdupf("%s/etc/NetworkManager/conf.d/99-infradhcp-%s.conf", d->root, d->o->ifname);
        f->content = strdup(body);
}

static char *nm_fix_text(const Doctor *d) {
        return strdupf("create /etc/NetworkManager/conf.d/99-infradhcp-%s.conf with \"[keyfile] "
                       "unmanaged-devices+=interface-name:%s\", then run: nmcli general reload conf; "
                       "nmcli device set %s managed no",
                       d->o->ifname, d->o->ifname, d->o->ifname);
}

static void nm_check_profiles(Doctor *d, bool in_use, const char *fix, bool *ret_any) {
        ConfFile *files = NULL;
        size_t n = 0;
        bool ifcfg = nm_config_has_plugin(&d->nm, "ifcfg-rh", exists(d, "/etc/sysconfig/network-scripts"));

        *ret_any = false;
        if (conf_files_list(d->root, nm_connection_dirs, ELEMENTSOF(nm_connection_dirs), NULL, &files, &n) < 0)
                n = 0;
        for (size_t i = 0; i < n + 1; i++) {
                /* The last round reads the ifcfg-rh directory. */
                ConfFile *list = files;
                size_t ln = n;
                ConfFile *ifc = NULL;
                size_t nifc = 0;
                static const char *const ifcfg_dir[] = { "/etc/sysconfig/network-scripts" };

                if (i < n) {
                        list = &files[i];
                        ln = 1;
                } else {
                        if (!ifcfg || conf_files_list(d->root, ifcfg_dir, 1, NULL, &ifc, &nifc) < 0)
                                break;
                        list = ifc;
                        ln = nifc;
                }
                for (size_t j = 0; j < ln; j++) {
                        _cleanup_(freep) char *text = NULL, *src = NULL;
                        NmConnection c;
                        size_t len;
                        unsigned line = 0;
                        const char *why = NULL;
                        int r;

                        if (list[j].masked || nm_keyfile_name_ignored(list[j].name))
                                continue;
                        if (i == n && strncmp(list[j].name, "ifcfg-", 6) != 0)
                                continue;
                        if (read_text(list[j].path, &text, &len) < 0)
                                continue;
                        r = i < n ? nm_keyfile_parse(&c, text, len, &line, &why)
                                  : nm_ifcfg_parse(&c, text, len, list[j].name, &line, &why);
                        if (r < 0) {
                                add(d, "networkmanager", STATUS_ERROR, NULL, NULL, "cannot parse %s:%u: %s",
                                    shown(d, list[j].path), line, why ? why : "?");
                                continue;
                        }
                        if (!nm_connection_matches(&c, &d->link)) {
                                if (c.ifcfg && !c.nm_controlled &&
                                    strcmp(c.interface_name, d->o->ifname) == 0 && nm_connection_dhcp(&c))
                                        add(d, "ifcfg", STATUS_PROBLEM, shown(d, list[j].path),
                                            "set BOOTPROTO=none in this file",
                                            "NM_CONTROLLED=no with BOOTPROTO=dhcp: the legacy network-scripts run "
                                            "dhclient on %s at ifup",
                                            d->o->ifname);
                                continue;
                        }
                        *ret_any = true;
                        if (c.method_line)
                                src = strdupf("%s:%u", shown(d, list[j].path), c.method_line);
                        else
                                src = strdup(shown(d, list[j].path));
                        nm_fix_finding(d, add(d, "networkmanager", in_use ? STATUS_PROBLEM : STATUS_INFO, src, fix,
                                              "profile '%s' applies to this interface%s%s%s", c.id,
                                              nm_connection_dhcp(&c) ? " with ipv4.method auto: NetworkManager runs "
                                                                       "DHCPv4 there"
                                                                     : ": NetworkManager manages the device",
                                              nm_connection_autoconnect(&c) ? " (autoconnect)" : " (no autoconnect)",
                                              in_use ? "" : "; NetworkManager is neither running nor enabled"));
                }
                conf_files_free(ifc, nifc);
                if (i == n)
                        break;
        }
        conf_files_free(files, n);
}

static void check_nm(Doctor *d) {
        _cleanup_(freep) char *fix = nm_fix_text(d);
        const char *unmanaged_by = NULL;
        bool installed = exists(d, "/etc/NetworkManager/NetworkManager.conf") || exists(d, "/usr/sbin/NetworkManager");
        bool in_use, any_profile, unmanaged;
        NmLive live;

        nm_load_config(d);
        nm_live(d, &live);
        in_use = d->nm_running || live.on_bus || unit_enabled(d, "NetworkManager.service");
        if (!installed && !in_use)
                return;
        if (d->nm_running && !live.on_bus && !d->root[0])
                add(d, "networkmanager", STATUS_ERROR, NULL, NULL,
                    "NetworkManager runs but is not reachable on the system bus: its live state was not checked");
        unmanaged = nm_config_unmanages(&d->nm, &d->link, &unmanaged_by);
        if (live.found && live.managed) {
                Finding *f = add(d, "networkmanager", STATUS_PROBLEM, "D-Bus", fix,
                                 "NetworkManager manages %s now (state %s%s%s%s)%s", d->o->ifname,
                                 nm_state_name(live.state), live.connection[0] ? ", connection '" : "",
                                 live.connection, live.connection[0] ? "'" : "",
                                 live.dhcp4 ? "; its DHCPv4 client is running" : "");
                nm_fix_finding(d, f);
        }
        if (unmanaged) {
                if (!live.found || !live.managed)
                        add(d, "networkmanager", STATUS_OK, unmanaged_by, NULL, "NetworkManager leaves %s alone",
                            d->o->ifname);
                return;
        }
        nm_check_profiles(d, in_use, fix, &any_profile);
        if (!any_profile && (strcmp(doctor_link_nm_type(&d->link), "vlan") != 0) &&
            !nm_config_no_auto_default(&d->nm, &d->link) && !(live.found && !live.managed))
                nm_fix_finding(d, add(d, "networkmanager", in_use ? STATUS_PROBLEM : STATUS_INFO, NULL, fix,
                                      "no profile applies, so NetworkManager creates an automatic \"Wired "
                                      "connection\" with DHCPv4 for this interface (no-auto-default does not cover "
                                      "it)%s",
                                      in_use ? "" : "; NetworkManager is neither running nor enabled"));
}

/* ------------------------------------------------------------------------- */
/* netplan and cloud-init */

static const char *const netplan_dirs[] = { "/run/netplan", "/etc/netplan", "/lib/netplan" };
#define CLOUD_INIT_NETPLAN "50-cloud-init.yaml"

/* Merges the netplan files; with cloud_init, replaces 50-cloud-init.yaml by what
 * cloud-init would render. Returns 0, or < 0 after adding an error finding. */
static int netplan_load(Doctor *d, NetplanState *s, const CloudInitState *ci, const char *seed, size_t seed_len,
                        const char *seed_source, const char *extra_name, const char *extra_text) {
        ConfFile *files = NULL;
        size_t n = 0;
        bool ci_done = !ci;
        bool extra_done = !extra_name;
        int r;

        netplan_state_init(s);
        r = conf_files_list(d->root, netplan_dirs, ELEMENTSOF(netplan_dirs), ".yaml", &files, &n);
        if (r < 0) {
                add(d, "netplan", STATUS_ERROR, NULL, NULL, "cannot list netplan files: %s", strerror(-r));
                return r;
        }
        for (size_t i = 0; i <= n && r >= 0; i++) {
                _cleanup_(freep) char *text = NULL;
                size_t len;
                unsigned line = 0;
                const char *why = NULL;
                const char *name = i < n ? files[i].name : NULL;

                if (!ci_done && (!name || strcmp(name, CLOUD_INIT_NETPLAN) >= 0)) {
                        ci_done = true;
                        r = cloud_init_netplan_add(s, ci, seed, seed_len, seed_source, &why);
                        if (r < 0) {
                                add(d, "cloud-init", STATUS_ERROR, seed_source ? seed_source : ci->network_source,
                                    NULL, "cannot read cloud-init's network configuration: %s", why ? why : "?");
                                break;
                        }
                        r = 0;
                        if (name && strcmp(name, CLOUD_INIT_NETPLAN) == 0)
                                continue;
                }
                if (!extra_done && (!name || strcmp(name, extra_name) >= 0)) {
                        extra_done = true;
                        r = netplan_state_add(s, extra_text, strlen(extra_text), extra_name, &line, &why);
                        if (name && strcmp(name, extra_name) == 0)
                                continue;
                }
                if (!name)
                        break;
                if (files[i].masked)
                        continue;
                r = read_text(files[i].path, &text, &len);
                if (r >= 0)
                        r = netplan_state_add(s, text, len, shown(d, files[i].path), &line, &why);
                if (r < 0)
                        add(d, "netplan", STATUS_ERROR, NULL, NULL, "cannot parse %s:%u: %s", shown(d, files[i].path),
                            line, why ? why : strerror(-r));
        }
        conf_files_free(files, n);
        if (r < 0)
                netplan_state_done(s);
        return r;
}

static void netplan_fix_finding(Doctor *d, Finding *f, const NetplanDef *def) {
        char body[2048], name[128];
        NetplanState check;
        NetplanDef after;

        /* An id too long to keep cannot be named by an override: the finding stays manual. */
        if (!f || def->id_truncated || netplan_override_format(def->type, def->id, d->o->ifname, body, sizeof(body)) < 0)
                return;
        snprintf(name, sizeof(name), "99-infradhcp-%s.yaml", d->o->ifname);
        /* Prove the override wins before offering it. */
        if (netplan_load(d, &check, NULL, NULL, 0, NULL, name, body) < 0)
                return;
        if (netplan_state_find(&check, &d->link, &after) > 0 && after.dhcp4 == 0) {
                f->autofix = FIX_NETPLAN_OVERRIDE;
                f->path = strdupf("%s/etc/netplan/%s", d->root, name);
                f->content = strdup(body);
        }
        netplan_state_done(&check);
}

static void check_netplan(Doctor *d) {
        NetplanState s;
        NetplanDef def;
        _cleanup_(freep) char *fix = NULL;

        if (netplan_load(d, &s, NULL, NULL, 0, NULL, NULL, NULL) < 0)
                return;
        if (netplan_state_find(&s, &d->link, &def) > 0 && def.dhcp4 == 1) {
                fix = strdupf("create /etc/netplan/99-infradhcp-%s.yaml (mode 0600) with \"network: {version: 2, "
                              "%s: {%s: {dhcp4: false}}}\" (later files override earlier ones); it takes effect at "
                              "the next netplan apply or boot",
                              d->o->ifname, def.type, def.id);
                netplan_fix_finding(d, add(d, "netplan", STATUS_PROBLEM, def.dhcp4_source, fix,
                                           "netplan enables DHCPv4 on %s (%s: %s, renderer %s)", d->o->ifname,
                                           def.type, def.id, def.renderer),
                                    &def);
        }
        netplan_state_done(&s);
}

static void check_cloud_init(Doctor *d) {
        CloudInitState ci;
        ConfFile *files = NULL;
        size_t n = 0;
        static const char *const cfg_dir[] = { "/etc/cloud/cloud.cfg.d" };
        static const char *const seeds[] = { "/var/lib/cloud/seed/nocloud/network-config",
                                             "/var/lib/cloud/seed/nocloud-net/network-config" };
        _cleanup_(freep) char *main_cfg = rootp(d, "/etc/cloud/cloud.cfg"), *seed = NULL, *seed_path = NULL;
        size_t seed_len = 0;
        bool netplan_renderer = exists(d, "/etc/netplan") || exists(d, "/usr/sbin/netplan");

        if (!main_cfg || access(main_cfg, F_OK) < 0)
                return;
        if (exists(d, "/etc/cloud/cloud-init.disabled")) {
                add(d, "cloud-init", STATUS_OK, "/etc/cloud/cloud-init.disabled", NULL, "cloud-init is disabled");
                return;
        }
        cloud_init_state_init(&ci);
        if (conf_files_list(d->root, cfg_dir, 1, ".cfg", &files, &n) < 0)
                n = 0;
        for (size_t i = 0; i <= n; i++) {
                _cleanup_(freep) char *text = NULL;
                const char *path = i == 0 ? main_cfg : files[i - 1].path;
                size_t len;
                unsigned line = 0;
                const char *why = NULL;

                if (read_text(path, &text, &len) < 0)
                        continue;
                if (cloud_init_state_add_cfg(&ci, text, len, shown(d, path), &line, &why) < 0)
                        add(d, "cloud-init", STATUS_ERROR, NULL, NULL, "cannot parse %s:%u: %s", shown(d, path), line,
                            why ? why : "?");
        }
        conf_files_free(files, n);
        if (ci.disabled) {
                add(d, "cloud-init", STATUS_OK, ci.disabled_source, NULL, "cloud-init's network configuration is "
                                                                          "disabled");
                cloud_init_state_done(&ci);
                return;
        }
        /* cloud.cfg's network: wins over the data source's. */
        if (!ci.network)
                for (size_t i = 0; i < ELEMENTSOF(seeds) && !seed; i++) {
                        _cleanup_(freep) char *p = rootp(d, seeds[i]);
                        if (p && read_text(p, &seed, &seed_len) >= 0)
                                seed_path = strdup(seeds[i]);
                }
        if (!ci.network && !seed) {
                cloud_init_state_done(&ci);
                return;
        }
        if (netplan_renderer) {
                NetplanState s;
                NetplanDef def;

                if (netplan_load(d, &s, &ci, seed, seed_len, seed_path, NULL, NULL) >= 0) {
                        if (netplan_state_find(&s, &d->link, &def) > 0 && def.dhcp4 == 1) {
                                _cleanup_(freep) char *fix = strdupf(
                                        "create /etc/netplan/99-infradhcp-%s.yaml with \"network: {version: 2, %s: "
                                        "{%s: {dhcp4: false}}}\": a separate file that sorts after "
                                        CLOUD_INIT_NETPLAN " survives cloud-init's rewrites (or disable cloud-init's "
                                        "network config: echo 'network: {config: disabled}' > "
                                        "/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg)",
                                        d->o->ifname, def.type, def.id);
                                netplan_fix_finding(
                                        d,
                                        add(d, "cloud-init", STATUS_PROBLEM, def.dhcp4_source, fix,
                                            "cloud-init's network configuration enables DHCPv4 on %s and renders "
                                            "/etc/netplan/" CLOUD_INIT_NETPLAN " from it (again on later boots for "
                                            "some data sources): edits to that file do not last",
                                            d->o->ifname),
                                        &def);
                        }
                        netplan_state_done(&s);
                }
        } else {
                /* Rendered as NetworkManager profiles (RHEL): the NM check covers the
                 * profile once it exists; unmanaged-devices covers every future one. */
                if (!d->nm_config_loaded)
                        nm_load_config(d);
                if (!nm_config_unmanages(&d->nm, &d->link, NULL)) {
                        _cleanup_(freep) char *fix = nm_fix_text(d);
                        nm_fix_finding(d, add(d, "cloud-init", STATUS_INFO, ci.network ? ci.network_source : seed_path,
                                              fix,
                                              "cloud-init renders its network configuration as NetworkManager "
                                              "profiles at boot; only unmanaged-devices keeps NetworkManager away "
                                              "from %s for good",
                                              d->o->ifname));
                }
        }
        cloud_init_state_done(&ci);
}

/* ------------------------------------------------------------------------- */
/* ifupdown */

typedef struct IfupdownCtx {
        Doctor *d;
        char *queue[IFUPDOWN_FILES_MAX];
        size_t n;
        const char *current;
} IfupdownCtx;

static int ifupdown_queue(IfupdownCtx *c, const char *path) {
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->queue[i], path) == 0)
                        return 0;
        if (c->n >= IFUPDOWN_FILES_MAX)
                return 0;
        c->queue[c->n] = strdup(path);
        if (!c->queue[c->n])
                return -ENOMEM;
        c->n++;
        return 0;
}

static int on_include(IfupdownInclude kind, const char *arg, unsigned line, void *userdata) {
        IfupdownCtx *c = userdata;
        _cleanup_(freep) char *pattern = NULL, *dir = NULL;
        const char *slash;

        /* Relative to the directory of the file that includes it. */
        slash = strrchr(c->current, '/');
        dir = slash ? strndup(c->current, (size_t)(slash - c->current)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        if (arg[0] == '/')
                pattern = strdupf("%s%s", c->d->root, arg);
        else
                pattern = strdupf("%s/%s", dir, arg);
        if (!pattern)
                return -ENOMEM;
        if (kind == IFUPDOWN_SOURCE) {
                glob_t g;
                if (glob(pattern, 0, NULL, &g) == 0) {
                        for (size_t i = 0; i < g.gl_pathc; i++)
                                ifupdown_queue(c, g.gl_pathv[i]);
                        globfree(&g);
                }
        } else {
                struct dirent **names;
                int n = scandir(pattern, &names, NULL, alphasort);
                for (int i = 0; i < n; i++) {
                        if (ifupdown_run_parts_name(names[i]->d_name)) {
                                _cleanup_(freep) char *p = strdupf("%s/%s", pattern, names[i]->d_name);
                                if (p)
                                        ifupdown_queue(c, p);
                        }
                        free(names[i]);
                }
                if (n >= 0)
                        free(names);
        }
        return 0;
}

static void check_ifupdown(Doctor *d) {
        IfupdownCtx c = { .d = d };
        _cleanup_(freep) char *main_file = rootp(d, "/etc/network/interfaces");

        if (!main_file || access(main_file, F_OK) < 0)
                return;
        ifupdown_queue(&c, main_file);
        for (size_t i = 0; i < c.n; i++) {
                _cleanup_(freep) char *text = NULL, *src = NULL, *fix = NULL;
                IfupdownResult res;
                size_t len;
                unsigned line = 0;
                Finding *f;

                if (read_text(c.queue[i], &text, &len) < 0)
                        continue;
                c.current = c.queue[i];
                if (ifupdown_scan(text, len, d->o->ifname, &res, on_include, &c, &line) < 0) {
                        add(d, "ifupdown", STATUS_ERROR, NULL, NULL, "cannot parse %s:%u", shown(d, c.queue[i]), line);
                        continue;
                }
                if (res.dhcp_line == 0)
                        continue;
                src = strdupf("%s:%u", shown(d, c.queue[i]), res.dhcp_line);
                fix = strdupf("in %s line %u change \"iface %s inet dhcp\" to \"iface %s inet manual\"",
                              shown(d, c.queue[i]), res.dhcp_line, d->o->ifname, d->o->ifname);
                f = add(d, "ifupdown", STATUS_PROBLEM, src, fix,
                        "ifupdown starts a DHCP client on %s at ifup%s", d->o->ifname,
                        res.autostart ? " (and brings it up at boot)" : "");
                if (f) {
                        f->autofix = FIX_IFUPDOWN_MANUAL;
                        f->path = strdup(c.queue[i]);
                        f->line = res.dhcp_line;
                }
        }
        for (size_t i = 0; i < c.n; i++)
                free(c.queue[i]);
}

/* ------------------------------------------------------------------------- */
/* The link itself: addresses, multicast route */

static void check_link_state(Doctor *d) {
        RtnlAddr addrs[64];
        size_t n = 0;
        RtnlRoute route = { .ifindex = d->ifindex, .dst_len = 4, .metric = MCAST_METRIC };
        int r;

        if (!d->link_ok)
                return; /* described, not present */
        route.dst.s_addr = htonl(0xe0000000);
        r = rtnl_addr_list(d->rtnl, d->ifindex, addrs, ELEMENTSOF(addrs), &n);
        if (r < 0) {
                add(d, "address", STATUS_ERROR, NULL, NULL, "cannot list addresses: %s", strerror(-r));
                return;
        }
        for (size_t i = 0; i < MIN(n, ELEMENTSOF(addrs)); i++) {
                char a[INET_ADDRSTRLEN], src[64], fix[320];
                Finding *f;

                if (d->lease_known && addrs[i].address.s_addr == d->daemon_address.s_addr)
                        continue;
                inet_ntop(AF_INET, &addrs[i].address, a, sizeof(a));
                snprintf(src, sizeof(src), "%s/%u", a, addrs[i].prefixlen);
                snprintf(fix, sizeof(fix), "ip addr del %s/%u dev %s (infradhcpd also removes it at its next bind)", a,
                         addrs[i].prefixlen, d->o->ifname);
                if (!d->lease_known) {
                        add(d, "address", STATUS_INFO, src, NULL,
                            "%s/%u is on %s; infradhcpd has no lease, so it cannot say whose it is", a,
                            addrs[i].prefixlen, d->o->ifname);
                        continue;
                }
                f = add(d, "address", STATUS_PROBLEM, src, fix, "%s/%u on %s is not infradhcpd's address (%s)%s", a,
                        addrs[i].prefixlen, d->o->ifname, inet_ntoa(d->daemon_address),
                        addrs[i].valid_sec == RTNL_LIFETIME_INFINITY ? "" : ", it has a lifetime: a DHCP client's");
                if (f) {
                        f->autofix = FIX_ADDRESS_DEL;
                        f->addr = addrs[i];
                }
        }
        if (d->lease_known) {
                r = rtnl_route_exists(d->rtnl, &route);
                if (r == 0) {
                        _cleanup_(freep) char *fix = strdupf(
                                "ip route add 224.0.0.0/4 dev %s proto static scope link metric %d (infradhcpd "
                                "keeps it unless [Routes] MulticastRoute=no)",
                                d->o->ifname, MCAST_METRIC);
                        Finding *f = add(d, "multicast-route", STATUS_PROBLEM, NULL, fix,
                                         "224.0.0.0/4 dev %s metric %d is missing (opflex-agent's VXLAN multicast "
                                         "needs it)",
                                         d->o->ifname, MCAST_METRIC);
                        if (f)
                                f->autofix = FIX_MCAST_ROUTE;
                } else if (r < 0)
                        add(d, "multicast-route", STATUS_ERROR, NULL, NULL, "cannot read routes: %s", strerror(-r));
        }
}

/* ------------------------------------------------------------------------- */
/* Other clients' lease files, opflex files */

static void lease_set_aside_finding(Doctor *d, Finding *f, const char *path) {
        if (!f || !d->lease_known)
                return;
        f->autofix = FIX_LEASE_SET_ASIDE;
        f->path = strdup(path);
}

static void check_lease_file(Doctor *d, const char *path) {
        _cleanup_(freep) char *text = NULL, *set_aside = NULL;
        Finding *f = NULL;
        DhclientLease leases[64];
        size_t len, n = 0;
        unsigned line = 0;
        const char *why = NULL;
        uint8_t ours[7] = { 0x01 };
        char got[200], want[32], src[512];
        int i;

        if (read_text(path, &text, &len) < 0)
                return;
        if (dhclient_leases_parse(text, len, leases, ELEMENTSOF(leases), &n, &line, &why) < 0) {
                add(d, "client-id", STATUS_ERROR, NULL, NULL, "cannot parse %s:%u: %s", shown(d, path), line, why);
                return;
        }
        i = dhclient_leases_pick(leases, MIN(n, ELEMENTSOF(leases)), d->o->ifname);
        if (i < 0)
                return;
        memcpy(ours + 1, d->link.mac, 6);
        dhclient_client_id_format(ours, 7, want, sizeof(want));
        snprintf(src, sizeof(src), "%s:%u", shown(d, path), leases[i].line);
        /* With infradhcpd's lease known the file is not its export (whose newest block is
         * its lease): set it aside so readers of the directory see infradhcpd's. */
        set_aside = d->lease_known ? strdupf("; --fix renames %s to %s" LEASE_ASIDE_SUFFIX " (--undo renames it back)",
                                             shown(d, path), shown(d, path))
                                   : strdup("");
        if (leases[i].client_id_len == 0)
                f = add(d, "client-id", STATUS_PROBLEM, src, NULL,
                        "the newest dhclient lease for %s (the one ACI's host agent reads) was obtained without a "
                        "client identifier; infradhcpd sends %s, so the fabric sees two different clients",
                        d->o->ifname, want);
        else if (leases[i].client_id_len != 7 || memcmp(leases[i].client_id, ours, 7) != 0)
                f = add(d, "client-id", STATUS_PROBLEM, src, NULL,
                        "the newest dhclient lease for %s has client identifier %s, infradhcpd sends %s",
                        d->o->ifname,
                        dhclient_client_id_format(leases[i].client_id, leases[i].client_id_len, got, sizeof(got)),
                        want);
        if (f)
                f->fix = strdupf("%s%s",
                                 leases[i].client_id_len == 0
                                         ? "add \"send dhcp-client-identifier = hardware;\" to /etc/dhcp/dhclient.conf "
                                           "for any dhclient that still runs here (infradhcpd always sends 01:<MAC>)"
                                         : "remove the stale lease file, or make the other client send 01:<MAC> "
                                           "(dhclient.conf: send dhcp-client-identifier = hardware;)",
                                 set_aside ? set_aside : "");
        lease_set_aside_finding(d, f, path);
        if (d->lease_known && leases[i].has_address && leases[i].address.s_addr != d->daemon_address.s_addr) {
                char a[INET_ADDRSTRLEN];
                _cleanup_(freep) char *fix = strdupf("remove or replace the stale file: ACI's host agent computes the "
                                                     "opflex anycast addresses from it%s",
                                                     set_aside ? set_aside : "");

                inet_ntop(AF_INET, &leases[i].address, a, sizeof(a));
                f = add(d, "client-id", STATUS_PROBLEM, src, fix,
                        "the newest dhclient lease for %s says fixed-address %s, but infradhcpd's address is %s",
                        d->o->ifname, a, inet_ntoa(d->daemon_address));
                lease_set_aside_finding(d, f, path);
        }
}

static void check_lease_files(Doctor *d) {
        static const char *const patterns[] = {
                "/var/lib/dhclient/*.lease", "/var/lib/dhclient/*.leases", "/var/lib/dhcp/*.leases",
                "/var/lib/NetworkManager/dhclient-*.lease",
        };
        for (size_t p = 0; p < ELEMENTSOF(patterns); p++) {
                _cleanup_(freep) char *pat = rootp(d, patterns[p]);
                glob_t g;

                if (!pat || glob(pat, 0, NULL, &g) != 0)
                        continue;
                for (size_t i = 0; i < g.gl_pathc; i++)
                        check_lease_file(d, g.gl_pathv[i]);
                globfree(&g);
        }
}

static const char *json_path_string(json_object *o, const char *const *keys, size_t n) {
        for (size_t i = 0; i < n; i++) {
                json_object *v;
                if (!json_object_object_get_ex(o, keys[i], &v))
                        return NULL;
                o = v;
        }
        return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static void check_opflex_file(Doctor *d, const char *dir, const char *file, const char *want, bool base) {
        _cleanup_(freep) char *path = strdupf("%s/%s", dir, file), *text = NULL;
        json_object *o;
        const char *have = NULL;
        size_t len;

        if (!path || read_text(path, &text, &len) < 0)
                return;
        o = json_tokener_parse(text);
        if (!o) {
                add(d, "opflex", STATUS_PROBLEM, shown(d, path), "infradhcp-agent rewrites it (atomically)",
                    "%s is not valid JSON", file);
                return;
        }
        if (base) {
                json_object *opflex, *peers, *p0;
                if (json_object_object_get_ex(o, "opflex", &opflex) &&
                    json_object_object_get_ex(opflex, "peers", &peers) && json_object_is_type(peers, json_type_array) &&
                    (p0 = json_object_array_get_idx(peers, 0)))
                        have = json_path_string(p0, (const char *const[]){ "hostname" }, 1);
        } else
                have = json_path_string(o,
                                        (const char *const[]){ "renderers", "stitched-mode", "encap", "vxlan",
                                                               "remote-ip" },
                                        5);
        if (have && strcmp(have, want) != 0) {
                _cleanup_(freep) char *fix = strdupf(
                        "infradhcp-agent rewrites it right after each address change (restart infradhcp-agent to "
                        "reconcile now); --fix sets %s to %s in it now, every other field kept, atomically",
                        base ? "opflex.peers[0].hostname" : "renderers.stitched-mode.encap.vxlan.remote-ip", want);
                Finding *f = add(d, "opflex", STATUS_PROBLEM, shown(d, path), fix, "%s has %s %s, but %s/%u needs %s",
                                 file, base ? "opflex peer" : "vxlan remote-ip", have, inet_ntoa(d->daemon_address),
                                 d->daemon_prefixlen, want);
                if (f) {
                        f->autofix = FIX_OPFLEX_REWRITE;
                        f->path = strdup(path);
                        f->content = strdup(want);
                        f->line = base ? 1 : 2;
                }
        }
        json_object_put(o);
}

static void check_opflex(Doctor *d) {
        _cleanup_(freep) char *dir = NULL;
        struct in_addr peer, remote;
        char p[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

        if (!d->daemon_has_address)
                return;
        dir = d->o->opflex_dir ? strdup(d->o->opflex_dir) : rootp(d, "/usr/local/etc/opflex-agent-ovs/base-conf.d");
        if (!dir)
                return;
        agent_anycast(d->daemon_address, d->daemon_prefixlen, &peer, &remote);
        inet_ntop(AF_INET, &peer, p, sizeof(p));
        inet_ntop(AF_INET, &remote, r, sizeof(r));
        check_opflex_file(d, dir, AGENT_OPFLEX_BASE_CONF, p, true);
        check_opflex_file(d, dir, AGENT_OPFLEX_RENDERER_CONF, r, false);
}

/* ------------------------------------------------------------------------- */
/* Running all checks */

static void run_checks(Doctor *d) {
        findings_free(d);
        gather_daemon(d);
        if (d->link_ok)
                check_processes(d); /* a described interface has no processes */
        check_nm(d);
        check_networkd(d);
        check_netplan(d);
        check_cloud_init(d);
        check_ifupdown(d);
        check_link_state(d);
        check_lease_files(d);
        check_opflex(d);
}

/* ------------------------------------------------------------------------- */
/* The undo record */

static char *record_path(const Doctor *d) {
        return strdupf("%s/doctor/%s.json", d->state_dir, d->o->ifname);
}

static json_object *record_load(const Doctor *d) {
        _cleanup_(freep) char *path = record_path(d), *text = NULL;
        json_object *o = NULL, *a;
        size_t len;

        if (path && read_text(path, &text, &len) >= 0)
                o = json_tokener_parse(text);
        if (!o || !json_object_object_get_ex(o, "actions", &a) || !json_object_is_type(a, json_type_array)) {
                json_object_put(o);
                o = json_build_object("interface", json_object_new_string(d->o->ifname),
                                      "actions", json_object_new_array(), NULL);
        }
        return o;
}

static int record_save(const Doctor *d, json_object *rec) {
        _cleanup_(freep) char *path = record_path(d), *dir = strdupf("%s/doctor", d->state_dir);
        const char *s;
        int r;

        if (!path || !dir)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        s = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        return write_file_atomic(path, s, strlen(s), 0600);
}

/* Appends action (consumed; NULL: its construction failed) and saves the record. A
 * fix is applied only after its undo is recorded: -ENOMEM here means not at all. */
static int record_append(const Doctor *d, json_object *rec, json_object *action) {
        json_object *a = NULL;
        int r;

        (void) json_object_object_get_ex(rec, "actions", &a);
        r = json_append(a, action);
        if (r < 0)
                return r;
        return record_save(d, rec);
}

/* An action of the record: {"type": type, key, value, ...}; NULL on failure. */
#define action_new(type, ...) json_build_object("type", json_object_new_string(type), __VA_ARGS__)

/* ------------------------------------------------------------------------- */
/* Applying fixes */

static int nm_reload(Doctor *d) {
        sd_bus *b = bus(d);

        if (!b || !bus_has_name(d, NM_BUS))
                return 0;
        /* NM_MANAGER_RELOAD_FLAG_CONF: re-read NetworkManager.conf and conf.d. */
        return sd_bus_call_method(b, NM_BUS, NM_PATH, NM_BUS, "Reload", NULL, NULL, "u", 1u);
}

static int nm_set_managed(Doctor *d, bool managed, bool *ret_previous) {
        NmLive live;
        int r;

        nm_live(d, &live);
        if (!live.found)
                return 0;
        if (ret_previous)
                *ret_previous = live.managed;
        if (live.managed == managed)
                return 0;
        r = sd_bus_set_property(bus(d), NM_BUS, live.path, NM_DEVICE_IFACE, "Managed", NULL, "b", (int)managed);
        return r < 0 ? r : 1;
}

/* A device NetworkManager stops managing is deconfigured and set down (NM's cleanup
 * of an activated device). infradhcpd needs the link: bring it back up once NM is
 * done, so the daemon confirms its lease (INIT-REBOOT) and puts its address and route
 * back. Waits up to 3 s for NM to act. */
static void nm_keep_link_up(Doctor *d) {
        bool was_down = false;

        for (int i = 0; i < 30; i++) {
                RtnlLink l;

                if (rtnl_link_get_by_index(d->rtnl, d->ifindex, &l) < 0)
                        return;
                if (!(l.flags & IFF_UP)) {
                        was_down = true;
                        (void)rtnl_link_set_up(d->rtnl, d->ifindex, true);
                } else if (was_down && i >= 10)
                        return;
                usleep(100 * 1000);
        }
}

static int networkd_reload(Doctor *d) {
        sd_bus *b = bus(d);

        if (!b || !bus_has_name(d, NETWORKD_BUS))
                return d->networkd_running && !d->root[0] ? -EHOSTUNREACH : 0;
        return sd_bus_call_method(b, NETWORKD_BUS, "/org/freedesktop/network1", "org.freedesktop.network1.Manager",
                                  "Reload", NULL, NULL, "");
}

static bool file_has(const char *path, const char *content) {
        _cleanup_(freep) char *text = NULL;
        size_t len;

        return read_text(path, &text, &len) >= 0 && len == strlen(content) && memcmp(text, content, len) == 0;
}

static int write_new_file(Doctor *d, json_object *rec, const Finding *f, mode_t mode, const char *reload) {
        _cleanup_(freep) char *dir = NULL;
        json_object *a, *created;
        const char *slash;
        int r;

        if (access(f->path, F_OK) >= 0)
                return file_has(f->path, f->content) ? 0 : -EEXIST;
        slash = strrchr(f->path, '/');
        dir = strndup(f->path, (size_t)(slash - f->path));
        if (!dir)
                return -ENOMEM;
        /* The directories this creates, deepest first, so undo removes them again. */
        created = json_object_new_array();
        for (char *p = strdup(dir); p; ) {
                char *s;
                if (access(p, F_OK) >= 0 || strlen(p) <= strlen(d->root) + 1) {
                        free(p);
                        break;
                }
                if (json_append(created, json_object_new_string(p)) < 0) {
                        free(p);
                        json_object_put(created);
                        return -ENOMEM;
                }
                s = strrchr(p, '/');
                if (!s || s == p) {
                        free(p);
                        break;
                }
                *s = '\0';
        }
        r = mkdir_p(dir, 0755);
        if (r < 0) {
                json_object_put(created);
                return r;
        }
        /* Record first: a crash between the two leaves an undo that finds no file. */
        a = action_new("create-file", "created-directories", created, "path", json_object_new_string(f->path),
                       "content", json_object_new_string(f->content), NULL);
        if (reload && json_add(a, "reload", json_object_new_string(reload)) < 0) {
                json_object_put(a);
                a = NULL;
        }
        r = record_append(d, rec, a);
        if (r < 0)
                return r;
        return write_file_atomic(f->path, f->content, strlen(f->content), mode);
}

static int stop_process(Doctor *d, json_object *rec, pid_t pid) {
        _cleanup_(freep) char *cmdline = NULL;
        char cwd_link[64], cwd[4096];
        size_t len;
        ssize_t l;
        json_object *a, *argv;
        int r;

        if (read_proc(pid, "cmdline", &cmdline, &len) < 0)
                return -ESRCH;
        snprintf(cwd_link, sizeof(cwd_link), "/proc/%d/cwd", (int)pid);
        l = readlink(cwd_link, cwd, sizeof(cwd) - 1);
        cwd[l > 0 ? l : 0] = '\0';
        argv = json_object_new_array();
        for (size_t p = 0; argv && p < len;) {
                size_t n = strnlen(cmdline + p, len - p);
                if (json_append(argv, json_object_new_string_len(cmdline + p, (int)n)) < 0) {
                        json_object_put(argv);
                        argv = NULL; /* the action below fails */
                }
                p += n + 1;
        }
        a = action_new("stop-process", "pid", json_object_new_int(pid), "argv", argv,
                       "cwd", json_object_new_string(l > 0 ? cwd : "/"), NULL);
        r = record_append(d, rec, a);
        if (r < 0)
                return r;
        if (kill(pid, SIGTERM) < 0)
                return -errno;
        /* Wait for it to go (dhclient runs its STOP script first). */
        for (int i = 0; i < 100 && kill(pid, 0) == 0; i++) {
                _cleanup_(freep) char *stat_text = NULL;
                size_t sl;

                if (read_proc(pid, "stat", &stat_text, &sl) >= 0 && strstr(stat_text, ") Z "))
                        break; /* a zombie of someone else's: gone for our purposes */
                usleep(50 * 1000);
        }
        return 0;
}

static int apply_fix(Doctor *d, json_object *rec, Finding *f) {
        json_object *a;
        int r;

        switch (f->autofix) {
        case FIX_NM_UNMANAGE: {
                bool previous = false;
                NmLive before, live;

                nm_live(d, &before);
                r = write_new_file(d, rec, f, 0644, "NetworkManager");
                if (r < 0)
                        return r;
                /* Reloading the configuration usually unmanages the device already. */
                r = nm_reload(d);
                if (r < 0)
                        return r;
                nm_live(d, &live);
                if (live.found && live.managed) {
                        a = action_new("nm-managed", "device", json_object_new_string(d->o->ifname),
                                       "previous", json_object_new_boolean(true), NULL);
                        r = record_append(d, rec, a);
                        if (r < 0)
                                return r;
                        r = nm_set_managed(d, false, &previous);
                        if (r < 0)
                                return r;
                }
                if (before.found && before.managed)
                        nm_keep_link_up(d);
                return 0;
        }
        case FIX_NETWORKD_UNMANAGED:
                r = write_new_file(d, rec, f, 0644, "networkd");
                return r < 0 ? r : networkd_reload(d);
        case FIX_NETPLAN_OVERRIDE:
                return write_new_file(d, rec, f, 0600, NULL);
        case FIX_IFUPDOWN_MANUAL: {
                _cleanup_(freep) char *text = NULL, *out = NULL;
                size_t len, olen;
                struct stat st;

                r = read_text(f->path, &text, &len);
                if (r < 0)
                        return r;
                r = ifupdown_disable_dhcp(text, len, d->o->ifname, f->line, &out, &olen);
                if (r < 0)
                        return r;
                if (stat(f->path, &st) < 0)
                        return -errno;
                a = action_new("edit-file", "path", json_object_new_string(f->path),
                               "before", json_object_new_string_len(text, (int)len),
                               "after", json_object_new_string_len(out, (int)olen),
                               "mode", json_object_new_int((int)(st.st_mode & 07777)), NULL);
                r = record_append(d, rec, a);
                return r < 0 ? r : write_file_atomic(f->path, out, olen, st.st_mode & 07777);
        }
        case FIX_STOP_PROCESS:
                return stop_process(d, rec, f->pid);
        case FIX_MCAST_ROUTE: {
                RtnlRoute route = { .ifindex = d->ifindex, .dst_len = 4, .metric = MCAST_METRIC,
                                    .scope = RT_SCOPE_LINK, .protocol = RTPROT_STATIC };

                route.dst.s_addr = htonl(0xe0000000);
                a = action_new("add-route", "interface", json_object_new_string(d->o->ifname),
                               "destination", json_object_new_string("224.0.0.0/4"),
                               "metric", json_object_new_int(MCAST_METRIC), NULL);
                r = record_append(d, rec, a);
                return r < 0 ? r : rtnl_route_replace(d->rtnl, &route);
        }
        case FIX_ADDRESS_DEL: {
                char s[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

                inet_ntop(AF_INET, &f->addr.address, s, sizeof(s));
                inet_ntop(AF_INET, &f->addr.broadcast, b, sizeof(b));
                a = action_new("remove-address", "interface", json_object_new_string(d->o->ifname),
                               "address", json_object_new_string(s),
                               "prefixlen", json_object_new_int(f->addr.prefixlen),
                               "broadcast", json_object_new_string(b),
                               "valid", json_object_new_int64(f->addr.valid_sec),
                               "preferred", json_object_new_int64(f->addr.preferred_sec), NULL);
                r = record_append(d, rec, a);
                if (r < 0)
                        return r;
                r = rtnl_addr_del(d->rtnl, d->ifindex, f->addr.address, f->addr.prefixlen);
                return r < 0 ? r : 0;
        }
        case FIX_LEASE_SET_ASIDE: {
                _cleanup_(freep) char *to = strdupf("%s" LEASE_ASIDE_SUFFIX, f->path);

                if (!to)
                        return -ENOMEM;
                if (access(to, F_OK) >= 0)
                        return -EEXIST; /* set aside before and not undone: keep both */
                a = action_new("rename-file", "path", json_object_new_string(f->path), "to",
                               json_object_new_string(to), NULL);
                r = record_append(d, rec, a);
                if (r < 0)
                        return r;
                return rename(f->path, to) < 0 ? -errno : 0;
        }
        case FIX_OPFLEX_REWRITE: {
                _cleanup_(freep) char *text = NULL, *out = NULL;
                char err[256] = "";
                size_t len;
                struct stat st;

                r = read_text(f->path, &text, &len);
                if (r < 0)
                        return r;
                r = f->line == 1 ? agent_opflex_base_transform(text, len, f->content, &out, err, sizeof(err))
                                 : agent_opflex_renderer_transform(text, len, f->content, &out, err, sizeof(err));
                if (r <= 0)
                        return r; /* 0: it has the value by now */
                if (stat(f->path, &st) < 0)
                        return -errno;
                a = action_new("edit-file", "path", json_object_new_string(f->path),
                               "before", json_object_new_string_len(text, (int)len),
                               "after", json_object_new_string(out),
                               "mode", json_object_new_int((int)(st.st_mode & 07777)), NULL);
                r = record_append(d, rec, a);
                return r < 0 ? r : write_file_atomic(f->path, out, strlen(out), st.st_mode & 07777);
        }
        case FIX_NONE:
                break;
        }
        return 0;
}

/* Order: configuration first (so nothing restarts what we stop), then processes
 * (a dhclient would rewrite the lease file set aside next), lease files,
 * then the link, and the opflex files last (from the address left). Each distinct fix
 * once. */
static const FixKind fix_order[] = {
        FIX_NM_UNMANAGE, FIX_NETWORKD_UNMANAGED, FIX_NETPLAN_OVERRIDE, FIX_IFUPDOWN_MANUAL,
        FIX_STOP_PROCESS, FIX_LEASE_SET_ASIDE, FIX_ADDRESS_DEL, FIX_MCAST_ROUTE, FIX_OPFLEX_REWRITE,
};

static bool same_fix(const Finding *a, const Finding *b) {
        if (a->autofix != b->autofix)
                return false;
        if (a->path || b->path)
                return a->path && b->path && strcmp(a->path, b->path) == 0 && a->line == b->line;
        if (a->autofix == FIX_STOP_PROCESS)
                return a->pid == b->pid;
        if (a->autofix == FIX_ADDRESS_DEL)
                return a->addr.address.s_addr == b->addr.address.s_addr;
        return true;
}

static int apply_fixes(Doctor *d, unsigned *ret_applied, unsigned *ret_failed) {
        json_object *rec = record_load(d);

        *ret_applied = *ret_failed = 0;
        if (!rec)
                return -ENOMEM;
        for (size_t k = 0; k < ELEMENTSOF(fix_order); k++)
                for (size_t i = 0; i < d->n_f; i++) {
                        Finding *f = &d->f[i];
                        bool dup = false;
                        int r;

                        if (f->autofix != fix_order[k] || f->status != STATUS_PROBLEM)
                                continue;
                        for (size_t j = 0; j < i; j++)
                                if (d->f[j].applied && same_fix(&d->f[j], f))
                                        dup = true;
                        if (dup) {
                                f->applied = true;
                                continue;
                        }
                        r = apply_fix(d, rec, f);
                        if (r < 0) {
                                fprintf(stderr, "infradhcpctl doctor: fix for %s (%s) failed: %s\n", f->check,
                                        f->source ? f->source : f->message, strerror(-r));
                                (*ret_failed)++;
                                continue;
                        }
                        f->applied = true;
                        (*ret_applied)++;
                }
        json_object_put(rec);
        return 0;
}

/* ------------------------------------------------------------------------- */
/* Undo */

static int respawn(json_object *a) {
        json_object *argv, *cwd;
        size_t n;
        char **v;
        pid_t pid;

        if (!json_object_object_get_ex(a, "argv", &argv) || !json_object_is_type(argv, json_type_array) ||
            (n = json_object_array_length(argv)) == 0)
                return -EBADMSG;
        v = calloc(n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                v[i] = (char *)json_object_get_string(json_object_array_get_idx(argv, i));
        json_object_object_get_ex(a, "cwd", &cwd);
        pid = fork();
        if (pid < 0) {
                free(v);
                return -errno;
        }
        if (pid == 0) {
                /* Detached, like the daemon it was: new session, no terminal. */
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd >= 0) {
                        dup2(fd, 0);
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                setsid();
                if (cwd && chdir(json_object_get_string(cwd)) < 0 && chdir("/") < 0)
                        _exit(127);
                if (fork() > 0)
                        _exit(0);
                execvp(v[0], v);
                _exit(127);
        }
        free(v);
        waitpid(pid, NULL, 0);
        return 0;
}

static const char *jget(json_object *a, const char *key) {
        json_object *v;
        return json_object_object_get_ex(a, key, &v) ? json_object_get_string(v) : NULL;
}

static int undo_action(Doctor *d, json_object *a, char **ret_note) {
        const char *type = jget(a, "type"), *path = jget(a, "path");
        json_object *v;
        int r;

        if (!type)
                return -EBADMSG;
        if (strcmp(type, "create-file") == 0) {
                const char *content = jget(a, "content"), *reload = jget(a, "reload");

                if (!path || !content)
                        return -EBADMSG;
                if (access(path, F_OK) < 0)
                        *ret_note = strdupf("%s is already gone", shown(d, path));
                else if (!file_has(path, content)) {
                        *ret_note = strdupf("%s changed since doctor wrote it: left as it is", shown(d, path));
                        return -EEXIST;
                } else if (unlink(path) < 0)
                        return -errno;
                if (json_object_object_get_ex(a, "created-directories", &v) && json_object_is_type(v, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(v); i++)
                                (void)rmdir(json_object_get_string(json_object_array_get_idx(v, i)));
                if (reload && strcmp(reload, "NetworkManager") == 0)
                        return nm_reload(d);
                if (reload && strcmp(reload, "networkd") == 0)
                        return networkd_reload(d);
                return 0;
        }
        if (strcmp(type, "edit-file") == 0) {
                const char *before = jget(a, "before"), *after = jget(a, "after");
                json_object *mode;

                if (!path || !before || !after || !json_object_object_get_ex(a, "mode", &mode))
                        return -EBADMSG;
                if (!file_has(path, after)) {
                        *ret_note = strdupf("%s changed since doctor edited it: left as it is", shown(d, path));
                        return -EEXIST;
                }
                return write_file_atomic(path, before, strlen(before), (mode_t)json_object_get_int(mode));
        }
        if (strcmp(type, "rename-file") == 0) {
                const char *to = jget(a, "to");

                if (!path || !to)
                        return -EBADMSG;
                if (access(path, F_OK) >= 0) {
                        *ret_note = strdupf("%s exists again: %s left as it is", shown(d, path), shown(d, to));
                        return -EEXIST;
                }
                if (access(to, F_OK) < 0) {
                        *ret_note = strdupf("%s is gone", shown(d, to));
                        return 0;
                }
                return rename(to, path) < 0 ? -errno : 0;
        }
        if (strcmp(type, "nm-managed") == 0) {
                bool previous = json_object_object_get_ex(a, "previous", &v) && json_object_get_boolean(v);
                r = nm_set_managed(d, previous, NULL);
                return r < 0 ? r : 0;
        }
        if (strcmp(type, "stop-process") == 0)
                return respawn(a);
        if (strcmp(type, "add-route") == 0) {
                RtnlRoute route = { .ifindex = d->ifindex, .dst_len = 4, .metric = MCAST_METRIC };
                route.dst.s_addr = htonl(0xe0000000);
                r = rtnl_route_del(d->rtnl, &route);
                return r < 0 ? r : 0;
        }
        if (strcmp(type, "remove-address") == 0) {
                struct in_addr addr, brd = {};
                json_object *p, *va, *pr;

                if (!jget(a, "address") || parse_ipv4(jget(a, "address"), &addr) < 0 ||
                    !json_object_object_get_ex(a, "prefixlen", &p) || !json_object_object_get_ex(a, "valid", &va) ||
                    !json_object_object_get_ex(a, "preferred", &pr))
                        return -EBADMSG;
                if (jget(a, "broadcast"))
                        (void)parse_ipv4(jget(a, "broadcast"), &brd);
                r = rtnl_addr_replace(d->rtnl, d->ifindex, addr, (uint8_t)json_object_get_int(p), brd,
                                      (uint32_t)json_object_get_int64(va), (uint32_t)json_object_get_int64(pr));
                return r < 0 ? r : 0;
        }
        return -EBADMSG;
}

static int run_undo(Doctor *d) {
        _cleanup_(freep) char *path = record_path(d), *text = NULL;
        json_object *rec, *actions;
        size_t len, n;
        unsigned failed = 0, done = 0;
        json_object *out = NULL, *list = NULL;
        bool oom = false;

        if (!path)
                return DOCTOR_EXIT_UNCHECKED;
        if (read_text(path, &text, &len) < 0) {
                if (d->o->json)
                        printf("{\"interface\":\"%s\",\"undone\":[],\"failed\":0}\n", d->o->ifname);
                else
                        printf("Nothing to undo for %s (no record at %s).\n", d->o->ifname, shown(d, path));
                return DOCTOR_EXIT_CLEAN;
        }
        rec = json_tokener_parse(text);
        if (!rec || !json_object_object_get_ex(rec, "actions", &actions) ||
            !json_object_is_type(actions, json_type_array)) {
                fprintf(stderr, "infradhcpctl doctor: %s is not a doctor record; not touching anything\n", path);
                json_object_put(rec);
                return DOCTOR_EXIT_UNCHECKED;
        }
        if (d->o->json) {
                list = json_object_new_array();
                oom = !list;
        }
        n = json_object_array_length(actions);
        for (size_t i = n; i > 0; i--) {
                json_object *a = json_object_array_get_idx(actions, i - 1);
                _cleanup_(freep) char *note = NULL;
                const char *type = jget(a, "type");
                int r = undo_action(d, a, &note);

                if (r < 0)
                        failed++;
                else
                        done++;
                if (d->o->json) {
                        json_object *e = json_build_object("type", json_object_new_string(type ? type : "?"), NULL);

                        if ((jget(a, "path") && json_add(e, "path", json_object_new_string(shown(d, jget(a, "path")))) < 0) ||
                            json_add(e, "ok", json_object_new_boolean(r >= 0)) < 0 ||
                            (note && json_add(e, "note", json_object_new_string(note)) < 0)) {
                                json_object_put(e);
                                e = NULL;
                        }
                        if (json_append(list, e) < 0)
                                oom = true;
                } else
                        printf("%s %s%s%s%s\n", r >= 0 ? "undone:" : "NOT undone:", type ? type : "?",
                               jget(a, "path") ? " " : "", jget(a, "path") ? shown(d, jget(a, "path")) : "",
                               note ? (r >= 0 ? " (note)" : "") : "");
                if (note && !d->o->json)
                        printf("    %s\n", note);
                if (r < 0 && !note && !d->o->json)
                        printf("    %s\n", strerror(-r));
        }
        json_object_put(rec);
        if (failed == 0)
                unlink(path);
        if (d->o->json) {
                out = oom ? NULL
                          : json_build_object("interface", json_object_new_string(d->o->ifname), "undone",
                                              json_object_get(list), "failed", json_object_new_int((int)failed), NULL);
                json_object_put(list);
                if (out)
                        printf("%s\n",
                               json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                else
                        fprintf(stderr, "infradhcpctl doctor: out of memory building the report\n");
                json_object_put(out);
        } else
                printf("%u change%s undone%s.\n", done, done == 1 ? "" : "s",
                       failed ? ", some could not be (record kept)" : "");
        return failed ? DOCTOR_EXIT_PROBLEMS : DOCTOR_EXIT_CLEAN;
}

/* ------------------------------------------------------------------------- */
/* Report */

static const char *status_name(Status s) {
        static const char *const names[] = { "ok", "info", "problem", "error" };
        return names[s];
}

static int exit_status(const Doctor *d, unsigned *ret_problems, unsigned *ret_errors) {
        unsigned p = 0, e = 0;

        for (size_t i = 0; i < d->n_f; i++) {
                p += d->f[i].status == STATUS_PROBLEM;
                e += d->f[i].status == STATUS_ERROR;
        }
        *ret_problems = p;
        *ret_errors = e;
        return e ? DOCTOR_EXIT_UNCHECKED : p ? DOCTOR_EXIT_PROBLEMS : DOCTOR_EXIT_CLEAN;
}

static void print_report(const Doctor *d, const Doctor *before, unsigned applied, unsigned failed) {
        unsigned problems, errors;
        int ex = exit_status(d, &problems, &errors);

        if (d->o->json) {
                json_object *o, *list = json_object_new_array(), *fixed = NULL;
                bool ok = list;

                for (size_t i = 0; ok && i < d->n_f; i++) {
                        const Finding *f = &d->f[i];
                        json_object *e = json_build_object(
                                "check", json_object_new_string(f->check),
                                "status", json_object_new_string(status_name(f->status)), NULL);

                        if ((f->source && json_add(e, "source", json_object_new_string(f->source)) < 0) ||
                            json_add(e, "message", json_object_new_string(f->message ? f->message : "")) < 0 ||
                            (f->fix && json_add(e, "fix", json_object_new_string(f->fix)) < 0) ||
                            json_add(e, "autoFix", json_object_new_boolean(f->autofix != FIX_NONE)) < 0) {
                                json_object_put(e);
                                e = NULL;
                        }
                        ok = json_append(list, e) >= 0;
                }
                if (ok && before) {
                        fixed = json_object_new_array();
                        ok = fixed;
                        for (size_t i = 0; ok && i < before->n_f; i++) {
                                json_object *e;

                                if (!before->f[i].applied)
                                        continue;
                                e = json_build_object("check", json_object_new_string(before->f[i].check), NULL);
                                if ((before->f[i].source &&
                                     json_add(e, "source", json_object_new_string(before->f[i].source)) < 0) ||
                                    json_add(e, "message", json_object_new_string(before->f[i].message)) < 0) {
                                        json_object_put(e);
                                        e = NULL;
                                }
                                ok = json_append(fixed, e) >= 0;
                        }
                }
                o = ok ? json_build_object("interface", json_object_new_string(d->o->ifname), "findings",
                                           json_object_get(list), NULL)
                       : NULL;
                if (before && json_add_many(o, "fixed", json_object_get(fixed), "fixesFailed",
                                            json_object_new_int((int)failed), NULL) < 0) {
                        json_object_put(o);
                        o = NULL;
                }
                if (json_add_many(o, "problems", json_object_new_int((int)problems), "errors",
                                  json_object_new_int((int)errors), "exitStatus", json_object_new_int(ex), NULL) < 0) {
                        json_object_put(o);
                        o = NULL;
                }
                json_object_put(list);
                json_object_put(fixed);
                if (o)
                        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                else
                        fprintf(stderr, "infradhcpctl doctor: out of memory building the report\n");
                json_object_put(o);
                return;
        }
        if (before) {
                for (size_t i = 0; i < before->n_f; i++)
                        if (before->f[i].applied)
                                printf("fixed: %s: %s%s%s\n", before->f[i].check, before->f[i].message,
                                       before->f[i].source ? " [" : "", before->f[i].source ? before->f[i].source : "");
                printf("%u fix%s applied%s; recorded for infradhcpctl doctor --undo %s. Checking again:\n\n", applied,
                       applied == 1 ? "" : "es", failed ? " (some failed, see above)" : "", d->o->ifname);
        }
        if (d->root[0])
                printf("%s (files under %s):\n", d->o->ifname, d->root);
        else
                printf("%s:\n", d->o->ifname);
        for (size_t i = 0; i < d->n_f; i++) {
                const Finding *f = &d->f[i];

                printf("  %-8s %s: %s\n", status_name(f->status), f->check, f->message ? f->message : "");
                if (f->source)
                        printf("           at %s\n", f->source);
                if (f->fix && f->status != STATUS_OK)
                        printf("           fix: %s%s\n", f->fix,
                               f->autofix != FIX_NONE && f->status == STATUS_PROBLEM ? "   [--fix does this]" : "");
        }
        if (d->n_f == 0)
                printf("  nothing else manages IPv4 here\n");
        printf("\n%u problem%s, %u check%s not done.%s\n", problems, problems == 1 ? "" : "s", errors,
               errors == 1 ? "" : "s",
               problems && !before ? " Run infradhcpctl doctor --fix to apply the fixes marked [--fix does this]." : "");
}

int doctor_run(const DoctorOptions *o) {
        Doctor d = { .o = o, .root = o->root ? o->root : "" }, before = {};
        unsigned applied = 0, failed = 0;
        int r, ex;

        /* A trailing '/' would double every path. */
        if (d.root[0] && d.root[strlen(d.root) - 1] == '/') {
                fprintf(stderr, "infradhcpctl doctor: --root must not end in '/'\n");
                return DOCTOR_EXIT_UNCHECKED;
        }
        d.state_dir = o->state_dir ? strdup(o->state_dir) : strdupf("%s/var/lib/infradhcp", d.root);
        if (!d.state_dir)
                return DOCTOR_EXIT_UNCHECKED;
        r = gather_link(&d);
        if (r < 0) {
                fprintf(stderr, "infradhcpctl doctor: cannot read interface %s: %s\n", o->ifname,
                        r == -ENODEV ? "no such interface" : strerror(-r));
                ex = DOCTOR_EXIT_UNCHECKED;
                goto finish;
        }
        if (o->undo) {
                ex = run_undo(&d);
                goto finish;
        }
        run_checks(&d);
        if (o->fix) {
                r = apply_fixes(&d, &applied, &failed);
                if (r < 0) {
                        fprintf(stderr, "infradhcpctl doctor: cannot record fixes: %s\n", strerror(-r));
                        ex = DOCTOR_EXIT_UNCHECKED;
                        goto finish;
                }
                /* Re-check with the new state; keep the old findings for the report. */
                before = d;
                d.f = NULL;
                d.n_f = 0;
                d.lease_known = d.daemon_has_address = d.daemon_running = false;
                d.nm_running = d.networkd_running = false;
                if (applied > 0 && !d.root[0])
                        usleep(500 * 1000); /* let NM/networkd act on a reload before looking again */
                run_checks(&d);
        }
        print_report(&d, o->fix ? &before : NULL, applied, failed);
        {
                unsigned p, e;
                ex = exit_status(&d, &p, &e);
        }
        for (size_t i = 0; i < before.n_f; i++) {
                free(before.f[i].source);
                free(before.f[i].message);
                free(before.f[i].fix);
                free(before.f[i].path);
                free(before.f[i].content);
        }
        free(before.f);
finish:
        findings_free(&d);
        nm_config_done(&d.nm);
        rtnl_free(d.rtnl);
        sd_bus_flush_close_unref(d.bus);
        free(d.state_dir);
        return ex;
}
