// Counting malloc interposer (glibc only). The executable that links this object exports
// malloc & co., so every shared library (the Swift runtime included) calls these wrappers,
// which forward to glibc's __libc_* entry points.
#include "AllocCounter.h"
#include <stddef.h>
#include <errno.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define VRSIM_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define VRSIM_SANITIZED 1
#endif

// Not under a sanitizer: its runtime owns malloc, and this wrapper, called while the runtime
// initialises, crashes it (a TSan build's test bundle died at start once ScenarioRun linked it).
#if defined(__linux__) && defined(__GLIBC__) && !defined(VRSIM_SANITIZED)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static int counting = 0;
static uint64_t allocations = 0;

static inline void count_one(void) {
  if (__atomic_load_n(&counting, __ATOMIC_RELAXED)) {
    __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
  }
}

void *malloc(size_t size) { count_one(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count_one(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count_one(); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { count_one(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count_one(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
  count_one();
  void *p = __libc_memalign(alignment, size);
  if (p == NULL && size != 0) return ENOMEM;
  *out = p;
  return 0;
}

void vrsim_alloc_counting(int enabled) { __atomic_store_n(&counting, enabled ? 1 : 0, __ATOMIC_RELAXED); }
uint64_t vrsim_alloc_count(void) { return __atomic_load_n(&allocations, __ATOMIC_RELAXED); }
void vrsim_alloc_reset(void) { __atomic_store_n(&allocations, 0, __ATOMIC_RELAXED); }
int vrsim_alloc_interposed(void) { return 1; }
#else
void vrsim_alloc_counting(int enabled) { (void)enabled; }
uint64_t vrsim_alloc_count(void) { return 0; }
void vrsim_alloc_reset(void) {}
int vrsim_alloc_interposed(void) { return 0; }
#endif
