# Sanitizer instrumentation for the whole build, included at the end of the
# top-level CMakeLists.txt (after every add_subdirectory), so it reaches the
# targets already defined in kernels/, model/, schedule/, cli/, tests/, bench/.
#
#   LNFREE_SANITIZE=ON  gcc or clang: ASan + UBSan, aborting on the first report;
#                       for running the Check suites (build-asan).
#   LNFREE_FUZZ=ON      clang only: the same plus libFuzzer's coverage
#                       instrumentation (fuzzer-no-link) and float division by
#                       zero, then the targets in fuzz/ (build-fuzz).

if(LNFREE_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "LNFREE_FUZZ needs clang (libFuzzer): configure with "
                      "-DCMAKE_C_COMPILER=clang-14 (got ${CMAKE_C_COMPILER_ID})")
endif()

set(LNFREE_SAN_FLAGS "")
if(LNFREE_FUZZ)
  # No library division by zero is legitimate (every divisor is a count, a
  # sum ≥ 1, √(var + eps) or a σ ≥ LN_FIXED_MIN_SCALE), so it is a finding too.
  set(LNFREE_SAN_FLAGS -fsanitize=fuzzer-no-link,address,undefined,float-divide-by-zero
                       -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
elseif(LNFREE_SANITIZE)
  set(LNFREE_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                       -fno-omit-frame-pointer -g)
endif()

# Every library and executable defined so far, in this directory and below.
function(lnfree_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    lnfree_collect_targets(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

if(LNFREE_SAN_FLAGS)
  lnfree_collect_targets(${PROJECT_SOURCE_DIR} lnfree_all_targets)
  foreach(t IN LISTS lnfree_all_targets)
    get_target_property(type ${t} TYPE)
    if(type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      target_compile_options(${t} PRIVATE ${LNFREE_SAN_FLAGS})
    endif()
    if(type MATCHES "^(SHARED_LIBRARY|MODULE_LIBRARY|EXECUTABLE)$")
      target_link_options(${t} PRIVATE ${LNFREE_SAN_FLAGS})
    endif()
  endforeach()
  message(STATUS "lnfree: sanitizers ${LNFREE_SAN_FLAGS}")
endif()

if(LNFREE_FUZZ)
  add_subdirectory(fuzz)
endif()
