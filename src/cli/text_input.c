/*
 * text_input.c - the input options shared by generate, score, tokenize and
 * logits (text_input.h).
 */
#include "cli/text_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "formats/files.h"

int text_input_option(const char *cmd, int argc, char **argv, int *i, TextInput *in) {
    const char *a = argv[*i];
    const char **slot;
    if (strcmp(a, "--prompt") == 0 || strcmp(a, "--text") == 0) { slot = &in->text; in->text_opt = a; }
    else if (strcmp(a, "--file") == 0) slot = &in->file;
    else if (strcmp(a, "--ids") == 0) slot = &in->ids;
    else return 0;
    if (!(*slot = cli_value(cmd, argc, argv, i))) return -1;
    return 1;
}

const char *text_input_name(const TextInput *in) {
    if (in->text) return in->text_opt ? in->text_opt : "--text";
    if (in->file) return strcmp(in->file, "-") == 0 ? "stdin" : "--file";
    if (in->ids) return "--ids";
    return "stdin";
}

int text_input_check(const char *cmd, const TextInput *in) {
    int given = (in->text != NULL) + (in->file != NULL) + (in->ids != NULL);
    if (given > 1) {
        fprintf(stderr, "argen %s: %s: expected one of --prompt/--text TEXT, --file FILE or --ids LIST, "
                "not two\n", cmd, text_input_name(in));
        return EXIT_USAGE;
    }
    if (given == 0 && isatty(STDIN_FILENO)) {
        fprintf(stderr, "argen %s: --prompt: expected --prompt/--text TEXT, --file FILE, --ids LIST "
                "or text on stdin\n", cmd);
        return EXIT_USAGE;
    }
    if (in->text && !*in->text) {
        fprintf(stderr, "argen %s: %s: expected a non-empty text\n", cmd, text_input_name(in));
        return EXIT_USAGE;
    }
    return 0;
}

/* All of stdin into a fresh NUL-terminated buffer; -1 on a read error. */
static int read_stdin(char **data, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return -1;
    for (;;) {
        n += fread(buf + n, 1, cap - n, stdin);
        if (n < cap) break;
        char *b = realloc(buf, 2 * cap + 1);
        if (!b) { free(buf); return -1; }
        buf = b;
        cap *= 2;
    }
    if (ferror(stdin)) { free(buf); return -1; }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int text_input_read(const char *cmd, const TextInput *in, int any_bytes, char **data, size_t *len) {
    const char *name = text_input_name(in);
    *data = NULL;
    *len = 0;
    if (in->text) {
        *len = strlen(in->text);
        if (!(*data = malloc(*len + 1))) { fprintf(stderr, "argen %s: out of memory\n", cmd); return EXIT_FAIL; }
        memcpy(*data, in->text, *len + 1);
    } else if (in->file && strcmp(in->file, "-") != 0) {
        Error err;
        if (read_file(in->file, data, len, &err) != 0) {
            fprintf(stderr, "argen %s: --file: %s\n", cmd, err.msg);
            return EXIT_FAIL;
        }
    } else if (read_stdin(data, len) != 0) {
        fprintf(stderr, "argen %s: stdin: cannot read\n", cmd);
        return EXIT_FAIL;
    }
    /* "--file: PATH" or "--text" / "stdin": what the message names */
    const char *path = in->file && strcmp(in->file, "-") != 0 ? in->file : NULL;
    if (any_bytes) return 0;
    const char *nul = memchr(*data, '\0', *len);
    if (*len == 0) fprintf(stderr, "argen %s: %s%s%s: expected a non-empty text\n", cmd, name,
                           path ? ": " : "", path ? path : "");
    else if (nul) fprintf(stderr, "argen %s: %s%s%s: a NUL byte at offset %zu: expected text\n", cmd, name,
                          path ? ": " : "", path ? path : "", (size_t)(nul - *data));
    if (*len == 0 || nul) {
        free(*data);
        *data = NULL;
        return EXIT_USAGE;
    }
    return 0;
}
