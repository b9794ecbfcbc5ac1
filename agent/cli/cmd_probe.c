/* cmd_probe.c - dane-agent probe -c POLICY [--level LEVEL] [--dns-only]
 *               [--json] DESTINATION
 *
 * DESCRIPTION
 *   The analog of Postfix's posttls-finger. With --dns-only: resolve the
 *   destination as a delivery would (MX, A/AAAA, TLSA with their DNSSEC
 *   status, CNAME chains, TLSA base domain, SNI), decide per RFC 7672 §2 and
 *   print the facts and the decision trail with the lookup time in ms.
 *   Without --dns-only it then connects to the planned hosts as deliver
 *   would (delivery.h in probe mode): STARTTLS, verification, QUIT, with the
 *   transcript, chain fingerprints and the TLS line; --json prints one
 *   record per attempt.
 *
 * DIAGNOSTICS
 *   Exit 0 when a host can be tried, 69 when the destination bounces (null
 *   MX, no such domain), 75 when it defers (lookup failure, no usable host,
 *   the resolver's capability check failed), 64 usage, 66 unreadable policy,
 *   78 invalid policy, 70 internal error. One line goes to stderr for every
 *   exit but 0.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "agent.h"
#include "clock.h"
#include "delivery.h"
#include "dnsplan.h"
#include "json.h"
#include "privdrop.h"
#include "probe.h"

#define PROBE_JSON_MAX (1024u * 1024u)

struct probe_args {
    const char *policy;
    const char *level;
    const char *destination;
    int dns_only;
    int json;
};

static int usage(const char *why)
{
    fprintf(stderr, "dane-agent: probe: %s\n"
            "usage: dane-agent probe -c POLICY [--level LEVEL] [--dns-only] "
            "[--json] DESTINATION\n", why);
    return EX_USAGE;
}

/* parse_args - 0, or -1 with *why */
static int parse_args(int argc, char **argv, struct probe_args *a,
                      const char **why)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if ((strcmp(arg, "-c") == 0 || strcmp(arg, "--level") == 0)
            && i + 1 >= argc) {
            *why = "option needs a value";
            return -1;
        }
        if (strcmp(arg, "-c") == 0)
            a->policy = argv[++i];
        else if (strcmp(arg, "--level") == 0)
            a->level = argv[++i];
        else if (strcmp(arg, "--dns-only") == 0)
            a->dns_only = 1;
        else if (strcmp(arg, "--json") == 0)
            a->json = 1;
        else if (arg[0] == '-' && arg[1] != '\0') {
            *why = "unknown option";
            return -1;
        } else if (a->destination != NULL) {
            *why = "one DESTINATION only";
            return -1;
        } else {
            a->destination = arg;
        }
    }
    if (a->policy == NULL || a->destination == NULL) {
        *why = "-c POLICY and DESTINATION are required";
        return -1;
    }
    return 0;
}

/* print_json - the plan as one JSON object on stdout (without --dns-only,
 * one JSON record per connection attempt follows, as deliver writes them) */
static int print_json(const struct dnsplan *plan, int dns_only, int code,
                      const char *reason)
{
    struct json *j = json_new(PROBE_JSON_MAX);
    const char *text, *why = "out of memory";
    size_t len = 0;

    if (j == NULL)
        return -1;
    json_object_begin(j);
    json_key(j, "dns_only");
    json_bool(j, dns_only);
    dnsplan_json(j, plan);
    json_key(j, "result");
    json_string(j, code == 0 ? "ok" : code == EX_UNAVAILABLE ? "bounce" : "defer");
    json_key(j, "reason");
    json_string(j, reason);
    json_object_end(j);
    text = json_text(j, &len, &why);
    if (text != NULL)
        printf("%s\n", text);
    else
        fprintf(stderr, "dane-agent: probe: JSON output failed: %s\n", why);
    json_free(j);
    return text != NULL ? 0 : -1;
}

/* with_level - the entry with --level applied; verify and secure get
 * Postfix's default match strategies when the entry has none */
static void with_level(const struct policy_entry *entry, enum policy_level level,
                       struct policy_entry *out)
{
    static const struct policy_match verify_match[] = {
        {.kind = POLICY_MATCH_HOSTNAME},
    };
    static const struct policy_match secure_match[] = {
        {.kind = POLICY_MATCH_NEXTHOP}, {.kind = POLICY_MATCH_DOT_NEXTHOP},
    };

    *out = *entry;
    out->level = level;
    if (level == entry->level || out->nmatch > 0)
        return;
    if (level == POLICY_LEVEL_VERIFY) {
        out->match = verify_match;
        out->nmatch = 1;
    } else if (level == POLICY_LEVEL_SECURE) {
        out->match = secure_match;
        out->nmatch = 2;
    }
}

/* print_session - after each session: its transcript and facts to out */
static void print_session(void *out, const struct smtp_outcome *o,
                          const struct verify_result *vr)
{
    probe_print_session(out, o, vr);
}

/* probe_smtp - connect to the planned hosts, STARTTLS, verify, QUIT; 0 when
 * one session completed, else 75 */
static int probe_smtp(const struct probe_args *a, const struct policy_entry *entry,
                      struct dnsplan *plan)
{
    uint64_t start = clock_now_ms();
    struct delivery_input in;
    struct delivery_result res;

    memset(&in, 0, sizeof(in));
    in.entry = entry;
    in.plan = plan;
    in.nexthop_text = a->destination;
    in.start_ms = start;
    in.deadline_ms = start + entry->delivery_timeout_ms;
    in.report.json_fd = -1;
    in.report.json_stdout = a->json;
    in.report.log_err = a->json ? NULL : stdout;
    in.probe = 1;
    if (!a->json) {
        in.seen = print_session;
        in.seen_arg = stdout;
    }
    delivery_run(&in, &res);
    if (res.status == DELIVERY_SENT)
        return 0;
    fprintf(stderr, "dane-agent: probe: %s\n", res.reason);
    return EX_TEMPFAIL;
}

/* probe_dns - resolve, decide, print, then (unless --dns-only) probe the
 * SMTP servers; the exit status */
static int probe_dns(const struct probe_args *a, const struct policy *policy,
                     const struct nexthop *nh, enum policy_level level)
{
    struct policy_entry leveled;
    const struct policy_entry *entry = &leveled;
    char err[512], warning[512];
    struct dnsplan *plan;
    const char *reason = NULL;
    int code;

    with_level(policy_lookup(policy, a->destination), level, &leveled);
    plan = dnsplan_for(policy_dns(policy), NULL, nh, entry, 0, warning, err, sizeof err);
    if (warning[0] != '\0')
        fprintf(stderr, "dane-agent: probe: %s\n", warning);
    if (plan == NULL) {
        fprintf(stderr, "dane-agent: probe: %s\n", err);
        return EX_TEMPFAIL;
    }
    code = dnsplan_exit(plan, &reason);
    if (a->json) {
        if (print_json(plan, a->dns_only, code, reason) != 0)
            code = EX_SOFTWARE;
        else if (!a->dns_only && code == 0) {
            fflush(stdout);
            code = probe_smtp(a, entry, plan);
            dnsplan_free(plan);
            return code;
        }
    } else {
        dnsplan_print_text(stdout, plan);
        if (!a->dns_only && code == 0) {
            fflush(stdout);
            code = probe_smtp(a, entry, plan);
            dnsplan_free(plan);
            return code;
        }
    }
    if (code != 0)
        fprintf(stderr, "dane-agent: probe: %s: %s\n",
                code == EX_UNAVAILABLE ? "bounce" : "defer", reason);
    dnsplan_free(plan);
    return code;
}

int cmd_probe(int argc, char **argv)
{
    struct probe_args a;
    struct nexthop nh;
    const char *why = NULL;
    enum policy_status status;
    enum policy_level level;
    struct policy *policy;
    char err[512];
    int code;

    if (parse_args(argc, argv, &a, &why) != 0)
        return usage(why);
    if (nexthop_parse(a.destination, strlen(a.destination), &nh, &why) != 0)
        return usage(why);
    policy = policy_load_status(a.policy, &status, err, sizeof err);
    if (policy == NULL) {
        fprintf(stderr, "dane-agent: probe: %s\n", err);
        return status == POLICY_UNREADABLE ? EX_NOINPUT : EX_CONFIG;
    }
    level = policy_lookup(policy, a.destination)->level;
    if (a.level != NULL
        && policy_level_from_name(a.level, strlen(a.level), &level) != 0) {
        policy_free(policy);
        return usage("unknown --level");
    }
    if (privdrop(policy_defaults(policy)->user, &why) != 0) {  /* before DNS */
        fprintf(stderr, "dane-agent: probe: refusing to run as root: %s\n", why);
        policy_free(policy);
        return EX_CONFIG;
    }
    code = probe_dns(&a, policy, &nh, level);
    policy_free(policy);
    return code;
}
