/* fuzz_tlsrpt_records.c - drives the TLSRPT record reader and report
 * writer over hostile JSON Lines: the input, split at newlines, into an
 * aggregation of the years 2000-2099 (tlsrpt_agg_line), and the same input
 * through a pipe into another (tlsrpt_agg_read), which must count the
 * same. Every line is accounted for exactly once in the stats; every
 * domain's report is one JSON object (parsed back by json-c) whose
 * summaries add up to the sessions counted. */
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define Y2000 ((time_t)946684800)
#define Y2100 ((time_t)4102444800)
#define PIPE_MAX 65536          /* what a pipe holds without a reader */

/* is_blank - line[0..len) is white space only (tlsrpt_agg_line's rule) */
static int is_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return 0;
    return 1;
}

/* feed_lines - every line of the input into a; the blank ones counted */
static uint64_t feed_lines(struct tlsrpt_agg *a, const char *text, size_t size)
{
    uint64_t blank = 0;
    size_t pos = 0;

    while (pos < size) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - (text + pos)) : size - pos;

        blank += is_blank(text + pos, len);
        tlsrpt_agg_line(a, text + pos, len);
        pos += len + 1;
    }
    return blank;
}

/* int_of - the integer at o's key, or trap */
static uint64_t int_of(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
        __builtin_trap();
    return (uint64_t)json_object_get_int64(v);
}

/* report_sessions - domain i's report parsed back: its sessions */
static uint64_t report_sessions(const struct tlsrpt_agg *a, size_t i)
{
    static const struct tlsrpt_org org = { "fuzz", "postmaster@fuzz.example", "1" };
    struct json_object *r, *policies = NULL;
    const char *why = NULL;
    size_t len = 0;
    char *text = tlsrpt_report_json(a, i, &org, &len, &why);
    uint64_t total = 0;

    if (text == NULL || strlen(text) != len || (r = json_tokener_parse(text)) == NULL ||
        !json_object_object_get_ex(r, "policies", &policies) ||
        json_object_array_length(policies) == 0)
        __builtin_trap();
    for (size_t k = 0; k < json_object_array_length(policies); k++) {
        struct json_object *p = json_object_array_get_idx(policies, k), *s = NULL;

        if (!json_object_object_get_ex(p, "summary", &s))
            __builtin_trap();
        total += int_of(s, "total-successful-session-count") +
                 int_of(s, "total-failure-session-count");
    }
    json_object_put(r);
    free(text);
    return total;
}

/* check - lines accounted for once, reports adding up */
static void check(const struct tlsrpt_agg *a, uint64_t blank)
{
    const struct tlsrpt_stats *st = tlsrpt_agg_stats(a);
    uint64_t sessions = 0;

    if (st->lines != blank + st->counted + st->outside + st->malformed +
                     st->unreported + st->dropped ||
        st->partial > st->counted ||
        (st->malformed == 0) != (st->malformed_why == NULL) ||
        (st->malformed == 0) != (st->first_malformed == 0))
        __builtin_trap();
    for (size_t i = 0; i < tlsrpt_agg_domains(a); i++)
        sessions += report_sessions(a, i);
    if (sessions != st->counted)
        __builtin_trap();
}

/* same_counts - the pipe's aggregation counted as the lines' did */
static void same_counts(const struct tlsrpt_agg *a, const char *text, size_t size)
{
    struct tlsrpt_agg *b = tlsrpt_agg_new(Y2000, Y2100);
    const struct tlsrpt_stats *x = tlsrpt_agg_stats(a), *y;
    const char *why = NULL;
    int fds[2];

    if (b == NULL || pipe(fds) != 0)
        __builtin_trap();
    if (write(fds[1], text, size) != (ssize_t)size)
        __builtin_trap();
    close(fds[1]);
    if (tlsrpt_agg_read(b, fds[0], &why) != 0)
        __builtin_trap();
    close(fds[0]);
    y = tlsrpt_agg_stats(b);
    if (x->lines != y->lines || x->counted != y->counted || x->malformed != y->malformed ||
        x->outside != y->outside || x->unreported != y->unreported ||
        tlsrpt_agg_domains(a) != tlsrpt_agg_domains(b))
        __builtin_trap();
    tlsrpt_agg_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tlsrpt_agg *a = tlsrpt_agg_new(Y2000, Y2100);
    const char *text = (const char *)data;
    uint64_t blank;

    if (a == NULL)
        __builtin_trap();
    blank = feed_lines(a, text, size);
    check(a, blank);
    if (size > 0 && size <= PIPE_MAX)
        same_counts(a, text, size);
    tlsrpt_agg_free(a);
    return 0;
}
