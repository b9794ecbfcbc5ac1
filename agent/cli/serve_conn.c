/* serve_conn.c - one LMTP connection of `dane-agent serve` (serve.h) */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "deliver.h"
#include "delivery_warm.h"
#include "envelope.h"
#include "serve.h"

#define SERVE_IN_MAX   8192u
#define SERVE_TICK_MS  1000     /* how often a wait looks at *stop */
#define SERVE_ENH_MAX  16u

/* The transaction between DATA and the last reply */
struct txn {
    const struct serve_config *cfg;
    int fd;                     /* the client */
    const struct lmtp_envelope *env;
    struct spool *sp;
    enum spool_status st;
    int ready;                  /* CRLF.CRLF seen: deliver, then answer */
    char err[256];              /* why the spool failed */
};

static void on_data_begin(void *ctx, const struct lmtp_envelope *env)
{
    struct txn *t = ctx;
    /* the engine enforces the size limit; the policy entry's is checked
     * per destination by deliver_spooled() */
    struct spool_params p = {.dir = policy_spool_dir(t->cfg->policy)};

    t->env = env;
    t->ready = 0;
    t->sp = spool_new(&p, t->err, sizeof(t->err));
    t->st = t->sp != NULL ? SPOOL_OK : SPOOL_FAILED;
}

static void on_body(void *ctx, const char *p, size_t n)
{
    struct txn *t = ctx;

    if (t->st == SPOOL_OK)
        t->st = spool_append(t->sp, p, n, t->err, sizeof(t->err));
}

static void on_data_end(void *ctx, enum lmtp_data_end how)
{
    struct txn *t = ctx;

    if (how == LMTP_DATA_COMPLETE) {
        if (t->st == SPOOL_OK)
            t->st = spool_end(t->sp, t->err, sizeof(t->err));
        t->ready = 1;
        return;
    }
    /* rejected (the engine answered) or aborted: nothing is sent */
    spool_free(t->sp);
    t->sp = NULL;
}

/* reply_code - the reply code for an enhanced status code (RFC 3463 §3.3,
 * §3.4, §3.5 subjects: addressing and mailbox 450/550, size 552, else the
 * local-error and transaction-failed codes) */
static int reply_code(const char *enh)
{
    int permanent = enh[0] == '5';

    if (enh[2] == '1' || enh[2] == '2')
        return permanent ? 550 : 450;
    if (strncmp(enh + 2, "3.4", 3) == 0)
        return permanent ? 552 : 452;
    return permanent ? 554 : 451;
}

/* answer - recipient i's reply from deliver's verdict; reason is "X.Y.Z
 * text" as deliver writes it on standard error */
static void answer(struct lmtp_session *s, size_t i, enum delivery_status st,
                   const char *reason, const char *domain)
{
    char enh[SERVE_ENH_MAX], text[LMTP_TEXT_MAX];
    char cls = st == DELIVERY_BOUNCED ? '5' : '4';
    size_t span = strspn(reason, "0123456789.");

    if (st == DELIVERY_SENT) {
        snprintf(text, sizeof(text), "Ok: delivered to %s", domain);
        lmtp_session_result(s, i, 250, "2.0.0", text);
        return;
    }
    if (span >= 5 && span < sizeof(enh) && reason[span] == ' ' && reason[0] == cls) {
        memcpy(enh, reason, span);
        enh[span] = '\0';
        reason += span + 1;
    } else {
        snprintf(enh, sizeof(enh), "%c.0.0", cls);
    }
    if (lmtp_session_result(s, i, reply_code(enh), enh, reason) != 0)
        lmtp_session_result(s, i, cls == '5' ? 554 : 451, cls == '5' ? "5.0.0" : "4.0.0",
                            reason);
}

/* domain_of - the part after the last '@' */
static const char *domain_of(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at != NULL ? at + 1 : addr;
}

static int flush_out(struct lmtp_session *s, int fd, const struct serve_config *cfg);

/* The recipients of one destination domain */
struct group {
    const char *domain;
    size_t n;
    const char **rcpt;          /* the addresses */
    size_t *idx;                /* their places in the envelope */
    struct delivery_rcpt *res;
};

/* request_of - deliver's request for the group, as request_parse() would
 * make it; -1 with *why when the domain is no next-hop */
static int request_of(const struct txn *t, const struct group *g,
                      struct deliver_request *req, const char **why)
{
    const char *sender = t->env->sender;

    memset(req, 0, sizeof(*req));
    req->sender = sender;
    req->nexthop_text = g->domain;
    req->rcpts = g->rcpt;
    req->nrcpts = g->n;
    req->log_stderr = t->cfg->log_stderr;
    /* as deliver decides it from its arguments: SMTPUTF8 when an address
     * needs it (RFC 6531 §3.4), not merely because the client asked for it,
     * so that an all-ASCII message still reaches a server without it */
    req->smtputf8 = envelope_needs_smtputf8(sender, strlen(sender));
    for (size_t k = 0; k < g->n; k++)
        req->smtputf8 |= envelope_needs_smtputf8(g->rcpt[k], strlen(g->rcpt[k]));
    return nexthop_parse(g->domain, strlen(g->domain), &req->nexthop, why);
}

/* deliver_group - deliver the message to one domain and answer each of its
 * recipients; a recipient without a verdict of its own (the delivery did
 * not run) takes the request's status and reason */
static void deliver_group(struct lmtp_session *s, const struct txn *t, struct group *g)
{
    struct deliver_request req;
    char line[DELIVER_LINE_MAX];
    const char *why = NULL;
    int status;

    if (request_of(t, g, &req, &why) != 0) {
        for (size_t k = 0; k < g->n; k++)   /* RFC 3463: 5.1.2 bad destination */
            lmtp_session_result(s, g->idx[k], 550, "5.1.2", why);
        return;
    }
    for (size_t k = 0; k < g->n; k++) {
        g->res[k].status = DELIVERY_DEFERRED;
        g->res[k].reason[0] = '\0';
    }
    status = deliver_spooled(&req, t->cfg->policy, clock_now_ms(), t->sp, g->res,
                             t->cfg->warm, line);
    alarm(0);   /* deliver_spooled's last-resort alarm: the worker lives on */
    for (size_t k = 0; k < g->n; k++) {
        struct delivery_rcpt *r = &g->res[k];

        if (r->status != DELIVERY_SENT && r->reason[0] == '\0')
            answer(s, g->idx[k], status == EX_UNAVAILABLE ? DELIVERY_BOUNCED
                                                          : DELIVERY_DEFERRED, line, g->domain);
        else
            answer(s, g->idx[k], r->status, r->reason, g->domain);
    }
}

/* group_from - the recipients not yet done whose domain is that of
 * recipient first, marked done */
static void group_from(const struct lmtp_envelope *env, size_t first, char *done,
                       struct group *g)
{
    g->domain = domain_of(env->rcpt[first]);
    g->n = 0;
    for (size_t j = first; j < env->rcpt_count; j++)
        if (!done[j] && strcasecmp(domain_of(env->rcpt[j]), g->domain) == 0) {
            done[j] = 1;
            g->idx[g->n] = j;
            g->rcpt[g->n++] = env->rcpt[j];
        }
}

/* deliver_txn - every recipient of the transaction answered */
static void deliver_txn(struct lmtp_session *s, struct txn *t)
{
    size_t n = t->env->rcpt_count;
    char *done = calloc(n, 1);
    struct group g = {
        .rcpt = calloc(n, sizeof(*g.rcpt)),
        .idx = calloc(n, sizeof(*g.idx)),
        .res = calloc(n, sizeof(*g.res)),
    };

    if (t->st == SPOOL_OK && (done == NULL || g.rcpt == NULL || g.idx == NULL || g.res == NULL)) {
        t->st = SPOOL_FAILED;
        snprintf(t->err, sizeof(t->err), "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (t->st != SPOOL_OK)
            lmtp_session_result(s, i, 451, "4.3.0", t->err);
        else if (!done[i]) {
            group_from(t->env, i, done, &g);
            deliver_group(s, t, &g);
            /* the replies known so far go out now: each wait of the client
             * is one domain's delivery (Postfix lmtp_data_done_timeout); a
             * client that is gone gets nothing more sent on its behalf */
            if (flush_out(s, t->fd, t->cfg) != 0)
                break;
        }
    }
    free(done);
    free(g.rcpt);
    free(g.idx);
    free(g.res);
}

/* deliver_quietly - deliver_txn() with SIGTERM and SIGINT held back: a
 * stop request waits for the delivery's end, and no system call of the
 * delivery is interrupted by it */
static void deliver_quietly(struct lmtp_session *s, struct txn *t)
{
    sigset_t hold, old;

    sigemptyset(&hold);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGINT);
    sigprocmask(SIG_BLOCK, &hold, &old);
    deliver_txn(s, t);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

enum wait_result { WAIT_READY, WAIT_EXPIRED, WAIT_STOP };

/* wait_fd - until fd is ready for events, the deadline passes or *stop is
 * set (seen within SERVE_TICK_MS); each tick closes the worker's kept
 * connections that have been idle too long */
static enum wait_result wait_fd(int fd, short events, uint64_t deadline,
                                const struct serve_config *cfg,
                                const volatile sig_atomic_t *stop)
{
    struct pollfd p = {.fd = fd, .events = events};

    for (;;) {
        uint64_t now = clock_now_ms();
        int ms = deadline - now < SERVE_TICK_MS ? (int)(deadline - now) : SERVE_TICK_MS;

        if (cfg->warm != NULL)
            delivery_warm_expire(cfg->warm->delivery, now);
        if (stop != NULL && *stop)
            return WAIT_STOP;
        if (now >= deadline)
            return WAIT_EXPIRED;
        if (poll(&p, 1, ms) > 0)
            return WAIT_READY;
    }
}

/* flush_out - write every pending reply; -1 when the client is gone or
 * does not read within the idle timeout */
static int flush_out(struct lmtp_session *s, int fd, const struct serve_config *cfg)
{
    uint64_t deadline = clock_now_ms() + cfg->idle_timeout_s * 1000ull;
    size_t len;
    const char *out;

    while ((out = lmtp_session_output(s, &len)), len > 0) {
        ssize_t n = write(fd, out, len);

        if (n > 0) {
            lmtp_session_written(s, (size_t)n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (wait_fd(fd, POLLOUT, deadline, cfg, NULL) != WAIT_READY)
            return -1;
    }
    return 0;
}

/* read_more - wait for the client's bytes into in (*inlen filled); the
 * session hears of end of file, the idle timeout and a stop request. A
 * stop request is honoured between transactions: one under way runs to
 * its last reply first (the idle timeout bounds a client that stalls). */
static void read_more(struct lmtp_session *s, int fd, const struct serve_config *cfg,
                      char *in, size_t *inlen, const volatile sig_atomic_t *stop)
{
    uint64_t deadline = clock_now_ms() + cfg->idle_timeout_s * 1000ull;
    ssize_t n;

    for (;;) {
        switch (wait_fd(fd, POLLIN, deadline, cfg,
                        lmtp_session_in_transaction(s) ? NULL : stop)) {
        case WAIT_READY:
            break;
        case WAIT_EXPIRED:  /* 421 4.4.2, any DATA aborted: the client retries */
            lmtp_session_timeout(s);
            return;
        case WAIT_STOP:     /* 421 4.3.2 */
            lmtp_session_shutdown(s);
            return;
        }
        n = read(fd, in + *inlen, SERVE_IN_MAX - *inlen);
        if (n > 0) {
            *inlen += (size_t)n;
            return;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            lmtp_session_eof(s);
            return;
        }
    }
}

/* converse - the session to its end: replies out, transactions delivered,
 * the client's bytes in */
static void converse(struct lmtp_session *s, struct txn *t, int fd,
                     const volatile sig_atomic_t *stop)
{
    char in[SERVE_IN_MAX];
    size_t inlen = 0, used;

    while (flush_out(s, fd, t->cfg) == 0 && !lmtp_session_closed(s)) {
        if (t->ready) {
            t->ready = 0;
            deliver_quietly(s, t);
            spool_free(t->sp);
            t->sp = NULL;
            continue;
        }
        used = inlen > 0 ? lmtp_session_feed(s, in, inlen) : 0;
        memmove(in, in + used, inlen - used);
        inlen -= used;
        if (used > 0 || t->ready)
            continue;
        if (inlen == SERVE_IN_MAX)  /* a full buffer the engine cannot take */
            break;
        read_more(s, fd, t->cfg, in, &inlen, stop);
    }
}

void serve_connection(const struct serve_config *cfg, int fd,
                      const volatile sig_atomic_t *stop)
{
    static const char oom[] = "421 4.3.0 dane-agent: out of memory\r\n";
    struct txn t = {.cfg = cfg, .fd = fd};
    struct lmtp_events ev = {
        .ctx = &t, .data_begin = on_data_begin, .body = on_body, .data_end = on_data_end,
    };
    struct lmtp_session *s = lmtp_session_new(cfg->hostname, &cfg->limits, &ev);

    if (s == NULL)
        (void)!write(fd, oom, sizeof(oom) - 1);
    else
        converse(s, &t, fd, stop);
    lmtp_session_free(s);
    spool_free(t.sp);       /* a transaction cut short: nothing was sent */
    close(fd);
}
