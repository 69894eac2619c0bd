/* fuzz_schema.c: a JSON Schema and an instance (separated by the first NUL
 * byte): compile, validate the instance, generate a valid and an invalid
 * instance. Properties: what schema_generate makes validates, and what
 * schema_generate_invalid makes does not (the emulator relies on both). */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "hash64.h"
#include "schema.h"

static void show(const char *what, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    fprintf(stderr, "%s: %.2000s\n", what, s ? s : "?");
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t slen = nul ? (size_t)(nul - data) : size;
    json_t *doc = json_loadb((const char *)data, slen, JSON_DECODE_ANY, NULL);
    if (!doc)
        return 0;
    struct schema *s = NULL;
    struct gb_err err = {0};
    int rc = schema_compile(doc, "fuzz.json", &s, &err);
    json_decref(doc); /* the schema keeps its own reference */
    if (rc) {
        FZ_CHECK(rc == GB_EINVAL || rc == GB_EUNSUPPORTED || rc == GB_ELIMIT,
                 "schema_compile returned %d", rc);
        FZ_CHECK(err.msg[0], "schema_compile failed without a message");
        FZ_CHECK(s == NULL, "failed compile handed out a schema");
        return 0;
    }
    if (nul) {
        json_t *inst = json_loadb((const char *)nul + 1, size - slen - 1,
                                  JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (inst) {
            json_t *errors = NULL;
            int v = schema_validate(s, inst, &errors, 0);
            FZ_CHECK(v == 0 || v == 1, "schema_validate returned %d", v);
            FZ_CHECK((v == 0) == (errors != NULL), "verdict %d with errors %p", v, (void *)errors);
            if (errors)
                FZ_CHECK(json_array_size(errors) >= 1 && json_array_size(errors) <= 20,
                         "%zu errors", json_array_size(errors));
            json_decref(errors);
            json_decref(inst);
        }
    }
    uint64_t seed = hash64(data, size, 0);
    json_t *gen = NULL;
    if (schema_generate(s, seed, &gen, &err) == 0) {
        json_t *errors = NULL;
        int v = schema_validate(s, gen, &errors, 3);
        if (v != 1) {
            show("generated", gen);
            show("errors", errors);
        }
        FZ_CHECK(v == 1, "schema_generate made an instance the schema rejects");
        json_decref(errors);
        json_decref(gen);
    }
    gen = NULL;
    if (schema_generate_invalid(s, seed, &gen, &err) == 0) {
        int v = schema_validate(s, gen, NULL, 0);
        if (v != 0)
            show("generated", gen);
        FZ_CHECK(v == 0, "schema_generate_invalid made an instance the schema accepts");
        json_decref(gen);
    }
    schema_free(s);
    return 0;
}
