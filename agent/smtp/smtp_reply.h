/* smtp_reply.h - bounded parser for SMTP server replies (RFC 5321 §4.2),
 *                enhanced status codes (RFC 3463, RFC 2034) and EHLO
 *                keywords (RFC 5321 §4.1.1.1, 3207, 2920, 1870, 6152, 6531)
 *
 * The input is untrusted bytes from the network, given as (ptr, len) and never
 * assumed NUL-terminated. A reply is one or more lines "ddd-text" ending with
 * one "ddd text" (or a bare "ddd"); every line must carry the same code. Lines
 * end with CRLF; a bare LF is accepted as a line end (a CR before it is
 * dropped), as Postfix's SMTP client does. The caller passes the limits: the
 * length of one line (without its line end) and the number of lines per reply.
 *
 * Nothing is allocated: struct smtp_reply holds a printable copy of the text
 * (non-printable bytes replaced by '?', lines joined by one space, truncated
 * to SMTP_REPLY_TEXT_MAX - 1 bytes) and is owned by the caller.
 * Errors set *why to a static string naming the fault.
 */
#ifndef DANE_AGENT_SMTP_REPLY_H
#define DANE_AGENT_SMTP_REPLY_H

#include <stddef.h>
#include <stdint.h>

/* RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; servers exceed it, so
 * the defaults follow Postfix's line_length_limit (2048). */
#define SMTP_REPLY_LINE_MAX_DEFAULT  2048u
#define SMTP_REPLY_LINES_MAX_DEFAULT 100u
#define SMTP_REPLY_TEXT_MAX          1024u
#define SMTP_ENHANCED_MAX            16u   /* "5.123.123" + NUL fits */

struct smtp_reply_limits {
    size_t max_line;    /* bytes per line, line end excluded; > 0 */
    size_t max_lines;   /* lines per reply; > 0 */
};

struct smtp_reply {
    int code;                           /* 200..599 */
    char enhanced[SMTP_ENHANCED_MAX];   /* "4.4.2", or "" when absent */
    char text[SMTP_REPLY_TEXT_MAX];     /* printable; without code and
                                         * enhanced code; lines joined by " " */
    size_t nlines;
    size_t raw_len;                     /* bytes of input the reply spans */
};

enum smtp_reply_status {
    SMTP_REPLY_DONE = 0,    /* a complete reply: out filled, out->raw_len set */
    SMTP_REPLY_MORE,        /* incomplete but well-formed so far: read more */
    SMTP_REPLY_BAD,         /* malformed or over a limit: *why set */
};

/* smtp_reply_parse - parse the first reply in p[0..len); may be called again
 * with more bytes after SMTP_REPLY_MORE (it starts over: cost is bounded by
 * the limits) */
enum smtp_reply_status smtp_reply_parse(const uint8_t *p, size_t len,
                                        const struct smtp_reply_limits *lim,
                                        struct smtp_reply *out,
                                        const char **why);

/* smtp_enhanced_parse - RFC 3463 §2 "class.subject.detail" at the start of
 * p[0..len): class 2, 4 or 5, subject and detail 1-3 digits, followed by a
 * space or the end. Returns the length consumed (without the space) and
 * copies it NUL-terminated into out, or 0 when there is none. */
size_t smtp_enhanced_parse(const uint8_t *p, size_t len,
                           char out[SMTP_ENHANCED_MAX]);

/* EHLO keywords we act on. */
#define SMTP_EXT_STARTTLS            0x01u  /* RFC 3207 */
#define SMTP_EXT_PIPELINING          0x02u  /* RFC 2920 */
#define SMTP_EXT_SIZE                0x04u  /* RFC 1870 */
#define SMTP_EXT_8BITMIME            0x08u  /* RFC 6152 */
#define SMTP_EXT_SMTPUTF8            0x10u  /* RFC 6531 */
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x20u  /* RFC 2034 */
#define SMTP_EXT_REQUIRETLS          0x40u  /* RFC 8689 */

struct smtp_ehlo {
    unsigned ext;           /* SMTP_EXT_* bits */
    uint64_t size_limit;    /* SIZE n; 0: no limit announced (RFC 1870 §4) */
};

/* smtp_ehlo_parse - the keywords of a complete 250 EHLO reply p[0..len)
 * (the bytes smtp_reply_parse accepted; the first line is the greeting and
 * carries no keyword). Keywords compare case-insensitively; unknown ones are
 * ignored; "SIZE" with a malformed or out-of-range number counts as SIZE
 * without a limit. Returns 0, or -1 with *why when p is not a 250 reply. */
int smtp_ehlo_parse(const uint8_t *p, size_t len,
                    const struct smtp_reply_limits *lim,
                    struct smtp_ehlo *out, const char **why);

/* smtp_printable - copy p[0..len) to out (size > 0) NUL-terminated, bytes
 * outside 0x20..0x7e replaced by '?', truncated; returns bytes written */
size_t smtp_printable(const uint8_t *p, size_t len, char *out, size_t size);

#endif
