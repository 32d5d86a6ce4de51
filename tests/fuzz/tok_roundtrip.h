/*
 * tok_roundtrip.h - the checks both tokenizer harnesses run on a loaded
 * tokenizer and a text (test code only).
 *
 *   - tokenizer_next_word always advances and stays inside the text;
 *   - every id of tokenizer_encode is in [0, vocab_size);
 *   - decode(encode(x)) == x, byte for byte, with and without special tokens;
 *   - the bytes of the tokens, streamed one token at a time through
 *     Utf8Stream (generation's printer), come out as x again.
 */
#ifndef ARGEN_TOK_ROUNDTRIP_H
#define ARGEN_TOK_ROUNDTRIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "formats/tokenizer.h"

static inline void tok_check_words(const char *text, size_t len) {
    for (size_t pos = 0; pos < len;) {
        size_t end = tokenizer_next_word(text, len, pos);
        FUZZ_CHECK(end > pos && end <= len, "word at %zu ends at %zu of %zu", pos, end, len);
        pos = end;
    }
    size_t eot = tokenizer_find_eot(text, len, 0);
    FUZZ_CHECK(eot <= len, "find_eot returned %zu of %zu", eot, len);
}

static inline void tok_check_roundtrip(Tokenizer *t, const char *text, size_t len, int allow_special) {
    int *ids = NULL, n = 0;
    Error err = {{0}};
    FUZZ_CHECK(tokenizer_encode(t, text, len, allow_special, &ids, &n, &err) == 0, "encode: %s", err.msg);
    FUZZ_CHECK(n >= 0 && (size_t)n <= len, "%d tokens from %zu bytes", n, len);
    char *back = malloc(len + 1), *streamed = NULL;
    size_t used = 0, streamed_len = 0;
    FILE *f = open_memstream(&streamed, &streamed_len);
    FUZZ_CHECK(back != NULL && f != NULL, "out of memory");
    Utf8Stream us = {{0}, 0};
    for (int i = 0; i < n; i++) {
        size_t k;
        const char *b = tokenizer_token_bytes(t, ids[i], &k);
        FUZZ_CHECK(b != NULL, "token %d of %d is id %d, outside [0, %d)", i, n, ids[i], tokenizer_vocab_size(t));
        FUZZ_CHECK(used + k <= len, "decoding runs past the %zu input bytes", len);
        memcpy(back + used, b, k);
        used += k;
        utf8_stream_put(&us, b, k, f);
    }
    utf8_stream_flush(&us, f);
    fclose(f);
    FUZZ_CHECK(used == len && memcmp(back, text, len) == 0, "decode(encode(x)) != x (%zu -> %zu bytes, special %d)",
               len, used, allow_special);
    FUZZ_CHECK(streamed_len == len && memcmp(streamed, text, len) == 0, "Utf8Stream changed the text (%zu -> %zu bytes)",
               len, streamed_len);
    free(streamed);
    free(back);
    free(ids);
}

#endif
