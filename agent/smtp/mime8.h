/* mime8.h - the 8BITMIME downgrade: 8-bit MIME content to quoted-printable
 *           (RFC 6152 §3; RFC 2045 §6.7; RFC 2046 §5.1, §5.2)
 *
 * For a server that does not offer 8BITMIME, an 8-bit message is converted
 * the way Postfix's smtp(8) does (mime_state.c, MIME_OPT_DOWNGRADE): the
 * headers are parsed (with folding) for Content-Type and
 * Content-Transfer-Encoding; a multipart is followed through its boundaries
 * and message/rfc822 into the embedded message; a leaf part that needs it is
 * encoded as quoted-printable, its Content-Transfer-Encoding header replaced
 * (or added), and a multipart or message/rfc822 labelled 8bit or binary is
 * relabelled 7bit. Everything else passes byte for byte. The output is still
 * an RFC 5322 message with the line ends of the input (LF or CRLF; a CR not
 * before LF is data); body.c then makes the DATA stream of it. Encoded lines
 * are at most 76 octets (RFC 2045 §6.7 rule 5); no line is made longer.
 *
 * Which leaves are encoded:
 * - labelled 8bit or binary: always, as Postfix does;
 * - labelled 7bit or unlabelled: those whose body holds 8-bit octets. A
 *   stream cannot know that before the header is sent, so it is learnt by a
 *   first pass, mime8_scan() over the whole message, which the caller makes
 *   anyway to learn whether conversion is possible before it connects. The
 *   first MIME8_PARTS_KNOWN header blocks are remembered; beyond them, and
 *   when no scan was made, every unlabelled leaf is encoded and an 8-bit
 *   octet in a leaf labelled 7bit makes conversion impossible.
 * - a message without MIME-Version whose body is encoded gains
 *   "MIME-Version: 1.0" and, without a Content-Type, "Content-Type:
 *   text/plain; charset=unknown-8bit" (RFC 1428 §3; Postfix adds nothing).
 * Leaves are everything but multipart and message/rfc822, partial and
 * external-body: message/global may be encoded (RFC 6532 §3.5), and so is
 * any other message subtype (Postfix labels it 7bit and encodes the body).
 * binary is encoded line by line, as Postfix does: its LF are line ends. A
 * header block ended by a line that is no header field (Postfix: the body
 * starts there) gets an empty line where Postfix adds one, in the primary
 * header, and where a field was added to it, so that the field counts.
 *
 * Conversion is impossible (the caller bounces with 5.6.3) when an 8-bit
 * octet is where no encoding can reach it: a header field (Postfix sends it
 * as is; RFC 6152 §3 forbids that, and RFC 2047 words would change the
 * meaning of address fields), a multipart preamble, epilogue or boundary
 * line, a part already labelled quoted-printable, base64 or an unknown
 * encoding, message/partial or message/external-body (RFC 2046 §5.2.2.1,
 * §5.2.3.1: 7bit only). Also when the structure is ambiguous or beyond the
 * bounds: more than one Content-Type, Content-Transfer-Encoding or boundary
 * in a header, multipart nesting deeper than MIME8_DEPTH_MAX (Postfix's
 * MIME_ERR_NESTING), a Content-Type or Content-Transfer-Encoding field longer
 * than MIME8_FIELD_MAX octets. The verdict depends on the input alone, so the
 * scan gives it before the output pass; after an error the output so far is
 * incomplete and must not be sent.
 *
 * Memory is fixed (the struct, some 24 KiB) whatever the input size; the
 * caller owns both buffers. mime8_new() returns an owned object,
 * mime8_free(NULL) is a no-op.
 */
#ifndef DANE_AGENT_MIME8_H
#define DANE_AGENT_MIME8_H

#include <stddef.h>
#include <stdint.h>

/* multipart levels followed; deeper nesting makes conversion impossible */
#define MIME8_DEPTH_MAX 32u
/* octets of a boundary compared, as RFC 2046 §5.1.1 allows at most */
#define MIME8_BOUNDARY_MAX 70u
/* a held Content-Type or Content-Transfer-Encoding field, folding included */
#define MIME8_FIELD_MAX 4096u
/* header blocks whose 8-bit content mime8_scan() remembers */
#define MIME8_PARTS_KNOWN 4096u

struct mime8;

/* mime8_new - a converter; NULL on ENOMEM */
struct mime8 *mime8_new(void);
/* mime8_free - release; NULL is a no-op */
void mime8_free(struct mime8 *m);

/* mime8_scan - the optional first pass: read in[0..inlen) of the message,
 * write nothing. Call for the whole message, then mime8_scan_end(), before
 * any mime8_feed(); other orders are programmer errors and abort. */
void mime8_scan(struct mime8 *m, const uint8_t *in, size_t inlen);
/* mime8_scan_end - end the first pass: 0 when the message can be converted,
 * else -1 with *why set to a static reason. Then the converter is ready for
 * the output pass over the same message. */
int mime8_scan_end(struct mime8 *m, const char **why);

/* mime8_feed - convert as much of in[0..inlen) as the output allows into
 * out[0..outcap); *consumed is set to the input bytes used; returns the
 * bytes written. With outcap >= 1 every call writes or consumes at least
 * one byte. After an error input is consumed and nothing is written. */
size_t mime8_feed(struct mime8 *m, const uint8_t *in, size_t inlen,
                  uint8_t *out, size_t outcap, size_t *consumed);
/* mime8_finish - the end of the message: call until it returns 0 (with
 * outcap >= 1 it returns 0 only when all output is written). */
size_t mime8_finish(struct mime8 *m, uint8_t *out, size_t outcap);

/* mime8_restart - ready for another output pass over the same message
 * (failover to another server); what the scan learnt, and an error, stay */
void mime8_restart(struct mime8 *m);

/* mime8_error - 0 while conversion is possible; -1 with *why set to a
 * static reason once it is known to be impossible (RFC 3463 5.6.3) */
int mime8_error(const struct mime8 *m, const char **why);

#endif
