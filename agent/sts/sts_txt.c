/* sts_txt.c - the _mta-sts TXT record (RFC 8461 §3.1; see sts.h) */
#include <string.h>

#include "sts.h"
#include "txtrec.h"

#define VERSION "v=STSv1"
#define VERSION_LEN (sizeof(VERSION) - 1)

/* field_end - index of the WSP, ";" or end that ends the field at i */
static size_t field_end(const char *t, size_t i, size_t len)
{
    while (i < len && t[i] != ';' && !txtrec_is_wsp((unsigned char)t[i]))
        i++;
    return i;
}

/* sts_id_valid - see sts.h */
int sts_id_valid(const char *s, size_t n)
{
    if (n == 0 || n > STS_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!txtrec_is_alnum((unsigned char)s[i]))
            return 0;
    return 1;
}

/* take_field - one field f[0..n): the first "id" fills out, any other
 * field (a later "id" too: repeats are ignored, §3.2) must be well-formed */
static int take_field(const char *f, size_t n, struct sts_txt *out,
                      int *have_id, const char **why)
{
    const char *eq = memchr(f, '=', n);
    size_t name_len, value_len;

    if (eq == NULL) {
        *why = "TXT record field without \"=\"";
        return -1;
    }
    name_len = (size_t)(eq - f);
    value_len = n - name_len - 1;
    if (!*have_id && name_len == 2 && memcmp(f, "id", 2) == 0) {
        if (!sts_id_valid(eq + 1, value_len)) {
            *why = "TXT record id is not 1 to 32 letters or digits";
            return -1;
        }
        memcpy(out->id, eq + 1, value_len);
        out->id[value_len] = '\0';
        *have_id = 1;
        return 0;
    }
    if (!txtrec_is_ext_name(f, name_len) || !txtrec_is_ext_value(eq + 1, value_len)) {
        *why = "malformed TXT record field (name=value, RFC 8461 §3.1)";
        return -1;
    }
    return 0;
}

/* parse_fields - the fields after "v=STSv1" in t[i..len) */
static int parse_fields(const char *t, size_t i, size_t len,
                        struct sts_txt *out, const char **why)
{
    int have_id = 0;

    for (;;) {
        size_t end;

        i = txtrec_skip_wsp(t, i, len);
        if (i == len)
            break;
        if (t[i] != ';') {
            *why = "TXT record fields are not separated by \";\"";
            return -1;
        }
        i = txtrec_skip_wsp(t, i + 1, len);
        if (i == len)
            break;              /* §3.1: an optional trailing ";" */
        end = field_end(t, i, len);
        if (end == i) {
            *why = "empty field between two \";\" in TXT record";
            return -1;
        }
        if (take_field(t + i, end - i, out, &have_id, why) < 0)
            return -1;
        i = end;
    }
    if (!have_id) {
        *why = "TXT record has no id field";
        return -1;
    }
    return 0;
}

/* sts_txt_parse - see sts.h */
int sts_txt_parse(const char *text, size_t len, struct sts_txt *out,
                  const char **why)
{
    struct sts_txt txt;

    if (text == NULL)
        len = 0;
    switch (txtrec_version(text, len, VERSION)) {
    case TXTREC_VERSION_OK:
        break;
    case TXTREC_VERSION_ABSENT:
        *why = "TXT record does not begin with v=STSv1";
        return -1;
    case TXTREC_VERSION_OTHER:
        *why = "TXT record version is not STSv1";
        return -1;
    }
    if (parse_fields(text, VERSION_LEN, len, &txt, why) < 0)
        return -1;
    *out = txt;
    return 0;
}

/* sts_txt_select - see sts.h */
enum sts_txt_status sts_txt_select(const struct sts_txt_record *records,
                                   size_t n, struct sts_txt *out,
                                   const char **why)
{
    const struct sts_txt_record *found = NULL;

    for (size_t i = 0; records != NULL && i < n; i++) {
        if (!txtrec_begins(records[i].text, records[i].len, VERSION))
            continue;           /* §3.1: other records are discarded */
        if (found != NULL) {
            *why = "more than one v=STSv1 TXT record (RFC 8461 §3.1)";
            return STS_TXT_INVALID;
        }
        found = &records[i];
    }
    if (found == NULL) {
        *why = "no v=STSv1 TXT record";
        return STS_TXT_ABSENT;
    }
    if (sts_txt_parse(found->text, found->len, out, why) < 0)
        return STS_TXT_INVALID;
    return STS_TXT_FOUND;
}
