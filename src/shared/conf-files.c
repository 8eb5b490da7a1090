/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configuration file lists with systemd's precedence (see conf-files.h).
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-files.h"
#include "macro.h"

static void conf_file_done(ConfFile *f) {
        free(f->name);
        free(f->path);
        free(f->dir);
        *f = (ConfFile){};
}

void conf_files_free(ConfFile *v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                conf_file_done(&v[i]);
        free(v);
}

static int cmp_name_then_dir(const void *a, const void *b) {
        const ConfFile *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        if (c != 0)
                return c;
        return x->dir_index < y->dir_index ? -1 : x->dir_index > y->dir_index;
}

size_t conf_files_resolve(ConfFile *v, size_t n) {
        size_t out = 0;

        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), cmp_name_then_dir);
        for (size_t i = 0; i < n; i++) {
                if (out > 0 && strcmp(v[out - 1].name, v[i].name) == 0) {
                        conf_file_done(&v[i]); /* shadowed by an earlier directory */
                        continue;
                }
                if (out != i)
                        v[out] = v[i];
                out++;
        }
        return out;
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t l = strlen(s), sl = suffix ? strlen(suffix) : 0;

        return l > sl && strcmp(s + l - sl, suffix ? suffix : "") == 0;
}

static bool is_masked(const char *path) {
        char target[64];
        ssize_t l = readlink(path, target, sizeof(target) - 1);
        struct stat st;

        if (l > 0) {
                target[l] = '\0';
                if (strcmp(target, "/dev/null") == 0)
                        return true;
        }
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

static int list_one(const char *root, const char *dir, unsigned index, const char *suffix, ConfFile **v, size_t *n,
                    size_t *cap) {
        _cleanup_(freep) char *full = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (asprintf(&full, "%s%s", root ? root : "", dir) < 0)
                return -ENOMEM;
        d = opendir(full);
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        while ((de = readdir(d))) {
                ConfFile f = {};
                struct stat st;

                if (de->d_name[0] == '.' || (suffix && *suffix && !has_suffix(de->d_name, suffix)))
                        continue;
                if (asprintf(&f.path, "%s/%s", full, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                /* Regular files and symlinks (masks, or links to a shared file). */
                if (lstat(f.path, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
                        free(f.path);
                        continue;
                }
                f.name = strdup(de->d_name);
                f.dir = strdup(dir);
                f.dir_index = index;
                f.masked = is_masked(f.path);
                if (!f.name || !f.dir) {
                        conf_file_done(&f);
                        r = -ENOMEM;
                        break;
                }
                if (*n == *cap) {
                        size_t nc = *cap ? *cap * 2 : 16;
                        ConfFile *nv = realloc(*v, nc * sizeof(**v));

                        if (!nv) {
                                conf_file_done(&f);
                                r = -ENOMEM;
                                break;
                        }
                        *v = nv;
                        *cap = nc;
                }
                (*v)[(*n)++] = f;
        }
        closedir(d);
        return r;
}

int conf_files_list(const char *root, const char *const *dirs, size_t n_dirs, const char *suffix, ConfFile **ret,
                    size_t *ret_n) {
        ConfFile *v = NULL;
        size_t n = 0, cap = 0;
        int r;

        for (size_t i = 0; i < n_dirs; i++) {
                r = list_one(root, dirs[i], (unsigned)i, suffix, &v, &n, &cap);
                if (r < 0) {
                        conf_files_free(v, n);
                        return r;
                }
        }
        *ret_n = conf_files_resolve(v, n);
        *ret = v;
        return 0;
}

int conf_files_list_dropins(const char *root, const char *const *dirs, size_t n_dirs, const char *name,
                            const char *suffix, ConfFile **ret, size_t *ret_n) {
        const char **dd;
        char **owned;
        int r;

        dd = calloc(n_dirs ? n_dirs : 1, sizeof(*dd));
        owned = calloc(n_dirs ? n_dirs : 1, sizeof(*owned));
        if (!dd || !owned) {
                free(dd);
                free(owned);
                return -ENOMEM;
        }
        r = 0;
        for (size_t i = 0; i < n_dirs; i++) {
                if (asprintf(&owned[i], "%s/%s.d", dirs[i], name) < 0) {
                        owned[i] = NULL;
                        r = -ENOMEM;
                        break;
                }
                dd[i] = owned[i];
        }
        if (r >= 0)
                r = conf_files_list(root, dd, n_dirs, suffix, ret, ret_n);
        for (size_t i = 0; i < n_dirs; i++)
                free(owned[i]);
        free(owned);
        free(dd);
        return r;
}
