/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files of one interface's configuration (see dhcp4-config-files.h): listed with
 * src/shared/conf-files (systemd's precedence), read with fileio, parsed as one by
 * dhcp4_config_parse_texts().
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-files.h"
#include "config.h"
#include "dhcp4-config-files.h"
#include "errmsg.h"
#include "fileio.h"
#include "macro.h"

/* In order of preference, as systemd's /etc, /run, /usr/lib. */
static const char *const config_dirs[] = { SYSCONFDIR "/infradhcp", RUNTIME_DIR, LIBCONFDIR };

void dhcp4_config_files_done(Dhcp4ConfigFiles *f) {
        for (size_t i = 0; f && i < f->n; i++)
                free(f->paths[i]);
        if (f) {
                free(f->paths);
                *f = (Dhcp4ConfigFiles) {};
        }
}

static int files_add(Dhcp4ConfigFiles *f, const char *path) {
        char **v = realloc(f->paths, (f->n + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        f->paths = v;
        f->paths[f->n] = strdup(path);
        if (!f->paths[f->n])
                return -ENOMEM;
        f->n++;
        return 0;
}

/* 1: there (a dangling symlink too: it is named when it cannot be read), 0: not
 * there, -1: masked by a symlink to /dev/null (systemd's convention). */
static int path_state(const char *path) {
        char target[sizeof("/dev/null")];
        struct stat st;
        ssize_t l;

        if (lstat(path, &st) < 0)
                return 0;
        if (S_ISLNK(st.st_mode)) {
                l = readlink(path, target, sizeof(target));
                if (l == (ssize_t) sizeof(target) - 1 && memcmp(target, "/dev/null", l) == 0)
                        return -1;
        }
        return 1;
}

static int add_dropins(Dhcp4ConfigFiles *f, const char *root, const char *const *dirs, size_t n_dirs,
                       const char *name) {
        ConfFile *v = NULL;
        size_t n = 0;
        int r;

        r = conf_files_list_dropins(root, dirs, n_dirs, name, ".conf", &v, &n);
        if (r < 0)
                return r;
        /* A masked drop-in (empty, or a symlink to /dev/null) applies nothing. */
        for (size_t i = 0; i < n && r >= 0; i++)
                if (!v[i].masked)
                        r = files_add(f, v[i].path);
        conf_files_free(v, n);
        return r;
}

int dhcp4_config_files_list(const char *root, const char *ifname, const char *explicit_path,
                            Dhcp4ConfigFiles *ret) {
        Dhcp4ConfigFiles f = {};
        _cleanup_(freep) char *name = NULL;
        int r;

        if (!ret || (!ifname && !explicit_path))
                return -EINVAL;
        if (!root)
                root = "";

        if (explicit_path) {
                _cleanup_(freep) char *dir = NULL, *base = NULL;
                const char *slash = strrchr(explicit_path, '/');
                const char *dirs[1];

                /* FILE and FILE.d/: the drop-in directory beside the file itself. */
                dir = slash ? strndup(explicit_path, (size_t) (slash - explicit_path)) : strdup(".");
                base = strdup(slash ? slash + 1 : explicit_path);
                if (!dir || !base || !*base)
                        return !dir || !base ? -ENOMEM : -EINVAL;
                dirs[0] = *dir ? dir : "/";
                r = files_add(&f, explicit_path);
                if (r >= 0) {
                        f.has_main = true;
                        r = add_dropins(&f, NULL, dirs, 1, base);
                }
                if (r < 0) {
                        dhcp4_config_files_done(&f);
                        return r;
                }
                *ret = f;
                return 0;
        }

        if (asprintf(&name, "%s.conf", ifname) < 0) {
                name = NULL;
                return -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                _cleanup_(freep) char *path = NULL;

                if (asprintf(&path, "%s%s/%s", root, config_dirs[i], name) < 0) {
                        path = NULL;
                        dhcp4_config_files_done(&f);
                        return -ENOMEM;
                }
                r = path_state(path);
                if (r < 0)
                        break; /* masked: no main file, and none of a lower directory */
                if (r > 0) {
                        r = files_add(&f, path);
                        if (r < 0) {
                                dhcp4_config_files_done(&f);
                                return r;
                        }
                        f.has_main = true;
                        break;
                }
        }
        r = add_dropins(&f, root, config_dirs, ELEMENTSOF(config_dirs), name);
        if (r < 0) {
                dhcp4_config_files_done(&f);
                return r;
        }
        *ret = f;
        return 0;
}

int dhcp4_config_files_load(const Dhcp4ConfigFiles *f, Dhcp4Config *c, const char **ret_failed_path, char *err,
                            size_t errlen) {
        Dhcp4ConfigText *texts;
        char **bufs;
        size_t failed = 0;
        int r = 0;

        if (ret_failed_path)
                *ret_failed_path = NULL;
        if (!f || !c)
                return -EINVAL;
        texts = calloc(f->n ? f->n : 1, sizeof(*texts));
        bufs = calloc(f->n ? f->n : 1, sizeof(*bufs));
        if (!texts || !bufs) {
                free(texts);
                free(bufs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < f->n; i++) {
                r = read_file_full(f->paths[i], DHCP4_CONFIG_FILE_MAX, &bufs[i], &texts[i].len);
                if (r < 0) {
                        if (ret_failed_path)
                                *ret_failed_path = f->paths[i];
                        (void) errmsg(err, errlen, r, NULL, "%s%s", strerror(-r),
                                      r == -EFBIG ? " (larger than 64 KiB)" : "");
                        goto finish;
                }
                texts[i].text = bufs[i];
        }
        r = dhcp4_config_parse_texts(c, texts, f->n, &failed, err, errlen);
        if (r < 0 && ret_failed_path && failed < f->n)
                *ret_failed_path = f->paths[failed];
finish:
        for (size_t i = 0; i < f->n; i++)
                free(bufs[i]);
        free(bufs);
        free(texts);
        return r;
}
