/* probe.h - what `probe` prints about one SMTP session: the transcript, the
 *           peer chain's certificate and SPKI fingerprints, the verification
 *           verdict and the matched TLSA record (posttls-finger's role)
 *
 * Borrows everything for the duration of the call.
 */
#ifndef DANE_AGENT_PROBE_H
#define DANE_AGENT_PROBE_H

#include <stdio.h>

struct smtp_outcome;
struct verify_result;

/* probe_print_session - text report of one session to out; vr is NULL when
 * no verification ran */
void probe_print_session(FILE *out, const struct smtp_outcome *o,
                         const struct verify_result *vr);

#endif
