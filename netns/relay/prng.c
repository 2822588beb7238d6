/* SPDX-License-Identifier: BSD-3-Clause */
/* Seeded PRNG: xoshiro256** seeded through splitmix64 (public-domain algorithms). */
#include "relay.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
relay_prng_seed(struct relay_prng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t
relay_prng_next(struct relay_prng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double
relay_prng_unit(struct relay_prng *r)
{
	/* 53 random bits -> [0, 1) */
	return (double)(relay_prng_next(r) >> 11) * 0x1.0p-53;
}

int
relay_prng_chance(struct relay_prng *r, double p)
{
	return relay_prng_unit(r) < p;
}
