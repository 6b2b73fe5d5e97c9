"""A Python port of harness/fit/seeded_random.h (splitmix64), for test references that must draw the same rows,
subsets and resamples as oodbench: bootstrap counts (Lemire's mapping), permutations (Fisher-Yates) and the paired
bootstrap's per-replicate seeds. A script puts this folder on sys.path and imports it."""
import numpy as np

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def finalise(z):
    """splitmix64's output function."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class SeededRandom:
    def __init__(self, seed):
        self.state = seed & M64

    def next(self):
        self.state = (self.state + GOLDEN) & M64
        return finalise(self.state)

    def counts(self, n):
        """How often each of n rows is drawn by n draws of below(n): one bootstrap resample."""
        c = np.zeros(n, dtype=np.int64)
        for _ in range(n):
            c[(self.next() * n) >> 64] += 1
        return c

    def permutation(self, n):
        """SeededRandom::permutation: Fisher-Yates with index next() % i."""
        p = list(range(n))
        for i in range(n, 1, -1):
            j = self.next() % i
            p[i - 1], p[j] = p[j], p[i - 1]
        return np.array(p)


def replicate_seed(seed, r):
    """The paired bootstrap's seed of replicate r (paired_bootstrap.cpp): the finaliser of seed + golden * (r + 1)."""
    return finalise((seed + GOLDEN * (r + 1)) & M64)
