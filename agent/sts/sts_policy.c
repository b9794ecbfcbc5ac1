/* sts_policy.c - the policy body and its policy-string lines (RFC 8461
 * §3.2, RFC 8460 §4.4; see sts.h) */
#include <stdio.h>
#include <string.h>

#include "sts.h"
#include "sts_name.h"

#define MAX_AGE_DIGITS 10   /* §3.2 sts-policy-max-age-value: 1*10(DIGIT) */

/* One known field: its name, its reason when absent and what takes its
 * value. */
struct field {
    const char *name;
    int once;               /* 1: repeats are ignored; 0: mx, kept each */
    const char *missing;    /* NULL: mx, required by the mode instead */
    int (*take)(struct sts_policy *p, const uint8_t *v, size_t n,
                const char **why);
};

/* is_wsp - RFC 5234 WSP: space or horizontal tab */
static int is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

/* equals - v[0..n) is exactly the string s (RFC 7405 %s: case-sensitive) */
static int equals(const uint8_t *v, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(v, s, n) == 0;
}

/* take_version - §3.2 sts-policy-version-value: "STSv1" */
static int take_version(struct sts_policy *p, const uint8_t *v, size_t n,
                        const char **why)
{
    (void)p;
    if (!equals(v, n, "STSv1")) {
        *why = "policy version is not STSv1";
        return -1;
    }
    return 0;
}

/* take_mode - §3.2 sts-policy-mode-value: testing, enforce or none */
static int take_mode(struct sts_policy *p, const uint8_t *v, size_t n,
                     const char **why)
{
    static const enum sts_mode modes[] = {
        STS_MODE_ENFORCE, STS_MODE_TESTING, STS_MODE_NONE,
    };

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (equals(v, n, sts_mode_name(modes[i]))) {
            p->mode = modes[i];
            return 0;
        }
    *why = "policy mode is not enforce, testing or none";
    return -1;
}

/* take_max_age - 1 to 10 digits; a larger value than §3.2's maximum is
 * grammatical and is capped to it */
static int take_max_age(struct sts_policy *p, const uint8_t *v, size_t n,
                        const char **why)
{
    uint64_t age = 0;

    if (n == 0 || n > MAX_AGE_DIGITS) {
        *why = "policy max_age is not 1 to 10 digits";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            *why = "policy max_age is not 1 to 10 digits";
            return -1;
        }
        age = age * 10 + (uint64_t)(v[i] - '0');    /* < 10^10: no overflow */
    }
    p->max_age = age > STS_MAX_AGE_MAX ? STS_MAX_AGE_MAX : (uint32_t)age;
    return 0;
}

/* take_mx - §3.2 sts-policy-mx-value: ["*."] Domain */
static int take_mx(struct sts_policy *p, const uint8_t *v, size_t n,
                   const char **why)
{
    if (p->nmx == STS_MX_MAX) {
        *why = "policy has more than 64 mx fields";
        return -1;
    }
    if (sts_name_normal((const char *)v, n, 1, p->mx[p->nmx], why) < 0)
        return -1;
    p->nmx++;
    return 0;
}

static const struct field fields[] = {
    { "version", 1, "policy has no version field", take_version },
    { "mode", 1, "policy has no mode field", take_mode },
    { "max_age", 1, "policy has no max_age field", take_max_age },
    { "mx", 0, NULL, take_mx },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* field_value - the value of line[0..len) when it is the field "name":
 * after ":" *WSP (§3.2 field-delim), without the *WSP that may end a line
 * (§3.2 sts-policy-record); NULL when the line is another field */
static const uint8_t *field_value(const uint8_t *line, size_t len,
                                  const char *name, size_t *vlen)
{
    size_t n = strlen(name), i, end = len;

    if (len <= n || memcmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    for (i = n + 1; i < len && is_wsp(line[i]); i++)
        ;
    while (end > i && is_wsp(line[end - 1]))
        end--;
    *vlen = end - i;
    return line + i;
}

/* take_line - one line without its end; seen marks the fields met */
static int take_line(struct sts_policy *p, const uint8_t *line, size_t len,
                     unsigned *seen, const char **why)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        size_t vlen;
        const uint8_t *v = field_value(line, len, fields[i].name, &vlen);

        if (v == NULL)
            continue;
        if (fields[i].once && (*seen & (1u << i)))
            return 0;           /* §3.2: all but the first are ignored */
        *seen |= 1u << i;
        return fields[i].take(p, v, vlen, why);
    }
    return 0;                   /* §3.2: unknown fields SHALL be ignored */
}

/* take_lines - every line of text[0..len); LF or CRLF ends a line (§3.2
 * sts-policy-term), the last one may be unterminated */
static int take_lines(struct sts_policy *p, const uint8_t *text, size_t len,
                      unsigned *seen, const char **why)
{
    size_t start = 0;

    while (start < len) {
        const uint8_t *lf = memchr(text + start, '\n', len - start);
        size_t end = lf != NULL ? (size_t)(lf - text) : len;
        size_t line_len = end - start;

        if (lf != NULL && line_len > 0 && text[end - 1] == '\r')
            line_len--;
        if (take_line(p, text + start, line_len, seen, why) < 0)
            return -1;
        start = end + 1;
    }
    return 0;
}

/* check_required - every field is given (§3.2), mx unless mode is none */
static int check_required(const struct sts_policy *p, unsigned seen,
                          const char **why)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].missing != NULL && !(seen & (1u << i))) {
            *why = fields[i].missing;
            return -1;
        }
    if (p->mode != STS_MODE_NONE && p->nmx == 0) {
        *why = "policy in mode enforce or testing has no mx field";
        return -1;
    }
    return 0;
}

/* sts_policy_parse - see sts.h */
int sts_policy_parse(const uint8_t *text, size_t len, struct sts_policy *out,
                     const char **why)
{
    struct sts_policy p;
    unsigned seen = 0;

    if (text == NULL || len == 0) {
        *why = "empty policy";
        return -1;
    }
    if (len > STS_POLICY_MAX) {
        *why = "policy larger than 65536 bytes (RFC 8461 §3.3)";
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        *why = "NUL byte in policy";
        return -1;
    }
    memset(&p, 0, sizeof(p));
    if (take_lines(&p, text, len, &seen, why) < 0 ||
        check_required(&p, seen, why) < 0)
        return -1;
    *out = p;
    return 0;
}

/* sts_mode_name - see sts.h */
const char *sts_mode_name(enum sts_mode mode)
{
    switch (mode) {
    case STS_MODE_ENFORCE:
        return "enforce";
    case STS_MODE_TESTING:
        return "testing";
    case STS_MODE_NONE:
        return "none";
    }
    return "unknown";
}

/* sts_policy_lines - see sts.h */
void sts_policy_lines(const struct sts_policy *p, struct sts_lines *out)
{
    size_t n = 0;

    snprintf(out->line[n++], STS_LINE_MAX, "version: STSv1");
    snprintf(out->line[n++], STS_LINE_MAX, "mode: %s", sts_mode_name(p->mode));
    for (size_t i = 0; i < p->nmx && i < STS_MX_MAX; i++)
        snprintf(out->line[n++], STS_LINE_MAX, "mx: %s", p->mx[i]);
    snprintf(out->line[n++], STS_LINE_MAX, "max_age: %lu",
             (unsigned long)p->max_age);
    out->n = n;
}
