/*
 * rng.h - PCG32 (O'Neill, pcg-random.org: "PCG XSH RR 64/32"), the one random
 * source of argen.  Small enough to mirror in Python:
 *
 *   state = state * 6364136223846793005 + inc            (mod 2^64)
 *   out   = rotr32(((old >> 18) ^ old) >> 27, old >> 59)  (old: state before the step)
 *   seed:  state = 0; inc = (seq << 1) | 1; step; state += seed; step
 *   uniform in [0,1): (out >> 8) * 2^-24 — exactly representable as a float
 *
 * Same seed, same sequence, on every machine and compiler.
 */
#ifndef ARGEN_RNG_H
#define ARGEN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc;
} Rng;

void rng_seed(Rng *r, uint64_t seed, uint64_t seq);
uint32_t rng_u32(Rng *r);
float rng_uniform(Rng *r);      /* [0, 1), 24-bit resolution */
float rng_normal(Rng *r);       /* standard normal, Box-Muller from two uniforms */

#endif
