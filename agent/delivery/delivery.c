/* delivery.c - the host and address loop of one delivery (delivery.h)
 *
 * SYNOPSIS
 *   delivery_run(in, out)
 *
 * DESCRIPTION
 *   For each host of the plan, in order, with the level the RFC 7672 §2
 *   decision gave it: each address (A, then AAAA) gets an SMTP session whose
 *   TLS demands follow the level; the verification callback applies
 *   verify_peer() to the peer chain; every session is reported (log lines,
 *   JSON record). Recipients stay pending until a server accepts the data
 *   for them (sent) or refuses them permanently (bounced); pending ones are
 *   offered to the next server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "clock.h"
#include "dane.h"
#include "delivery.h"
#include "delivery_warm.h"
#include "dnsplan.h"
#include "failure.h"
#include "pkix.h"
#include "policy.h"
#include "report.h"
#include "session_cache.h"
#include "sts.h"
#include "stsplan.h"
#include "tlsa.h"
#include "verify.h"

#define MAX_NAMES 8
#define MAX_PINS 16
#define MAX_GROUPS 16

/* How far a failure got: the deepest one explains the deferral best. */
enum rank {
    RANK_NONE = 0,
    RANK_DNS,
    RANK_SESSION,       /* + enum smtp_stage */
};

/* A reason kept for the final status line: its enhanced code apart, so that
 * the class printed is always that of the status (failure_dsn_for). */
struct note {
    char enhanced[SMTP_ENHANCED_MAX];
    char text[SMTP_REASON_MAX - FAILURE_ENHANCED_MAX];  /* "X.Y.Z text" fits */
};

struct delivery {
    const struct delivery_input *in;
    struct tls_ctx *ctx_auth;           /* no anonymous suites */
    struct tls_ctx *ctx_may;            /* anonymous suites too (level may) */
    size_t nrcpts;
    enum smtp_result *state;            /* per recipient; DEFER = pending */
    struct dane_pin pins[MAX_PINS];
    size_t npins;
    int best_rank;
    struct note deferral;               /* the most specific deferral */
    struct note bounce;                 /* the first permanent refusal */
    struct delivery_result *out;
    struct pkix_store *store;           /* CAs read once, or NULL */
    int store_tried;
    int tls_required_no;                /* RFC 8689 §5 honoured for this
                                         * message (tls_required_no()) */
    int other_deferral;                 /* a deferral not due to REQUIRETLS */
    struct note requiretls;             /* why a host could not carry the
                                         * REQUIRETLS message (the first) */
};

/* What the verification callback needs and what it found. */
struct peer_check {
    struct verify_input in;
    struct verify_result result;
    int called;
    int relax;                          /* TLS-Required: No applies here */
    int relaxed;                        /* ... and let a failure through */
    const char *relaxed_rfc8460;        /* the type of that failure */
    const char *names[MAX_NAMES];
    char dot_nexthop[DNS_NAME_MAX + 2];
};

/* note_set - enhanced code and text; a text that starts with the code
 * (DNS reasons do) is kept without it */
static void note_set(struct note *n, const char *enhanced, const char *text)
{
    size_t len = enhanced != NULL ? strlen(enhanced) : 0;

    snprintf(n->enhanced, sizeof(n->enhanced), "%s", len > 0 ? enhanced : "");
    if (len > 0 && strncmp(text, enhanced, len) == 0 && text[len] == ' ')
        text += len + 1;
    snprintf(n->text, sizeof(n->text), "%s", text);
}

/* note_reason - keep the most specific deferral reason */
static void note_reason(struct delivery *d, int rank, const char *enhanced,
                        const char *text)
{
    d->other_deferral = 1;
    if (rank <= d->best_rank)
        return;
    d->best_rank = rank;
    note_set(&d->deferral, enhanced, text);
}

/* note_requiretls - host or session that cannot carry the REQUIRETLS
 * message; the delivery moves on (RFC 8689 §4.2.1) */
static void note_requiretls(struct delivery *d, const char *text)
{
    if (d->requiretls.text[0] == '\0')
        note_set(&d->requiretls, "4.7.30", text);
}

/* tls_mode - what a level demands of STARTTLS */
static enum smtp_tls_mode tls_mode(enum policy_level level)
{
    if (level == POLICY_LEVEL_NONE)
        return SMTP_TLS_NONE;
    if (level == POLICY_LEVEL_MAY)
        return SMTP_TLS_OPPORTUNISTIC;
    return SMTP_TLS_REQUIRED;
}

/* tls_context - the shared context for a level, made on first use;
 * anonymous suites only at may (never at dane or above) */
static struct tls_ctx *tls_context(struct delivery *d, enum policy_level level,
                                   const char **why)
{
    const struct policy_entry *e = d->in->entry;
    int anonymous = level == POLICY_LEVEL_MAY;
    struct tls_ctx **slot = anonymous ? &d->ctx_may : &d->ctx_auth;
    uint16_t groups[MAX_GROUPS];
    size_t n = 0;
    struct tls_params p;

    if (*slot != NULL)
        return *slot;
    for (size_t i = 0; i < e->ncurves && n < MAX_GROUPS; i++)
        groups[n++] = e->curves[i];
    for (size_t i = 0; i < e->nffdhe_groups && n < MAX_GROUPS; i++)
        groups[n++] = e->ffdhe_groups[i];
    memset(&p, 0, sizeof(p));
    p.protocols = e->protocols;
    p.groups = groups;
    p.ngroups = n;
    p.legacy_cbc = e->legacy_cbc_suites;
    p.anonymous = anonymous;
    *slot = tls_ctx_new(&p, why);
    return *slot;
}

/* load_pins - the fingerprint level's digests from the policy */
static void load_pins(struct delivery *d)
{
    const struct policy_entry *e = d->in->entry;

    for (size_t i = 0; i < e->nmatch && d->npins < MAX_PINS; i++) {
        const struct policy_match *m = &e->match[i];
        struct dane_pin *pin = &d->pins[d->npins];

        if (m->kind != POLICY_MATCH_DIGEST || m->digest_len > sizeof(pin->digest))
            continue;
        pin->mtype = m->digest_mtype;
        memcpy(pin->digest, m->digest, m->digest_len);
        pin->len = m->digest_len;
        d->npins++;
    }
}

/* add_name - append a reference identifier */
static void add_name(struct peer_check *pc, const char *name)
{
    if (name != NULL && *name != '\0' && pc->in.nnames < MAX_NAMES)
        pc->names[pc->in.nnames++] = name;
}

/* reference_names - RFC 7672 §3.2.2 for DANE-TA (TLSA base domain and the
 * MX host name); the MX host name under MTA-STS; the policy's match list for
 * verify and secure */
static void reference_names(const struct delivery *d, size_t hi,
                            struct peer_check *pc)
{
    const struct dnsplan *plan = d->in->plan;
    const struct mxplan_host *host = &plan->hosts[hi];
    const struct policy_entry *e = d->in->entry;

    pc->in.names = pc->names;
    if (host->effective == MXPLAN_STS) {    /* RFC 8461 §4.2: the MX name */
        add_name(pc, plan->facts[hi].name);
        return;
    }
    if (host->level == POLICY_LEVEL_DANE || host->level == POLICY_LEVEL_DANE_ONLY) {
        add_name(pc, host->tlsa_base);
        if (strcmp(host->tlsa_base, plan->facts[hi].name) != 0)
            add_name(pc, plan->facts[hi].name);
        return;
    }
    for (size_t i = 0; i < e->nmatch; i++) {
        switch (e->match[i].kind) {
        case POLICY_MATCH_NAME:
            add_name(pc, e->match[i].text);
            break;
        case POLICY_MATCH_HOSTNAME:
            add_name(pc, plan->facts[hi].name);
            break;
        case POLICY_MATCH_NEXTHOP:
            add_name(pc, plan->nexthop.name);
            break;
        case POLICY_MATCH_DOT_NEXTHOP:
            snprintf(pc->dot_nexthop, sizeof(pc->dot_nexthop), ".%s",
                     plan->nexthop.name);
            add_name(pc, pc->dot_nexthop);
            break;
        case POLICY_MATCH_DIGEST:
            break;
        }
    }
}

/* peer_status - verify.h's status in smtp.h's terms */
static enum smtp_peer_status peer_status(const struct verify_result *r)
{
    if (!r->ok)
        return SMTP_PEER_FAIL;
    switch (r->status) {
    case VERIFY_ANONYMOUS: return SMTP_PEER_ANONYMOUS;
    case VERIFY_UNTRUSTED: return SMTP_PEER_UNTRUSTED;
    case VERIFY_TRUSTED: return SMTP_PEER_TRUSTED;
    case VERIFY_VERIFIED: return SMTP_PEER_VERIFIED;
    }
    return SMTP_PEER_FAIL;
}

/* verify_cb - smtp_verify_fn: judge the peer chain after the handshake */
static enum smtp_peer_status verify_cb(void *arg, const struct dane_chain *chain,
                                       const struct tls_facts *facts,
                                       const char **why)
{
    struct peer_check *pc = arg;

    (void)facts;
    pc->in.chain = chain;
    pc->in.now = time(NULL);
    verify_peer(&pc->in, &pc->result);
    pc->called = 1;
    if (!pc->result.ok && pc->relax) {      /* RFC 8689 §5 */
        pc->relaxed = 1;
        pc->relaxed_rfc8460 = pc->result.rfc8460;
        pc->result.ok = 1;
    }
    if (!pc->result.ok)
        *why = pc->result.reason;
    return peer_status(&pc->result);
}

/* pkix_store_for - the CA store, read once per delivery where PKIX is
 * asked: levels verify and secure, and the Trusted status where the policy
 * names a ca_file (as Postfix: without a CAfile nothing is Trusted); a store
 * that cannot be read stays NULL and verify_peer() gives the reason */
static const struct pkix_store *pkix_store_for(struct delivery *d, enum policy_level level)
{
    const char *why = NULL;
    int missing = 0;

    if (d->store == NULL && !d->store_tried
        && (level == POLICY_LEVEL_VERIFY || level == POLICY_LEVEL_SECURE
            || d->in->entry->ca_file != NULL)) {
        d->store_tried = 1;
        d->store = pkix_store_new(d->in->entry->ca_file, &missing, &why);
    }
    return d->store;
}

/* tls_required_no - RFC 8689 §5: a message with "TLS-Required: No" is
 * delivered despite the recipient domain's DANE or MTA-STS policy, where the
 * policy honours it; never at dane-only or fingerprint, which are the
 * sender's own demands (as Postfix 3.10's tls_required_enable) */
static int tls_required_no(const struct delivery_input *in)
{
    const struct policy_entry *e = in->entry;

    /* RFC 8689 §4.1: with REQUIRETLS the header field is ignored */
    return in->message != NULL && in->message->tls_required_no
        && !in->message->requiretls && e->honor_tls_required_no && e->level != POLICY_LEVEL_DANE_ONLY
        && e->level != POLICY_LEVEL_FINGERPRINT;
}

/* sts_ruled_out - RFC 8461 §4.1: the MTA-STS policy in enforce mode names
 * no pattern this MX host matches; nothing else ruled it out */
static int sts_ruled_out(const struct mxplan_host *h)
{
    return h->effective == MXPLAN_DEFER && h->sts == MXPLAN_STS_MISMATCH;
}

/* relax_host - host hi is held to the domain's DANE or MTA-STS policy, and
 * the message says TLS-Required: No: opportunistic TLS, failures let through */
static int relax_host(const struct delivery *d, size_t hi)
{
    const struct mxplan_host *h = &d->in->plan->hosts[hi];

    if (!d->tls_required_no)
        return 0;
    return h->effective == MXPLAN_DANE || h->effective == MXPLAN_ENCRYPT
        || h->effective == MXPLAN_STS || sts_ruled_out(h);
}

/* peer_check_init - the verification input for host hi */
static void peer_check_init(struct delivery *d, size_t hi,
                            struct peer_check *pc)
{
    const struct mxplan_host *host = &d->in->plan->hosts[hi];

    memset(pc, 0, sizeof(*pc));
    pc->relax = relax_host(d, hi);
    pc->in.level = host->level;
    pc->in.tlsa = host->tlsa != NULL ? host->tlsa->tlsa : NULL;
    pc->in.insecure_mx = host->trusted_only;
    pc->in.pins = d->pins;
    pc->in.npins = d->npins;
    pc->in.ca_file = d->in->entry->ca_file;
    pc->in.store = pkix_store_for(d, host->level);
    reference_names(d, hi, pc);
}

/* sni_for - RFC 7672 §8.1: the TLSA base domain under DANE; else the
 * policy's servername or the host name; never an address literal */
static const char *sni_for(const struct delivery *d, size_t hi)
{
    const struct dnsplan *plan = d->in->plan;

    if (plan->hosts[hi].sni[0] != '\0')
        return plan->hosts[hi].sni;
    if (d->in->entry->servername != NULL)
        return d->in->entry->servername;
    if (plan->nexthop.literal)
        return NULL;
    return plan->facts[hi].name;
}

/* sockaddr_for - numeric address and port */
static int sockaddr_for(const char *address, uint16_t port,
                        struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        *len = sizeof(*sin);
        return 0;
    }
    if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        *len = sizeof(*sin6);
        return 0;
    }
    return -1;
}

/* remaining_ms - time left before the total deadline */
static unsigned remaining_ms(const struct delivery *d)
{
    uint64_t now = clock_now_ms();

    return now >= d->in->deadline_ms ? 0 : (unsigned)(d->in->deadline_ms - now);
}

/* session_params - smtp.h parameters for one address of host hi */
static void session_params(const struct delivery *d, size_t hi,
                           struct smtp_params *p)
{
    const struct policy_entry *e = d->in->entry;

    memset(p, 0, sizeof(*p));
    p->host = d->in->plan->facts[hi].name;
    p->helo_name = e->helo_name;
    p->sni = sni_for(d, hi);
    p->verify = verify_cb;
    p->limits.max_line = e->max_reply_line_length - 2;   /* without CRLF */
    p->limits.max_lines = e->max_reply_lines;
    p->timeouts.connect_ms = e->connect_timeout_ms;
    p->timeouts.greeting_ms = e->helo_timeout_ms;
    p->timeouts.helo_ms = e->helo_timeout_ms;
    p->timeouts.starttls_ms = e->starttls_timeout_ms;
    p->timeouts.data_ms = e->data_timeout_ms;
    p->timeouts.data_xfer_ms = e->data_timeout_ms;
    p->timeouts.data_done_ms = e->data_timeout_ms;
    p->deadline_ms = d->in->deadline_ms;
    p->probe = d->in->probe;
}

/* dnssec_of - the DNSSEC statuses reported for host hi */
static void dnssec_of(const struct delivery *d, size_t hi,
                      struct report_dnssec *out)
{
    const struct dnsplan *plan = d->in->plan;
    const struct dns_host *f = &plan->facts[hi];

    out->mx = plan->mx.asked ? dns_status_name(plan->mx.status) : NULL;
    out->address = dns_status_name(plan->hosts[hi].address_status);
    out->tlsa = (f->tlsa_expanded.asked || f->tlsa_original.asked)
        ? dns_status_name(plan->hosts[hi].tlsa_status) : NULL;
}

/* rcpt_result - smtp.h's per-recipient verdict in report terms */
static enum report_result rcpt_result(enum smtp_result r)
{
    if (r == SMTP_SENT)
        return REPORT_SENT;
    if (r == SMTP_BOUNCE)
        return REPORT_BOUNCED;
    return REPORT_DEFERRED;
}

/* attempt_init - what every report of this request says: time, next-hop,
 * port, configured level, DNS and total time */
static void attempt_init(const struct delivery *d, struct report_attempt *a)
{
    memset(a, 0, sizeof(*a));
    a->when = time(NULL);
    a->destination = d->in->nexthop_text;
    a->port = d->in->plan->nexthop.port;
    a->level = policy_level_name(d->in->entry->level);
    a->timings.total_ms = (unsigned)(clock_now_ms() - d->in->start_ms);
    a->timings.dns_ms = d->in->plan->lookup_ms;
}

/* authenticated_by - what authenticated a Verified peer of host hi (JSON
 * authenticated_by); NULL when not Verified or let through unverified */
static const char *authenticated_by(const struct mxplan_host *host,
                                    const struct peer_check *pc)
{
    if (!pc->called || !pc->result.ok || pc->relaxed
        || pc->result.status != VERIFY_VERIFIED)
        return NULL;
    if (host->effective == MXPLAN_DANE || host->level == POLICY_LEVEL_DANE_ONLY)
        return "dane";
    if (host->effective == MXPLAN_STS)
        return "mta-sts";
    return host->level == POLICY_LEVEL_FINGERPRINT ? "fingerprint" : "pkix";
}

/* attempt_tls - the TLS facts and the verification of one session */
static void attempt_tls(const struct delivery *d, size_t hi,
                        const struct smtp_outcome *o,
                        const struct peer_check *pc, struct report_attempt *a)
{
    int ruled_out = pc->relax && sts_ruled_out(&d->in->plan->hosts[hi]);

    if (o->tls) {
        a->sni = sni_for(d, hi);
        a->tls.version = o->facts.protocol;
        a->tls.cipher = o->facts.cipher;
        a->tls.bits = o->facts.bits;
        a->tls.key_exchange = o->facts.key_exchange;
        a->tls.server_signature = o->facts.server_signature;
        a->tls.server_digest = o->facts.server_digest;
        a->tls.resumed = o->facts.resumed;
        a->verification = pc->called ? verify_status_name(pc->result.status) : NULL;
        a->authenticated_by = authenticated_by(&d->in->plan->hosts[hi], pc);
    }
    if (pc->called && pc->result.matched) {
        a->tlsa_match.matched = 1;
        a->tlsa_match.usage = pc->result.match.usage;
        a->tlsa_match.selector = pc->result.match.selector;
        a->tlsa_match.mtype = pc->result.match.mtype;
        a->tlsa_match.depth = (unsigned)pc->result.match.depth;
    }
    /* a failed verification knows the precise RFC 8460 type */
    a->rfc8460 = pc->called && !pc->result.ok ? pc->result.rfc8460 : o->rfc8460;
    if (pc->relaxed)            /* let through, but a failure all the same */
        a->rfc8460 = pc->relaxed_rfc8460;
    /* a host the MTA-STS policy rules out is tried only for TLS-Required:
     * No: its policy was not enforced, whatever the session found, and the
     * record keeps the policy's failure (as plan_rfc8460() reports it) */
    if (ruled_out && a->rfc8460 == NULL)
        a->rfc8460 = failure_rfc8460(FAILURE_AUTH);
    a->tls_required_no = pc->relax && (pc->relaxed || !o->tls || ruled_out);
}

/* attempt_rcpts - each recipient's verdict in this session, into rcpts */
static void attempt_rcpts(const struct smtp_message *msg,
                          const struct smtp_outcome *o,
                          struct report_rcpt *rcpts, struct report_attempt *a)
{
    size_t n = o->nrecipients < SMTP_MAX_RCPTS ? o->nrecipients : SMTP_MAX_RCPTS;

    for (size_t i = 0; i < n; i++) {
        const struct smtp_rcpt_result *r = &o->recipients[i];

        rcpts[i].address = msg->recipients[i];
        rcpts[i].result = rcpt_result(r->result);
        rcpts[i].code = r->code;
        rcpts[i].enhanced = r->enhanced;
        rcpts[i].text = r->text;
        rcpts[i].status = r->reason[0] ? r->reason : NULL;
    }
    a->rcpts = rcpts;
    a->nrcpts = n;
}

/* Room for the policy strings of one report (RFC 8460 §4.4). */
#define POLICY_STRINGS_MAX 16
#define POLICY_STRING_LEN 160
struct policy_text {
    char text[POLICY_STRINGS_MAX][POLICY_STRING_LEN];   /* TLSA records */
    struct sts_lines sts;                               /* MTA-STS policy */
    const char *ptr[STS_LINES_MAX > POLICY_STRINGS_MAX ? STS_LINES_MAX
                                                       : POLICY_STRINGS_MAX];
};

/* sts_strings - the MTA-STS policy in force as RFC 8460 policy strings */
static void sts_strings(const struct dnsplan *plan, struct policy_text *t,
                        struct report_attempt *a)
{
    if (plan->sts == NULL || plan->sts->source == STSPLAN_NONE)
        return;
    sts_policy_lines(&plan->sts->policy, &t->sts);
    for (size_t i = 0; i < t->sts.n; i++)
        t->ptr[i] = t->sts.line[i];
    a->policy.strings = t->ptr;
    a->policy.nstrings = t->sts.n;
}

/* attempt_policy - what governed host hi, as RFC 8460 names it: its usable
 * secure TLSA records (tlsa), the domain's MTA-STS policy (sts), or
 * no-policy-found */
static void attempt_policy(const struct delivery *d, size_t hi,
                           struct policy_text *t, struct report_attempt *a)
{
    const struct mxplan_host *host = &d->in->plan->hosts[hi];
    const struct tlsa_set *set;
    size_t n;

    a->policy.domain = d->in->plan->nexthop.name;
    if (host->effective != MXPLAN_DANE) {
        int sts = host->sts != MXPLAN_STS_NONE && host->sts != MXPLAN_STS_DANE;

        a->policy.type = sts ? "sts" : "no-policy-found";
        a->policy.mx_host_pattern = host->sts_pattern;
        if (sts)
            sts_strings(d->in->plan, t, a);
        return;
    }
    a->policy.type = "tlsa";
    a->policy.domain = host->tlsa_base;
    if (host->tlsa == NULL || (set = host->tlsa->tlsa) == NULL)
        return;
    n = tlsa_set_count(set) < POLICY_STRINGS_MAX ? tlsa_set_count(set) : POLICY_STRINGS_MAX;
    for (size_t i = 0; i < n; i++) {
        tlsa_rr_format(tlsa_set_record(set, i), t->text[i], sizeof(t->text[i]));
        t->ptr[i] = t->text[i];
    }
    a->policy.strings = t->ptr;
    a->policy.nstrings = n;
}

/* report_session - log lines and JSON record of one session */
static void report_session(const struct delivery *d, size_t hi, const char *address,
                           const struct smtp_message *msg,
                           const struct smtp_outcome *o,
                           const struct peer_check *pc, uint64_t session_start)
{
    const struct mxplan_host *host = &d->in->plan->hosts[hi];
    struct report_rcpt rcpts[SMTP_MAX_RCPTS];
    struct policy_text policy;
    struct report_attempt a;

    attempt_init(d, &a);
    attempt_policy(d, hi, &policy, &a);
    a.mx = d->in->plan->facts[hi].name;
    a.address = address;
    a.sending_ip = o->local_address;
    a.connected = o->connected;
    a.conn_use = o->conn_use;
    a.effective_level = mxplan_effective_name(host);
    dnssec_of(d, hi, &a.dnssec);
    a.tlsa_base_domain = host->tlsa_base[0] ? host->tlsa_base : NULL;
    attempt_tls(d, hi, o, pc, &a);
    attempt_rcpts(msg, o, rcpts, &a);
    a.requiretls = msg->requiretls;
    a.result = rcpt_result(o->result);
    a.reason = o->result == SMTP_SENT ? NULL : o->reason;
    a.timings.connect_ms = o->connect_ms;
    a.timings.tls_ms = o->tls_ms;
    a.timings.setup_ms = o->connect_ms + o->tls_ms;
    a.timings.transfer_ms = (unsigned)(clock_now_ms() - session_start)
        - a.timings.setup_ms;
    if (a.timings.transfer_ms > a.timings.total_ms)
        a.timings.transfer_ms = 0;
    report_emit(&d->in->report, &a);
}

/* pending_message - the message addressed to the still pending recipients */
static size_t pending_message(const struct delivery *d, const char **rcpts,
                              size_t *index, struct smtp_message *msg)
{
    const struct smtp_message *all = d->in->message;
    size_t n = 0;

    *msg = *all;
    for (size_t i = 0; i < d->nrcpts; i++)
        if (d->state[i] == SMTP_DEFER) {
            rcpts[n] = all->recipients[i];
            index[n++] = i;
        }
    msg->recipients = rcpts;
    msg->nrecipients = n;
    return n;
}

/* note_bounce - keep the first permanent refusal, with its DSN code */
static void note_bounce(struct delivery *d, const char *enhanced, const char *text)
{
    if (d->bounce.text[0] == '\0')
        note_set(&d->bounce, enhanced, text);
}

static void status_line(enum failure_class cls, const struct note *n, char *out,
                        size_t size)
{
    char enhanced[FAILURE_ENHANCED_MAX];

    failure_dsn_for(cls, n->enhanced, enhanced);
    snprintf(out, size, "%s %s", enhanced, n->text);
}

/* rcpt_note - recipient i's own reason, when the caller keeps them */
static void rcpt_note(struct delivery *d, size_t i, enum failure_class cls,
                      const char *enhanced, const char *text)
{
    struct note n;

    if (d->in->rcpts == NULL || i >= d->nrcpts)
        return;
    note_set(&n, enhanced, text);
    status_line(cls, &n, d->in->rcpts[i].reason, sizeof(d->in->rcpts[i].reason));
}

/* settle - per-recipient results of a session that reached the transaction:
 * each recipient keeps its own verdict (RFC 5321 §3.3: RCPT replies are per
 * recipient), so a 550 recipient is never offered to the next server and a
 * 450 one never bounced with the others */
static void settle(struct delivery *d, const struct smtp_outcome *o,
                   const size_t *index)
{
    for (size_t i = 0; i < o->nrecipients; i++) {
        const struct smtp_rcpt_result *r = &o->recipients[i];
        const char *text = r->reason[0] ? r->reason : r->text;

        if (r->result == SMTP_SENT || r->result == SMTP_BOUNCE)
            d->state[index[i]] = r->result;
        if (r->result == SMTP_BOUNCE)
            note_bounce(d, r->enhanced, text);
        else if (r->result != SMTP_SENT)
            note_reason(d, RANK_SESSION + SMTP_STAGE_DONE, r->enhanced, text);
        if (r->result != SMTP_SENT && text[0] != '\0')
            rcpt_note(d, index[i], r->result == SMTP_BOUNCE ? FAILURE_BOUNCE
                                                            : FAILURE_DEFER, r->enhanced, text);
    }
    if (o->result == SMTP_DEFER)
        note_reason(d, RANK_SESSION + (int)o->stage, o->enhanced, o->reason);
}

/* session_cache_for - the TLS session cache entry of one address of host
 * hi (session_cache.h), when the policy names a cache; probe never resumes
 * (it shows a full handshake); a cache that cannot be used is logged and
 * the delivery goes on without it */
static struct session_cache *session_cache_for(const struct delivery *d, size_t hi,
                                               const char *address)
{
    const struct mxplan_host *host = &d->in->plan->hosts[hi];
    const char *dir = d->in->entry->session_cache, *why = "unusable";
    struct session_cache_key k;
    struct session_cache *c;
    uint8_t tlsa[SESSION_CACHE_KEY_LEN];
    char line[512];

    if (dir == NULL || d->in->probe)
        return NULL;
    memset(&k, 0, sizeof(k));
    k.nexthop = d->in->nexthop_text;
    k.mx = d->in->plan->facts[hi].name;
    k.address = address;
    k.port = d->in->plan->nexthop.port;
    k.sni = sni_for(d, hi);
    if (host->tlsa != NULL) {
        tlsa_set_fingerprint(host->tlsa->tlsa, tlsa);
        k.tlsa = tlsa;
    }
    k.entry = d->in->entry;
    k.level = host->level;
    k.trusted_only = host->trusted_only;
    c = session_cache_open(dir, &k, &why);
    if (c == NULL) {
        snprintf(line, sizeof(line), "warning: TLS session cache %s not used: %s", dir, why);
        report_log_line(LOG_WARNING, line, d->in->report.log_err);
    }
    return c;
}

/* session_message - the message for the pending recipients; for a probe,
 * none */
static void session_message(const struct delivery *d, const char **rcpts, size_t *index,
                            struct smtp_message *msg)
{
    if (d->in->message != NULL) {
        pending_message(d, rcpts, index, msg);
        return;
    }
    memset(msg, 0, sizeof(*msg));
    msg->fd = -1;
}

/* ---- connection reuse (delivery_warm.h) ---- */

/* facts_until - when the DNS answers that authenticated host hi expire:
 * the smallest TTL of the MX, address and TLSA RRsets asked; 0: none */
static uint64_t facts_until(const struct delivery *d, size_t hi, uint64_t now)
{
    const struct dns_host *f = &d->in->plan->facts[hi];
    const struct dns_answer *asked[] = {&d->in->plan->mx, &f->a, &f->aaaa, &f->tlsa_original,
                                        &f->tlsa_expanded};
    uint32_t ttl = UINT32_MAX;

    for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
        if (asked[i]->asked && asked[i]->nrr > 0 && asked[i]->ttl < ttl)
            ttl = asked[i]->ttl;
    return ttl == UINT32_MAX ? 0 : now + ttl * 1000ull;
}

/* reuse_begin - a kept connection to this address as p.reuse, and p.keep,
 * where a resident worker keeps connections: messages only, never one that
 * asks for REQUIRETLS, never where RFC 8689 relaxes the host's policy */
static void reuse_begin(struct delivery *d, size_t hi, const char *address,
                        const struct peer_check *pc, struct smtp_params *p,
                        struct warm_link_key *key, struct warm_link_info *info)
{
    struct delivery_warm *w = d->in->warm;

    *key = (struct warm_link_key){ d->in->entry, d->in->plan->nexthop.name,
                                   d->in->plan->facts[hi].name, address,
                                   d->in->plan->nexthop.port, (int)p->tls,
                                   (int)d->in->plan->hosts[hi].level };
    memset(info, 0, sizeof(*info));
    p->keep = delivery_warm_keeps(w) && d->in->message != NULL
              && !d->in->message->requiretls && !pc->relax;
    if (p->keep)
        p->reuse = delivery_warm_take(w, key, clock_now_ms(), info);
}

/* reuse_end - after the session: a message carried by a kept connection
 * has that connection's verification; a connection handed out is kept
 * when the peer passed its level's checks unrelaxed */
static void reuse_end(struct delivery *d, size_t hi, const struct warm_link_key *key,
                      struct warm_link_info *info, struct smtp_outcome *o,
                      struct peer_check *pc, uint64_t started)
{
    struct smtp_link *link = o->link;

    if (o->conn_use > 1) {
        pc->called = info->verified;
        pc->result = info->result;
    }
    o->link = NULL;
    if (link == NULL)
        return;
    if (o->result != SMTP_SENT || pc->relaxed || (pc->called && !pc->result.ok)) {
        smtp_link_free(link);
        return;
    }
    if (o->conn_use == 1) {
        info->verified = pc->called;
        info->result = pc->result;
        info->opened_ms = started;
        info->facts_until_ms = facts_until(d, hi, started);
    }
    delivery_warm_put(d->in->warm, key, link, info, o->conn_use, clock_now_ms());
}

/* one_session - connect to one address; 1 when the host loop should stop
 * (nothing pending, or a permanent refusal of the transaction) */
static int one_session(struct delivery *d, size_t hi, const char *address,
                       enum smtp_tls_mode mode, int *retry_cleartext)
{
    const struct mxplan_host *host = &d->in->plan->hosts[hi];
    const char *rcpts[SMTP_MAX_RCPTS];
    size_t index[SMTP_MAX_RCPTS];
    struct smtp_message msg;
    struct sockaddr_storage ss;
    struct smtp_params p;
    struct smtp_outcome o;
    struct peer_check pc;
    struct warm_link_key key;
    struct warm_link_info info;
    const char *why = NULL;
    uint64_t started = clock_now_ms();

    *retry_cleartext = 0;
    session_params(d, hi, &p);
    p.tls = mode;
    if (sockaddr_for(address, d->in->plan->nexthop.port, &ss, &p.addrlen) != 0)
        return 0;
    p.addr = (const struct sockaddr *)&ss;
    if (mode != SMTP_TLS_NONE && (p.tls_ctx = tls_context(d, host->level, &why)) == NULL) {
        note_reason(d, RANK_SESSION, "4.7.5", why);
        return 1;
    }
    peer_check_init(d, hi, &pc);
    p.verify_arg = &pc;
    p.session_cache = mode != SMTP_TLS_NONE ? session_cache_for(d, hi, address) : NULL;
    session_message(d, rcpts, index, &msg);
    reuse_begin(d, hi, address, &pc, &p, &key, &info);
    (d->in->run_session != NULL ? d->in->run_session : smtp_session)(&p, &msg, &o);
    reuse_end(d, hi, &key, &info, &o, &pc, started);
    session_cache_close(p.session_cache);
    d->out->attempts++;
    report_session(d, hi, address, &msg, &o, &pc, started);
    if (d->in->seen != NULL)
        d->in->seen(d->in->seen_arg, &o, pc.called ? &pc.result : NULL);
    /* a refused greeting or HELO is temporary: the next server may do */
    if (o.requiretls_unmet)
        note_requiretls(d, o.reason);
    else if (d->in->message != NULL && (o.result == SMTP_SENT || o.stage > SMTP_STAGE_HELO))
        settle(d, &o, index);
    else if (o.result == SMTP_SENT)
        d->state[0] = SMTP_SENT;
    else if (o.result == SMTP_BOUNCE && o.stage > SMTP_STAGE_HELO) {    /* probe */
        d->state[0] = SMTP_BOUNCE;
        note_bounce(d, o.enhanced, o.reason);
    } else
        note_reason(d, RANK_SESSION + (int)o.stage, o.enhanced, o.reason);
    /* Postfix may: a failed TLS attempt is retried in cleartext, but only
     * before any mail command and only where no secure TLSA RRset exists;
     * RFC 8689 §5: a TLS-Required: No message goes whether STARTTLS works
     * or not (Postfix 3.10 treats its hosts as level may) */
    *retry_cleartext = o.cleartext_retry_ok
        && (pc.relax || (host->level == POLICY_LEVEL_MAY && host->tlsa == NULL));
    smtp_outcome_free(&o);
    for (size_t i = 0; i < d->nrcpts; i++)
        if (d->state[i] == SMTP_DEFER)
            return 0;
    return 1;
}

/* try_host - every address of host hi; 1 when done with the delivery */
static int try_host(struct delivery *d, size_t hi)
{
    const struct dns_host *f = &d->in->plan->facts[hi];
    const struct dns_answer *families[2] = {&f->a, &f->aaaa};
    enum smtp_tls_mode mode = relax_host(d, hi) ? SMTP_TLS_OPPORTUNISTIC
                                                : tls_mode(d->in->plan->hosts[hi].level);
    unsigned tried = 0, max = d->in->entry->max_addresses;
    int retry;

    for (size_t fam = 0; fam < 2; fam++) {
        const struct dns_answer *ans = families[fam];

        if (!ans->asked || (ans->status != DNS_SECURE && ans->status != DNS_INSECURE))
            continue;
        for (size_t i = 0; i < ans->nrr && tried < max; i++, tried++) {
            if (remaining_ms(d) == 0) {
                note_reason(d, RANK_SESSION + SMTP_STAGE_DONE + 1, "4.4.7",
                            "delivery time limit exceeded");
                return 1;
            }
            if (one_session(d, hi, ans->rr[i].text, mode, &retry))
                return 1;
            if (retry && one_session(d, hi, ans->rr[i].text, SMTP_TLS_NONE, &retry))
                return 1;
        }
    }
    return 0;
}

/* host_unusable - the decision ruled host hi out: note why */
static int host_unusable(struct delivery *d, size_t hi)
{
    const struct mxplan_host *host = &d->in->plan->hosts[hi];

    if (host->effective != MXPLAN_UNREACHABLE && host->effective != MXPLAN_DEFER)
        return 0;
    if (relax_host(d, hi))      /* an MTA-STS mismatch, TLS-Required: No */
        return 0;
    note_reason(d, RANK_DNS, host->enhanced, host->reason);
    return 1;
}

/* status_line - "X.Y.Z text": pipe(8) takes the code's class as the DSN
 * class, so it is always that of the status (75 with 4.X.X, 69 with 5.X.X) */

static const struct note unreached = { "4.4.1", "no server could be reached" };

/* conclude_rcpts - each recipient's verdict for the caller; one that got
 * no reason of its own (no server reached it) takes the request's */
static void conclude_rcpts(struct delivery *d)
{
    struct delivery_rcpt *r = d->in->rcpts;

    for (size_t i = 0; r != NULL && i < d->nrcpts; i++) {
        r[i].status = d->state[i] == SMTP_SENT     ? DELIVERY_SENT
                      : d->state[i] == SMTP_BOUNCE ? DELIVERY_BOUNCED
                                                   : DELIVERY_DEFERRED;
        if (r[i].status == DELIVERY_SENT)
            r[i].reason[0] = '\0';
        else if (r[i].reason[0] == '\0')
            status_line(FAILURE_DEFER, d->deferral.text[0] ? &d->deferral : &unreached,
                        r[i].reason, sizeof(r[i].reason));
    }
}

/* conclude - the request's status from the recipients' states: any pending
 * recipient defers the request; bounced without pending bounces */
static void conclude(struct delivery *d)
{
    struct delivery_result *out = d->out;

    for (size_t i = 0; i < d->nrcpts; i++) {
        if (d->state[i] == SMTP_SENT)
            out->nsent++;
        else if (d->state[i] == SMTP_BOUNCE)
            out->nbounced++;
        else
            out->ndeferred++;
    }
    if (out->ndeferred > 0)
        out->status = DELIVERY_DEFERRED;
    else if (out->nbounced > 0)
        out->status = DELIVERY_BOUNCED;
    else
        out->status = DELIVERY_SENT;
    if (out->status == DELIVERY_BOUNCED)
        status_line(FAILURE_BOUNCE, &d->bounce, out->reason, sizeof(out->reason));
    else if (out->status == DELIVERY_DEFERRED)
        status_line(FAILURE_DEFER, d->deferral.text[0] ? &d->deferral : &unreached,
                    out->reason, sizeof(out->reason));
    conclude_rcpts(d);
}

/* requiretls_ineligible - RFC 8689 §4.2.1: a REQUIRETLS message goes only
 * to a host authenticated by DANE (secure MX and TLSA) or by MTA-STS (MX
 * name matched by an enforced policy, PKIX) */
static int requiretls_ineligible(struct delivery *d, size_t hi)
{
    const struct mxplan_host *host = &d->in->plan->hosts[hi];
    char text[SMTP_REASON_MAX];

    if (d->in->message == NULL || !d->in->message->requiretls
        || host->effective == MXPLAN_DANE || host->effective == MXPLAN_STS)
        return 0;
    snprintf(text, sizeof(text), "REQUIRETLS is required, but host %s is not "
             "authenticated by DANE or MTA-STS (level %s)", d->in->plan->facts[hi].name,
             mxplan_effective_name(host));
    note_requiretls(d, text);
    return 1;
}

/* try_hosts - every host the plan left usable, in order, until done */
static void try_hosts(struct delivery *d)
{
    const struct delivery_input *in = d->in;

    for (size_t hi = 0; hi < in->plan->nhosts; hi++) {
        if (host_unusable(d, hi) || requiretls_ineligible(d, hi))
            continue;
        if (in->plan->hosts[hi].tlsa != NULL && in->entry->ndane_digests > 0) {
            const char *why;

            (void)tlsa_set_digest_order(in->plan->hosts[hi].tlsa->tlsa,
                                        in->entry->dane_digests,
                                        in->entry->ndane_digests, &why);
        }
        if (try_host(d, hi))
            return;
    }
}

/* plan_enhanced - the DSN code of dnsplan_exit()'s reason: the domain's
 * (5.1.10, 5.1.2, 4.4.3), else that of the last host ruled out */
static const char *plan_enhanced(const struct dnsplan *plan)
{
    if (plan->domain.result != MXPLAN_DOMAIN_HOSTS)
        return plan->domain.enhanced;
    return plan->nhosts > 0 ? plan->hosts[plan->nhosts - 1].enhanced : NULL;
}

/* plan_rfc8460 - RFC 8460 §4.3.2 result type of a plan that rules out
 * delivery: dnssec-invalid for a bogus answer, dane-required when dane-only
 * found no usable TLSA; NULL otherwise */
static const char *plan_rfc8460(const struct dnsplan *plan)
{
    const struct mxplan_host *last = plan->nhosts > 0
        ? &plan->hosts[plan->nhosts - 1] : NULL;

    if (plan->domain.result == MXPLAN_DOMAIN_DEFER)
        return plan->mx.status == DNS_BOGUS ? failure_rfc8460(FAILURE_DNSSEC) : NULL;
    if (plan->domain.result != MXPLAN_DOMAIN_HOSTS || last == NULL)
        return NULL;
    if (sts_ruled_out(last))
        return failure_rfc8460(FAILURE_AUTH);   /* no MX the policy names */
    if (last->effective == MXPLAN_DEFER)
        return failure_rfc8460(FAILURE_DANE_REQUIRED);
    if (last->address_status == DNS_BOGUS || last->tlsa_status == DNS_BOGUS)
        return failure_rfc8460(FAILURE_DNSSEC);
    return NULL;
}

/* report_verdict - a decision without a server of its own (Postfix logs it
 * with relay=none) is still reported, and the JSON record says why (RFC
 * 8460 type where one applies); every pending recipient gets the verdict */
static void report_verdict(struct delivery *d, enum smtp_result verdict,
                           const char *enhanced, const char *reason,
                           const char *rfc8460, const struct report_policy *policy)
{
    struct report_rcpt rcpts[SMTP_MAX_RCPTS];
    struct report_attempt a;
    const struct dnsplan *plan = d->in->plan;
    size_t n = 0;

    attempt_init(d, &a);
    memset(rcpts, 0, sizeof(rcpts));
    a.dnssec.mx = plan->mx.asked ? dns_status_name(plan->mx.status) : NULL;
    a.requiretls = d->in->message->requiretls;
    for (size_t i = 0; i < d->nrcpts; i++) {
        if (d->state[i] != SMTP_DEFER)
            continue;
        rcpts[n].address = d->in->message->recipients[i];
        rcpts[n].result = rcpt_result(verdict);
        rcpts[n].enhanced = enhanced;
        rcpts[n++].status = reason;
        d->state[i] = verdict;
        rcpt_note(d, i, verdict == SMTP_BOUNCE ? FAILURE_BOUNCE : FAILURE_DEFER,
                  enhanced, reason);
    }
    a.rcpts = rcpts;
    a.nrcpts = n;
    a.result = rcpt_result(verdict);
    a.reason = reason;
    a.rfc8460 = rfc8460;
    if (policy != NULL)
        a.policy = *policy;
    report_emit(&d->in->report, &a);
    if (verdict == SMTP_BOUNCE)
        note_bounce(d, enhanced, reason);
    else
        note_reason(d, RANK_DNS, enhanced, reason);
}

/* report_plan - a request that DNS alone decided (no server contacted);
 * a failure with an RFC 8460 type names the policy that ruled the hosts out
 * (the destination's MTA-STS policy, or DANE), so that TLSRPT counts it
 * for the destination domain (RFC 8460 §4.4) */
static void report_plan(struct delivery *d, enum smtp_result verdict,
                        const char *reason)
{
    const struct dnsplan *plan = d->in->plan;
    const struct mxplan_host *last = plan->nhosts > 0 ? &plan->hosts[plan->nhosts - 1] : NULL;
    const char *rfc8460 = plan_rfc8460(plan);
    struct report_policy policy = { .domain = plan->nexthop.name };
    struct policy_text text;
    struct report_attempt strings;

    if (rfc8460 != NULL && last != NULL && last->sts == MXPLAN_STS_MISMATCH) {
        memset(&strings, 0, sizeof(strings));
        sts_strings(plan, &text, &strings);
        policy = strings.policy;
        policy.type = "sts";
        policy.domain = plan->nexthop.name;
    } else if (rfc8460 != NULL) {
        policy.type = "tlsa";
    }
    report_verdict(d, verdict, plan_enhanced(plan), reason, rfc8460,
                   rfc8460 != NULL ? &policy : NULL);
}

/* requiretls_bounce - RFC 8689 §4.2.1 and §5: when no host could carry the
 * REQUIRETLS message and nothing else deferred it (a host that was not
 * reached might have), the pending recipients bounce with 5.7.30 */
static void requiretls_bounce(struct delivery *d)
{
    char reason[SMTP_REASON_MAX];
    size_t pending = 0;

    if (d->requiretls.text[0] == '\0' || d->other_deferral)
        return;
    for (size_t i = 0; i < d->nrcpts; i++)
        pending += d->state[i] == SMTP_DEFER;
    if (pending == 0)
        return;
    snprintf(reason, sizeof(reason), "REQUIRETLS support required: no server of %s "
             "could carry the message (%.900s)", d->in->nexthop_text, d->requiretls.text);
    report_verdict(d, SMTP_BOUNCE, "5.7.30", reason, NULL, NULL);
}

/* any_relaxed - some host ruled out only by MTA-STS is tried after all
 * (TLS-Required: No) */
static int any_relaxed(const struct delivery *d)
{
    for (size_t hi = 0; hi < d->in->plan->nhosts; hi++)
        if (relax_host(d, hi))
            return 1;
    return 0;
}

/* plan_decides - 1 when the plan rules out every host (reported) */
static int plan_decides(struct delivery *d)
{
    const char *reason = NULL;
    int code = dnsplan_exit(d->in->plan, &reason);

    if (code == 0 || (code == 75 && any_relaxed(d)))
        return 0;
    if (d->in->message != NULL)
        report_plan(d, code == 69 ? SMTP_BOUNCE : SMTP_DEFER, reason);
    else
        note_reason(d, RANK_DNS, plan_enhanced(d->in->plan), reason);
    return 1;
}

/* take_warm - what a resident worker kept for this entry, into d */
static struct warm_entry *take_warm(struct delivery *d)
{
    struct warm_entry *w = d->in->warm ? delivery_warm_entry(d->in->warm, d->in->entry)
                                       : NULL;

    if (w != NULL) {
        d->ctx_auth = w->ctx_auth;
        d->ctx_may = w->ctx_may;
        d->store = w->store;
    }
    return w;
}

/* keep_warm - d's contexts and store back into the worker's slot, or freed
 * when there is none */
static void keep_warm(struct delivery *d, struct warm_entry *w)
{
    if (w != NULL) {
        w->ctx_auth = d->ctx_auth;
        w->ctx_may = d->ctx_may;
        w->store = d->store;
        return;
    }
    tls_ctx_free(d->ctx_auth);
    tls_ctx_free(d->ctx_may);
    pkix_store_free(d->store);
}

/* delivery_run - deliver (or probe) through every host of the plan */
void delivery_run(const struct delivery_input *in, struct delivery_result *out)
{
    struct delivery d;
    enum smtp_result state[SMTP_MAX_RCPTS];
    struct warm_entry *warm;

    memset(out, 0, sizeof(*out));
    memset(&d, 0, sizeof(d));
    d.in = in;
    d.out = out;
    d.state = state;
    d.nrcpts = in->message != NULL ? in->message->nrecipients : 1;
    if (d.nrcpts > SMTP_MAX_RCPTS)
        d.nrcpts = SMTP_MAX_RCPTS;
    for (size_t i = 0; i < d.nrcpts; i++)
        state[i] = SMTP_DEFER;
    for (size_t i = 0; in->rcpts != NULL && i < d.nrcpts; i++) {
        in->rcpts[i].status = DELIVERY_DEFERRED;
        in->rcpts[i].reason[0] = '\0';
    }
    d.tls_required_no = tls_required_no(in);
    warm = take_warm(&d);
    if (!plan_decides(&d)) {
        load_pins(&d);
        try_hosts(&d);
        if (in->message != NULL)
            requiretls_bounce(&d);
    }
    conclude(&d);
    keep_warm(&d, warm);
}
