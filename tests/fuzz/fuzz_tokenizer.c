/*
 * fuzz_tokenizer.c - the tokenizer's encode on arbitrary bytes, with the
 * round trip decode(encode(x)) == x checked inside (tok_roundtrip.h).
 *
 * The tokenizer is loaded once per process, from $ARGEN_FUZZ_TOKENIZER if
 * set, else data/gpt2 (GPT-2's own, `make gpt2-tokenizer`) if it loads,
 * else tests/fuzz/tokenizer (small, committed).  Its word cache carries
 * over from one input to the next, as it does in a long generation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tok_roundtrip.h"

/* The one tokenizer of this process: LLVMFuzzerTestOneInput has no context. */
static Tokenizer fuzz_tok;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    const char *dirs[] = {getenv("ARGEN_FUZZ_TOKENIZER"), "data/gpt2", "tests/fuzz/tokenizer"};
    Error err = {{0}};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i]) continue;
        if (tokenizer_load(&fuzz_tok, dirs[i], &err) == 0) {
            fprintf(stderr, "fuzz_tokenizer: %s (%d tokens)\n", dirs[i], tokenizer_vocab_size(&fuzz_tok));
            return 0;
        }
    }
    fprintf(stderr, "fuzz_tokenizer: no tokenizer: %s\n", err.msg);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    tok_check_words(text, size);
    tok_check_roundtrip(&fuzz_tok, text, size, 1);
    tok_check_roundtrip(&fuzz_tok, text, size, 0);
    return 0;
}
