// vrsim-benchmarks: the origin paper's guest benchmarks (Sec. IV), run by `vrsim testbed
// bench` inside a router namespace and cgroup or on the host:
//   superpi K   pi to 2^K decimal digits by the Gauss-Legendre iteration (as Super Pi), with
//               GNU MPFR; prints the digits' count and the first digits as a check.
//   masr BYTES  MASR: allocate BYTES, set every byte sequentially to a fixed value, then read
//               every one back (a deterministic number of memory operations).
//   zfg DIR BYTES ROUNDS  ZFG: write a zero-filled file of BYTES to DIR, fsync, ROUNDS times,
//               dropping the page cache between rounds when allowed.
// Each prints `own_seconds <s>`: the benchmark's own time on CLOCK_MONOTONIC, reported beside
// the external ICMP time.
#include <errno.h>
#include <fcntl.h>
#include <mpfr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// Gauss-Legendre (Salamin-Brent): a0 = 1, b0 = 1/sqrt2, t0 = 1/4, p0 = 1;
// a' = (a+b)/2, b' = sqrt(ab), t' = t - p(a-a')^2, p' = 2p; pi ~ (a+b)^2 / 4t.
// Each iteration doubles the correct digits, so log2(digits) iterations suffice.
static int superpi(int k) {
  long digits = 1L << k;
  mpfr_prec_t bits = (mpfr_prec_t)(digits * 3.3219280948873623) + 64;
  mpfr_t a, b, t, p, an, tmp;
  mpfr_inits2(bits, a, b, t, p, an, tmp, (mpfr_ptr)0);
  mpfr_set_ui(a, 1, MPFR_RNDN);
  mpfr_sqrt_ui(b, 2, MPFR_RNDN);
  mpfr_ui_div(b, 1, b, MPFR_RNDN);
  mpfr_set_d(t, 0.25, MPFR_RNDN);
  mpfr_set_ui(p, 1, MPFR_RNDN);
  for (int i = 0; i < k + 2; i++) {
    mpfr_add(an, a, b, MPFR_RNDN);
    mpfr_div_2ui(an, an, 1, MPFR_RNDN);
    mpfr_mul(b, a, b, MPFR_RNDN);
    mpfr_sqrt(b, b, MPFR_RNDN);
    mpfr_sub(tmp, a, an, MPFR_RNDN);
    mpfr_sqr(tmp, tmp, MPFR_RNDN);
    mpfr_mul(tmp, tmp, p, MPFR_RNDN);
    mpfr_sub(t, t, tmp, MPFR_RNDN);
    mpfr_mul_2ui(p, p, 1, MPFR_RNDN);
    mpfr_set(a, an, MPFR_RNDN);
  }
  mpfr_add(tmp, a, b, MPFR_RNDN);
  mpfr_sqr(tmp, tmp, MPFR_RNDN);
  mpfr_mul_2ui(t, t, 2, MPFR_RNDN);
  mpfr_div(tmp, tmp, t, MPFR_RNDN);
  char head[32];
  mpfr_snprintf(head, sizeof head, "%.20Rf", tmp);
  printf("digits %ld\npi %s\n", digits, head);
  mpfr_clears(a, b, t, p, an, tmp, (mpfr_ptr)0);
  return 0;
}

static int masr(size_t bytes) {
  volatile unsigned char *m = malloc(bytes);
  if (!m) {
    fprintf(stderr, "masr: cannot allocate %zu bytes\n", bytes);
    return 1;
  }
  for (size_t i = 0; i < bytes; i++) m[i] = 0x5a;
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes; i++) sum += m[i];
  printf("bytes %zu\nchecksum %llu\n", bytes, (unsigned long long)sum);
  free((void *)m);
  return sum == (uint64_t)bytes * 0x5a ? 0 : 1;
}

/* ZFG: a zero-filled file of BYTES written ROUNDS times, each round synced and its pages
   dropped so the next writes anew: by default only this file's (fsync, then
   posix_fadvise DONTNEED), with global_drop the whole machine's (sync, then
   /proc/sys/vm/drop_caches), which touches every other process's cache too. */
static int zfg(const char *dir, size_t bytes, int rounds, int global_drop) {
  char path[4096];
  snprintf(path, sizeof path, "%s/zfg.%d", dir, (int)getpid());
  static char block[1 << 20];
  memset(block, 0, sizeof block);
  for (int r = 0; r < rounds; r++) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
      fprintf(stderr, "zfg: %s: %s\n", path, strerror(errno));
      return 1;
    }
    for (size_t done = 0; done < bytes;) {
      size_t n = bytes - done < sizeof block ? bytes - done : sizeof block;
      ssize_t w = write(fd, block, n);
      if (w <= 0) {
        fprintf(stderr, "zfg: write: %s\n", strerror(errno));
        close(fd);
        unlink(path);
        return 1;
      }
      done += (size_t)w;
    }
    fsync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    // The "dump between rounds", machine-wide only when asked for.
    int dc = global_drop ? open("/proc/sys/vm/drop_caches", O_WRONLY) : -1;
    if (dc >= 0) {
      sync();
      if (write(dc, "1", 1) < 0) { /* not allowed here: the round still wrote and synced */
      }
      close(dc);
    }
  }
  unlink(path);
  printf("bytes %zu\nrounds %d\n", bytes, rounds);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: vrsim-benchmarks superpi K | masr BYTES | zfg DIR BYTES ROUNDS [drop]\n");
    return 2;
  }
  double t0 = now();
  int rc;
  if (strcmp(argv[1], "superpi") == 0 && argc == 3) {
    int k = atoi(argv[2]);
    if (k < 1 || k > 28) {
      fprintf(stderr, "superpi: K must be 1 ... 28\n");
      return 2;
    }
    rc = superpi(k);
  } else if (strcmp(argv[1], "masr") == 0 && argc == 3) {
    rc = masr((size_t)strtoull(argv[2], 0, 10));
  } else if (strcmp(argv[1], "zfg") == 0 && (argc == 5 || (argc == 6 && strcmp(argv[5], "drop") == 0))) {
    rc = zfg(argv[2], (size_t)strtoull(argv[3], 0, 10), atoi(argv[4]), argc == 6);
  } else {
    fprintf(stderr, "usage: vrsim-benchmarks superpi K | masr BYTES | zfg DIR BYTES ROUNDS [drop]\n");
    return 2;
  }
  printf("own_seconds %.6f\n", now() - t0);
  return rc;
}
