/* json.c - bounded JSON writer (RFC 8259); contract in json.h */
#include "json.h"

#include "hex.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

enum json_frame { JSON_OBJECT, JSON_ARRAY };

struct json {
    char *buf;
    size_t len;                 /* bytes written, without the NUL */
    size_t cap;                 /* allocated bytes */
    size_t max;                 /* ceiling for len */
    const char *err;            /* first error (static), sticky */
    size_t depth;
    enum json_frame frame[JSON_MAX_DEPTH];
    size_t count[JSON_MAX_DEPTH];   /* members or elements so far */
    int key_pending;            /* inside an object: a key awaits its value */
    int top_done;               /* the top-level value is complete */
};

/* json_new - empty writer with a ceiling */
struct json *json_new(size_t max)
{
    struct json *j = calloc(1, sizeof(*j));

    if (j == NULL)
        return NULL;
    j->max = max;
    return j;
}

/* json_free - release */
void json_free(struct json *j)
{
    if (j == NULL)
        return;
    free(j->buf);
    free(j);
}

static void fail(struct json *j, const char *why)
{
    if (j->err == NULL)
        j->err = why;
}

/* grow - room for n more bytes plus the NUL, within the ceiling */
static int grow(struct json *j, size_t n)
{
    size_t want, cap;
    char *p;

    if (n > j->max || j->len > j->max - n) {
        fail(j, "JSON record exceeds its size limit");
        return -1;
    }
    want = j->len + n + 1;
    if (want <= j->cap)
        return 0;
    cap = j->cap ? j->cap : 256;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    p = realloc(j->buf, cap);
    if (p == NULL) {
        fail(j, "out of memory for the JSON record");
        return -1;
    }
    j->buf = p;
    j->cap = cap;
    return 0;
}

static void put(struct json *j, const char *p, size_t n)
{
    if (j->err != NULL || grow(j, n) < 0)
        return;
    memcpy(j->buf + j->len, p, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void putc1(struct json *j, char c)
{
    put(j, &c, 1);
}

/* begin_value - the separator a value needs where it stands; -1 when no
 * value may stand here */
static int begin_value(struct json *j)
{
    if (j->err != NULL)
        return -1;
    if (j->depth == 0) {
        if (j->top_done) {
            fail(j, "JSON: a second top-level value");
            return -1;
        }
        return 0;
    }
    if (j->frame[j->depth - 1] == JSON_OBJECT) {
        if (!j->key_pending) {
            fail(j, "JSON: object member without a key");
            return -1;
        }
        j->key_pending = 0;
        return 0;
    }
    if (j->count[j->depth - 1]++ > 0)
        putc1(j, ',');
    return 0;
}

/* end_value - a complete value was written */
static void end_value(struct json *j)
{
    if (j->depth == 0)
        j->top_done = 1;
}

static void open_frame(struct json *j, enum json_frame f, char c)
{
    if (begin_value(j) < 0)
        return;
    if (j->depth == JSON_MAX_DEPTH) {
        fail(j, "JSON: nesting too deep");
        return;
    }
    j->frame[j->depth] = f;
    j->count[j->depth] = 0;
    j->depth++;
    putc1(j, c);
}

static void close_frame(struct json *j, enum json_frame f, char c)
{
    if (j->err != NULL)
        return;
    if (j->depth == 0 || j->frame[j->depth - 1] != f || j->key_pending) {
        fail(j, "JSON: unbalanced end of container");
        return;
    }
    j->depth--;
    putc1(j, c);
    end_value(j);
}

void json_object_begin(struct json *j) { open_frame(j, JSON_OBJECT, '{'); }
void json_object_end(struct json *j) { close_frame(j, JSON_OBJECT, '}'); }
void json_array_begin(struct json *j) { open_frame(j, JSON_ARRAY, '['); }
void json_array_end(struct json *j) { close_frame(j, JSON_ARRAY, ']'); }

/* put_escaped - one ASCII byte that needs an escape (RFC 8259 §7) */
static void put_escaped(struct json *j, unsigned char c)
{
    char u[6] = {'\\', 'u', '0', '0', hex_digit(c >> 4, HEX_LOWER),
                 hex_digit(c, HEX_LOWER)};

    switch (c) {
    case '"': put(j, "\\\"", 2); break;
    case '\\': put(j, "\\\\", 2); break;
    case '\n': put(j, "\\n", 2); break;
    case '\r': put(j, "\\r", 2); break;
    case '\t': put(j, "\\t", 2); break;
    case '\b': put(j, "\\b", 2); break;
    case '\f': put(j, "\\f", 2); break;
    default: put(j, u, sizeof(u)); break;
    }
}

static void put_string(struct json *j, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run;

    putc1(j, '"');
    while (i < n && j->err == NULL) {
        /* copy the longest run that needs no escape at once */
        for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x7f &&
                      p[run] != '"' && p[run] != '\\'; run++)
            ;
        put(j, s + i, run - i);
        i = run;
        if (i == n)
            break;
        if (p[i] < 0x80) {
            put_escaped(j, p[i]);
            i++;
        } else if ((run = utf8_len(p + i, n - i)) > 0) {
            put(j, s + i, run);
            i += run;
        } else {
            put(j, "\\ufffd", 6);   /* RFC 8259 §8.1: UTF-8 only */
            i++;
        }
    }
    putc1(j, '"');
}

/* json_key - member name */
void json_key(struct json *j, const char *key)
{
    if (j->err != NULL)
        return;
    if (j->depth == 0 || j->frame[j->depth - 1] != JSON_OBJECT ||
        j->key_pending) {
        fail(j, "JSON: key outside an object or without a value");
        return;
    }
    if (j->count[j->depth - 1]++ > 0)
        putc1(j, ',');
    put_string(j, key, strlen(key));
    putc1(j, ':');
    j->key_pending = 1;
}

void json_string_n(struct json *j, const char *s, size_t n)
{
    if (begin_value(j) < 0)
        return;
    put_string(j, s, n);
    end_value(j);
}

void json_string(struct json *j, const char *s)
{
    if (s == NULL)
        json_null(j);
    else
        json_string_n(j, s, strlen(s));
}

static void put_digits(struct json *j, uint64_t v)
{
    char d[20];
    size_t i = sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    put(j, d + i, sizeof(d) - i);
}

void json_uint(struct json *j, uint64_t v)
{
    if (begin_value(j) < 0)
        return;
    put_digits(j, v);
    end_value(j);
}

void json_int(struct json *j, int64_t v)
{
    if (begin_value(j) < 0)
        return;
    if (v < 0) {
        putc1(j, '-');
        put_digits(j, (uint64_t)(-(v + 1)) + 1u);
    } else
        put_digits(j, (uint64_t)v);
    end_value(j);
}

static void put_literal(struct json *j, const char *lit)
{
    if (begin_value(j) < 0)
        return;
    put(j, lit, strlen(lit));
    end_value(j);
}

void json_bool(struct json *j, int v) { put_literal(j, v ? "true" : "false"); }
void json_null(struct json *j) { put_literal(j, "null"); }

/* json_text - finished text or NULL with the reason */
const char *json_text(struct json *j, size_t *len, const char **why)
{
    if (j->err == NULL && (j->depth != 0 || !j->top_done))
        fail(j, "JSON: incomplete value");
    if (j->err != NULL) {
        *why = j->err;
        return NULL;
    }
    *len = j->len;
    return j->buf;
}
