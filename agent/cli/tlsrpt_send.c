/* tlsrpt_send.c - the _smtp._tls lookup and the delivery of a report to
 *                 its rua targets, with the sent-once state (tlsrpt_send.h) */
#include "tlsrpt_send.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_store.h"
#include "clock.h"
#include "digest.h"
#include "https.h"

#define POST_TIMEOUT_MS (60u * 1000u)   /* one upload, connect to answer */
#define POST_ANSWER_MAX (64u * 1024u)   /* bytes of an answer kept */
#define POST_ADDRESSES_MAX 16u

static const struct cache_store_kind state_kind = {
    "DANETR01", "TLSRPT state", TLSRPT_STATE_DAYS * 24u * 3600u,
    TLSRPT_URI_MAX + 1,
};

/* warn - one warning line on stderr */
__attribute__((format(printf, 1, 2)))
static void warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("dane-agent: tlsrpt: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

struct cache_store *tlsrpt_state_open(const struct policy_tlsrpt *conf,
                                      const char **why)
{
    return cache_store_open(conf->state_dir, &state_kind, why);
}

enum tlsrpt_lookup_status tlsrpt_lookup(struct dns_resolver *r, const char *domain,
                                        struct tlsrpt_txt *out)
{
    struct tlsrpt_txt_record recs[DNS_MAX_TXT];
    char name[DNS_NAME_MAX + 16];
    struct dns_answer a;
    enum tlsrpt_txt_status st = TLSRPT_TXT_ABSENT;
    const char *why = NULL;

    snprintf(name, sizeof name, "_smtp._tls.%s", domain);
    memset(&a, 0, sizeof a);
    dns_lookup_txt(r, name, &a);
    if (dns_status_is_error(a.status)) {
        warn("%s TXT: %s: %s (tried again on the next run)", name,
             dns_status_name(a.status), a.why != NULL ? a.why : "lookup failed");
        dns_answer_clear(&a);
        return TLSRPT_LOOKUP_FAILED;
    }
    for (size_t i = 0; i < a.ntxt && i < DNS_MAX_TXT; i++) {
        recs[i].text = a.txt[i].text;
        recs[i].len = a.txt[i].len;
    }
    if (a.ntxt > 0)
        st = tlsrpt_txt_select(recs, a.ntxt < DNS_MAX_TXT ? a.ntxt : DNS_MAX_TXT,
                               out, &why);
    else if (a.nrr_seen > 0 && a.why != NULL) {
        st = TLSRPT_TXT_INVALID;        /* an RRset kept whole or not at all */
        why = a.why;
    }
    if (st == TLSRPT_TXT_INVALID)
        warn("%s TXT: %s: no report for %s", name, why, domain);
    else if (st == TLSRPT_TXT_FOUND && out->ignored_why != NULL)
        warn("%s TXT: a rua URI ignored: %s", name, out->ignored_why);
    dns_answer_clear(&a);
    return st == TLSRPT_TXT_FOUND ? TLSRPT_LOOKUP_FOUND : TLSRPT_LOOKUP_NONE;
}

/* state_key - the state entry's key: SHA-256 of report-id NUL URI */
static void state_key(const char *report_id, const char *uri,
                      uint8_t key[CACHE_STORE_KEY_LEN])
{
    struct digest_sha256 d;

    digest_sha256_begin(&d);
    digest_sha256_update(&d, report_id, strlen(report_id) + 1);
    digest_sha256_update(&d, uri, strlen(uri));
    digest_sha256_end(&d, key);
}

/* post - the gzip report to an https rua; 0, or -1 with err */
static int post(const struct tlsrpt_sender *s, const struct tlsrpt_rua *rua,
                const unsigned char *gz, size_t gzlen, char *err, size_t size)
{
    const char *addresses[2 * POST_ADDRESSES_MAX + 1];
    const struct dns_answer *families[2];
    struct https_request req = {
        .url = rua->uri, .addresses = addresses,
        .ca_file = policy_lookup(s->policy, rua->host)->ca_file,
        .deadline_ms = clock_now_ms() + POST_TIMEOUT_MS, .max_bytes = POST_ANSWER_MAX,
        .post_body = gz, .post_len = gzlen, .post_type = "application/tlsrpt+gzip",
    };
    struct https_response answer;
    struct dns_host facts;
    size_t n = 0;
    int rc = -1;

    memset(&facts, 0, sizeof facts);
    dns_lookup_host(s->resolver, rua->host, 443, 0, &facts);
    families[0] = &facts.a;
    families[1] = &facts.aaaa;
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < families[f]->nrr && i < POST_ADDRESSES_MAX; i++)
            if (families[f]->status == DNS_SECURE || families[f]->status == DNS_INSECURE)
                addresses[n++] = families[f]->rr[i].text;
    addresses[n] = NULL;
    if (n == 0)
        snprintf(err, size, "host %s has no address", rua->host);
    else if (https_post(&req, &answer, err, size) == HTTPS_OK)
        rc = 0;
    if (n > 0 && rc == 0)
        https_response_free(&answer);
    dns_host_clear(&facts);
    return rc;
}

/* mail - the §5.3 message to a mailto: rua through sendmail; 0, or -1
 * with *why */
static int mail(const struct tlsrpt_sender *s, const struct tlsrpt_job *job,
                const struct tlsrpt_rua *rua, const unsigned char *gz, size_t gzlen,
                const char **why)
{
    struct tlsrpt_mail m = {
        .report_domain = job->domain, .submitter = s->conf->submitter,
        .from = s->conf->sender, .to = rua->mailbox, .report_id = job->report_id,
        .begin = job->begin, .end = job->end, .now = time(NULL),
    };
    size_t len = 0;
    char *msg = tlsrpt_mail(&m, gz, gzlen, &len, why);
    int rc;

    if (msg == NULL)
        return -1;
    rc = tlsrpt_sendmail(s->conf->sendmail, s->conf->sender, rua->mailbox, msg, len, why);
    free(msg);
    return rc;
}

/* deliver_one - the report to one rua unless its state says it was; 0
 * sent now or before, -1 failed (warned) */
static int deliver_one(const struct tlsrpt_sender *s, const struct tlsrpt_job *job,
                       const struct tlsrpt_rua *rua, const unsigned char *gz,
                       size_t gzlen)
{
    uint8_t key[CACHE_STORE_KEY_LEN], buf[TLSRPT_URI_MAX + 1];
    const char *why = NULL;
    char err[512];
    size_t len;
    int got;

    state_key(job->report_id, rua->uri, key);
    got = cache_store_get(s->state, key, time(NULL), buf, sizeof buf, &len, &why);
    if (got == 1)
        return 0;
    if (got < 0) {
        warn("%s to %s: state unreadable: %s", job->report_id, rua->uri, why);
        return -1;
    }
    err[0] = '\0';
    if (rua->scheme == TLSRPT_HTTPS ? post(s, rua, gz, gzlen, err, sizeof err) != 0
                                    : mail(s, job, rua, gz, gzlen, &why) != 0) {
        warn("%s to %s: %s (tried again on the next run)", job->report_id, rua->uri,
             err[0] != '\0' ? err : why);
        return -1;
    }
    if (cache_store_put(s->state, key, time(NULL), TLSRPT_STATE_DAYS * 24u * 3600u,
                        (const uint8_t *)rua->uri, strlen(rua->uri), &why) != 0)
        warn("%s to %s: sent, but not recorded (%s): a rerun sends it again",
             job->report_id, rua->uri, why);
    return 0;
}

size_t tlsrpt_deliver(const struct tlsrpt_sender *s, const struct tlsrpt_job *job,
                      const struct tlsrpt_txt *txt)
{
    const char *why = NULL;
    size_t gzlen = 0, failed = 0;
    unsigned char *gz = tlsrpt_gzip(job->json, job->len, &gzlen, &why);

    if (gz == NULL) {
        warn("%s: %s", job->report_id, why);
        return txt->nrua;
    }
    for (size_t i = 0; i < txt->nrua; i++)
        failed += deliver_one(s, job, &txt->rua[i], gz, gzlen) != 0;
    free(gz);
    return failed;
}
