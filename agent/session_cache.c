/* session_cache.c - TLS sessions shared between processes (session_cache.h)
 *
 * SYNOPSIS
 *   session_cache_key_digest(k, out)
 *   session_cache_open(dir, k, why) ... session_cache_close(c)
 *   session_cache_get(c, now, buf, cap, len, why)
 *   session_cache_put(c, now, lifetime, session, len, why)
 *   session_cache_drop(c), session_cache_name(c)
 *
 * DESCRIPTION
 *   An entry file is a fixed header followed by the serialized session:
 *     magic "DANESC02" (8) | key (32) | created (8) | expires (8) |
 *     session length (4) | SHA-256 of all before it and the session (32) |
 *     session
 *   integers big-endian, times in seconds since the epoch. Only bytes this
 *   module wrote reach the caller: wolfSSL 5.5.4's d2i_SSL_SESSION crashes
 *   on some malformed input (found by fuzz_session_cache), so a truncated or
 *   damaged entry must never get that far. Every access is
 *   relative to the directory descriptor opened (and checked) once, with
 *   O_NOFOLLOW, so a path swapped after the check is never followed.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "session_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "DANESC02"
#define MAGIC_LEN 8u
#define OFF_CREATED (MAGIC_LEN + SESSION_CACHE_KEY_LEN)
#define OFF_EXPIRES (OFF_CREATED + 8u)
#define OFF_LENGTH (OFF_EXPIRES + 8u)
#define OFF_DIGEST (OFF_LENGTH + 4u)
#define HEADER_LEN (OFF_DIGEST + 32u)
#define CLOCK_SKEW 60   /* seconds an entry may seem to come from the future */
#define SWEEP_EVERY 32  /* about one put in SWEEP_EVERY sweeps the directory */

struct session_cache {
    int dirfd;
    uint8_t key[SESSION_CACHE_KEY_LEN];
    char name[2 * SESSION_CACHE_KEY_LEN + 1];
};

/* ---- key ---- */

/* Field tags of the key encoding: each field is tag, length, bytes. */
enum key_tag {
    TAG_VERSION = 1, TAG_NEXTHOP, TAG_MX, TAG_ADDRESS, TAG_PORT, TAG_SNI,
    TAG_TLSA, TAG_LEVEL, TAG_TRUSTED_ONLY, TAG_ENTRY_KEY, TAG_ENTRY_LEVEL,
    TAG_MATCH, TAG_SERVERNAME, TAG_CA_FILE, TAG_PROTOCOLS, TAG_CURVES,
    TAG_FFDHE, TAG_DANE_DIGESTS, TAG_INSECURE_MX, TAG_LEGACY_CBC,
};

#define ABSENT 0xffffffffu      /* length of a NULL field: never "" */

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* field - tag, 32-bit length (ABSENT for NULL), bytes */
static void field(wc_Sha256 *sha, enum key_tag tag, const void *p, size_t len)
{
    uint8_t head[5];

    head[0] = (uint8_t)tag;
    put_be(head + 1, p != NULL ? (uint64_t)len : ABSENT, 4);
    wc_Sha256Update(sha, head, sizeof(head));
    if (p != NULL && len > 0)
        wc_Sha256Update(sha, p, (word32)len);
}

static void field_str(wc_Sha256 *sha, enum key_tag tag, const char *s)
{
    field(sha, tag, s, s != NULL ? strlen(s) : 0);
}

static void field_uint(wc_Sha256 *sha, enum key_tag tag, uint64_t v)
{
    uint8_t b[8];

    put_be(b, v, sizeof(b));
    field(sha, tag, b, sizeof(b));
}

/* field_ids - a list of 16-bit ids, order kept (preference matters) */
static void field_ids(wc_Sha256 *sha, enum key_tag tag, const uint16_t *ids, size_t n)
{
    field_uint(sha, tag, n);
    for (size_t i = 0; i < n; i++)
        field_uint(sha, tag, ids[i]);
}

/* field_entry - the policy entry's identity and every field that shapes the
 * TLS handshake or the verification */
static void field_entry(wc_Sha256 *sha, const struct policy_entry *e)
{
    field_str(sha, TAG_ENTRY_KEY, e->key);
    field_uint(sha, TAG_ENTRY_LEVEL, (uint64_t)e->level);
    field_uint(sha, TAG_MATCH, e->nmatch);
    for (size_t i = 0; i < e->nmatch; i++) {
        const struct policy_match *m = &e->match[i];
        field_uint(sha, TAG_MATCH, (uint64_t)m->kind);
        field_str(sha, TAG_MATCH, m->text);
        field_uint(sha, TAG_MATCH, m->digest_mtype);
        field(sha, TAG_MATCH, m->digest, m->digest_len);
    }
    field_str(sha, TAG_SERVERNAME, e->servername);
    field_str(sha, TAG_CA_FILE, e->ca_file);
    field_uint(sha, TAG_PROTOCOLS, e->protocols);
    field_ids(sha, TAG_CURVES, e->curves, e->ncurves);
    field_ids(sha, TAG_FFDHE, e->ffdhe_groups, e->nffdhe_groups);
    field(sha, TAG_DANE_DIGESTS, e->dane_digests, e->ndane_digests);
    field_uint(sha, TAG_INSECURE_MX, (uint64_t)e->insecure_mx_policy);
    field_uint(sha, TAG_LEGACY_CBC, (uint64_t)e->legacy_cbc_suites);
}

void session_cache_key_digest(const struct session_cache_key *k,
                              uint8_t out[SESSION_CACHE_KEY_LEN])
{
    wc_Sha256 sha;

    if (wc_InitSha256(&sha) != 0)
        abort();    /* session_cache_key_digest: wolfCrypt cannot hash */
    field_str(&sha, TAG_VERSION, "dane-agent session cache 1");
    field_str(&sha, TAG_NEXTHOP, k->nexthop);
    field_str(&sha, TAG_MX, k->mx);
    field_str(&sha, TAG_ADDRESS, k->address);
    field_uint(&sha, TAG_PORT, k->port);
    field_str(&sha, TAG_SNI, k->sni);
    field(&sha, TAG_TLSA, k->tlsa, k->tlsa != NULL ? SESSION_CACHE_KEY_LEN : 0);
    field_uint(&sha, TAG_LEVEL, (uint64_t)k->level);
    field_uint(&sha, TAG_TRUSTED_ONLY, (uint64_t)(k->trusted_only != 0));
    if (k->entry != NULL)
        field_entry(&sha, k->entry);
    wc_Sha256Final(&sha, out);
    wc_Sha256Free(&sha);
}

/* ---- directory ---- */

/* open_dir - the cache directory, created 0700 when missing, checked */
static int open_dir(const char *dir, const char **why)
{
    struct stat st;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *why = errno == ENOTDIR || errno == ELOOP
            ? "session cache is not a directory (or is a symbolic link)"
            : errno == ENOENT ? "session cache directory cannot be created"
            : "session cache directory cannot be opened";
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *why = "session cache is not a directory";
    } else if (st.st_uid != geteuid()) {
        *why = "session cache directory is not owned by the user dane-agent runs as";
    } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        *why = "session cache directory is writable by group or others (want mode 0700)";
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

struct session_cache *session_cache_open(const char *dir,
                                         const struct session_cache_key *k,
                                         const char **why)
{
    static const char hex[] = "0123456789abcdef";
    struct session_cache *c;
    int fd;

    if (dir == NULL || dir[0] == '\0') {
        *why = "no session cache directory";
        return NULL;
    }
    fd = open_dir(dir, why);
    if (fd < 0)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        *why = "out of memory";
        return NULL;
    }
    c->dirfd = fd;
    session_cache_key_digest(k, c->key);
    for (size_t i = 0; i < SESSION_CACHE_KEY_LEN; i++) {
        c->name[2 * i] = hex[c->key[i] >> 4];
        c->name[2 * i + 1] = hex[c->key[i] & 0xf];
    }
    c->name[2 * SESSION_CACHE_KEY_LEN] = '\0';
    return c;
}

void session_cache_close(struct session_cache *c)
{
    if (c == NULL)
        return;
    close(c->dirfd);
    free(c);
}

const char *session_cache_name(const struct session_cache *c)
{
    return c->name;
}

void session_cache_drop(struct session_cache *c)
{
    if (c != NULL)
        (void)unlinkat(c->dirfd, c->name, 0);
}

/* ---- entries ---- */

/* read_all - exactly len bytes from fd; 0 or -1 */
static int read_all(int fd, uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* entry_digest - SHA-256 over the header up to the digest and the session */
static void entry_digest(const uint8_t *head, const uint8_t *session, size_t len,
                         uint8_t out[32])
{
    wc_Sha256 sha;

    if (wc_InitSha256(&sha) != 0)
        abort();    /* entry_digest: wolfCrypt cannot hash */
    wc_Sha256Update(&sha, head, OFF_DIGEST);
    wc_Sha256Update(&sha, session, (word32)len);
    wc_Sha256Final(&sha, out);
    wc_Sha256Free(&sha);
}

/* entry_ok - the header agrees with the key, the clock and the file size;
 * the session's length through *len */
static int entry_ok(const struct session_cache *c, const uint8_t *h, size_t size,
                    time_t now, size_t *len)
{
    uint64_t created = get_be(h + OFF_CREATED, 8);
    uint64_t expires = get_be(h + OFF_EXPIRES, 8);
    uint64_t n = get_be(h + OFF_LENGTH, 4);
    uint64_t t = now < 0 ? 0 : (uint64_t)now;

    if (memcmp(h, MAGIC, MAGIC_LEN) != 0 ||
        memcmp(h + MAGIC_LEN, c->key, SESSION_CACHE_KEY_LEN) != 0)
        return 0;
    if (created > t + CLOCK_SKEW || expires <= t || expires < created ||
        expires - created > SESSION_CACHE_MAX_LIFETIME)
        return 0;
    if (n == 0 || n > SESSION_CACHE_MAX_SESSION || HEADER_LEN + n != size)
        return 0;
    *len = (size_t)n;
    return 1;
}

/* read_entry - 1 hit, 0 bad entry (to be removed), -1 read error */
static int read_entry(struct session_cache *c, int fd, time_t now, uint8_t *buf,
                      size_t cap, size_t *len, const char **why)
{
    uint8_t head[HEADER_LEN], digest[32];
    struct stat st;
    size_t n = 0;

    if (fstat(fd, &st) != 0) {
        *why = "cannot stat the session cache entry";
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IRWXG | S_IRWXO)) != 0 ||
        st.st_size < (off_t)HEADER_LEN ||
        st.st_size > (off_t)(HEADER_LEN + SESSION_CACHE_MAX_SESSION))
        return 0;
    if (read_all(fd, head, sizeof(head)) != 0) {
        *why = "cannot read the session cache entry";
        return -1;
    }
    if (!entry_ok(c, head, (size_t)st.st_size, now, &n))
        return 0;
    if (n > cap) {
        *why = "session cache entry larger than the buffer";
        return -1;
    }
    if (read_all(fd, buf, n) != 0) {
        *why = "cannot read the session cache entry";
        return -1;
    }
    entry_digest(head, buf, n, digest);
    if (memcmp(digest, head + OFF_DIGEST, sizeof(digest)) != 0)
        return 0;   /* damaged: never hand it to d2i_SSL_SESSION */
    *len = n;
    return 1;
}

int session_cache_get(struct session_cache *c, time_t now, uint8_t *buf,
                      size_t cap, size_t *len, const char **why)
{
    int fd = openat(c->dirfd, c->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int rc;

    *len = 0;
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0 && errno != ELOOP) {
        *why = "cannot open the session cache entry";
        return -1;
    }
    rc = fd < 0 ? 0 : read_entry(c, fd, now, buf, cap, len, why);
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        session_cache_drop(c);  /* expired, unparsable or not ours */
    return rc;
}

/* write_all - all of p to fd; 0 or -1 */
static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* temp_name - ".tmp-<key>-<pid>": unique per process and key */
static void temp_name(const struct session_cache *c, char *out, size_t size)
{
    snprintf(out, size, ".tmp-%s-%ld", c->name, (long)getpid());
}

int session_cache_put(struct session_cache *c, time_t now, unsigned lifetime,
                      const uint8_t *session, size_t len, const char **why)
{
    uint8_t head[HEADER_LEN];
    char tmp[2 * SESSION_CACHE_KEY_LEN + 32];
    uint64_t t = now < 0 ? 0 : (uint64_t)now;
    int fd, rc;

    if (lifetime == 0)
        return 0;
    if (len == 0 || len > SESSION_CACHE_MAX_SESSION) {
        *why = "TLS session too large for the session cache";
        return -1;
    }
    if (lifetime > SESSION_CACHE_MAX_LIFETIME)
        lifetime = SESSION_CACHE_MAX_LIFETIME;
    memcpy(head, MAGIC, MAGIC_LEN);
    memcpy(head + MAGIC_LEN, c->key, SESSION_CACHE_KEY_LEN);
    put_be(head + OFF_CREATED, t, 8);
    put_be(head + OFF_EXPIRES, t + lifetime, 8);
    put_be(head + OFF_LENGTH, len, 4);
    entry_digest(head, session, len, head + OFF_DIGEST);
    temp_name(c, tmp, sizeof(tmp));
    (void)unlinkat(c->dirfd, tmp, 0);   /* left by a dead process of our pid */
    fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *why = "cannot create a session cache entry";
        return -1;
    }
    rc = write_all(fd, head, sizeof(head)) == 0 && write_all(fd, session, len) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    /* rename(2) replaces the entry atomically: readers see old or new */
    if (rc == 0 && renameat(c->dirfd, tmp, c->dirfd, c->name) == 0) {
        if ((t ^ c->key[0]) % SWEEP_EVERY == 0)
            session_cache_sweep(c, now);
        return 0;
    }
    (void)unlinkat(c->dirfd, tmp, 0);
    *why = "cannot write the session cache entry";
    return -1;
}

/* is_ours - an entry name (64 hex digits) or one of our temporary names */
static int is_ours(const char *name)
{
    size_t n = strspn(name, "0123456789abcdef");

    if (n == 2 * SESSION_CACHE_KEY_LEN && name[n] == '\0')
        return 1;
    return strncmp(name, ".tmp-", 5) == 0;
}

void session_cache_sweep(struct session_cache *c, time_t now)
{
    int fd = dup(c->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    struct stat st;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        if (!is_ours(e->d_name) ||
            fstatat(c->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        /* no entry lives longer than the cap: older files are dead */
        if (st.st_mtime + (time_t)SESSION_CACHE_MAX_LIFETIME + CLOCK_SKEW < now)
            (void)unlinkat(c->dirfd, e->d_name, 0);
    }
    closedir(d);
}
