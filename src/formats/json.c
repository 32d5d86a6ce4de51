/* json.c - see json.h. */
#include "formats/json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Reader: recursive descent over a cursor.                                  */

typedef struct {
    const char *s;     /* the text */
    size_t n, i;       /* its length, and the cursor */
    const char *what;  /* the source's name for messages */
    Error *err;
} Cursor;

static int fail(Cursor *c, const char *expected) {
    if (c->i >= c->n)
        return error_set(c->err, "%s: invalid JSON at end of input: expected %s", c->what, expected);
    unsigned char ch = (unsigned char)c->s[c->i];
    if (ch >= 0x20 && ch < 0x7f)
        return error_set(c->err, "%s: invalid JSON at byte %zu ('%c'): expected %s", c->what, c->i, ch, expected);
    return error_set(c->err, "%s: invalid JSON at byte %zu (0x%02x): expected %s", c->what, c->i, ch, expected);
}

static void skip_ws(Cursor *c) {
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

int utf8_valid_len(const unsigned char *s, size_t n) {
    if (n == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) { len = 3; hi = 0x9F; } /* no surrogates */
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }
    else return 0;
    if ((size_t)len > n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (int k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xBF) return 0;
    return len;
}

static size_t put_utf8(char *out, unsigned cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hex4(Cursor *c, unsigned *out) {
    if (c->n - c->i < 4) return fail(c, "4 hex digits after \\u");
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char h = c->s[c->i];
        unsigned d;
        if (h >= '0' && h <= '9') d = (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f') d = (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') d = (unsigned)(h - 'A' + 10);
        else return fail(c, "a hex digit in \\u escape");
        v = v * 16 + d;
        c->i++;
    }
    *out = v;
    return 0;
}

/* Parses a string literal at the cursor (on the opening quote). The decoded
 * bytes never outnumber the source bytes, so one allocation of that size does. */
static int parse_string(Cursor *c, char **out, size_t *out_len) {
    c->i++; /* opening quote */
    size_t start = c->i, end = start;
    while (end < c->n && c->s[end] != '"') end += (c->s[end] == '\\' && end + 1 < c->n) ? 2 : 1;
    char *buf = malloc(end - start + 1);
    if (!buf) return error_set(c->err, "%s: out of memory", c->what);
    size_t k = 0;
    for (;;) {
        if (c->i >= c->n) { free(buf); return fail(c, "closing '\"'"); }
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') { c->i++; break; }
        if (ch < 0x20) { free(buf); return fail(c, "no raw control character inside a string"); }
        if (ch == '\\') {
            c->i++;
            if (c->i >= c->n) { free(buf); return fail(c, "an escape"); }
            char e = c->s[c->i++];
            switch (e) {
            case '"': buf[k++] = '"'; break;
            case '\\': buf[k++] = '\\'; break;
            case '/': buf[k++] = '/'; break;
            case 'b': buf[k++] = '\b'; break;
            case 'f': buf[k++] = '\f'; break;
            case 'n': buf[k++] = '\n'; break;
            case 'r': buf[k++] = '\r'; break;
            case 't': buf[k++] = '\t'; break;
            case 'u': {
                unsigned cp;
                if (hex4(c, &cp)) { free(buf); return -1; }
                if (cp >= 0xDC00 && cp <= 0xDFFF) { c->i -= 6; free(buf); return fail(c, "no lone low surrogate"); }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (c->n - c->i < 6 || c->s[c->i] != '\\' || c->s[c->i + 1] != 'u') {
                        free(buf); return fail(c, "a low surrogate \\uDC00-\\uDFFF after a high surrogate");
                    }
                    c->i += 2;
                    if (hex4(c, &lo)) { free(buf); return -1; }
                    if (lo < 0xDC00 || lo > 0xDFFF) { c->i -= 6; free(buf); return fail(c, "a low surrogate \\uDC00-\\uDFFF"); }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                k += put_utf8(buf + k, cp);
                break;
            }
            default: c->i--; free(buf); return fail(c, "one of the escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
            }
            continue;
        }
        int len = utf8_valid_len((const unsigned char *)c->s + c->i, c->n - c->i);
        if (len == 0) { free(buf); return fail(c, "valid UTF-8 inside a string"); }
        memcpy(buf + k, c->s + c->i, (size_t)len);
        k += (size_t)len;
        c->i += (size_t)len;
    }
    buf[k] = '\0';
    *out = buf;
    *out_len = k;
    return 0;
}

static int parse_number(Cursor *c, double *out) {
    size_t start = c->i;
    if (c->i < c->n && c->s[c->i] == '-') c->i++;
    if (c->i >= c->n) return fail(c, "a digit");
    if (c->s[c->i] == '0') c->i++;
    else if (c->s[c->i] >= '1' && c->s[c->i] <= '9') while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') c->i++;
    else return fail(c, "a digit");
    if (c->i < c->n && c->s[c->i] == '.') {
        c->i++;
        if (c->i >= c->n || c->s[c->i] < '0' || c->s[c->i] > '9') return fail(c, "a digit after '.'");
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') c->i++;
    }
    if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
        c->i++;
        if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-')) c->i++;
        if (c->i >= c->n || c->s[c->i] < '0' || c->s[c->i] > '9') return fail(c, "a digit in the exponent");
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') c->i++;
    }
    char tmp[64];
    size_t len = c->i - start;
    if (len >= sizeof tmp) { c->i = start; return fail(c, "a number of at most 63 characters"); }
    memcpy(tmp, c->s + start, len);
    tmp[len] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

static int literal(Cursor *c, const char *word) {
    size_t L = strlen(word);
    if (c->n - c->i < L || memcmp(c->s + c->i, word, L) != 0) return fail(c, "a value");
    c->i += L;
    return 0;
}

static int parse_value(Cursor *c, JsonValue *v, int depth);

/* Grows a dynamic array of JsonValue (and keys, for objects) to hold one more. */
static int grow(Cursor *c, JsonValue *v, size_t *cap, int with_keys) {
    if (v->len < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : 8;
    JsonValue *items = realloc(v->items, nc * sizeof *items);
    if (!items) return error_set(c->err, "%s: out of memory", c->what);
    v->items = items;
    if (with_keys) {
        char **keys = realloc(v->keys, nc * sizeof *keys);
        if (!keys) return error_set(c->err, "%s: out of memory", c->what);
        v->keys = keys;
        size_t *kl = realloc(v->key_lens, nc * sizeof *kl);
        if (!kl) return error_set(c->err, "%s: out of memory", c->what);
        v->key_lens = kl;
    }
    *cap = nc;
    return 0;
}

static int parse_array(Cursor *c, JsonValue *v, int depth) {
    size_t cap = 0;
    v->type = JSON_ARRAY;
    c->i++;
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == ']') { c->i++; return 0; }
    for (;;) {
        if (grow(c, v, &cap, 0)) return -1;
        memset(&v->items[v->len], 0, sizeof v->items[0]);
        v->len++;
        if (parse_value(c, &v->items[v->len - 1], depth + 1)) return -1;
        skip_ws(c);
        if (c->i < c->n && c->s[c->i] == ',') { c->i++; continue; }
        if (c->i < c->n && c->s[c->i] == ']') { c->i++; return 0; }
        return fail(c, "',' or ']'");
    }
}

static int parse_object(Cursor *c, JsonValue *v, int depth) {
    size_t cap = 0;
    v->type = JSON_OBJECT;
    c->i++;
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == '}') { c->i++; return 0; }
    for (;;) {
        skip_ws(c);
        if (c->i >= c->n || c->s[c->i] != '"') return fail(c, "a member name in quotes");
        if (grow(c, v, &cap, 1)) return -1;
        size_t k = v->len;
        memset(&v->items[k], 0, sizeof v->items[0]);
        v->keys[k] = NULL;
        v->len++;
        if (parse_string(c, &v->keys[k], &v->key_lens[k])) return -1;
        skip_ws(c);
        if (c->i >= c->n || c->s[c->i] != ':') return fail(c, "':'");
        c->i++;
        if (parse_value(c, &v->items[k], depth + 1)) return -1;
        skip_ws(c);
        if (c->i < c->n && c->s[c->i] == ',') { c->i++; continue; }
        if (c->i < c->n && c->s[c->i] == '}') { c->i++; return 0; }
        return fail(c, "',' or '}'");
    }
}

static int parse_value(Cursor *c, JsonValue *v, int depth) {
    if (depth > JSON_MAX_DEPTH)
        return error_set(c->err, "%s: JSON nested deeper than %d levels at byte %zu", c->what, JSON_MAX_DEPTH, c->i);
    skip_ws(c);
    if (c->i >= c->n) return fail(c, "a value");
    switch (c->s[c->i]) {
    case '{': return parse_object(c, v, depth);
    case '[': return parse_array(c, v, depth);
    case '"': v->type = JSON_STRING; return parse_string(c, &v->str, &v->len);
    case 't': v->type = JSON_BOOL; v->boolean = 1; return literal(c, "true");
    case 'f': v->type = JSON_BOOL; v->boolean = 0; return literal(c, "false");
    case 'n': v->type = JSON_NULL; return literal(c, "null");
    default: v->type = JSON_NUMBER; return parse_number(c, &v->number);
    }
}

int json_parse(const char *text, size_t len, const char *what, JsonValue *out, Error *err) {
    Cursor c = {.s = text, .n = len, .i = 0, .what = what, .err = err};
    memset(out, 0, sizeof *out);
    if (parse_value(&c, out, 0)) { json_free(out); return -1; }
    skip_ws(&c);
    if (c.i != c.n) { json_free(out); return fail(&c, "end of input after the value"); }
    return 0;
}

void json_free(JsonValue *v) {
    if (!v) return;
    if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            json_free(&v->items[i]);
            if (v->keys) free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->key_lens);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const JsonValue *json_get(const JsonValue *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < obj->len; i++)
        if (obj->key_lens[i] == kl && memcmp(obj->keys[i], key, kl) == 0) return &obj->items[i];
    return NULL;
}

int json_as_long(const JsonValue *v, long lo, long hi, long *out) {
    if (!v || v->type != JSON_NUMBER) return -1;
    double d = v->number;
    if (!(d >= (double)lo && d <= (double)hi) || d != floor(d)) return -1;
    *out = (long)d;
    return 0;
}

typedef struct {
    const char *key;
    size_t len, index;
} KeyRef;

/* By bytes, then by length, then by position: equal names end up adjacent, first one first. */
static int by_key(const void *a, const void *b) {
    const KeyRef *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int json_find_duplicate_key(const JsonValue *obj, size_t *dup) {
    if (obj->type != JSON_OBJECT || obj->len < 2) return 0;
    KeyRef *refs = malloc(obj->len * sizeof *refs);
    if (!refs) return -1;
    for (size_t i = 0; i < obj->len; i++) refs[i] = (KeyRef){obj->keys[i], obj->key_lens[i], i};
    qsort(refs, obj->len, sizeof *refs, by_key);
    int found = 0;
    for (size_t i = 1; i < obj->len; i++) {
        const KeyRef *a = &refs[i - 1], *b = &refs[i];
        if (a->len == b->len && memcmp(a->key, b->key, a->len) == 0 && (!found || b->index < *dup)) {
            *dup = b->index;
            found = 1;
        }
    }
    free(refs);
    return found;
}

const char *json_type_name(JsonType t) {
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "a boolean";
    case JSON_NUMBER: return "a number";
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
    }
    return "?";
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                    */

void json_write_string(FILE *f, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    size_t i = 0;
    while (i < n) {
        unsigned char ch = p[i];
        if (ch == '"') fputs("\\\"", f);
        else if (ch == '\\') fputs("\\\\", f);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch == '\r') fputs("\\r", f);
        else if (ch == '\t') fputs("\\t", f);
        else if (ch < 0x20 || ch == 0x7f) fprintf(f, "\\u%04x", ch);
        else if (ch < 0x80) fputc(ch, f);
        else {
            int len = utf8_valid_len(p + i, n - i);
            if (len == 0) { fputs("\xEF\xBF\xBD", f); i++; continue; } /* U+FFFD */
            fwrite(p + i, 1, (size_t)len, f);
            i += (size_t)len;
            continue;
        }
        i++;
    }
    fputc('"', f);
}

void jw_init(JsonWriter *w, FILE *f, int pretty_depth) {
    memset(w, 0, sizeof *w);
    w->f = f;
    w->pretty = pretty_depth;
}

/* Before any value or key: the comma and, near the top, a newline + indent. */
static void before_item(JsonWriter *w) {
    if (w->after_key) { w->after_key = 0; return; }
    if (w->depth > 0 && w->has_items[w->depth - 1]) fputc(',', w->f);
    if (w->depth > 0) {
        w->has_items[w->depth - 1] = 1;
        if (w->depth <= w->pretty) {
            fputc('\n', w->f);
            for (int k = 0; k < w->depth; k++) fputs("  ", w->f);
        }
    }
}

static void open_container(JsonWriter *w, char ch) {
    before_item(w);
    fputc(ch, w->f);
    if (w->depth < JSON_MAX_DEPTH) w->has_items[w->depth] = 0;
    w->depth++;
}

static void close_container(JsonWriter *w, char ch) {
    w->depth--;
    if (w->depth < w->pretty && w->depth < JSON_MAX_DEPTH && w->has_items[w->depth]) {
        fputc('\n', w->f);
        for (int k = 0; k < w->depth; k++) fputs("  ", w->f);
    }
    fputc(ch, w->f);
    if (w->depth == 0) fputc('\n', w->f);
}

void jw_object_begin(JsonWriter *w) { open_container(w, '{'); }
void jw_object_end(JsonWriter *w) { close_container(w, '}'); }
void jw_array_begin(JsonWriter *w) { open_container(w, '['); }
void jw_array_end(JsonWriter *w) { close_container(w, ']'); }

void jw_key(JsonWriter *w, const char *key) {
    before_item(w);
    json_write_string(w->f, key, strlen(key));
    fputc(':', w->f);
    w->after_key = 1;
}

void jw_string(JsonWriter *w, const char *s) { jw_string_n(w, s, strlen(s)); }
void jw_string_n(JsonWriter *w, const char *s, size_t n) { before_item(w); json_write_string(w->f, s, n); }
void jw_int(JsonWriter *w, long long v) {
    before_item(w);
    /* the digits by hand, as "%lld" writes them: a trace holds many ids per step */
    char buf[24], *p = buf + sizeof buf;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) *--p = '-';
    fwrite(p, 1, (size_t)(buf + sizeof buf - p), w->f);
}
void jw_double(JsonWriter *w, double v) {
    before_item(w);
    if (!isfinite(v)) { fputs("null", w->f); return; }
    fprintf(w->f, "%.17g", v);
}

void jw_bool(JsonWriter *w, int v) { before_item(w); fputs(v ? "true" : "false", w->f); }
void jw_null(JsonWriter *w) { before_item(w); fputs("null", w->f); }

/* ---- floats: the shortest %.{6..9}g that reads back as the same float ----
 *
 * A trace holds thousands of floats per step, and snprintf + strtod cost
 * about a microsecond each.  So the digits and the read-back are computed
 * here in double arithmetic where one IEEE operation decides them exactly,
 * and snprintf / strtod are asked only where it cannot (a near tie, or a
 * power of ten past 10^22).  The output is byte for byte what "%.*g" and
 * strtod give (tests/check_util.c compares them over a million floats). */

/* 10^0 .. 10^22: every one exact in a double. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* a * 10^k rounded once (a, a float's value, is exact in a double).  Returns 0
 * when 10^|k| is not exact in a double. */
static int scale10(double a, int k, double *out) {
    if (k > 22 || k < -22) return 0;
    *out = k >= 0 ? a * pow10_exact[k] : a / pow10_exact[-k];
    return 1;
}

/* floor(log10(a)) or one less, for a > 0 a normal float's value: from its
 * binary exponent b, floor(b log10 2) (78913 / 2^18 is log10 2 closely
 * enough for |b| < 1650). */
static int decimal_exponent_estimate(double a) {
    float f = (float)a;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    int b = (int)((u >> 23) & 0xff) - 127;
    return b >= 0 ? (b * 78913) >> 18 : -((-b * 78913 + (1 << 18) - 1) >> 18);
}

/* The prec significant digits of a > 0 (a float's value) as "%.*e" rounds
 * them: *digits in [10^(prec-1), 10^prec), *x the exponent of the first
 * (on entry, a guess within one of it).  Returns 0 when double arithmetic
 * cannot decide the rounding. */
static int decimal_digits(double a, int prec, long *digits, int *x) {
    int e = *x;
    for (int tries = 0; tries < 4; tries++) {
        double y;
        if (!scale10(a, prec - 1 - e, &y)) return 0;
        if (y >= pow10_exact[prec]) { e++; continue; }
        if (y < pow10_exact[prec - 1]) { e--; continue; }
        /* y is a * 10^k within half an ulp (< 2^-23 for y < 2^30): the
         * nearest integer is certain unless y is that close to a half. */
        long whole = (long)y;           /* y > 0: truncation is floor */
        double frac = y - (double)whole;
        if (fabs(frac - 0.5) < 1e-6) return 0;
        long d = whole + (frac > 0.5);
        if (d == (long)pow10_exact[prec]) { d /= 10; e++; }   /* 9.99..96 rounds up to 10.0: one more digit before the point */
        *digits = d;
        *x = e;
        return 1;
    }
    return 0;
}

/* Whether a (a float's value, > 0) written with prec digits reads back
 * (strtod, then to float) as the same float: 1 or 0 with the digits, -1
 * when double arithmetic cannot decide.  strtod reads digits * 10^(x - prec + 1)
 * rounded once; with digits < 2^53 and an exact power of ten, one IEEE
 * operation rounds it as strtod does. */
static int reads_back(double a, int prec, long *digits, int *x) {
    double back;
    if (!decimal_digits(a, prec, digits, x) || !scale10((double)*digits, *x - prec + 1, &back)) return -1;
    return (float)back == (float)a;
}

/* Writes sign, digits (prec of them, exponent x) as "%.*g" does: fixed
 * notation for -4 <= x < prec, else d.ddde+XX; trailing zeros dropped.
 * Returns the length. */
static size_t write_g(char *buf, int negative, long digits, int x, int prec) {
    char d[16] = {0};   /* prec <= 9 of them are written */
    for (int i = prec - 1; i >= 0; i--) { d[i] = (char)('0' + digits % 10); digits /= 10; }
    int n = prec;
    while (n > 1 && d[n - 1] == '0') n--;   /* the significant digits, trailing zeros dropped */
    char *p = buf;
    if (negative) *p++ = '-';
    if (x < -4 || x >= prec) {
        *p++ = d[0];
        if (n > 1) { *p++ = '.'; memcpy(p, d + 1, (size_t)(n - 1)); p += n - 1; }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;   /* < 100: a normal float is within 10^+-39 */
        *p++ = (char)('0' + ax / 10);
        *p++ = (char)('0' + ax % 10);
    } else if (x >= 0) {
        for (int i = 0; i <= x; i++) *p++ = d[i];   /* x + 1 <= prec integer digits */
        if (n > x + 1) { *p++ = '.'; memcpy(p, d + x + 1, (size_t)(n - x - 1)); p += n - x - 1; }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -x - 1; i++) *p++ = '0';
        memcpy(p, d, (size_t)n);
        p += n;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* The shortest of 6..9 significant digits that reads back as the float v
 * (finite, not 0), into buf; 0 when double arithmetic cannot decide. */
static size_t shortest_fast(char *buf, double v) {
    double a = fabs(v);
    if (a < 1.1754943508222875e-38) return 0;   /* a subnormal float: snprintf */
    int x7 = decimal_exponent_estimate(a), x = x7, prec, r;
    long d7 = 0, d = 0;
    if ((r = reads_back(a, 7, &d7, &x7)) < 0) return 0;
    if (r) {
        x = x7;
        if ((r = reads_back(a, 6, &d, &x)) < 0) return 0;
        if (r) prec = 6;
        else { prec = 7; d = d7; x = x7; }
    } else {
        x = x7;
        if ((r = reads_back(a, 8, &d, &x)) < 0) return 0;
        prec = 8;
        if (!r) { prec = 9; if (!decimal_digits(a, 9, &d, &x)) return 0; }   /* 9 digits always read back */
    }
    return write_g(buf, v < 0, d, x, prec);
}

/* snprintf writes v with prec significant digits into buf; 1 when strtod
 * reads it back as the same float. */
static int roundtrips(char *buf, size_t n, int prec, double v) {
    snprintf(buf, n, "%.*g", prec, v);
    return (float)strtod(buf, NULL) == (float)v;
}

/* v as jw_float writes it, into buf (32 bytes); returns the length. */
static size_t float_text(char *buf, double v) {
    if (!isfinite(v)) { memcpy(buf, "null", 5); return 4; }
    /* The shortest of 6..9 significant digits that reads back as the same
     * float32 (9 always do).  If p digits round-trip, p + 1 do too, so a
     * binary search over {6, 7, 8, 9} takes two tries instead of up to four. */
    if (!isfinite((float)v)) return (size_t)snprintf(buf, 32, "%.17g", v);   /* beyond float range: a double */
    v = (float)v;  /* from here exactly a float, so the round-trip test is monotonic in the digits */
    if (v == 0) return (size_t)snprintf(buf, 32, "%s", signbit(v) ? "-0" : "0");   /* as "%.6g" writes them */
    size_t len = shortest_fast(buf, v);
    if (len > 0) return len;
    char other[32];
    if (roundtrips(buf, 32, 7, v)) { if (roundtrips(other, sizeof other, 6, v)) memcpy(buf, other, sizeof other); }
    else if (!roundtrips(buf, 32, 8, v)) snprintf(buf, 32, "%.9g", v);
    return strlen(buf);
}

void jw_float(JsonWriter *w, double v) {
    before_item(w);
    char buf[32];
    size_t len = float_text(buf, v);
    fwrite(buf, 1, len, w->f);
}

void jw_float_array(JsonWriter *w, const float *x, size_t n) {
    jw_array_begin(w);
    if (w->depth <= w->pretty) {   /* each item on its own line: the writer's own way */
        for (size_t i = 0; i < n; i++) jw_float(w, x[i]);
        jw_array_end(w);
        return;
    }
    /* No newlines inside: the items and their commas go out in blocks. */
    char buf[4096];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (len > sizeof buf - 34) { fwrite(buf, 1, len, w->f); len = 0; }
        if (i > 0) buf[len++] = ',';
        len += float_text(buf + len, x[i]);
    }
    if (len > 0) fwrite(buf, 1, len, w->f);
    if (n > 0 && w->depth <= JSON_MAX_DEPTH) w->has_items[w->depth - 1] = 1;
    jw_array_end(w);
}
