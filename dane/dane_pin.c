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
 *   dane_pkix_verify reads a PEM CA bundle (at most PKIX_MAX_FILE bytes and
 *   PKIX_MAX_CAS certificates) on every call, so each check has its own
 *   trust store. The path runs from the leaf up through the presented
 *   certificates (in path order, dane_chain_path()) to the first one a CA
 *   of the file issued (names chain and
 *   signature verifies); it is then checked by dane_path_check() with that CA
 *   as the anchor, and the leaf names against the reference names (skipped
 *   when nnames == 0: the caller decides).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dane_int.h"
#include "tlsa.h"

#define PKIX_MAX_FILE (8u * 1024 * 1024)
#define PKIX_MAX_CAS 4096u

/* hex_value - 0..15, or -1 */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

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

struct ca_list {
    WOLFSSL_X509 **cas;
    size_t n, cap;
};

/* add_ca - dane_pem_each callback collecting the CA file's certificates */
static int add_ca(void *ctx, const uint8_t *der, size_t len, const char **why)
{
    struct ca_list *list = ctx;
    WOLFSSL_X509 **grown;
    WOLFSSL_X509 *x;

    if (list->n >= PKIX_MAX_CAS) {
        *why = "CA file has too many certificates";
        return -1;
    }
    x = wolfSSL_X509_d2i(NULL, der, (int)len);
    if (x == NULL) {
        *why = "CA file has a certificate that cannot be parsed";
        return -1;
    }
    if (list->n == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 64;
        grown = realloc(list->cas, list->cap * sizeof(*grown));
        if (grown == NULL) {
            wolfSSL_X509_free(x);
            *why = "out of memory";
            return -1;
        }
        list->cas = grown;
    }
    list->cas[list->n++] = x;
    return 0;
}

/* read_file - the whole file, bounded; caller frees */
static char *read_file(const char *path, size_t *len, const char **why)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    size_t n;

    if (fp == NULL) {
        *why = errno == ENOENT ? "CA file does not exist" : "CA file cannot be opened";
        return NULL;
    }
    buf = malloc(PKIX_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(fp);
        *why = "out of memory";
        return NULL;
    }
    n = fread(buf, 1, PKIX_MAX_FILE + 1, fp);
    if (ferror(fp) || n > PKIX_MAX_FILE) {
        *why = ferror(fp) ? "CA file cannot be read" : "CA file is too large";
        fclose(fp);
        free(buf);
        return NULL;
    }
    fclose(fp);
    *len = n;
    return buf;
}

/* load_cas - parse the CA bundle into list */
static int load_cas(const char *ca_file, struct ca_list *list, const char **why)
{
    size_t len = 0;
    char *text;
    int rc;

    if (ca_file == NULL) {
        *why = "no CA file configured";
        return -1;
    }
    text = read_file(ca_file, &len, why);
    if (text == NULL)
        return -1;
    rc = dane_pem_each(text, len, add_ca, list, why);
    free(text);
    return rc;
}

/* free_cas - release the list */
static void free_cas(struct ca_list *list)
{
    size_t i;

    for (i = 0; i < list->n; i++)
        wolfSSL_X509_free(list->cas[i]);
    free(list->cas);
}

/* path_to_ca - the lowest chain certificate a CA issued, validated to it */
static int path_to_ca(const struct dane_chain *chain, const struct ca_list *list,
                      time_t now, const char **why)
{
    const struct dane_cert *ordered[DANE_MAX_CHAIN];
    WOLFSSL_X509 *path[DANE_MAX_CHAIN + 1];
    size_t top, c, n = dane_chain_path(chain, ordered);
    int issued = 0;

    for (top = 0; top < n; top++) {
        path[top] = ordered[top]->x509;
        for (c = 0; c < list->n; c++) {
            if (!dane_issued_by(path[top], list->cas[c]))
                continue;
            issued = 1;
            path[top + 1] = list->cas[c];
            if (dane_path_check(path, top + 2, 0, now, why) == 0)
                return 0;
        }
    }
    if (!issued)
        *why = "certificate chain does not lead to a CA of the CA file";
    return -1;
}

/* dane_pkix_verify - PKIX to a CA of ca_file, then the reference names */
int dane_pkix_verify(const struct dane_chain *chain, const char *ca_file,
                     const char *const *names, size_t nnames, time_t now,
                     const char **why)
{
    struct ca_list list = { NULL, 0, 0 };
    int rc;

    if (chain == NULL || chain->n == 0) {
        *why = "the server presented no certificate";
        return -1;
    }
    if (load_cas(ca_file, &list, why) < 0) {
        free_cas(&list);
        return -1;
    }
    rc = path_to_ca(chain, &list, now, why);
    free_cas(&list);
    if (rc == 0 && nnames > 0 && !dane_leaf_name_match(chain, names, nnames)) {
        *why = "leaf certificate matches none of the reference names";
        rc = -1;
    }
    return rc;
}
