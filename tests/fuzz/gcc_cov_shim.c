/* GCC's -fsanitize-coverage=trace-pc calls __sanitizer_cov_trace_pc() at every basic block
   (renamed to prepaid_cov_trace_pc by objcopy in run_gcc_libfuzzer.sh).
   libFuzzer (clang runtime) has no such hook, but accepts inline 8-bit counters: hash the
   caller's PC into a counter table and register it once. */
#include <stdint.h>
#include <stddef.h>
#define TABLE (1 << 16)
static uint8_t counters[TABLE];
static uintptr_t pcs[TABLE * 2];
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_pcs_init(const uintptr_t *beg, const uintptr_t *end);
__attribute__((constructor)) static void init(void) {
  for (size_t i = 0; i < TABLE; ++i) { pcs[2 * i] = i + 1; pcs[2 * i + 1] = 0; }
  __sanitizer_cov_8bit_counters_init(counters, counters + TABLE);
  __sanitizer_cov_pcs_init(pcs, pcs + 2 * TABLE);
}
void prepaid_cov_trace_pc(void) {
  uintptr_t pc = (uintptr_t)__builtin_return_address(0);
  size_t slot = (size_t)((pc ^ (pc >> 16)) * 0x9E3779B1u) & (TABLE - 1);
  counters[slot]++;
}
