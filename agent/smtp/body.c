/* body.c - the DATA stream transformer (see body.h)
 *
 * State: whether the output is at the start of a line, whether a CR is
 * pending (its meaning depends on the next byte), and the length of the
 * current output line for folding. Each input byte produces at most
 * BODY_OUT_MIN bytes: a pending CR resolved as CRLF (2), a fold CRLF SP (3),
 * a stuffed dot (2).
 */
#include "body.h"

#include <stdlib.h>

struct body {
    size_t line_limit;
    size_t line_len;    /* bytes of the current output line */
    int pending_cr;
    int finished;
};

struct body *body_new(size_t line_limit)
{
    struct body *b = calloc(1, sizeof(*b));

    if (b != NULL)
        b->line_limit = line_limit;
    return b;
}

void body_free(struct body *b)
{
    free(b);
}

/* end_line - emit CRLF and start a new line */
static size_t end_line(struct body *b, uint8_t *out)
{
    out[0] = '\r';
    out[1] = '\n';
    b->line_len = 0;
    return 2;
}

/* one_byte - transform one input byte; out has room for BODY_OUT_MIN */
static size_t one_byte(struct body *b, uint8_t c, uint8_t *out)
{
    size_t n = 0;

    if (b->pending_cr) {
        b->pending_cr = 0;
        n += end_line(b, out);  /* CRLF, or a lone CR: a line end either way */
        if (c == '\n')
            return n;
    }
    if (c == '\r') {
        b->pending_cr = 1;
        return n;
    }
    if (c == '\n')
        return n + end_line(b, out + n);
    if (b->line_limit > 0 && b->line_len >= b->line_limit) {
        n += end_line(b, out + n);
        out[n++] = ' ';         /* folded: continuation starts with SP */
        b->line_len = 1;
    }
    /* RFC 5321 §4.5.2: a line starting with "." gets one more "." */
    if (c == '.' && b->line_len == 0) {
        out[n++] = '.';
        b->line_len++;
    }
    out[n++] = c;
    b->line_len++;
    return n;
}

size_t body_feed(struct body *b, const uint8_t *in, size_t inlen,
                 uint8_t *out, size_t outcap, size_t *consumed)
{
    size_t i = 0, n = 0;

    if (b->finished)
        abort();    /* programmer error: fed after body_finish */
    while (i < inlen && outcap - n >= BODY_OUT_MIN)
        n += one_byte(b, in[i++], out + n);
    *consumed = i;
    return n;
}

size_t body_finish(struct body *b, uint8_t *out, size_t outcap)
{
    size_t n = 0;

    if (outcap < BODY_OUT_MIN || b->finished)
        return 0;
    b->finished = 1;
    if (b->pending_cr) {
        b->pending_cr = 0;
        n += end_line(b, out);
    } else if (b->line_len > 0) {
        n += end_line(b, out);
    }
    out[n++] = '.';
    out[n++] = '\r';
    out[n++] = '\n';
    return n;
}

int body_has_8bit(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] & 0x80)
            return 1;
    return 0;
}
