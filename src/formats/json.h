/*
 * json.h - a small JSON reader and writer of argen's own.
 *
 * The reader parses a whole document (RFC 8259) into a tree of JsonValue.
 * It is strict: one value, nothing after it but whitespace, strings must be
 * valid UTF-8 with no raw control characters, lone surrogates are refused,
 * and nesting deeper than JSON_MAX_DEPTH is refused (so hostile input cannot
 * exhaust the stack).  It reads configs, vocabularies, safetensors headers
 * and traces.
 *
 * The writer streams to a FILE* and keeps track of commas; strings that are
 * not valid UTF-8 (a token can be half a character) have each invalid byte
 * written as U+FFFD, so the output is always valid JSON.
 */
#ifndef ARGEN_JSON_H
#define ARGEN_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "formats/files.h"

#define JSON_MAX_DEPTH 256

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } JsonType;

typedef struct JsonValue JsonValue;
struct JsonValue {
    JsonType type;
    int boolean;        /* JSON_BOOL: 0 or 1 */
    double number;      /* JSON_NUMBER */
    char *str;          /* JSON_STRING: decoded bytes, NUL-terminated (may hold \u0000: use len) */
    size_t len;         /* JSON_STRING: bytes; JSON_ARRAY / JSON_OBJECT: number of items */
    JsonValue *items;   /* JSON_ARRAY: the items; JSON_OBJECT: the member values */
    char **keys;        /* JSON_OBJECT: member names, decoded, NUL-terminated */
    size_t *key_lens;   /* JSON_OBJECT: their lengths in bytes */
};

/* Parses text[0..len).  `what` names the source in error messages
 * ("config.json").  On success *out owns its memory: release it with
 * json_free().  On failure err says where (byte offset) and what. */
int json_parse(const char *text, size_t len, const char *what, JsonValue *out, Error *err);
void json_free(JsonValue *v);

/* Object member by name, or NULL (also NULL when obj is not an object). */
const JsonValue *json_get(const JsonValue *obj, const char *key);

/* Whether an object names a member twice.  The parser keeps every member in
 * file order, and json_get returns the first, while Python and Hugging Face
 * keep the last: a file that says both cannot mean one thing, so a reader
 * that cares refuses it.  Returns 1 with *dup the index of a member whose
 * name appeared before, 0 when every name is unique (or obj is not an
 * object), -1 when out of memory.  O(n log n) in the members. */
int json_find_duplicate_key(const JsonValue *obj, size_t *dup);

/* Number that is an integer in [lo, hi]; returns -1 otherwise. */
int json_as_long(const JsonValue *v, long lo, long hi, long *out);

const char *json_type_name(JsonType t);

/* ---- writer ---- */

typedef struct {
    FILE *f;
    int depth;
    unsigned char has_items[JSON_MAX_DEPTH]; /* a comma is due before the next item */
    int after_key;                           /* the next value follows "key": */
    int pretty;                              /* newline + indent before items at depth <= pretty */
} JsonWriter;

void jw_init(JsonWriter *w, FILE *f, int pretty_depth);
void jw_object_begin(JsonWriter *w);
void jw_object_end(JsonWriter *w);
void jw_array_begin(JsonWriter *w);
void jw_array_end(JsonWriter *w);
void jw_key(JsonWriter *w, const char *key);
void jw_string(JsonWriter *w, const char *s);
void jw_string_n(JsonWriter *w, const char *s, size_t n);
void jw_int(JsonWriter *w, long long v);
void jw_float(JsonWriter *w, double v);   /* shortest %.9g; NaN and +-Inf are written as null */
void jw_double(JsonWriter *w, double v);  /* %.17g: reads back as the same double; non-finite as null */
void jw_float_array(JsonWriter *w, const float *x, size_t n);   /* [x0,x1,...], each as jw_float writes it */
void jw_bool(JsonWriter *w, int v);
void jw_null(JsonWriter *w);

/* Writes s as a JSON string literal (quotes included) to f. */
void json_write_string(FILE *f, const char *s, size_t n);

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 if the bytes
 * at s (n available) do not start one.  Shared by the tokenizer and writers. */
int utf8_valid_len(const unsigned char *s, size_t n);

#endif
