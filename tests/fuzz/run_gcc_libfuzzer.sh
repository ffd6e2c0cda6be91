#!/bin/sh
# Fuzzes the devices parsers with GCC instrumentation and clang's libFuzzer runtime.
#
# Why: the `fuzz` preset builds with clang 14, which cannot compile libstdc++ 12's <expected>
# (it needs __cpp_concepts >= 202002), and every parser returns std::expected. GCC compiles the
# code with ASan+UBSan and -fsanitize-coverage=trace-pc,trace-cmp. libFuzzer 14 refuses GCC's
# trace-pc hook, so objcopy renames it and gcc_cov_shim.c hashes each PC into 8-bit counters that
# libFuzzer does accept; the trace-cmp callbacks go to libFuzzer's value profile directly.
#
# Usage: tests/fuzz/run_gcc_libfuzzer.sh BUILD_DIR SECONDS [TARGET…]
#   TARGET: rtu_frame rtu_tcp_reader dlt645_frame (default: all). Corpora are copied to
#   BUILD_DIR/<target>-corpus (the committed seed corpus is never written to).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?build dir}
seconds=${2:?seconds}
shift 2
targets=${*:-"rtu_frame rtu_tcp_reader dlt645_frame"}
runtime=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a | tail -1)
mkdir -p "$out"
flags="-std=c++2b -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -fsanitize-coverage=trace-pc,trace-cmp -fno-omit-frame-pointer \
  -I$src/devices/meter/include -I$src/devices/secure/include -I$src/backend/domain/include"
sources="device_error rtu_frame dlt645_frame dlt645_link byte_stream transport_uri"
for s in $sources; do
  g++ $flags -c "$src/devices/meter/src/$s.cpp" -o "$out/$s.o"
  objcopy --redefine-sym __sanitizer_cov_trace_pc=prepaid_cov_trace_pc "$out/$s.o"
done
gcc -O1 -c "$src/tests/fuzz/gcc_cov_shim.c" -o "$out/gcc_cov_shim.o"
for t in $targets; do
  g++ $flags -c "$src/tests/fuzz/$t/${t}_fuzz.cpp" -o "$out/harness-$t.o"
  objcopy --redefine-sym __sanitizer_cov_trace_pc=prepaid_cov_trace_pc "$out/harness-$t.o"
  objs=""
  for s in $sources; do objs="$objs $out/$s.o"; done
  g++ -fsanitize=address,undefined -o "$out/fuzz-$t" "$out/harness-$t.o" $objs "$out/gcc_cov_shim.o" \
    "$runtime" -lstdc++ -lpthread -lm -ldl
  rm -rf "$out/$t-corpus"
  cp -r "$src/tests/fuzz/$t/corpus" "$out/$t-corpus"
  echo "== fuzzing $t for ${seconds}s"
  "$out/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/$t-" \
    "$out/$t-corpus" 2>&1 | tail -25
done
