/* test_delivery.c - the failover loop of delivery_run() (delivery.h) with
 * scripted sessions: no network, no DNS. A plan of two MX hosts (mx1 with
 * two addresses, mx2 with one) at level none is built by hand; the session
 * runner seam replays one scripted outcome per session and records which
 * address it was given and for which recipients.
 *
 * The rules under test are Postfix smtp(8)'s, as delivery.h states them:
 * a temporary failure moves on to the next address, a refused greeting too;
 * recipients deferred by one server are offered to the next, a 5xx to RCPT
 * is final; the request's status is deferred while any recipient is
 * pending, and its reason's class digit is always the status's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "delivery.h"
#include "delivery_warm.h"
#include "dnsplan.h"
#include "policy.h"

#define MAX_CALLS 8

/* One scripted session: the session's result and stage, and per recipient
 * of the message it is given: 's' sent, 'd' deferred (450), 'b' bounced
 * (550); "" when the session ends before the transaction. */
struct step {
    enum smtp_result result;
    enum smtp_stage stage;
    const char *enhanced;
    const char *verdicts;
    int requiretls_unmet;       /* RFC 8689: the peer could not carry it */
};

/* every scripted session is over TLS (TLSv1.3) */
static int sessions_over_tls;

static struct {
    const struct step *steps;
    size_t nsteps, ncalls;
    char address[MAX_CALLS][INET6_ADDRSTRLEN];
    char rcpts[MAX_CALLS][128];         /* "a,b" given to each session */
    enum smtp_tls_mode tls[MAX_CALLS];  /* what each session was told */
    int requiretls[MAX_CALLS];          /* ... and whether REQUIRETLS */
} script;

/* fill_rcpt - one recipient's scripted verdict */
static void fill_rcpt(struct smtp_rcpt_result *r, char verdict)
{
    r->result = verdict == 's' ? SMTP_SENT : verdict == 'b' ? SMTP_BOUNCE : SMTP_DEFER;
    r->code = verdict == 's' ? 250 : verdict == 'b' ? 550 : 450;
    snprintf(r->enhanced, sizeof(r->enhanced), "%s",
             verdict == 's' ? "2.0.0" : verdict == 'b' ? "5.1.1" : "4.2.0");
    snprintf(r->text, sizeof(r->text), "scripted %c", verdict);
}

/* record_call - which address and recipients this session was given */
static void record_call(const struct smtp_params *p, const struct smtp_message *m)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)p->addr;
    size_t k = script.ncalls;

    inet_ntop(AF_INET, &sin->sin_addr, script.address[k], sizeof(script.address[k]));
    script.tls[k] = p->tls;
    script.requiretls[k] = m->requiretls;
    for (size_t i = 0; i < m->nrecipients; i++) {
        strcat(script.rcpts[k], i > 0 ? "," : "");
        strcat(script.rcpts[k], m->recipients[i]);
    }
}

/* scripted_session - delivery_session_fn: replay the next step */
static void scripted_session(const struct smtp_params *p, const struct smtp_message *m,
                             struct smtp_outcome *out)
{
    const struct step *st;

    cr_assert_lt(script.ncalls, script.nsteps, "session %zu was not scripted",
                 script.ncalls + 1);
    st = &script.steps[script.ncalls];
    record_call(p, m);
    script.ncalls++;
    memset(out, 0, sizeof(*out));
    out->result = st->result;
    out->stage = st->stage;
    out->connected = st->stage > SMTP_STAGE_CONNECT;
    out->requiretls_unmet = st->requiretls_unmet;
    out->tls = sessions_over_tls;
    if (sessions_over_tls)
        snprintf(out->facts.protocol, sizeof(out->facts.protocol), "TLSv1.3");
    snprintf(out->enhanced, sizeof(out->enhanced), "%s", st->enhanced);
    snprintf(out->reason, sizeof(out->reason), "scripted failure at stage %d", st->stage);
    if (st->verdicts[0] == '\0')
        return;
    cr_assert_eq(strlen(st->verdicts), m->nrecipients, "script for %zu recipients",
                 m->nrecipients);
    out->nrecipients = m->nrecipients;
    out->recipients = calloc(m->nrecipients, sizeof(*out->recipients));
    cr_assert_not_null(out->recipients);
    for (size_t i = 0; i < m->nrecipients; i++)
        fill_rcpt(&out->recipients[i], st->verdicts[i]);
}

/* add_host - host hi of the plan: insecure A records, level none */
static void add_host(struct dnsplan *plan, size_t hi, const char *name,
                     const char *const *addresses, size_t n)
{
    struct dns_host *f = &plan->facts[hi];
    struct mxplan_host *h = &plan->hosts[hi];

    snprintf(f->name, sizeof(f->name), "%s", name);
    f->port = 25;
    f->a.asked = 1;
    f->a.status = DNS_INSECURE;
    f->a.nrr = n;
    for (size_t i = 0; i < n; i++)
        snprintf(f->a.rr[i].text, sizeof(f->a.rr[i].text), "%s", addresses[i]);
    h->effective = MXPLAN_CONFIGURED;
    h->level = POLICY_LEVEL_NONE;
    h->address_status = DNS_INSECURE;
    h->addresses = &f->a;
}

static struct dnsplan *plan_two_hosts(void)
{
    static const char *const mx1[] = {"192.0.2.1", "192.0.2.2"};
    static const char *const mx2[] = {"192.0.2.3"};
    struct dnsplan *plan = calloc(1, sizeof(*plan));

    cr_assert_not_null(plan);
    plan->nhosts = 2;
    plan->facts = calloc(2, sizeof(*plan->facts));
    plan->hosts = calloc(2, sizeof(*plan->hosts));
    cr_assert(plan->facts != NULL && plan->hosts != NULL);
    plan->nexthop.port = 25;
    plan->level = POLICY_LEVEL_NONE;
    plan->mx.asked = 1;
    plan->mx.status = DNS_INSECURE;
    plan->domain.result = MXPLAN_DOMAIN_HOSTS;
    plan->domain.nhosts = 2;
    add_host(plan, 0, "mx1.example.test", mx1, 2);
    add_host(plan, 1, "mx2.example.test", mx2, 1);
    return plan;
}

static void plan_free(struct dnsplan *plan)
{
    free(plan->facts);
    free(plan->hosts);
    free(plan);
}

/* What the message says besides its recipients. */
#define MSG_TLS_REQUIRED_NO 1   /* "TLS-Required: No" (RFC 8689 §5) */
#define MSG_REQUIRETLS 2        /* deliver --requiretls (RFC 8689) */

/* where run_as() has the JSON records written: -1 nowhere */
static int report_fd = -1;

/* run_as - delivery_run() over the plan for rcpts with the script, under
 * the policy text yaml, the message marked with MSG_* flags */
static void run_as(const char *yaml, unsigned flags, struct dnsplan *plan,
                   const char **rcpts, size_t nrcpts, const struct step *steps,
                   size_t nsteps, struct delivery_result *res)
{
    char err[256];
    struct policy *policy = policy_parse("t.yaml", (const uint8_t *)yaml,
                                         strlen(yaml), err, sizeof(err));
    struct smtp_message msg = { .sender = "sender@example.org", .recipients = rcpts,
                                .nrecipients = nrcpts, .fd = -1, .buf = (const uint8_t *)"x\r\n",
                                .len = 3, .size = 3,
                                .tls_required_no = (flags & MSG_TLS_REQUIRED_NO) != 0,
                                .requiretls = (flags & MSG_REQUIRETLS) != 0 };
    struct delivery_input in = { .plan = plan, .nexthop_text = "example.test",
                                 .message = &msg, .deadline_ms = UINT64_MAX,
                                 .report = { .json_fd = report_fd },
                                 .run_session = scripted_session };

    cr_assert_not_null(policy, "%s", err);
    memset(&script, 0, sizeof(script));
    script.steps = steps;
    script.nsteps = nsteps;
    in.entry = policy_defaults(policy);
    delivery_run(&in, res);
    cr_assert_eq(res->attempts, script.ncalls);
    policy_free(policy);
}

/* run - run_as() at level none, without TLS-Required */
static void run(struct dnsplan *plan, const char **rcpts, size_t nrcpts,
                const struct step *steps, size_t nsteps, struct delivery_result *res)
{
    run_as("defaults:\n  level: none\n", 0, plan, rcpts, nrcpts, steps, nsteps, res);
}

Test(delivery, connect_failure_moves_to_the_next_address)
{
    static const struct step steps[] = {
        { SMTP_DEFER, SMTP_STAGE_CONNECT, "4.4.1", "", 0 },
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    run(plan, rcpts, 1, steps, 2, &res);
    cr_assert_eq(res.status, DELIVERY_SENT);
    cr_assert_eq(res.nsent, 1);
    cr_assert_str_eq(script.address[0], "192.0.2.1");
    cr_assert_str_eq(script.address[1], "192.0.2.2");
    plan_free(plan);
}

Test(delivery, refused_greeting_is_temporary_next_host_tried)
{
    /* a 554 greeting skips the host (Postfix smtp_skip_5xx_greeting) */
    static const struct step steps[] = {
        { SMTP_BOUNCE, SMTP_STAGE_GREETING, "5.0.0", "", 0 },
        { SMTP_BOUNCE, SMTP_STAGE_GREETING, "5.0.0", "", 0 },
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    run(plan, rcpts, 1, steps, 3, &res);
    cr_assert_eq(res.status, DELIVERY_SENT);
    cr_assert_str_eq(script.address[2], "192.0.2.3");
    plan_free(plan);
}

Test(delivery, deferred_recipient_offered_to_next_server_alone)
{
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "sd", 0 },
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test", "b@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    run(plan, rcpts, 2, steps, 2, &res);
    cr_assert_eq(res.status, DELIVERY_SENT);
    cr_assert_eq(res.nsent, 2);
    cr_assert_str_eq(script.rcpts[0], "a@example.test,b@example.test");
    cr_assert_str_eq(script.rcpts[1], "b@example.test");
    plan_free(plan);
}

Test(delivery, rcpt_550_is_final_never_offered_again)
{
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "bd", 0 },
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test", "b@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    run(plan, rcpts, 2, steps, 2, &res);
    cr_assert_str_eq(script.rcpts[1], "b@example.test");
    cr_assert_eq(res.status, DELIVERY_BOUNCED);
    cr_assert_eq(res.nbounced, 1);
    cr_assert_eq(res.nsent, 1);
    cr_assert(strncmp(res.reason, "5.1.1 ", 6) == 0, "reason: %s", res.reason);
    plan_free(plan);
}

Test(delivery, all_addresses_fail_defers_with_a_4xx_reason)
{
    /* a 5.7.1 code on a session failure that only defers is said as 4.7.1 */
    static const struct step steps[] = {
        { SMTP_DEFER, SMTP_STAGE_CONNECT, "4.4.1", "", 0 },
        { SMTP_DEFER, SMTP_STAGE_HANDSHAKE, "5.7.1", "", 0 },
        { SMTP_DEFER, SMTP_STAGE_CONNECT, "4.4.1", "", 0 },
    };
    const char *rcpts[] = {"a@example.test", "b@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    run(plan, rcpts, 2, steps, 3, &res);
    cr_assert_eq(res.status, DELIVERY_DEFERRED);
    cr_assert_eq(res.ndeferred, 2);
    /* the deepest failure explains the deferral best */
    cr_assert(strncmp(res.reason, "4.7.1 ", 6) == 0, "reason: %s", res.reason);
    plan_free(plan);
}

Test(delivery, host_ruled_out_by_the_plan_is_skipped)
{
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    plan->hosts[0].effective = MXPLAN_UNREACHABLE;
    plan->hosts[0].enhanced = "4.4.3";
    snprintf(plan->hosts[0].reason, sizeof(plan->hosts[0].reason), "lookup failed");
    run(plan, rcpts, 1, steps, 1, &res);
    cr_assert_eq(res.status, DELIVERY_SENT);
    cr_assert_str_eq(script.address[0], "192.0.2.3");
    plan_free(plan);
}

Test(delivery, plan_that_bounces_runs_no_session)
{
    const char *rcpts[] = {"a@example.test", "b@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    plan->domain.result = MXPLAN_DOMAIN_BOUNCE;
    plan->domain.enhanced = "5.1.10";
    snprintf(plan->domain.reason, sizeof(plan->domain.reason),
             "Domain example.test does not accept mail (null MX)");
    run(plan, rcpts, 2, NULL, 0, &res);
    cr_assert_eq(res.attempts, 0);
    cr_assert_eq(res.status, DELIVERY_BOUNCED);
    cr_assert_eq(res.nbounced, 2);
    cr_assert_str_eq(res.reason, "5.1.10 Domain example.test does not accept mail (null MX)");
    plan_free(plan);
}

Test(delivery, plan_with_every_host_deferred_defers)
{
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    for (size_t hi = 0; hi < 2; hi++) {
        plan->hosts[hi].effective = MXPLAN_DEFER;
        plan->hosts[hi].enhanced = "4.7.5";
        snprintf(plan->hosts[hi].reason, sizeof(plan->hosts[hi].reason),
                 "no usable TLSA records");
    }
    run(plan, rcpts, 1, NULL, 0, &res);
    cr_assert_eq(res.attempts, 0);
    cr_assert_eq(res.status, DELIVERY_DEFERRED);
    cr_assert_str_eq(res.reason, "4.7.5 no usable TLSA records");
    plan_free(plan);
}

/* sts_mismatch_plan - both hosts ruled out by an MTA-STS enforce policy
 * that names neither (mxplan_host_sts) */
static struct dnsplan *sts_mismatch_plan(void)
{
    struct dnsplan *plan = plan_two_hosts();

    for (size_t hi = 0; hi < 2; hi++) {
        plan->hosts[hi].level = POLICY_LEVEL_MAY;
        plan->hosts[hi].effective = MXPLAN_DEFER;
        plan->hosts[hi].sts = MXPLAN_STS_MISMATCH;
        plan->hosts[hi].enhanced = "4.7.5";
        snprintf(plan->hosts[hi].reason, sizeof(plan->hosts[hi].reason),
                 "MX host matches no mx pattern of the MTA-STS policy");
    }
    return plan;
}

Test(delivery, rfc8689_s5_tls_required_no_tries_hosts_mta_sts_ruled_out)
{
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = sts_mismatch_plan();
    struct delivery_result res;

    run_as("defaults:\n  level: may\n", 1, plan, rcpts, 1, steps, 1, &res);
    cr_assert_eq(res.status, DELIVERY_SENT);
    cr_assert_eq(script.tls[0], SMTP_TLS_OPPORTUNISTIC);
    plan_free(plan);
}

Test(delivery, without_tls_required_no_mta_sts_mismatch_defers)
{
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = sts_mismatch_plan();
    struct delivery_result res;

    run_as("defaults:\n  level: may\n", 0, plan, rcpts, 1, NULL, 0, &res);
    cr_assert_eq(res.attempts, 0);
    cr_assert_eq(res.status, DELIVERY_DEFERRED);
    cr_assert(strncmp(res.reason, "4.7.5 ", 6) == 0, "%s", res.reason);
    plan_free(plan);
}

Test(delivery, tls_required_no_not_honoured_when_the_policy_says_so)
{
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = sts_mismatch_plan();
    struct delivery_result res;

    run_as("defaults:\n  level: may\n  honor_tls_required_no: false\n", 1, plan, rcpts, 1,
           NULL, 0, &res);
    cr_assert_eq(res.attempts, 0);
    cr_assert_eq(res.status, DELIVERY_DEFERRED);
    plan_free(plan);
}

Test(delivery, tls_required_no_relaxes_a_dane_host_to_opportunistic_tls)
{
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    plan->hosts[0].effective = MXPLAN_DANE;
    plan->hosts[0].level = POLICY_LEVEL_DANE;
    run_as("defaults:\n  level: dane\n", 1, plan, rcpts, 1, steps, 1, &res);
    cr_assert_eq(script.tls[0], SMTP_TLS_OPPORTUNISTIC);
    run_as("defaults:\n  level: dane\n", 0, plan, rcpts, 1, steps, 1, &res);
    cr_assert_eq(script.tls[0], SMTP_TLS_REQUIRED, "without the header: DANE");
    plan_free(plan);
}

Test(delivery, tls_required_no_never_at_dane_only)
{
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    plan->hosts[0].effective = MXPLAN_DANE;
    plan->hosts[0].level = POLICY_LEVEL_DANE_ONLY;
    run_as("defaults:\n  level: dane-only\n", 1, plan, rcpts, 1, steps, 1, &res);
    cr_assert_eq(script.tls[0], SMTP_TLS_REQUIRED);
    plan_free(plan);
}

/* dane_plan - plan_two_hosts() with both hosts authenticated by DANE */
static struct dnsplan *dane_plan(void)
{
    struct dnsplan *plan = plan_two_hosts();

    for (size_t hi = 0; hi < 2; hi++) {
        plan->hosts[hi].effective = MXPLAN_DANE;
        plan->hosts[hi].level = POLICY_LEVEL_DANE;
    }
    return plan;
}

static const char dane_yaml[] = "defaults:\n  level: dane\n";

/* RFC 8689 §4.2.1, §5: every host reached, none could carry the REQUIRETLS
 * message, nothing else deferred it: the recipients bounce with 5.7.30 */
Test(delivery, rfc8689_requiretls_unmet_everywhere_bounces_5_7_30)
{
    static const struct step steps[] = {
        { SMTP_DEFER, SMTP_STAGE_MAIL, "4.7.30", "", 1 },
        { SMTP_DEFER, SMTP_STAGE_MAIL, "4.7.30", "", 1 },
        { SMTP_DEFER, SMTP_STAGE_MAIL, "4.7.30", "", 1 },
    };
    const char *rcpts[] = {"a@example.test", "b@example.test"};
    struct dnsplan *plan = dane_plan();
    struct delivery_result res;

    run_as(dane_yaml, MSG_REQUIRETLS, plan, rcpts, 2, steps, 3, &res);
    cr_assert_eq(res.status, DELIVERY_BOUNCED, "%s", res.reason);
    cr_assert_eq(res.nbounced, 2);
    cr_assert(strncmp(res.reason, "5.7.30 REQUIRETLS support required", 34) == 0, "%s",
              res.reason);
    cr_assert(script.requiretls[0] && script.requiretls[2]);
    plan_free(plan);
}

/* A host not authenticated by DANE or MTA-STS is never given the message:
 * no session at all, and with no other host, 5.7.30 */
Test(delivery, rfc8689_requiretls_unauthenticated_hosts_never_tried)
{
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = plan_two_hosts();
    struct delivery_result res;

    run_as("defaults:\n  level: may\n", MSG_REQUIRETLS, plan, rcpts, 1, NULL, 0, &res);
    cr_assert_eq(res.attempts, 0);
    cr_assert_eq(res.status, DELIVERY_BOUNCED, "%s", res.reason);
    cr_assert_not_null(strstr(res.reason, "not authenticated by DANE or MTA-STS"), "%s",
                       res.reason);
    cr_assert(strncmp(res.reason, "5.7.30 ", 7) == 0, "%s", res.reason);
    plan_free(plan);
}

/* A host that could not be reached might have offered REQUIRETLS: the
 * delivery defers, it never bounces on a guess */
Test(delivery, rfc8689_requiretls_with_an_unreached_host_defers)
{
    static const struct step steps[] = {
        { SMTP_DEFER, SMTP_STAGE_CONNECT, "4.4.1", "", 0 },
        { SMTP_DEFER, SMTP_STAGE_MAIL, "4.7.30", "", 1 },
        { SMTP_DEFER, SMTP_STAGE_MAIL, "4.7.30", "", 1 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = dane_plan();
    struct delivery_result res;

    run_as(dane_yaml, MSG_REQUIRETLS, plan, rcpts, 1, steps, 3, &res);
    cr_assert_eq(res.status, DELIVERY_DEFERRED, "%s", res.reason);
    cr_assert_eq(res.reason[0], '4', "%s", res.reason);
    plan_free(plan);
}

/* The next MX that meets REQUIRETLS gets the message (RFC 8689 §4.2.1) */
Test(delivery, rfc8689_requiretls_next_host_delivers)
{
    static const struct step steps[] = {
        { SMTP_DEFER, SMTP_STAGE_MAIL, "4.7.30", "", 1 },
        { SMTP_DEFER, SMTP_STAGE_MAIL, "4.7.30", "", 1 },
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = dane_plan();
    struct delivery_result res;

    plan->hosts[1].effective = MXPLAN_STS;
    plan->hosts[1].level = POLICY_LEVEL_VERIFY;
    run_as(dane_yaml, MSG_REQUIRETLS, plan, rcpts, 1, steps, 3, &res);
    cr_assert_eq(res.status, DELIVERY_SENT, "%s", res.reason);
    cr_assert_str_eq(script.address[2], "192.0.2.3");
    cr_assert_eq(script.requiretls[2], 1);
    plan_free(plan);
}

/* RFC 8689 §4.1: with REQUIRETLS the TLS-Required header field is ignored */
Test(delivery, rfc8689_requiretls_ignores_tls_required_no)
{
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = dane_plan();
    struct delivery_result res;

    run_as(dane_yaml, MSG_REQUIRETLS | MSG_TLS_REQUIRED_NO, plan, rcpts, 1, steps, 1, &res);
    cr_assert_eq(script.tls[0], SMTP_TLS_REQUIRED);
    plan_free(plan);
}

/* run_records - run_as() with TLS-Required: No, sessions over TLS, and the
 * JSON records kept: into buf (size) */
static void run_records(const char *yaml, struct dnsplan *plan, const struct step *steps,
                        size_t nsteps, char *buf, size_t size)
{
    const char *rcpts[] = {"a@example.test"};
    struct delivery_result res;
    FILE *f = tmpfile();
    size_t n;

    cr_assert_not_null(f);
    report_fd = fileno(f);
    sessions_over_tls = 1;
    run_as(yaml, MSG_TLS_REQUIRED_NO, plan, rcpts, 1, steps, nsteps, &res);
    sessions_over_tls = 0;
    report_fd = -1;
    cr_assert_eq(res.status, DELIVERY_SENT);
    rewind(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

Test(delivery, rfc8689_s5_record_of_a_host_mta_sts_ruled_out)
{
    /* sent over TLS, nothing failed in the session: the policy was still
     * not enforced (the host matches no mx pattern), and the record says so */
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    struct dnsplan *plan = sts_mismatch_plan();
    char json[8192];

    run_records("defaults:\n  level: may\n", plan, steps, 1, json, sizeof(json));
    cr_assert(strstr(json, "\"tls_required_no\":true") != NULL, "%s", json);
    cr_assert(strstr(json, "\"rfc8460_result_type\":\"validation-failure\"") != NULL, "%s", json);
    plan_free(plan);
}

Test(delivery, tls_required_no_false_where_the_policy_held)
{
    /* a DANE host, TLS up, nothing let through: the header changed nothing */
    static const struct step steps[] = {
        { SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 },
    };
    struct dnsplan *plan = plan_two_hosts();
    char json[8192];

    plan->hosts[0].effective = MXPLAN_DANE;
    plan->hosts[0].level = POLICY_LEVEL_DANE;
    run_records("defaults:\n  level: dane\n", plan, steps, 1, json, sizeof(json));
    cr_assert(strstr(json, "\"tls_required_no\":false") != NULL, "%s", json);
    cr_assert(strstr(json, "\"rfc8460_result_type\":null") != NULL, "%s", json);
    plan_free(plan);
}

/* A delivery that the MTA-STS policy alone ruled out is still a failed
 * session for the domain's TLSRPT report: its record names the policy
 * (RFC 8460 §4.4) */
Test(delivery, plan_record_names_the_mta_sts_policy)
{
    const char *rcpts[] = {"a@example.test"};
    struct dnsplan *plan = sts_mismatch_plan();
    struct delivery_result res;
    FILE *f = tmpfile();
    char json[8192];
    size_t n;

    cr_assert_not_null(f);
    snprintf(plan->nexthop.name, sizeof(plan->nexthop.name), "example.test");
    report_fd = fileno(f);
    run_as("defaults:\n  level: may\n", 0, plan, rcpts, 1, NULL, 0, &res);
    report_fd = -1;
    cr_assert_eq(res.status, DELIVERY_DEFERRED);
    rewind(f);
    n = fread(json, 1, sizeof(json) - 1, f);
    json[n] = '\0';
    fclose(f);
    cr_assert(strstr(json, "\"policy_type\":\"sts\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"policy_domain\":\"example.test\"") != NULL, "%s", json);
    cr_assert(strstr(json, "\"rfc8460_result_type\":\"validation-failure\"") != NULL, "%s", json);
    plan_free(plan);
}

/* deliver_into - one delivery of a message to a@example.test over the
 * plan, with the warm state w (or none), scripted to be sent */
static void deliver_into(const struct policy_entry *entry, struct dnsplan *plan,
                         struct delivery_warm *w)
{
    static const struct step sent[] = {{ SMTP_SENT, SMTP_STAGE_DONE, "2.0.0", "s", 0 }};
    const char *rcpts[] = {"a@example.test"};
    struct smtp_message msg = { .sender = "s@example.org", .recipients = rcpts,
                                .nrecipients = 1, .fd = -1, .buf = (const uint8_t *)"x\r\n",
                                .len = 3, .size = 3 };
    struct delivery_input in = { .entry = entry, .plan = plan, .nexthop_text = "example.test",
                                 .message = &msg, .deadline_ms = UINT64_MAX,
                                 .report = { .json_fd = -1 },
                                 .run_session = scripted_session, .warm = w };
    struct delivery_result res;

    memset(&script, 0, sizeof(script));
    script.steps = sent;
    script.nsteps = 1;
    delivery_run(&in, &res);
    cr_assert_eq(res.status, DELIVERY_SENT, "%s", res.reason);
}

/* A resident worker's warm state: the TLS context the first delivery made
 * is the one the next deliveries of the same policy entry use; another
 * entry gets its own; without warm state nothing is kept */
Test(delivery, warm_state_keeps_one_tls_context_per_policy_entry)
{
    static const char yaml[] = "defaults:\n  level: dane\n"
                               "destinations:\n  other.test:\n    level: dane\n";
    char err[256];
    struct policy *policy = policy_parse("t.yaml", (const uint8_t *)yaml, strlen(yaml),
                                         err, sizeof(err));
    struct delivery_warm *w = delivery_warm_new(NULL);
    struct dnsplan *plan = dane_plan();
    const struct tls_ctx *first;

    cr_assert_not_null(policy, "%s", err);
    cr_assert_not_null(w);
    deliver_into(policy_defaults(policy), plan, NULL);
    cr_assert_eq(delivery_warm_size(w), 0);
    deliver_into(policy_defaults(policy), plan, w);
    cr_assert_eq(delivery_warm_size(w), 1, "one context for the entry");
    first = delivery_warm_entry(w, policy_defaults(policy))->ctx_auth;
    cr_assert_not_null(first);
    deliver_into(policy_defaults(policy), plan, w);
    cr_assert_eq(delivery_warm_size(w), 1, "the same context again, no new one");
    cr_assert_eq(delivery_warm_entry(w, policy_defaults(policy))->ctx_auth, first);
    deliver_into(policy_lookup(policy, "other.test"), plan, w);
    cr_assert_eq(delivery_warm_size(w), 2, "the other entry has its own");
    delivery_warm_free(w);
    policy_free(policy);
    plan_free(plan);
}
