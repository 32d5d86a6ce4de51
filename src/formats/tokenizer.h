/*
 * tokenizer.h - GPT-2's byte-level BPE tokenizer, byte for byte.
 *
 *   text bytes ──split on <|endoftext|>──▶ pieces ──pre-tokenize (GPT-2's pattern)──▶ words
 *   word ──one symbol per byte──▶ symbols ──merge the lowest-rank pair, repeat──▶ token ids
 *
 * The pre-tokenizer reproduces GPT-2's pattern
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * with the Unicode classes of src/formats/unicode_tables.h (\s = White_Space, as in
 * GPT-2's encoder.py, which uses the `regex` module, and tiktoken).  Text
 * need not be valid UTF-8: each byte that does not start a valid UTF-8
 * sequence counts as one character of the "other" class ([^\s\p{L}\p{N}]),
 * so every byte string is accepted and decode(encode(x)) == x.
 *
 * Merges are applied as GPT-2's encoder.py does: repeatedly the pair of
 * adjacent symbols with the lowest rank (line of merges.txt), leftmost first.
 * A min-heap keeps that O(n log n) in the word length; a cache of recent
 * words makes repeated words cost one hash lookup.
 */
#ifndef ARGEN_TOKENIZER_H
#define ARGEN_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "formats/files.h"

#define TOKENIZER_EOT_TEXT "<|endoftext|>"

/* One merge rule, as stored in the merge hash table. */
typedef struct {
    uint64_t pair;  /* (left id << 32) | right id; 0 with merged < 0 marks an empty slot */
    int rank;       /* 0-based index of the rule in merges.txt: lower merges first */
    int merged;     /* id of the token left+right */
} TokMerge;

/* Cache of recently encoded words: open addressing over word bytes.  Cleared
 * whole when full (no eviction order to reason about). */
typedef struct {
    uint64_t *hashes;   /* [cap] 0 = empty slot */
    uint32_t *key_off;  /* [cap] word bytes start in key_arena */
    uint32_t *key_len;  /* [cap] */
    uint32_t *ids_off;  /* [cap] token ids start in ids_arena */
    uint32_t *n_ids;    /* [cap] */
    size_t cap;         /* slots, a power of two */
    size_t count;       /* used slots */
    char *key_arena;    /* word bytes of every cached word, back to back */
    size_t key_used, key_cap;
    int *ids_arena;     /* token ids of every cached word, back to back */
    size_t ids_used, ids_cap;
} TokCache;

typedef struct Tokenizer {
    int vocab_size;        /* tokens in vocab.json (50257 for GPT-2) */
    int eot_id;            /* id of <|endoftext|>, or -1 when the vocab has none */
    char *bytes;           /* raw bytes of all tokens, back to back */
    size_t *offsets;       /* [vocab_size + 1] token i is bytes[offsets[i] .. offsets[i+1]) */
    int byte_id[256];      /* id of the one-byte token for each byte value */
    int n_merges;          /* rules read from merges.txt */
    TokMerge *merges;      /* [merge_cap] hash table keyed by pair */
    size_t merge_cap;      /* a power of two, at least 2 * n_merges */
    TokCache cache;        /* recently encoded words (the only mutable part) */
} Tokenizer;

/* Reads DIR/vocab.json and DIR/merges.txt.  Errors name the file (and the
 * line of merges.txt).  On failure nothing needs freeing. */
int tokenizer_load(Tokenizer *t, const char *dir, Error *err);
void tokenizer_free(Tokenizer *t);

int tokenizer_vocab_size(const Tokenizer *t);
int tokenizer_eot_id(const Tokenizer *t);   /* id of <|endoftext|>, or -1 */

/* Encodes len bytes (any bytes).  allow_special: "<|endoftext|>" becomes
 * the special id; otherwise it is plain text.  *ids is malloc'ed (free() it),
 * *n tokens.  Fails only when out of memory. */
int tokenizer_encode(Tokenizer *t, const char *text, size_t len, int allow_special, int **ids, int *n,
                     Error *err);

/* Model vocabularies are often padded past the tokenizer's (to a multiple
 * of 64 or 128): the extra ids have a row in wte but no text.  Gives each id
 * in [vocab.json's size, n_ids) the printable text "<|id N|>", so that every
 * generated id has text wherever text is produced (terminal, JSON, traces).
 * The encoder never produces these ids.  Nothing to do when n_ids is not
 * larger; fails only when out of memory (the tokenizer is then unchanged). */
#define TOKENIZER_PLACEHOLDER_FMT "<|id %d|>"
int tokenizer_pad(Tokenizer *t, int n_ids, Error *err);

/* The raw bytes a token stands for (not the vocab.json form).  Not
 * NUL-terminated.  NULL if id is out of range. */
const char *tokenizer_token_bytes(const Tokenizer *t, int id, size_t *len);

/* ---- the stages, for `tokenize --trace` and the BPE trainer ---- */

/* End (exclusive) of the pre-tokenized word that starts at pos < len. */
size_t tokenizer_next_word(const char *text, size_t len, size_t pos);

/* Offset of the first "<|endoftext|>" at or after pos, or len if none. */
size_t tokenizer_find_eot(const char *text, size_t len, size_t pos);

/* GPT-2's byte-to-unicode map: the code point that stands for byte b in
 * vocab.json and merges.txt (printable bytes stand for themselves, the
 * others for U+0100 and up, so that no token string has a space or control
 * character).  The order of the 256 one-byte tokens in GPT-2's vocab is the
 * order of these code points. */
unsigned tokenizer_byte_to_unicode(unsigned char b);

/* Called for each merge applied to a word, in order: the left symbol starts
 * at byte `offset` of the word. */
typedef void (*TokMergeFn)(void *ctx, size_t offset, int left, int right, int merged, int rank);

/* BPE of one pre-tokenized word (no cache).  *ids malloc'ed.  on_merge may be
 * NULL. */
int tokenizer_bpe_word(const Tokenizer *t, const char *word, size_t len, int **ids, int *n,
                       TokMergeFn on_merge, void *ctx, Error *err);

/* ---- printing tokens as they come ---- */

/* Streaming printer that never splits a multi-byte UTF-8 character: an
 * incomplete (but so far valid) tail is held until it completes.  Bytes that
 * cannot be part of valid UTF-8 are written as they are.  Start with {0}. */
typedef struct {
    unsigned char pending[8]; /* start of a character still missing bytes */
    int n_pending;
} Utf8Stream;

void utf8_stream_put(Utf8Stream *s, const char *bytes, size_t len, FILE *out);
void utf8_stream_flush(Utf8Stream *s, FILE *out);

#endif
