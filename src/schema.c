/* schema.c: compile a schema document into the node tree of schema_int.h:
 * one node per schema location (keywords read by schema_keywords.c), $refs
 * resolved to node pointers, cycles that never consume input refused. Owns
 * the tree; validation and generation only read it. */
#include "schema.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema_int.h"

const char *sc_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "value";
}

int sc_bad(struct cctx *c, int code, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    GB_FAIL(c->err, code, "%s: %s", path && path[0] ? path : "(root)", msg);
    gb_err_at(c->err, c->source, 0, 0);
    return code;
}

/* path + "/" + escaped segment, new string (NULL when out of memory). */
char *sc_path_join(const char *path, const char *seg, size_t seglen)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    if (buf_puts(&b, path) || buf_putc(&b, '/'))
        goto fail;
    for (size_t i = 0; i < seglen; i++) {
        int rc = seg[i] == '~'   ? buf_puts(&b, "~0")
                 : seg[i] == '/' ? buf_puts(&b, "~1")
                                 : buf_putc(&b, seg[i]);
        if (rc)
            goto fail;
    }
    if (!b.data && buf_reserve(&b, 1))
        goto fail;
    return buf_detach(&b, NULL);
fail:
    buf_free(&b);
    return NULL;
}

/* ---- json value -> node map ------------------------------------------------- */

static size_t ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0xed5ad4bbU;
    x ^= x >> 11;
    return (size_t)x;
}

static struct snode *map_get(const struct cctx *c, const json_t *key)
{
    if (!c->mapcap)
        return NULL;
    for (size_t i = ptr_hash(key) & (c->mapcap - 1);; i = (i + 1) & (c->mapcap - 1)) {
        if (!c->map[i].key)
            return NULL;
        if (c->map[i].key == key)
            return c->map[i].node;
    }
}

static int map_put(struct cctx *c, const json_t *key, struct snode *node)
{
    if ((c->mapn + 1) * 2 > c->mapcap) {
        size_t ncap = c->mapcap ? c->mapcap * 2 : 64;
        struct mapent *nm = calloc(ncap, sizeof *nm);
        if (!nm)
            return GB_ENOMEM;
        for (size_t j = 0; j < c->mapcap; j++) {
            if (!c->map[j].key)
                continue;
            size_t i = ptr_hash(c->map[j].key) & (ncap - 1);
            while (nm[i].key)
                i = (i + 1) & (ncap - 1);
            nm[i] = c->map[j];
        }
        free(c->map);
        c->map = nm;
        c->mapcap = ncap;
    }
    size_t i = ptr_hash(key) & (c->mapcap - 1);
    while (c->map[i].key)
        i = (i + 1) & (c->mapcap - 1);
    c->map[i].key = key;
    c->map[i].node = node;
    c->mapn++;
    return 0;
}

static int new_node(struct cctx *c, const json_t *js, const char *path, struct snode **out)
{
    struct schema *s = c->s;
    if (s->nnodes == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 32;
        struct snode **nn = realloc(s->nodes, ncap * sizeof *nn);
        if (!nn)
            return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
        s->nodes = nn;
        s->cap = ncap;
    }
    struct snode *n = calloc(1, sizeof *n);
    if (!n)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    n->path = strdup(path);
    if (!n->path) {
        free(n);
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    }
    n->id = s->nnodes;
    s->nodes[s->nnodes++] = n;
    n->json = js;
    n->max_len = n->max_items = n->max_props = -1;
    n->min_contains = 1;
    n->max_contains = -1;
    if (map_put(c, js, n))
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    *out = n;
    return 0;
}

int sc_compile_node(struct cctx *c, const json_t *js, const char *path, struct snode **out)
{
    struct snode *n = map_get(c, js);
    if (n) {
        *out = n;
        return 0;
    }
    int rc = new_node(c, js, path, &n);
    if (rc)
        return rc;
    *out = n;
    if (json_is_boolean(js)) {
        n->is_bool = 1;
        n->bool_val = json_is_true(js);
        return 0;
    }
    if (!json_is_object(js))
        return sc_bad(c, GB_EINVAL, path, "expected a schema (an object or true/false), got %s",
                      sc_type_name(js));

    return sc_keywords(c, n, js);
}

/* Compile the schema under a keyword: path/kw or path/kw/seg. */
int sc_compile_sub(struct cctx *c, const json_t *js, const char *kwpath, const char *seg,
                   size_t seglen, struct snode **out)
{
    char *p = seg ? sc_path_join(kwpath, seg, seglen) : strdup(kwpath);
    if (!p)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    int rc = sc_compile_node(c, js, p, out);
    free(p);
    return rc;
}

/* ---- $ref resolution -------------------------------------------------------- */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Resolve a JSON pointer (already percent-decoded) against doc. Builds the
 * canonical path of the target in *canon. */
static const json_t *walk_pointer(const json_t *doc, const char *p, size_t len, struct buf *canon)
{
    const json_t *cur = doc;
    size_t i = 0;
    struct buf tok;
    buf_init(&tok, BUF_UNLIMITED);
    while (i < len && cur) {
        if (p[i] != '/')
            goto fail;
        i++;
        buf_reset(&tok);
        while (i < len && p[i] != '/') {
            char ch = p[i++];
            if (ch == '~') {
                if (i >= len || (p[i] != '0' && p[i] != '1'))
                    goto fail;
                ch = p[i++] == '0' ? '~' : '/';
            }
            if (buf_putc(&tok, ch))
                goto fail;
        }
        const char *t = tok.data ? tok.data : "";
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, t, tok.len);
        } else if (json_is_array(cur)) {
            if (tok.len == 0 || tok.len > 18 || (tok.len > 1 && t[0] == '0'))
                goto fail;
            size_t idx = 0;
            for (size_t k = 0; k < tok.len; k++) {
                if (t[k] < '0' || t[k] > '9')
                    goto fail;
                idx = idx * 10 + (size_t)(t[k] - '0');
            }
            cur = json_array_get(cur, idx);
        } else {
            cur = NULL;
        }
        char *joined = sc_path_join(canon->data ? canon->data : "", t, tok.len);
        if (!joined)
            goto fail;
        buf_reset(canon);
        int rc = buf_puts(canon, joined);
        free(joined);
        if (rc)
            goto fail;
    }
    buf_free(&tok);
    return cur;
fail:
    buf_free(&tok);
    return NULL;
}

static int resolve_ref(struct cctx *c, struct snode *n)
{
    const char *ref = n->ref_str;
    int rc = 0;
    char *kp = sc_path_join(n->path, "$ref", 4);
    struct buf frag, canon;
    buf_init(&frag, BUF_UNLIMITED);
    buf_init(&canon, BUF_UNLIMITED);
    if (!kp) {
        rc = GB_FAIL(c->err, GB_ENOMEM, "out of memory");
        goto out;
    }
    if (ref[0] != '#' && ref[0] != '\0') { /* "" names this document too */
        size_t idl = c->root_id ? strlen(c->root_id) : 0;
        /* Strip a trailing '#' from the id ("urn:x#" names the same resource). */
        if (idl && c->root_id[idl - 1] == '#')
            idl--;
        if (idl && !strncmp(ref, c->root_id, idl) && (ref[idl] == '#' || ref[idl] == '\0')) {
            ref += idl;
        } else {
            rc = sc_bad(c, GB_EUNSUPPORTED, kp,
                        "unsupported keyword '$ref' to '%s': only references inside the same "
                        "document ('#...') are implemented",
                        ref);
            goto out;
        }
    }
    if (ref[0] == '#')
        ref++;
    /* Percent-decode the fragment (RFC 3986: "%22" in a $ref is '"'). */
    for (size_t i = 0; ref[i]; i++) {
        char ch = ref[i];
        if (ch == '%') {
            int h = hexval(ref[i + 1]), l = h >= 0 ? hexval(ref[i + 2]) : -1;
            if (h < 0 || l < 0) {
                rc = sc_bad(c, GB_EINVAL, kp, "bad percent-encoding in reference '%s'", n->ref_str);
                goto out;
            }
            ch = (char)(h * 16 + l);
            i += 2;
        }
        if (buf_putc(&frag, ch)) {
            rc = GB_FAIL(c->err, GB_ENOMEM, "out of memory");
            goto out;
        }
    }
    struct snode *target = NULL;
    if (frag.len == 0) {
        target = c->s->root;
    } else if (frag.data[0] == '/') {
        const json_t *t = walk_pointer(c->s->doc, frag.data, frag.len, &canon);
        if (!t) {
            rc = sc_bad(c, GB_EINVAL, kp,
                        "reference '%s' does not resolve to anything in the schema", n->ref_str);
            goto out;
        }
        rc = sc_compile_node(c, t, canon.data ? canon.data : "", &target);
        if (rc)
            goto out;
    } else {
        for (size_t i = 0; i < c->nanchors; i++)
            if (strlen(c->anchors[i].name) == frag.len &&
                !memcmp(c->anchors[i].name, frag.data, frag.len))
                target = c->anchors[i].node;
        if (!target) {
            rc = sc_bad(c, GB_EINVAL, kp, "reference '%s' names no $anchor in the schema",
                        n->ref_str);
            goto out;
        }
    }
    n->ref = target;
out:
    buf_free(&canon);
    buf_free(&frag);
    free(kp);
    return rc;
}

/* ---- cycles that never consume input ----------------------------------------- */

/* Edges that apply a schema to the same instance. A cycle made only of these
 * ({"$ref": "#"} at the root, a -> b -> a) can never terminate. */
static int inplace_edges(const struct snode *n, const struct snode **out, size_t max)
{
    size_t k = 0;
#define EDGE(x)                                                                                    \
    do {                                                                                           \
        if ((x) && k < max)                                                                        \
            out[k++] = (x);                                                                        \
    } while (0)
    EDGE(n->ref);
    EDGE(n->not_);
    EDGE(n->if_);
    EDGE(n->then_);
    EDGE(n->else_);
    for (size_t i = 0; i < n->nall_of; i++)
        EDGE(n->all_of[i]);
    for (size_t i = 0; i < n->nany_of; i++)
        EDGE(n->any_of[i]);
    for (size_t i = 0; i < n->none_of; i++)
        EDGE(n->one_of[i]);
    for (size_t i = 0; i < n->ndep_schemas; i++)
        EDGE(n->dep_schemas[i].node);
#undef EDGE
    return (int)k;
}

static size_t edge_count(const struct snode *n)
{
    return 5 + n->nall_of + n->nany_of + n->none_of + n->ndep_schemas;
}

/* Iterative DFS (schemas can be deep); color: 0 new, 1 on stack, 2 done. */
static int check_cycles(struct cctx *c)
{
    struct schema *s = c->s;
    int rc = 0;
    unsigned char *color = calloc(s->nnodes, 1);
    size_t *stack = calloc(s->nnodes, sizeof *stack), *next = calloc(s->nnodes, sizeof *next);
    const struct snode **edges = NULL;
    size_t maxe = 0;
    for (size_t i = 0; i < s->nnodes; i++)
        if (edge_count(s->nodes[i]) > maxe)
            maxe = edge_count(s->nodes[i]);
    edges = calloc(maxe, sizeof *edges);
    if (!color || !stack || !next || !edges) {
        rc = GB_FAIL(c->err, GB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t start = 0; start < s->nnodes && !rc; start++) {
        if (color[start])
            continue;
        size_t sp = 0;
        stack[sp++] = start;
        color[start] = 1;
        next[start] = 0;
        while (sp) {
            size_t cur = stack[sp - 1];
            int ne = inplace_edges(s->nodes[cur], edges, maxe);
            if ((int)next[cur] >= ne) {
                color[cur] = 2;
                sp--;
                continue;
            }
            const struct snode *to = edges[next[cur]++];
            if (color[to->id] == 1) {
                const struct snode *from = s->nodes[cur];
                char *kp = from->ref == to ? sc_path_join(from->path, "$ref", 4) : NULL;
                rc = sc_bad(c, GB_EINVAL, kp ? kp : from->path,
                            "circular reference: '%s' comes back to itself without going into a "
                            "property or an item",
                            to->path[0] ? to->path : "#");
                free(kp);
                break;
            }
            if (!color[to->id]) {
                color[to->id] = 1;
                next[to->id] = 0;
                stack[sp++] = to->id;
            }
        }
    }
out:
    free(edges);
    free(next);
    free(stack);
    free(color);
    return rc;
}

/* ---- public ------------------------------------------------------------------- */

static void node_free(struct snode *n)
{
    if (!n)
        return;
    free(n->path);
    rx_free(n->pattern);
    free(n->prefix);
    free(n->props);
    free(n->ptab);
    free(n->req_extra);
    for (size_t i = 0; i < n->npatprops; i++)
        rx_free(n->patprops[i].re);
    free(n->patprops);
    for (size_t i = 0; i < n->ndep_req; i++)
        free(n->dep_req[i].deps);
    free(n->dep_req);
    free(n->dep_schemas);
    free(n->all_of);
    free(n->any_of);
    free(n->one_of);
    free(n);
}

void schema_free(struct schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nnodes; i++)
        node_free(s->nodes[i]);
    free(s->nodes);
    json_decref(s->doc);
    free(s);
}

int schema_compile(json_t *doc, const char *source, struct schema **out, struct gb_err *err)
{
    struct cctx c = {0};
    struct schema *s = NULL;
    int rc = 0;
    *out = NULL;
    if (!doc) {
        rc = GB_FAIL(err, GB_EINVAL, "no schema");
        goto fail;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    s->doc = json_incref(doc);
    c.s = s;
    c.source = source ? source : "schema";
    c.err = err;
    /* The root $id is read first so refs written against it resolve. */
    if (json_is_object(doc) && json_is_string(json_object_get(doc, "$id")))
        c.root_id = json_string_value(json_object_get(doc, "$id"));
    rc = sc_compile_node(&c, doc, "", &s->root);
    /* Resolving a ref may compile new nodes (refs into unknown keywords);
     * they are appended to s->nodes and resolved in turn. */
    for (size_t i = 0; !rc && i < s->nnodes; i++)
        if (s->nodes[i]->ref_str && !s->nodes[i]->ref)
            rc = resolve_ref(&c, s->nodes[i]);
    if (!rc)
        rc = check_cycles(&c);
    if (rc)
        goto fail;
    free(c.map);
    free(c.anchors);
    *out = s;
    return 0;
fail:
    free(c.map);
    free(c.anchors);
    schema_free(s);
    return rc;
}
