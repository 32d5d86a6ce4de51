/*
 * fuzz_safetensors.c - the safetensors header and tensor table on
 * arbitrary bytes (a whole file: 8-byte length, JSON header, data).
 *
 * Checks, beyond "no sanitizer report": an accepted file's tensors lie
 * inside the data section, tile it exactly in begin order, have
 * end - begin == numel * dtype size, and can be found by name; every byte
 * of every tensor is read (so ASan sees any offset that escapes the input)
 * and F32/F16/BF16 tensors convert to float.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "formats/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    SafeTensors st;
    Error err = {{0}};
    if (safetensors_parse(&st, data, size, "fuzz.safetensors", &err) != 0) {
        FUZZ_CHECK_MESSAGE(err.msg);
        return 0;
    }
    FUZZ_CHECK(st.data >= data && st.data + st.data_len == data + size, "data section is not the file's tail");
    size_t at = 0;
    unsigned sum = 0;
    for (size_t i = 0; i < st.n; i++) {
        const StTensor *t = &st.tensors[i];
        FUZZ_CHECK(t->begin == at && t->end >= t->begin && t->end <= st.data_len, "tensor '%s' [%zu, %zu) escapes",
                   t->name, t->begin, t->end);
        FUZZ_CHECK(t->end - t->begin == t->numel * st_dtype_size(t->dtype), "tensor '%s' size", t->name);
        FUZZ_CHECK(t->ndim >= 0 && t->ndim <= ST_MAX_DIMS, "tensor '%s' ndim %d", t->name, t->ndim);
        FUZZ_CHECK(safetensors_find(&st, t->name) == t, "tensor '%s' not found by name", t->name);
        for (size_t k = 0; k < t->end - t->begin; k++) sum += t->data[k];
        if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16) {
            float *out = malloc(t->numel ? t->numel * sizeof *out : 1);
            FUZZ_CHECK(out != NULL, "out of memory");
            FUZZ_CHECK(st_to_float(out, t, "fuzz.safetensors", &err) == 0, "%s", err.msg);
            free(out);
        } else {
            FUZZ_CHECK(st_to_float(NULL, t, "fuzz.safetensors", &err) != 0, "converted dtype %s",
                       st_dtype_name(t->dtype));
        }
        at = t->end;
    }
    FUZZ_CHECK(at == st.data_len, "tensors cover %zu of %zu bytes", at, st.data_len);
    (void)sum;
    safetensors_free(&st);
    return 0;
}
