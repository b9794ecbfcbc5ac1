/* smtp_reply.c - bounded parser for SMTP replies and EHLO keywords
 *
 * SYNOPSIS
 *   smtp_reply_parse(p, len, lim, out, why)
 *   smtp_enhanced_parse(p, len, out)
 *   smtp_ehlo_parse(p, len, lim, out, why)
 *   smtp_printable(p, len, out, size)
 *
 * DESCRIPTION
 *   See smtp_reply.h. The parser walks the bytes once per call, line by line,
 *   and never reads past len. Limits are checked before a line end is seen,
 *   so a peer that never sends LF is cut off after max_line bytes.
 */
#include "smtp_reply.h"

#include <string.h>

/* One line of a reply, without its line end. */
struct line {
    const uint8_t *p;
    size_t len;
    size_t span;        /* bytes including the line end */
};

enum line_status { LINE_OK, LINE_MORE, LINE_TOO_LONG };

/* next_line - the line at p[0..len): LF ends it, a CR before the LF is dropped */
static enum line_status next_line(const uint8_t *p, size_t len, size_t max_line,
                                  struct line *out)
{
    size_t look = len < max_line + 2 ? len : max_line + 2;
    const uint8_t *lf = memchr(p, '\n', look);

    if (lf == NULL)
        return look == max_line + 2 ? LINE_TOO_LONG : LINE_MORE;
    out->p = p;
    out->len = (size_t)(lf - p);
    out->span = out->len + 1;
    if (out->len > 0 && p[out->len - 1] == '\r')
        out->len--;
    if (out->len > max_line)
        return LINE_TOO_LONG;
    return LINE_OK;
}

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* line_code - RFC 5321 §4.2: three digits, 2yz..5yz with y in 0..5; then
 * '-' (more lines follow), ' ' or nothing (last line). Returns the code, or
 * 0 with *why. */
static int line_code(const struct line *l, int *last, const char **why)
{
    if (l->len < 3 || !is_digit(l->p[0]) || !is_digit(l->p[1]) ||
        !is_digit(l->p[2])) {
        *why = "reply line does not start with a three-digit code";
        return 0;
    }
    if (l->p[0] < '2' || l->p[0] > '5' || l->p[1] > '5') {
        *why = "reply code out of range";
        return 0;
    }
    if (l->len == 3 || l->p[3] == ' ') {
        *last = 1;
    } else if (l->p[3] == '-') {
        *last = 0;
    } else {
        *why = "reply code not followed by space or hyphen";
        return 0;
    }
    return (l->p[0] - '0') * 100 + (l->p[1] - '0') * 10 + (l->p[2] - '0');
}

size_t smtp_printable(const uint8_t *p, size_t len, char *out, size_t size)
{
    size_t n = 0;

    if (size == 0)
        return 0;
    for (size_t i = 0; i < len && n + 1 < size; i++)
        out[n++] = (p[i] >= 0x20 && p[i] <= 0x7e) ? (char)p[i] : '?';
    out[n] = '\0';
    return n;
}

/* digits - 1..3 decimal digits at p[*i]; advances *i */
static int digits(const uint8_t *p, size_t len, size_t *i)
{
    size_t start = *i;

    while (*i < len && *i - start < 4 && is_digit(p[*i]))
        (*i)++;
    return *i - start >= 1 && *i - start <= 3;
}

size_t smtp_enhanced_parse(const uint8_t *p, size_t len,
                           char out[SMTP_ENHANCED_MAX])
{
    size_t i = 1;

    out[0] = '\0';
    /* RFC 3463 §3.1: class is 2 (success), 4 (persistent transient), 5 (permanent) */
    if (len < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
        return 0;
    i = 2;
    if (!digits(p, len, &i) || i >= len || p[i] != '.')
        return 0;
    i++;
    if (!digits(p, len, &i))
        return 0;
    if (i < len && p[i] != ' ')
        return 0;
    memcpy(out, p, i);
    out[i] = '\0';
    return i;
}

/* append_text - join one line's text to out->text */
static void append_text(struct smtp_reply *out, size_t *used,
                        const uint8_t *p, size_t len)
{
    if (*used > 0 && *used + 1 < sizeof(out->text))
        out->text[(*used)++] = ' ';
    *used += smtp_printable(p, len, out->text + *used,
                            sizeof(out->text) - *used);
}

/* line_text - the text after "ddd-" and an enhanced code; records the first
 * line's enhanced code when its class agrees with the reply code */
static void line_text(const struct line *l, struct smtp_reply *out,
                      size_t *used)
{
    char enh[SMTP_ENHANCED_MAX];
    const uint8_t *t = l->p + (l->len > 3 ? 4 : 3);
    size_t tlen = l->len > 3 ? l->len - 4 : 0;
    size_t elen = smtp_enhanced_parse(t, tlen, enh);

    /* RFC 2034 §4: the class digit repeats the reply code's first digit */
    if (elen > 0 && enh[0] == l->p[0]) {
        if (out->nlines == 1)
            memcpy(out->enhanced, enh, sizeof(enh));
        t += elen;
        tlen -= elen;
        if (tlen > 0) {
            t++;
            tlen--;
        }
    }
    append_text(out, used, t, tlen);
}

enum smtp_reply_status smtp_reply_parse(const uint8_t *p, size_t len,
                                        const struct smtp_reply_limits *lim,
                                        struct smtp_reply *out,
                                        const char **why)
{
    size_t off = 0, used = 0;

    memset(out, 0, sizeof(*out));
    for (;;) {
        struct line l;
        int last = 0, code;

        switch (next_line(p + off, len - off, lim->max_line, &l)) {
        case LINE_MORE:
            return SMTP_REPLY_MORE;
        case LINE_TOO_LONG:
            *why = "reply line too long";
            return SMTP_REPLY_BAD;
        case LINE_OK:
            break;
        }
        code = line_code(&l, &last, why);
        if (code == 0)
            return SMTP_REPLY_BAD;
        if (out->nlines > 0 && code != out->code) {
            *why = "reply code changes within a multi-line reply";
            return SMTP_REPLY_BAD;
        }
        out->code = code;
        out->nlines++;
        line_text(&l, out, &used);
        off += l.span;
        if (last) {
            out->raw_len = off;
            return SMTP_REPLY_DONE;
        }
        /* Postfix smtp_chat.c: defend against unbounded multi-line text */
        if (out->nlines >= lim->max_lines) {
            *why = "too many lines in reply";
            return SMTP_REPLY_BAD;
        }
    }
}

/* keyword_is - ASCII case-insensitive comparison with a NUL-terminated word */
static int keyword_is(const uint8_t *p, size_t len, const char *word)
{
    size_t n = strlen(word);

    if (len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 'a' + 'A');
        if (c != (uint8_t)word[i])
            return 0;
    }
    return 1;
}

/* size_param - RFC 1870 §4: SIZE [number]; 0 when absent or unusable */
static uint64_t size_param(const uint8_t *p, size_t len)
{
    uint64_t v = 0;

    if (len == 0 || len > 19)   /* 19 digits always fit in 63 bits */
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(p[i]))
            return 0;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    return v;
}

static const struct {
    const char *word;
    unsigned bit;
} ehlo_words[] = {
    { "STARTTLS", SMTP_EXT_STARTTLS },
    { "PIPELINING", SMTP_EXT_PIPELINING },
    { "SIZE", SMTP_EXT_SIZE },
    { "8BITMIME", SMTP_EXT_8BITMIME },
    { "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
    { "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
    { "REQUIRETLS", SMTP_EXT_REQUIRETLS },
};

/* ehlo_line - one "250-KEYWORD params" line */
static void ehlo_line(const struct line *l, struct smtp_ehlo *out)
{
    const uint8_t *t = l->p + 4, *sp;
    size_t tlen = l->len - 4, klen;

    sp = memchr(t, ' ', tlen);
    klen = sp != NULL ? (size_t)(sp - t) : tlen;
    for (size_t i = 0; i < sizeof(ehlo_words) / sizeof(ehlo_words[0]); i++) {
        if (!keyword_is(t, klen, ehlo_words[i].word))
            continue;
        out->ext |= ehlo_words[i].bit;
        if (ehlo_words[i].bit == SMTP_EXT_SIZE && sp != NULL)
            out->size_limit = size_param(sp + 1, tlen - klen - 1);
    }
}

int smtp_ehlo_parse(const uint8_t *p, size_t len,
                    const struct smtp_reply_limits *lim,
                    struct smtp_ehlo *out, const char **why)
{
    struct smtp_reply r;
    size_t off = 0;

    memset(out, 0, sizeof(*out));
    switch (smtp_reply_parse(p, len, lim, &r, why)) {
    case SMTP_REPLY_MORE:
        *why = "incomplete EHLO reply";
        return -1;
    case SMTP_REPLY_BAD:
        return -1;
    case SMTP_REPLY_DONE:
        break;
    }
    if (r.code != 250) {
        *why = "EHLO reply is not 250";
        return -1;
    }
    for (size_t n = 0; n < r.nlines; n++) {
        struct line l;

        if (next_line(p + off, len - off, lim->max_line, &l) != LINE_OK)
            break;  /* cannot happen: smtp_reply_parse accepted these lines */
        if (n > 0 && l.len > 4)
            ehlo_line(&l, out);
        off += l.span;
    }
    return 0;
}
