/* digest.c - SHA-256 and SHA-512 over wolfCrypt (digest.h)
 *
 * wolfCrypt takes lengths as word32, so longer inputs are fed in pieces.
 * The incremental context keeps wolfCrypt's wc_Sha256 in the opaque bytes
 * of struct digest_sha256; the assertions below fail the build when a
 * wolfSSL configuration makes it larger or more strictly aligned.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include <assert.h>
#include <stdlib.h>

#include "digest.h"

static_assert(sizeof(wc_Sha256) <= DIGEST_SHA256_STATE_SIZE,
              "wc_Sha256 does not fit: raise DIGEST_SHA256_STATE_SIZE");
static_assert(alignof(wc_Sha256) <= alignof(struct digest_sha256),
              "wc_Sha256 needs a stricter alignment than struct digest_sha256");
static_assert(WC_SHA256_DIGEST_SIZE == DIGEST_SHA256_LEN, "SHA-256 length");
static_assert(WC_SHA512_DIGEST_SIZE == DIGEST_SHA512_LEN, "SHA-512 length");

/* the most bytes handed to wolfCrypt in one call */
#define PIECE_MAX ((size_t)1 << 30)

/* check - stop on a wolfCrypt failure: a programmer error or a broken library */
static void check(int ret)
{
    if (ret != 0)
        abort();
}

/* sha256_state - the wolfCrypt object inside a context */
static wc_Sha256 *sha256_state(struct digest_sha256 *ctx)
{
    return (wc_Sha256 *)(void *)ctx->opaque;
}

/* digest_sha256_begin - wolfCrypt's SHA-256 initialised in the context */
void digest_sha256_begin(struct digest_sha256 *ctx)
{
    check(wc_InitSha256(sha256_state(ctx)));
}

/* digest_sha256_update - feed wolfCrypt in pieces of at most PIECE_MAX */
void digest_sha256_update(struct digest_sha256 *ctx, const void *p, size_t len)
{
    const uint8_t *b = p;

    while (len > 0) {
        size_t n = len < PIECE_MAX ? len : PIECE_MAX;

        check(wc_Sha256Update(sha256_state(ctx), b, (word32)n));
        b += n;
        len -= n;
    }
}

/* digest_sha256_end - the final digest; releases what wolfCrypt held */
void digest_sha256_end(struct digest_sha256 *ctx, uint8_t out[DIGEST_SHA256_LEN])
{
    check(wc_Sha256Final(sha256_state(ctx), out));
    wc_Sha256Free(sha256_state(ctx));
}

/* digest_sha256 - one-shot SHA-256 through a context on the stack */
void digest_sha256(const void *p, size_t len, uint8_t out[DIGEST_SHA256_LEN])
{
    struct digest_sha256 ctx;

    digest_sha256_begin(&ctx);
    digest_sha256_update(&ctx, p, len);
    digest_sha256_end(&ctx, out);
}

/* digest_sha512 - one-shot SHA-512, fed in pieces as SHA-256 is */
void digest_sha512(const void *p, size_t len, uint8_t out[DIGEST_SHA512_LEN])
{
    const uint8_t *b = p;
    wc_Sha512 sha;

    check(wc_InitSha512(&sha));
    while (len > 0) {
        size_t n = len < PIECE_MAX ? len : PIECE_MAX;

        check(wc_Sha512Update(&sha, b, (word32)n));
        b += n;
        len -= n;
    }
    check(wc_Sha512Final(&sha, out));
    wc_Sha512Free(&sha);
}
