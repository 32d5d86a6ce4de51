/* tokenizer.c - see tokenizer.h. */
#include "formats/tokenizer.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "formats/input_file.h"
#include "formats/json.h"
#include "formats/unicode_tables.h"

#define EOT_LEN (sizeof TOKENIZER_EOT_TEXT - 1)
#define CACHE_SLOTS ((size_t)1 << 16)   /* cleared when half full */
#define CACHE_MAX_WORD 256              /* longer words are not cached */
#define CACHE_MAX_BYTES ((size_t)8 << 20)

/* ======================================================================
 * Character classes.  A "character" is one valid UTF-8 sequence, or one
 * byte that does not start one (class OTHER, so invalid bytes group with
 * punctuation the way U+FFFD would).
 * ====================================================================== */

enum { CH_LETTER, CH_NUMBER, CH_SPACE, CH_OTHER };

static int in_ranges(uint32_t cp, const uint32_t (*r)[2], size_t n) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid][0]) hi = mid;
        else if (cp > r[mid][1]) lo = mid + 1;
        else return 1;
    }
    return 0;
}

#define N_RANGES(a) (sizeof(a) / sizeof((a)[0]))

static int class_of(uint32_t cp) {
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return CH_LETTER;
        if (cp >= '0' && cp <= '9') return CH_NUMBER;
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return CH_SPACE;
        return CH_OTHER;
    }
    if (in_ranges(cp, unicode_letter_ranges, N_RANGES(unicode_letter_ranges))) return CH_LETTER;
    if (in_ranges(cp, unicode_number_ranges, N_RANGES(unicode_number_ranges))) return CH_NUMBER;
    if (in_ranges(cp, unicode_space_ranges, N_RANGES(unicode_space_ranges))) return CH_SPACE;
    return CH_OTHER;
}

/* Length in bytes of the character at s[pos] (pos < len) and its class. */
static size_t char_at(const unsigned char *s, size_t len, size_t pos, int *cls) {
    unsigned c = s[pos];
    if (c < 0x80) { *cls = class_of(c); return 1; }
    int n = utf8_valid_len(s + pos, len - pos);
    if (n == 0) { *cls = CH_OTHER; return 1; }
    uint32_t cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (int k = 1; k < n; k++) cp = (cp << 6) | (s[pos + k] & 0x3F);
    *cls = class_of(cp);
    return (size_t)n;
}

/* ======================================================================
 * Pre-tokenizer: GPT-2's pattern, alternative by alternative, as the
 * regex engine tries them at pos.
 * ====================================================================== */

/* 's 't 're 've 'm 'll 'd (case-sensitive, as in GPT-2): length or 0. */
static size_t contraction_len(const char *s, size_t len, size_t pos) {
    if (s[pos] != '\'' || pos + 1 >= len) return 0;
    char a = s[pos + 1], b = pos + 2 < len ? s[pos + 2] : '\0';
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* End of the run of characters of class cls starting at pos. */
static size_t run_end(const unsigned char *s, size_t len, size_t pos, int cls) {
    while (pos < len) {
        int c;
        size_t n = char_at(s, len, pos, &c);
        if (c != cls) break;
        pos += n;
    }
    return pos;
}

/* \s+(?!\S) then \s+ at pos: the whole run at the end of the text; else the
 * run less its last character (which then prefixes the next word), unless
 * the run is one character long. */
static size_t space_end(const unsigned char *s, size_t len, size_t pos) {
    size_t last = pos, end = pos;
    while (end < len) {
        int c;
        size_t n = char_at(s, len, end, &c);
        if (c != CH_SPACE) break;
        last = end;
        end += n;
    }
    if (end == len || last == pos) return end;
    return last;
}

size_t tokenizer_next_word(const char *text, size_t len, size_t pos) {
    const unsigned char *s = (const unsigned char *)text;
    size_t k = contraction_len(text, len, pos);
    if (k) return pos + k;
    int cls;
    size_t n = char_at(s, len, pos, &cls);
    if (s[pos] == ' ' && pos + 1 < len) {          /* " ?" then a letter, number or other run */
        int next;
        char_at(s, len, pos + 1, &next);
        if (next != CH_SPACE) return run_end(s, len, pos + 1, next);
    }
    if (cls != CH_SPACE) return run_end(s, len, pos + n, cls);
    return space_end(s, len, pos);
}

size_t tokenizer_find_eot(const char *text, size_t len, size_t pos) {
    while (pos + EOT_LEN <= len) {
        const char *hit = memchr(text + pos, '<', len - pos - EOT_LEN + 1);
        if (!hit) break;
        pos = (size_t)(hit - text);
        if (memcmp(hit, TOKENIZER_EOT_TEXT, EOT_LEN) == 0) return pos;
        pos++;
    }
    return len;
}

/* ======================================================================
 * GPT-2's byte-to-unicode map (encoder.py's bytes_to_unicode).
 * ====================================================================== */

static int byte_is_printable(unsigned b) {
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
}

unsigned tokenizer_byte_to_unicode(unsigned char b) {
    if (byte_is_printable(b)) return b;
    unsigned n = 0;
    for (unsigned k = 0; k < b; k++) n += !byte_is_printable(k);
    return 256 + n;
}

/* ======================================================================
 * Hashing.
 * ====================================================================== */

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h ? h : 1;
}

static uint64_t hash_pair(uint64_t x) {   /* splitmix64 finalizer */
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t pow2_at_least(size_t n) {
    size_t c = 16;
    while (c < n) c *= 2;
    return c;
}

/* Index of vocab.json's token strings (their vocab.json form) -> id, only
 * while loading. */
typedef struct {
    const char **keys;
    size_t *lens;
    int *ids;      /* -1 = empty */
    size_t cap;
} StrIndex;

static int str_index_init(StrIndex *x, size_t n) {
    x->cap = pow2_at_least(2 * n);
    x->keys = malloc(x->cap * sizeof *x->keys);
    x->lens = malloc(x->cap * sizeof *x->lens);
    x->ids = malloc(x->cap * sizeof *x->ids);
    if (!x->keys || !x->lens || !x->ids) return -1;
    for (size_t i = 0; i < x->cap; i++) x->ids[i] = -1;
    return 0;
}

static void str_index_free(StrIndex *x) { free(x->keys); free(x->lens); free(x->ids); }

static void str_index_put(StrIndex *x, const char *key, size_t len, int id) {
    size_t i = hash_bytes(key, len) & (x->cap - 1);
    while (x->ids[i] >= 0) i = (i + 1) & (x->cap - 1);
    x->keys[i] = key; x->lens[i] = len; x->ids[i] = id;
}

static int str_index_get(const StrIndex *x, const char *key, size_t len) {
    size_t i = hash_bytes(key, len) & (x->cap - 1);
    while (x->ids[i] >= 0) {
        if (x->lens[i] == len && memcmp(x->keys[i], key, len) == 0) return x->ids[i];
        i = (i + 1) & (x->cap - 1);
    }
    return -1;
}

static const TokMerge *merge_find(const Tokenizer *t, int left, int right) {
    uint64_t key = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    size_t i = hash_pair(key) & (t->merge_cap - 1);
    while (t->merges[i].merged >= 0) {
        if (t->merges[i].pair == key) return &t->merges[i];
        i = (i + 1) & (t->merge_cap - 1);
    }
    return NULL;
}

/* Adds a rule unless the pair already has one (an earlier line wins). */
static void merge_put(Tokenizer *t, int left, int right, int merged, int rank) {
    uint64_t key = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    size_t i = hash_pair(key) & (t->merge_cap - 1);
    while (t->merges[i].merged >= 0) {
        if (t->merges[i].pair == key) return;
        i = (i + 1) & (t->merge_cap - 1);
    }
    t->merges[i].pair = key; t->merges[i].merged = merged; t->merges[i].rank = rank;
    t->n_merges++;
}

/* ======================================================================
 * Loading vocab.json: {"token in byte-to-unicode form": id, ...}, ids
 * exactly 0..n-1.
 * ====================================================================== */

/* Decodes a vocab.json token string into raw bytes at out (room for len
 * bytes).  Returns the byte count, or -1 with *bad the offending code point. */
static long unmap_token(const char *key, size_t len, const int *unicode_to_byte, char *out, uint32_t *bad) {
    const unsigned char *s = (const unsigned char *)key;
    size_t i = 0, k = 0;
    while (i < len) {
        int n = utf8_valid_len(s + i, len - i);
        uint32_t cp = n <= 1 ? s[i] : n == 2 ? s[i] & 0x1F : n == 3 ? s[i] & 0x0F : s[i] & 0x07;
        for (int j = 1; j < n; j++) cp = (cp << 6) | (s[i + j] & 0x3F);
        if (n == 0 || cp >= 324 || unicode_to_byte[cp] < 0) { *bad = cp; return -1; }
        out[k++] = (char)unicode_to_byte[cp];
        i += (size_t)n;
    }
    return (long)k;
}

/* Fills t->bytes/offsets/byte_id/eot_id and the index of token strings. */
static int vocab_from_json(Tokenizer *t, const JsonValue *root, const char *path, StrIndex *index, Error *err) {
    if (root->type != JSON_OBJECT)
        return error_set(err, "%s: expected a JSON object mapping token strings to ids, got %s", path,
                         json_type_name(root->type));
    size_t n = root->len;
    if (n < 256 || n > INT_MAX / 2)
        return error_set(err, "%s: expected at least 256 tokens (one per byte), got %zu", path, n);
    int unicode_to_byte[324];
    for (int c = 0; c < 324; c++) unicode_to_byte[c] = -1;
    for (int b = 0; b < 256; b++) unicode_to_byte[tokenizer_byte_to_unicode((unsigned char)b)] = b;

    size_t *member_of = malloc(n * sizeof *member_of);   /* [n] id -> member index */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += root->key_lens[i];
    t->offsets = malloc((n + 1) * sizeof *t->offsets);
    t->bytes = malloc(total + 1);
    if (!member_of || !t->offsets || !t->bytes || str_index_init(index, n) != 0) {
        free(member_of);
        return error_set(err, "%s: out of memory", path);
    }
    for (size_t i = 0; i < n; i++) member_of[i] = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        long id;
        if (json_as_long(&root->items[i], 0, (long)n - 1, &id) != 0) {
            free(member_of);
            return error_set(err, "%s: token \"%s\": expected an integer id in [0, %zu]", path,
                             printable(root->keys[i], root->key_lens[i], (char[160]){0}, 160), n - 1);
        }
        if (member_of[id] != (size_t)-1) {
            size_t first = member_of[id];
            free(member_of);
            return error_set(err, "%s: id %ld is given to both \"%s\" and \"%s\"", path, id,
                             printable(root->keys[first], root->key_lens[first], (char[160]){0}, 160),
                             printable(root->keys[i], root->key_lens[i], (char[160]){0}, 160));
        }
        member_of[id] = i;
        str_index_put(index, root->keys[i], root->key_lens[i], (int)id);
    }
    /* n distinct ids in [0, n): every id is present. */
    t->vocab_size = (int)n;
    t->eot_id = -1;
    for (int b = 0; b < 256; b++) t->byte_id[b] = -1;
    size_t used = 0;
    for (size_t id = 0; id < n; id++) {
        size_t m = member_of[id];
        uint32_t bad = 0;
        long k = unmap_token(root->keys[m], root->key_lens[m], unicode_to_byte, t->bytes + used, &bad);
        if (k < 0) {
            free(member_of);
            return error_set(err, "%s: token \"%s\" (id %zu): U+%04X is not one of GPT-2's 256 byte characters",
                             path, printable(root->keys[m], root->key_lens[m], (char[160]){0}, 160), id, (unsigned)bad);
        }
        t->offsets[id] = used;
        used += (size_t)k;
        if (k == 1 && t->byte_id[(unsigned char)t->bytes[used - 1]] < 0)
            t->byte_id[(unsigned char)t->bytes[used - 1]] = (int)id;
        if (root->key_lens[m] == EOT_LEN && memcmp(root->keys[m], TOKENIZER_EOT_TEXT, EOT_LEN) == 0)
            t->eot_id = (int)id;
    }
    t->offsets[n] = used;
    free(member_of);
    for (int b = 0; b < 256; b++)
        if (t->byte_id[b] < 0)
            return error_set(err, "%s: no token for byte 0x%02X (\"\\u%04X\"): byte-level BPE needs all 256", path,
                             (unsigned)b, tokenizer_byte_to_unicode((unsigned char)b));
    return 0;
}

static int load_vocab(Tokenizer *t, const char *dir, JsonValue *root, StrIndex *index, Error *err) {
    char path[4096];
    if (path_join(path, sizeof path, dir, "vocab.json", err) != 0) return -1;
    char *data;
    size_t len;
    if (input_read(path, INPUT_MAX_TOKENIZER, "vocab.json", &data, &len, err) != 0) return -1;
    int rc = json_parse(data, len, path, root, err);
    free(data);
    if (rc != 0) return -1;
    return vocab_from_json(t, root, path, index, err);
}

/* ======================================================================
 * Loading merges.txt: "#version: 0.2", then one rule "LEFT RIGHT" a line,
 * in vocab.json's string form; line k (0-based, header excluded) has rank k.
 * ====================================================================== */

static int parse_merge_line(Tokenizer *t, const StrIndex *index, const char *line, size_t n, char *scratch,
                            const char *path, int line_no, int rank, Error *err) {
    const char *sp = memchr(line, ' ', n);
    char shown[160];  /* the line or token as the message shows it: control bytes escaped */
    if (!sp || sp == line || sp == line + n - 1 || memchr(sp + 1, ' ', (size_t)(line + n - sp - 1)))
        return error_set(err, "%s:%d: expected two tokens separated by one space, got '%s'", path, line_no,
                         printable(line, n, shown, sizeof shown));
    size_t ln = (size_t)(sp - line), rn = n - ln - 1;
    int left = str_index_get(index, line, ln), right = str_index_get(index, sp + 1, rn);
    if (left < 0)
        return error_set(err, "%s:%d: token '%s' is not in vocab.json", path, line_no, printable(line, ln, shown, sizeof shown));
    if (right < 0)
        return error_set(err, "%s:%d: token '%s' is not in vocab.json", path, line_no,
                         printable(sp + 1, rn, shown, sizeof shown));
    memcpy(scratch, line, ln);
    memcpy(scratch + ln, sp + 1, rn);
    int merged = str_index_get(index, scratch, ln + rn);
    if (merged < 0)
        return error_set(err, "%s:%d: merged token '%s' is not in vocab.json", path, line_no,
                         printable(scratch, ln + rn, shown, sizeof shown));
    merge_put(t, left, right, merged, rank);
    return 0;
}

static int load_merges(Tokenizer *t, const char *dir, const StrIndex *index, Error *err) {
    char path[4096];
    if (path_join(path, sizeof path, dir, "merges.txt", err) != 0) return -1;
    char *data;
    size_t len;
    if (input_read(path, INPUT_MAX_TOKENIZER, "merges.txt", &data, &len, err) != 0) return -1;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    t->merge_cap = pow2_at_least(2 * lines);
    t->merges = malloc(t->merge_cap * sizeof *t->merges);
    char *scratch = malloc(len + 1);
    if (!t->merges || !scratch) { free(data); free(scratch); return error_set(err, "%s: out of memory", path); }
    for (size_t i = 0; i < t->merge_cap; i++) { t->merges[i].pair = 0; t->merges[i].merged = -1; }
    int rank = 0, line_no = 0, rc = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len, n = end - pos;
        const char *line = data + pos;
        line_no++;
        pos = end + 1;
        if (n > 0 && line[n - 1] == '\r') n--;
        if (n == 0 || (line_no == 1 && n >= 8 && memcmp(line, "#version", 8) == 0)) continue;
        if (rank == INT_MAX) { rc = error_set(err, "%s:%d: too many merges", path, line_no); break; }
        rc = parse_merge_line(t, index, line, n, scratch, path, line_no, rank++, err);
    }
    free(scratch);
    free(data);
    return rc;
}

/* ======================================================================
 * The word cache.
 * ====================================================================== */

static int cache_init(TokCache *c) {
    memset(c, 0, sizeof *c);
    c->cap = CACHE_SLOTS;
    c->hashes = calloc(c->cap, sizeof *c->hashes);
    c->key_off = malloc(c->cap * sizeof *c->key_off);
    c->key_len = malloc(c->cap * sizeof *c->key_len);
    c->ids_off = malloc(c->cap * sizeof *c->ids_off);
    c->n_ids = malloc(c->cap * sizeof *c->n_ids);
    return c->hashes && c->key_off && c->key_len && c->ids_off && c->n_ids ? 0 : -1;
}

static void cache_free(TokCache *c) {
    free(c->hashes); free(c->key_off); free(c->key_len); free(c->ids_off); free(c->n_ids);
    free(c->key_arena); free(c->ids_arena);
    memset(c, 0, sizeof *c);
}

static void cache_clear(TokCache *c) {
    memset(c->hashes, 0, c->cap * sizeof *c->hashes);
    c->count = 0;
    c->key_used = 0;
    c->ids_used = 0;
}

/* The cached ids of word, or NULL. */
static const int *cache_get(const TokCache *c, const char *word, size_t len, uint64_t h, int *n) {
    size_t i = h & (c->cap - 1);
    while (c->hashes[i]) {
        if (c->hashes[i] == h && c->key_len[i] == len && memcmp(c->key_arena + c->key_off[i], word, len) == 0) {
            *n = (int)c->n_ids[i];
            return c->ids_arena + c->ids_off[i];
        }
        i = (i + 1) & (c->cap - 1);
    }
    return NULL;
}

static int grow(void **buf, size_t *cap, size_t need, size_t item) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    void *b = realloc(*buf, c * item);
    if (!b) return -1;
    *buf = b;
    *cap = c;
    return 0;
}

/* Remembers word -> ids; a failure to grow just leaves it uncached. */
static void cache_put(TokCache *c, const char *word, size_t len, uint64_t h, const int *ids, int n) {
    if (len > CACHE_MAX_WORD) return;
    if (c->count >= c->cap / 2 || c->key_used + len > CACHE_MAX_BYTES) cache_clear(c);
    if (grow((void **)&c->key_arena, &c->key_cap, c->key_used + len, 1) != 0) return;
    if (grow((void **)&c->ids_arena, &c->ids_cap, c->ids_used + (size_t)n, sizeof(int)) != 0) return;
    size_t i = h & (c->cap - 1);
    while (c->hashes[i]) i = (i + 1) & (c->cap - 1);
    c->hashes[i] = h;
    c->key_off[i] = (uint32_t)c->key_used;
    c->key_len[i] = (uint32_t)len;
    c->ids_off[i] = (uint32_t)c->ids_used;
    c->n_ids[i] = (uint32_t)n;
    memcpy(c->key_arena + c->key_used, word, len);
    memcpy(c->ids_arena + c->ids_used, ids, (size_t)n * sizeof(int));
    c->key_used += len;
    c->ids_used += (size_t)n;
    c->count++;
}

/* ======================================================================
 * Loading and freeing.
 * ====================================================================== */

int tokenizer_load(Tokenizer *t, const char *dir, Error *err) {
    memset(t, 0, sizeof *t);
    JsonValue root = {0};
    StrIndex index = {0};
    int rc = load_vocab(t, dir, &root, &index, err);
    if (rc == 0) rc = load_merges(t, dir, &index, err);
    if (rc == 0 && cache_init(&t->cache) != 0) rc = error_set(err, "%s: out of memory", dir);
    str_index_free(&index);
    json_free(&root);
    if (rc != 0) tokenizer_free(t);
    return rc;
}

void tokenizer_free(Tokenizer *t) {
    free(t->bytes);
    free(t->offsets);
    free(t->merges);
    cache_free(&t->cache);
    memset(t, 0, sizeof *t);
}

int tokenizer_vocab_size(const Tokenizer *t) { return t->vocab_size; }
int tokenizer_eot_id(const Tokenizer *t) { return t->eot_id; }

int tokenizer_pad(Tokenizer *t, int n_ids, Error *err) {
    if (n_ids <= t->vocab_size) return 0;
    char text[32];
    size_t extra = 0;
    for (int id = t->vocab_size; id < n_ids; id++) extra += (size_t)snprintf(text, sizeof text, TOKENIZER_PLACEHOLDER_FMT, id);
    size_t used = t->offsets[t->vocab_size];
    char *bytes = realloc(t->bytes, used + extra);
    if (!bytes) return error_set(err, "tokenizer: out of memory for %d placeholder tokens", n_ids - t->vocab_size);
    t->bytes = bytes;
    size_t *offsets = realloc(t->offsets, ((size_t)n_ids + 1) * sizeof *offsets);
    if (!offsets) return error_set(err, "tokenizer: out of memory for %d placeholder tokens", n_ids - t->vocab_size);
    t->offsets = offsets;
    for (int id = t->vocab_size; id < n_ids; id++) {
        int k = snprintf(text, sizeof text, TOKENIZER_PLACEHOLDER_FMT, id);
        memcpy(t->bytes + used, text, (size_t)k);
        used += (size_t)k;
        t->offsets[id + 1] = used;
    }
    t->vocab_size = n_ids;
    return 0;
}

const char *tokenizer_token_bytes(const Tokenizer *t, int id, size_t *len) {
    if (id < 0 || id >= t->vocab_size) return NULL;
    *len = t->offsets[id + 1] - t->offsets[id];
    return t->bytes + t->offsets[id];
}

/* ======================================================================
 * BPE of one word.  Symbols are a linked list over the word's byte
 * positions (a symbol is named by the byte where it starts); candidate pairs
 * sit in a min-heap ordered by (rank, position), so the top is the
 * lowest-rank pair, leftmost among equals - GPT-2's order.  Entries whose
 * pair has changed since they were pushed are skipped when popped.
 * ====================================================================== */

typedef struct {
    int rank;
    int left;    /* byte position of the left symbol */
    int right;   /* byte position of the right symbol when pushed */
} PairItem;

static int item_less(const PairItem *a, const PairItem *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->left < b->left;
}

static void heap_push(PairItem *heap, int *n, PairItem it) {
    int i = (*n)++;
    while (i > 0 && item_less(&it, &heap[(i - 1) / 2])) { heap[i] = heap[(i - 1) / 2]; i = (i - 1) / 2; }
    heap[i] = it;
}

static PairItem heap_pop(PairItem *heap, int *n) {
    PairItem top = heap[0], last = heap[--*n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && item_less(&heap[c + 1], &heap[c])) c++;
        if (!item_less(&heap[c], &last)) break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = last;
    return top;
}

static void push_pair(const Tokenizer *t, const int *id, PairItem *heap, int *n_heap, int left, int right) {
    const TokMerge *m = merge_find(t, id[left], id[right]);
    if (m) { PairItem it = {.rank = m->rank, .left = left, .right = right}; heap_push(heap, n_heap, it); }
}

/* Runs the merges over id/next/prev (each [n], n >= 1); heap has room for 3n. */
static void bpe_merge_all(const Tokenizer *t, int n, int *id, int *next, int *prev, PairItem *heap,
                          TokMergeFn on_merge, void *ctx) {
    int n_heap = 0;
    for (int i = 0; i + 1 < n; i++) push_pair(t, id, heap, &n_heap, i, i + 1);
    while (n_heap > 0) {
        PairItem it = heap_pop(heap, &n_heap);
        int l = it.left, r = it.right;
        if (id[l] < 0 || next[l] != r) continue;   /* l was absorbed, or r was */
        const TokMerge *m = merge_find(t, id[l], id[r]);
        if (!m || m->rank != it.rank) continue;     /* r has changed since */
        if (on_merge) on_merge(ctx, (size_t)l, id[l], id[r], m->merged, m->rank);
        id[l] = m->merged;
        id[r] = -1;
        next[l] = next[r];
        if (next[r] >= 0) prev[next[r]] = l;
        if (prev[l] >= 0) push_pair(t, id, heap, &n_heap, prev[l], l);
        if (next[l] >= 0) push_pair(t, id, heap, &n_heap, l, next[l]);
    }
}

int tokenizer_bpe_word(const Tokenizer *t, const char *word, size_t len, int **ids, int *n, TokMergeFn on_merge,
                       void *ctx, Error *err) {
    if (len == 0) { *ids = NULL; *n = 0; return 0; }
    if (len > (size_t)INT_MAX / 4) return error_set(err, "word of %zu bytes is too long", len);
    int w = (int)len;
    int *id = malloc((size_t)w * 3 * sizeof(int));
    PairItem *heap = malloc((size_t)w * 3 * sizeof *heap);
    int *out = malloc((size_t)w * sizeof *out);
    if (!id || !heap || !out) { free(id); free(heap); free(out); return error_set(err, "out of memory"); }
    int *next = id + w, *prev = id + 2 * w;
    for (int i = 0; i < w; i++) {
        id[i] = t->byte_id[(unsigned char)word[i]];
        next[i] = i + 1 < w ? i + 1 : -1;
        prev[i] = i - 1;
    }
    bpe_merge_all(t, w, id, next, prev, heap, on_merge, ctx);
    int k = 0;
    for (int i = 0; i >= 0; i = next[i]) out[k++] = id[i];
    free(id);
    free(heap);
    *ids = out;
    *n = k;
    return 0;
}

/* ======================================================================
 * Encoding a text.
 * ====================================================================== */

typedef struct {
    int *ids;
    size_t n, cap;
} IdList;

static int ids_append(IdList *l, const int *ids, size_t n) {
    if (grow((void **)&l->ids, &l->cap, l->n + n, sizeof(int)) != 0) return -1;
    memcpy(l->ids + l->n, ids, n * sizeof(int));
    l->n += n;
    return 0;
}

static int encode_word(Tokenizer *t, const char *word, size_t len, IdList *out, Error *err) {
    if (len == 1) return ids_append(out, &t->byte_id[(unsigned char)word[0]], 1) ? error_set(err, "out of memory") : 0;
    uint64_t h = hash_bytes(word, len);
    int n;
    const int *hit = cache_get(&t->cache, word, len, h, &n);
    if (hit) return ids_append(out, hit, (size_t)n) ? error_set(err, "out of memory") : 0;
    int *ids;
    if (tokenizer_bpe_word(t, word, len, &ids, &n, NULL, NULL, err) != 0) return -1;
    cache_put(&t->cache, word, len, h, ids, n);
    int rc = ids_append(out, ids, (size_t)n);
    free(ids);
    return rc ? error_set(err, "out of memory") : 0;
}

/* Pre-tokenizes text[start, end) on its own (the pattern's look-ahead
 * stops at end, as it does at a special token in tiktoken) and encodes it. */
static int encode_piece(Tokenizer *t, const char *text, size_t start, size_t end, IdList *out, Error *err) {
    for (size_t pos = start; pos < end;) {
        size_t e = tokenizer_next_word(text, end, pos);
        if (encode_word(t, text + pos, e - pos, out, err) != 0) return -1;
        pos = e;
    }
    return 0;
}

int tokenizer_encode(Tokenizer *t, const char *text, size_t len, int allow_special, int **ids, int *n,
                     Error *err) {
    IdList out = {.ids = NULL, .n = 0, .cap = 0};
    int special = allow_special && t->eot_id >= 0;
    for (size_t pos = 0; pos < len;) {
        size_t cut = special ? tokenizer_find_eot(text, len, pos) : len;
        if (encode_piece(t, text, pos, cut, &out, err) != 0) { free(out.ids); return -1; }
        if (cut == len) break;
        if (ids_append(&out, &t->eot_id, 1) != 0) { free(out.ids); return error_set(err, "out of memory"); }
        pos = cut + EOT_LEN;
    }
    if (out.n > (size_t)INT_MAX) { free(out.ids); return error_set(err, "text too long: %zu tokens", out.n); }
    *ids = out.ids ? out.ids : malloc(sizeof(int));
    *n = (int)out.n;
    return *ids ? 0 : error_set(err, "out of memory");
}

/* ======================================================================
 * Printing bytes without splitting a UTF-8 character.
 * ====================================================================== */

/* 1 when s[0, n) (n < full length) can still grow into a valid sequence. */
static int utf8_prefix_ok(const unsigned char *s, int n) {
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    int len;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) { len = 3; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }
    else return 0;
    if (n >= len) return 0;
    if (n >= 2 && (s[1] < lo || s[1] > hi)) return 0;
    if (n >= 3 && (s[2] < 0x80 || s[2] > 0xBF)) return 0;
    return 1;
}

/* Writes out whatever of pending is decided: complete characters and bytes
 * that can never be part of one. */
static void utf8_stream_drain(Utf8Stream *s, FILE *out) {
    while (s->n_pending > 0) {
        int n = s->n_pending;
        if (utf8_valid_len(s->pending, (size_t)n) == n) { fwrite(s->pending, 1, (size_t)n, out); s->n_pending = 0; }
        else if (utf8_prefix_ok(s->pending, n)) return;
        else {
            fputc(s->pending[0], out);
            memmove(s->pending, s->pending + 1, (size_t)n - 1);
            s->n_pending--;
        }
    }
}

void utf8_stream_put(Utf8Stream *s, const char *bytes, size_t len, FILE *out) {
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)bytes[i];
        if (s->n_pending == 0 && b < 0x80) { fputc(b, out); continue; }
        s->pending[s->n_pending++] = b;
        utf8_stream_drain(s, out);
    }
}

void utf8_stream_flush(Utf8Stream *s, FILE *out) {
    fwrite(s->pending, 1, (size_t)s->n_pending, out);
    s->n_pending = 0;
}
