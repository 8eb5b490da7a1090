/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-file I/O for lease files and the opflex config files: atomic replacement
 * (readers such as opflex-agent reload on any change, so they must never see a
 * half-written file), bounded whole-file reads, mkdir -p.
 * Not here: parsing of what is read (lease-file, config modules).
 *
 * Regular files get O_NONBLOCK like every other fd; it has no effect on them, and it
 * keeps a FIFO planted at a lease path from blocking the daemon (read_file_full
 * rejects anything but a regular file anyway).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

static int write_all(int fd, const void *data, size_t len) {
        const uint8_t *p = data;

        while (len > 0) {
                ssize_t k = write(fd, p, len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

/* Splits path into a malloc'd directory ("." when none) and a pointer to the last
 * component inside path. */
static int path_split(const char *path, char **ret_dir, const char **ret_base) {
        const char *slash = strrchr(path, '/');
        char *dir;

        if (!slash) {
                dir = strdup(".");
                *ret_base = path;
        } else {
                size_t n = (size_t) (slash - path);

                dir = n == 0 ? strdup("/") : strndup(path, n);
                *ret_base = slash + 1;
        }
        if (!dir)
                return -ENOMEM;
        *ret_dir = dir;
        return 0;
}

static int fsync_directory(const char *dir) {
        _cleanup_(closep) int fd = -1;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_(freep) char *dir = NULL, *tmp = NULL;
        const char *base;
        int fd = -1, r;

        if (!path || !*path || (!data && len > 0))
                return -EINVAL;

        r = path_split(path, &dir, &base);
        if (r < 0)
                return r;
        if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return -EISDIR;

        if (mode == (mode_t) -1) {
                struct stat st;

                if (stat(path, &st) >= 0)
                        mode = st.st_mode & 07777;
                else if (errno == ENOENT)
                        mode = 0644;
                else
                        return -errno;
        }

        /* Hidden temp file next to the target, so rename() stays within one file system. */
        if (asprintf(&tmp, "%s/.#%s.XXXXXX", dir, base) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(tmp, O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;

        r = write_all(fd, data, len);
        /* fchmod, unlike open(mode), is not masked by the umask. */
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r >= 0 && errno != EINTR)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }

        /* Make the rename itself durable. */
        return fsync_directory(dir);
}

int read_file_full(const char *path, size_t max_size, char **ret, size_t *ret_len) {
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *buf = NULL;
        size_t size, len = 0;
        struct stat st;

        if (!path || !ret || max_size >= SIZE_MAX / 2)
                return -EINVAL;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > 0 && (uint64_t) st.st_size > max_size)
                return -EFBIG;

        /* st_size is a hint only (it is 0 for /proc files, and the file may grow):
         * read until EOF, failing once more than max_size bytes arrive. */
        size = (st.st_size > 0 ? (size_t) st.st_size : 4096) + 1;
        size = MIN(size, max_size + 1);
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;

        for (;;) {
                ssize_t k;

                if (len == size) {
                        size_t nsize;
                        char *n;

                        if (size > max_size)
                                return -EFBIG;
                        nsize = MIN(size * 2, max_size + 1);
                        n = realloc(buf, nsize + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        size = nsize;
                }

                k = read(fd, buf + len, size - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        if (len > max_size)
                return -EFBIG;

        buf[len] = '\0';
        *ret = buf;
        buf = NULL; /* consumed */
        if (ret_len)
                *ret_len = len;
        return 0;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_(freep) char *p = NULL;
        struct stat st;
        size_t n;

        if (!path || !*path)
                return -EINVAL;
        /* The usual case (a daemon's state and runtime directories at every start): it is
         * there already, one stat() instead of a mkdir() and a stat() per component. */
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                return 0;
        p = strdup(path);
        if (!p)
                return -ENOMEM;

        n = strlen(p);
        for (size_t i = 1; i <= n; i++) {
                if (p[i] != '/' && p[i] != '\0')
                        continue;
                if (p[i - 1] == '/')
                        continue; /* "//" or trailing '/' */

                p[i] = '\0';
                if (mkdir(p, mode) < 0) {
                        if (errno != EEXIST)
                                return -errno;
                        if (stat(p, &st) < 0)
                                return -errno;
                        if (!S_ISDIR(st.st_mode))
                                return -ENOTDIR;
                }
                if (i < n)
                        p[i] = '/';
        }
        return 0;
}

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_(freep) char *dir = NULL;
        char *slash;

        if (!path)
                return -EINVAL;
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        return mkdir_p(dir, mode);
}
