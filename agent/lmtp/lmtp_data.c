/* lmtp_data.c - the DATA stream: dot-unstuffing, the end of data, limits
 *
 * Only CRLF "." CRLF ends the data; a line begins only after CRLF (RFC 5321
 * §2.3.8, §4.1.1.4), so LF.LF, CR.CR and LF.CRLF are content. A bare CR or
 * LF marks the message bad: it is read to its end and refused, never handed
 * on whole, so no second message can be smuggled through a relay. */
#include "lmtp_int.h"

#include <string.h>

enum { D_BOL = 0, D_MID, D_CR, D_DOT, D_DOT_CR };

/* flush - hand the unstuffed octets waiting to the sink */
static void flush(struct lmtp_session *s)
{
    if (s->chunk_len > 0 && !s->bad_eol && !s->too_big && s->ev.body != NULL)
        s->ev.body(s->ev.ctx, s->chunk, s->chunk_len);
    s->chunk_len = 0;
}

/* put - one body octet, counted against size_max */
static void put(struct lmtp_session *s, char c)
{
    if (++s->body_len > s->lim.size_max)
        s->too_big = 1;
    if (s->bad_eol || s->too_big)
        return;
    s->chunk[s->chunk_len++] = c;
    if (s->chunk_len == sizeof(s->chunk))
        flush(s);
}

void lmtp_data_start(struct lmtp_session *s)
{
    s->state = LMTP_ST_DATA;
    s->dstate = D_BOL;
    s->bad_eol = s->too_big = 0;
    s->body_len = 0;
    s->chunk_len = 0;
    lmtp_reply(s, "354 Start mail input; end with <CRLF>.<CRLF>");
    if (s->ev.data_begin != NULL)
        s->ev.data_begin(s->ev.ctx, &s->env);
}

/* finish - CRLF.CRLF seen */
static void finish(struct lmtp_session *s)
{
    int bad = s->bad_eol, big = s->too_big;

    flush(s);
    s->state = LMTP_ST_AWAIT;
    if (s->ev.data_end != NULL)
        s->ev.data_end(s->ev.ctx, bad || big ? LMTP_DATA_REJECTED : LMTP_DATA_COMPLETE);
    if (bad)    /* RFC 5321 §2.3.8: CR and LF only as CRLF */
        lmtp_reject_all(s, "550 5.6.0 bare CR or LF in message data, only CRLF ends a line");
    else if (big)   /* RFC 1870 §6.3 (3) */
        lmtp_reject_all(s, "552 5.3.4 message exceeds the fixed maximum message size");
}

/* step - one octet of data; 1 when the end of data was reached */
static int step(struct lmtp_session *s, char c)
{
    switch (s->dstate) {
    case D_DOT_CR:
        if (c == '\n') {
            finish(s);
            return 1;
        }
        s->bad_eol = 1;         /* ".CR" then not LF */
        s->dstate = c == '\r' ? D_CR : D_MID;
        return 0;
    case D_DOT:
        if (c == '\r') {
            s->dstate = D_DOT_CR;
            return 0;
        }
        s->dstate = D_MID;      /* RFC 5321 §4.5.2: the leading dot goes */
        break;                  /* and c is an ordinary octet */
    case D_BOL:
        if (c == '.') {
            s->dstate = D_DOT;
            return 0;
        }
        s->dstate = D_MID;
        break;
    case D_CR:
        if (c == '\n') {
            put(s, '\n');
            s->dstate = D_BOL;
            return 0;
        }
        s->bad_eol = 1;         /* bare CR */
        s->dstate = D_MID;
        break;
    default:
        break;
    }
    if (c == '\n')
        s->bad_eol = 1;         /* bare LF */
    put(s, c);
    if (c == '\r')
        s->dstate = D_CR;
    return 0;
}

size_t lmtp_data_feed(struct lmtp_session *s, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (step(s, (char)p[i]))
            return i + 1;
    }
    flush(s);
    return n;
}
