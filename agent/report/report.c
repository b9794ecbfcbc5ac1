/* report.c - Postfix-format TLS and delivery lines, syslog, JSON Lines
 *            records; contract in report.h */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "io.h"
#include "json.h"
#include "utf8.h"

/* A bounded line under construction in the caller's buffer. */
struct line {
    char *p;
    size_t size;                /* > 0 */
    size_t len;
    int cut;                    /* something did not fit */
};

static void line_init(struct line *l, char *p, size_t size)
{
    l->p = p;
    l->size = size;
    l->len = 0;
    l->cut = 0;
    p[0] = '\0';
}

static void line_put(struct line *l, const char *s, size_t n)
{
    if (l->cut)
        return;
    if (n > l->size - 1 - l->len) {
        n = l->size - 1 - l->len;
        l->cut = 1;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
    l->p[l->len] = '\0';
}

static void line_add(struct line *l, const char *s)
{
    line_put(l, s, strlen(s));
}

static void line_uint(struct line *l, unsigned long v)
{
    char d[24];
    size_t i = sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    line_put(l, d + i, sizeof(d) - i);
}

/* line_text - untrusted text: printable ASCII stays, other bytes become '?';
 * with utf8, valid UTF-8 sequences stay too (SMTPUTF8 addresses) */
static void line_text(struct line *l, const char *s, int utf8)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, run;

    while (i < n && !l->cut) {
        for (run = i; run < n && u[run] >= 0x20 && u[run] < 0x7f; run++)
            ;
        line_put(l, s + i, run - i);
        i = run;
        if (i == n)
            break;
        if (utf8 && u[i] >= 0x80 && (run = utf8_len(u + i, n - i)) > 0) {
            line_put(l, s + i, run);
            i += run;
        } else {
            line_put(l, "?", 1);
            i++;
        }
    }
}

/* line_end - a cut line ends in "..." at a character boundary; the length */
static size_t line_end(struct line *l)
{
    if (l->cut && l->size >= 4) {
        l->len = l->size - 4;
        while (l->len > 0 && ((unsigned char)l->p[l->len] & 0xc0) == 0x80)
            l->len--;           /* never split a UTF-8 sequence */
        memcpy(l->p + l->len, "...", 4);
        l->len += 3;
    }
    return l->len;
}

static int is_set(const char *s)
{
    return s != NULL && *s != '\0';
}

const char *report_result_name(enum report_result result)
{
    switch (result) {
    case REPORT_SENT: return "sent";
    case REPORT_DEFERRED: return "deferred";
    case REPORT_BOUNCED: return "bounced";
    }
    return "deferred";          /* unreachable: an unknown value never sends */
}

/* default_dsn - RFC 3463 class of a result without an enhanced code */
static const char *default_dsn(enum report_result result)
{
    switch (result) {
    case REPORT_SENT: return "2.0.0";
    case REPORT_BOUNCED: return "5.0.0";
    case REPORT_DEFERRED: break;
    }
    return "4.0.0";
}

/* add_namaddr - Postfix's "host[addr]:port" */
static void add_namaddr(struct line *l, const struct report_attempt *a)
{
    const char *addr = is_set(a->address) ? a->address : "unknown";

    line_text(l, is_set(a->mx) ? a->mx : addr, 0);
    line_add(l, "[");
    line_text(l, addr, 0);
    line_add(l, "]:");
    line_uint(l, a->port);
}

/* report_tls_line - Postfix's tls_log_summary() format, client side */
size_t report_tls_line(const struct report_attempt *a, char *out, size_t size)
{
    const struct report_tls *t = &a->tls;
    struct line l;

    line_init(&l, out, size);
    if (!is_set(t->version))
        return 0;
    line_text(&l, is_set(a->verification) && strcmp(a->verification, "none")
                  ? a->verification : "Untrusted", 0);
    /* Postfix's "reused" means a cached connection (tlsproxy), not a
     * resumed session: a resumed handshake is logged "established" too;
     * only the JSON record says resumed */
    line_add(&l, " TLS connection established to ");
    add_namaddr(&l, a);
    line_add(&l, ": ");
    line_text(&l, t->version, 0);
    line_add(&l, " with cipher ");
    line_text(&l, is_set(t->cipher) ? t->cipher : "unknown", 0);
    line_add(&l, " (");
    line_uint(&l, t->bits > 0 ? (unsigned long)t->bits : 0);
    line_add(&l, "/");
    line_uint(&l, t->alg_bits > 0 ? (unsigned long)t->alg_bits
                  : t->bits > 0 ? (unsigned long)t->bits : 0);
    line_add(&l, " bits)");
    if (is_set(t->key_exchange)) {
        line_add(&l, " key-exchange ");
        line_text(&l, t->key_exchange, 0);
    }
    if (is_set(t->server_signature)) {
        line_add(&l, " server-signature ");
        line_text(&l, t->server_signature, 0);
        if (is_set(t->server_digest)) {
            line_add(&l, " server-digest ");
            line_text(&l, t->server_digest, 0);
        }
    }
    return line_end(&l);
}

/* auth_name - how a log line names what authenticated the peer */
static const char *auth_name(const char *by)
{
    static const struct { const char *json, *log; } names[] = {
        { "dane", "DANE" }, { "mta-sts", "MTA-STS" }, { "pkix", "PKIX" },
        { "fingerprint", "fingerprint" },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(by, names[i].json) == 0)
            return names[i].log;
    return by;
}

/* report_auth_line - "mx[addr]:port: Verified via MTA-STS policy of
 * example.com (mx pattern *.example.com)" or "... via DANE (TLSA 3 1 1 at
 * depth 0)": how a Verified peer was authenticated, after Postfix's TLS
 * line, which stays as Postfix writes it */
size_t report_auth_line(const struct report_attempt *a, char *out, size_t size)
{
    struct line l;

    line_init(&l, out, size);
    if (!is_set(a->authenticated_by))
        return 0;
    add_namaddr(&l, a);
    line_add(&l, ": Verified via ");
    line_add(&l, auth_name(a->authenticated_by));
    if (strcmp(a->authenticated_by, "mta-sts") == 0 && is_set(a->policy.domain)) {
        line_add(&l, " policy of ");
        line_text(&l, a->policy.domain, 0);
        if (is_set(a->policy.mx_host_pattern)) {
            line_add(&l, " (mx pattern ");
            line_text(&l, a->policy.mx_host_pattern, 0);
            line_add(&l, ")");
        }
    } else if (strcmp(a->authenticated_by, "dane") == 0 && a->tlsa_match.matched) {
        line_add(&l, " (TLSA ");
        line_uint(&l, a->tlsa_match.usage);
        line_add(&l, " ");
        line_uint(&l, a->tlsa_match.selector);
        line_add(&l, " ");
        line_uint(&l, a->tlsa_match.mtype);
        line_add(&l, " at depth ");
        line_uint(&l, a->tlsa_match.depth);
        line_add(&l, ")");
    }
    return line_end(&l);
}

/* report_format_delay - Postfix's format_tv() with 2 significant digits and
 * a resolution limit of 2 decimals (delay_logging_resolution_limit) */
void report_format_delay(unsigned ms, char *out, size_t size)
{
    unsigned long sec = ms / 1000, frac = ms % 1000;   /* frac in ms */
    unsigned long res = 10;     /* resolution in ms: 0.01 s */
    unsigned long n;
    struct line l;

    if (sec >= 10)
        res = 1000;             /* whole seconds */
    else if (sec >= 1)
        res = 100;              /* 0.1 s: two significant digits */
    frac += res / 2;            /* round half up */
    if (frac >= 1000) {
        sec++;
        frac -= 1000;
    }
    line_init(&l, out, size);
    line_uint(&l, sec);
    if (frac >= res) {
        line_add(&l, ".");
        for (n = 100; frac >= res && n > 0; n /= 10) {
            char digit = (char)('0' + frac / n);
            line_put(&l, &digit, 1);
            frac %= n;
        }
    }
    line_end(&l);
}

static void add_delay(struct line *l, unsigned ms)
{
    char buf[24];

    report_format_delay(ms, buf, sizeof(buf));
    line_add(l, buf);
}

/* add_status_text - the text in "status=... (TEXT)" */
static void add_status_text(struct line *l, const struct report_attempt *a,
                            const struct report_rcpt *r, const char *dsn)
{
    if (is_set(r->status)) {
        line_text(l, r->status, 1);
    } else if (r->code > 0) {
        line_uint(l, (unsigned long)r->code);
        line_add(l, " ");
        line_text(l, dsn, 0);
        if (is_set(r->text)) {
            line_add(l, " ");
            line_text(l, r->text, 0);
        }
    } else {
        line_text(l, is_set(a->reason) ? a->reason : "no reason given", 1);
    }
}

/* report_delivery_line - Postfix's log_adhoc() format without queue id */
size_t report_delivery_line(const struct report_attempt *a, size_t i,
                            char *out, size_t size)
{
    const struct report_rcpt *r = &a->rcpts[i];
    const struct report_timings *t = &a->timings;
    const char *dsn = is_set(r->enhanced) ? r->enhanced : default_dsn(r->result);
    unsigned spent = t->setup_ms + t->transfer_ms;
    struct line l;

    line_init(&l, out, size);
    line_add(&l, "to=<");
    line_text(&l, r->address ? r->address : "", 1);
    line_add(&l, ">, relay=");
    if (a->connected)
        add_namaddr(&l, a);
    else
        line_add(&l, "none");
    if (a->connected && a->conn_use > 1) {
        char use[24];

        snprintf(use, sizeof(use), ", conn_use=%u", a->conn_use);
        line_add(&l, use);
    }
    line_add(&l, ", delay=");
    add_delay(&l, t->total_ms);
    line_add(&l, ", delays=");
    add_delay(&l, t->total_ms > spent ? t->total_ms - spent : 0);
    line_add(&l, "/0/");
    add_delay(&l, t->setup_ms);
    line_add(&l, "/");
    add_delay(&l, t->transfer_ms);
    line_add(&l, ", dsn=");
    line_text(&l, dsn, 0);
    line_add(&l, ", status=");
    line_add(&l, report_result_name(r->result));
    line_add(&l, " (");
    add_status_text(&l, a, r, dsn);
    line_add(&l, ")");
    return line_end(&l);
}

/* json_text_member - "key": printable copy of untrusted text, or null */
static void json_text_member(struct json *j, const char *key, const char *s,
                             int utf8)
{
    char buf[REPORT_LINE_MAX];
    struct line l;

    json_key(j, key);
    if (s == NULL) {
        json_null(j);
        return;
    }
    line_init(&l, buf, sizeof(buf));
    line_text(&l, s, utf8);
    json_string_n(j, buf, line_end(&l));
}

/* json_name_member - like json_text_member, but "" is null too */
static void json_name_member(struct json *j, const char *key, const char *s)
{
    json_text_member(j, key, is_set(s) ? s : NULL, 0);
}

static void json_uint_member(struct json *j, const char *key, uint64_t v)
{
    json_key(j, key);
    json_uint(j, v);
}

static void json_time_member(struct json *j, time_t when)
{
    struct tm tm;
    char buf[32];

    if (when == 0 || gmtime_r(&when, &tm) == NULL)
        return;
    if (strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return;
    json_key(j, "time");
    json_string(j, buf);
}

static void json_dnssec(struct json *j, const struct report_dnssec *d)
{
    json_key(j, "dnssec");
    json_object_begin(j);
    json_name_member(j, "mx", d->mx);
    json_name_member(j, "address", d->address);
    json_name_member(j, "tlsa", d->tlsa);
    json_object_end(j);
}

static void json_tls(struct json *j, const struct report_tls *t)
{
    json_key(j, "tls");
    if (!is_set(t->version)) {
        json_null(j);
        return;
    }
    json_object_begin(j);
    json_name_member(j, "version", t->version);
    json_name_member(j, "cipher", t->cipher);
    json_uint_member(j, "bits", t->bits > 0 ? (uint64_t)t->bits : 0);
    json_name_member(j, "key_exchange", t->key_exchange);
    json_name_member(j, "server_signature", t->server_signature);
    json_name_member(j, "server_digest", t->server_digest);
    json_key(j, "resumed");
    json_bool(j, t->resumed);
    json_object_end(j);
}

static void json_tlsa_match(struct json *j, const struct report_tlsa_match *m)
{
    json_key(j, "tlsa_match");
    if (!m->matched) {
        json_null(j);
        return;
    }
    json_object_begin(j);
    json_uint_member(j, "usage", m->usage);
    json_uint_member(j, "selector", m->selector);
    json_uint_member(j, "mtype", m->mtype);
    json_uint_member(j, "depth", m->depth);
    json_object_end(j);
}

static void json_rcpt(struct json *j, const struct report_attempt *a,
                      const struct report_rcpt *r)
{
    char status[REPORT_LINE_MAX];
    const char *dsn = is_set(r->enhanced) ? r->enhanced : default_dsn(r->result);
    struct line l;

    json_object_begin(j);
    json_text_member(j, "address", r->address, 1);
    json_key(j, "code");
    if (r->code > 0)
        json_uint(j, (uint64_t)r->code);
    else
        json_null(j);
    json_text_member(j, "enhanced", dsn, 0);
    json_text_member(j, "text", r->text, 0);
    json_key(j, "result");
    json_string(j, report_result_name(r->result));
    line_init(&l, status, sizeof(status));
    add_status_text(&l, a, r, dsn);
    json_key(j, "status");
    json_string_n(j, status, line_end(&l));
    json_object_end(j);
}

static void json_timings(struct json *j, const struct report_timings *t)
{
    json_key(j, "timings");
    json_object_begin(j);
    json_uint_member(j, "total_ms", t->total_ms);
    json_uint_member(j, "dns_ms", t->dns_ms);
    json_uint_member(j, "connect_ms", t->connect_ms);
    json_uint_member(j, "tls_ms", t->tls_ms);
    json_uint_member(j, "setup_ms", t->setup_ms);
    json_uint_member(j, "transfer_ms", t->transfer_ms);
    json_object_end(j);
}

/* json_policy - RFC 8460 §4.4's policy members: policy_type,
 * policy_string, policy_domain, mx_host_pattern */
static void json_policy(struct json *j, const struct report_policy *p)
{
    json_name_member(j, "policy_type", p->type);
    json_key(j, "policy_string");
    json_array_begin(j);
    for (size_t i = 0; i < p->nstrings; i++) {
        char buf[REPORT_LINE_MAX];
        struct line l;

        line_init(&l, buf, sizeof(buf));
        line_text(&l, p->strings[i], 0);
        json_string_n(j, buf, line_end(&l));
    }
    json_array_end(j);
    json_name_member(j, "policy_domain", p->domain);
    json_name_member(j, "mx_host_pattern", p->mx_host_pattern);
}

static void json_attempt(struct json *j, const struct report_attempt *a)
{
    size_t i;

    json_object_begin(j);
    json_time_member(j, a->when);
    json_text_member(j, "destination", a->destination, 0);
    json_name_member(j, "mx", a->mx);
    json_name_member(j, "address", a->address);
    json_uint_member(j, "port", a->port);
    json_name_member(j, "sending_ip", a->sending_ip);
    json_name_member(j, "level", a->level);
    json_name_member(j, "effective_level", a->effective_level);
    json_dnssec(j, &a->dnssec);
    json_name_member(j, "tlsa_base_domain", a->tlsa_base_domain);
    json_name_member(j, "sni", a->sni);
    json_tls(j, &a->tls);
    json_text_member(j, "verification",
                     is_set(a->verification) ? a->verification : "none", 0);
    json_name_member(j, "authenticated_by", a->authenticated_by);
    json_tlsa_match(j, &a->tlsa_match);
    json_key(j, "recipients");
    json_array_begin(j);
    for (i = 0; i < a->nrcpts; i++)
        json_rcpt(j, a, &a->rcpts[i]);
    json_array_end(j);
    json_key(j, "result");
    json_string(j, report_result_name(a->result));
    json_text_member(j, "reason", a->reason, 1);
    json_name_member(j, "rfc8460_result_type", a->rfc8460);
    json_policy(j, &a->policy);
    json_key(j, "requiretls");
    json_bool(j, a->requiretls);
    json_key(j, "tls_required_no");
    json_bool(j, a->tls_required_no);
    json_key(j, "conn_use");
    json_uint(j, a->connected ? a->conn_use : 0);
    json_timings(j, &a->timings);
    json_object_end(j);
}

/* report_json - one record plus "\n" in an owned buffer */
char *report_json(const struct report_attempt *a, size_t *len,
                  const char **why)
{
    struct json *j = json_new(REPORT_JSON_MAX);
    const char *text;
    size_t n;
    char *out = NULL;

    if (j == NULL) {
        *why = "out of memory for the JSON record";
        return NULL;
    }
    json_attempt(j, a);
    text = json_text(j, &n, why);
    if (text != NULL) {
        out = malloc(n + 2);
        if (out == NULL)
            *why = "out of memory for the JSON record";
    }
    if (out != NULL) {
        memcpy(out, text, n);
        out[n] = '\n';
        out[n + 1] = '\0';
        *len = n + 1;
    }
    json_free(j);
    return out;
}

/* report_open - the --report file, append mode; O_NONBLOCK so that a FIFO
 * never blocks open(2), fstat() so that only a regular file is kept */
int report_open(const char *path, char *err, size_t errsize)
{
    struct stat st;
    const char *why = NULL;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY
                  | O_NONBLOCK, 0644);

    if (fd < 0)
        why = strerror(errno);
    else if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    if (why == NULL)
        return fd;
    snprintf(err, errsize, "%s: %s", path, why);
    if (fd >= 0)
        close(fd);
    return -1;
}

/* report_write_json - one write() per record; a short write (disk full,
 * signal) continues where it stopped */
int report_write_json(int fd, const struct report_attempt *a,
                      const char **why)
{
    size_t len = 0;
    char *rec = report_json(a, &len, why);
    int rc;

    if (rec == NULL)
        return -1;
    rc = io_write_all(fd, rec, len);
    if (rc != 0)
        *why = "cannot write the JSON record";
    free(rec);
    return rc;
}

void report_log_open(void)
{
    openlog("dane-agent", LOG_PID, LOG_MAIL);
}

/* report_log_line - syslog and an optional stderr copy */
/* err_line - "dane-agent: LINE\n" to err in one write: processes that share
 * one standard error (serve's workers) never cut into each other's lines
 * (POSIX: a pipe write of at most PIPE_BUF octets is atomic) */
static void err_line(FILE *err, const char *text)
{
    char out[REPORT_LINE_MAX + 16];
    int n = snprintf(out, sizeof(out), "dane-agent: %s\n", text);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1;

    if (len > 0 && out[len - 1] != '\n')
        out[len - 1] = '\n';
    if (fileno(err) < 0) {      /* a stream in memory */
        fputs(out, err);
        return;
    }
    fflush(err);
    for (size_t done = 0; done < len;) {
        ssize_t w = write(fileno(err), out + done, len - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        done += (size_t)w;
    }
}

void report_log_line(int priority, const char *line, FILE *err)
{
    char buf[REPORT_LINE_MAX];
    struct line l;

    line_init(&l, buf, sizeof(buf));
    line_text(&l, line, 1);
    line_end(&l);
    syslog(LOG_MAIL | priority, "%s", buf);
    if (err != NULL)
        err_line(err, buf);
}

void report_log_attempt(const struct report_attempt *a, FILE *err)
{
    char buf[REPORT_LINE_MAX];
    size_t i;

    if (report_tls_line(a, buf, sizeof(buf)) > 0)
        report_log_line(LOG_INFO, buf, err);
    if (report_auth_line(a, buf, sizeof(buf)) > 0)
        report_log_line(LOG_INFO, buf, err);
    for (i = 0; i < a->nrcpts; i++) {
        report_delivery_line(a, i, buf, sizeof(buf));
        report_log_line(a->rcpts[i].result == REPORT_SENT ? LOG_INFO
                                                          : LOG_WARNING,
                        buf, err);
    }
}

/* report_emit - log lines, then the record to the --report file and stdout */
void report_emit(const struct report_sink *sink, const struct report_attempt *a)
{
    const char *why;

    report_log_attempt(a, sink->log_err);
    if (sink->json_fd >= 0 && report_write_json(sink->json_fd, a, &why) != 0)
        report_log_line(LOG_WARNING, why, sink->log_err);
    if (sink->json_stdout && report_write_json(STDOUT_FILENO, a, &why) != 0)
        report_log_line(LOG_WARNING, why, sink->log_err);
}
