/* tlsa.h - TLSA records and record sets for SMTP (RFC 6698 §2, RFC 7672 §3.1,
 *          digest agility RFC 7671 §9)
 *
 * A tlsa_set owns copies of the records added to it, from presentation text
 * ("U S M HEX", RFC 6698 §2.2) or from DNS wire rdata (RFC 6698 §2.1).
 *
 * Malformed input is an error: the add functions return -1 and set *why to a
 * static string naming the fault; the set is unchanged. A record identical to
 * one already in the set is not added again (an RRset is a set, RFC 2181 §5),
 * and a set holds at most TLSA_MAX_RECORDS records. Well-formed records
 * with code points SMTP cannot use (PKIX-TA/PKIX-EE, unknown usage, selector or
 * matching type, a digest of the wrong length) are kept, counted by
 * tlsa_set_count(), but are not usable. A record with matching type 255
 * (PrivMatch, private use) received as rdata is dropped.
 *
 * The usable subset is recomputed whenever the set changes: per (usage,
 * selector) it keeps the Full(0) records plus only the records of the
 * strongest digest present in the agility order (RFC 7671 §9; default
 * SHA2-512 then SHA2-256). Agility weighs only records usable on their own
 * (a SHA2-512 record of the wrong length does not hide SHA2-256 records); a
 * digest left out of the order is not supported, so its records are unusable.
 *
 * Borrowed pointers (struct tlsa_rr and its data) live as long as the set and
 * are invalidated by any later add or tlsa_set_free().
 */
#ifndef DANE_AGENT_TLSA_H
#define DANE_AGENT_TLSA_H

#include <stddef.h>
#include <stdint.h>

enum tlsa_usage {
    TLSA_USAGE_PKIX_TA = 0,
    TLSA_USAGE_PKIX_EE = 1,
    TLSA_USAGE_DANE_TA = 2,
    TLSA_USAGE_DANE_EE = 3,
};

enum tlsa_selector {
    TLSA_SELECTOR_CERT = 0,
    TLSA_SELECTOR_SPKI = 1,
};

enum tlsa_mtype {
    TLSA_MTYPE_FULL = 0,
    TLSA_MTYPE_SHA256 = 1,
    TLSA_MTYPE_SHA512 = 2,
    TLSA_MTYPE_PRIVATE = 255,
};

/* Largest association data accepted (a DNS RR's rdata is at most 65535). */
#define TLSA_MAX_DATA 65532u
/* Longest presentation text accepted (hex of TLSA_MAX_DATA plus room for
 * whitespace and the three fields). */
#define TLSA_MAX_TEXT (4u * TLSA_MAX_DATA)
/* Most records one set holds (a 64 KiB DNS answer holds far fewer usable ones). */
#define TLSA_MAX_RECORDS 256u

/* One record: a borrowed view into a set. */
struct tlsa_rr {
    uint8_t usage;
    uint8_t selector;
    uint8_t mtype;
    const uint8_t *data;
    size_t len;
};

struct tlsa_set;

/* tlsa_set_new - an empty set with the default digest order; NULL on ENOMEM */
struct tlsa_set *tlsa_set_new(void);
/* tlsa_set_free - release the set; NULL is a no-op */
void tlsa_set_free(struct tlsa_set *set);

/* tlsa_set_add_text - add "U S M HEX" (whitespace allowed inside HEX); 0 or -1 */
int tlsa_set_add_text(struct tlsa_set *set, const char *text, size_t len,
                      const char **why);
/* tlsa_set_add_rdata - add wire rdata (3 octets + data); mtype 255 is dropped;
 * 0 (added or dropped) or -1 */
int tlsa_set_add_rdata(struct tlsa_set *set, const uint8_t *rdata, size_t len,
                       const char **why);
/* tlsa_set_add_rr - add one record from its fields (data copied, may be NULL
 * when len is 0); 0 or -1 */
int tlsa_set_add_rr(struct tlsa_set *set, uint8_t usage, uint8_t selector,
                    uint8_t mtype, const uint8_t *data, size_t len,
                    const char **why);
/* tlsa_set_digest_order - replace the agility order, strongest first; each
 * entry TLSA_MTYPE_SHA256 or TLSA_MTYPE_SHA512, no repeats, 1..2 entries;
 * 0 or -1 */
int tlsa_set_digest_order(struct tlsa_set *set, const uint8_t *mtypes, size_t n,
                          const char **why);

/* tlsa_digest_order_parse - "sha512,sha256" (names sha256 / sha512, also
 * sha2-256 / sha2-512, any case, comma or whitespace separated, no repeats)
 * into mtypes[] for tlsa_set_digest_order(); 0 or -1 */
int tlsa_digest_order_parse(const char *text, size_t len, uint8_t mtypes[2],
                            size_t *n, const char **why);

/* tlsa_set_count - records kept (usable or not) */
size_t tlsa_set_count(const struct tlsa_set *set);
/* tlsa_set_record - record i < tlsa_set_count(), in insertion order */
const struct tlsa_rr *tlsa_set_record(const struct tlsa_set *set, size_t i);
/* tlsa_set_usable_count - usable records after the SMTP rules and agility */
size_t tlsa_set_usable_count(const struct tlsa_set *set);
/* tlsa_set_usable - usable record i < tlsa_set_usable_count() */
const struct tlsa_rr *tlsa_set_usable(const struct tlsa_set *set, size_t i);

/* tlsa_rr_usable - 1 when one record on its own is usable for SMTP, else 0
 * with *why naming the rule (RFC 7672 §3.1.3) */
int tlsa_rr_usable(const struct tlsa_rr *rr, const char **why);

/* tlsa_set_fingerprint - SHA-256 over the usable records in canonical order,
 * independent of insertion order; binds caches to the RRset */
void tlsa_set_fingerprint(const struct tlsa_set *set, uint8_t out[32]);

/* tlsa_rr_format - "U S M HEX" into buf (NUL-terminated, truncated to size);
 * returns the length the full text needs, excluding the NUL */
size_t tlsa_rr_format(const struct tlsa_rr *rr, char *buf, size_t size);

#endif
