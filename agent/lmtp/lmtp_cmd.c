/* lmtp_cmd.c - command lines: framing, verbs, MAIL/RCPT parameters */
#include "lmtp_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"

static const char BAD_SEQ[] = "503 5.5.1 bad sequence of commands";
static const char SYNTAX[] = "501 5.5.4 syntax error in parameters or arguments";

/* path - "<...>" after prefix (e.g. "FROM:"), checked by envelope_check;
 * *rest points after the closing bracket; the address is returned malloc'd */
static char *path(const char *arg, const char *prefix, enum envelope_role role,
                  const char **rest, const char **why)
{
    size_t plen = strlen(prefix), len;
    const char *close, *inner;
    size_t inner_len;
    char *addr;

    *why = SYNTAX;
    if (strncasecmp(arg, prefix, plen) != 0 || arg[plen] != '<')
        return NULL;
    arg += plen;
    close = strchr(arg, '>');
    if (close == NULL)
        return NULL;
    len = (size_t)(close - arg) + 1;
    if (envelope_check(arg, len, role, &inner, &inner_len, why) != 0) {
        *why = "553 5.1.3 bad address syntax";
        return NULL;
    }
    addr = strndup(inner, inner_len);
    if (addr == NULL)
        *why = "452 4.3.0 out of memory";
    *rest = close + 1;
    return addr;
}

/* mail_param - one "KEY[=VALUE]" of MAIL (RFC 1870, RFC 6152, RFC 6531) */
static const char *mail_param(struct lmtp_session *s, const char *p, size_t n)
{
    char *end;

    if (n > 5 && strncasecmp(p, "SIZE=", 5) == 0 && s->env.size == 0) {
        if (n - 5 > 20 || p[5] < '0' || p[5] > '9')
            return SYNTAX;
        s->env.size = strtoull(p + 5, &end, 10);
        if (end != p + n)
            return SYNTAX;
        if (s->env.size > s->lim.size_max)   /* RFC 1870 §6.1 */
            return "552 5.3.4 message size exceeds fixed maximum message size";
        return NULL;
    }
    if (s->env.body == LMTP_BODY_UNSPECIFIED && n == 9 && strncasecmp(p, "BODY=7BIT", 9) == 0)
        s->env.body = LMTP_BODY_7BIT;
    else if (s->env.body == LMTP_BODY_UNSPECIFIED && n == 13 &&
             strncasecmp(p, "BODY=8BITMIME", 13) == 0)
        s->env.body = LMTP_BODY_8BITMIME;
    else if (!s->env.smtputf8 && n == 8 && strncasecmp(p, "SMTPUTF8", 8) == 0)
        s->env.smtputf8 = 1;
    else
        return "555 5.5.4 MAIL parameter not recognized or repeated";
    return NULL;
}

/* params - the SP-separated parameters after a path */
static const char *params(struct lmtp_session *s, const char *p)
{
    const char *why;
    size_t n;

    while (*p == ' ') {
        while (*p == ' ')
            p++;
        n = strcspn(p, " ");
        if (n == 0)
            break;
        if ((why = mail_param(s, p, n)) != NULL)
            return why;
        p += n;
    }
    return *p == '\0' ? NULL : SYNTAX;
}

/* cmd_mail - MAIL FROM:<path> [params] */
static void cmd_mail(struct lmtp_session *s, const char *arg)
{
    const char *rest = NULL, *why;

    if (s->state != LMTP_ST_READY) {
        lmtp_reply(s, "%s", BAD_SEQ);
        return;
    }
    s->sender = path(arg, "FROM:", ENVELOPE_SENDER, &rest, &why);
    if (s->sender != NULL && (why = params(s, rest)) == NULL &&
        envelope_needs_smtputf8(s->sender, strlen(s->sender)) && !s->env.smtputf8)
        why = "553 5.6.7 non-ASCII sender needs the SMTPUTF8 parameter";  /* RFC 6531 §3.4 */
    if (s->sender == NULL || why != NULL) {
        lmtp_reply(s, "%s", why);
        lmtp_txn_reset(s);
        return;
    }
    s->env.sender = s->sender;
    s->state = LMTP_ST_MAIL;
    lmtp_reply(s, "250 2.1.0 sender ok");
}

/* cmd_rcpt - RCPT TO:<local@domain>, no parameters */
static void cmd_rcpt(struct lmtp_session *s, const char *arg)
{
    const char *rest = NULL, *why;
    char *addr;

    if (s->state != LMTP_ST_MAIL) {
        lmtp_reply(s, "%s", BAD_SEQ);
        return;
    }
    if (s->rcpt_count == s->lim.rcpt_max) {     /* RFC 5321 §4.5.3.1.10 */
        lmtp_reply(s, "452 4.5.3 too many recipients");
        return;
    }
    addr = path(arg, "TO:", ENVELOPE_RECIPIENT, &rest, &why);
    if (addr != NULL && *rest != '\0')
        why = *rest == ' ' ? "555 5.5.4 RCPT parameters not recognized" : SYNTAX;
    else if (addr != NULL && envelope_needs_smtputf8(addr, strlen(addr)) && !s->env.smtputf8)
        why = "553 5.6.7 non-ASCII recipient needs SMTPUTF8 on MAIL";  /* RFC 6531 §3.4 */
    else if (addr != NULL)
        why = NULL;
    if (why != NULL) {
        free(addr);
        lmtp_reply(s, "%s", why);
        return;
    }
    s->rcpt[s->rcpt_count++] = addr;
    s->env.rcpt = (const char *const *)s->rcpt;
    s->env.rcpt_count = s->rcpt_count;
    lmtp_reply(s, "250 2.1.5 recipient ok");
}

/* cmd_lhlo - LHLO domain: the extensions offered (RFC 2033 §4.1) */
static void cmd_lhlo(struct lmtp_session *s, const char *arg)
{
    if (*arg == '\0' || strchr(arg, ' ') != NULL) {
        lmtp_reply(s, "%s", SYNTAX);
        return;
    }
    s->state = LMTP_ST_READY;
    lmtp_txn_reset(s);
    lmtp_reply(s, "250-%s", s->hostname);
    lmtp_reply(s, "250-PIPELINING");
    lmtp_reply(s, "250-ENHANCEDSTATUSCODES");
    lmtp_reply(s, "250-8BITMIME");
    lmtp_reply(s, "250-SMTPUTF8");
    lmtp_reply(s, "250 SIZE %llu", (unsigned long long)s->lim.size_max);
}

/* cmd_simple - DATA, RSET, QUIT: no argument */
static void cmd_simple(struct lmtp_session *s, char verb, const char *arg)
{
    if (*arg != '\0') {
        lmtp_reply(s, "%s", SYNTAX);
    } else if (verb == 'Q') {
        lmtp_reply(s, "221 2.0.0 %s closing", s->hostname);
        lmtp_txn_reset(s);
        s->state = LMTP_ST_CLOSED;
    } else if (verb == 'R') {
        lmtp_txn_reset(s);
        lmtp_reply(s, "250 2.0.0 ok");
    } else if (s->state != LMTP_ST_MAIL || s->rcpt_count == 0) {
        lmtp_reply(s, "503 5.5.1 no valid recipients");     /* RFC 2033 §4.2 */
    } else {
        lmtp_data_start(s);
    }
}

/* dispatch - one command line, CRLF removed */
static void dispatch(struct lmtp_session *s, const char *line)
{
    size_t vlen = strcspn(line, " ");
    const char *arg = line[vlen] == ' ' ? line + vlen + 1 : line + vlen;

#define VERB(v) (vlen == sizeof(v) - 1 && strncasecmp(line, v, vlen) == 0)
    if (VERB("NOOP"))
        lmtp_reply(s, "250 2.0.0 ok");
    else if (VERB("QUIT") || VERB("RSET") || VERB("DATA"))
        cmd_simple(s, (char)(line[0] & ~0x20), arg);
    else if (VERB("HELO") || VERB("EHLO"))
        lmtp_reply(s, "500 5.5.1 this is LMTP: use LHLO");  /* RFC 2033 §4.1 */
    else if (VERB("LHLO"))
        cmd_lhlo(s, arg);
    else if (s->state == LMTP_ST_GREETED && (VERB("MAIL") || VERB("RCPT")))
        lmtp_reply(s, "%s", BAD_SEQ);
    else if (VERB("MAIL"))
        cmd_mail(s, arg);
    else if (VERB("RCPT"))
        cmd_rcpt(s, arg);
    else
        lmtp_reply(s, "500 5.5.2 command not recognized");
#undef VERB
}

/* end_line - a whole line has arrived (LF included in its length) */
static void end_line(struct lmtp_session *s)
{
    size_t i, n = s->line_len;

    if (s->line_long) {     /* RFC 5321 §4.5.3.1.4 */
        lmtp_reply(s, "500 5.5.2 line too long");
        return;
    }
    if (n < 2 || s->line[n - 2] != '\r') {  /* RFC 5321 §2.3.8 */
        lmtp_reply(s, "500 5.5.2 command lines end with CRLF");
        return;
    }
    for (i = 0; i < n - 2; i++) {
        if ((unsigned char)s->line[i] < 0x20 || s->line[i] == 0x7f) {
            lmtp_reply(s, "500 5.5.2 control character in command");
            return;
        }
    }
    s->line[n - 2] = '\0';
    dispatch(s, s->line);
}

size_t lmtp_line_feed(struct lmtp_session *s, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s->line_len < s->lim.line_max)
            s->line[s->line_len++] = (char)p[i];
        else
            s->line_long = 1;
        if (p[i] == '\n') {
            end_line(s);
            s->line_len = 0;
            s->line_long = 0;
            return i + 1;
        }
    }
    return n;
}
