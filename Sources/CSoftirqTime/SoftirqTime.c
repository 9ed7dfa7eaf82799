// Per-CPU softirq time by vector with two hand-assembled raw-tracepoint BPF programs and per-CPU
// arrays (see include/SoftirqTime.h). validation/netns-udp-validation.md, "The exact softirq share",
// measures their cost (about 1% of a saturated sender's rate) against an ftrace instance's (10%).
#include "SoftirqTime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/bpf.h>
#include <sys/syscall.h>

static long sys_bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }

static int map_create(int entries) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_PERCPU_ARRAY;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = entries;
  return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){(c), (d), (s), (o), (i)})
#define LD_MAP(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

static int prog_load(const struct bpf_insn *p, int n) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
  a.insns = (uint64_t)(uintptr_t)p;
  a.insn_cnt = (uint32_t)n;
  a.license = (uint64_t)(uintptr_t) "GPL";
  return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

static int tp_attach(const char *name, int prog) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.raw_tracepoint.name = (uint64_t)(uintptr_t)name;
  a.raw_tracepoint.prog_fd = (uint32_t)prog;
  return (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
}

int vrsim_softirq_cpus(void) {
  // the per-CPU maps hold one value per possible CPU: "0-N" (or a list) in sysfs
  int fd = open("/sys/devices/system/cpu/possible", 0);
  if (fd < 0) return -errno;
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -EIO;
  buf[n] = 0;
  int last = 0;
  for (char *p = buf; *p;) {
    char *end;
    long a = strtol(p, &end, 10), b = a;
    if (end == p) break;
    if (*end == '-') b = strtol(end + 1, &end, 10);
    if (b + 1 > last) last = (int)b + 1;
    (void)a;
    p = (*end == ',') ? end + 1 : end;
    if (*p == '\n') break;
  }
  return last > 0 ? last : -EIO;
}

int vrsim_softirq_open(vrsim_softirq_timer *t, const char **step) {
  t->accumulators = t->start = t->entryProgram = t->exitProgram = t->entryLink = t->exitLink = -1;
  int err = 0;
#define FAIL(what)     \
  do {                 \
    err = -errno;      \
    *step = (what);    \
    goto fail;         \
  } while (0)
  if ((t->start = map_create(1)) < 0) FAIL("BPF_MAP_CREATE");
  if ((t->accumulators = map_create(VRSIM_SOFTIRQ_VECTORS)) < 0) FAIL("BPF_MAP_CREATE");
  // softirq_entry(vec): start[cpu] = now
  const struct bpf_insn entry[] = {
      INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns),
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0),
      INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
      LD_MAP(1, t->start),
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
      INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
      INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
      INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
      INSN(BPF_STX | BPF_MEM | BPF_DW, 0, 7, 0, 0),
      INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
      INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
  };
  // softirq_exit(vec): if start[cpu] != 0 { acc[vec][cpu] += now - start[cpu]; start[cpu] = 0 }
  // (an exit whose entry came before the programs were attached adds nothing)
  const struct bpf_insn exit_[] = {
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),                 // 0: r6 = ctx
      INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns),      // 1
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0),                 // 2: r7 = now
      INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),                  // 3: key 0
      LD_MAP(1, t->start),                                            // 4, 5
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),                // 6
      INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),                // 7
      INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),   // 8
      INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 16, 0),                  // 9 -> 26
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 8, 0, 0, 0),                  // 10: r8 = start
      INSN(BPF_JMP | BPF_JEQ | BPF_K, 8, 0, 14, 0),                  // 11 -> 26
      INSN(BPF_ALU64 | BPF_SUB | BPF_X, 7, 8, 0, 0),                 // 12: r7 = now - start
      INSN(BPF_ST | BPF_MEM | BPF_DW, 0, 0, 0, 0),                   // 13: start = 0
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 6, 0, 0),                  // 14: r1 = vec (args[0])
      INSN(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 10, VRSIM_SOFTIRQ_VECTORS - 1),  // 15 -> 26
      INSN(BPF_STX | BPF_MEM | BPF_W, 10, 1, -8, 0),                 // 16: key vec
      LD_MAP(1, t->accumulators),                                     // 17, 18
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),                // 19
      INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8),                // 20
      INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),   // 21
      INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0),                   // 22 -> 26
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0),                  // 23
      INSN(BPF_ALU64 | BPF_ADD | BPF_X, 1, 7, 0, 0),                 // 24
      INSN(BPF_STX | BPF_MEM | BPF_DW, 0, 1, 0, 0),                  // 25: acc += r7
      INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),                 // 26
      INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                          // 27
  };
  if ((t->entryProgram = prog_load(entry, (int)(sizeof entry / sizeof *entry))) < 0) FAIL("BPF_PROG_LOAD");
  if ((t->exitProgram = prog_load(exit_, (int)(sizeof exit_ / sizeof *exit_))) < 0) FAIL("BPF_PROG_LOAD");
  if ((t->exitLink = tp_attach("softirq_exit", t->exitProgram)) < 0) FAIL("BPF_RAW_TRACEPOINT_OPEN softirq_exit");
  if ((t->entryLink = tp_attach("softirq_entry", t->entryProgram)) < 0)
    FAIL("BPF_RAW_TRACEPOINT_OPEN softirq_entry");
  return 0;
fail:
  vrsim_softirq_close(t);
  return err ? err : -EINVAL;
#undef FAIL
}

int vrsim_softirq_read(const vrsim_softirq_timer *t, uint64_t *out, int cpus, uint64_t *monotonicNs) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  *monotonicNs = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  uint64_t *v = calloc((size_t)cpus, 8);
  if (!v) return -ENOMEM;
  for (uint32_t k = 0; k < VRSIM_SOFTIRQ_VECTORS; k++) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)t->accumulators;
    a.key = (uint64_t)(uintptr_t)&k;
    a.value = (uint64_t)(uintptr_t)v;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0) {
      int e = -errno;
      free(v);
      return e;
    }
    for (int c = 0; c < cpus; c++) out[c * VRSIM_SOFTIRQ_VECTORS + (int)k] = v[c];
  }
  free(v);
  return 0;
}

void vrsim_softirq_close(vrsim_softirq_timer *t) {
  int *fds[] = {&t->entryLink, &t->exitLink, &t->entryProgram, &t->exitProgram, &t->start, &t->accumulators};
  for (unsigned i = 0; i < sizeof fds / sizeof *fds; i++) {
    if (*fds[i] >= 0) close(*fds[i]);
    *fds[i] = -1;
  }
}

#else

int vrsim_softirq_open(vrsim_softirq_timer *t, const char **step) {
  t->accumulators = t->start = t->entryProgram = t->exitProgram = t->entryLink = t->exitLink = -1;
  *step = "bpf (Linux only)";
  return -ENOSYS;
}
int vrsim_softirq_cpus(void) { return -ENOSYS; }
int vrsim_softirq_read(const vrsim_softirq_timer *t, uint64_t *out, int cpus, uint64_t *monotonicNs) {
  (void)t; (void)out; (void)cpus; (void)monotonicNs;
  return -ENOSYS;
}
void vrsim_softirq_close(vrsim_softirq_timer *t) { (void)t; }

#endif
