#include "FuzzDriver.h"

// libFuzzer's entry for programs that have their own main (compiler-rt FuzzerDriver.cpp).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*user_callback)(const uint8_t *data, size_t size));

int vrsim_fuzz_run(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size)) {
  return LLVMFuzzerRunDriver(&argc, &argv, test_one_input);
}
