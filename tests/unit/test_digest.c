/* test_digest.c - SHA-256 and SHA-512 (agent/util/digest.h) against the
 * FIPS 180-2 example vectors (NIST CSRC "Examples with Intermediate
 * Values"), and incremental SHA-256 against one-shot */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

#define ABC "abc"
#define MSG448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG896 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
               "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
#define MILLION 1000000u

struct vector {
    const char *msg;
    const char *sha256;
    const char *sha512;
};

static const struct vector vectors[] = {
    {"",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
    {ABC,
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    {MSG448,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
     "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
     "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"},
    {MSG896,
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
     "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
};

#define MILLION_A_SHA256 \
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define MILLION_A_SHA512 \
    "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb" \
    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"

/* assert_hex - the digest equals the lower-case hex want */
static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    char hex[2 * DIGEST_SHA512_LEN + 1];

    cr_assert_eq(strlen(want), 2 * len);
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", got[i]);
    cr_assert_str_eq(hex, want);
}

/* million_a - one million 'a' (the third FIPS 180-2 example); caller frees */
static uint8_t *million_a(void)
{
    uint8_t *m = malloc(MILLION);

    cr_assert_not_null(m);
    memset(m, 'a', MILLION);
    return m;
}

Test(digest, sha256_known_answers)
{
    uint8_t out[DIGEST_SHA256_LEN];

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        digest_sha256(vectors[i].msg, strlen(vectors[i].msg), out);
        assert_hex(out, sizeof out, vectors[i].sha256);
    }
}

Test(digest, sha512_known_answers)
{
    uint8_t out[DIGEST_SHA512_LEN];

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        digest_sha512(vectors[i].msg, strlen(vectors[i].msg), out);
        assert_hex(out, sizeof out, vectors[i].sha512);
    }
}

Test(digest, million_a)
{
    uint8_t *m = million_a();
    uint8_t out256[DIGEST_SHA256_LEN], out512[DIGEST_SHA512_LEN];

    digest_sha256(m, MILLION, out256);
    digest_sha512(m, MILLION, out512);
    assert_hex(out256, sizeof out256, MILLION_A_SHA256);
    assert_hex(out512, sizeof out512, MILLION_A_SHA512);
    free(m);
}

Test(digest, empty_input_may_be_null)
{
    uint8_t out256[DIGEST_SHA256_LEN], out512[DIGEST_SHA512_LEN];

    digest_sha256(NULL, 0, out256);
    digest_sha512(NULL, 0, out512);
    assert_hex(out256, sizeof out256, vectors[0].sha256);
    assert_hex(out512, sizeof out512, vectors[0].sha512);
}

/* incremental - SHA-256 of msg fed as [0, a), [a, b), [b, len), with an
 * empty update between each */
static void incremental(const char *msg, size_t a, size_t b, uint8_t *out)
{
    struct digest_sha256 ctx;
    size_t len = strlen(msg);

    digest_sha256_begin(&ctx);
    digest_sha256_update(&ctx, msg, a);
    digest_sha256_update(&ctx, NULL, 0);
    digest_sha256_update(&ctx, msg + a, b - a);
    digest_sha256_update(&ctx, msg + b, 0);
    digest_sha256_update(&ctx, msg + b, len - b);
    digest_sha256_end(&ctx, out);
}

Test(digest, incremental_every_split_equals_one_shot)
{
    uint8_t want[DIGEST_SHA256_LEN], got[DIGEST_SHA256_LEN];

    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const char *msg = vectors[i].msg;
        size_t len = strlen(msg);

        digest_sha256(msg, len, want);
        for (size_t a = 0; a <= len; a++)
            for (size_t b = a; b <= len; b++) {
                incremental(msg, a, b, got);
                cr_assert_eq(memcmp(got, want, sizeof want), 0,
                             "vector %zu split at %zu and %zu", i, a, b);
            }
        assert_hex(got, sizeof got, vectors[i].sha256);
    }
}

Test(digest, incremental_uneven_pieces_across_blocks)
{
    static const size_t pieces[] = {1, 63, 64, 65, 127, 128, 1000, 4096, 55, 56};
    uint8_t *m = million_a();
    uint8_t got[DIGEST_SHA256_LEN];
    struct digest_sha256 ctx;
    size_t done = 0;

    digest_sha256_begin(&ctx);
    for (size_t i = 0; done < MILLION; i = (i + 1) % (sizeof pieces / sizeof pieces[0])) {
        size_t n = pieces[i] < MILLION - done ? pieces[i] : MILLION - done;

        digest_sha256_update(&ctx, m + done, n);
        done += n;
    }
    digest_sha256_end(&ctx, got);
    assert_hex(got, sizeof got, MILLION_A_SHA256);
    free(m);
}

Test(digest, context_is_reusable_after_begin)
{
    struct digest_sha256 ctx;
    uint8_t got[DIGEST_SHA256_LEN];

    digest_sha256_begin(&ctx);
    digest_sha256_update(&ctx, MSG448, strlen(MSG448));
    digest_sha256_end(&ctx, got);
    digest_sha256_begin(&ctx);
    digest_sha256_update(&ctx, ABC, strlen(ABC));
    digest_sha256_end(&ctx, got);
    assert_hex(got, sizeof got, vectors[1].sha256);
}
