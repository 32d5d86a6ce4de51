/*
 * fuzz_json.c - the JSON reader (config.json, vocab.json, safetensors
 * headers, traces) on arbitrary bytes, and the writer on what it read.
 *
 * Checks, beyond "no sanitizer report":
 *   - a parse either succeeds or fills a message of one printable line;
 *   - a parsed document written back with the JsonWriter parses again, to
 *     the same tree (same types, lengths, keys and string bytes; numbers
 *     are only required to stay numbers, or null when not finite, since the
 *     writer prints float precision).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "formats/json.h"

/* Writes v with the JsonWriter (strings and keys byte for byte). */
static void write_value(JsonWriter *w, const JsonValue *v) {
    switch (v->type) {
    case JSON_NULL: jw_null(w); break;
    case JSON_BOOL: jw_bool(w, v->boolean); break;
    case JSON_NUMBER: jw_float(w, v->number); break;
    case JSON_STRING: jw_string_n(w, v->str, v->len); break;
    case JSON_ARRAY:
        jw_array_begin(w);
        for (size_t i = 0; i < v->len; i++) write_value(w, &v->items[i]);
        jw_array_end(w);
        break;
    case JSON_OBJECT:
        jw_object_begin(w);
        for (size_t i = 0; i < v->len; i++) {
            jw_key(w, v->keys[i]);   /* stops at an escaped \u0000: compared that way below */
            write_value(w, &v->items[i]);
        }
        jw_object_end(w);
        break;
    }
}

/* a (parsed from the input) and b (parsed from what the writer made) agree. */
static void check_same(const JsonValue *a, const JsonValue *b) {
    if (a->type == JSON_NUMBER && !isfinite(a->number)) {
        FUZZ_CHECK(b->type == JSON_NULL, "non-finite number written as %s", json_type_name(b->type));
        return;
    }
    FUZZ_CHECK(a->type == b->type, "%s came back as %s", json_type_name(a->type), json_type_name(b->type));
    switch (a->type) {
    case JSON_BOOL: FUZZ_CHECK(a->boolean == b->boolean, "boolean changed"); break;
    case JSON_STRING:
        FUZZ_CHECK(a->len == b->len && memcmp(a->str, b->str, a->len) == 0, "string changed (%zu -> %zu bytes)",
                   a->len, b->len);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        FUZZ_CHECK(a->len == b->len, "container of %zu items came back with %zu", a->len, b->len);
        for (size_t i = 0; i < a->len; i++) {
            if (a->type == JSON_OBJECT)
                FUZZ_CHECK(strcmp(a->keys[i], b->keys[i]) == 0, "key '%s' came back as '%s'", a->keys[i], b->keys[i]);
            check_same(&a->items[i], &b->items[i]);
        }
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    JsonValue v;
    Error err = {{0}};
    if (json_parse((const char *)data, size, "fuzz.json", &v, &err) != 0) {
        FUZZ_CHECK_MESSAGE(err.msg);
        return 0;
    }
    /* The lookups the loaders use. */
    long x;
    (void)json_get(&v, "n_embd");
    (void)json_as_long(json_get(&v, "n_embd"), -2147483647L, 2147483647L, &x);
    if (v.type == JSON_ARRAY && v.len > 0) (void)json_as_long(&v.items[0], 0, 9007199254740992L, &x);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FUZZ_CHECK(f != NULL, "open_memstream failed");
    JsonWriter w;
    jw_init(&w, f, (int)(size % 4));   /* any pretty depth */
    write_value(&w, &v);
    fclose(f);
    JsonValue back;
    int rc = json_parse(text, len, "written.json", &back, &err);
    FUZZ_CHECK(rc == 0, "the writer's output does not parse: %s", err.msg);
    check_same(&v, &back);
    json_free(&back);
    free(text);
    json_free(&v);
    return 0;
}
