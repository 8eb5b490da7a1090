/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process behind a netlink port (see netlink-owner.h).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "netlink-owner.h"
#include "parse-util.h"

/* libnl's generate_local_port(): pid in the low 22 bits, a socket number above. */
#define LIBNL_PID_BITS 22
#define LIBNL_PID_MASK ((UINT32_C(1) << LIBNL_PID_BITS) - 1)

size_t netlink_owner_candidates(uint32_t portid, pid_t ret[2]) {
        /* A pid is below PID_MAX_LIMIT (2^22): a port below it is the autobind pid, one
         * above it (and below 2^31, not the kernel's negative numbering) libnl's. */
        if (portid == 0 || portid > INT32_MAX)
                return 0;
        ret[0] = (pid_t) (portid & LIBNL_PID_MASK);
        return ret[0] > 0;
}

int netlink_owner_parse_table(const char *text, size_t len, int protocol, uint32_t portid, uint64_t *ret_inode) {
        const char *p = text, *end = text + len, *nl;
        int c_eth, c_pid, c_ino;

        if (!text || !ret_inode)
                return -EINVAL;
        nl = memchr(p, '\n', len);
        if (!nl)
                return -EBADMSG;
        c_eth = table_column(p, (size_t) (nl - p), "Eth");
        c_pid = table_column(p, (size_t) (nl - p), "Pid");
        c_ino = table_column(p, (size_t) (nl - p), "Inode");
        if (c_eth < 0 || c_pid < 0 || c_ino < 0)
                return -EBADMSG;
        for (p = nl + 1; p < end; p = nl ? nl + 1 : end) {
                char line[512], *save = NULL, *w;
                unsigned long long eth = ULLONG_MAX, pid = ULLONG_MAX, ino = 0;
                size_t l;
                int k = 0;

                nl = memchr(p, '\n', (size_t) (end - p));
                l = nl ? (size_t) (nl - p) : (size_t) (end - p);
                if (l == 0 || l >= sizeof(line))
                        continue;
                memcpy(line, p, l);
                line[l] = '\0';
                for (w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save), k++) {
                        char *e = NULL;
                        unsigned long long v;

                        if (k != c_eth && k != c_pid && k != c_ino)
                                continue;
                        errno = 0;
                        v = strtoull(w, &e, 10);
                        if (errno || !e || *e)
                                break;
                        if (k == c_eth)
                                eth = v;
                        else if (k == c_pid)
                                pid = v;
                        else
                                ino = v;
                }
                if (eth == (unsigned long long) protocol && pid == portid && ino != 0) {
                        *ret_inode = ino;
                        return 0;
                }
        }
        return -ENOENT;
}

static bool pid_exists(const char *proc, pid_t pid) {
        char path[PATH_MAX];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%d", proc, (int) pid);
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1: pid holds socket:[inode]; 0: it does not; -errno: its fds cannot be read. */
static int pid_has_socket(const char *proc, pid_t pid, uint64_t inode) {
        char path[PATH_MAX], want[64], target[64];
        DIR *d;
        struct dirent *de;
        int r = 0;

        snprintf(path, sizeof(path), "%s/%d/fd", proc, (int) pid);
        snprintf(want, sizeof(want), "socket:[%" PRIu64 "]", inode);
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                ssize_t l;

                if (de->d_name[0] == '.')
                        continue;
                l = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
                if (l <= 0)
                        continue;
                target[l] = '\0';
                if (strcmp(target, want) == 0) {
                        r = 1;
                        break;
                }
        }
        closedir(d);
        return r;
}

/* basename(argv[0]), else comm. */
static void pid_name(const char *proc, pid_t pid, char *buf, size_t size) {
        _cleanup_(freep) char *text = NULL;
        char path[PATH_MAX];
        size_t len;

        buf[0] = '\0';
        snprintf(path, sizeof(path), "%s/%d/cmdline", proc, (int) pid);
        /* A process that rewrote its title ("sshd: root@pts/0") has spaces in argv[0]:
         * then comm names it better. */
        if (read_file_full(path, 4096, &text, &len) >= 0 && len > 0 && text[0] && !strchr(text, ' ')) {
                const char *slash = strrchr(text, '/');
                const char *base = slash ? slash + 1 : text;

                if (*base) {
                        snprintf(buf, size, "%s", base);
                        return;
                }
        }
        free(text);
        text = NULL;
        snprintf(path, sizeof(path), "%s/%d/comm", proc, (int) pid);
        if (read_file_full(path, 256, &text, &len) >= 0 && len > 0) {
                while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\0'))
                        text[--len] = '\0';
                snprintf(buf, size, "%s", text);
        }
        /* Only printable text goes into logs and status. */
        for (char *p = buf; *p; p++)
                if ((unsigned char) *p < ' ' || (unsigned char) *p > '~')
                        *p = '?';
}

int netlink_owner_find(const char *proc_root, int protocol, uint32_t portid, NetlinkOwner *ret) {
        const char *proc = proc_root ? proc_root : "/proc";
        _cleanup_(freep) char *table = NULL;
        NetlinkOwner o = { .portid = portid };
        char path[PATH_MAX];
        pid_t cand[2];
        size_t n, len = 0;
        uint64_t inode = 0;
        int r;

        if (!ret)
                return -EINVAL;
        if (portid == 0) {
                o.kernel = true;
                *ret = o;
                return 0;
        }
        n = netlink_owner_candidates(portid, cand);

        /* This network namespace's netlink sockets (/proc/self/net: also visible
         * under ProcSubset=pid). */
        snprintf(path, sizeof(path), "%s/self/net/netlink", proc);
        r = read_file_full(path, 4 * 1024 * 1024, &table, &len);
        if (r < 0) {
                *ret = o;
                return r;
        }
        r = netlink_owner_parse_table(table, len, protocol, portid, &inode);
        if (r == -ENOENT)
                o.socket_gone = true;
        else if (r < 0) {
                *ret = o;
                return r;
        }

        if (!o.socket_gone)
                for (size_t i = 0; i < n; i++)
                        if (pid_has_socket(proc, cand[i], inode) > 0) {
                                o.pid = cand[i];
                                break;
                        }
        if (o.pid == 0)
                for (size_t i = 0; i < n; i++)
                        if (pid_exists(proc, cand[i])) {
                                o.pid = cand[i];
                                o.by_port = true;
                                break;
                        }
        if (o.pid == 0 && n > 0) {
                /* Not visible (ProtectProc=invisible hides other users' processes): a live
                 * socket still says the owner runs; a closed one, that it has exited. */
                o.pid = cand[0];
                o.by_port = true;
                o.exited = o.socket_gone;
        }
        if (o.pid > 0 && !o.exited)
                pid_name(proc, o.pid, o.name, sizeof(o.name));
        *ret = o;
        return 0;
}

const char *netlink_owner_describe(const NetlinkOwner *o, char *buf, size_t size) {
        if (o->kernel)
                snprintf(buf, size, "the kernel");
        else if (o->pid > 0 && o->exited)
                snprintf(buf, size, "pid %d (exited)", (int) o->pid);
        else if (o->pid > 0 && o->name[0])
                snprintf(buf, size, "%s (pid %d)", o->name, (int) o->pid);
        else if (o->pid > 0)
                snprintf(buf, size, "pid %d", (int) o->pid);
        else
                snprintf(buf, size, "netlink port %" PRIu32 " (owner unknown)", o->portid);
        return buf;
}
