/* lmtp_int.h - the session shared by lmtp_session.c, lmtp_cmd.c and lmtp_data.c;
 * not part of the module's interface (lmtp.h) */
#ifndef DANE_AGENT_LMTP_INT_H
#define DANE_AGENT_LMTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lmtp.h"

enum lmtp_state {
    LMTP_ST_GREETED = 0,    /* 220 sent, LHLO awaited */
    LMTP_ST_READY,          /* LHLO done, no transaction */
    LMTP_ST_MAIL,           /* MAIL accepted; rcpt_count recipients so far */
    LMTP_ST_DATA,           /* 354 sent, the body streams */
    LMTP_ST_AWAIT,          /* data ended, results awaited */
    LMTP_ST_CLOSED,
};

#define LMTP_CHUNK 4096u

struct lmtp_session {
    struct lmtp_limits lim;
    struct lmtp_events ev;
    char *hostname;
    enum lmtp_state state;
    char *line;                 /* the command line so far, line_max octets */
    size_t line_len;
    int line_long;              /* the line outgrew line_max: rest discarded */
    char *sender;
    char **rcpt;                /* rcpt_max slots */
    char **result;              /* formatted reply per recipient, or NULL */
    size_t rcpt_count, replied;
    struct lmtp_envelope env;
    int dstate;                 /* lmtp_data.c's position in the line */
    int bad_eol, too_big;
    uint64_t body_len;
    char chunk[LMTP_CHUNK];     /* unstuffed body waiting for events.body */
    size_t chunk_len;
    char *out;
    size_t out_len, out_cap;
};

void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lmtp_txn_reset(struct lmtp_session *s);
void lmtp_reject_all(struct lmtp_session *s, const char *reply);
size_t lmtp_line_feed(struct lmtp_session *s, const unsigned char *p, size_t n);
size_t lmtp_data_feed(struct lmtp_session *s, const unsigned char *p, size_t n);
void lmtp_data_start(struct lmtp_session *s);

#endif
