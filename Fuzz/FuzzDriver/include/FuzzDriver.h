#ifndef VRSIM_FUZZ_DRIVER_H
#define VRSIM_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (the runtime that `-sanitize=fuzzer` links) on `test_one_input`,
/// with the command line `argc`, `argv`. A fuzz target's entry point calls it: SwiftPM names the
/// entry point of an executable itself, so libFuzzer's own `main` is not used.
int vrsim_fuzz_run(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
