/*
 * input_file.h - opening the files argen reads, each with a size cap that
 * fits its kind.
 *
 * A model folder comes from anywhere: config.json may be a link to
 * /dev/zero (endless), model.safetensors a FIFO (open() blocks until a
 * writer comes, which may be never), vocab.json a 10 GB file.  So every
 * file argen loads is opened without blocking, checked with fstat to be a
 * regular file, and its size compared with the cap for its kind before a
 * byte is read or mapped.
 */
#ifndef ARGEN_INPUT_FILE_H
#define ARGEN_INPUT_FILE_H

#include <stddef.h>

#include "formats/files.h"

/* Caps, each far above what real files need (measured sizes in brackets):
 * a Hugging Face config.json is 1-2 KB; GPT-2's vocab.json is 1.0 MB and
 * merges.txt 456 KB, and a 256k-token vocabulary about 5 MB. */
#define INPUT_MAX_CONFIG (1u << 20)        /* config.json: 1 MiB */
#define INPUT_MAX_TOKENIZER (16u << 20)    /* vocab.json, merges.txt: 16 MiB */

/* Opens path for reading: returns a file descriptor of a regular file (its
 * size in *size), or -1 with "PATH: cannot open: ..." or "PATH: not a
 * regular file (a FIFO)" in err.  Never blocks on a FIFO or a device. */
int input_open(const char *path, size_t *size, Error *err);

/* 1 when something (file, folder, FIFO...) exists at path; never opens it. */
int input_exists(const char *path);

/* Reads a whole regular file of at most max_bytes bytes into a fresh,
 * NUL-terminated buffer (free() it).  `kind` names the file in the message
 * when it is larger: "PATH: 2000000 bytes: expected at most 1048576 for a
 * config.json".  A file that grows while it is read is refused. */
int input_read(const char *path, size_t max_bytes, const char *kind, char **data, size_t *len, Error *err);

#endif
