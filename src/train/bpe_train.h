/*
 * bpe_train.h - training a byte-level BPE tokenizer in GPT-2's style.
 *
 *   text ──split on <|endoftext|>, GPT-2's pre-tokenizer──▶ word counts
 *   every word as byte symbols ──count adjacent pairs (× word count)──▶ pair counts
 *   repeat: merge the most frequent pair in every word that has it, updating
 *           only the counts of the pairs around each merge
 *
 * Ties: among pairs with the same count, the one whose left token's bytes
 * sort first (memcmp order, a prefix before its extensions) wins, then the
 * one whose right token's bytes sort first.  Training stops at vocab_size
 * tokens or when no pair occurs at least twice, whichever comes first.
 *
 * The output is GPT-2's format: vocab.json with the 256 byte tokens first in
 * GPT-2's byte-to-unicode order (so ids 0..255 mean what they mean in
 * GPT-2), then the merged tokens in the order they were made, then
 * <|endoftext|> as the last id; merges.txt with the "#version: 0.2" header and
 * one merge a line.  A merge whose result already exists (the same bytes
 * reached by another pair) is written to merges.txt but adds no token.
 */
#ifndef ARGEN_BPE_TRAIN_H
#define ARGEN_BPE_TRAIN_H

#include <stddef.h>

#include "formats/files.h"

/* Called every few merges and once at the end: merges made so far, tokens
 * in the vocabulary so far (without <|endoftext|>), and the count of the
 * pair just merged. */
typedef void (*BpeProgressFn)(void *ctx, int merges, int tokens, long long pair_count);

/* Trains on text[0..len) up to vocab_size tokens (at least 257: 256 bytes and
 * <|endoftext|>), writing out_dir/vocab.json and out_dir/merges.txt
 * atomically (out_dir must exist).  progress may be NULL.  Returns the number
 * of tokens written (vocab_size, or fewer when the text runs out of pairs),
 * or -1 with err set. */
int bpe_train(const char *text, size_t len, int vocab_size, const char *out_dir, BpeProgressFn progress,
              void *progress_ctx, Error *err);

#endif
