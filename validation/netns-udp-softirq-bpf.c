// Per-CPU softirq time by vector with two raw-tracepoint BPF programs (softirq_entry, softirq_exit),
// hand-assembled; per-CPU arrays; no ring buffer; the programs are detached when the process ends
// (however it ends: nothing is pinned). validation/netns-udp-validation.md, "The exact softirq share".
//   softirq-bpf [SHIFT]   reads a line on stdin, prints one line "T_NS cpu0:v0,...,v9 cpu1:..." (T_NS:
//                         CLOCK_MONOTONIC; vK: cumulative softirq ns of vector K, scaled by 2^SHIFT);
//                         exits at EOF. SHIFT > 0 times one softirq in 2^SHIFT, chosen at random
//                         at its entry (unbiased; cheaper).
//   softirq-bpf cost FILE PHASE_MS SECONDS [SHIFT]
//                         the programs' cost: attaches and detaches them every PHASE_MS for SECONDS,
//                         reads counter FILE (e.g. a veth's statistics/tx_packets) at each switch and
//                         prints the counter's rate with and without them (fine-grained alternation:
//                         the machine's slow drifts fall on both alike).
//   softirq-bpf costfiles FILE PHASE_MS SECONDS ENABLE...
//                         the same for something else switched by writing 1 / 0 to files ENABLE...
//                         (e.g. an ftrace instance's events/irq/softirq_{entry,exit}/enable)
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
static long bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }
static int mapc(int n) {
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_PERCPU_ARRAY; a.key_size = 4; a.value_size = 8; a.max_entries = n;
  int fd = bpf(BPF_MAP_CREATE, &a); if (fd < 0) { perror("map"); exit(1); } return fd;
}
#define I(c, d, s, o, i) ((struct bpf_insn){c, d, s, o, i})
#define LDMAP(d, fd) I(BPF_LD|BPF_DW|BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), I(0, 0, 0, 0, 0)
static char logbuf[65536];
static int load(struct bpf_insn *p, int n) {
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT; a.insns = (uint64_t)(uintptr_t)p; a.insn_cnt = n;
  a.license = (uint64_t)(uintptr_t)"GPL"; a.log_buf = (uint64_t)(uintptr_t)logbuf; a.log_size = sizeof logbuf; a.log_level = 1;
  int fd = bpf(BPF_PROG_LOAD, &a); if (fd < 0) { perror("load"); fputs(logbuf, stderr); exit(1); } return fd;
}
static int attach(const char *tp, int prog) {
  union bpf_attr a; memset(&a, 0, sizeof a);
  a.raw_tracepoint.name = (uint64_t)(uintptr_t)tp; a.raw_tracepoint.prog_fd = prog;
  int fd = bpf(BPF_RAW_TRACEPOINT_OPEN, &a); if (fd < 0) { perror(tp); exit(1); } return fd;
}
static uint64_t now_ns(void) {
  struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
// FILE holds one count, or "dev:IFNAME": interface IFNAME's sent packets in /proc/net/dev (the
// network namespace of this process: run it with nsenter --net, which leaves /sys, tracefs, as is)
static uint64_t counter(const char *f) {
  unsigned long long v = 0;
  if (!strncmp(f, "dev:", 4)) {
    FILE *x = fopen("/proc/net/dev", "r"); char l[512]; size_t n = strlen(f + 4);
    while (x && fgets(l, sizeof l, x)) {
      char *p = l; while (*p == ' ') p++;
      unsigned long long r[10];
      if (!strncmp(p, f + 4, n) && p[n] == ':' &&
          sscanf(p + n + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &r[0], &r[1], &r[2], &r[3], &r[4],
                 &r[5], &r[6], &r[7], &r[8], &r[9]) == 10) { fclose(x); return r[9]; }
    }
    fprintf(stderr, "%s: not in /proc/net/dev\n", f + 4); exit(1);
  }
  FILE *x = fopen(f, "r");
  if (!x || fscanf(x, "%llu", &v) != 1) { perror(f); exit(1); } fclose(x); return v;
}
static void put(const char *f, const char *v) {
  FILE *x = fopen(f, "w"); if (!x || fputs(v, x) < 0 || fclose(x)) { perror(f); exit(1); }
}
int main(int argc, char **argv) {
  int files = argc > 1 && !strcmp(argv[1], "costfiles");
  int cost = files || (argc > 1 && !strcmp(argv[1], "cost"));
  int shift = files ? 0 : cost ? (argc > 5 ? atoi(argv[5]) : 0) : (argc > 1 ? atoi(argv[1]) : 0);
  if (cost && argc < 5) { fprintf(stderr, "usage: softirq-bpf cost FILE PHASE_MS SECONDS [SHIFT]\n"); return 2; }
  int start = mapc(1), acc = mapc(10);
  struct bpf_insn entry[] = {
    I(BPF_ALU64|BPF_MOV|BPF_X, 6, 1, 0, 0),
    I(BPF_ALU64|BPF_MOV|BPF_K, 7, 0, 0, 0),
    I(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32),
    I(BPF_ALU64|BPF_AND|BPF_K, 0, 0, 0, (1 << shift) - 1),
    I(BPF_JMP|BPF_JNE|BPF_K, 0, 0, 2, 0),
    I(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns),
    I(BPF_ALU64|BPF_MOV|BPF_X, 7, 0, 0, 0),
    I(BPF_ST|BPF_MEM|BPF_W, 10, 0, -4, 0),
    LDMAP(1, start),
    I(BPF_ALU64|BPF_MOV|BPF_X, 2, 10, 0, 0), I(BPF_ALU64|BPF_ADD|BPF_K, 2, 0, 0, -4),
    I(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
    I(BPF_JMP|BPF_JEQ|BPF_K, 0, 0, 1, 0),
    I(BPF_STX|BPF_MEM|BPF_DW, 0, 7, 0, 0),
    I(BPF_ALU64|BPF_MOV|BPF_K, 0, 0, 0, 0), I(BPF_JMP|BPF_EXIT, 0, 0, 0, 0),
  };
  struct bpf_insn ex[] = {
    I(BPF_ALU64|BPF_MOV|BPF_X, 6, 1, 0, 0),                       // 0
    I(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns),          // 1
    I(BPF_ALU64|BPF_MOV|BPF_X, 7, 0, 0, 0),                       // 2
    I(BPF_ST|BPF_MEM|BPF_W, 10, 0, -4, 0),                        // 3
    LDMAP(1, start),                                               // 4,5
    I(BPF_ALU64|BPF_MOV|BPF_X, 2, 10, 0, 0), I(BPF_ALU64|BPF_ADD|BPF_K, 2, 0, 0, -4), // 6,7
    I(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),       // 8
    I(BPF_JMP|BPF_JEQ|BPF_K, 0, 0, 16, 0),                        // 9 -> 26
    I(BPF_LDX|BPF_MEM|BPF_DW, 8, 0, 0, 0),                        // 10 r8 = start
    I(BPF_JMP|BPF_JEQ|BPF_K, 8, 0, 14, 0),                        // 11 -> 26
    I(BPF_ALU64|BPF_SUB|BPF_X, 7, 8, 0, 0),                       // 12 r7 = now - start
    I(BPF_ST|BPF_MEM|BPF_DW, 0, 0, 0, 0),                         // 13 start = 0
    I(BPF_LDX|BPF_MEM|BPF_DW, 1, 6, 0, 0),                        // 14 r1 = vec
    I(BPF_JMP|BPF_JGT|BPF_K, 1, 0, 10, 9),                        // 15 -> 26
    I(BPF_STX|BPF_MEM|BPF_W, 10, 1, -8, 0),                       // 16
    LDMAP(1, acc),                                                 // 17,18
    I(BPF_ALU64|BPF_MOV|BPF_X, 2, 10, 0, 0), I(BPF_ALU64|BPF_ADD|BPF_K, 2, 0, 0, -8), // 19,20
    I(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),       // 21
    I(BPF_JMP|BPF_JEQ|BPF_K, 0, 0, 3, 0),                         // 22 -> 26
    I(BPF_LDX|BPF_MEM|BPF_DW, 1, 0, 0, 0),                        // 23
    I(BPF_ALU64|BPF_ADD|BPF_X, 1, 7, 0, 0),                       // 24
    I(BPF_STX|BPF_MEM|BPF_DW, 0, 1, 0, 0),                        // 25
    I(BPF_ALU64|BPF_MOV|BPF_K, 0, 0, 0, 0), I(BPF_JMP|BPF_EXIT, 0, 0, 0, 0), // 26,27
  };
  // without sampling, the entry program skips the random draw
  struct bpf_insn *ep = shift ? entry : entry + 4;
  int en = sizeof entry / sizeof *entry - (shift ? 0 : 4);
  if (!shift) entry[4] = I(BPF_ALU64|BPF_MOV|BPF_X, 6, 1, 0, 0);
  int pe = load(ep, en), px = load(ex, sizeof ex / sizeof *ex);
  if (cost) {
    double phase = atof(argv[3]) * 1e6, total = atof(argv[4]) * 1e9, with[2] = {0, 0}, dt[2] = {0, 0};
    int fe = -1, fx = -1, on = 0, n = 0;
    uint64_t t0 = now_ns(), t = t0, c = counter(argv[2]);
    while (t - t0 < total) {
      on = n++ % 2;
      if (on && !files) { fe = attach("softirq_entry", pe); fx = attach("softirq_exit", px); }
      if (on && files) for (int i = 5; i < argc; i++) put(argv[i], "1");
      struct timespec d = {0, (long)phase}; nanosleep(&d, 0);
      if (on && !files) { close(fe); close(fx); }
      if (on && files) for (int i = 5; i < argc; i++) put(argv[i], "0");
      uint64_t t2 = now_ns(), c2 = counter(argv[2]);
      with[on] += c2 - c; dt[on] += t2 - t; t = t2; c = c2;
    }
    double r0 = with[0] / (dt[0] * 1e-9), r1 = with[1] / (dt[1] * 1e-9);
    printf("without %.0f /s (%.2f s), with %.0f /s (%.2f s), cost %.2f%%\n", r0, dt[0] * 1e-9, r1, dt[1] * 1e-9,
           100 * (1 - r1 / r0));
    return 0;
  }
  attach("softirq_entry", pe); attach("softirq_exit", px);
  long ncpu = sysconf(_SC_NPROCESSORS_CONF);
  uint64_t *v = calloc(ncpu, 8);
  char line[64];
  printf("ready\n"); fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t sum[64][10]; memset(sum, 0, sizeof sum);
    for (uint32_t k = 0; k < 10; k++) {
      union bpf_attr a; memset(&a, 0, sizeof a);
      a.map_fd = acc; a.key = (uint64_t)(uintptr_t)&k; a.value = (uint64_t)(uintptr_t)v;
      if (bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0) { perror("lookup"); return 1; }
      for (long c = 0; c < ncpu && c < 64; c++) sum[c][k] = v[c] << shift;
    }
    printf("%llu", (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec);
    for (long c = 0; c < ncpu && c < 64; c++) {
      printf(" cpu%ld:", c);
      for (int k = 0; k < 10; k++) printf("%s%llu", k ? "," : "", (unsigned long long)sum[c][k]);
    }
    printf("\n"); fflush(stdout);
  }
  return 0;
}
