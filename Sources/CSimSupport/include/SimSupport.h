// Small C helpers for SimCore's hot paths that Swift cannot express directly.
#ifndef VRSIM_SIM_SUPPORT_H
#define VRSIM_SIM_SUPPORT_H

/// Asks the CPU to start loading the cache line at `p` (no fault if `p` is invalid).
static inline void vrsim_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
