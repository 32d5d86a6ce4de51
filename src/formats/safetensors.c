/* safetensors.c - see safetensors.h. */
#include "formats/safetensors.h"

#include <stdlib.h>
#include <string.h>

#include "formats/json.h"

static const struct { const char *name; size_t size; } dtypes[ST_N_DTYPES] = {
    [ST_BOOL] = {"BOOL", 1}, [ST_U8] = {"U8", 1}, [ST_I8] = {"I8", 1},
    [ST_F8_E5M2] = {"F8_E5M2", 1}, [ST_F8_E4M3] = {"F8_E4M3", 1},
    [ST_I16] = {"I16", 2}, [ST_U16] = {"U16", 2}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2},
    [ST_I32] = {"I32", 4}, [ST_U32] = {"U32", 4}, [ST_F32] = {"F32", 4},
    [ST_F64] = {"F64", 8}, [ST_I64] = {"I64", 8}, [ST_U64] = {"U64", 8},
};

const char *st_dtype_name(StDType d) { return d < ST_N_DTYPES ? dtypes[d].name : "?"; }
size_t st_dtype_size(StDType d) { return d < ST_N_DTYPES ? dtypes[d].size : 0; }

static int parse_tensor(StTensor *t, const char *raw_name, const JsonValue *v, const char *path, Error *err) {
    char name[160], dtype[40];  /* as printed in messages: control bytes escaped */
    printable(raw_name, strlen(raw_name), name, sizeof name);
    if (v->type != JSON_OBJECT)
        return error_set(err, "%s: tensor '%s': expected an object with dtype, shape, data_offsets", path, name);
    const JsonValue *dt = json_get(v, "dtype"), *shape = json_get(v, "shape"), *off = json_get(v, "data_offsets");
    if (!dt || dt->type != JSON_STRING) return error_set(err, "%s: tensor '%s': expected \"dtype\" as a string", path, name);
    int found = -1;
    for (int d = 0; d < ST_N_DTYPES; d++)
        if (strcmp(dt->str, dtypes[d].name) == 0) found = d;
    if (found < 0)
        return error_set(err, "%s: tensor '%s': unknown dtype '%s'", path, name, printable(dt->str, dt->len, dtype, sizeof dtype));
    t->dtype = (StDType)found;
    if (!shape || shape->type != JSON_ARRAY || shape->len > ST_MAX_DIMS)
        return error_set(err, "%s: tensor '%s': expected \"shape\" as an array of at most %d sizes", path, name, ST_MAX_DIMS);
    t->ndim = (int)shape->len;
    size_t numel = 1;
    for (size_t i = 0; i < shape->len; i++) {
        long dim;
        if (json_as_long(&shape->items[i], 0, 0x7fffffffL, &dim))
            return error_set(err, "%s: tensor '%s': shape[%zu] is not a non-negative integer", path, name, i);
        t->shape[i] = (size_t)dim;
        if (dim != 0 && numel > SIZE_MAX / 16 / (size_t)dim)
            return error_set(err, "%s: tensor '%s': shape too large", path, name);
        numel *= (size_t)dim;
    }
    t->numel = numel;
    if (!off || off->type != JSON_ARRAY || off->len != 2)
        return error_set(err, "%s: tensor '%s': expected \"data_offsets\" as [begin, end]", path, name);
    long b, e;
    /* 2^53: every offset a double holds exactly; far beyond any real file. */
    if (json_as_long(&off->items[0], 0, 9007199254740992L, &b) || json_as_long(&off->items[1], 0, 9007199254740992L, &e) || b > e)
        return error_set(err, "%s: tensor '%s': data_offsets must be integers with 0 <= begin <= end", path, name);
    t->begin = (size_t)b;
    t->end = (size_t)e;
    if (t->end - t->begin != numel * dtypes[found].size)
        return error_set(err, "%s: tensor '%s': data_offsets span %zu bytes but shape x %s needs %zu",
                         path, name, t->end - t->begin, dtypes[found].name, numel * dtypes[found].size);
    return 0;
}

static int by_begin(const void *a, const void *b) {
    const StTensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every tensor name once: sorted, equal names are neighbours (n log n, so a
 * header of a million tensors stays fast). */
static int check_unique_names(const SafeTensors *st, const char *path, Error *err) {
    if (st->n < 2) return 0;
    const char **names = malloc(st->n * sizeof *names);
    if (!names) return error_set(err, "%s: out of memory", path);
    for (size_t i = 0; i < st->n; i++) names[i] = st->tensors[i].name;
    qsort(names, st->n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 1; i < st->n && rc == 0; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            rc = error_set(err, "%s: tensor '%s' appears twice", path, printable(names[i], strlen(names[i]), (char[160]){0}, 160));
    free(names);
    return rc;
}

static int check_metadata(const JsonValue *v, const char *path, Error *err) {
    if (v->type != JSON_OBJECT) return error_set(err, "%s: __metadata__: expected a map of strings", path);
    for (size_t i = 0; i < v->len; i++)
        if (v->items[i].type != JSON_STRING)
            return error_set(err, "%s: __metadata__: value of '%s' is %s, expected a string", path,
                             printable(v->keys[i], v->key_lens[i], (char[160]){0}, 160),
                             json_type_name(v->items[i].type));
    return 0;
}

int safetensors_parse(SafeTensors *st, const unsigned char *file, size_t file_len, const char *path, Error *err) {
    memset(st, 0, sizeof *st);
    if (file_len < 8)
        return error_set(err, "%s: %zu bytes: too short for a safetensors file (8-byte header length first)", path, file_len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | file[i];
    if (n > ST_MAX_HEADER)
        return error_set(err, "%s: header length %llu exceeds the limit of %llu bytes", path, (unsigned long long)n, ST_MAX_HEADER);
    if (n > file_len - 8)
        return error_set(err, "%s: header length %llu runs past the end of the file (%zu bytes)", path,
                         (unsigned long long)n, file_len);
    JsonValue hdr;
    if (json_parse((const char *)file + 8, (size_t)n, path, &hdr, err)) return -1;
    int rc = -1;
    if (hdr.type != JSON_OBJECT) { error_set(err, "%s: header is %s, expected a JSON object", path, json_type_name(hdr.type)); goto done; }
    size_t dup;
    int has_dup = json_find_duplicate_key(&hdr, &dup);
    if (has_dup < 0) { error_set(err, "%s: out of memory", path); goto done; }
    if (has_dup) {
        error_set(err, "%s: header names '%s' twice: expected each tensor once", path,
                  printable(hdr.keys[dup], hdr.key_lens[dup], (char[160]){0}, 160));
        goto done;
    }
    st->tensors = calloc(hdr.len ? hdr.len : 1, sizeof *st->tensors);
    if (!st->tensors) { error_set(err, "%s: out of memory", path); goto done; }
    for (size_t i = 0; i < hdr.len; i++) {
        if (strcmp(hdr.keys[i], "__metadata__") == 0) {
            if (check_metadata(&hdr.items[i], path, err)) goto done;
            continue;
        }
        StTensor *t = &st->tensors[st->n];
        t->name = malloc(hdr.key_lens[i] + 1);
        if (!t->name) { error_set(err, "%s: out of memory", path); goto done; }
        memcpy(t->name, hdr.keys[i], hdr.key_lens[i] + 1);
        st->n++;
        if (parse_tensor(t, hdr.keys[i], &hdr.items[i], path, err)) goto done;
    }
    st->data = file + 8 + n;
    st->data_len = file_len - 8 - (size_t)n;
    /* The tensors, in file order, must tile [0, data_len) exactly. */
    qsort(st->tensors, st->n, sizeof *st->tensors, by_begin);
    size_t at = 0;
    char nm[160];
    for (size_t i = 0; i < st->n; i++) {
        StTensor *t = &st->tensors[i];
        printable(t->name, strlen(t->name), nm, sizeof nm);
        if (t->begin != at) {
            if (t->begin < at) error_set(err, "%s: tensor '%s' overlaps the tensor before it (begins at %zu, previous ends at %zu)", path, nm, t->begin, at);
            else error_set(err, "%s: gap of %zu bytes before tensor '%s' (data_offsets must tile the data section)", path, t->begin - at, nm);
            goto done;
        }
        if (t->end > st->data_len) {
            error_set(err, "%s: tensor '%s' ends at byte %zu, past the data section (%zu bytes)", path, nm, t->end, st->data_len);
            goto done;
        }
        t->data = st->data + t->begin;
        at = t->end;
    }
    if (at != st->data_len) {
        error_set(err, "%s: %zu trailing bytes after the last tensor (data section is %zu bytes, tensors cover %zu)",
                  path, st->data_len - at, st->data_len, at);
        goto done;
    }
    if (check_unique_names(st, path, err)) goto done;
    rc = 0;
done:
    json_free(&hdr);
    if (rc) safetensors_free(st);
    return rc;
}

void safetensors_free(SafeTensors *st) {
    for (size_t i = 0; i < st->n; i++) free(st->tensors[i].name);
    free(st->tensors);
    memset(st, 0, sizeof *st);
}

const StTensor *safetensors_find(const SafeTensors *st, const char *name) {
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

/* ---- half precision ---- */

float f16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) bits = sign;
        else {  /* subnormal: normalise */
            int e = -1;
            do { e++; mant <<= 1; } while (!(mant & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) bits = sign | 0x7f800000u | (mant << 13);
    else bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {  /* subnormal or zero in half */
        if (e < -10) return (uint16_t)sign;
        mant |= 0x800000;
        int shift = 14 - e;
        uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;  /* may carry into the exponent: still right */
    return (uint16_t)half;
}

float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);  /* NaN stays NaN */
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

int st_to_float(float *out, const StTensor *t, const char *path, Error *err) {
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case ST_F32: memcpy(out, p, t->numel * 4); return 0;
    case ST_F16:
        for (size_t i = 0; i < t->numel; i++) out[i] = f16_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return 0;
    case ST_BF16:
        for (size_t i = 0; i < t->numel; i++) out[i] = bf16_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return 0;
    default:
        return error_set(err, "%s: tensor '%s' has dtype %s, expected F32, F16 or BF16", path,
                         printable(t->name, strlen(t->name), (char[160]){0}, 160), st_dtype_name(t->dtype));
    }
}

/* ---- writer ---- */

int safetensors_write(const char *path, const StWrite *ts, size_t n, StDType dtype, Error *err) {
    if (dtype != ST_F32 && dtype != ST_F16 && dtype != ST_BF16)
        return error_set(err, "%s: can only write F32, F16 or BF16", path);
    size_t esize = st_dtype_size(dtype);
    /* The header first, in memory, so its length is known. */
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *mem = tmpfile();
    if (!mem) return error_set(err, "%s: cannot create a temporary file", path);
    fputs("{\"__metadata__\":{\"format\":\"pt\"}", mem);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        fputc(',', mem);
        json_write_string(mem, ts[i].name, strlen(ts[i].name));
        fprintf(mem, ":{\"dtype\":\"%s\",\"shape\":[", st_dtype_name(dtype));
        for (int d = 0; d < ts[i].ndim; d++) fprintf(mem, d ? ",%zu" : "%zu", ts[i].shape[d]);
        fprintf(mem, "],\"data_offsets\":[%zu,%zu]}", off, off + ts[i].numel * esize);
        off += ts[i].numel * esize;
    }
    fputc('}', mem);
    long L = ftell(mem);
    /* pad with spaces so the data section starts 8-byte aligned */
    while ((L + 8) % 8) { fputc(' ', mem); L++; }
    hlen = (size_t)L;
    hdr = malloc(hlen);
    rewind(mem);
    if (!hdr || fread(hdr, 1, hlen, mem) != hlen) { fclose(mem); free(hdr); return error_set(err, "%s: cannot build header", path); }
    fclose(mem);

    AtomicFile af;
    if (atomic_open(&af, path, err)) { free(hdr); return -1; }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    fwrite(len8, 1, 8, af.f);
    fwrite(hdr, 1, hlen, af.f);
    free(hdr);
    for (size_t i = 0; i < n; i++) {
        if (dtype == ST_F32) {
            /* little-endian hosts (every target argen builds for) write floats as they are */
            fwrite(ts[i].data, 4, ts[i].numel, af.f);
            continue;
        }
        for (size_t k = 0; k < ts[i].numel; k++) {
            uint16_t h = dtype == ST_F16 ? float_to_f16(ts[i].data[k]) : float_to_bf16(ts[i].data[k]);
            unsigned char b[2] = {(unsigned char)(h & 0xff), (unsigned char)(h >> 8)};
            fwrite(b, 1, 2, af.f);
        }
    }
    return atomic_commit(&af, err);
}
