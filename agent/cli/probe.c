/* probe.c - text report of one probed session (probe.h) */
#include <stdint.h>
#include <string.h>

#include "dane.h"
#include "probe.h"
#include "smtp.h"
#include "tlsa.h"
#include "verify.h"

/* print_hex - colon-separated upper-case hex, as posttls-finger prints */
static void print_hex(FILE *out, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%s%02X", i ? ":" : "", p[i]);
}

/* print_chain - SHA-256 of each certificate and of its public key */
static void print_chain(FILE *out, const struct dane_chain *chain)
{
    uint8_t digest[64];
    size_t n = chain != NULL ? dane_chain_length(chain) : 0;

    for (size_t depth = 0; depth < n; depth++) {
        size_t len = dane_chain_digest(chain, depth, TLSA_SELECTOR_CERT,
                                       TLSA_MTYPE_SHA256, digest);

        fprintf(out, "  depth=%zu cert sha256 ", depth);
        print_hex(out, digest, len);
        len = dane_chain_digest(chain, depth, TLSA_SELECTOR_SPKI,
                                TLSA_MTYPE_SHA256, digest);
        fprintf(out, "\n  depth=%zu pkey sha256 ", depth);
        print_hex(out, digest, len);
        fputc('\n', out);
    }
}

/* probe_print_session - text report of one session to out */
void probe_print_session(FILE *out, const struct smtp_outcome *o,
                         const struct verify_result *vr)
{
    if (o->transcript != NULL)
        fwrite(o->transcript, 1, o->transcript_len, out);
    if (o->tls) {
        fprintf(out, "peer chain (%zu certificates):\n",
                o->chain != NULL ? dane_chain_length(o->chain) : (size_t)0);
        print_chain(out, o->chain);
    }
    if (vr != NULL && vr->matched)
        fprintf(out, "matched TLSA record: usage=%u selector=%u mtype=%u depth=%zu\n",
                vr->match.usage, vr->match.selector, vr->match.mtype,
                vr->match.depth);
    if (vr != NULL)
        fprintf(out, "verification: %s%s%s\n", verify_status_name(vr->status),
                vr->ok ? "" : ", failed: ", vr->ok ? "" : vr->reason);
    if (o->result != SMTP_SENT)
        fprintf(out, "session failed: %s\n", o->reason);
}
