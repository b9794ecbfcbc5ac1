/* tlsrpt_agg.c - sessions of dane-agent's records grouped into RFC 8460
 *                §4.4 reports by policy domain and policy (tlsrpt.h) */
#include "tlsrpt_agg.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tlsrpt_uri.h"

#define DAY 86400
#define YEAR_10000 INT64_C(253402300800)   /* RFC 3339 years have 4 digits */
#define DETAILS_FIRST 4u

/* agg_alloc - n zeroed bytes within the memory bound, or NULL */
static void *agg_alloc(struct tlsrpt_agg *a, size_t n)
{
    void *p;

    if (n > TLSRPT_MEMORY_MAX - a->bytes || (p = calloc(1, n)) == NULL)
        return NULL;
    a->bytes += n;
    return p;
}

/* bound - a bound was hit: remember the first one */
static void bound(struct tlsrpt_agg *a, const char *why)
{
    if (a->stats.bound_why == NULL)
        a->stats.bound_why = why;
}

/* tlsrpt_utc_day - see tlsrpt.h */
int tlsrpt_utc_day(time_t t, time_t *start, time_t *end)
{
    if (t < 0 || (int64_t)t >= YEAR_10000)
        return -1;
    *start = t - t % DAY;       /* time_t has no leap seconds: whole days */
    *end = *start + DAY;
    return 0;
}

/* tlsrpt_agg_new - see tlsrpt.h */
struct tlsrpt_agg *tlsrpt_agg_new(time_t start, time_t end)
{
    struct tlsrpt_agg *a;

    if (start < 0 || start >= end || (int64_t)end > YEAR_10000)
        return NULL;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->start = start;
    a->end = end;
    a->bytes = sizeof(*a);
    return a;
}

static void free_policy(struct tlsrpt_policy *p)
{
    free(p->strings);
    for (size_t i = 0; i < p->nmx_hosts; i++)
        free(p->mx_hosts[i]);
    free(p->details);
}

/* tlsrpt_agg_free - see tlsrpt.h */
void tlsrpt_agg_free(struct tlsrpt_agg *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->ndomains; i++) {
        for (size_t k = 0; k < a->domains[i]->npolicies; k++)
            free_policy(&a->domains[i]->policies[k]);
        free(a->domains[i]);
    }
    free(a);
}

/* domain_for - the domain named name, added when new; NULL at a bound */
static struct tlsrpt_domain *domain_for(struct tlsrpt_agg *a, const char *name)
{
    struct tlsrpt_domain *d;

    for (size_t i = 0; i < a->ndomains; i++)
        if (strcmp(a->domains[i]->name, name) == 0)
            return a->domains[i];
    if (a->ndomains == TLSRPT_DOMAINS_MAX) {
        bound(a, "more than 1000 policy domains: records of the others dropped");
        return NULL;
    }
    if ((d = agg_alloc(a, sizeof(*d))) == NULL) {
        bound(a, "memory bound of the aggregation reached: records dropped");
        return NULL;
    }
    strcpy(d->name, name);      /* a normal host name fits */
    a->domains[a->ndomains++] = d;
    return d;
}

/* same_policy - p is the policy of record r: its type and strings */
static int same_policy(const struct tlsrpt_policy *p, const struct tlsrpt_rec *r)
{
    if (p->type != r->policy_type || p->nstrings != r->nstrings)
        return 0;
    for (size_t i = 0; i < r->nstrings; i++)
        if (strcmp(p->strings[i], r->strings[i]) != 0)
            return 0;
    return 1;
}

/* copy_strings - r's policy strings into p, as one block */
static int copy_strings(struct tlsrpt_agg *a, struct tlsrpt_policy *p,
                        const struct tlsrpt_rec *r)
{
    size_t size = r->nstrings * sizeof(char *);
    char *text;

    for (size_t i = 0; i < r->nstrings; i++)
        size += strlen(r->strings[i]) + 1;
    if (size == 0)
        return 0;
    if ((p->strings = agg_alloc(a, size)) == NULL)
        return -1;
    text = (char *)(p->strings + r->nstrings);
    for (size_t i = 0; i < r->nstrings; i++) {
        size_t n = strlen(r->strings[i]) + 1;

        p->strings[i] = memcpy(text, r->strings[i], n);
        text += n;
    }
    p->nstrings = r->nstrings;
    return 0;
}

/* policy_for - d's policy of record r, added when new; NULL at a bound */
static struct tlsrpt_policy *policy_for(struct tlsrpt_agg *a,
                                        struct tlsrpt_domain *d,
                                        const struct tlsrpt_rec *r)
{
    struct tlsrpt_policy *p;

    for (size_t i = 0; i < d->npolicies; i++)
        if (same_policy(&d->policies[i], r))
            return &d->policies[i];
    if (d->npolicies == TLSRPT_POLICIES_MAX) {
        bound(a, "more than 8 policies for one domain: records of the others dropped");
        return NULL;
    }
    p = &d->policies[d->npolicies];
    if (copy_strings(a, p, r) < 0) {
        bound(a, "memory bound of the aggregation reached: records dropped");
        return NULL;
    }
    p->type = r->policy_type;
    d->npolicies++;
    return p;
}

/* add_mx_host - pattern among p's mx-host list; -1 at a bound */
static int add_mx_host(struct tlsrpt_agg *a, struct tlsrpt_policy *p,
                       const char *pattern)
{
    size_t n = strlen(pattern) + 1;

    for (size_t i = 0; i < p->nmx_hosts; i++)
        if (strcmp(p->mx_hosts[i], pattern) == 0)
            return 0;
    if (p->nmx_hosts == TLSRPT_MX_HOSTS_MAX) {
        bound(a, "more than 16 mx-host patterns for one policy: the rest left out");
        return -1;
    }
    if ((p->mx_hosts[p->nmx_hosts] = agg_alloc(a, n)) == NULL) {
        bound(a, "memory bound of the aggregation reached: mx-host left out");
        return -1;
    }
    memcpy(p->mx_hosts[p->nmx_hosts++], pattern, n);
    return 0;
}

/* text_or_empty - s, or "" for NULL */
static const char *text_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* same_row - row w has the key of record r */
static int same_row(const struct tlsrpt_detail *w, const struct tlsrpt_rec *r)
{
    return w->result_type == r->result_type &&
           strcmp(w->sending_ip, text_or_empty(r->sending_ip)) == 0 &&
           strcmp(w->mx, text_or_empty(r->mx)) == 0 &&
           strcmp(w->address, text_or_empty(r->address)) == 0;
}

/* grow_details - room for one more row in p; -1 at a bound */
static int grow_details(struct tlsrpt_agg *a, struct tlsrpt_policy *p)
{
    size_t room = p->details_room == 0 ? DETAILS_FIRST : p->details_room * 2;
    size_t more;
    struct tlsrpt_detail *rows;

    if (p->ndetails < p->details_room)
        return 0;
    if (p->ndetails == TLSRPT_DETAILS_MAX) {
        bound(a, "more than 100 failure-details rows for one policy: the rest "
                 "only counted");
        return -1;
    }
    room = room < TLSRPT_DETAILS_MAX ? room : TLSRPT_DETAILS_MAX;
    more = (room - p->details_room) * sizeof(*rows);
    if (more > TLSRPT_MEMORY_MAX - a->bytes ||
        (rows = realloc(p->details, room * sizeof(*rows))) == NULL) {
        bound(a, "memory bound of the aggregation reached: failure-details "
                 "rows only counted");
        return -1;
    }
    a->bytes += more;
    p->details = rows;
    p->details_room = room;
    return 0;
}

/* add_detail - one failed session of record r in p's rows; -1 at a bound */
static int add_detail(struct tlsrpt_agg *a, struct tlsrpt_policy *p,
                      const struct tlsrpt_rec *r)
{
    struct tlsrpt_detail *w;

    for (size_t i = 0; i < p->ndetails; i++)
        if (same_row(&p->details[i], r)) {
            p->details[i].count++;
            return 0;
        }
    if (grow_details(a, p) < 0)
        return -1;
    w = &p->details[p->ndetails++];
    memset(w, 0, sizeof(*w));
    w->result_type = r->result_type;
    strcpy(w->sending_ip, text_or_empty(r->sending_ip));   /* bounded by */
    strcpy(w->mx, text_or_empty(r->mx));                   /* the record */
    strcpy(w->address, text_or_empty(r->address));         /* reader */
    w->count = 1;
    return 0;
}

/* place - the domain and policy record r counts in; NULL when dropped */
static struct tlsrpt_policy *place(struct tlsrpt_agg *a, const char *name,
                                   const struct tlsrpt_rec *r)
{
    struct tlsrpt_domain *d = domain_for(a, name);
    struct tlsrpt_policy *p = d != NULL ? policy_for(a, d, r) : NULL;

    if (d != NULL && d->npolicies == 0) {   /* new, and no policy fits */
        a->domains[--a->ndomains] = NULL;
        a->bytes -= sizeof(*d);
        free(d);
    }
    return p;
}

/* report_domain - the policy domain r is reported under, normal in name;
 * 0, or -1 when it has none. RFC 8460 §2: for DANE it is the next-hop
 * domain (the recipient's domain, or the smarthost's), not the TLSA base
 * domain the record's policy_domain holds. */
static int report_domain(const struct tlsrpt_rec *r, char name[TLSRPT_HOST_MAX + 1])
{
    const char *d = r->destination, *end;

    if (r->policy_type == NULL || r->domain == NULL)
        return -1;
    if (strcmp(r->policy_type, "tlsa") != 0 || d == NULL)
        return tlsrpt_host_normal(r->domain, strlen(r->domain), 1, name);
    if (d[0] == '[') {              /* [host] or [host]:port */
        d++;
        end = strchr(d, ']');
    } else {                        /* domain or domain:port */
        end = strchr(d, ':');
    }
    if (end == NULL)
        end = d + strlen(d);
    return tlsrpt_host_normal(d, (size_t)(end - d), 1, name);
}

/* count - one well-formed record: a session of a report, or why not */
static void count(struct tlsrpt_agg *a, const struct tlsrpt_rec *r)
{
    char name[TLSRPT_HOST_MAX + 1];
    struct tlsrpt_policy *p;
    int partial = 0;

    if (r->when < a->start || r->when >= a->end) {
        a->stats.outside++;
        return;
    }
    /* RFC 8460 §4.4 counts TLS sessions: a reused connection (conn_use
     * above 1) negotiated none */
    if (r->conn_use > 1 || (r->result_type == NULL && !r->tls)
        || report_domain(r, name) < 0) {
        a->stats.unreported++;
        return;
    }
    if ((p = place(a, name, r)) == NULL) {
        a->stats.dropped++;
        return;
    }
    a->stats.counted++;
    if (r->result_type != NULL) {
        p->failed++;
        partial |= add_detail(a, p, r) < 0;
    } else {
        p->successful++;
    }
    if (r->mx_pattern != NULL)
        partial |= add_mx_host(a, p, r->mx_pattern) < 0;
    if (partial)
        a->stats.partial++;
}

/* malformed - line a->stats.lines skipped for why */
static void malformed(struct tlsrpt_agg *a, const char *why)
{
    if (a->stats.malformed++ == 0) {
        a->stats.first_malformed = a->stats.lines;
        a->stats.malformed_why = why;
    }
}

/* is_blank - line[0..len) is white space only */
static int is_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return 0;
    return 1;
}

/* tlsrpt_agg_line - see tlsrpt.h */
void tlsrpt_agg_line(struct tlsrpt_agg *a, const char *line, size_t len)
{
    struct tlsrpt_rec r;
    const char *why;

    a->stats.lines++;
    if (is_blank(line, len))
        return;
    if (tlsrpt_rec_parse(line, len, &r, &why) < 0) {
        malformed(a, why);
        return;
    }
    count(a, &r);
    tlsrpt_rec_free(&r);
}

/* take_lines - the whole lines of buf[0..have), a line past the buffer
 * skipped to its newline (*skipping); the bytes left, moved to the front */
static size_t take_lines(struct tlsrpt_agg *a, char *buf, size_t have,
                         size_t size, int *skipping)
{
    size_t start = 0;
    char *nl;

    while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
        size_t end = (size_t)(nl - buf);

        if (!*skipping)
            tlsrpt_agg_line(a, buf + start, end - start);
        *skipping = 0;
        start = end + 1;
    }
    memmove(buf, buf + start, have - start);
    have -= start;
    if (have == size) {         /* no newline in a whole buffer */
        if (!*skipping) {
            a->stats.lines++;
            malformed(a, "record line longer than 64 KiB");
        }
        *skipping = 1;
        have = 0;
    }
    return have;
}

/* A source of record bytes: read(2) on a descriptor or gzread(). */
struct source {
    int fd;
    gzFile gz;          /* NULL: read fd as it is */
};

/* source_read - up to n bytes into buf; the count, 0 at the end, -1 on an
 * error (EINTR retried) */
static ssize_t source_read(struct source *src, char *buf, size_t n)
{
    ssize_t got;

    if (src->gz != NULL) {
        unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;

        return gzread(src->gz, buf, chunk);
    }
    do
        got = read(src->fd, buf, n);
    while (got < 0 && errno == EINTR);
    return got;
}

/* source_broken - after the end: gzip data damaged or cut short */
static int source_broken(struct source *src)
{
    int err = Z_OK;

    if (src->gz != NULL)
        gzerror(src->gz, &err);
    return err != Z_OK;
}

/* read_all - every line of src through tlsrpt_agg_line() */
static int read_all(struct tlsrpt_agg *a, struct source *src, const char **why)
{
    size_t size = TLSRPT_LINE_MAX + 1, have = 0;  /* a line and its "\n" */
    char *buf = malloc(size);
    int skipping = 0;
    ssize_t got;

    if (buf == NULL) {
        *why = "out of memory for the record reader";
        return -1;
    }
    for (;;) {
        got = source_read(src, buf + have, size - have);
        if (got == 0 && !source_broken(src))
            break;
        if (got <= 0) {         /* an error, or gzip data ended early */
            *why = src->gz != NULL ? "cannot read the records (gzip data "
                   "damaged or cut short)" : "cannot read the records";
            free(buf);
            return -1;
        }
        have = take_lines(a, buf, have + (size_t)got, size, &skipping);
    }
    if (have > 0 && !skipping)
        tlsrpt_agg_line(a, buf, have);     /* the last line, no newline */
    free(buf);
    return 0;
}

/* tlsrpt_agg_read - see tlsrpt.h */
int tlsrpt_agg_read(struct tlsrpt_agg *a, int fd, const char **why)
{
    struct source src = { fd, NULL };

    return read_all(a, &src, why);
}

/* tlsrpt_agg_read_gzip - see tlsrpt.h */
int tlsrpt_agg_read_gzip(struct tlsrpt_agg *a, int fd, const char **why)
{
    int copy = dup(fd);
    struct source src = { copy, NULL };
    int rc;

    if (copy >= 0 && (src.gz = gzdopen(copy, "rb")) == NULL)
        close(copy);
    if (src.gz == NULL) {
        *why = "cannot read the records (out of memory or descriptors)";
        return -1;
    }
    rc = read_all(a, &src, why);
    gzclose(src.gz);            /* closes the copy, never fd */
    return rc;
}

/* tlsrpt_agg_stats - see tlsrpt.h */
const struct tlsrpt_stats *tlsrpt_agg_stats(const struct tlsrpt_agg *a)
{
    return &a->stats;
}

/* tlsrpt_agg_domains - see tlsrpt.h */
size_t tlsrpt_agg_domains(const struct tlsrpt_agg *a)
{
    return a->ndomains;
}

/* tlsrpt_agg_domain - see tlsrpt.h */
const char *tlsrpt_agg_domain(const struct tlsrpt_agg *a, size_t i)
{
    return i < a->ndomains ? a->domains[i]->name : NULL;
}
