/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prometheus text format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats):
 *   # HELP name escaped-help
 *   # TYPE name counter|gauge|histogram
 *   name{label="escaped value",...} value
 * Histograms: name_bucket{le="b"} cumulative, le="+Inf" equal to name_count, name_sum.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

const double prom_duration_bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60 };
const size_t prom_duration_n_bounds = sizeof(prom_duration_bounds) / sizeof(prom_duration_bounds[0]);

void prom_histogram_init(PromHistogram *h, const double *bounds, size_t n_bounds) {
        *h = (PromHistogram){ .bounds = bounds,
                              .n_bounds = n_bounds > PROM_HISTOGRAM_BUCKETS_MAX ? PROM_HISTOGRAM_BUCKETS_MAX
                                                                                : n_bounds };
}

void prom_histogram_observe(PromHistogram *h, double value) {
        size_t i = 0;

        if (isnan(value))
                return;
        while (i < h->n_bounds && value > h->bounds[i])
                i++;
        h->counts[i]++;
        h->count++;
        h->sum += value;
}

static bool name_char(char c, bool first, bool colon) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
               (!first && c >= '0' && c <= '9');
}

static bool name_valid(const char *s, bool colon) {
        if (!s || !*s)
                return false;
        for (size_t i = 0; s[i]; i++)
                if (!name_char(s[i], i == 0, colon))
                        return false;
        return true;
}

bool prom_metric_name_valid(const char *name) {
        return name_valid(name, true);
}

bool prom_label_name_valid(const char *name) {
        return name_valid(name, false) && strncmp(name, "__", 2) != 0;
}

int prom_writer_open(PromWriter *w) {
        *w = (PromWriter){};
        w->f = open_memstream(&w->buf, &w->size);
        if (!w->f)
                return -errno;
        return 0;
}

void prom_writer_done(PromWriter *w) {
        if (w->f)
                fclose(w->f);
        free(w->buf);
        *w = (PromWriter){};
}

int prom_writer_close(PromWriter *w, char **ret, size_t *ret_len) {
        int r = w->error;

        if (fclose(w->f) != 0 && r == 0)
                r = -ENOMEM;
        w->f = NULL;
        if (r < 0) {
                prom_writer_done(w);
                return r;
        }
        *ret = w->buf;
        if (ret_len)
                *ret_len = w->size;
        w->buf = NULL;
        return 0;
}

static void put_escaped(PromWriter *w, const char *s, bool quote) {
        for (; *s; s++) {
                if (*s == '\\')
                        fputs("\\\\", w->f);
                else if (*s == '\n')
                        fputs("\\n", w->f);
                else if (quote && *s == '"')
                        fputs("\\\"", w->f);
                else
                        fputc(*s, w->f);
        }
}

void prom_family(PromWriter *w, const char *name, const char *type, const char *help) {
        if (w->error)
                return;
        if (!prom_metric_name_valid(name)) {
                w->error = -EINVAL;
                return;
        }
        fprintf(w->f, "# HELP %s ", name);
        put_escaped(w, help, false);
        fprintf(w->f, "\n# TYPE %s %s\n", name, type);
}

static void put_labels(PromWriter *w, const PromLabel *labels, size_t n, const char *le) {
        bool any = n > 0 || le;

        if (!any)
                return;
        fputc('{', w->f);
        for (size_t i = 0; i < n; i++) {
                if (!prom_label_name_valid(labels[i].name)) {
                        w->error = -EINVAL;
                        return;
                }
                fprintf(w->f, "%s%s=\"", i ? "," : "", labels[i].name);
                put_escaped(w, labels[i].value ?: "", true);
                fputc('"', w->f);
        }
        if (le)
                fprintf(w->f, "%sle=\"%s\"", n ? "," : "", le);
        fputc('}', w->f);
}

static void put_value(PromWriter *w, double v) {
        if (isnan(v))
                fputs("NaN", w->f);
        else if (isinf(v))
                fputs(v > 0 ? "+Inf" : "-Inf", w->f);
        else if (v == (double)(int64_t)v && fabs(v) < 9007199254740992.0)
                fprintf(w->f, "%" PRIi64, (int64_t)v);
        else
                fprintf(w->f, "%.17g", v);
}

void prom_sample(PromWriter *w, const char *name, const PromLabel *labels, size_t n_labels, double value) {
        if (w->error)
                return;
        fputs(name, w->f);
        put_labels(w, labels, n_labels, NULL);
        fputc(' ', w->f);
        put_value(w, value);
        fputc('\n', w->f);
}

void prom_sample_u64(PromWriter *w, const char *name, const PromLabel *labels, size_t n_labels, uint64_t value) {
        if (w->error)
                return;
        fputs(name, w->f);
        put_labels(w, labels, n_labels, NULL);
        fprintf(w->f, " %" PRIu64 "\n", value);
}

void prom_sample_histogram(PromWriter *w, const char *name, const PromLabel *labels, size_t n_labels,
                           const PromHistogram *h) {
        uint64_t cum = 0;
        char le[32];

        if (w->error)
                return;
        for (size_t i = 0; i <= h->n_bounds; i++) {
                cum += h->counts[i];
                if (i < h->n_bounds)
                        snprintf(le, sizeof(le), "%g", h->bounds[i]);
                else
                        snprintf(le, sizeof(le), "+Inf");
                fprintf(w->f, "%s_bucket", name);
                put_labels(w, labels, n_labels, le);
                fprintf(w->f, " %" PRIu64 "\n", cum);
        }
        fprintf(w->f, "%s_sum", name);
        put_labels(w, labels, n_labels, NULL);
        fputc(' ', w->f);
        put_value(w, h->sum);
        fprintf(w->f, "\n%s_count", name);
        put_labels(w, labels, n_labels, NULL);
        fprintf(w->f, " %" PRIu64 "\n", h->count);
}

/* ---- merging expositions ---------------------------------------------------------- */

typedef struct MergeFamily {
        char *name;  /* up to the first space of "# HELP name ..." */
        char *help;  /* the whole HELP line */
        char *type;  /* the whole TYPE line, NULL until seen */
        FILE *samples;
        char *buf;
        size_t size;
} MergeFamily;

typedef struct Merge {
        MergeFamily **fams; /* pointers: open_memstream keeps the addresses of buf and size */
        size_t n;
} Merge;

static void merge_done(Merge *m) {
        for (size_t i = 0; i < m->n; i++) {
                MergeFamily *f = m->fams[i];
                if (f->samples)
                        fclose(f->samples);
                free(f->name);
                free(f->help);
                free(f->type);
                free(f->buf);
                free(f);
        }
        free(m->fams);
        *m = (Merge){};
}

/* The family named by the HELP line at `line` (len bytes, after "# HELP "), created
 * when new. */
static MergeFamily *merge_family(Merge *m, const char *line, size_t len) {
        const char *name = line + 7, *sp = memchr(name, ' ', len - 7);
        size_t nlen = sp ? (size_t)(sp - name) : len - 7;
        MergeFamily *f, **v;

        for (size_t i = 0; i < m->n; i++)
                if (strlen(m->fams[i]->name) == nlen && memcmp(m->fams[i]->name, name, nlen) == 0)
                        return m->fams[i];
        v = realloc(m->fams, (m->n + 1) * sizeof(*v));
        if (!v)
                return NULL;
        m->fams = v;
        f = calloc(1, sizeof(*f));
        if (!f)
                return NULL;
        m->fams[m->n++] = f; /* freed by merge_done even when half made */
        f->name = strndup(name, nlen);
        f->help = strndup(line, len);
        if (f->name && f->help)
                f->samples = open_memstream(&f->buf, &f->size);
        return f->samples ? f : NULL;
}

/* One text into m. */
static int merge_text(Merge *m, const char *text) {
        MergeFamily *cur = NULL;
        bool typed = false;

        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);

                if (len >= 7 && strncmp(p, "# HELP ", 7) == 0) {
                        cur = merge_family(m, p, len);
                        if (!cur)
                                return -ENOMEM;
                        typed = false;
                } else if (len >= 7 && strncmp(p, "# TYPE ", 7) == 0) {
                        size_t nlen = strlen(cur ? cur->name : "");
                        if (!cur || typed || len <= 7 + nlen || strncmp(p + 7, cur->name, nlen) != 0 ||
                            p[7 + nlen] != ' ')
                                return -EBADMSG;
                        if (!cur->type) {
                                cur->type = strndup(p, len);
                                if (!cur->type)
                                        return -ENOMEM;
                        } else if (strlen(cur->type) != len || memcmp(cur->type, p, len) != 0)
                                return -EBADMSG;
                        typed = true;
                } else if (len > 0 && p[0] != '#') {
                        if (!cur || !typed)
                                return -EBADMSG;
                        if (fwrite(p, 1, len, cur->samples) != len || fputc('\n', cur->samples) == EOF)
                                return -ENOMEM;
                }
                p += len + (nl ? 1 : 0);
        }
        return 0;
}

int prom_merge(const char *const *texts, size_t n_texts, char **ret, size_t *ret_len) {
        Merge m = {};
        PromWriter w;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n_texts; i++)
                r = texts[i] ? merge_text(&m, texts[i]) : -EINVAL;
        if (r >= 0)
                r = prom_writer_open(&w);
        if (r < 0) {
                merge_done(&m);
                return r;
        }
        for (size_t i = 0; i < m.n; i++) {
                MergeFamily *f = m.fams[i];

                if (!f->type || fflush(f->samples) != 0) {
                        w.error = f->type ? -ENOMEM : -EBADMSG; /* a HELP without TYPE */
                        break;
                }
                fprintf(w.f, "%s\n%s\n", f->help, f->type);
                fwrite(f->buf, 1, f->size, w.f);
        }
        merge_done(&m);
        return prom_writer_close(&w, ret, ret_len);
}
