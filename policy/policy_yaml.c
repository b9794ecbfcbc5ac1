/* policy_yaml.c - arena and YAML reading for the policy table
 *
 * SYNOPSIS
 *   ptree_parse(arena, text, len, err)  one document as a tree (policy_int.h)
 *
 * DESCRIPTION
 *   The text is first checked byte by byte (strict UTF-8, no control
 *   characters, no tabs, no Unicode line separators that would make
 *   libyaml's line numbers differ from an editor's), then parsed with
 *   libyaml's event API into a tree of pnodes carrying 1-based positions.
 *   Aliases, anchors and tags are refused outright (the simplest defence
 *   against alias bombs, and a policy needs none of them); so are a second
 *   document, nesting deeper than PTREE_MAX_DEPTH and more than
 *   PTREE_MAX_NODES nodes.
 *
 * DIAGNOSTICS
 *   Every error fills a struct perror with its position and one sentence.
 */
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "policy_int.h"
#include "utf8.h"

#define PTREE_MAX_DEPTH 8       /* a policy needs 4: top, section, entry, list */
#define PTREE_MAX_NODES 100000  /* far above any 1 MiB policy's real needs */
#define ARENA_BLOCK 8192

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

/* arena_alloc - bump allocation, a new block when the current one is full */
void *arena_alloc(struct arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t need = (size + align - 1) / align * align;
    struct arena_block *b = arena->head;

    if (need < size)
        return NULL;
    if (b == NULL || b->size - b->used < need) {
        size_t bsize = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        b = malloc(sizeof(*b) + bsize);
        if (b == NULL)
            return NULL;
        b->size = bsize;
        b->used = 0;
        b->next = arena->head;
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    memset(p, 0, size);
    return p;
}

/* arena_strndup - NUL-terminated copy */
char *arena_strndup(struct arena *arena, const char *s, size_t len)
{
    char *p = len + 1 > len ? arena_alloc(arena, len + 1) : NULL;

    if (p != NULL && len > 0)
        memcpy(p, s, len);
    return p;
}

/* arena_free - release all blocks */
void arena_free(struct arena *arena)
{
    struct arena_block *b = arena->head;

    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
}

/* seterr - fill an error */
static void seterr(struct perror *err, unsigned line, unsigned col,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void seterr(struct perror *err, unsigned line, unsigned col,
                   const char *fmt, ...)
{
    va_list ap;

    err->line = line;
    err->col = col;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/* char_problem - why a code point may not appear in a policy, or NULL */
static const char *char_problem(uint32_t c)
{
    if (c == '\t')
        return "tab character: YAML indentation must use spaces";
    if (c < 0x20 && c != '\n' && c != '\r')
        return "control character";
    if (c == 0x7F || (c >= 0x80 && c <= 0x9F))
        return "control character";
    if (c == 0x2028 || c == 0x2029)
        return "Unicode line separator";
    if (c == 0xFEFF)
        return "byte order mark inside the text";
    if (c == 0xFFFE || c == 0xFFFF)
        return "Unicode non-character";
    return NULL;
}

/* prescan - the byte-level checks; 0 or -1 with err */
static int prescan(const uint8_t *text, size_t len, struct perror *err)
{
    unsigned line = 1, col = 1;
    size_t i = 0;

    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;                  /* a leading BOM is allowed (YAML 1.1 §5.2) */
    while (i < len) {
        uint32_t c;
        size_t n = utf8_decode(text + i, len - i, &c);
        const char *why;

        if (n == 0) {
            seterr(err, line, col, "invalid UTF-8 (byte 0x%02X): a policy "
                   "is UTF-8 text", text[i]);
            return -1;
        }
        why = char_problem(c);
        if (why != NULL) {
            seterr(err, line, col, "%s (U+%04X) is not allowed", why,
                   (unsigned)c);
            return -1;
        }
        i += n;
        if (c == '\n' || (c == '\r' && (i == len || text[i] != '\n'))) {
            line++;
            col = 1;
        } else if (c != '\r') {
            col++;
        }
    }
    return 0;
}

struct builder {
    struct arena *arena;
    struct perror *err;
    struct pnode *stack[PTREE_MAX_DEPTH];
    struct pnode *last[PTREE_MAX_DEPTH];    /* last child of stack[i] */
    size_t depth;
    size_t nodes;
    struct pnode *root;
    unsigned documents;
};

/* mark_line, mark_col - libyaml's 0-based marks as ours */
static unsigned mark_line(yaml_mark_t m)
{
    return m.line + 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu : (unsigned)(m.line + 1);
}

static unsigned mark_col(yaml_mark_t m)
{
    return m.column + 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu : (unsigned)(m.column + 1);
}

/* add_node - a new node attached to the open collection (or the root) */
static struct pnode *add_node(struct builder *b, enum pnode_type type,
                              yaml_mark_t mark)
{
    struct pnode *n;

    if (++b->nodes > PTREE_MAX_NODES) {
        seterr(b->err, mark_line(mark), mark_col(mark),
               "too many YAML nodes (more than %d)", PTREE_MAX_NODES);
        return NULL;
    }
    n = arena_alloc(b->arena, sizeof(*n));
    if (n == NULL) {
        seterr(b->err, mark_line(mark), mark_col(mark), "out of memory");
        return NULL;
    }
    n->type = type;
    n->line = mark_line(mark);
    n->col = mark_col(mark);
    if (b->depth == 0) {
        b->root = n;
    } else {
        struct pnode *parent = b->stack[b->depth - 1];
        if (b->last[b->depth - 1] == NULL)
            parent->child = n;
        else
            b->last[b->depth - 1]->next = n;
        b->last[b->depth - 1] = n;
        parent->nchildren++;
    }
    return n;
}

/* refuse_decorations - anchors and tags are not part of a policy */
static int refuse_decorations(struct builder *b, const yaml_event_t *ev,
                              const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor != NULL) {
        seterr(b->err, mark_line(ev->start_mark), mark_col(ev->start_mark),
               "YAML anchors (&%.40s) are not allowed in a policy",
               (const char *)anchor);
        return -1;
    }
    if (tag != NULL) {
        seterr(b->err, mark_line(ev->start_mark), mark_col(ev->start_mark),
               "YAML tags (%.40s) are not allowed in a policy",
               (const char *)tag);
        return -1;
    }
    return 0;
}

/* open_collection - push a sequence or mapping */
static int open_collection(struct builder *b, const yaml_event_t *ev,
                           enum pnode_type type)
{
    struct pnode *n;

    if (b->depth >= PTREE_MAX_DEPTH) {
        seterr(b->err, mark_line(ev->start_mark), mark_col(ev->start_mark),
               "nesting deeper than %d levels", PTREE_MAX_DEPTH);
        return -1;
    }
    n = add_node(b, type, ev->start_mark);
    if (n == NULL)
        return -1;
    b->stack[b->depth] = n;
    b->last[b->depth] = NULL;
    b->depth++;
    return 0;
}

/* add_scalar - a scalar node with a copy of its text */
static int add_scalar(struct builder *b, const yaml_event_t *ev)
{
    struct pnode *n = add_node(b, PNODE_SCALAR, ev->start_mark);

    if (n == NULL)
        return -1;
    n->len = ev->data.scalar.length;
    n->text = arena_strndup(b->arena, (const char *)ev->data.scalar.value,
                            n->len);
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (n->text == NULL) {
        seterr(b->err, n->line, n->col, "out of memory");
        return -1;
    }
    return 0;
}

/* on_event - one libyaml event into the tree; 1 at stream end, 0, -1 */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_NO_EVENT:
        return 0;
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1) {
            seterr(b->err, mark_line(ev->start_mark), mark_col(ev->start_mark),
                   "several YAML documents: a policy is one document");
            return -1;
        }
        return 0;
    case YAML_ALIAS_EVENT:
        seterr(b->err, mark_line(ev->start_mark), mark_col(ev->start_mark),
               "YAML aliases (*%.40s) are not allowed in a policy",
               (const char *)ev->data.alias.anchor);
        return -1;
    case YAML_SCALAR_EVENT:
        if (refuse_decorations(b, ev, ev->data.scalar.anchor,
                               ev->data.scalar.tag) < 0)
            return -1;
        return add_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        if (refuse_decorations(b, ev, ev->data.sequence_start.anchor,
                               ev->data.sequence_start.tag) < 0)
            return -1;
        return open_collection(b, ev, PNODE_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        if (refuse_decorations(b, ev, ev->data.mapping_start.anchor,
                               ev->data.mapping_start.tag) < 0)
            return -1;
        return open_collection(b, ev, PNODE_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            b->depth--;
        return 0;
    }
    return 0;
}

/* offset_position - line and column of a byte offset (reader errors) */
static void offset_position(const uint8_t *text, size_t len, size_t off,
                            unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else if ((text[i] & 0xC0) != 0x80) {
            ++*col;
        }
    }
}

/* bracket_key_line - does the line holding offset start with "[" (after
 * spaces)? An unquoted "[host]:port" key is a flow sequence to YAML. */
static int bracket_key_line(const uint8_t *text, size_t len, size_t offset)
{
    size_t start = offset < len ? offset : len;

    while (start > 0 && text[start - 1] != '\n')
        start--;
    while (start < len && text[start] == ' ')
        start++;
    return start < len && text[start] == '[';
}

/* parser_error - libyaml's problem as our error */
static void parser_error(const yaml_parser_t *parser, const uint8_t *text,
                         size_t len, struct perror *err)
{
    const char *problem = parser->problem ? parser->problem : "YAML error";
    unsigned line, col;

    if (parser->error == YAML_READER_ERROR) {
        offset_position(text, len, parser->problem_offset, &line, &col);
    } else {
        line = mark_line(parser->problem_mark);
        col = mark_col(parser->problem_mark);
    }
    seterr(err, line, col, "YAML syntax: %s%s%s%s", problem,
           parser->context ? " " : "",
           parser->context ? parser->context : "",
           parser->error != YAML_READER_ERROR &&
           bracket_key_line(text, len, parser->problem_mark.index)
           ? " (quote keys that start with \"[\", e.g. \"[mx.example]:587\")"
           : "");
}

/* ptree_parse - see policy_int.h */
struct pnode *ptree_parse(struct arena *arena, const uint8_t *text,
                          size_t len, struct perror *err)
{
    struct builder b = {.arena = arena, .err = err};
    yaml_parser_t parser;
    int done = 0;

    if (prescan(text, len, err) < 0)
        return NULL;
    if (!yaml_parser_initialize(&parser)) {
        seterr(err, 1, 1, "out of memory");
        return NULL;
    }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&parser, text, len);
    while (done == 0) {
        yaml_event_t ev;

        if (!yaml_parser_parse(&parser, &ev)) {
            parser_error(&parser, text, len, err);
            done = -1;
            break;
        }
        done = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (done < 0)
        return NULL;
    if (b.root == NULL) {
        seterr(err, 1, 1, "the file is empty: a policy is a mapping with "
               "dns, defaults and destinations");
        return NULL;
    }
    return b.root;
}

/* ptree_type_name - for "expected X, found Y" */
const char *ptree_type_name(const struct pnode *node)
{
    switch (node->type) {
    case PNODE_SCALAR:
        return "a scalar";
    case PNODE_SEQUENCE:
        return "a list";
    case PNODE_MAPPING:
        return "a mapping";
    }
    return "a node";
}
