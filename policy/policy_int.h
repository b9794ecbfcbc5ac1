/* policy_int.h - internals of the policy module (not for other modules)
 *
 * arena: every allocation of a table (and of the temporary parse tree)
 * comes from an arena and is released at once with arena_free().
 * ptree: the YAML document as a small tree of scalars, sequences and
 * mappings, each node with its 1-based line and column. ptree_parse()
 * refuses what a policy never needs and an attacker might use: aliases,
 * anchors, tags, tabs, invalid UTF-8, several documents, deep nesting.
 * pkey: destination keys and next-hops in the normalised form used by
 * lookups (lower case, no trailing dot, no ":25", canonical addresses),
 * parsed by nexthop.h.
 */
#ifndef DANE_AGENT_POLICY_INT_H
#define DANE_AGENT_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>

struct arena_block;
struct arena {
    struct arena_block *head;
};

/* arena_alloc - zeroed memory living until arena_free(); NULL: no memory */
void *arena_alloc(struct arena *arena, size_t size);
/* arena_strndup - a NUL-terminated copy of len bytes */
char *arena_strndup(struct arena *arena, const char *s, size_t len);
/* arena_free - release every block; the arena is empty afterwards */
void arena_free(struct arena *arena);

enum pnode_type {
    PNODE_SCALAR,
    PNODE_SEQUENCE,
    PNODE_MAPPING,
};

struct pnode {
    enum pnode_type type;
    unsigned line, col;         /* 1-based, columns in characters */
    int plain;                  /* scalar written without quotes */
    const char *text;           /* scalar: its bytes (NUL-terminated, may
                                 * contain NUL from "\0" escapes) */
    size_t len;
    struct pnode *child;        /* sequence: items; mapping: key, value,
                                 * key, value, ... */
    struct pnode *next;
    size_t nchildren;
};

/* A parse error: position (line 0 when there is none) and message. */
struct perror {
    unsigned line, col;
    char msg[200];
};

/* ptree_parse - the one document of text as a tree; NULL with *err set.
 * An empty stream returns NULL with err->msg "the file is empty". */
struct pnode *ptree_parse(struct arena *arena, const uint8_t *text,
                          size_t len, struct perror *err);

/* ptree_type_name - "a string", "a list", "a mapping" */
const char *ptree_type_name(const struct pnode *node);

/* A parsed destination key or next-hop. */
enum pkey_kind {
    PKEY_DOMAIN,                /* example.com or example.com:587 */
    PKEY_PARENT,                /* .example.com */
    PKEY_BRACKET,               /* [host] or [host]:587 */
};

#define PKEY_MAX 280            /* "[" 253 "]:" 65535, canonical IPv6 */

struct pkey {
    enum pkey_kind kind;
    char norm[PKEY_MAX];        /* normalised key: the lookup string */
    size_t host_off, host_len;  /* the name or address inside norm */
    size_t noport_len;          /* length of norm without ":port" */
    uint16_t port;              /* 25 when absent */
};

/* pkey_parse - parse len bytes of a key (allow_parent) or next-hop;
 * 0, or -1 with *why set to a static reason */
int pkey_parse(const char *text, size_t len, int allow_parent,
               struct pkey *out, const char **why);

#endif
