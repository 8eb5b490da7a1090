/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Corpus replayer: a main() for fuzz targets in builds without libFuzzer. Feeds every
 * file named on the command line, and every regular file inside each directory named
 * (not recursive, dotfiles skipped), to LLVMFuzzerTestOneInput, each in a heap buffer
 * of exactly its size so ASan builds catch overreads. Exits 1 when an argument cannot
 * be read or no input was found at all, so a missing or empty corpus fails the test
 * instead of passing vacuously. Not a fuzzer: it never mutates inputs.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(int dirfd, const char *name, const char *display) {
        struct stat st;
        uint8_t *buf;
        size_t off = 0;
        int fd;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "%s: %s\n", display, strerror(errno));
                return -errno;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return 0; /* not a regular file: skipped */
        }

        /* malloc(0) may return NULL; keep a 1-byte allocation but pass size 0. */
        buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (off < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + off, (size_t) st.st_size - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "%s: short read\n", display);
                        free(buf);
                        close(fd);
                        return -EIO;
                }
                off += (size_t) n;
        }
        close(fd);

        LLVMFuzzerTestOneInput(buf, off);
        free(buf);
        return 1;
}

int main(int argc, char *argv[]) {
        size_t n_inputs = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return 1;
                }

                if (S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;

                        if (!d) {
                                fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                                return 1;
                        }
                        while ((de = readdir(d))) {
                                char display[4096];
                                int r;

                                if (de->d_name[0] == '.')
                                        continue;
                                snprintf(display, sizeof(display), "%s/%s", argv[i], de->d_name);
                                r = run_file(dirfd(d), de->d_name, display);
                                if (r < 0) {
                                        closedir(d);
                                        return 1;
                                }
                                n_inputs += (size_t) r;
                        }
                        closedir(d);
                } else {
                        int r = run_file(AT_FDCWD, argv[i], argv[i]);

                        if (r < 0)
                                return 1;
                        n_inputs += (size_t) r;
                }
        }

        if (n_inputs == 0) {
                fprintf(stderr, "no inputs found: the corpus is missing or empty\n");
                return 1;
        }
        printf("%zu inputs replayed without an invariant violation\n", n_inputs);
        return 0;
}
