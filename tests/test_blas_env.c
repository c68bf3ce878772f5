/* test_blas_env: when lnfree overrides OpenBLAS's kernel choice (only to undo
 * a fallback to narrower vectors, never a user's OPENBLAS_CORETYPE), and what
 * it picks for the CPUs it knows. */
#include <check.h>
#include <string.h>

#include "base/blas_env.h"
#include "tests/golden_util.h"

START_TEST(test_vector_classes)
{
    ck_assert_int_eq(blas_core_vector_class("Cooperlake"), 2);
    ck_assert_int_eq(blas_core_vector_class("SkylakeX"), 2);
    ck_assert_int_eq(blas_core_vector_class("Zen"), 1);
    ck_assert_int_eq(blas_core_vector_class("Haswell"), 1);
    ck_assert_int_eq(blas_core_vector_class("Prescott"), 0);
    ck_assert_int_eq(blas_core_vector_class("Sandybridge"), 0);
    ck_assert_int_eq(blas_core_vector_class(NULL), 0);
}
END_TEST

START_TEST(test_override_only_a_fallback)
{
    /* new Intel CPU that OpenBLAS 0.3.21 does not know: Prescott fallback */
    ck_assert_str_eq(blas_core_override("Cooperlake", "Prescott", NULL), "Cooperlake");
    ck_assert_str_eq(blas_core_override("Haswell", "Sandybridge", NULL), "Haswell");
    /* OpenBLAS's own pick is as wide as the CPU: kept (Zen on AMD AVX2,
     * Cooperlake on Zen 4) */
    ck_assert_ptr_null(blas_core_override("Zen", "Zen", NULL));
    ck_assert_ptr_null(blas_core_override("Zen", "Haswell", NULL));
    ck_assert_ptr_null(blas_core_override("Cooperlake", "SkylakeX", NULL));
    ck_assert_ptr_null(blas_core_override("Cooperlake", "Cooperlake", NULL));
    /* the user's choice always stands, and so does a build without OpenBLAS */
    ck_assert_ptr_null(blas_core_override("Cooperlake", "Prescott", "Prescott"));
    ck_assert_ptr_null(blas_core_override("Cooperlake", NULL, NULL));
    ck_assert_ptr_null(blas_core_override(NULL, "Prescott", NULL));
}
END_TEST

START_TEST(test_pick_matches_the_cpu)
{
    const char *best = blas_core_for_cpu();
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
        ck_assert_int_eq(blas_core_vector_class(best), 2);
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        ck_assert_str_eq(best, __builtin_cpu_is("amd") ? "Zen" : "Haswell");
    } else {
        ck_assert_ptr_null(best);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blas_env");
    TCase *tc = tcase_create("blas_env");
    tcase_add_test(tc, test_vector_classes);
    tcase_add_test(tc, test_override_only_a_fallback);
    tcase_add_test(tc, test_pick_matches_the_cpu);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
