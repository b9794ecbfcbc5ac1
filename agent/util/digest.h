/* digest.h - SHA-256 and SHA-512 digests, one-shot and incremental
 *
 * The only place in the agent and its libraries that calls a hash function
 * (wolfCrypt, hidden in digest.c): cache keys and entry checksums, TLSA set
 * fingerprints, certificate and SPKI digests (RFC 6698 matching types 1
 * and 2). Callers keep their own byte framing (tags, length prefixes); this
 * module hashes exactly the bytes it is given, of any size_t length.
 *
 * Ownership: the caller owns every buffer and every context. A context is
 * a plain object (on the stack, usually) whose state is opaque; it is live
 * from digest_sha256_begin() to digest_sha256_end() and holds nothing to
 * release after that. Another digest needs another begin.
 *
 * Errors: none to handle. Software SHA-2 fails only on a programmer error or
 * a broken library; these functions then abort() rather than return a
 * digest of nothing.
 */
#ifndef DANE_AGENT_DIGEST_H
#define DANE_AGENT_DIGEST_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#define DIGEST_SHA256_LEN 32u
#define DIGEST_SHA512_LEN 64u
#define DIGEST_SHA256_STATE_SIZE 256u  /* bytes of opaque state (digest.c
                                        * checks that wolfCrypt's fits) */

/* An incremental SHA-256; callers never look inside. */
struct digest_sha256 {
    alignas(max_align_t) unsigned char opaque[DIGEST_SHA256_STATE_SIZE];
};

/* digest_sha256 - SHA-256 of len bytes at p (p may be NULL when len is 0) */
void digest_sha256(const void *p, size_t len, uint8_t out[DIGEST_SHA256_LEN]);
/* digest_sha512 - SHA-512 of len bytes at p (p may be NULL when len is 0) */
void digest_sha512(const void *p, size_t len, uint8_t out[DIGEST_SHA512_LEN]);

/* digest_sha256_begin - start an incremental SHA-256 in *ctx */
void digest_sha256_begin(struct digest_sha256 *ctx);
/* digest_sha256_update - append len bytes at p (nothing when len is 0) */
void digest_sha256_update(struct digest_sha256 *ctx, const void *p, size_t len);
/* digest_sha256_end - the digest of everything appended; ends the context */
void digest_sha256_end(struct digest_sha256 *ctx, uint8_t out[DIGEST_SHA256_LEN]);

#endif
