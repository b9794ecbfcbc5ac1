/* body.h - the DATA stream transformer: message bytes in, SMTP DATA bytes out
 *          (RFC 5321 §4.1.1.4, §4.5.2 transparency, §2.3.8 line ends)
 *
 * Every line end of the message goes out as CRLF: CRLF stays, a lone LF and a
 * lone CR each become CRLF. A '.' at the start of a line is doubled
 * (dot-stuffing). body_finish() ends the last line if the message did not, and
 * appends the end-of-data ".\r\n". Because every CR and LF of the message is
 * rewritten into a CRLF pair and every line-initial dot is doubled, the output
 * contains CRLF "." CRLF exactly once, at its end: no other end-of-data
 * sequence can be sent (SMTP smuggling), whatever the input.
 *
 * Optionally, lines longer than a limit are folded with CRLF SP, as Postfix's
 * smtp_line_length_limit does (RFC 5321 §4.5.3.1.6: 1000 octets per line).
 *
 * The transformer keeps a few bytes of state and allocates nothing per line;
 * the caller owns both buffers. body_new() returns an owned object,
 * body_free(NULL) is a no-op.
 */
#ifndef DANE_AGENT_BODY_H
#define DANE_AGENT_BODY_H

#include <stddef.h>
#include <stdint.h>

/* Room body_feed needs to make progress and body_finish needs to complete. */
#define BODY_OUT_MIN 8u
/* Postfix's smtp_line_length_limit default */
#define BODY_LINE_LIMIT_DEFAULT 990u

struct body;

/* body_new - a transformer; line_limit 0: never fold; NULL on ENOMEM */
struct body *body_new(size_t line_limit);
/* body_free - release; NULL is a no-op */
void body_free(struct body *b);

/* body_feed - transform as much of in[0..inlen) as fits into out[0..outcap);
 * *consumed is set to the input bytes used; returns the bytes written. With
 * outcap >= BODY_OUT_MIN at least one input byte is consumed. */
size_t body_feed(struct body *b, const uint8_t *in, size_t inlen,
                 uint8_t *out, size_t outcap, size_t *consumed);

/* body_finish - the end: a pending line end, CRLF if the last line was not
 * ended, then ".\r\n". Needs outcap >= BODY_OUT_MIN; returns bytes written
 * (0 when outcap is too small). The transformer is then spent. */
size_t body_finish(struct body *b, uint8_t *out, size_t outcap);

/* body_has_8bit - 1 when some byte of p[0..len) is >= 0x80 (RFC 6152) */
int body_has_8bit(const uint8_t *p, size_t len);

#endif
