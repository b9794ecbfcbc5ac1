/* lmtp_session.c - the LMTP session: output, state, results (see lmtp.h) */
#include "lmtp_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* lmtp_reply - append one formatted reply line with its CRLF */
void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
{
    char line[LMTP_TEXT_MAX + 64];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 3)
        n = (int)(sizeof(line) - 3);
    memcpy(line + n, "\r\n", 2);
    if (s->out_len + (size_t)n + 2 > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap * 2 : 1024;
        char *p;

        while (cap < s->out_len + (size_t)n + 2)
            cap *= 2;
        p = realloc(s->out, cap);
        if (p == NULL) {
            s->state = LMTP_ST_CLOSED;  /* no memory for the reply: give up */
            return;
        }
        s->out = p;
        s->out_cap = cap;
    }
    memcpy(s->out + s->out_len, line, (size_t)n + 2);
    s->out_len += (size_t)n + 2;
}

/* lmtp_txn_reset - forget the transaction (RSET, LHLO, after the replies) */
void lmtp_txn_reset(struct lmtp_session *s)
{
    size_t i;

    for (i = 0; i < s->rcpt_count; i++) {
        free(s->rcpt[i]);
        free(s->result[i]);
        s->rcpt[i] = NULL;
        s->result[i] = NULL;
    }
    s->rcpt_count = 0;
    s->replied = 0;
    free(s->sender);
    s->sender = NULL;
    memset(&s->env, 0, sizeof(s->env));
    if (s->state != LMTP_ST_CLOSED && s->state != LMTP_ST_GREETED)
        s->state = LMTP_ST_READY;
}

struct lmtp_session *lmtp_session_new(const char *hostname,
                                      const struct lmtp_limits *lim,
                                      const struct lmtp_events *ev)
{
    static const struct lmtp_limits defaults = {
        LMTP_LINE_MAX_DEFAULT, LMTP_RCPT_MAX_DEFAULT, LMTP_SIZE_MAX_DEFAULT };
    struct lmtp_session *s;

    if (lim == NULL)
        lim = &defaults;
    if (lim->line_max < LMTP_LINE_MAX_MIN || lim->rcpt_max < 1 || ev == NULL)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->lim = *lim;
    s->ev = *ev;
    s->line = malloc(lim->line_max);
    s->rcpt = calloc(lim->rcpt_max, sizeof(*s->rcpt));
    s->result = calloc(lim->rcpt_max, sizeof(*s->result));
    s->hostname = strdup(hostname);
    if (s->line == NULL || s->rcpt == NULL || s->result == NULL || s->hostname == NULL) {
        lmtp_session_free(s);
        return NULL;
    }
    s->state = LMTP_ST_GREETED;
    lmtp_reply(s, "220 %s LMTP ready", s->hostname);
    return s;
}

void lmtp_session_free(struct lmtp_session *s)
{
    if (s == NULL)
        return;
    lmtp_txn_reset(s);
    free(s->rcpt);
    free(s->result);
    free(s->line);
    free(s->hostname);
    free(s->out);
    free(s);
}

/* enhanced_ok - "c.sss.ddd" (RFC 3463 §2) whose class is the code's class */
static int enhanced_ok(const char *e, int code)
{
    size_t n[3] = { 0, 0, 0 }, part = 0;

    if (e == NULL || e[0] != (char)('0' + code / 100) || e[1] != '.')
        return 0;
    for (e += 2, part = 1; *e != '\0'; e++) {
        if (*e == '.' && part < 2 && n[part] > 0)
            part++;
        else if (*e >= '0' && *e <= '9' && n[part] < 3)
            n[part]++;
        else
            return 0;
    }
    return part == 2 && n[2] > 0;
}

/* flush_results - write the replies known, in RCPT order (RFC 2033 §4.2) */
static void flush_results(struct lmtp_session *s)
{
    while (s->replied < s->rcpt_count && s->result[s->replied] != NULL) {
        lmtp_reply(s, "%s", s->result[s->replied]);
        s->replied++;
    }
    if (s->replied == s->rcpt_count)
        lmtp_txn_reset(s);
}

int lmtp_session_result(struct lmtp_session *s, size_t i, int code,
                        const char *enhanced, const char *text)
{
    char buf[LMTP_TEXT_MAX + 32];
    size_t k, start;

    if (s->state != LMTP_ST_AWAIT || i >= s->rcpt_count || s->result[i] != NULL ||
        code < 200 || code > 599 || code / 100 == 3 || !enhanced_ok(enhanced, code))
        return -1;
    if (text == NULL || *text == '\0')
        text = code < 300 ? "delivered" : "not delivered";
    start = (size_t)snprintf(buf, sizeof(buf), "%d %s ", code, enhanced);
    for (k = 0; text[k] != '\0' && start + k < sizeof(buf) - 1; k++)
        buf[start + k] = (unsigned char)text[k] < 0x20 || text[k] == 0x7f ? '?' : text[k];
    buf[start + k] = '\0';
    s->result[i] = strdup(buf);
    if (s->result[i] == NULL)
        return -1;
    flush_results(s);
    return 0;
}

/* lmtp_reject_all - the engine's own reply for every recipient */
void lmtp_reject_all(struct lmtp_session *s, const char *reply)
{
    size_t i;

    for (i = 0; i < s->rcpt_count; i++)
        lmtp_reply(s, "%s", reply);
    lmtp_txn_reset(s);
}

/* abort_data - end a transaction the client cannot finish */
static void abort_data(struct lmtp_session *s)
{
    if (s->state == LMTP_ST_DATA && s->ev.data_end != NULL)
        s->ev.data_end(s->ev.ctx, LMTP_DATA_ABORTED);
}

void lmtp_session_eof(struct lmtp_session *s)
{
    abort_data(s);
    s->state = LMTP_ST_CLOSED;
}

/* close_421 - any DATA aborted, 421 with enh and why, closed */
static void close_421(struct lmtp_session *s, const char *enh, const char *why)
{
    if (s->state == LMTP_ST_CLOSED)
        return;
    abort_data(s);
    lmtp_reply(s, "421 %s %s %s, closing", enh, s->hostname, why);
    s->state = LMTP_ST_CLOSED;
}

void lmtp_session_timeout(struct lmtp_session *s)
{
    close_421(s, "4.4.2", "timeout");
}

void lmtp_session_shutdown(struct lmtp_session *s)
{
    /* RFC 3463 §3.5: X.3.2 system not accepting network messages */
    close_421(s, "4.3.2", "service shutting down");
}

const char *lmtp_session_output(const struct lmtp_session *s, size_t *len)
{
    *len = s->out_len;
    return s->out;
}

void lmtp_session_written(struct lmtp_session *s, size_t n)
{
    if (n > s->out_len)
        n = s->out_len;
    memmove(s->out, s->out + n, s->out_len - n);
    s->out_len -= n;
}

int lmtp_session_closed(const struct lmtp_session *s)
{
    return s->state == LMTP_ST_CLOSED;
}

int lmtp_session_awaiting(const struct lmtp_session *s)
{
    return s->state == LMTP_ST_AWAIT;
}

int lmtp_session_in_transaction(const struct lmtp_session *s)
{
    return s->state == LMTP_ST_MAIL || s->state == LMTP_ST_DATA || s->state == LMTP_ST_AWAIT;
}

size_t lmtp_session_feed(struct lmtp_session *s, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t used = 0;

    while (used < len && s->out_len <= LMTP_OUTPUT_HIGH) {
        if (s->state == LMTP_ST_CLOSED || s->state == LMTP_ST_AWAIT)
            break;
        if (s->state == LMTP_ST_DATA)
            used += lmtp_data_feed(s, p + used, len - used);
        else
            used += lmtp_line_feed(s, p + used, len - used);
    }
    return used;
}
