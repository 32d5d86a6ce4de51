/* prompted_model.c - see prompted_model.h. */
#include "cli/prompted_model.h"

#include <stdlib.h>
#include <string.h>

#include "formats/checkpoint.h"
#include "formats/files.h"
#include "formats/input_file.h"

int prompted_model_load(PromptedModel *pm, const char *dir, LoadWeights weights, Error *err) {
    memset(pm, 0, sizeof *pm);
    if (gpt2_load_weights(&pm->model, dir, weights, err) != 0) return -1;
    char vocab[4096];
    Error ignored;
    /* Whether the folder has a tokenizer; tokenizer_load then checks what it is. */
    if (path_join(vocab, sizeof vocab, dir, "vocab.json", &ignored) == 0 && input_exists(vocab)) {
        if (tokenizer_load(&pm->tok, dir, err) != 0) { gpt2_free(&pm->model); return -1; }
        pm->has_tokenizer = 1;
        /* A tokenizer with more tokens than the model's vocabulary could hand it ids it has no row for. */
        if (tokenizer_vocab_size(&pm->tok) > pm->model.config.vocab_size) {
            error_set(err, "%s: vocab.json has %d tokens but config.json's vocab_size is %d: expected at most %d",
                      dir, tokenizer_vocab_size(&pm->tok), pm->model.config.vocab_size, pm->model.config.vocab_size);
            prompted_model_free(pm);
            return -1;
        }
        if (tokenizer_pad(&pm->tok, pm->model.config.vocab_size, err) != 0) { prompted_model_free(pm); return -1; }
    }
    return 0;
}

int prompted_model_prompt(PromptedModel *pm, const char *text, const char *ids_text, int allow_special, Error *err) {
    int V = pm->model.config.vocab_size;
    if (ids_text) return parse_id_list(ids_text, V, "--ids", &pm->prompt, &pm->n_prompt, err);
    if (!text || !*text) return error_set(err, "--prompt: expected a non-empty text (or --ids)");
    if (!pm->has_tokenizer)
        return error_set(err, "--prompt: %s has no vocab.json/merges.txt: give token ids with --ids", pm->model.dir);
    if (tokenizer_encode(&pm->tok, text, strlen(text), allow_special, &pm->prompt, &pm->n_prompt, err) != 0) return -1;
    for (int i = 0; i < pm->n_prompt; i++)
        if (pm->prompt[i] >= V)
            return error_set(err, "--prompt: token %d is outside the model's vocabulary [0, %d)", pm->prompt[i], V);
    if (pm->n_prompt < 1) return error_set(err, "--prompt: expected a non-empty text (or --ids)");
    return 0;
}

void prompted_model_free(PromptedModel *pm) {
    free(pm->prompt);
    pm->prompt = NULL;
    if (pm->has_tokenizer) tokenizer_free(&pm->tok);
    gpt2_free(&pm->model);
}

static const char *prompted_token_bytes(void *ctx, int id, size_t *len) {
    const PromptedModel *pm = ctx;
    if (!pm->has_tokenizer || id < 0 || id >= tokenizer_vocab_size(&pm->tok)) return NULL;
    return tokenizer_token_bytes(&pm->tok, id, len);
}

TokenText prompted_model_text(PromptedModel *pm) {
    TokenText t = {.bytes = prompted_token_bytes, .ctx = pm};
    return t;
}

void print_tokens(const PromptedModel *pm, Utf8Stream *u, const int *ids, int n, FILE *f) {
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *b = prompted_token_bytes((void *)pm, ids[i], &len);
        if (b) utf8_stream_put(u, b, len, f);
        else fprintf(f, "%d ", ids[i]);
    }
}
