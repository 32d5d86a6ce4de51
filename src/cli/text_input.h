/*
 * text_input.h - where a command's text or token ids come from.
 *
 * `generate`, `score`, `tokenize` and `logits` take their input the same way:
 *   --prompt TEXT or --text TEXT   (the same option under two names)
 *   --file FILE                    (the file's bytes; "-" is stdin)
 *   --ids 464,2068,...             (token ids, no tokenizer needed)
 *   nothing                        (text on stdin, unless stdin is a terminal)
 */
#ifndef ARGEN_TEXT_INPUT_H
#define ARGEN_TEXT_INPUT_H

#include <stddef.h>

typedef struct {
    const char *text;        /* --prompt / --text TEXT, or NULL */
    const char *text_opt;    /* which of the two names was typed, for messages */
    const char *file;        /* --file FILE, or NULL; "-" means stdin */
    const char *ids;         /* --ids LIST, or NULL */
} TextInput;

/* The usage lines every command prints for these options. */
#define TEXT_INPUT_USAGE \
    "  --prompt TEXT, --text TEXT  the text (two names for one option)\n" \
    "  --file FILE                 the text in FILE (- for stdin)\n" \
    "  --ids LIST                  token ids, comma-separated (464,2068,...): no tokenizer needed\n" \
    "  (none of them)              the text on stdin\n"

/* When argv[*i] is one of the options above, stores its value, advances *i
 * and returns 1; returns 0 for any other option, and -1 after printing
 * "argen CMD: OPT: expected a value" when the value is missing. */
int text_input_option(const char *cmd, int argc, char **argv, int *i, TextInput *in);

/* After parsing: at most one input, and a non-empty --text.  With none,
 * stdin is the input, unless it is a terminal (a command would wait for
 * typing that nobody knows to do).  Prints one line and returns 2
 * (EXIT_USAGE), or returns 0. */
int text_input_check(const char *cmd, const TextInput *in);

/* The text itself (not for --ids): a fresh NUL-terminated buffer (free()
 * it) with its length.  With any_bytes 1 every byte string is taken, the
 * empty one too (the tokenizer's input); with 0, empty text and text with a
 * NUL byte are refused (a prompt is a C string).  Returns 0, or prints one
 * line naming the option or file and returns 1 (EXIT_FAIL) for a read
 * failure, 2 (EXIT_USAGE) for text refused. */
int text_input_read(const char *cmd, const TextInput *in, int any_bytes, char **data, size_t *len);

/* The option to name in messages about the text: "--text", "--file" or "stdin". */
const char *text_input_name(const TextInput *in);

#endif
