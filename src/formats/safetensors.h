/*
 * safetensors.h - reading and writing the safetensors format.
 *
 * A file is: 8 bytes N (little-endian u64), N bytes of JSON header, then the
 * data section.  The header maps each tensor name to {"dtype", "shape",
 * "data_offsets": [begin, end]} (offsets relative to the data section) and
 * may hold "__metadata__", a map of strings.  The checks are those of the
 * reference implementation (except N's cap, see ST_MAX_HEADER): N inside the
 * file, a JSON object, known dtypes, end - begin == numel * dtype size, and tensors that
 * tile the data section exactly: no gap, no overlap, no trailing byte.
 */
#ifndef ARGEN_SAFETENSORS_H
#define ARGEN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "formats/files.h"

/* The reference implementation allows 100 MB, but parsing JSON costs up to
 * ~28 bytes of memory per byte of header (a 56-byte value per "0,"), so a
 * hostile 100 MB header cost 2.8 GB before it was refused.  Real headers are
 * small: GPT-2 xl's (48 layers) is about 52 KB, and the largest argen init
 * can write (1024 layers) about 1.1 MB.  8 MiB is 7 times that, and bounds
 * the parser to ~230 MB. */
#define ST_MAX_HEADER (8ULL << 20)
#define ST_MAX_DIMS 8

typedef enum {
    ST_BOOL, ST_U8, ST_I8, ST_F8_E5M2, ST_F8_E4M3, ST_I16, ST_U16, ST_F16, ST_BF16,
    ST_I32, ST_U32, ST_F32, ST_F64, ST_I64, ST_U64, ST_N_DTYPES
} StDType;

typedef struct {
    char *name;                 /* as in the header, e.g. "transformer.h.0.attn.c_attn.weight" */
    StDType dtype;
    int ndim;
    size_t shape[ST_MAX_DIMS];
    size_t numel;
    size_t begin, end;          /* byte offsets in the data section */
    const unsigned char *data;  /* = file data section + begin */
} StTensor;

typedef struct {
    StTensor *tensors;
    size_t n;
    const unsigned char *data;  /* the data section */
    size_t data_len;
} SafeTensors;

/* Parses and validates a whole file held in memory (usually mmapped).  path
 * names the file in messages.  st points into file: keep it alive. */
int safetensors_parse(SafeTensors *st, const unsigned char *file, size_t file_len, const char *path, Error *err);
void safetensors_free(SafeTensors *st);
const StTensor *safetensors_find(const SafeTensors *st, const char *name);

const char *st_dtype_name(StDType d);
size_t st_dtype_size(StDType d);

/* Converts n elements of a F32, F16 or BF16 tensor to float. */
int st_to_float(float *out, const StTensor *t, const char *path, Error *err);

/* Half-precision conversions (round to nearest even). */
float f16_to_float(uint16_t h);
uint16_t float_to_f16(float f);
float bf16_to_float(uint16_t h);
uint16_t float_to_bf16(float f);

/* One tensor to write: float data converted to dtype (ST_F32, ST_F16 or ST_BF16). */
typedef struct {
    const char *name;
    const float *data;
    int ndim;
    size_t shape[2];
    size_t numel;
} StWrite;

/* Writes the file atomically (temporary + rename). */
int safetensors_write(const char *path, const StWrite *tensors, size_t n, StDType dtype, Error *err);

#endif
