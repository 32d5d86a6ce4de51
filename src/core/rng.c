/* rng.c - see rng.h. */
#include "core/rng.h"

#include <math.h>

uint32_t rng_u32(Rng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}

void rng_seed(Rng *r, uint64_t seed, uint64_t seq) {
    r->state = 0;
    r->inc = (seq << 1) | 1u;
    rng_u32(r);
    r->state += seed;
    rng_u32(r);
}

float rng_uniform(Rng *r) {
    return (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

float rng_normal(Rng *r) {
    /* u1 in (0, 1] so that log(u1) is finite */
    double u1 = 1.0 - (double)rng_uniform(r);
    double u2 = (double)rng_uniform(r);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
