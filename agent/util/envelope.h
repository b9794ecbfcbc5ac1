/* envelope.h - checks on envelope addresses before anything is sent
 *              (RFC 5321 §4.1.2 Mailbox, §4.5.3.1 size limits; RFC 6531
 *              SMTPUTF8)
 *
 * Addresses come from the command line as given by the queue manager, without
 * angle brackets (one surrounding pair "<...>" is accepted and ignored). What
 * could change the meaning of an SMTP command line is rejected: CR, LF, NUL,
 * space, tab and other control characters, DEL, angle brackets inside, and
 * over-long addresses (local part 64, domain 255, path 256 octets with its
 * brackets). A recipient needs "local@domain"; the empty sender (bounces,
 * RFC 5321 §4.5.5) is allowed. Bytes >= 0x80 must form valid UTF-8: they need
 * SMTPUTF8 (RFC 6531 §3.3).
 *
 * Errors: -1 with *why set to a static reason.
 */
#ifndef DANE_AGENT_ENVELOPE_H
#define DANE_AGENT_ENVELOPE_H

#include <stddef.h>

#define ENVELOPE_LOCAL_MAX  64u     /* RFC 5321 §4.5.3.1.1 */
#define ENVELOPE_DOMAIN_MAX 255u    /* RFC 5321 §4.5.3.1.2 */
#define ENVELOPE_PATH_MAX   256u    /* RFC 5321 §4.5.3.1.3, with "<>" */

enum envelope_role {
    ENVELOPE_SENDER = 0,    /* may be empty */
    ENVELOPE_RECIPIENT,
};

/* envelope_check - validate one address of len bytes; on success *inner and
 * *inner_len give the address without surrounding brackets (within addr) */
int envelope_check(const char *addr, size_t len, enum envelope_role role,
                   const char **inner, size_t *inner_len, const char **why);

/* envelope_needs_smtputf8 - 1 when the address has a byte >= 0x80 */
int envelope_needs_smtputf8(const char *addr, size_t len);

#endif
