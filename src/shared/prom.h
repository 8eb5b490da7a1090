/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prometheus text exposition format 0.0.4 writer: # HELP / # TYPE once per family,
 * label values escaped (\\, \", \n), HELP escaped (\\, \n), counters, gauges and
 * histograms with cumulative buckets, _sum and _count. libc only.
 * Not a registry: a daemon renders its status snapshot through these calls on each
 * scrape; nothing is kept between scrapes here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct PromLabel {
        const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]* */
        const char *value; /* any UTF-8; escaped on output */
} PromLabel;

/* Histogram of durations in seconds with fixed upper bounds (ascending, +Inf implied). */
#define PROM_HISTOGRAM_BUCKETS_MAX 16
typedef struct PromHistogram {
        const double *bounds;
        size_t n_bounds;
        uint64_t counts[PROM_HISTOGRAM_BUCKETS_MAX + 1]; /* per bucket, not cumulative; last: +Inf */
        uint64_t count;
        double sum;
} PromHistogram;

/* 50 ms .. 60 s: the migration duration buckets (seconds). */
extern const double prom_duration_bounds[];
extern const size_t prom_duration_n_bounds;

void prom_histogram_init(PromHistogram *h, const double *bounds, size_t n_bounds);
void prom_histogram_observe(PromHistogram *h, double value);

typedef struct PromWriter {
        FILE *f;
        char *buf;
        size_t size;
        int error; /* first error (negative errno); later calls do nothing */
} PromWriter;

int prom_writer_open(PromWriter *w);
/* Returns the text (NUL-terminated, caller frees) or a negative errno. */
int prom_writer_close(PromWriter *w, char **ret, size_t *ret_len);
void prom_writer_done(PromWriter *w);

/* One family header: name must be a valid metric name, type "counter", "gauge" or
 * "histogram". */
void prom_family(PromWriter *w, const char *name, const char *type, const char *help);
void prom_sample(PromWriter *w, const char *name, const PromLabel *labels, size_t n_labels, double value);
void prom_sample_u64(PromWriter *w, const char *name, const PromLabel *labels, size_t n_labels, uint64_t value);
void prom_sample_histogram(PromWriter *w, const char *name, const PromLabel *labels, size_t n_labels,
                           const PromHistogram *h);

/* Merges expositions in this writer's shape (per family "# HELP", "# TYPE", then its
 * samples) into one: each family once, with the HELP and TYPE of its first text, then
 * the samples of every text in order (the exposition format wants a family's lines
 * together). For the texts of several daemons whose series differ by a label
 * (infradhcpctl metrics). Other comments and empty lines are dropped. Returns 0 and the
 * text (caller frees), -EBADMSG for a sample before any family, a TYPE naming another
 * family than the HELP before it, or a family typed differently by two texts;
 * -ENOMEM. */
int prom_merge(const char *const *texts, size_t n_texts, char **ret, size_t *ret_len);

/* Name and label-name validity (the exposition format's grammar). */
bool prom_metric_name_valid(const char *name);
bool prom_label_name_valid(const char *name);
