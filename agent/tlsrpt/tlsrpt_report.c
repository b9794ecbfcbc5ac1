/* tlsrpt_report.c - one domain's aggregate as the RFC 8460 §4.4 report
 *                   (tlsrpt.h), written with util/json.h */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "tlsrpt.h"
#include "tlsrpt_agg.h"

#define DATETIME_MAX 32

/* member - "key": s */
static void member(struct json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

/* member_if - "key": s, omitted when s is "" */
static void member_if(struct json *j, const char *key, const char *s)
{
    if (s[0] != '\0')
        member(j, key, s);
}

/* count_member - "key": n */
static void count_member(struct json *j, const char *key, uint64_t n)
{
    json_key(j, key);
    json_uint(j, n);
}

/* datetime_member - "key": t as RFC 3339 §5.6 date-time in UTC (§4.4) */
static void datetime_member(struct json *j, const char *key, time_t t)
{
    char buf[DATETIME_MAX];
    struct tm tm;

    buf[0] = '\0';
    if (gmtime_r(&t, &tm) != NULL)
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    member(j, key, buf);
}

/* string_array_member - "key": [s...], omitted when n is 0 */
static void string_array_member(struct json *j, const char *key,
                                char *const *s, size_t n)
{
    if (n == 0)
        return;
    json_key(j, key);
    json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        json_string(j, s[i]);
    json_array_end(j);
}

/* write_policy_object - "policy": its type, strings, domain, mx-host */
static void write_policy_object(struct json *j, const struct tlsrpt_domain *d,
                                const struct tlsrpt_policy *p)
{
    json_key(j, "policy");
    json_object_begin(j);
    member(j, "policy-type", p->type);
    string_array_member(j, "policy-string", p->strings, p->nstrings);
    member(j, "policy-domain", d->name);
    string_array_member(j, "mx-host", p->mx_hosts, p->nmx_hosts);
    json_object_end(j);
}

/* write_details - "failure-details", omitted when there is no row */
static void write_details(struct json *j, const struct tlsrpt_policy *p)
{
    if (p->ndetails == 0)
        return;
    json_key(j, "failure-details");
    json_array_begin(j);
    for (size_t i = 0; i < p->ndetails; i++) {
        const struct tlsrpt_detail *w = &p->details[i];

        json_object_begin(j);
        member(j, "result-type", w->result_type);
        member_if(j, "sending-mta-ip", w->sending_ip);
        member_if(j, "receiving-mx-hostname", w->mx);
        member_if(j, "receiving-ip", w->address);
        count_member(j, "failed-session-count", w->count);
        json_object_end(j);
    }
    json_array_end(j);
}

/* write_policy - one element of "policies" */
static void write_policy(struct json *j, const struct tlsrpt_domain *d,
                         const struct tlsrpt_policy *p)
{
    json_object_begin(j);
    write_policy_object(j, d, p);
    json_key(j, "summary");
    json_object_begin(j);
    count_member(j, "total-successful-session-count", p->successful);
    count_member(j, "total-failure-session-count", p->failed);
    json_object_end(j);
    write_details(j, p);
    json_object_end(j);
}

/* write_report - the whole report of domain d */
static void write_report(struct json *j, const struct tlsrpt_agg *a,
                         const struct tlsrpt_domain *d,
                         const struct tlsrpt_org *org)
{
    json_object_begin(j);
    member(j, "organization-name", org->organization_name);
    json_key(j, "date-range");
    json_object_begin(j);
    datetime_member(j, "start-datetime", a->start);
    datetime_member(j, "end-datetime", a->end - 1);     /* the last second */
    json_object_end(j);
    member(j, "contact-info", org->contact_info);
    member(j, "report-id", org->report_id);
    json_key(j, "policies");
    json_array_begin(j);
    for (size_t i = 0; i < d->npolicies; i++)
        write_policy(j, d, &d->policies[i]);
    json_array_end(j);
    json_object_end(j);
}

/* org_complete - every member of org is a non-empty string */
static int org_complete(const struct tlsrpt_org *org)
{
    return org != NULL && org->organization_name != NULL &&
           org->organization_name[0] != '\0' && org->contact_info != NULL &&
           org->contact_info[0] != '\0' && org->report_id != NULL &&
           org->report_id[0] != '\0';
}

/* tlsrpt_report_json - see tlsrpt.h */
char *tlsrpt_report_json(const struct tlsrpt_agg *a, size_t i,
                         const struct tlsrpt_org *org, size_t *len,
                         const char **why)
{
    struct json *j;
    const char *text;
    char *out = NULL;
    size_t n;

    if (i >= a->ndomains || !org_complete(org)) {
        *why = i >= a->ndomains ? "no such domain in the aggregation"
                                : "organization-name, contact-info and "
                                  "report-id are required (RFC 8460 §4.4)";
        return NULL;
    }
    if ((j = json_new(TLSRPT_REPORT_MAX)) == NULL) {
        *why = "out of memory for the report";
        return NULL;
    }
    write_report(j, a, a->domains[i], org);
    if ((text = json_text(j, &n, why)) != NULL) {
        if ((out = malloc(n + 1)) == NULL)
            *why = "out of memory for the report";
        else {
            memcpy(out, text, n + 1);
            *len = n;
        }
    }
    json_free(j);
    return out;
}
