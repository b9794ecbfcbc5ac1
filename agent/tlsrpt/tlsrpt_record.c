/* tlsrpt_record.c - one dane-agent JSON Lines record, read with json-c
 *                   (tlsrpt_record.h; rules in tlsrpt.h) */
#include "tlsrpt_record.h"

#include <arpa/inet.h>
#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 16        /* nesting json-c accepts (util/json.h's too) */
#define TIME_LEN 20         /* "YYYY-MM-DDTHH:MM:SSZ" */
#define TYPE_MAX 64

/* RFC 8460 §4.3 result types (IANA: STARTTLS Validation Result Types) */
static const char *const result_types[] = {
    "starttls-not-supported", "certificate-host-mismatch",
    "certificate-not-trusted", "certificate-expired", "validation-failure",
    "tlsa-invalid", "dnssec-invalid", "dane-required",
    "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
};

/* §4.4 policy-type */
static const char *const policy_types[] = { "tlsa", "sts", "no-policy-found" };

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* known - the entry of table[0..n) equal to s, or NULL */
static const char *known(const char *const *table, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i], s) == 0)
            return table[i];
    return NULL;
}

/* text_member - o's member key: a string of at most max bytes without NUL
 * in *out, or NULL for null (when null_ok); 0, or -1 when it is absent or
 * is anything else */
static int text_member(struct json_object *o, const char *key, int null_ok,
                       size_t max, const char **out)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v))
        return -1;
    *out = NULL;
    if (v == NULL)
        return null_ok ? 0 : -1;
    if (!json_object_is_type(v, json_type_string))
        return -1;
    *out = json_object_get_string(v);
    if ((size_t)json_object_get_string_len(v) > max ||
        strlen(*out) != (size_t)json_object_get_string_len(v))
        return -1;
    return 0;
}

/* digits - s[0..n) as a decimal number, or -1 */
static int digits(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* parse_time - "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339 §5.6, UTC, as report.c
 * writes it) to *out; a date that does not exist is refused */
static int parse_time(const char *s, time_t *out)
{
    static const size_t at[] = { 0, 5, 8, 11, 14, 17 }, width[] = { 4, 2, 2, 2, 2, 2 };
    int v[6];
    struct tm tm, back;
    time_t t;

    if (strlen(s) != TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return -1;
    for (size_t i = 0; i < 6; i++)
        if ((v[i] = digits(s + at[i], width[i])) < 0)
            return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    t = timegm(&tm);
    if (gmtime_r(&t, &back) == NULL || back.tm_year != v[0] - 1900 ||
        back.tm_mon != v[1] - 1 || back.tm_mday != v[2] ||
        back.tm_hour != v[3] || back.tm_min != v[4] || back.tm_sec != v[5])
        return -1;              /* February 30th, 24:00, a leap second */
    *out = t;
    return 0;
}

/* known_member - o's member key: one of table[0..n) (the table's own
 * pointer in *out) or null (NULL); 0, or -1 */
static int known_member(struct json_object *o, const char *key,
                        const char *const *table, size_t n, const char **out)
{
    const char *s;

    if (text_member(o, key, 1, TYPE_MAX, &s) < 0)
        return -1;
    *out = s != NULL ? known(table, n, s) : NULL;
    return s != NULL && *out == NULL ? -1 : 0;
}

/* address_member - o's member key: a numeric IPv4 or IPv6 address or null
 * (NULL), or absent too when optional (NULL); 0, or -1 */
static int address_member(struct json_object *o, const char *key,
                          int optional, const char **out)
{
    unsigned char buf[16];

    *out = NULL;
    if (optional && !json_object_object_get_ex(o, key, NULL))
        return 0;
    if (text_member(o, key, 1, TLSRPT_REC_ADDRESS_MAX, out) < 0)
        return -1;
    return *out == NULL || inet_pton(AF_INET, *out, buf) == 1 ||
           inet_pton(AF_INET6, *out, buf) == 1 ? 0 : -1;
}

/* read_strings - "policy_string": an array of strings without NUL */
static int read_strings(struct json_object *o, struct tlsrpt_rec *r)
{
    struct json_object *a = NULL;
    size_t n;

    if (!json_object_object_get_ex(o, "policy_string", &a) ||
        !json_object_is_type(a, json_type_array))
        return -1;
    n = json_object_array_length(a);
    if (n > TLSRPT_STRINGS_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *s = json_object_array_get_idx(a, i);

        if (!json_object_is_type(s, json_type_string) ||
            strlen(json_object_get_string(s)) != (size_t)json_object_get_string_len(s))
            return -1;
        r->strings[i] = json_object_get_string(s);
    }
    r->nstrings = n;
    return 0;
}

/* by_text - qsort order of strings */
static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* read_policy - the policy members; 0, or -1 with *why */
static int read_policy(struct json_object *o, struct tlsrpt_rec *r,
                       const char **why)
{
    if (known_member(o, "policy_type", policy_types, NCASES(policy_types),
                     &r->policy_type) < 0)
        *why = "record policy_type is not tlsa, sts, no-policy-found or null";
    else if (text_member(o, "policy_domain", 1, TLSRPT_REC_NAME_MAX,
                         &r->domain) < 0)
        *why = "record policy_domain is not a string or null";
    else if (read_strings(o, r) < 0)
        *why = "record policy_string is not an array of at most 128 strings";

    else if (text_member(o, "mx_host_pattern", 1, TLSRPT_REC_NAME_MAX,
                         &r->mx_pattern) < 0)
        *why = "record mx_host_pattern is not a string or null";
    else {
        /* a TLSA RRset is a set: its order changes between answers, its
         * policy must not (RFC 8460 §4.4 policy-string, RFC 2181 §5) */
        if (r->policy_type != NULL && strcmp(r->policy_type, "tlsa") == 0)
            qsort(r->strings, r->nstrings, sizeof *r->strings, by_text);
        return 0;
    }
    return -1;
}

/* read_conn_use - "conn_use", a count; absent: 1; 0, or -1 */
static int read_conn_use(struct json_object *o, unsigned *out)
{
    struct json_object *v;
    int64_t n;

    *out = 1;
    if (!json_object_object_get_ex(o, "conn_use", &v))
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return -1;
    n = json_object_get_int64(v);
    if (n < 0 || n > UINT32_MAX)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* read_session - time, result type, TLS and the two ends; 0, or -1 with
 * *why */
static int read_session(struct json_object *o, struct tlsrpt_rec *r,
                        const char **why)
{
    const char *time_text;
    struct json_object *tls = NULL;

    if (text_member(o, "time", 0, TIME_LEN, &time_text) < 0 ||
        parse_time(time_text, &r->when) < 0)
        *why = "record time is missing or not YYYY-MM-DDTHH:MM:SSZ";
    else if (known_member(o, "rfc8460_result_type", result_types,
                          NCASES(result_types), &r->result_type) < 0)
        *why = "record rfc8460_result_type is not an RFC 8460 §4.3 type or null";
    else if (!json_object_object_get_ex(o, "tls", &tls) ||
             (tls != NULL && !json_object_is_type(tls, json_type_object)))
        *why = "record tls is not an object or null";
    else if (text_member(o, "mx", 1, TLSRPT_REC_NAME_MAX, &r->mx) < 0)
        *why = "record mx is not a string or null";
    else if (address_member(o, "address", 0, &r->address) < 0)
        *why = "record address is not a numeric address or null";
    else if (address_member(o, "sending_ip", 1, &r->sending_ip) < 0)
        *why = "record sending_ip is not a numeric address or null";
    else if (json_object_object_get_ex(o, "destination", NULL) &&
             text_member(o, "destination", 1, TLSRPT_REC_NAME_MAX + 8,
                         &r->destination) < 0)
        *why = "record destination is not a string or null";
    else if (read_conn_use(o, &r->conn_use) < 0)
        *why = "record conn_use is not a count";
    else {
        r->tls = tls != NULL;
        return 0;
    }
    return -1;
}

/* parse_line - line[0..len) as one JSON object with only white space
 * after it; NULL with *why */
static struct json_object *parse_line(const char *line, size_t len,
                                      const char **why)
{
    struct json_tokener *tok = json_tokener_new_ex(DEPTH_MAX);
    struct json_object *o = NULL;

    *why = "out of memory for a record";
    if (tok == NULL)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, line, (int)len);
    if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
        *why = "record line is cut short (JSON incomplete)";
    else if (o == NULL)
        *why = "record line is not JSON (RFC 8259)";
    else if (json_tokener_get_parse_end(tok) != len)
        *why = "record line has more after its JSON value";
    else if (!json_object_is_type(o, json_type_object))
        *why = "record line is not a JSON object";
    else
        *why = NULL;
    json_tokener_free(tok);
    if (*why == NULL)
        return o;
    json_object_put(o);
    return NULL;
}

/* tlsrpt_rec_parse - see tlsrpt_record.h */
int tlsrpt_rec_parse(const char *line, size_t len, struct tlsrpt_rec *out,
                     const char **why)
{
    memset(out, 0, sizeof(*out));
    if (len > TLSRPT_LINE_MAX) {
        *why = "record line longer than 64 KiB";
        return -1;
    }
    out->root = parse_line(line, len, why);
    if (out->root == NULL)
        return -1;
    if (read_session(out->root, out, why) < 0 ||
        read_policy(out->root, out, why) < 0) {
        tlsrpt_rec_free(out);
        return -1;
    }
    return 0;
}

/* tlsrpt_rec_free - see tlsrpt_record.h */
void tlsrpt_rec_free(struct tlsrpt_rec *r)
{
    json_object_put(r->root);
    r->root = NULL;
}
