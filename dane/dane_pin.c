/* dane_pin.c - fingerprint pinning and PKIX for Postfix's fingerprint,
 *              verify and secure levels
 *
 * SYNOPSIS
 *   dane_pin_parse(), dane_pin_match(), dane_pkix_verify()
 *
 * DESCRIPTION
 *   A pin is "sha256:HEX" or "sha512:HEX" (prefix and hex in any case, a
 *   colon allowed between octets) and matches the digest of the leaf
 *   certificate or of its SPKI, as Postfix's smtp_tls_fpt_cmatch does.
 *
 *   dane_pkix_verify asks pkix_verify() for a path to a CA of the file, of a
 *   store read before, or of the system store, then matches the leaf names
 *   against the reference names (skipped when nnames == 0: the caller
 *   decides), and tells an expired certificate and a name failure apart.
 */
#include <string.h>
#include <strings.h>

#include "dane_int.h"
#include "hex.h"
#include "tlsa.h"

/* dane_pin_parse - "sha256:HEX" / "sha512:HEX" */
int dane_pin_parse(const char *text, size_t len, struct dane_pin *pin,
                   const char **why)
{
    size_t i, n = 0, want;
    int hi, lo;

    memset(pin, 0, sizeof(*pin));
    if (text == NULL || len < 7 || text[6] != ':') {
        *why = "fingerprint must start with sha256: or sha512:";
        return -1;
    }
    if (strncasecmp(text, "sha256", 6) == 0) {
        pin->mtype = TLSA_MTYPE_SHA256;
        want = 32;
    } else if (strncasecmp(text, "sha512", 6) == 0) {
        pin->mtype = TLSA_MTYPE_SHA512;
        want = 64;
    } else {
        *why = "fingerprint must start with sha256: or sha512:";
        return -1;
    }
    i = 7;
    while (i < len) {
        if (n > 0 && text[i] == ':')
            i++;                    /* one colon between octets */
        if (n >= want) {
            *why = "fingerprint has too many hex digits";
            return -1;
        }
        if (i + 1 >= len) {
            *why = "fingerprint has an odd number of hex digits";
            return -1;
        }
        hi = hex_value(text[i]);
        lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            *why = "fingerprint contains a character that is not hex";
            return -1;
        }
        pin->digest[n++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    if (n != want) {
        *why = "fingerprint has the wrong length for its digest";
        return -1;
    }
    pin->len = n;
    return 0;
}

/* dane_pin_match - a pin equals the leaf certificate's or its SPKI's digest */
int dane_pin_match(const struct dane_chain *chain, const struct dane_pin *pins,
                   size_t npins, const char **why)
{
    uint8_t digest[64];
    size_t i, len;
    uint8_t sel;

    if (chain == NULL || chain->n == 0) {
        *why = "the server presented no certificate";
        return 0;
    }
    for (i = 0; i < npins; i++) {
        for (sel = TLSA_SELECTOR_CERT; sel <= TLSA_SELECTOR_SPKI; sel++) {
            len = dane_chain_digest(chain, 0, sel, pins[i].mtype, digest);
            if (len != 0 && len == pins[i].len &&
                memcmp(digest, pins[i].digest, len) == 0)
                return 1;
        }
    }
    *why = "no pinned fingerprint matches the leaf certificate or its public key";
    return 0;
}

/* dane_pkix_verify - PKIX to the anchor, then the reference names */
enum dane_failure dane_pkix_verify(const struct dane_chain *chain,
                                   const struct pkix_anchor *anchor,
                                   const char *const *names, size_t nnames,
                                   time_t now, struct pkix_path *path,
                                   const char **why)
{
    struct pkix_chain *pc;
    enum pkix_status st;

    if (chain == NULL || chain->n == 0) {
        *why = "the server presented no certificate";
        return DANE_FAIL_OTHER;
    }
    pc = dane_pkix_chain(chain, why);
    if (pc == NULL)
        return DANE_FAIL_OTHER;
    st = pkix_verify(pc, anchor, now, path, why);
    pkix_chain_free(pc);
    if (st == PKIX_NO_PATH)
        *why = anchor->ca_file != NULL
             ? "certificate chain does not lead to a CA of the CA file"
             : "certificate chain does not lead to a CA of the system store";
    if (st != PKIX_OK)
        return st == PKIX_EXPIRED ? DANE_FAIL_EXPIRED : DANE_FAIL_OTHER;
    if (nnames > 0 && !dane_leaf_name_match(chain, names, nnames)) {
        *why = "leaf certificate matches none of the reference names";
        return DANE_FAIL_NAME;
    }
    return DANE_FAIL_NONE;
}
