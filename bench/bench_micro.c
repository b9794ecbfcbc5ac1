/* bench_micro.c - micro-benchmarks of the two hot library calls of a
 *                 delivery: dane_verify() (tlsa-match) and policy_lookup()
 *
 * SYNOPSIS
 *   bench_micro CERTDIR
 *
 * DESCRIPTION
 *   CERTDIR is the output of tests/certs/mkcerts.sh. The chain is
 *   CERTDIR/server/ecdsa/chain.pem (ECDSA P-256 leaf < ec_int); the TLSA
 *   records are computed from it, as the testbed's zone has them:
 *     DANE-EE  3 1 1  SHA-256 of the leaf's SubjectPublicKeyInfo
 *     DANE-TA  2 0 1  SHA-256 of ec_int (the issuer, depth 1), reference
 *                     name mx.dane.test (path signature + name checks)
 *   The policy holds 1000 destinations (exact domains, ".parent" keys and
 *   bracketed hosts with a port); lookups hit an exact key, a parent key,
 *   a "[host]:port" key, and miss (defaults).
 *
 *   Each benchmark runs 5 batches of at least 50 ms and prints the median
 *   time per call: "name<TAB>calls<TAB>ns/call". Figures only: no
 *   threshold is asserted anywhere.
 *
 * DIAGNOSTICS
 *   Exit 1 with a reason on stderr when a setup step fails or a call does
 *   not give the expected result (a benchmark of a failing call is void).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dane.h"
#include "policy.h"
#include "tlsa.h"

#define BATCHES 5
#define BATCH_NS 50000000.0     /* 50 ms per batch */
#define NDEST 1000

/* What one benchmark call needs: a function over an opaque argument that
 * returns 0 when the call gave the expected answer. */
struct bench {
    const char *name;
    int (*call)(void *arg);
    void *arg;
};

struct verify_arg {
    const struct dane_chain *chain;
    const struct tlsa_set *set;
    const char *const *names;
    size_t nnames;
    size_t want_depth;
};

struct lookup_arg {
    const struct policy *policy;
    const char *nexthop;
    const char *want_key;
};

struct pem_arg {
    const char *pem;
    size_t len;
};

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_micro: %s: %s\n", what, why ? why : "failed");
    exit(1);
}

/* now_ns - monotonic clock in nanoseconds */
static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* read_file - whole file into a NUL-terminated heap buffer */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;

    if (f == NULL)
        die(path, "cannot open");
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        die(path, "cannot size");
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size)
        die(path, "cannot read");
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

static int call_verify(void *p)
{
    const struct verify_arg *a = p;
    struct dane_result result;
    const char *why = NULL;

    if (dane_verify(a->chain, a->set, a->names, a->nnames, time(NULL),
                    &result, &why) != DANE_MATCH)
        return -1;
    return result.depth == a->want_depth ? 0 : -1;
}

static int call_lookup(void *p)
{
    const struct lookup_arg *a = p;
    const struct policy_entry *e = policy_lookup(a->policy, a->nexthop);

    return strcmp(e->key, a->want_key) == 0 ? 0 : -1;
}

static int call_chain_pem(void *p)
{
    const struct pem_arg *a = p;
    struct dane_chain *chain = dane_chain_new();
    const char *why = NULL;
    int rc;

    if (chain == NULL)
        return -1;
    rc = dane_chain_add_pem(chain, a->pem, a->len, &why);
    if (rc == 0 && dane_chain_length(chain) != 2)
        rc = -1;
    dane_chain_free(chain);
    return rc;
}

/* batch - call until BATCH_NS have passed, in chunks that double while
 * they take under 1 ms (the clock is read once per chunk); *calls gets the
 * number of calls, the result is ns per call. Any unexpected answer ends
 * the program. */
static double batch(const struct bench *b, unsigned long *calls)
{
    unsigned long chunk = 1, n = 0;
    double t0 = now_ns(), t = t0, elapsed;

    do {
        double c0 = t;

        for (unsigned long i = 0; i < chunk; i++)
            if (b->call(b->arg) != 0)
                die(b->name, "unexpected result");
        n += chunk;
        t = now_ns();
        if (t - c0 < 1e6)
            chunk *= 2;
    } while ((elapsed = t - t0) < BATCH_NS);
    *calls = n;
    return elapsed / (double)n;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

/* run - print the median of BATCHES batches */
static void run(const struct bench *b)
{
    unsigned long total = 0, n;
    double per[BATCHES];

    if (b->call(b->arg) != 0)   /* warm caches; also checks the answer */
        die(b->name, "unexpected result");
    for (int i = 0; i < BATCHES; i++) {
        per[i] = batch(b, &n);
        total += n;
    }
    qsort(per, BATCHES, sizeof per[0], cmp_double);
    printf("%s\t%lu\t%.0f\n", b->name, total, per[BATCHES / 2]);
}

/* hex - lower-case hex of len bytes into out (2*len+1 bytes) */
static void hex(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * len] = '\0';
}

/* tlsa_from_chain - a one-record set "U S 1 <sha256 of depth/selector>" */
static struct tlsa_set *tlsa_from_chain(const struct dane_chain *chain,
                                        unsigned usage, uint8_t selector,
                                        size_t depth)
{
    uint8_t digest[64];
    char text[16 + 2 * 64 + 1], digits[2 * 32 + 1];
    struct tlsa_set *set = tlsa_set_new();
    const char *why = NULL;
    int n;

    if (set == NULL)
        die("tlsa_set_new", "out of memory");
    if (dane_chain_digest(chain, depth, selector, 1, digest) != 32)
        die("dane_chain_digest", "no SHA-256 digest");
    hex(digest, 32, digits);
    n = snprintf(text, sizeof text, "%u %u 1 %s", usage, selector, digits);
    if (n < 0 || (size_t)n >= sizeof text)
        die("tlsa text", "too long");
    if (tlsa_set_add_text(set, text, (size_t)n, &why) != 0)
        die("tlsa_set_add_text", why);
    return set;
}

/* policy_text - YAML with NDEST destinations in three key shapes:
 * dNNN.example (exact), .pNNN.example (parents), "[mxNNN.example]:587" */
static char *policy_text(size_t *len)
{
    size_t cap = 128 + (size_t)NDEST * 64, used;
    char *buf = malloc(cap);
    int n;

    if (buf == NULL)
        die("policy text", "out of memory");
    n = snprintf(buf, cap, "defaults:\n  level: dane\ndestinations:\n");
    used = (size_t)n;
    for (int i = 0; i < NDEST; i++) {
        if (i % 3 == 0)
            n = snprintf(buf + used, cap - used,
                         "  d%04d.example: { level: dane-only }\n", i);
        else if (i % 3 == 1)
            n = snprintf(buf + used, cap - used,
                         "  .p%04d.example: { level: encrypt }\n", i);
        else
            n = snprintf(buf + used, cap - used,
                         "  \"[mx%04d.example]:587\": { level: may }\n", i);
        if (n < 0 || (size_t)n >= cap - used)
            die("policy text", "buffer too small");
        used += (size_t)n;
    }
    *len = used;
    return buf;
}

int main(int argc, char **argv)
{
    static const char *const names[] = { "mx.dane.test" };
    char path[4096], err[512];
    const char *why = NULL;
    size_t pem_len, yaml_len;
    char *pem, *yaml;
    struct dane_chain *chain;
    struct tlsa_set *ee, *ta;
    struct policy *policy;
    double t0;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_micro CERTDIR\n");
        return 64;
    }
    if (dane_library_init() != 0)
        die("dane_library_init", "failed");
    if ((size_t)snprintf(path, sizeof path, "%s/server/ecdsa/chain.pem",
                         argv[1]) >= sizeof path)
        die("CERTDIR", "path too long");
    pem = read_file(path, &pem_len);
    chain = dane_chain_new();
    if (chain == NULL || dane_chain_add_pem(chain, pem, pem_len, &why) != 0)
        die(path, why);
    ee = tlsa_from_chain(chain, 3, 1, 0);
    ta = tlsa_from_chain(chain, 2, 0, 1);

    yaml = policy_text(&yaml_len);
    t0 = now_ns();
    policy = policy_parse("bench", (const uint8_t *)yaml, yaml_len, err,
                          sizeof err);
    if (policy == NULL)
        die("policy_parse", err);
    printf("policy_parse (%d destinations, once)\t1\t%.0f\n", NDEST,
           now_ns() - t0);

    struct pem_arg pem_arg = { pem, pem_len };
    struct verify_arg ee_arg = { chain, ee, names, 1, 0 };
    struct verify_arg ta_arg = { chain, ta, names, 1, 1 };
    struct lookup_arg exact = { policy, "d0999.example", "d0999.example" };
    struct lookup_arg parent = { policy, "mx.sub.p0502.example",
                                 ".p0502.example" };
    struct lookup_arg bracket = { policy, "[mx0500.example]:587",
                                  "[mx0500.example]:587" };
    struct lookup_arg miss = { policy, "mx.nowhere.example", "defaults" };
    const struct bench benches[] = {
        { "dane_chain_add_pem (leaf + issuer)", call_chain_pem, &pem_arg },
        { "dane_verify DANE-EE 3 1 1", call_verify, &ee_arg },
        { "dane_verify DANE-TA 2 0 1 + name", call_verify, &ta_arg },
        { "policy_lookup exact (1000 dest.)", call_lookup, &exact },
        { "policy_lookup .parent (1000 dest.)", call_lookup, &parent },
        { "policy_lookup [host]:port (1000 dest.)", call_lookup, &bracket },
        { "policy_lookup miss -> defaults", call_lookup, &miss },
    };
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        run(&benches[i]);

    policy_free(policy);
    tlsa_set_free(ta);
    tlsa_set_free(ee);
    dane_chain_free(chain);
    free(yaml);
    free(pem);
    dane_library_cleanup();
    return 0;
}
