#ifndef VRSIM_SOFTIRQ_TIME_H
#define VRSIM_SOFTIRQ_TIME_H

#include <stdint.h>

/// Softirq vectors the kernel numbers (HI ... RCU): the accumulators hold one value per vector.
#define VRSIM_SOFTIRQ_VECTORS 10

/// Each CPU's time in softirq, per vector, measured by two BPF programs attached to the
/// irq:softirq_entry and irq:softirq_exit raw tracepoints: the entry stores the time
/// (bpf_ktime_get_ns, CLOCK_MONOTONIC) in a per-CPU slot, the exit adds the difference to a
/// per-CPU accumulator of its vector. Nothing is recorded per event and nothing is pinned: the
/// programs and maps live as long as the descriptors here, so they are gone when the process
/// ends, however it ends.
typedef struct {
  /// The accumulators' map (per-CPU array of VRSIM_SOFTIRQ_VECTORS u64), -1 when closed.
  int accumulators;
  /// The entry times' map, the two programs and the two tracepoint links; -1 when closed.
  int start, entryProgram, exitProgram, entryLink, exitLink;
} vrsim_softirq_timer;

/// Loads and attaches the programs. Returns 0, or -errno (EPERM without CAP_BPF/CAP_PERFMON,
/// ENOSYS off Linux, ...) with every descriptor closed; `step` names the step that failed.
int vrsim_softirq_open(vrsim_softirq_timer *timer, const char **step);

/// The number of possible CPUs (the per-CPU maps' width), or -errno.
int vrsim_softirq_cpus(void);

/// Reads the accumulators into `out[cpu * VRSIM_SOFTIRQ_VECTORS + vector]` (nanoseconds since
/// open) for `cpus` CPUs (vrsim_softirq_cpus()), and `*monotonicNs` just before. Returns 0 or -errno.
int vrsim_softirq_read(const vrsim_softirq_timer *timer, uint64_t *out, int cpus, uint64_t *monotonicNs);

/// Detaches the programs and frees the maps (closes every descriptor).
void vrsim_softirq_close(vrsim_softirq_timer *timer);

#endif
