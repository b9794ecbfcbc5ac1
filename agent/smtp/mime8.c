/* mime8.c - the 8BITMIME downgrade (see mime8.h)
 *
 * Two layers. The line layer (input_byte) splits the input into bytes and
 * line ends (LF or CRLF; a CR before anything else is a data byte). The MIME
 * layer is a state machine over those: in a header block it holds a field
 * name until its ':' (to classify the line), holds Content-Type and
 * Content-Transfer-Encoding fields whole (to parse them, and to drop a CTE
 * that is replaced), and passes other fields through; in a body it holds the
 * start of a line that begins with '-' until it can tell a boundary from
 * text, and otherwise passes, records or encodes each byte. Output goes to a
 * fixed queue; a byte is taken only while the queue has room for the most
 * one byte can produce (STEP_MAX), and feed drains the queue to the caller.
 */
#include "mime8.h"

#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* RFC 5322 §2.1.1: a field name longer than a line is not one */
#define NAME_MAX_ 998u
/* "--" boundary "--" */
#define LINE_HOLD_MAX (MIME8_BOUNDARY_MAX + 4u)
/* the most output one input byte can cause: a held field, three inserted
 * fields, a replayed name as quoted-printable */
#define STEP_MAX (MIME8_FIELD_MAX + 4u * NAME_MAX_)
#define QUEUE_MAX (2u * STEP_MAX)
/* RFC 2045 §6.7 rule 5: 76 octets with the soft break's "=" */
#define QP_COL_MAX 75u

enum state {
    S_HSTART,       /* start of a header line */
    S_HNAME,        /* holding a field name */
    S_HNAME_WSP,    /* holding "name WSP", obsolete syntax before ':' */
    S_HFIELD,       /* in a field's value */
    S_BODY,
    S_BHOLD,        /* holding a line start that may be a boundary */
    S_BLINE,        /* the rest of a boundary line */
    S_DEAD,         /* conversion impossible */
};

enum mode {
    M_PASS,     /* bytes as they are; an 8-bit octet is an error (why8) */
    M_QP,       /* quoted-printable */
    M_RECORD,   /* scan: an 8-bit octet marks the block */
};

enum field { F_NONE, F_PASS, F_CT, F_CTE };

enum cte { CTE_NONE, CTE_7BIT, CTE_8BIT, CTE_BINARY, CTE_ENCODED, CTE_OTHER };

/* CT_OPAQUE: message/partial, message/external-body, a multipart without
 * boundary: not looked into, and 7-bit only (RFC 2046 §5.2.2.1, §5.2.3.1) */
enum ctype { CT_LEAF, CT_MULTIPART, CT_RFC822, CT_OPAQUE };

/* how a header block ends */
enum hend { END_EMPTY_LINE, END_NOT_HEADER, END_INPUT };

struct bound {
    uint8_t text[MIME8_BOUNDARY_MAX];
    size_t len;
    int digest;     /* multipart/digest: parts default to message/rfc822 */
};

struct mime8 {
    enum state state;
    enum mode mode;
    const char *why8;       /* the error an 8-bit octet is in M_PASS */
    const char *error;
    int scanning, informed, fed, finished;
    int pend_cr;            /* a CR whose meaning the next byte decides */
    int in_bol;             /* the input is at the start of a line */
    int crlf;               /* the last line end was CRLF */
    int out_bol;            /* the output is at the start of a line */
    /* the header block */
    size_t block, nblocks;  /* its number, in order of appearance */
    int msg_level;          /* top or message/rfc822: MIME-Version counts */
    int has_mv, n_ct, n_cte, n_boundary, digest;
    int inserted;           /* a field of ours was added to the block */
    enum field field;
    enum ctype ctype;
    enum cte cte;
    struct bound newb;      /* the boundary of this block's Content-Type */
    size_t hold_len;
    uint8_t hold[MIME8_FIELD_MAX];
    /* the body */
    int pend_ws;            /* SP or HT not yet known to end the line */
    int bline_close;        /* the boundary line being passed closes */
    size_t col;             /* quoted-printable output column */
    size_t lh_len;
    uint8_t lh[LINE_HOLD_MAX];
    size_t depth;
    struct bound stack[MIME8_DEPTH_MAX];
    uint8_t known8[MIME8_PARTS_KNOWN / 8];  /* scan: blocks with 8-bit bodies */
    size_t q_off, q_len;
    uint8_t queue[QUEUE_MAX];
};

static void any_byte(struct mime8 *m, uint8_t c);
static void any_eol(struct mime8 *m, int crlf);

/* fail - conversion is impossible; the first reason stays */
static void fail(struct mime8 *m, const char *why)
{
    if (m->error == NULL)
        m->error = why;
    m->state = S_DEAD;
    m->q_off = m->q_len = 0;
}

/* emit - queue output; a scan writes nothing */
static void emit(struct mime8 *m, const void *p, size_t n)
{
    if (n == 0 || m->state == S_DEAD)
        return;
    m->out_bol = ((const uint8_t *)p)[n - 1] == '\n';
    if (m->scanning)
        return;
    if (m->q_len + n > QUEUE_MAX)
        abort();    /* programmer error: STEP_MAX is wrong */
    memcpy(m->queue + m->q_len, p, n);
    m->q_len += n;
}

static void emit_eol(struct mime8 *m)
{
    emit(m, m->crlf ? "\r\n" : "\n", m->crlf ? 2u : 1u);
}

/* insert - add a header field line of our own */
static void insert(struct mime8 *m, const char *text)
{
    if (!m->out_bol)
        emit_eol(m);
    emit(m, text, strlen(text));
    emit_eol(m);
    m->inserted = 1;
}

static int is_wsp(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* is_ftext - RFC 5322 §3.6.8 field-name octet */
static int is_ftext(uint8_t c)
{
    return c > 32 && c < 127 && c != ':';
}

/* ieq - p[0..len) equals the lower-case s, ignoring case */
static int ieq(const uint8_t *p, size_t len, const char *s)
{
    if (len != strlen(s))
        return 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i] >= 'A' && p[i] <= 'Z' ? (uint8_t)(p[i] + 32) : p[i];
        if (c != (uint8_t)s[i])
            return 0;
    }
    return 1;
}

/* ---- header field values (RFC 2045 §5.1, §6.1; RFC 822 lexical rules) ---- */

struct lex {
    const uint8_t *p, *end;
};

/* lex_cfws - skip blanks, folding and (nested) comments */
static void lex_cfws(struct lex *l)
{
    size_t depth = 0;

    while (l->p < l->end) {
        uint8_t c = *l->p;
        if (depth > 0 && c == '\\' && l->end - l->p > 1) {
            l->p += 2;
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if (depth == 0 && !is_wsp(c) && c != '\r' && c != '\n')
            return;
        l->p++;
    }
}

/* is_tchar - RFC 2045 §5.1 token octet */
static int is_tchar(uint8_t c)
{
    return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* lex_next - the next token ('T', its text in v), quoted string ('Q', its
 * unquoted text in v, cut at MIME8_BOUNDARY_MAX), special octet, or 0 */
static int lex_next(struct lex *l, struct bound *v)
{
    v->len = 0;
    lex_cfws(l);
    if (l->p == l->end)
        return 0;
    if (is_tchar(*l->p)) {
        const uint8_t *s = l->p;
        while (l->p < l->end && is_tchar(*l->p))
            l->p++;
        v->len = (size_t)(l->p - s) < MIME8_BOUNDARY_MAX ? (size_t)(l->p - s)
                                                         : MIME8_BOUNDARY_MAX;
        memcpy(v->text, s, v->len);
        return 'T';
    }
    if (*l->p != '"')
        return *l->p++;
    for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
        if (*l->p == '\\' && l->end - l->p > 1)
            l->p++;
        if (*l->p != '\r' && *l->p != '\n' && v->len < MIME8_BOUNDARY_MAX)
            v->text[v->len++] = *l->p;
    }
    if (l->p < l->end)
        l->p++;
    return 'Q';
}

/* field_value - a lexer over the held field after its ':' */
static struct lex field_value(const struct mime8 *m)
{
    const uint8_t *colon = memchr(m->hold, ':', m->hold_len);
    struct lex l = { colon + 1, m->hold + m->hold_len };

    return l;
}

/* parse_boundary - RFC 2046 §5.1.1: the boundary parameter; RFC 2231
 * continuations are not joined, as Postfix does not */
static void parse_boundary(struct mime8 *m, struct lex *l)
{
    struct bound v;
    int k;

    while ((k = lex_next(l, &v)) != 0) {
        if (k != 'T' || !ieq(v.text, v.len, "boundary"))
            continue;
        if (lex_next(l, &v) != '=')
            continue;
        k = lex_next(l, &v);
        if ((k == 'T' || k == 'Q') && v.len > 0) {
            m->newb = v;
            m->n_boundary++;
        }
    }
}

/* parse_ct - Content-Type: the kind of entity, and a multipart boundary */
static void parse_ct(struct mime8 *m)
{
    struct lex l = field_value(m);
    struct bound type, sub;
    int sep;

    sub.len = 0;
    if (lex_next(&l, &type) != 'T')
        type.len = 0;
    sep = lex_next(&l, &sub);
    if (sep != '/' || lex_next(&l, &sub) != 'T')
        sub.len = 0;
    m->ctype = CT_LEAF;     /* text, other, message/global: RFC 6532 §3.5 */
    if (ieq(type.text, type.len, "multipart")) {
        m->ctype = CT_MULTIPART;
        m->digest = ieq(sub.text, sub.len, "digest");
        parse_boundary(m, &l);
    } else if (ieq(type.text, type.len, "message")) {
        if (ieq(sub.text, sub.len, "rfc822"))
            m->ctype = CT_RFC822;
        else if (ieq(sub.text, sub.len, "partial") || ieq(sub.text, sub.len, "external-body"))
            m->ctype = CT_OPAQUE;
    }
}

/* parse_cte - RFC 2045 §6.1 mechanism; not a token: unknown */
static void parse_cte(struct mime8 *m)
{
    struct lex l = field_value(m);
    struct bound v;

    m->cte = CTE_OTHER;
    if (lex_next(&l, &v) != 'T')
        return;
    if (ieq(v.text, v.len, "7bit"))
        m->cte = CTE_7BIT;
    else if (ieq(v.text, v.len, "8bit"))
        m->cte = CTE_8BIT;
    else if (ieq(v.text, v.len, "binary"))
        m->cte = CTE_BINARY;
    else if (ieq(v.text, v.len, "quoted-printable") || ieq(v.text, v.len, "base64"))
        m->cte = CTE_ENCODED;
}

/* ---- the decisions ---- */

/* known8 - the scan saw 8-bit octets in this block's body */
static int known8(const struct mime8 *m)
{
    return (m->known8[m->block / 8] >> (m->block % 8)) & 1;
}

static int is_known(const struct mime8 *m)
{
    return m->block < MIME8_PARTS_KNOWN;
}

/* leaf_mode - how a leaf body goes: RFC 6152 §3 asks for 7-bit content */
static enum mode leaf_mode(struct mime8 *m)
{
    switch (m->cte) {
    case CTE_8BIT:
    case CTE_BINARY:
        return M_QP;    /* as Postfix: the label, not the content, decides */
    case CTE_NONE:
    case CTE_7BIT:
        m->why8 = "8-bit octets in a part labelled 7bit";
        if (is_known(m) && m->scanning)
            return M_RECORD;
        if (is_known(m) && m->informed)
            return known8(m) ? M_QP : M_PASS;
        return m->cte == CTE_NONE ? M_QP : M_PASS;
    case CTE_ENCODED:
        m->why8 = "8-bit octets in a part encoded as base64 or quoted-printable";
        return M_PASS;
    default:
        m->why8 = "8-bit octets in a part with an unknown Content-Transfer-Encoding";
        return M_PASS;
    }
}

/* cte_replaced - the CTE field being closed is dropped, another inserted */
static int cte_replaced(const struct mime8 *m)
{
    return m->cte == CTE_8BIT || m->cte == CTE_BINARY
           || (m->cte == CTE_7BIT && m->informed && is_known(m) && known8(m));
}

static int is_identity(enum cte cte)
{
    return cte == CTE_NONE || cte == CTE_7BIT || cte == CTE_8BIT || cte == CTE_BINARY;
}

/* block_start - a header block begins */
static void block_start(struct mime8 *m, int msg_level, int dflt_rfc822)
{
    m->state = S_HSTART;
    m->block = m->nblocks++;
    m->msg_level = msg_level;
    m->has_mv = m->n_ct = m->n_cte = m->n_boundary = m->digest = m->inserted = 0;
    m->field = F_NONE;
    m->ctype = dflt_rfc822 ? CT_RFC822 : CT_LEAF;
    m->cte = CTE_NONE;
    m->newb.len = 0;
}

static void body_start(struct mime8 *m, enum mode mode)
{
    m->state = S_BODY;
    m->mode = mode;
    m->pend_ws = 0;
    m->col = 0;
}

/* leaf_end - the header of a leaf ends */
static void leaf_end(struct mime8 *m)
{
    enum mode mode = leaf_mode(m);

    if (mode == M_QP) {
        if (m->msg_level && !m->has_mv)
            insert(m, "MIME-Version: 1.0");
        /* RFC 1428 §3: a non-MIME 8-bit text's character set is unknown */
        if (m->msg_level && !m->has_mv && m->n_ct == 0)
            insert(m, "Content-Type: text/plain; charset=unknown-8bit");
        insert(m, "Content-Transfer-Encoding: quoted-printable");
    }
    body_start(m, mode);
}

/* multipart_end - the header of a multipart ends: follow its boundary */
static void multipart_end(struct mime8 *m)
{
    if (m->depth == MIME8_DEPTH_MAX) {
        fail(m, "MIME nesting exceeds 32 multipart levels");
        return;
    }
    m->stack[m->depth] = m->newb;
    m->stack[m->depth].digest = m->digest;
    m->depth++;
    if (m->cte != CTE_NONE && m->cte != CTE_7BIT)
        insert(m, "Content-Transfer-Encoding: 7bit");  /* RFC 2045 §6.4 */
    m->why8 = "8-bit octets in a multipart preamble";
    body_start(m, M_PASS);
}

/* opaque_end - the header of an entity not looked into ends */
static void opaque_end(struct mime8 *m)
{
    if (m->cte == CTE_8BIT || m->cte == CTE_BINARY) {
        fail(m, "8-bit message/partial, message/external-body or multipart "
                "without boundary (RFC 2046 §5.2.2)");
        return;
    }
    m->why8 = "8-bit octets in message/partial, message/external-body or "
              "multipart without boundary";
    body_start(m, M_PASS);
}

/* header_end - the header block ends: decide how its body goes; 1 when
 * an embedded message's header follows. A composite labelled
 * quoted-printable or base64 (RFC 2045 §6.4 forbids it) is not looked into. */
static int header_end(struct mime8 *m)
{
    if (m->n_ct > 1 || m->n_cte > 1 || m->n_boundary > 1) {
        fail(m, "ambiguous MIME header: a Content-Type, Content-Transfer-Encoding "
                "or boundary given twice");
        return 0;
    }
    if (m->ctype == CT_MULTIPART && m->newb.len == 0)
        m->ctype = CT_OPAQUE;  /* no boundary: nothing to look into */
    if (!is_identity(m->cte) && m->ctype != CT_LEAF) {
        leaf_end(m);
        return 0;
    }
    switch (m->ctype) {
    case CT_MULTIPART:
        multipart_end(m);
        return 0;
    case CT_RFC822:
        if (m->cte != CTE_NONE && m->cte != CTE_7BIT)
            insert(m, "Content-Transfer-Encoding: 7bit");
        return 1;
    case CT_OPAQUE:
        opaque_end(m);
        return 0;
    default:
        leaf_end(m);
        return 0;
    }
}

/* header_done - the block ended. A line that is no header field ends it
 * without an empty line; Postfix then adds one in the primary header, and
 * we also where we added a field, so that it is read as one. */
static void header_done(struct mime8 *m, enum hend how)
{
    int rfc822 = header_end(m);

    if (m->state == S_DEAD)
        return;
    if (how == END_EMPTY_LINE || (how == END_NOT_HEADER && (m->block == 0 || m->inserted)))
        emit_eol(m);
    if (rfc822)
        block_start(m, 1, 0);
}

/* ---- header lines ---- */

/* field_close - a field ends: parse and pass on what was held */
static void field_close(struct mime8 *m)
{
    int drop = 0;

    if (m->field == F_CT) {
        parse_ct(m);
    } else if (m->field == F_CTE) {
        parse_cte(m);
        drop = cte_replaced(m);
    }
    if ((m->field == F_CT || m->field == F_CTE) && !drop)
        emit(m, m->hold, m->hold_len);
    m->field = F_NONE;
}

/* hold_add - keep n bytes of the held field */
static void hold_add(struct mime8 *m, const void *p, size_t n)
{
    if (m->hold_len + n > MIME8_FIELD_MAX) {
        fail(m, "Content-Type or Content-Transfer-Encoding field too long");
        return;
    }
    memcpy(m->hold + m->hold_len, p, n);
    m->hold_len += n;
}

/* not_header - the held line start is no header field: the header block
 * ends and the line is the body's first */
static void not_header(struct mime8 *m, const uint8_t *more, size_t n, int eol)
{
    uint8_t line[NAME_MAX_ + 2];
    size_t len = m->hold_len;

    memcpy(line, m->hold, len);
    if (n > 0)
        memcpy(line + len, more, n);
    len += n;
    m->hold_len = 0;
    header_done(m, END_NOT_HEADER);
    m->in_bol = 1;
    for (size_t i = 0; i < len; i++)
        any_byte(m, line[i]);
    if (eol >= 0)
        any_eol(m, eol);
}

/* name_done - the field name ended with ':' */
static void name_done(struct mime8 *m)
{
    size_t len = m->hold_len;

    hold_add(m, ":", 1);
    while (len > 0 && is_wsp(m->hold[len - 1]))
        len--;
    m->state = S_HFIELD;
    m->field = F_PASS;
    if (ieq(m->hold, len, "content-type")) {
        m->field = F_CT;
        m->n_ct++;
        return;
    }
    if (ieq(m->hold, len, "content-transfer-encoding")) {
        m->field = F_CTE;
        m->n_cte++;
        return;
    }
    if (ieq(m->hold, len, "mime-version"))
        m->has_mv = 1;
    emit(m, m->hold, m->hold_len);
}

static void field_byte(struct mime8 *m, uint8_t c)
{
    if (c & 0x80)
        fail(m, "8-bit octets in a header field");
    else if (m->field == F_PASS)
        emit(m, &c, 1);
    else
        hold_add(m, &c, 1);
}

static void hstart_byte(struct mime8 *m, uint8_t c)
{
    if (is_wsp(c) && m->field != F_NONE) {
        m->state = S_HFIELD;    /* RFC 5322 §2.2.3: folded */
        field_byte(m, c);
        return;
    }
    field_close(m);
    m->hold_len = 0;
    if (is_ftext(c)) {
        m->hold[m->hold_len++] = c;
        m->state = S_HNAME;
    } else {
        not_header(m, &c, 1, -1);
    }
}

static void hname_byte(struct mime8 *m, uint8_t c)
{
    int wsp = is_wsp(c);

    if (c == ':') {
        name_done(m);
    } else if (m->hold_len == NAME_MAX_ || !(wsp || (is_ftext(c) && m->state == S_HNAME))) {
        not_header(m, &c, 1, -1);
    } else {
        m->hold[m->hold_len++] = c;
        if (wsp)
            m->state = S_HNAME_WSP;
    }
}

static void header_eol(struct mime8 *m, int crlf)
{
    switch (m->state) {
    case S_HSTART:
        field_close(m);
        header_done(m, END_EMPTY_LINE);
        break;
    case S_HFIELD:
        m->state = S_HSTART;
        if (m->field == F_PASS)
            emit_eol(m);
        else
            hold_add(m, crlf ? "\r\n" : "\n", crlf ? 2u : 1u);
        break;
    default:
        not_header(m, NULL, 0, crlf);
        break;
    }
}

/* ---- body lines ---- */

/* qp_put - one quoted-printable token of w octets, after a soft line break
 * if the line would pass 75 (RFC 2045 §6.7 rule 5) */
static void qp_put(struct mime8 *m, const char *tok, size_t w)
{
    if (m->col + w > QP_COL_MAX) {
        emit(m, "=", 1);
        emit_eol(m);
        m->col = 0;
    }
    emit(m, tok, w);
    m->col += w;
}

static void qp_escape(struct mime8 *m, uint8_t c)
{
    char tok[3] = { '=', hex_digit(c >> 4, HEX_UPPER), hex_digit(c, HEX_UPPER) };

    qp_put(m, tok, 3);
}

/* qp_flush_ws - RFC 2045 §6.7 rule 3: a blank ending a line is encoded */
static void qp_flush_ws(struct mime8 *m, int at_eol)
{
    char c = (char)m->pend_ws;

    if (m->pend_ws == 0)
        return;
    m->pend_ws = 0;
    if (at_eol)
        qp_escape(m, (uint8_t)c);
    else
        qp_put(m, &c, 1);
}

static void qp_byte(struct mime8 *m, uint8_t c)
{
    char lit = (char)c;

    qp_flush_ws(m, 0);
    if (is_wsp(c))
        m->pend_ws = c;
    else if (c >= 33 && c <= 126 && c != '=')   /* RFC 2045 §6.7 rule 2 */
        qp_put(m, &lit, 1);
    else
        qp_escape(m, c);
}

/* body_byte - one byte of body text, not a line start that matters */
static void body_byte(struct mime8 *m, uint8_t c)
{
    if (m->mode == M_QP) {
        qp_byte(m, c);
    } else if (c & 0x80) {
        if (m->mode == M_PASS)
            fail(m, m->why8);
        else
            m->known8[m->block / 8] |= (uint8_t)(1u << (m->block % 8));
    } else {
        emit(m, &c, 1);
    }
}

static void body_eol(struct mime8 *m)
{
    if (m->mode == M_QP)
        qp_flush_ws(m, 1);
    emit_eol(m);
    m->col = 0;
}

/* match_boundary - the stack level whose boundary starts the held line,
 * innermost first, or -1 (Postfix ignores what follows the boundary) */
static long match_boundary(const struct mime8 *m)
{
    if (m->lh_len < 2 || m->lh[1] != '-')
        return -1;
    for (size_t k = m->depth; k-- > 0;) {
        const struct bound *b = &m->stack[k];
        if (m->lh_len >= 2 + b->len && memcmp(m->lh + 2, b->text, b->len) == 0)
            return (long)k;
    }
    return -1;
}

/* hold_decide - the held line start is complete or ends (eol >= 0) */
static void hold_decide(struct mime8 *m, int eol)
{
    long k = match_boundary(m);

    if (k < 0) {
        m->state = S_BODY;
        for (size_t i = 0; i < m->lh_len; i++)
            body_byte(m, m->lh[i]);
    } else {
        const struct bound *b = &m->stack[k];
        m->bline_close = m->lh_len >= 4 + b->len && m->lh[2 + b->len] == '-'
                         && m->lh[3 + b->len] == '-';
        m->depth = (size_t)k + 1;
        m->state = S_BLINE;
        m->why8 = "8-bit octets in a boundary line";
        m->mode = M_PASS;
        for (size_t i = 0; i < m->lh_len; i++)
            body_byte(m, m->lh[i]);
    }
    if (eol >= 0)
        any_eol(m, eol);
}

/* bline_eol - a boundary line ends: a part's header, or the epilogue */
static void bline_eol(struct mime8 *m)
{
    emit_eol(m);
    if (m->bline_close) {
        m->depth--;
        m->why8 = "8-bit octets in a multipart epilogue";
        body_start(m, M_PASS);
    } else {
        block_start(m, 0, m->stack[m->depth - 1].digest);
    }
}

/* body_line_byte - a body byte; a line that starts with '-' inside a
 * multipart is held until it can be told from a boundary */
static void body_line_byte(struct mime8 *m, uint8_t c, int bol)
{
    if (m->state == S_BHOLD) {
        m->lh[m->lh_len++] = c;
        if (m->lh_len == LINE_HOLD_MAX)
            hold_decide(m, -1);
    } else if (bol && m->depth > 0 && c == '-') {
        m->state = S_BHOLD;
        m->lh[0] = c;
        m->lh_len = 1;
    } else {
        body_byte(m, c);
    }
}

/* ---- dispatch ---- */

static void any_byte(struct mime8 *m, uint8_t c)
{
    int bol = m->in_bol;

    m->in_bol = 0;
    switch (m->state) {
    case S_HSTART:
        hstart_byte(m, c);
        break;
    case S_HNAME:
    case S_HNAME_WSP:
        hname_byte(m, c);
        break;
    case S_HFIELD:
        field_byte(m, c);
        break;
    case S_BODY:
    case S_BHOLD:
        body_line_byte(m, c, bol);
        break;
    case S_BLINE:
        body_byte(m, c);
        break;
    case S_DEAD:
        break;
    }
}

static void any_eol(struct mime8 *m, int crlf)
{
    m->crlf = crlf;
    switch (m->state) {
    case S_BODY:
        body_eol(m);
        break;
    case S_BHOLD:
        hold_decide(m, crlf);
        break;
    case S_BLINE:
        bline_eol(m);
        break;
    case S_DEAD:
        break;
    default:
        header_eol(m, crlf);
        break;
    }
    m->in_bol = 1;
}

/* input_byte - the line layer: LF and CRLF end lines */
static void input_byte(struct mime8 *m, uint8_t c)
{
    if (m->pend_cr) {
        m->pend_cr = 0;
        if (c == '\n') {
            any_eol(m, 1);
            return;
        }
        any_byte(m, '\r');
    }
    if (c == '\r')
        m->pend_cr = 1;
    else if (c == '\n')
        any_eol(m, 0);
    else
        any_byte(m, c);
}

/* is_plain - a byte the body's mode passes as it is */
static int is_plain(const struct mime8 *m, uint8_t c)
{
    if (m->mode == M_QP)
        return c >= 33 && c <= 126 && c != '=';
    return c != '\r' && c != '\n' && c < 0x80;
}

/* body_run - the fast path: plain bytes inside a body line, at most what
 * one byte may add to the queue (STEP_MAX) or what fits the encoded line;
 * returns the bytes taken, 0 where the byte-wise path must decide */
static size_t body_run(struct mime8 *m, const uint8_t *p, size_t len)
{
    size_t max = m->mode == M_QP ? QP_COL_MAX - m->col : STEP_MAX, n = 0;

    if (m->state != S_BODY || m->pend_cr || m->in_bol || m->pend_ws)
        return 0;
    if (len < max)
        max = len;
    while (n < max && is_plain(m, p[n]))
        n++;
    emit(m, p, n);
    if (m->mode == M_QP)
        m->col += n;
    return n;
}

/* take - the input bytes in[0..len) while the queue has room for a step */
static size_t take(struct mime8 *m, const uint8_t *in, size_t len)
{
    size_t i = 0;

    while (i < len && m->q_len <= QUEUE_MAX - STEP_MAX && m->state != S_DEAD) {
        size_t run = body_run(m, in + i, len - i);
        if (run == 0)
            input_byte(m, in[i++]);
        i += run;
    }
    return m->state == S_DEAD ? len : i;
}

/* end_step - one step of ending the input; 0 when nothing is left */
static int end_step(struct mime8 *m)
{
    switch (m->state) {
    case S_HNAME:
    case S_HNAME_WSP:
        not_header(m, NULL, 0, -1);
        return 1;
    case S_HFIELD:
        field_close(m);
        header_done(m, END_INPUT);
        return 1;
    case S_HSTART:
        if (m->field == F_NONE)
            return 0;
        field_close(m);
        header_done(m, END_INPUT);
        return 1;
    case S_BHOLD:
        hold_decide(m, -1);
        return 1;
    case S_BODY:
        if (m->mode == M_QP)
            qp_flush_ws(m, 1);
        return 0;
    default:
        return 0;
    }
}

static void input_end(struct mime8 *m)
{
    if (m->pend_cr) {
        m->pend_cr = 0;
        any_byte(m, '\r');
    }
    while (end_step(m))
        continue;
}

/* ---- the interface ---- */

/* reset - the state at the start of a message; what a scan learnt stays */
static void reset(struct mime8 *m)
{
    m->error = NULL;
    m->finished = m->pend_cr = m->crlf = m->pend_ws = 0;
    m->out_bol = m->in_bol = 1;
    m->col = 0;
    m->depth = m->nblocks = m->hold_len = m->lh_len = 0;
    m->q_off = m->q_len = 0;
    m->mode = M_PASS;
    m->why8 = NULL;
    block_start(m, 1, 0);
}

struct mime8 *mime8_new(void)
{
    struct mime8 *m = calloc(1, sizeof(*m));

    if (m != NULL)
        reset(m);
    return m;
}

void mime8_free(struct mime8 *m)
{
    free(m);
}

void mime8_scan(struct mime8 *m, const uint8_t *in, size_t inlen)
{
    if (m->informed || m->fed)
        abort();    /* programmer error: scan after the output pass began */
    m->scanning = 1;
    take(m, in, inlen);
}

void mime8_restart(struct mime8 *m)
{
    const char *error = m->error;   /* the verdict stays */

    reset(m);
    m->fed = 0;
    if (error != NULL)
        fail(m, error);
}

int mime8_scan_end(struct mime8 *m, const char **why)
{
    if (m->informed || m->fed)
        abort();    /* programmer error: no scan to end */
    m->scanning = 1;
    input_end(m);
    mime8_restart(m);
    m->scanning = 0;
    m->informed = 1;
    return mime8_error(m, why);
}

/* drain - move queued output to out */
static size_t drain(struct mime8 *m, uint8_t *out, size_t outcap)
{
    size_t n = m->q_len - m->q_off < outcap ? m->q_len - m->q_off : outcap;

    if (n == 0)
        return 0;
    memcpy(out, m->queue + m->q_off, n);
    m->q_off += n;
    if (m->q_off == m->q_len)
        m->q_off = m->q_len = 0;
    return n;
}

size_t mime8_feed(struct mime8 *m, const uint8_t *in, size_t inlen,
                  uint8_t *out, size_t outcap, size_t *consumed)
{
    size_t i = 0, n = 0;

    if (m->finished || m->scanning)
        abort();    /* programmer error: after mime8_finish, or in a scan */
    m->fed = 1;
    for (;;) {
        n += drain(m, out + n, outcap - n);
        if (m->q_len > 0 || i == inlen)
            break;
        i += take(m, in + i, inlen - i);
    }
    *consumed = i;
    return n;
}

size_t mime8_finish(struct mime8 *m, uint8_t *out, size_t outcap)
{
    size_t n = drain(m, out, outcap);

    if (!m->finished && m->q_len <= QUEUE_MAX - STEP_MAX) {
        m->finished = 1;
        input_end(m);
        n += drain(m, out + n, outcap - n);
    }
    return n;
}

int mime8_error(const struct mime8 *m, const char **why)
{
    if (m->error == NULL)
        return 0;
    *why = m->error;
    return -1;
}
