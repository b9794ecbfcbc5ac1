/* fuzz_dane_chain.c - Target functions: dane_chain_add_der, dane_chain_add_pem,
 *                     dane_verify, dane_leaf_name_match, dane_pin_match,
 *                     dane_chain_digest, and verify-chain's entry points:
 *                     verify_peer (levels dane and verify), pkix_verify
 *                     (CA file, certificate and key anchors), pkix_cert_text
 *
 * Input: certificates as [2-byte big-endian length][DER], repeated (a length
 * running past the end takes what is left). They go into one chain, which is
 * matched against a fixed TLSA set whose records name certificates of the
 * committed corpus (tests/certs/mkcerts.sh output): the ec_* root (2 0 1,
 * 2 1 0), the ec_leaf SPKI (3 1 1) and the rsa_root (2 1 1), so the fuzzer
 * reaches path validation and the name checks. verify_peer() at level verify
 * trusts a CA file written once at start-up holding that ec_* root; the
 * input's last certificate is also tried as a DANE-TA certificate anchor
 * and each certificate is printed as verify-chain does. The whole input is
 * also parsed as PEM. Rejected input is fine; a crash, leak or sanitizer report
 * is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dane.h"
#include "pkix.h"
#include "tlsa.h"
#include "verify.h"

/* ec_root of the committed corpus (fuzz/corpus/dane_chain/ec_full) */
static const char ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBzzCCAXagAwIBAgIRANMOZlfMEnAYIjsd8Zk5q2cwCgYIKoZIzj0EAwIwNjEa\n"
    "MBgGA1UEAwwRREFORSBUZXN0IFJvb3QgRUMxGDAWBgNVBAoMD0RBTkUgQWdlbnQg\n"
    "VGVzdDAgFw0yMDAxMDEwMDAwMDBaGA8yMDk5MTIzMTIzNTk1OVowNjEaMBgGA1UE\n"
    "AwwRREFORSBUZXN0IFJvb3QgRUMxGDAWBgNVBAoMD0RBTkUgQWdlbnQgVGVzdDBZ\n"
    "MBMGByqGSM49AgEGCCqGSM49AwEHA0IABCHaolzyn4kTGMrttcwmesmX7jWOR5Ej\n"
    "P7BTa2kPkHfsu1vmZ8dz1fKkiJ2wtwy2KUz5g/Ohq57xKcO0raOtOfOjYzBhMA8G\n"
    "A1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBRYqtpUTNR0\n"
    "7u4bI265PIFfSe0IdzAfBgNVHSMEGDAWgBRYqtpUTNR07u4bI265PIFfSe0IdzAK\n"
    "BggqhkjOPQQDAgNHADBEAiAdv8NKL+UZg7cRRNR+F+0RU7VdxbqTPdK8OPd5mUT5\n"
    "+gIgfHIJ2tq0/2d+nqbtbZOyHMNy/ooewhd8M1Zt96TAa6g=\n"
    "-----END CERTIFICATE-----\n";
static char ca_file[] = "/tmp/fuzz_dane_chain_ca.XXXXXX";

static const char *const records[] = {
    "2 0 1 d2498f30c830cee6fded7b5dda891a5b9f340930d555bdd4a57031153ffdd984",
    "2 1 0 3059301306072a8648ce3d020106082a8648ce3d0301070342000421daa25cf29f89"
    "1318caedb5cc267ac997ee358e4791233fb0536b690f9077ecbb5be667c773d5f2a4889db0"
    "b70cb6294cf983f3a1ab9ef129c3b4ada3ad39f3",
    "3 1 1 1bce2df726319486c0df98587d22bb5aa4d80f21cc0c43b72c25fe1223895085",
    "2 1 1 20b413b63c70bfe96a23cf36784a9f82a41594c0ff8dfb1d5987904f72be61a1",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tlsa_set *set;

/* remove_ca_file - atexit: leave nothing in /tmp */
static void remove_ca_file(void)
{
    unlink(ca_file);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *why = NULL;
    size_t i;
    int fd;

    (void)argc;
    (void)argv;
    (void)dane_library_init();
    fd = mkstemp(ca_file);
    if (fd < 0 || write(fd, ca_pem, sizeof(ca_pem) - 1) != (ssize_t)(sizeof(ca_pem) - 1))
        __builtin_trap();
    close(fd);
    atexit(remove_ca_file);
    set = tlsa_set_new();
    for (i = 0; set != NULL && i < sizeof(records) / sizeof(records[0]); i++)
        if (tlsa_set_add_text(set, records[i], strlen(records[i]), &why) < 0)
            __builtin_trap();
    return 0;
}

/* as_delivery - verify_peer() as a delivery and verify-chain call it */
static void as_delivery(const struct dane_chain *chain, enum policy_level level,
                        const char *const *names)
{
    struct verify_input in = {
        .level = level, .chain = chain, .tlsa = set, .names = names,
        .nnames = 2, .ca_file = ca_file, .now = (time_t)1767225600,
    };
    struct verify_result out;

    verify_peer(&in, &out);
}

/* anchors - the last certificate as a DANE-TA anchor; every one as text */
static void anchors(const struct dane_chain *chain)
{
    struct pkix_der der[DANE_MAX_CHAIN];
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_CERT };
    struct pkix_chain *pc;
    struct pkix_path path;
    char subject[PKIX_TEXT_MAX], issuer[PKIX_TEXT_MAX];
    const char *why = NULL;
    size_t i, n = dane_chain_length(chain);

    for (i = 0; i < n; i++) {
        der[i].der = dane_chain_der(chain, i, &der[i].len);
        (void)pkix_cert_text(der[i].der, der[i].len, subject, sizeof(subject),
                             issuer, sizeof(issuer));
    }
    pc = n > 0 ? pkix_chain_new(der, n, &why) : NULL;
    if (pc == NULL)
        return;
    a.der = der[n - 1].der;
    a.len = der[n - 1].len;
    (void)pkix_verify(pc, &a, (time_t)1767225600, &path, &why);
    pkix_chain_free(pc);
}

/* exercise - everything a caller does with a chain */
static void exercise(const struct dane_chain *chain)
{
    static const char *const names[] = { "mx.dane.test", "any.dane.test" };
    struct dane_result result;
    struct dane_pin pin;
    uint8_t digest[64];
    const char *why = NULL;
    size_t d;

    (void)dane_verify(chain, set, names, 2, (time_t)1767225600, &result, &why);
    (void)dane_verify(chain, set, NULL, 0, (time_t)3849984000, &result, &why);
    (void)dane_leaf_name_match(chain, names, 2);
    as_delivery(chain, POLICY_LEVEL_DANE, names);
    as_delivery(chain, POLICY_LEVEL_VERIFY, names);
    anchors(chain);
    memset(&pin, 0, sizeof(pin));
    pin.mtype = 1;
    pin.len = 32;
    (void)dane_pin_match(chain, &pin, 1, &why);
    for (d = 0; d < dane_chain_length(chain); d++)
        (void)dane_chain_digest(chain, d, 1, 2, digest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dane_chain *chain = dane_chain_new(), *pem = dane_chain_new();
    const char *why = NULL;
    size_t off = 0, len;

    if (chain == NULL || pem == NULL || set == NULL)
        __builtin_trap();
    while (size - off >= 2) {
        len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        (void)dane_chain_add_der(chain, data + off, len, &why);
        off += len;
    }
    exercise(chain);
    if (dane_chain_add_pem(pem, (const char *)data, size, &why) == 0)
        exercise(pem);
    dane_chain_free(chain);
    dane_chain_free(pem);
    return 0;
}
