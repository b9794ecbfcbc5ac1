/* qmail.h - the qmail-remote(8) result stream that qmail-rspawn reads
 *
 * One report per recipient, in the order of the arguments, then one message
 * report; each is a letter, a human-readable text and a NUL byte:
 *   r  recipient accepted (only after the server's 2xx to the final dot)
 *   h  recipient refused for good (5.X.X)
 *   s  recipient refused for now (4.X.X)
 *   K  message accepted for at least one recipient
 *   Z  temporary failure (nothing accepted, something may still go)
 *   D  permanent failure (nothing accepted, every recipient refused for good)
 * qmail-rspawn lets each recipient's h or s decide for that recipient, and
 * the message report for an r or a missing recipient report; Z with no
 * recipient report defers every recipient (a configuration error).
 *
 * Ownership: qmail_report() returns a malloc'd buffer, the caller's.
 */
#ifndef DANE_AGENT_QMAIL_H
#define DANE_AGENT_QMAIL_H

#include <stddef.h>

#include "delivery.h"

/* qmail_report - the stream for n recipient verdicts (n may be 0: only the
 * message report, Z with reason) and the message text (K's, or the reason
 * for Z and D); *len its length; NULL when out of memory */
char *qmail_report(const struct delivery_rcpt *rcpts, size_t n,
                   const char *accepted, const char *reason, size_t *len);

#endif
