/*
 * prompted_model.h - a model folder loaded with its tokenizer, and a prompt
 * (text or ids): what `argen generate`, `compare`, `score` and `logits`
 * start from.
 */
#ifndef ARGEN_PROMPTED_MODEL_H
#define ARGEN_PROMPTED_MODEL_H

#include <stdio.h>

#include "core/error.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "formats/tokenizer.h"
#include "trace/trace.h"

typedef struct {
    GPT2 model;
    Tokenizer tok;
    int has_tokenizer;       /* 0 when DIR has no vocab.json/merges.txt: only --ids works */
    int *prompt;             /* [n_prompt] */
    int n_prompt;
} PromptedModel;

/* Loads DIR's model, its weight matrices held as `weights` says (and its
 * tokenizer when the files are there).  Returns -1 with err set on a file or
 * model error. */
int prompted_model_load(PromptedModel *pm, const char *dir, LoadWeights weights, Error *err);
/* Sets the prompt from text (encoded) or from ids_text ("464,2068"); exactly
 * one is non-NULL.  Returns -1 and sets err, naming the option and range,
 * for an empty prompt, ids outside the vocabulary, or text without a tokenizer. */
int prompted_model_prompt(PromptedModel *pm, const char *text, const char *ids_text, int allow_special, Error *err);
void prompted_model_free(PromptedModel *pm);
/* The token-text callback for traces (bytes NULL without a tokenizer). */
TokenText prompted_model_text(PromptedModel *pm);
/* Writes the bytes of ids[0..n) to f through a UTF-8 stream, or the ids
 * themselves, space-separated, without a tokenizer. */
void print_tokens(const PromptedModel *pm, Utf8Stream *u, const int *ids, int n, FILE *f);

#endif
