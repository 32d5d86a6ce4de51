/*
 * fuzz_merges.c - loading a tokenizer folder: vocab.json and merges.txt.
 *
 *   input = merges.txt bytes [NUL vocab.json bytes [NUL text]]
 *
 * Without a NUL the vocabulary is the committed tests/fuzz/tokenizer one
 * and only merges.txt is fuzzed (what most hostile inputs should hit);
 * with one, vocab.json is fuzzed too.  A tokenizer that loads encodes the
 * text after the second NUL (or a fixed sentence) and must round-trip it.
 * Checks: a failed load fills a one-line message; a loaded one round-trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok_roundtrip.h"

static const char sentence[] = "The cat's 123 caf\xc3\xa9s \xe2\x80\x94 and<|endoftext|>  the\n\n\xff end";

/* The committed vocabulary, read once (no context argument to carry it). */
static char *base_vocab;
static size_t base_vocab_len;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    Error err = {{0}};
    if (read_file("tests/fuzz/tokenizer/vocab.json", &base_vocab, &base_vocab_len, &err) != 0) {
        fprintf(stderr, "fuzz_merges: run from the repository root: %s\n", err.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *dir = fuzz_scratch_dir();
    size_t n_merges, n_vocab;
    const uint8_t *text = (const uint8_t *)sentence;
    size_t n_text = sizeof sentence - 1;
    if (!base_vocab) LLVMFuzzerInitialize(NULL, NULL);
    if (fuzz_split(data, size, &n_merges)) {
        const uint8_t *v = data + n_merges + 1;
        size_t rest = size - n_merges - 1;
        if (fuzz_split(v, rest, &n_vocab)) { text = v + n_vocab + 1; n_text = rest - n_vocab - 1; }
        fuzz_write(dir, "vocab.json", v, n_vocab);
    } else {
        fuzz_write(dir, "vocab.json", (const uint8_t *)base_vocab, base_vocab_len);
    }
    fuzz_write(dir, "merges.txt", data, n_merges);
    Tokenizer t;
    Error err = {{0}};
    if (tokenizer_load(&t, dir, &err) != 0) {
        FUZZ_CHECK_MESSAGE(err.msg);
        return 0;
    }
    tok_check_roundtrip(&t, (const char *)text, n_text, 1);
    tok_check_roundtrip(&t, (const char *)text, n_text, 0);
    tokenizer_free(&t);
    return 0;
}
