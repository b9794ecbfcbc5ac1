/* cache_store.c - a directory of checked entries shared between processes
 *                 (cache_store.h)
 *
 * SYNOPSIS
 *   cache_store_open(dir, kind, why) ... cache_store_close(s)
 *   cache_store_get(s, key, now, buf, cap, len, why)
 *   cache_store_put(s, key, now, lifetime, data, len, why)
 *   cache_store_drop(s, key), cache_store_sweep(s, now)
 *   cache_store_name(key, out)
 *
 * DESCRIPTION
 *   The entry layout is in cache_store.h. Reasons are static strings that
 *   name the kind: a table below holds one row per known kind name (built
 *   from the name by one macro), and a kind not in it gets the row of
 *   plain "cache". A checked digest keeps damaged bytes from the caller's
 *   parser: wolfSSL 5.5.4's d2i_SSL_SESSION crashes on some malformed
 *   sessions (found by fuzz_session_cache).
 */
#include "cache_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "hex.h"
#include "io.h"

#define MAGIC_LEN CACHE_STORE_MAGIC_LEN
#define OFF_CREATED (MAGIC_LEN + CACHE_STORE_KEY_LEN)
#define OFF_EXPIRES (OFF_CREATED + 8u)
#define OFF_LENGTH (OFF_EXPIRES + 8u)
#define OFF_DIGEST (OFF_LENGTH + 4u)
#define HEADER_LEN (OFF_DIGEST + 32u)
#define NAME_LEN (2 * CACHE_STORE_KEY_LEN)
#define TMP_PREFIX ".tmp-"
#define SWEEP_EVERY 32  /* about one put in SWEEP_EVERY sweeps the directory */

_Static_assert(HEADER_LEN == CACHE_STORE_HEADER_LEN, "entry header layout");

/* Every reason the store gives, for one kind name. */
struct texts {
    const char *what;
    const char *no_dir, *not_dir_or_link, *cannot_create_dir, *cannot_open_dir, *not_dir,
        *not_owned, *writable, *out_of_memory, *cannot_open, *cannot_stat, *cannot_read,
        *too_big_for_buffer, *bad_size, *cannot_create, *cannot_write, *damaged;
};

#define TEXTS(w) {                                                              \
    w, "no " w " directory", w " is not a directory (or is a symbolic link)",   \
    w " directory cannot be created", w " directory cannot be opened",          \
    w " is not a directory",                                                    \
    w " directory is not owned by the user dane-agent runs as",                 \
    w " directory is writable by group or others (want mode 0700)",             \
    w ": out of memory", "cannot open the " w " entry",                         \
    "cannot stat the " w " entry", "cannot read the " w " entry",               \
    w " entry larger than the buffer",                                          \
    "entry empty or too large for the " w, "cannot create a " w " entry",       \
    "cannot write the " w " entry",                                             \
    w " entry damaged or not ours (removed)" }

static const struct texts texts_table[] = {
    TEXTS("session cache"),
    TEXTS("DNS cache"),
    TEXTS("MTA-STS cache"),
};
static const struct texts texts_other = TEXTS("cache");

struct cache_store {
    int dirfd;
    const struct cache_store_kind *kind;
    const struct texts *t;
};

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

static uint64_t clock_of(time_t now)
{
    return now < 0 ? 0 : (uint64_t)now;
}

void cache_store_name(const uint8_t key[CACHE_STORE_KEY_LEN], char out[NAME_LEN + 1])
{
    hex_encode(key, CACHE_STORE_KEY_LEN, out, HEX_LOWER);
}

/* ---- directory ---- */

/* texts_for - the reasons naming this kind */
static const struct texts *texts_for(const struct cache_store_kind *kind)
{
    for (size_t i = 0; i < sizeof(texts_table) / sizeof(texts_table[0]); i++)
        if (strcmp(texts_table[i].what, kind->what) == 0)
            return &texts_table[i];
    return &texts_other;
}

/* check_kind - a kind that cannot describe entries is a programmer error */
static void check_kind(const struct cache_store_kind *kind)
{
    if (kind == NULL || kind->magic == NULL || strlen(kind->magic) != MAGIC_LEN ||
        kind->what == NULL || kind->max_lifetime == 0 || kind->max_size == 0 ||
        (uint64_t)kind->max_size > 0xffffffffu) {
        fprintf(stderr, "cache_store_open: invalid cache kind\n");
        abort();
    }
}

/* open_dir - the cache directory, created 0700 when missing, checked */
static int open_dir(const char *dir, const struct texts *t, const char **why)
{
    struct stat st;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *why = errno == ENOTDIR || errno == ELOOP ? t->not_dir_or_link
            : errno == ENOENT ? t->cannot_create_dir : t->cannot_open_dir;
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))
        *why = t->not_dir;
    else if (st.st_uid != geteuid())
        *why = t->not_owned;
    else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        *why = t->writable;
    else
        return fd;
    close(fd);
    return -1;
}

struct cache_store *cache_store_open(const char *dir, const struct cache_store_kind *kind,
                                     const char **why)
{
    const struct texts *t;
    struct cache_store *s;
    int fd;

    check_kind(kind);
    t = texts_for(kind);
    if (dir == NULL || dir[0] == '\0') {
        *why = t->no_dir;
        return NULL;
    }
    fd = open_dir(dir, t, why);
    if (fd < 0)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        close(fd);
        *why = t->out_of_memory;
        return NULL;
    }
    s->dirfd = fd;
    s->kind = kind;
    s->t = t;
    return s;
}

void cache_store_close(struct cache_store *s)
{
    if (s == NULL)
        return;
    close(s->dirfd);
    free(s);
}

void cache_store_drop(struct cache_store *s, const uint8_t key[CACHE_STORE_KEY_LEN])
{
    char name[NAME_LEN + 1];

    if (s == NULL)
        return;
    cache_store_name(key, name);
    (void)unlinkat(s->dirfd, name, 0);
}

/* ---- entries ---- */

/* entry_digest - SHA-256 over the header up to the digest and the payload */
static void entry_digest(const uint8_t *head, const uint8_t *data, size_t len, uint8_t out[32])
{
    struct digest_sha256 sha;

    digest_sha256_begin(&sha);
    digest_sha256_update(&sha, head, OFF_DIGEST);
    digest_sha256_update(&sha, data, len);
    digest_sha256_end(&sha, out);
}

/* entry_ok - the header agrees with the kind, the key, the clock and the
 * file size; the payload's length through *len. A bad header sets *why; an
 * entry that merely expired does not. */
static int entry_ok(const struct cache_store *s, const uint8_t *key, const uint8_t *h,
                    size_t size, time_t now, size_t *len, const char **why)
{
    uint64_t created = get_be(h + OFF_CREATED, 8);
    uint64_t expires = get_be(h + OFF_EXPIRES, 8);
    uint64_t n = get_be(h + OFF_LENGTH, 4);
    uint64_t t = clock_of(now);

    if (memcmp(h, s->kind->magic, MAGIC_LEN) != 0 ||
        memcmp(h + MAGIC_LEN, key, CACHE_STORE_KEY_LEN) != 0 ||
        created > t + CACHE_STORE_CLOCK_SKEW || expires < created ||
        expires - created > s->kind->max_lifetime ||
        n == 0 || n > s->kind->max_size || HEADER_LEN + n != size) {
        *why = s->t->damaged;
        return 0;
    }
    if (expires <= t)
        return 0;
    *len = (size_t)n;
    return 1;
}

/* regular_ours - a regular file of the effective user, no group or other
 * bits */
static int regular_ours(const struct stat *st)
{
    return S_ISREG(st->st_mode) && st->st_uid == geteuid() &&
           (st->st_mode & (S_IRWXG | S_IRWXO)) == 0;
}

/* read_entry - 1 hit, 0 bad entry (to be removed; *why set unless it merely
 * expired), -1 read error */
static int read_entry(const struct cache_store *s, const uint8_t *key, int fd, time_t now,
                      uint8_t *buf, size_t cap, size_t *len, const char **why)
{
    uint8_t head[HEADER_LEN], digest[32];
    struct stat st;
    size_t n = 0;

    if (fstat(fd, &st) != 0) {
        *why = s->t->cannot_stat;
        return -1;
    }
    if (!regular_ours(&st) || st.st_size < (off_t)HEADER_LEN ||
        (uint64_t)st.st_size > HEADER_LEN + (uint64_t)s->kind->max_size) {
        *why = s->t->damaged;
        return 0;
    }
    if (io_read_all(fd, head, sizeof(head)) != 0) {
        *why = s->t->cannot_read;
        return -1;
    }
    if (!entry_ok(s, key, head, (size_t)st.st_size, now, &n, why))
        return 0;
    if (n > cap) {
        *why = s->t->too_big_for_buffer;
        return -1;
    }
    if (io_read_all(fd, buf, n) != 0) {
        *why = s->t->cannot_read;
        return -1;
    }
    entry_digest(head, buf, n, digest);
    if (memcmp(digest, head + OFF_DIGEST, sizeof(digest)) != 0) {
        *why = s->t->damaged;   /* never hand it to the caller's parser */
        return 0;
    }
    *len = n;
    return 1;
}

int cache_store_get(struct cache_store *s, const uint8_t key[CACHE_STORE_KEY_LEN], time_t now,
                    uint8_t *buf, size_t cap, size_t *len, const char **why)
{
    char name[NAME_LEN + 1];
    int fd, rc;

    *len = 0;
    cache_store_name(key, name);
    fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0 && errno != ELOOP) {
        *why = s->t->cannot_open;
        return -1;
    }
    if (fd < 0)
        *why = s->t->damaged;   /* a symbolic link: never followed */
    rc = fd < 0 ? 0 : read_entry(s, key, fd, now, buf, cap, len, why);
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        (void)unlinkat(s->dirfd, name, 0);  /* expired, damaged or not ours */
    return rc;
}

/* write_entry - header and payload to a new temporary file renamed over
 * name; 0 or -1 with *why */
static int write_entry(const struct cache_store *s, const char *name, const uint8_t *head,
                       const uint8_t *data, size_t len, const char **why)
{
    char tmp[sizeof(TMP_PREFIX) + NAME_LEN + 24];
    int fd, rc;

    /* ".tmp-<key>-<pid>": unique per process and key */
    snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s-%ld", name, (long)getpid());
    (void)unlinkat(s->dirfd, tmp, 0);   /* left by a dead process of our pid */
    fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *why = s->t->cannot_create;
        return -1;
    }
    rc = io_write_all(fd, head, HEADER_LEN) == 0 && io_write_all(fd, data, len) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    /* rename(2) replaces the entry atomically: readers see old or new */
    if (rc == 0 && renameat(s->dirfd, tmp, s->dirfd, name) == 0)
        return 0;
    (void)unlinkat(s->dirfd, tmp, 0);
    *why = s->t->cannot_write;
    return -1;
}

int cache_store_put(struct cache_store *s, const uint8_t key[CACHE_STORE_KEY_LEN], time_t now,
                    unsigned lifetime, const uint8_t *data, size_t len, const char **why)
{
    uint8_t head[HEADER_LEN];
    char name[NAME_LEN + 1];
    uint64_t t = clock_of(now);

    if (lifetime == 0)
        return 0;
    if (len == 0 || len > s->kind->max_size) {
        *why = s->t->bad_size;
        return -1;
    }
    if (lifetime > s->kind->max_lifetime)
        lifetime = s->kind->max_lifetime;
    memcpy(head, s->kind->magic, MAGIC_LEN);
    memcpy(head + MAGIC_LEN, key, CACHE_STORE_KEY_LEN);
    put_be(head + OFF_CREATED, t, 8);
    put_be(head + OFF_EXPIRES, t + lifetime, 8);
    put_be(head + OFF_LENGTH, len, 4);
    entry_digest(head, data, len, head + OFF_DIGEST);
    cache_store_name(key, name);
    if (write_entry(s, name, head, data, len, why) != 0)
        return -1;
    if ((t ^ key[0]) % SWEEP_EVERY == 0)
        cache_store_sweep(s, now);
    return 0;
}

/* ---- sweeping ---- */

/* is_entry_name - 64 lower-case hex digits */
static int is_entry_name(const char *name)
{
    size_t n = strspn(name, "0123456789abcdef");

    return n == NAME_LEN && name[n] == '\0';
}

/* live_other_kind - the entry name holds a full header of another kind
 * whose own expiry is still ahead: that kind's sweep decides, since its
 * lifetime cap may be longer than ours */
static int live_other_kind(const struct cache_store *s, const char *name, time_t now)
{
    uint8_t head[HEADER_LEN];
    struct stat st;
    int fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int live = 0;

    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && regular_ours(&st) && io_read_all(fd, head, sizeof(head)) == 0)
        live = memcmp(head, s->kind->magic, MAGIC_LEN) != 0 &&
               get_be(head + OFF_EXPIRES, 8) > clock_of(now);
    close(fd);
    return live;
}

void cache_store_sweep(struct cache_store *s, time_t now)
{
    time_t dead = (time_t)s->kind->max_lifetime + CACHE_STORE_CLOCK_SKEW;
    int fd = dup(s->dirfd);
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
        int entry = is_entry_name(e->d_name);
        if ((!entry && strncmp(e->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) != 0) ||
            fstatat(s->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        /* no entry of ours lives longer than the cap: older files are dead */
        if (st.st_mtime + dead < now && !(entry && live_other_kind(s, e->d_name, now)))
            (void)unlinkat(s->dirfd, e->d_name, 0);
    }
    closedir(d);
}
