/* json.h - a small bounded JSON writer (RFC 8259) for the JSON Lines reports
 *
 * Builds one JSON text in memory, never past the ceiling given to
 * json_new(): growing beyond it is an error, not a reallocation without end
 * (a thousand recipients with long server replies stay bounded). Errors are
 * sticky: after the first one every call is a no-op and json_text() returns
 * NULL with the reason, so a caller writes a whole record or nothing.
 *
 * Strings: RFC 8259 §7: '"', '\\' and every control character are escaped
 * (\n \r \t \b \f, else \u00XX; DEL as \u007f too); the input must be UTF-8
 * (RFC 8259 §8.1): an invalid or overlong sequence, a surrogate or a code
 * point above U+10FFFF is replaced by U+FFFD, so the output is always valid
 * JSON whatever bytes the peer sent. Nesting is checked: a value where a key
 * is due, a key outside an object, or an unbalanced end is an error.
 *
 * Ownership: json_new() returns an owned writer; json_free(NULL) is a no-op.
 * The text returned by json_text() is owned by the writer and lives until the
 * next call on it or json_free().
 */
#ifndef DANE_AGENT_JSON_H
#define DANE_AGENT_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json;

/* json_new - an empty writer whose text may grow to max bytes; NULL when out
 * of memory */
struct json *json_new(size_t max);
/* json_free - release; NULL is a no-op */
void json_free(struct json *j);

/* json_object_begin, json_object_end, json_array_begin, json_array_end -
 * open and close containers (at most JSON_MAX_DEPTH deep) */
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* json_key - the next member's name (inside an object, before its value) */
void json_key(struct json *j, const char *key);

/* json_string - a string value; NULL writes null */
void json_string(struct json *j, const char *s);
/* json_string_n - a string value of n bytes (need not be NUL-terminated) */
void json_string_n(struct json *j, const char *s, size_t n);
/* json_uint, json_int, json_bool, json_null - scalar values */
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* json_text - the finished text (NUL-terminated, *len bytes without the NUL)
 * when every container is closed and no error happened; else NULL and *why */
const char *json_text(struct json *j, size_t *len, const char **why);

#endif
