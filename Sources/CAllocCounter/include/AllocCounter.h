// A counting malloc interposer for the benchmarks: when linked into an executable it
// replaces glibc's malloc family, forwards to glibc's own implementation and counts calls
// while counting is switched on. Off, it costs one load and a branch per call.
#ifndef VRSIM_ALLOC_COUNTER_H
#define VRSIM_ALLOC_COUNTER_H
#include <stdint.h>

/// Starts or stops counting allocations (malloc, calloc, realloc, memalign family).
void vrsim_alloc_counting(int enabled);
/// Number of allocation calls counted since the last reset.
uint64_t vrsim_alloc_count(void);
/// Sets the allocation count to zero.
void vrsim_alloc_reset(void);
/// 1 when the interposer is active in this process (glibc), 0 otherwise.
int vrsim_alloc_interposed(void);
#endif
