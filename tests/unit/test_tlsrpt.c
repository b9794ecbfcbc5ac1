/* test_tlsrpt.c - SMTP TLS Reporting (agent/tlsrpt/tlsrpt.h): the
 * _smtp._tls TXT record and its rua URIs (RFC 8460 §3), and the §4.4
 * aggregate report built from records written by report_json()
 * (agent/report), read back with json-c */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "report.h"
#include "test_helpers.h"
#include "tlsrpt.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- TXT record, §3 ---- */

struct txt_case {
    const char *name;
    const char *text;
    size_t len;             /* 0: strlen(text) */
    int want_rc;
    size_t nrua;            /* when accepted */
    const char *rua0;       /* mailbox (mailto) or uri (https) of the first */
    size_t nignored;
};

#define MAILTO "rua=mailto:reports@example.com"
#define HTTPS "rua=https://reporting.example.com/v1/tlsrpt"

static const struct txt_case txt_cases[] = {
    /* §3's examples */
    { "rfc_mailto", "v=TLSRPTv1; " MAILTO, 0, 0, 1, "reports@example.com", 0 },
    { "rfc_https", "v=TLSRPTv1; " HTTPS, 0, 0, 1,
      "https://reporting.example.com/v1/tlsrpt", 0 },
    { "list_of_two", "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example/x",
      0, 0, 2, "a@example.com", 0 },
    { "wsp_everywhere", "v=TLSRPTv1 ;\trua=mailto:a@example.com , https://r.example/x ; ",
      0, 0, 2, "a@example.com", 0 },
    { "no_spaces_trailing_delim", "v=TLSRPTv1;" MAILTO ";", 0, 0, 1,
      "reports@example.com", 0 },
    { "two_rua_fields", "v=TLSRPTv1; rua=mailto:a@example.com; rua=https://r.example/x",
      0, 0, 2, "a@example.com", 0 },
    { "extensions_ignored", "v=TLSRPTv1; ext=foo; " MAILTO "; x.y-z_1=a:b/c", 0, 0, 1,
      "reports@example.com", 0 },
    { "scheme_case_insensitive", "v=TLSRPTv1; rua=MAILTO:a@example.com", 0, 0, 1,
      "a@example.com", 0 },
    { "percent_decoded", "v=TLSRPTv1; rua=mailto:a%2Bb@example.com", 0, 0, 1,
      "a+b@example.com", 0 },
    { "encoded_bang_ok", "v=TLSRPTv1; rua=mailto:a%21b@example.com", 0, 0, 1,
      "a!b@example.com", 0 },
    { "mailto_hfields_ignored", "v=TLSRPTv1; rua=mailto:a@example.com?subject=x", 0, 0, 1,
      "a@example.com", 0 },
    { "domain_lower_cased", "v=TLSRPTv1; rua=mailto:Ab@Example.COM", 0, 0, 1,
      "Ab@Example.COM", 0 },
    { "https_port_query", "v=TLSRPTv1; rua=https://r.example:8443/x?y=1%2C2", 0, 0, 1,
      "https://r.example:8443/x?y=1%2C2", 0 },
    { "unusable_beside_usable", "v=TLSRPTv1; rua=ftp://x.example/,mailto:a@example.com",
      0, 0, 1, "a@example.com", 1 },
    { "http_beside_usable", "v=TLSRPTv1; rua=http://x.example/,https://r.example/",
      0, 0, 1, "https://r.example/", 1 },
    /* the record itself is malformed */
    { "reject_version_2", "v=TLSRPTv2; " MAILTO, 0, -1, 0, NULL, 0 },
    { "reject_version_10", "v=TLSRPTv10; " MAILTO, 0, -1, 0, NULL, 0 },
    { "reject_version_case", "v=tlsrptv1; " MAILTO, 0, -1, 0, NULL, 0 },
    { "reject_version_not_first", MAILTO "; v=TLSRPTv1", 0, -1, 0, NULL, 0 },
    { "reject_leading_space", " v=TLSRPTv1; " MAILTO, 0, -1, 0, NULL, 0 },
    { "reject_version_only", "v=TLSRPTv1", 0, -1, 0, NULL, 0 },
    { "reject_no_fields", "v=TLSRPTv1;", 0, -1, 0, NULL, 0 },
    { "reject_missing_rua", "v=TLSRPTv1; ext=foo", 0, -1, 0, NULL, 0 },
    { "reject_rua_upper_case_name", "v=TLSRPTv1; RUA=mailto:a@example.com", 0, -1, 0, NULL, 0 },
    { "reject_no_delimiter", "v=TLSRPTv1 " MAILTO, 0, -1, 0, NULL, 0 },
    { "reject_empty_rua", "v=TLSRPTv1; rua=", 0, -1, 0, NULL, 0 },
    { "reject_space_after_equals", "v=TLSRPTv1; rua= mailto:a@example.com", 0, -1, 0, NULL, 0 },
    { "reject_trailing_comma", "v=TLSRPTv1; rua=mailto:a@example.com,", 0, -1, 0, NULL, 0 },
    { "reject_empty_list_entry", "v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com",
      0, -1, 0, NULL, 0 },
    { "reject_uris_without_comma", "v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com",
      0, -1, 0, NULL, 0 },
    { "reject_empty_field", "v=TLSRPTv1;; " MAILTO, 0, -1, 0, NULL, 0 },
    { "reject_field_without_equals", "v=TLSRPTv1; " MAILTO "; junk", 0, -1, 0, NULL, 0 },
    { "reject_ext_value_equals", "v=TLSRPTv1; " MAILTO "; a=b=c", 0, -1, 0, NULL, 0 },
    { "reject_ext_name_underscore_first", "v=TLSRPTv1; " MAILTO "; _a=b", 0, -1, 0, NULL, 0 },
    { "reject_nul_inside", "v=TLSRPTv1; rua=mailto:a@exa\0mple.com", 37, -1, 0, NULL, 0 },
    { "reject_empty", "", 0, -1, 0, NULL, 0 },
    /* well-formed, but no URI can be used */
    { "reject_http_only", "v=TLSRPTv1; rua=http://r.example/x", 0, -1, 0, NULL, 0 },
    { "reject_no_scheme", "v=TLSRPTv1; rua=reports@example.com", 0, -1, 0, NULL, 0 },
    { "reject_raw_bang", "v=TLSRPTv1; rua=mailto:a@example.com!10m", 0, -1, 0, NULL, 0 },
    { "reject_bad_escape", "v=TLSRPTv1; rua=mailto:a%zz@example.com", 0, -1, 0, NULL, 0 },
    { "reject_cut_escape", "v=TLSRPTv1; rua=mailto:a@example.com%2", 0, -1, 0, NULL, 0 },
    { "reject_non_uri_char", "v=TLSRPTv1; rua=mailto:<a@example.com>", 0, -1, 0, NULL, 0 },
    { "reject_mailto_no_at", "v=TLSRPTv1; rua=mailto:not-an-address", 0, -1, 0, NULL, 0 },
    { "reject_mailto_empty", "v=TLSRPTv1; rua=mailto:?to=a@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_two_at", "v=TLSRPTv1; rua=mailto:a@b@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_encoded_comma", "v=TLSRPTv1; rua=mailto:a@example.com%2Cb@example.com",
      0, -1, 0, NULL, 0 },
    { "reject_mailto_crlf", "v=TLSRPTv1; rua=mailto:a%0D%0Ab@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_space", "v=TLSRPTv1; rua=mailto:a%20b@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_nul", "v=TLSRPTv1; rua=mailto:a%00b@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_dot_first", "v=TLSRPTv1; rua=mailto:.a@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_double_dot", "v=TLSRPTv1; rua=mailto:a..b@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_non_ascii", "v=TLSRPTv1; rua=mailto:%C3%A9@example.com", 0, -1, 0, NULL, 0 },
    { "reject_mailto_bad_domain", "v=TLSRPTv1; rua=mailto:a@-x.example", 0, -1, 0, NULL, 0 },
    { "reject_mailto_literal", "v=TLSRPTv1; rua=mailto:a@[192.0.2.1]", 0, -1, 0, NULL, 0 },
    { "reject_https_no_host", "v=TLSRPTv1; rua=https:///x", 0, -1, 0, NULL, 0 },
    { "reject_https_opaque", "v=TLSRPTv1; rua=https:r.example/x", 0, -1, 0, NULL, 0 },
    { "reject_https_userinfo", "v=TLSRPTv1; rua=https://u@r.example/x", 0, -1, 0, NULL, 0 },
    { "reject_https_ipv4", "v=TLSRPTv1; rua=https://192.0.2.1/x", 0, -1, 0, NULL, 0 },
    { "reject_https_ipv6", "v=TLSRPTv1; rua=https://[2001:db8::1]/x", 0, -1, 0, NULL, 0 },
    { "reject_https_port_0", "v=TLSRPTv1; rua=https://r.example:0/x", 0, -1, 0, NULL, 0 },
    { "reject_https_port_big", "v=TLSRPTv1; rua=https://r.example:65536/x", 0, -1, 0, NULL, 0 },
    { "reject_https_bad_host", "v=TLSRPTv1; rua=https://r_1.example/x", 0, -1, 0, NULL, 0 },
};

ParameterizedTestParameters(tlsrpt_txt, parse)
{
    static size_t idx[NCASES(txt_cases)];

    for (size_t i = 0; i < NCASES(idx); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES(idx));
}

ParameterizedTest(size_t *i, tlsrpt_txt, parse)
{
    const struct txt_case *c = &txt_cases[*i];
    size_t len = c->len ? c->len : strlen(c->text);
    static struct tlsrpt_txt txt;
    const char *why = NULL, *first;
    int rc;

    memset(&txt, 0, sizeof(txt));
    rc = tlsrpt_txt_parse(c->text, len, &txt, &why);
    cr_assert_eq(rc, c->want_rc, "%s: got %d (%s)", c->name, rc, why ? why : "-");
    if (rc != 0) {
        cr_assert(why != NULL && why[0] != '\0', "%s: a reject carries a reason",
                  c->name);
        cr_assert_eq(txt.nrua, 0, "%s: out untouched", c->name);
        return;
    }
    cr_assert_eq(txt.nrua, c->nrua, "%s: %zu URIs", c->name, txt.nrua);
    cr_assert_eq(txt.nignored, c->nignored, "%s: %zu ignored", c->name, txt.nignored);
    cr_assert_eq(txt.ignored_why == NULL, c->nignored == 0, "%s", c->name);
    first = txt.rua[0].scheme == TLSRPT_MAILTO ? txt.rua[0].mailbox : txt.rua[0].uri;
    cr_assert_str_eq(first, c->rua0, "%s", c->name);
}

Test(tlsrpt_txt, uri_fields)
{
    const char *t = "v=TLSRPTv1; rua=mailto:Ab@Example.COM,HTTPS://R.Example:8443/p";
    static struct tlsrpt_txt txt;
    const char *why = NULL;

    cr_assert_eq(tlsrpt_txt_parse(t, strlen(t), &txt, &why), 0, "%s", why);
    cr_assert_eq(txt.nrua, 2);
    cr_assert_eq(txt.rua[0].scheme, TLSRPT_MAILTO);
    cr_assert_str_eq(txt.rua[0].uri, "mailto:Ab@Example.COM");
    cr_assert_str_eq(txt.rua[0].mailbox, "Ab@Example.COM");
    cr_assert_str_eq(txt.rua[0].host, "example.com");
    cr_assert_eq(txt.rua[1].scheme, TLSRPT_HTTPS);
    cr_assert_str_eq(txt.rua[1].uri, "HTTPS://R.Example:8443/p");
    cr_assert_str_eq(txt.rua[1].mailbox, "");
    cr_assert_str_eq(txt.rua[1].host, "r.example");
}

/* rua_list - "v=TLSRPTv1; rua=" and n URIs mailto:rN@example.com */
static char *rua_list(size_t n)
{
    size_t size = 32 + n * 32, len;
    char *t = malloc(size);

    cr_assert_not_null(t);
    len = (size_t)snprintf(t, size, "v=TLSRPTv1; rua=");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, size - len, "%smailto:r%zu@example.com",
                                i ? "," : "", i);
    return t;
}

Test(tlsrpt_txt, hostile_100_uris_keep_16)
{
    char *t = rua_list(100);
    static struct tlsrpt_txt txt;
    const char *why = NULL;

    cr_assert_eq(tlsrpt_txt_parse(t, strlen(t), &txt, &why), 0, "%s", why);
    cr_assert_eq(txt.nrua, TLSRPT_RUA_MAX);
    cr_assert_str_eq(txt.rua[15].mailbox, "r15@example.com");
    cr_assert_eq(txt.nignored, 84);
    cr_assert_not_null(strstr(txt.ignored_why, "more than 16"), "%s", txt.ignored_why);
    free(t);
}

Test(tlsrpt_txt, exactly_16_uris_nothing_ignored)
{
    char *t = rua_list(16);
    static struct tlsrpt_txt txt;
    const char *why = NULL;

    cr_assert_eq(tlsrpt_txt_parse(t, strlen(t), &txt, &why), 0, "%s", why);
    cr_assert_eq(txt.nrua, 16);
    cr_assert_eq(txt.nignored, 0);
    cr_assert_null(txt.ignored_why);
    free(t);
}

Test(tlsrpt_txt, uri_length_bound)
{
    char t[TLSRPT_URI_MAX + 64];
    static struct tlsrpt_txt txt;
    const char *why = NULL;
    size_t head = (size_t)snprintf(t, sizeof(t), "v=TLSRPTv1; rua=https://r.example/");
    size_t path = TLSRPT_URI_MAX - strlen("https://r.example/");

    memset(t + head, 'a', path);
    t[head + path] = '\0';
    cr_assert_eq(tlsrpt_txt_parse(t, strlen(t), &txt, &why), 0, "%s", why);
    cr_assert_eq(strlen(txt.rua[0].uri), TLSRPT_URI_MAX);
    strcpy(t + head + path, "a,mailto:a@example.com");
    cr_assert_eq(tlsrpt_txt_parse(t, strlen(t), &txt, &why), 0, "%s", why);
    cr_assert_eq(txt.nrua, 1);
    cr_assert_str_eq(txt.rua[0].mailbox, "a@example.com");
    cr_assert_eq(txt.nignored, 1);
    cr_assert_not_null(strstr(txt.ignored_why, "longer than"), "%s", txt.ignored_why);
}

/* select_of - tlsrpt_txt_select over C strings */
static enum tlsrpt_txt_status select_of(const char *const *texts, size_t n,
                                        struct tlsrpt_txt *out, const char **why)
{
    struct tlsrpt_txt_record recs[8];

    cr_assert(n <= NCASES(recs));
    for (size_t i = 0; i < n; i++) {
        recs[i].text = texts[i];
        recs[i].len = texts[i] ? strlen(texts[i]) : 0;
    }
    return tlsrpt_txt_select(recs, n, out, why);
}

Test(tlsrpt_txt, select_one_among_others)
{
    /* §3: records not beginning with "v=TLSRPTv1;" are discarded (the ABNF
     * lets WSP precede the ";") */
    const char *rrset[] = { "v=spf1 -all", "v=TLSRPTv1", "v=TLSRPTv10; " MAILTO,
                            "V=TLSRPTv1; " MAILTO, " v=TLSRPTv1; " MAILTO, NULL,
                            "v=TLSRPTv1 ; rua=mailto:good@example.com" };
    static struct tlsrpt_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(rrset, NCASES(rrset), &txt, &why), TLSRPT_TXT_FOUND, "%s", why);
    cr_assert_str_eq(txt.rua[0].mailbox, "good@example.com");
}

Test(tlsrpt_txt, select_several_records_invalid)
{
    /* §3: "If the number of resulting records is not one, senders MUST
     * assume the recipient domain does not implement TLSRPT" - even two
     * identical ones, or one malformed beside a good one */
    const char *two[] = { "v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; " HTTPS };
    const char *same[] = { "v=TLSRPTv1; " MAILTO, "v=TLSRPTv1; " MAILTO };
    const char *bad_and_good[] = { "v=TLSRPTv1; junk", "v=TLSRPTv1; " MAILTO };
    static struct tlsrpt_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(two, 2, &txt, &why), TLSRPT_TXT_INVALID);
    cr_assert_not_null(why);
    cr_assert_eq(select_of(same, 2, &txt, &why), TLSRPT_TXT_INVALID);
    cr_assert_eq(select_of(bad_and_good, 2, &txt, &why), TLSRPT_TXT_INVALID);
}

Test(tlsrpt_txt, select_absent_and_malformed)
{
    const char *none[] = { "v=spf1 -all", "v=TLSRPTv1" };
    const char *bad[] = { "v=TLSRPTv1; rua=http://r.example/" };
    static struct tlsrpt_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(none, 2, &txt, &why), TLSRPT_TXT_ABSENT);
    cr_assert_not_null(why);
    why = NULL;
    cr_assert_eq(tlsrpt_txt_select(NULL, 0, &txt, &why), TLSRPT_TXT_ABSENT);
    cr_assert_not_null(why);
    why = NULL;
    cr_assert_eq(select_of(bad, 1, &txt, &why), TLSRPT_TXT_INVALID);
    cr_assert_not_null(strstr(why, "neither mailto nor https"), "%s", why);
}

/* ---- records and reports, §4.4 ---- */

#define DAY0 ((time_t)1710028800)   /* 2024-03-10T00:00:00Z */
#define HOUR 3600

/* One session as delivery.c reports it, the few members that matter. */
struct session {
    time_t when;
    const char *domain;             /* policy_domain */
    const char *type;               /* policy_type; NULL: not decided */
    const char *rfc8460;            /* result type; NULL: none */
    int tls;                        /* the handshake completed */
    const char *mx, *address, *pattern;
    const char *const *strings;
    size_t nstrings;
    const char *destination;        /* the next-hop as given */
    unsigned conn_use;              /* 0: a new connection (1) */
};

static const char *const sts_lines[] = {
    "version: STSv1", "mode: enforce", "mx: *.example.com", "max_age: 604800",
};
static const char *const tlsa_rrs[] = {
    "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
};

/* record - the session's JSON Lines record from report_json(), without its
 * newline; the caller frees */
static char *record(const struct session *s)
{
    struct report_attempt a;
    const char *why = NULL;
    size_t len = 0;
    char *line;

    memset(&a, 0, sizeof(a));
    a.when = s->when;
    a.destination = s->destination;
    a.mx = s->mx;
    a.address = s->address;
    a.port = 25;
    a.connected = s->address != NULL;
    a.conn_use = s->conn_use ? s->conn_use : 1;
    a.tls.version = s->tls ? "TLSv1.3" : NULL;
    a.tls.cipher = s->tls ? "TLS_AES_256_GCM_SHA384" : NULL;
    a.verification = s->tls ? (s->rfc8460 ? "Untrusted" : "Verified") : NULL;
    a.result = s->rfc8460 ? REPORT_DEFERRED : REPORT_SENT;
    a.reason = s->rfc8460 ? "TLS failure" : NULL;
    a.rfc8460 = s->rfc8460;
    a.policy.type = s->type;
    a.policy.domain = s->domain;
    a.policy.strings = s->strings;
    a.policy.nstrings = s->nstrings;
    a.policy.mx_host_pattern = s->pattern;
    line = report_json(&a, &len, &why);
    cr_assert_not_null(line, "report_json: %s", why);
    cr_assert(len > 0 && line[len - 1] == '\n');
    line[len - 1] = '\0';
    return line;
}

/* sts_session - an MTA-STS session of example.com at when */
static struct session sts_session(time_t when, const char *rfc8460, int tls)
{
    struct session s = {
        when, "example.com", "sts", rfc8460, tls, "mx1.example.com",
        "192.0.2.25", "*.example.com", sts_lines, NCASES(sts_lines),
        "example.com", 0,
    };
    return s;
}

/* add - the session's record into a */
static void add(struct tlsrpt_agg *a, const struct session *s)
{
    char *line = record(s);

    tlsrpt_agg_line(a, line, strlen(line));
    free(line);
}

/* report_of - domain i's report of a, parsed back by json-c; the caller
 * puts it */
static struct json_object *report_of(const struct tlsrpt_agg *a, size_t i)
{
    static const struct tlsrpt_org org = {
        "dane-agent test", "postmaster@sender.example", "2024-03-10.example.com",
    };
    const char *why = NULL;
    size_t len = 0;
    char *text = tlsrpt_report_json(a, i, &org, &len, &why);
    struct json_object *o;

    cr_assert_not_null(text, "tlsrpt_report_json: %s", why);
    cr_assert_eq(strlen(text), len);
    o = json_tokener_parse(text);
    cr_assert_not_null(o, "not JSON: %s", text);
    free(text);
    return o;
}

/* at - the value at a dotted path of keys and array indices, or NULL */
static struct json_object *at(struct json_object *o, const char *path)
{
    char buf[256], *save = NULL;

    cr_assert(strlen(path) < sizeof(buf));
    strcpy(buf, path);
    for (char *k = strtok_r(buf, ".", &save); k != NULL && o != NULL;
         k = strtok_r(NULL, ".", &save)) {
        if (json_object_is_type(o, json_type_array))
            o = json_object_array_get_idx(o, (size_t)atoi(k));
        else if (!json_object_object_get_ex(o, k, &o))
            return NULL;
    }
    return o;
}

/* str_at, int_at, len_at - typed values at a path, failing the test when
 * absent or of another type */
static const char *str_at(struct json_object *o, const char *path)
{
    struct json_object *v = at(o, path);

    cr_assert(json_object_is_type(v, json_type_string), "%s: not a string", path);
    return json_object_get_string(v);
}

static int64_t int_at(struct json_object *o, const char *path)
{
    struct json_object *v = at(o, path);

    cr_assert(json_object_is_type(v, json_type_int), "%s: not a number", path);
    return json_object_get_int64(v);
}

static size_t len_at(struct json_object *o, const char *path)
{
    struct json_object *v = at(o, path);

    cr_assert(json_object_is_type(v, json_type_array), "%s: not an array", path);
    return json_object_array_length(v);
}

/* day_agg - an aggregation of the UTC day DAY0 */
static struct tlsrpt_agg *day_agg(void)
{
    struct tlsrpt_agg *a = tlsrpt_agg_new(DAY0, DAY0 + 86400);

    cr_assert_not_null(a);
    return a;
}

Test(tlsrpt_report, one_policy_every_field)
{
    struct tlsrpt_agg *a = day_agg();
    struct session ok = sts_session(DAY0 + HOUR, NULL, 1);
    struct session bad = sts_session(DAY0 + 2 * HOUR, "certificate-expired", 1);
    struct json_object *r;

    add(a, &ok);
    add(a, &ok);
    add(a, &bad);
    cr_assert_eq(tlsrpt_agg_domains(a), 1);
    cr_assert_str_eq(tlsrpt_agg_domain(a, 0), "example.com");
    r = report_of(a, 0);
    cr_assert_str_eq(str_at(r, "organization-name"), "dane-agent test");
    cr_assert_str_eq(str_at(r, "date-range.start-datetime"), "2024-03-10T00:00:00Z");
    cr_assert_str_eq(str_at(r, "date-range.end-datetime"), "2024-03-10T23:59:59Z");
    cr_assert_str_eq(str_at(r, "contact-info"), "postmaster@sender.example");
    cr_assert_str_eq(str_at(r, "report-id"), "2024-03-10.example.com");
    cr_assert_eq(len_at(r, "policies"), 1);
    cr_assert_str_eq(str_at(r, "policies.0.policy.policy-type"), "sts");
    cr_assert_eq(len_at(r, "policies.0.policy.policy-string"), 4);
    cr_assert_str_eq(str_at(r, "policies.0.policy.policy-string.2"), "mx: *.example.com");
    cr_assert_str_eq(str_at(r, "policies.0.policy.policy-domain"), "example.com");
    cr_assert_eq(len_at(r, "policies.0.policy.mx-host"), 1);
    cr_assert_str_eq(str_at(r, "policies.0.policy.mx-host.0"), "*.example.com");
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 2);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 1);
    cr_assert_eq(len_at(r, "policies.0.failure-details"), 1);
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.0.result-type"),
                     "certificate-expired");
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.0.receiving-mx-hostname"),
                     "mx1.example.com");
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.0.receiving-ip"), "192.0.2.25");
    cr_assert_null(at(r, "policies.0.failure-details.0.sending-mta-ip"),
                   "no sending_ip in the records: omitted");
    cr_assert_eq(int_at(r, "policies.0.failure-details.0.failed-session-count"), 1);
    cr_assert_eq(json_object_object_length(r), 5);
    json_object_put(r);
    cr_assert_eq(tlsrpt_agg_stats(a)->counted, 3);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, every_result_type)
{
    static const char *const types[] = {
        "starttls-not-supported", "certificate-host-mismatch",
        "certificate-not-trusted", "certificate-expired", "validation-failure",
        "tlsa-invalid", "dnssec-invalid", "dane-required",
        "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
    };
    struct tlsrpt_agg *a = day_agg();
    struct session plain = sts_session(DAY0 + HOUR, NULL, 0);
    struct json_object *r;

    for (size_t i = 0; i < NCASES(types); i++) {
        struct session s = sts_session(DAY0 + HOUR, types[i], i % 2);

        add(a, &s);
    }
    for (int i = 0; i < 3; i++) {
        struct session s = sts_session(DAY0 + HOUR, NULL, 1);

        add(a, &s);
    }
    add(a, &plain);             /* no TLS, no type: no TLS session */
    r = report_of(a, 0);
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 3);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 11);
    cr_assert_eq(len_at(r, "policies.0.failure-details"), 11);
    for (size_t i = 0; i < NCASES(types); i++) {
        char path[64];

        snprintf(path, sizeof(path), "policies.0.failure-details.%zu.result-type", i);
        cr_assert_str_eq(str_at(r, path), types[i]);
        snprintf(path, sizeof(path), "policies.0.failure-details.%zu.failed-session-count", i);
        cr_assert_eq(int_at(r, path), 1);
    }
    json_object_put(r);
    cr_assert_eq(tlsrpt_agg_stats(a)->counted, 14);
    cr_assert_eq(tlsrpt_agg_stats(a)->unreported, 1);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, window_edges_at_utc_midnight)
{
    static const time_t when[] = {
        DAY0 - 1, DAY0, DAY0 + 86399, DAY0 + 86400,     /* out, in, in, out */
    };
    struct tlsrpt_agg *a;
    time_t start = 0, end = 0;
    struct json_object *r;

    cr_assert_eq(tlsrpt_utc_day(DAY0 + 12 * HOUR + 7, &start, &end), 0);
    cr_assert_eq(start, DAY0);
    cr_assert_eq(end, DAY0 + 86400);
    cr_assert_eq(tlsrpt_utc_day(DAY0, &start, &end), 0);
    cr_assert_eq(start, DAY0);
    cr_assert_eq(tlsrpt_utc_day(-1, &start, &end), -1);
    cr_assert_null(tlsrpt_agg_new(DAY0, DAY0));
    a = tlsrpt_agg_new(start, end);
    for (size_t i = 0; i < NCASES(when); i++) {
        struct session s = sts_session(when[i], NULL, 1);

        add(a, &s);
    }
    cr_assert_eq(tlsrpt_agg_stats(a)->counted, 2);
    cr_assert_eq(tlsrpt_agg_stats(a)->outside, 2);
    r = report_of(a, 0);
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 2);
    json_object_put(r);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, two_domains)
{
    struct tlsrpt_agg *a = day_agg();
    struct session s1 = sts_session(DAY0 + HOUR, NULL, 1);
    struct session s2 = sts_session(DAY0 + HOUR, "starttls-not-supported", 0);
    struct session s3 = sts_session(DAY0 + HOUR, NULL, 1);
    struct json_object *r;

    s2.domain = "example.net";
    s3.domain = "Example.NET.";     /* one domain: lower case, no trailing dot */
    add(a, &s1);
    add(a, &s2);
    add(a, &s3);
    cr_assert_eq(tlsrpt_agg_domains(a), 2);
    cr_assert_str_eq(tlsrpt_agg_domain(a, 0), "example.com");
    cr_assert_str_eq(tlsrpt_agg_domain(a, 1), "example.net");
    cr_assert_null(tlsrpt_agg_domain(a, 2));
    r = report_of(a, 1);
    cr_assert_str_eq(str_at(r, "policies.0.policy.policy-domain"), "example.net");
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 1);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 1);
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.0.result-type"),
                     "starttls-not-supported");
    json_object_put(r);
    r = report_of(a, 0);
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 1);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 0);
    cr_assert_null(at(r, "policies.0.failure-details"), "no failure: no rows");
    json_object_put(r);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, two_policies_sts_and_tlsa)
{
    struct tlsrpt_agg *a = day_agg();
    struct session sts = sts_session(DAY0 + HOUR, NULL, 1);
    struct session tlsa = sts_session(DAY0 + HOUR, "tlsa-invalid", 1);
    struct session none = sts_session(DAY0 + HOUR, NULL, 1);
    struct json_object *r;

    tlsa.type = "tlsa";
    tlsa.pattern = NULL;
    tlsa.strings = tlsa_rrs;
    tlsa.nstrings = NCASES(tlsa_rrs);
    none.type = "no-policy-found";
    none.pattern = NULL;
    none.nstrings = 0;
    add(a, &sts);
    add(a, &tlsa);
    add(a, &tlsa);
    add(a, &none);
    r = report_of(a, 0);
    cr_assert_eq(len_at(r, "policies"), 3);
    cr_assert_str_eq(str_at(r, "policies.0.policy.policy-type"), "sts");
    cr_assert_str_eq(str_at(r, "policies.1.policy.policy-type"), "tlsa");
    cr_assert_eq(len_at(r, "policies.1.policy.policy-string"), 1);
    cr_assert_str_eq(str_at(r, "policies.1.policy.policy-string.0"), tlsa_rrs[0]);
    cr_assert_str_eq(str_at(r, "policies.1.policy.policy-domain"), "example.com");
    cr_assert_null(at(r, "policies.1.policy.mx-host"), "tlsa: no mx pattern");
    cr_assert_eq(int_at(r, "policies.1.summary.total-successful-session-count"), 0);
    cr_assert_eq(int_at(r, "policies.1.summary.total-failure-session-count"), 2);
    cr_assert_eq(int_at(r, "policies.1.failure-details.0.failed-session-count"), 2);
    cr_assert_str_eq(str_at(r, "policies.2.policy.policy-type"), "no-policy-found");
    cr_assert_null(at(r, "policies.2.policy.policy-string"), "empty: omitted");
    cr_assert_eq(int_at(r, "policies.2.summary.total-successful-session-count"), 1);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 0);
    json_object_put(r);
    tlsrpt_agg_free(a);
}

/* RFC 8460 §2: a DANE session counts under its next-hop domain, not the
 * TLSA base domain of its policy_domain; MTA-STS keeps its policy_domain */
Test(tlsrpt_report, dane_sessions_under_the_nexthop_domain)
{
    static const char *const nexthops[] = {
        "Example.COM.", "[relay.example.org]:587", "example.net:2525",
        "[192.0.2.1]", "[IPv6:2001:db8::1]:25",
    };
    struct tlsrpt_agg *a = day_agg();
    struct session s = sts_session(DAY0 + HOUR, NULL, 1);
    struct json_object *r;

    s.type = "tlsa";
    s.domain = "mx.provider.example";
    s.pattern = NULL;
    s.strings = tlsa_rrs;
    s.nstrings = NCASES(tlsa_rrs);
    for (size_t i = 0; i < NCASES(nexthops); i++) {
        s.destination = nexthops[i];
        add(a, &s);
    }
    s = sts_session(DAY0 + HOUR, NULL, 1);
    s.destination = "other.example";
    add(a, &s);
    cr_assert_eq(tlsrpt_agg_domains(a), 3);
    cr_expect_str_eq(tlsrpt_agg_domain(a, 0), "example.com");
    cr_expect_str_eq(tlsrpt_agg_domain(a, 1), "relay.example.org");
    cr_expect_str_eq(tlsrpt_agg_domain(a, 2), "example.net");
    cr_expect_eq(tlsrpt_agg_stats(a)->unreported, 2, "address literals: no name");
    r = report_of(a, 0);
    cr_expect_eq(len_at(r, "policies"), 2);
    cr_expect_str_eq(str_at(r, "policies.0.policy.policy-type"), "tlsa");
    cr_expect_str_eq(str_at(r, "policies.1.policy.policy-type"), "sts",
                     "sts: its policy_domain, not the next-hop");
    json_object_put(r);
    r = report_of(a, 1);
    cr_expect_str_eq(str_at(r, "policies.0.policy.policy-domain"), "relay.example.org");
    json_object_put(r);
    tlsrpt_agg_free(a);
}

/* a TLSA RRset comes in any order (RFC 2181 §5): one policy, sorted */
Test(tlsrpt_report, tlsa_records_in_any_order_are_one_policy)
{
    static const char *const ab[] = { "3 1 1 AA", "2 0 1 BB" }, *const ba[] = { "2 0 1 BB", "3 1 1 AA" };
    struct tlsrpt_agg *a = day_agg();
    struct session s = sts_session(DAY0 + HOUR, NULL, 1);
    struct json_object *r;

    s.type = "tlsa";
    s.pattern = NULL;
    s.strings = ab;
    s.nstrings = 2;
    add(a, &s);
    s.strings = ba;
    add(a, &s);
    r = report_of(a, 0);
    cr_assert_eq(len_at(r, "policies"), 1);
    cr_expect_str_eq(str_at(r, "policies.0.policy.policy-string.0"), "2 0 1 BB");
    cr_expect_str_eq(str_at(r, "policies.0.policy.policy-string.1"), "3 1 1 AA");
    cr_expect_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 2);
    json_object_put(r);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, a_changed_policy_is_another_policy)
{
    static const char *const testing[] = {
        "version: STSv1", "mode: testing", "mx: *.example.com", "max_age: 604800",
    };
    struct tlsrpt_agg *a = day_agg();
    struct session before = sts_session(DAY0 + HOUR, NULL, 1);
    struct session after = sts_session(DAY0 + 2 * HOUR, NULL, 1);
    struct json_object *r;

    after.strings = testing;
    add(a, &before);
    add(a, &after);
    r = report_of(a, 0);
    cr_assert_eq(len_at(r, "policies"), 2);
    cr_assert_str_eq(str_at(r, "policies.1.policy.policy-string.1"), "mode: testing");
    json_object_put(r);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, failure_rows_by_key)
{
    struct tlsrpt_agg *a = day_agg();
    struct session s = sts_session(DAY0 + HOUR, "certificate-host-mismatch", 1);
    struct session other_ip = s, other_type = s, plan = s;
    const char *with_ip =
        "{\"time\":\"2024-03-10T05:00:00Z\",\"mx\":\"mx1.example.com\","
        "\"address\":\"192.0.2.25\",\"sending_ip\":\"2001:db8::25\",\"tls\":null,"
        "\"rfc8460_result_type\":\"certificate-host-mismatch\",\"policy_type\":\"sts\","
        "\"policy_string\":[\"version: STSv1\",\"mode: enforce\",\"mx: *.example.com\","
        "\"max_age: 604800\"],\"policy_domain\":\"example.com\","
        "\"mx_host_pattern\":\"*.example.com\"}";
    struct json_object *r;

    other_ip.address = "2001:db8::1";
    other_type.rfc8460 = "certificate-not-trusted";
    plan.mx = NULL;             /* no server: its members omitted */
    plan.address = NULL;
    plan.tls = 0;
    add(a, &s);
    add(a, &s);
    add(a, &other_ip);
    add(a, &other_type);
    add(a, &plan);
    tlsrpt_agg_line(a, with_ip, strlen(with_ip));
    r = report_of(a, 0);
    cr_assert_eq(len_at(r, "policies.0.failure-details"), 5);
    cr_assert_eq(int_at(r, "policies.0.failure-details.0.failed-session-count"), 2);
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.1.receiving-ip"), "2001:db8::1");
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.2.result-type"),
                     "certificate-not-trusted");
    cr_assert_null(at(r, "policies.0.failure-details.3.receiving-ip"));
    cr_assert_null(at(r, "policies.0.failure-details.3.receiving-mx-hostname"));
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.3.result-type"),
                     "certificate-host-mismatch");
    cr_assert_str_eq(str_at(r, "policies.0.failure-details.4.sending-mta-ip"), "2001:db8::25");
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 6);
    json_object_put(r);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, unreported_records)
{
    struct tlsrpt_agg *a = day_agg();
    struct session no_policy = sts_session(DAY0 + HOUR, "dane-required", 0);
    struct session no_domain = sts_session(DAY0 + HOUR, NULL, 1);
    struct session odd_domain = sts_session(DAY0 + HOUR, NULL, 1);
    struct session no_tls = sts_session(DAY0 + HOUR, NULL, 0);

    no_policy.type = NULL;      /* a plan that decided alone */
    no_policy.domain = NULL;
    no_domain.domain = NULL;
    odd_domain.domain = "[192.0.2.1]";
    add(a, &no_policy);
    add(a, &no_domain);
    add(a, &odd_domain);
    add(a, &no_tls);
    cr_assert_eq(tlsrpt_agg_stats(a)->unreported, 4);
    cr_assert_eq(tlsrpt_agg_stats(a)->counted, 0);
    cr_assert_eq(tlsrpt_agg_domains(a), 0);
    tlsrpt_agg_free(a);
}

/* RFC 8460 §4.4 counts TLS sessions: a message that a serve worker sent
 * over a connection it had kept (conn_use above 1) negotiated nothing new */
Test(tlsrpt_report, reused_connection_is_no_new_session)
{
    struct tlsrpt_agg *a = day_agg();
    struct session first = sts_session(DAY0 + HOUR, NULL, 1);
    struct session second = sts_session(DAY0 + HOUR + 1, NULL, 1);
    struct json_object *r;

    second.conn_use = 2;
    add(a, &first);
    add(a, &second);
    cr_assert_eq(tlsrpt_agg_stats(a)->counted, 1);
    cr_assert_eq(tlsrpt_agg_stats(a)->unreported, 1);
    r = report_of(a, 0);
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 1);
    json_object_put(r);
    tlsrpt_agg_free(a);
}

/* A valid line, and malformed ones; each a C string. */
#define GOOD                                                                  \
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,"        \
    "\"tls\":{},\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\","       \
    "\"policy_string\":[],\"policy_domain\":\"mx.example.com\","              \
    "\"mx_host_pattern\":null}"

static const char *const malformed_lines[] = {
    "not json",
    "{\"time\":",
    "[" GOOD "]",
    GOOD " x",
    GOOD GOOD,
    "{\"mx\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",  /* no tls */
    "{\"time\":\"2024-03-10 01:00:00\",\"mx\":null,\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-02-30T01:00:00Z\",\"mx\":null,\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":\"no-such-type\",\"policy_type\":\"tlsa\","
    "\"policy_string\":[],\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":null,\"policy_type\":\"dane\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":\"mx.example.com\","
    "\"tls\":{},\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\","
    "\"policy_string\":[],\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,\"tls\":true,"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[1],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.ex\\u0000ample.com\",\"mx_host_pattern\":null}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":null,\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null,"
    "\"sending_ip\":\"localhost\"}",
    "{\"time\":\"2024-03-10T01:00:00Z\",\"mx\":\"\xff\",\"address\":null,\"tls\":{},"
    "\"rfc8460_result_type\":null,\"policy_type\":\"tlsa\",\"policy_string\":[],"
    "\"policy_domain\":\"mx.example.com\",\"mx_host_pattern\":null}",
};

Test(tlsrpt_report, malformed_lines_skipped_and_counted)
{
    struct tlsrpt_agg *a = day_agg();
    const struct tlsrpt_stats *st = tlsrpt_agg_stats(a);
    char *huge = malloc(TLSRPT_LINE_MAX + 2);

    tlsrpt_agg_line(a, GOOD, strlen(GOOD));
    tlsrpt_agg_line(a, "", 0);
    tlsrpt_agg_line(a, " \r", 2);
    for (size_t i = 0; i < NCASES(malformed_lines); i++)
        tlsrpt_agg_line(a, malformed_lines[i], strlen(malformed_lines[i]));
    tlsrpt_agg_line(a, GOOD "\0", strlen(GOOD) + 1);    /* a NUL after it */
    cr_assert_not_null(huge);
    memset(huge, ' ', TLSRPT_LINE_MAX + 1);
    memcpy(huge, GOOD, strlen(GOOD));       /* valid JSON, but too long */
    tlsrpt_agg_line(a, huge, TLSRPT_LINE_MAX + 1);
    tlsrpt_agg_line(a, huge, TLSRPT_LINE_MAX);  /* exactly the bound: counted */
    tlsrpt_agg_line(a, GOOD "\r", strlen(GOOD) + 1);
    cr_assert_eq(st->lines, 3 + NCASES(malformed_lines) + 4);
    cr_assert_eq(st->malformed, NCASES(malformed_lines) + 2);
    cr_assert_eq(st->counted, 3);
    cr_assert_eq(st->first_malformed, 4);
    cr_assert_not_null(st->malformed_why);
    free(huge);
    tlsrpt_agg_free(a);
}

/* read_file - tlsrpt_agg_read() over a file holding text[0..len) */
static void read_file(struct tlsrpt_agg *a, const char *text, size_t len)
{
    char path[64];
    const char *why = NULL;
    int fd;

    test_tmpfile(path, sizeof(path), "tlsrpt-records", text, len);
    fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert_eq(tlsrpt_agg_read(a, fd, &why), 0, "%s", why);
    close(fd);
    unlink(path);
}

/* records_text - n sessions' lines, each with its newline; the caller frees */
static char *records_text(size_t n, size_t *len)
{
    char *text = NULL;
    size_t have = 0;

    for (size_t i = 0; i < n; i++) {
        struct session s = sts_session(DAY0 + (time_t)i * 60,
                                       i % 3 ? NULL : "validation-failure", 1);
        char *line = record(&s);
        size_t n_line = strlen(line);

        text = realloc(text, have + n_line + 2);
        cr_assert_not_null(text);
        memcpy(text + have, line, n_line);
        have += n_line;
        text[have++] = '\n';
        free(line);
    }
    text[have] = '\0';
    *len = have;
    return text;
}

Test(tlsrpt_report, read_a_file_with_a_truncated_last_line)
{
    struct tlsrpt_agg *a = day_agg();
    const struct tlsrpt_stats *st = tlsrpt_agg_stats(a);
    size_t len = 0;
    char *text = records_text(9, &len);

    read_file(a, text, len - 40);   /* the last record cut in the middle */
    cr_assert_eq(st->lines, 9);
    cr_assert_eq(st->counted, 8);
    cr_assert_eq(st->malformed, 1);
    cr_assert_eq(st->first_malformed, 9);
    cr_assert_not_null(strstr(st->malformed_why, "cut short"), "%s", st->malformed_why);
    tlsrpt_agg_free(a);
    a = day_agg();
    read_file(a, text, len - 1);    /* whole, only its newline missing */
    cr_assert_eq(tlsrpt_agg_stats(a)->counted, 9);
    cr_assert_eq(tlsrpt_agg_stats(a)->malformed, 0);
    tlsrpt_agg_free(a);
    free(text);
}

/* gzip_file - text[0..len) gzipped (cut to keep bytes when keep > 0) in a
 * temporary file opened for reading; path gets its name */
static int gzip_file(const char *text, size_t len, size_t keep, char *path, size_t size)
{
    uLongf zlen = compressBound(len) + 64;
    unsigned char *z = malloc(zlen);
    z_stream zs;
    int fd;

    cr_assert_not_null(z);
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)text;
    zs.avail_in = (uInt)len;
    zs.next_out = z;
    zs.avail_out = (uInt)zlen;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    zlen = zs.total_out;
    deflateEnd(&zs);
    test_tmpfile(path, size, "tlsrpt-records-gz", (const char *)z,
                 keep > 0 && keep < zlen ? keep : zlen);
    free(z);
    fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    return fd;
}

Test(tlsrpt_report, read_a_gzip_file_whole_and_cut_short)
{
    struct tlsrpt_agg *a = day_agg();
    const char *why = NULL;
    char path[64];
    size_t len = 0;
    char *text = records_text(50, &len);
    int fd = gzip_file(text, len, 0, path, sizeof(path));

    cr_assert_eq(tlsrpt_agg_read_gzip(a, fd, &why), 0, "%s", why);
    cr_expect_eq(tlsrpt_agg_stats(a)->counted, 50);
    cr_expect_eq(lseek(fd, 0, SEEK_CUR) >= 0, 1, "fd still open");
    close(fd);
    unlink(path);
    tlsrpt_agg_free(a);
    a = day_agg();
    fd = gzip_file(text, len, 200, path, sizeof(path));
    cr_expect_eq(tlsrpt_agg_read_gzip(a, fd, &why), -1, "a gzip file cut short");
    cr_expect_not_null(strstr(why, "gzip data damaged or cut short"), "%s", why);
    cr_expect_lt(tlsrpt_agg_stats(a)->counted, 50);
    close(fd);
    unlink(path);
    tlsrpt_agg_free(a);
    free(text);
}

Test(tlsrpt_report, read_a_file_with_an_over_long_line)
{
    struct tlsrpt_agg *a = day_agg();
    const struct tlsrpt_stats *st = tlsrpt_agg_stats(a);
    size_t len = 0, big = 3 * TLSRPT_LINE_MAX;
    char *text = records_text(2, &len);
    char *file = malloc(len + big + 1 + len);
    struct json_object *r;

    cr_assert_not_null(file);
    memcpy(file, text, len);                    /* 2 records */
    memset(file + len, 'x', big);               /* 192 KiB of one line */
    file[len + big] = '\n';
    memcpy(file + len + big + 1, text, len);    /* 2 records more */
    read_file(a, file, len + big + 1 + len);
    cr_assert_eq(st->lines, 5);
    cr_assert_eq(st->counted, 4);
    cr_assert_eq(st->malformed, 1);
    cr_assert_eq(st->first_malformed, 3);
    r = report_of(a, 0);
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 2);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 2);
    json_object_put(r);
    free(file);
    free(text);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, read_empty_file_and_read_error)
{
    struct tlsrpt_agg *a = day_agg();
    const char *why = NULL;

    read_file(a, "", 0);
    cr_assert_eq(tlsrpt_agg_stats(a)->lines, 0);
    cr_assert_eq(tlsrpt_agg_read(a, -1, &why), -1);
    cr_assert_not_null(why);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, read_many_records)
{
    struct tlsrpt_agg *a = day_agg();
    size_t len = 0;
    char *text = records_text(1000, &len);     /* several buffers' worth */
    struct json_object *r;

    read_file(a, text, len);
    cr_assert_eq(tlsrpt_agg_stats(a)->counted, 1000);
    r = report_of(a, 0);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"), 334);
    cr_assert_eq(int_at(r, "policies.0.summary.total-successful-session-count"), 666);
    cr_assert_eq(int_at(r, "policies.0.failure-details.0.failed-session-count"), 334);
    json_object_put(r);
    free(text);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, bound_on_failure_rows)
{
    struct tlsrpt_agg *a = day_agg();
    const struct tlsrpt_stats *st = tlsrpt_agg_stats(a);
    struct json_object *r;

    for (size_t i = 0; i < TLSRPT_DETAILS_MAX + 5; i++) {
        char ip[32];
        struct session s = sts_session(DAY0 + HOUR, "validation-failure", 1);

        snprintf(ip, sizeof(ip), "192.0.2.%zu", i);
        s.address = ip;
        add(a, &s);
    }
    cr_assert_eq(st->counted, TLSRPT_DETAILS_MAX + 5);
    cr_assert_eq(st->partial, 5);
    cr_assert_not_null(strstr(st->bound_why, "failure-details"), "%s", st->bound_why);
    r = report_of(a, 0);
    cr_assert_eq(len_at(r, "policies.0.failure-details"), TLSRPT_DETAILS_MAX);
    cr_assert_eq(int_at(r, "policies.0.summary.total-failure-session-count"),
                 TLSRPT_DETAILS_MAX + 5);
    json_object_put(r);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, bound_on_domains_and_policies)
{
    struct tlsrpt_agg *a = day_agg();
    const struct tlsrpt_stats *st = tlsrpt_agg_stats(a);

    for (size_t i = 0; i < TLSRPT_DOMAINS_MAX + 2; i++) {
        char domain[32];
        struct session s = sts_session(DAY0 + HOUR, NULL, 1);

        snprintf(domain, sizeof(domain), "d%zu.example", i);
        s.domain = domain;
        add(a, &s);
    }
    cr_assert_eq(tlsrpt_agg_domains(a), TLSRPT_DOMAINS_MAX);
    cr_assert_eq(st->dropped, 2);
    cr_assert_not_null(strstr(st->bound_why, "policy domains"), "%s", st->bound_why);
    tlsrpt_agg_free(a);
    a = day_agg();
    st = tlsrpt_agg_stats(a);
    for (size_t i = 0; i < TLSRPT_POLICIES_MAX + 1; i++) {
        char rr[32];
        const char *strings[] = { rr };
        struct session s = sts_session(DAY0 + HOUR, NULL, 1);

        snprintf(rr, sizeof(rr), "3 1 1 %04zx", i);
        s.type = "tlsa";
        s.strings = strings;
        s.nstrings = 1;
        add(a, &s);
    }
    cr_assert_eq(st->counted, TLSRPT_POLICIES_MAX);
    cr_assert_eq(st->dropped, 1);
    tlsrpt_agg_free(a);
}

Test(tlsrpt_report, report_errors)
{
    struct tlsrpt_agg *a = day_agg();
    struct session s = sts_session(DAY0 + HOUR, NULL, 1);
    const struct tlsrpt_org no_id = { "org", "postmaster@sender.example", "" };
    const struct tlsrpt_org org = { "org", "postmaster@sender.example", "id" };
    const char *why = NULL;
    size_t len = 0;

    add(a, &s);
    cr_assert_null(tlsrpt_report_json(a, 1, &org, &len, &why));
    cr_assert_not_null(why);
    why = NULL;
    cr_assert_null(tlsrpt_report_json(a, 0, &no_id, &len, &why));
    cr_assert_not_null(why);
    cr_assert_null(tlsrpt_report_json(a, 0, NULL, &len, &why));
    tlsrpt_agg_free(a);
    tlsrpt_agg_free(NULL);
}
