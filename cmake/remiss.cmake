# remiss_target_options(<target>): warnings and the sanitizers chosen with REMISS_ASAN,
# REMISS_UBSAN, REMISS_TSAN, for every target of the project.
function(remiss_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  set(san "")
  if(REMISS_ASAN)
    list(APPEND san address)
  endif()
  if(REMISS_UBSAN)
    list(APPEND san undefined)
  endif()
  if(REMISS_TSAN)
    list(APPEND san thread)
  endif()
  if(REMISS_FUZZ)  # coverage for libFuzzer (clang); the fuzz targets link the fuzzer itself
    list(APPEND san fuzzer-no-link address undefined)
  endif()
  if(san)
    list(REMOVE_DUPLICATES san)
    list(JOIN san "," sanitizers)
    target_compile_options(${target} PRIVATE -fsanitize=${sanitizers} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${sanitizers})
  endif()
endfunction()

# A server's allocator: jemalloc. Under load a server allocates and frees per call and per
# group commit on several threads; glibc's malloc spent ~7% of remissd's CPU there (perf),
# and jemalloc gave 8% (RegisterOrganization) to 13-20% (the seed-round mix) more durable
# commands a second (tools/bench/run.sh, figure a). Sanitizer builds keep their own.
function(remiss_server_allocator target)
  if(NOT (REMISS_ASAN OR REMISS_UBSAN OR REMISS_TSAN OR REMISS_FUZZ))
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()
