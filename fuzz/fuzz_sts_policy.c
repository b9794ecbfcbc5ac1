/* fuzz_sts_policy.c - drives the MTA-STS parsers over hostile text: the
 * input as a policy body (sts_policy_parse), as one TXT record
 * (sts_txt_parse) and, split at newlines, as a TXT RRset (sts_txt_select);
 * each of its lines is also an MX host for sts_mx_match() against the
 * parsed policy and a fixed one. Every rejection carries a reason; an
 * accepted policy keeps its bounds, matches its own names and reads back
 * the same from its policy-string lines. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RRSET_MAX 16

static const char fixed_policy[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
    "mx: *.example.net\r\nmax_age: 604800\r\n";

/* check_why - a rejection names its reason */
static void check_why(const char *why)
{
    if (why == NULL || why[0] == '\0')
        __builtin_trap();
}

/* check_id - an accepted id is 1..32 letters or digits */
static void check_id(const struct sts_txt *t)
{
    size_t n = strnlen(t->id, sizeof(t->id));

    if (n == 0 || n > STS_ID_MAX)
        __builtin_trap();
    for (size_t i = 0; i < n; i++)
        if (!((t->id[i] >= '0' && t->id[i] <= '9') ||
              (t->id[i] >= 'a' && t->id[i] <= 'z') ||
              (t->id[i] >= 'A' && t->id[i] <= 'Z')))
            __builtin_trap();
}

/* check_match - a match is one of p's patterns */
static void check_match(const struct sts_policy *p, const char *m)
{
    for (size_t i = 0; m != NULL && i < p->nmx; i++)
        if (m == p->mx[i])
            return;
    if (m != NULL)
        __builtin_trap();
}

/* check_patterns - normal form, and each pattern matches a name of its own */
static void check_patterns(const struct sts_policy *p)
{
    for (size_t i = 0; i < p->nmx; i++) {
        const char *mx = p->mx[i];
        size_t n = strnlen(mx, sizeof(p->mx[i]));
        char host[STS_NAME_MAX + 1];

        if (n == 0 || n > STS_NAME_MAX || mx[n - 1] == '.')
            __builtin_trap();
        for (size_t j = 0; j < n; j++)
            if (mx[j] >= 'A' && mx[j] <= 'Z')
                __builtin_trap();
        memcpy(host, mx, n + 1);
        host[0] = mx[0] == '*' ? 'x' : host[0];     /* one label for "*" */
        if (sts_mx_match(p, host) == NULL)
            __builtin_trap();
        if (mx[0] == '*' && sts_mx_match(p, mx) != NULL)
            __builtin_trap();                       /* never a wildcard host */
    }
}

/* check_lines - the policy-string lines parse back to the same policy */
static void check_lines(const struct sts_policy *p)
{
    static struct sts_lines lines;
    static uint8_t text[STS_LINES_MAX * (STS_LINE_MAX + 1)];
    struct sts_policy again;
    const char *why = NULL;
    size_t len = 0;

    sts_policy_lines(p, &lines);
    if (lines.n != p->nmx + 3)
        __builtin_trap();
    for (size_t i = 0; i < lines.n; i++) {
        size_t n = strnlen(lines.line[i], STS_LINE_MAX);

        if (n == STS_LINE_MAX)
            __builtin_trap();
        memcpy(text + len, lines.line[i], n);
        len += n;
        text[len++] = '\n';
    }
    if (sts_policy_parse(text, len, &again, &why) != 0 ||
        again.mode != p->mode || again.max_age != p->max_age ||
        again.nmx != p->nmx || memcmp(again.mx, p->mx, sizeof(p->mx)) != 0)
        __builtin_trap();
}

/* fuzz_policy - the input as a policy body; the policy parsed, or NULL */
static const struct sts_policy *fuzz_policy(const uint8_t *data, size_t size)
{
    static struct sts_policy p;
    const char *why = NULL;

    memset(&p, 0, sizeof(p));
    if (sts_policy_parse(data, size, &p, &why) != 0) {
        check_why(why);
        return NULL;
    }
    if (p.mode > STS_MODE_ENFORCE || p.max_age > STS_MAX_AGE_MAX ||
        p.nmx > STS_MX_MAX || (p.nmx == 0 && p.mode != STS_MODE_NONE))
        __builtin_trap();
    check_patterns(&p);
    check_lines(&p);
    return &p;
}

/* fuzz_txt - the input as one TXT record, then its lines as an RRset */
static void fuzz_txt(const uint8_t *data, size_t size)
{
    struct sts_txt_record rrset[RRSET_MAX];
    struct sts_txt txt;
    const char *text = (const char *)data, *why = NULL;
    size_t n = 0, pos = 0;

    if (sts_txt_parse(text, size, &txt, &why) == 0)
        check_id(&txt);
    else
        check_why(why);
    while (pos < size && n < RRSET_MAX) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - (text + pos)) : size - pos;

        rrset[n].text = text + pos;
        rrset[n++].len = len;
        pos += len + 1;
    }
    why = NULL;
    if (sts_txt_select(rrset, n, &txt, &why) == STS_TXT_FOUND)
        check_id(&txt);
    else
        check_why(why);
}

/* fuzz_hosts - every line of the input (up to 300 bytes) as an MX host */
static void fuzz_hosts(const uint8_t *data, size_t size,
                       const struct sts_policy *p, const struct sts_policy *fixed)
{
    char host[300];
    size_t pos = 0;

    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;
        size_t n = len < sizeof(host) - 1 ? len : sizeof(host) - 1;

        memcpy(host, data + pos, n);
        host[n] = '\0';
        check_match(fixed, sts_mx_match(fixed, host));
        if (p != NULL)
            check_match(p, sts_mx_match(p, host));
        pos += len + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sts_policy fixed;
    const struct sts_policy *p;
    const char *why = NULL;

    if (fixed.nmx == 0 &&
        sts_policy_parse((const uint8_t *)fixed_policy, sizeof(fixed_policy) - 1,
                         &fixed, &why) != 0)
        __builtin_trap();
    p = fuzz_policy(data, size);
    fuzz_txt(data, size);
    fuzz_hosts(data, size, p, &fixed);
    return 0;
}
