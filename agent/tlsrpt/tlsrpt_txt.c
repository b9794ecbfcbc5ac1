/* tlsrpt_txt.c - the _smtp._tls TXT record (RFC 8460 §3; see tlsrpt.h) */
#include <string.h>

#include "tlsrpt.h"
#include "tlsrpt_uri.h"
#include "txtrec.h"

#define VERSION "v=TLSRPTv1"
#define VERSION_LEN (sizeof(VERSION) - 1)
#define RUA "rua="
#define RUA_LEN (sizeof(RUA) - 1)

/* take_extension - an extension field f[0..n): well-formed, then ignored
 * (§3: unknown fields SHALL be ignored) */
static int take_extension(const char *f, size_t n, const char **why)
{
    const char *eq = memchr(f, '=', n);

    if (eq == NULL) {
        *why = "TXT record field without \"=\"";
        return -1;
    }
    if (!txtrec_is_ext_name(f, (size_t)(eq - f)) ||
        !txtrec_is_ext_value(eq + 1, n - (size_t)(eq - f) - 1)) {
        *why = "malformed TXT record field (name=value, RFC 8460 §3)";
        return -1;
    }
    return 0;
}

/* ignore - one URI not kept, the first reason remembered */
static void ignore(struct tlsrpt_txt *out, const char *why)
{
    if (out->nignored++ == 0)
        out->ignored_why = why;
}

/* take_uri - one URI u[0..n) of a rua list, kept when usable and there is
 * room */
static void take_uri(const char *u, size_t n, struct tlsrpt_txt *out)
{
    const char *why;

    if (out->nrua == TLSRPT_RUA_MAX) {
        ignore(out, "more than 16 rua URIs: the rest are ignored");
        return;
    }
    if (tlsrpt_uri_check(u, n, &out->rua[out->nrua], &why) < 0) {
        ignore(out, why);
        return;
    }
    out->nrua++;
}

/* take_rua - the value v[0..n) of a rua field, no WSP at either end:
 * tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri) */
static int take_rua(const char *v, size_t n, struct tlsrpt_txt *out,
                    const char **why)
{
    size_t i = 0;

    for (;;) {
        size_t start = i, end;

        while (i < n && v[i] != ',' && !txtrec_is_wsp((unsigned char)v[i]))
            i++;
        end = i;
        i = txtrec_skip_wsp(v, i, n);
        if (end == start) {
            *why = "empty URI in TXT record rua field";
            return -1;
        }
        if (i < n && v[i] != ',') {
            *why = "TXT record rua URIs are not separated by \",\"";
            return -1;
        }
        take_uri(v + start, end - start, out);
        if (i == n)
            return 0;
        i = txtrec_skip_wsp(v, i + 1, n);
    }
}

/* rua_end - the end of the rua value that starts at i: the next ";" or
 * the end, less the WSP before it (field-delim) */
static size_t rua_end(const char *t, size_t i, size_t len)
{
    while (i < len && t[i] != ';')
        i++;
    while (txtrec_is_wsp((unsigned char)t[i - 1]))
        i--;
    return i;
}

/* take_field - the field at t[i..len), i its first byte; its end in *end */
static int take_field(const char *t, size_t i, size_t len, size_t *end,
                      struct tlsrpt_txt *out, int *have_rua, const char **why)
{
    size_t e = i;

    if (len - i >= RUA_LEN && memcmp(t + i, RUA, RUA_LEN) == 0) {
        e = rua_end(t, i + RUA_LEN, len);
        *end = e;
        *have_rua = 1;
        return take_rua(t + i + RUA_LEN, e - i - RUA_LEN, out, why);
    }
    while (e < len && t[e] != ';' && !txtrec_is_wsp((unsigned char)t[e]))
        e++;
    *end = e;
    if (e == i) {
        *why = "empty field between two \";\" in TXT record";
        return -1;
    }
    return take_extension(t + i, e - i, why);
}

/* parse_fields - the fields after "v=TLSRPTv1" in t[i..len) */
static int parse_fields(const char *t, size_t i, size_t len,
                        struct tlsrpt_txt *out, const char **why)
{
    int have_rua = 0;

    for (;;) {
        i = txtrec_skip_wsp(t, i, len);
        if (i == len)
            break;
        if (t[i] != ';') {
            *why = "TXT record fields are not separated by \";\"";
            return -1;
        }
        i = txtrec_skip_wsp(t, i + 1, len);
        if (i == len)
            break;              /* §3: an optional trailing ";" */
        if (take_field(t, i, len, &i, out, &have_rua, why) < 0)
            return -1;
    }
    if (!have_rua) {
        *why = "TXT record has no rua field";
        return -1;
    }
    if (out->nrua == 0) {
        *why = out->ignored_why;    /* the first URI's reason */
        return -1;
    }
    return 0;
}

/* tlsrpt_txt_parse - see tlsrpt.h */
int tlsrpt_txt_parse(const char *text, size_t len, struct tlsrpt_txt *out,
                     const char **why)
{
    struct tlsrpt_txt txt;

    memset(&txt, 0, sizeof(txt));
    if (text == NULL)
        len = 0;
    switch (txtrec_version(text, len, VERSION)) {
    case TXTREC_VERSION_OK:
        break;
    case TXTREC_VERSION_ABSENT:
        *why = "TXT record does not begin with v=TLSRPTv1";
        return -1;
    case TXTREC_VERSION_OTHER:
        *why = "TXT record version is not TLSRPTv1";
        return -1;
    }
    if (parse_fields(text, VERSION_LEN, len, &txt, why) < 0)
        return -1;
    *out = txt;
    return 0;
}

/* tlsrpt_txt_select - see tlsrpt.h */
enum tlsrpt_txt_status tlsrpt_txt_select(const struct tlsrpt_txt_record *records,
                                         size_t n, struct tlsrpt_txt *out,
                                         const char **why)
{
    const struct tlsrpt_txt_record *found = NULL;

    for (size_t i = 0; records != NULL && i < n; i++) {
        if (!txtrec_begins(records[i].text, records[i].len, VERSION))
            continue;           /* §3: other records are discarded */
        if (found != NULL) {
            *why = "more than one v=TLSRPTv1 TXT record (RFC 8460 §3)";
            return TLSRPT_TXT_INVALID;
        }
        found = &records[i];
    }
    if (found == NULL) {
        *why = "no v=TLSRPTv1 TXT record";
        return TLSRPT_TXT_ABSENT;
    }
    if (tlsrpt_txt_parse(found->text, found->len, out, why) < 0)
        return TLSRPT_TXT_INVALID;
    return TLSRPT_TXT_FOUND;
}
