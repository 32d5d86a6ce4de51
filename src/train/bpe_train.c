/* bpe_train.c - see bpe_train.h. */
#include "train/bpe_train.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"
#include "formats/tokenizer.h"

#define PROGRESS_EVERY 100

/* All of the trainer's state, one struct passed to every stage. */
typedef struct {
    /* unique words */
    const char **word_text;  /* [n_words] first occurrence in the text */
    size_t *word_len;        /* [n_words] bytes */
    long long *word_count;   /* [n_words] occurrences */
    int *word_off;           /* [n_words] symbols start in sym */
    int *word_n;             /* [n_words] symbols now (shrinks as merges apply) */
    int *word_stamp;         /* [n_words] last merge that touched the word */
    int n_words, cap_words;
    uint64_t *word_hash;     /* [word_slots] open addressing, 0 = empty */
    int *word_slot_id;       /* [word_slots] word index */
    size_t word_slots;
    int *sym;                /* all words' symbols (token ids), back to back */
    /* tokens */
    char *tok_bytes;         /* bytes of all tokens, back to back */
    size_t tok_used, tok_cap;
    size_t *tok_off;         /* [n_tokens] */
    size_t *tok_len;         /* [n_tokens] */
    int n_tokens, cap_tokens;
    uint64_t *tok_hash;      /* [tok_slots] token bytes -> id, 0 = empty */
    int *tok_slot_id;
    size_t tok_slots;
    /* pairs of adjacent symbols */
    uint64_t *pair_key;      /* [n_pairs] (left << 32) | right */
    long long *pair_count;   /* [n_pairs] occurrences over all words (× word count) */
    int **pair_words;        /* [n_pairs] words that have (or had) the pair; may repeat */
    int *pair_n_words, *pair_cap_words;
    unsigned char *pair_dirty; /* [n_pairs] count changed during this merge */
    int n_pairs, cap_pairs;
    int *pair_slot_id;       /* [pair_slots] -1 = empty */
    size_t pair_slots;
    int *dirty;              /* pairs to re-push after this merge */
    int n_dirty, cap_dirty;
    /* max-heap of (count, pair); stale entries skipped when popped */
    long long *heap_count;
    int *heap_pair;
    int n_heap, cap_heap;
    /* the result */
    int *merge_left, *merge_right; /* [n_merges] */
    int n_merges, cap_merges;
} Trainer;

/* ---- growth and hashing ---- */

static int grow_array(void **p, int *cap, int need, size_t item) {
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 64;
    while (c < need) { if (c > INT_MAX / 2) return -1; c *= 2; }
    void *q = realloc(*p, (size_t)c * item);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h ? h : 1;
}

static uint64_t hash_pair(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* ---- tokens ---- */

static int token_find(const Trainer *tr, const char *b, size_t n, uint64_t h) {
    size_t i = h & (tr->tok_slots - 1);
    while (tr->tok_hash[i]) {
        int id = tr->tok_slot_id[i];
        if (tr->tok_hash[i] == h && tr->tok_len[id] == n && memcmp(tr->tok_bytes + tr->tok_off[id], b, n) == 0)
            return id;
        i = (i + 1) & (tr->tok_slots - 1);
    }
    return -1;
}

/* Adds a token (bytes not yet present); returns its id or -1. */
static int token_add(Trainer *tr, const char *b, size_t n) {
    if (grow_array((void **)&tr->tok_off, &tr->cap_tokens, tr->n_tokens + 1, sizeof(size_t)) != 0) return -1;
    size_t *len = realloc(tr->tok_len, (size_t)tr->cap_tokens * sizeof(size_t));
    if (!len) return -1;
    tr->tok_len = len;
    if (tr->tok_used + n > tr->tok_cap) {
        size_t c = tr->tok_cap ? tr->tok_cap : 4096;
        while (c < tr->tok_used + n) c *= 2;
        char *q = realloc(tr->tok_bytes, c);
        if (!q) return -1;
        tr->tok_bytes = q;
        tr->tok_cap = c;
    }
    int id = tr->n_tokens++;
    memcpy(tr->tok_bytes + tr->tok_used, b, n);
    tr->tok_off[id] = tr->tok_used;
    tr->tok_len[id] = n;
    tr->tok_used += n;
    uint64_t h = hash_bytes(b, n);
    size_t i = h & (tr->tok_slots - 1);
    while (tr->tok_hash[i]) i = (i + 1) & (tr->tok_slots - 1);
    tr->tok_hash[i] = h;
    tr->tok_slot_id[i] = id;
    return id;
}

/* The 256 byte tokens, ids in GPT-2's order (that of their code points). */
static int add_byte_tokens(Trainer *tr, int byte_id[256]) {
    for (unsigned cp = 0; cp < 324; cp++)
        for (int b = 0; b < 256; b++)
            if (tokenizer_byte_to_unicode((unsigned char)b) == cp) {
                char c = (char)b;
                if ((byte_id[b] = token_add(tr, &c, 1)) < 0) return -1;
            }
    return 0;
}

/* ---- words ---- */

static int word_slots_grow(Trainer *tr) {
    size_t slots = tr->word_slots ? tr->word_slots * 2 : 1 << 12;
    uint64_t *h = calloc(slots, sizeof *h);
    int *id = malloc(slots * sizeof *id);
    if (!h || !id) { free(h); free(id); return -1; }
    for (size_t i = 0; i < tr->word_slots; i++)
        if (tr->word_hash[i]) {
            size_t j = tr->word_hash[i] & (slots - 1);
            while (h[j]) j = (j + 1) & (slots - 1);
            h[j] = tr->word_hash[i];
            id[j] = tr->word_slot_id[i];
        }
    free(tr->word_hash);
    free(tr->word_slot_id);
    tr->word_hash = h;
    tr->word_slot_id = id;
    tr->word_slots = slots;
    return 0;
}

static int word_count_add(Trainer *tr, const char *w, size_t n) {
    if ((size_t)tr->n_words * 2 >= tr->word_slots && word_slots_grow(tr) != 0) return -1;
    uint64_t h = hash_bytes(w, n);
    size_t i = h & (tr->word_slots - 1);
    while (tr->word_hash[i]) {
        int id = tr->word_slot_id[i];
        if (tr->word_hash[i] == h && tr->word_len[id] == n && memcmp(tr->word_text[id], w, n) == 0) {
            tr->word_count[id]++;
            return 0;
        }
        i = (i + 1) & (tr->word_slots - 1);
    }
    int cap = tr->cap_words;
    if (grow_array((void **)&tr->word_text, &cap, tr->n_words + 1, sizeof(char *)) != 0) return -1;
    if (cap != tr->cap_words) {
        size_t *l = realloc(tr->word_len, (size_t)cap * sizeof *l);
        if (l) tr->word_len = l;
        long long *c = realloc(tr->word_count, (size_t)cap * sizeof *c);
        if (c) tr->word_count = c;
        if (!l || !c) return -1;
        tr->cap_words = cap;
    }
    int id = tr->n_words++;
    tr->word_text[id] = w;
    tr->word_len[id] = n;
    tr->word_count[id] = 1;
    tr->word_hash[i] = h;
    tr->word_slot_id[i] = id;
    return 0;
}

/* Counts the pre-tokenized words of the text; <|endoftext|> separates
 * documents and is not itself a word. */
static int count_words(Trainer *tr, const char *text, size_t len, Error *err) {
    for (size_t pos = 0; pos < len;) {
        size_t cut = tokenizer_find_eot(text, len, pos);
        for (size_t p = pos; p < cut;) {
            size_t e = tokenizer_next_word(text, cut, p);
            if (e - p > (size_t)INT_MAX / 2) return error_set(err, "a word of %zu bytes is too long", e - p);
            if (word_count_add(tr, text + p, e - p) != 0) return error_set(err, "out of memory counting words");
            p = e;
        }
        pos = cut + (cut < len ? strlen(TOKENIZER_EOT_TEXT) : 0);
    }
    return 0;
}

/* Every word as byte symbols. */
static int init_symbols(Trainer *tr, const int byte_id[256], Error *err) {
    size_t total = 0;
    for (int w = 0; w < tr->n_words; w++) total += tr->word_len[w];
    if (total > (size_t)INT_MAX) return error_set(err, "%zu bytes of distinct words: too many", total);
    tr->sym = malloc((total ? total : 1) * sizeof *tr->sym);
    size_t n_words = tr->n_words > 0 ? (size_t)tr->n_words : 1;
    tr->word_off = malloc(n_words * sizeof(int));
    tr->word_n = malloc(n_words * sizeof(int));
    tr->word_stamp = malloc(n_words * sizeof(int));
    if (!tr->sym || !tr->word_off || !tr->word_n || !tr->word_stamp) return error_set(err, "out of memory");
    int at = 0;
    for (int w = 0; w < tr->n_words; w++) {
        tr->word_off[w] = at;
        tr->word_n[w] = (int)tr->word_len[w];
        tr->word_stamp[w] = -1;
        for (size_t i = 0; i < tr->word_len[w]; i++) tr->sym[at++] = byte_id[(unsigned char)tr->word_text[w][i]];
    }
    return 0;
}

/* ---- pairs ---- */

static int pair_slots_grow(Trainer *tr) {
    size_t slots = tr->pair_slots ? tr->pair_slots * 2 : 1 << 12;
    int *id = malloc(slots * sizeof *id);
    if (!id) return -1;
    for (size_t i = 0; i < slots; i++) id[i] = -1;
    for (int p = 0; p < tr->n_pairs; p++) {
        size_t j = hash_pair(tr->pair_key[p]) & (slots - 1);
        while (id[j] >= 0) j = (j + 1) & (slots - 1);
        id[j] = p;
    }
    free(tr->pair_slot_id);
    tr->pair_slot_id = id;
    tr->pair_slots = slots;
    return 0;
}

/* Index of pair (left, right), created with count 0 if new; -1 when out of memory. */
static int pair_get(Trainer *tr, int left, int right) {
    if ((size_t)tr->n_pairs * 2 >= tr->pair_slots && pair_slots_grow(tr) != 0) return -1;
    uint64_t key = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    size_t i = hash_pair(key) & (tr->pair_slots - 1);
    while (tr->pair_slot_id[i] >= 0) {
        if (tr->pair_key[tr->pair_slot_id[i]] == key) return tr->pair_slot_id[i];
        i = (i + 1) & (tr->pair_slots - 1);
    }
    int cap = tr->cap_pairs;
    if (grow_array((void **)&tr->pair_key, &cap, tr->n_pairs + 1, sizeof(uint64_t)) != 0) return -1;
    if (cap != tr->cap_pairs) {
        size_t c = (size_t)cap;
        long long *cnt = realloc(tr->pair_count, c * sizeof *cnt);
        if (cnt) tr->pair_count = cnt;
        int **pw = realloc(tr->pair_words, c * sizeof *pw);
        if (pw) tr->pair_words = pw;
        int *pn = realloc(tr->pair_n_words, c * sizeof *pn);
        if (pn) tr->pair_n_words = pn;
        int *pc = realloc(tr->pair_cap_words, c * sizeof *pc);
        if (pc) tr->pair_cap_words = pc;
        unsigned char *pd = realloc(tr->pair_dirty, c);
        if (pd) tr->pair_dirty = pd;
        if (!cnt || !pw || !pn || !pc || !pd) return -1;
        tr->cap_pairs = cap;
    }
    int p = tr->n_pairs++;
    tr->pair_key[p] = key;
    tr->pair_count[p] = 0;
    tr->pair_words[p] = NULL;
    tr->pair_n_words[p] = 0;
    tr->pair_cap_words[p] = 0;
    tr->pair_dirty[p] = 0;
    tr->pair_slot_id[i] = p;
    return p;
}

/* count += delta for pair (left, right); records word w (unless w < 0) and
 * marks the pair for re-pushing. */
static int pair_add(Trainer *tr, int left, int right, int w, long long delta) {
    int p = pair_get(tr, left, right);
    if (p < 0) return -1;
    tr->pair_count[p] += delta;
    if (w >= 0) {
        int n = tr->pair_n_words[p];
        if (n == 0 || tr->pair_words[p][n - 1] != w) {
            if (grow_array((void **)&tr->pair_words[p], &tr->pair_cap_words[p], n + 1, sizeof(int)) != 0) return -1;
            tr->pair_words[p][tr->pair_n_words[p]++] = w;
        }
    }
    if (!tr->pair_dirty[p]) {
        if (grow_array((void **)&tr->dirty, &tr->cap_dirty, tr->n_dirty + 1, sizeof(int)) != 0) return -1;
        tr->dirty[tr->n_dirty++] = p;
        tr->pair_dirty[p] = 1;
    }
    return 0;
}

/* ---- the heap: most frequent pair on top, ties by the bytes of left, then right ---- */

static int bytes_cmp(const Trainer *tr, int a, int b) {
    size_t la = tr->tok_len[a], lb = tr->tok_len[b];
    int c = memcmp(tr->tok_bytes + tr->tok_off[a], tr->tok_bytes + tr->tok_off[b], la < lb ? la : lb);
    if (c) return c;
    return la < lb ? -1 : la > lb;
}

/* 1 when (ca, pair a) should be merged before (cb, pair b). */
static int pair_before(const Trainer *tr, long long ca, int a, long long cb, int b) {
    if (ca != cb) return ca > cb;
    int la = (int)(tr->pair_key[a] >> 32), lb = (int)(tr->pair_key[b] >> 32);
    int c = bytes_cmp(tr, la, lb);
    if (c) return c < 0;
    return bytes_cmp(tr, (int)(uint32_t)tr->pair_key[a], (int)(uint32_t)tr->pair_key[b]) < 0;
}

static int heap_push(Trainer *tr, int p) {
    int cap = tr->cap_heap;
    if (grow_array((void **)&tr->heap_pair, &cap, tr->n_heap + 1, sizeof(int)) != 0) return -1;
    if (cap != tr->cap_heap) {
        long long *c = realloc(tr->heap_count, (size_t)cap * sizeof *c);
        if (!c) return -1;
        tr->heap_count = c;
        tr->cap_heap = cap;
    }
    long long cnt = tr->pair_count[p];
    int i = tr->n_heap++;
    while (i > 0) {
        int up = (i - 1) / 2;
        if (!pair_before(tr, cnt, p, tr->heap_count[up], tr->heap_pair[up])) break;
        tr->heap_count[i] = tr->heap_count[up];
        tr->heap_pair[i] = tr->heap_pair[up];
        i = up;
    }
    tr->heap_count[i] = cnt;
    tr->heap_pair[i] = p;
    return 0;
}

static void heap_pop(Trainer *tr, long long *count, int *pair) {
    *count = tr->heap_count[0];
    *pair = tr->heap_pair[0];
    long long lc = tr->heap_count[--tr->n_heap];
    int lp = tr->heap_pair[tr->n_heap], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= tr->n_heap) break;
        if (c + 1 < tr->n_heap && pair_before(tr, tr->heap_count[c + 1], tr->heap_pair[c + 1], tr->heap_count[c],
                                              tr->heap_pair[c]))
            c++;
        if (!pair_before(tr, tr->heap_count[c], tr->heap_pair[c], lc, lp)) break;
        tr->heap_count[i] = tr->heap_count[c];
        tr->heap_pair[i] = tr->heap_pair[c];
        i = c;
    }
    tr->heap_count[i] = lc;
    tr->heap_pair[i] = lp;
}

/* The best pair whose heap entry is current, or -1. */
static int best_pair(Trainer *tr, long long *count) {
    while (tr->n_heap > 0) {
        int p;
        heap_pop(tr, count, &p);
        if (*count == tr->pair_count[p] && *count > 0) return p;
    }
    return -1;
}

static int push_dirty(Trainer *tr) {
    for (int k = 0; k < tr->n_dirty; k++) {
        int p = tr->dirty[k];
        tr->pair_dirty[p] = 0;
        if (tr->pair_count[p] > 0 && heap_push(tr, p) != 0) return -1;
    }
    tr->n_dirty = 0;
    return 0;
}

static int count_pairs(Trainer *tr) {
    for (int w = 0; w < tr->n_words; w++) {
        const int *s = tr->sym + tr->word_off[w];
        for (int i = 0; i + 1 < tr->word_n[w]; i++)
            if (pair_add(tr, s[i], s[i + 1], w, tr->word_count[w]) != 0) return -1;
    }
    return push_dirty(tr);
}

/* ---- one merge ---- */

/* Replaces every (left, right) in word w by merged, left to right.  The
 * word's pairs are taken out of the counts before and put back after: simple
 * to trust, and words are short.  Only pairs that hold the new token can be
 * new to the word, so only they list it. */
static int merge_word(Trainer *tr, int w, int left, int right, int merged) {
    int *s = tr->sym + tr->word_off[w], n = tr->word_n[w];
    long long f = tr->word_count[w];
    for (int i = 0; i + 1 < n; i++)
        if (pair_add(tr, s[i], s[i + 1], -1, -f) != 0) return -1;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (i + 1 < n && s[i] == left && s[i + 1] == right) { s[k++] = merged; i++; }
        else s[k++] = s[i];
    }
    tr->word_n[w] = k;
    for (int i = 0; i + 1 < k; i++) {
        int is_new = s[i] == merged || s[i + 1] == merged;
        if (pair_add(tr, s[i], s[i + 1], is_new ? w : -1, f) != 0) return -1;
    }
    return 0;
}

static int apply_merge(Trainer *tr, int p, Error *err) {
    int left = (int)(tr->pair_key[p] >> 32), right = (int)(uint32_t)tr->pair_key[p];
    size_t ln = tr->tok_len[left], rn = tr->tok_len[right];
    char *b = malloc(ln + rn);
    if (!b) return error_set(err, "out of memory");
    memcpy(b, tr->tok_bytes + tr->tok_off[left], ln);
    memcpy(b + ln, tr->tok_bytes + tr->tok_off[right], rn);
    int merged = token_find(tr, b, ln + rn, hash_bytes(b, ln + rn));
    if (merged < 0) merged = token_add(tr, b, ln + rn);
    free(b);
    if (merged < 0) return error_set(err, "out of memory");
    if (grow_array((void **)&tr->merge_left, &tr->cap_merges, tr->n_merges + 1, sizeof(int)) != 0)
        return error_set(err, "out of memory");
    int *mr = realloc(tr->merge_right, (size_t)tr->cap_merges * sizeof(int));
    if (!mr) return error_set(err, "out of memory");
    tr->merge_right = mr;
    tr->merge_left[tr->n_merges] = left;
    tr->merge_right[tr->n_merges] = right;
    int stamp = tr->n_merges++;
    /* The word list may grow while we walk it (a pair like (x, x)): walk a copy. */
    int n = tr->pair_n_words[p], *words = tr->pair_words[p];
    tr->pair_words[p] = NULL;
    tr->pair_n_words[p] = 0;
    tr->pair_cap_words[p] = 0;
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        int w = words[k];
        if (tr->word_stamp[w] == stamp) continue;
        tr->word_stamp[w] = stamp;
        rc = merge_word(tr, w, left, right, merged);
    }
    free(words);
    if (rc == 0) rc = push_dirty(tr);
    return rc ? error_set(err, "out of memory") : 0;
}

/* ---- writing GPT-2's files ---- */

static void write_token_string(FILE *f, const Trainer *tr, int id) {
    char buf[8];
    /* Map through byte-to-unicode into a small buffer per byte (the mapped
     * string never needs escaping except for '"' and '\\'). */
    fputc('"', f);
    for (size_t i = 0; i < tr->tok_len[id]; i++) {
        unsigned cp = tokenizer_byte_to_unicode((unsigned char)tr->tok_bytes[tr->tok_off[id] + i]);
        if (cp == '"' || cp == '\\') { fputc('\\', f); fputc((int)cp, f); }
        else if (cp < 0x80) fputc((int)cp, f);
        else {
            buf[0] = (char)(0xC0 | (cp >> 6));
            buf[1] = (char)(0x80 | (cp & 0x3F));
            fwrite(buf, 1, 2, f);
        }
    }
    fputc('"', f);
}

static void write_token_plain(FILE *f, const Trainer *tr, int id) {
    for (size_t i = 0; i < tr->tok_len[id]; i++) {
        unsigned cp = tokenizer_byte_to_unicode((unsigned char)tr->tok_bytes[tr->tok_off[id] + i]);
        if (cp < 0x80) fputc((int)cp, f);
        else { fputc((int)(0xC0 | (cp >> 6)), f); fputc((int)(0x80 | (cp & 0x3F)), f); }
    }
}

static int write_files(const Trainer *tr, const char *out_dir, Error *err) {
    char path[4096];
    AtomicFile af;
    if (path_join(path, sizeof path, out_dir, "vocab.json", err) != 0 || atomic_open(&af, path, err) != 0) return -1;
    fputc('{', af.f);
    for (int id = 0; id < tr->n_tokens; id++) {
        if (id) fputs(", ", af.f);
        write_token_string(af.f, tr, id);
        fprintf(af.f, ": %d", id);
    }
    fprintf(af.f, ", \"%s\": %d}", TOKENIZER_EOT_TEXT, tr->n_tokens);
    if (atomic_commit(&af, err) != 0) return -1;
    if (path_join(path, sizeof path, out_dir, "merges.txt", err) != 0 || atomic_open(&af, path, err) != 0) return -1;
    fputs("#version: 0.2\n", af.f);
    for (int m = 0; m < tr->n_merges; m++) {
        write_token_plain(af.f, tr, tr->merge_left[m]);
        fputc(' ', af.f);
        write_token_plain(af.f, tr, tr->merge_right[m]);
        fputc('\n', af.f);
    }
    return atomic_commit(&af, err);
}

/* ---- the whole run ---- */

static void trainer_free(Trainer *tr) {
    free(tr->word_text); free(tr->word_len); free(tr->word_count); free(tr->word_off); free(tr->word_n);
    free(tr->word_stamp); free(tr->word_hash); free(tr->word_slot_id); free(tr->sym);
    free(tr->tok_bytes); free(tr->tok_off); free(tr->tok_len); free(tr->tok_hash); free(tr->tok_slot_id);
    for (int p = 0; p < tr->n_pairs; p++) free(tr->pair_words[p]);
    free(tr->pair_key); free(tr->pair_count); free(tr->pair_words); free(tr->pair_n_words);
    free(tr->pair_cap_words); free(tr->pair_dirty); free(tr->pair_slot_id); free(tr->dirty);
    free(tr->heap_count); free(tr->heap_pair); free(tr->merge_left); free(tr->merge_right);
}

static int train(Trainer *tr, const char *text, size_t len, int vocab_size, const char *out_dir,
                 BpeProgressFn progress, void *ctx, Error *err) {
    int byte_id[256];
    tr->tok_slots = 16;
    while (tr->tok_slots < 2 * (size_t)vocab_size) tr->tok_slots *= 2;
    tr->tok_hash = calloc(tr->tok_slots, sizeof *tr->tok_hash);
    tr->tok_slot_id = malloc(tr->tok_slots * sizeof *tr->tok_slot_id);
    if (!tr->tok_hash || !tr->tok_slot_id || add_byte_tokens(tr, byte_id) != 0) return error_set(err, "out of memory");
    if (count_words(tr, text, len, err) != 0 || init_symbols(tr, byte_id, err) != 0) return -1;
    if (count_pairs(tr) != 0) return error_set(err, "out of memory counting pairs");
    long long count = 0;
    while (tr->n_tokens < vocab_size - 1) {
        int p = best_pair(tr, &count);
        if (p < 0 || count < 2) break;
        if (apply_merge(tr, p, err) != 0) return -1;
        if (progress && tr->n_merges % PROGRESS_EVERY == 0) progress(ctx, tr->n_merges, tr->n_tokens, count);
    }
    if (progress) progress(ctx, tr->n_merges, tr->n_tokens, count);
    if (write_files(tr, out_dir, err) != 0) return -1;
    return tr->n_tokens + 1;
}

int bpe_train(const char *text, size_t len, int vocab_size, const char *out_dir, BpeProgressFn progress,
              void *progress_ctx, Error *err) {
    if (vocab_size < 257 || vocab_size > 1000000)
        return error_set(err, "vocab_size: expected an integer in [257, 1000000], got %d", vocab_size);
    Trainer tr;
    memset(&tr, 0, sizeof tr);
    int rc = train(&tr, text, len, vocab_size, out_dir, progress, progress_ctx, err);
    trainer_free(&tr);
    return rc;
}
