"""How the Python benchmarks time a peer: one warm-up call, then the median of `repeats` timed calls."""
import time


def median_time(fn, repeats=3):
    """Seconds of the median of `repeats` calls of `fn()` after one untimed warm-up call."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]
