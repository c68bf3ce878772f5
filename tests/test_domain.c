/* test_domain: the run-time domain watch (model/domain_watch.h) on
 * hand-checked cases: a value at a bound is inside and the next float out; NaN
 * and infinity are out and stick; the largest |x| and the first value out are
 * the ones recorded, whatever the order of later observations; the margins
 * name each kernel's input nearest its bound; the settings check refuses what
 * adamw.c and layernorm.c are not proven for. The bounds themselves are
 * kernels/domain.h's, the ones the EVA harnesses assume. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "kernels/domain.h"
#include "model/domain_watch.h"
#include "model/optim.h"

START_TEST(test_bound_is_inside_next_float_is_out)
{
    domain_watch w;
    dw_reset(&w);
    float x[3] = {-1.0f, DOMAIN_MAX_ABS_WEIGHT, 0.5f}; /* 1000 exactly: inside */
    dw_observe(&w, DW_MATMUL_WEIGHT, 2, x, 3);
    ck_assert_float_eq(w.seen[DW_MATMUL_WEIGHT], 1000.0f);
    ck_assert_int_eq(w.bad, -1);
    lnf_error err = {{0}};
    ck_assert_int_eq(dw_check(&w, &err), 0);

    x[0] = -nextafterf(1000.0f, INFINITY); /* 1000.00006 */
    dw_observe(&w, DW_MATMUL_WEIGHT, 3, x, 3);
    ck_assert_int_eq(w.bad, DW_MATMUL_WEIGHT);
    ck_assert_int_eq(w.bad_layer, 3);
    ck_assert_float_eq(w.bad_value, x[0]);
    ck_assert_int_eq(dw_check(&w, &err), -1);
    ck_assert_str_eq(err.msg, "left the proven domain: matmul_forward's weight in layer 3 has the "
                              "value -1000.00006, outside ±1000, the bound under which the kernel is "
                              "proven free of overflow (kernels/domain.h, verify/PROOFS.md)");
}
END_TEST

START_TEST(test_nan_and_infinity_are_out_and_stick)
{
    domain_watch w;
    dw_reset(&w);
    ck_assert_float_eq(w.seen[DW_GELU_INP], -1.0f); /* not called */
    float x[4] = {1.0f, NAN, 2.0f, INFINITY};
    dw_observe(&w, DW_GELU_INP, 0, x, 4);
    ck_assert(isnan(w.seen[DW_GELU_INP]));
    ck_assert_int_eq(w.bad, DW_GELU_INP);
    ck_assert(isnan(w.bad_value)); /* the first one out */
    float later = 3.0f;
    dw_observe(&w, DW_GELU_INP, 0, &later, 1);
    ck_assert(isnan(w.seen[DW_GELU_INP]));

    dw_reset(&w);
    dw_observe_value(&w, DW_ATT_Q, -1, -INFINITY);
    lnf_error err = {{0}};
    ck_assert_int_eq(dw_check(&w, &err), -1);
    ck_assert_str_eq(err.msg, "left the proven domain: attention_forward's q has the value -inf, "
                              "outside ±10000, the bound under which the kernel is proven free "
                              "of overflow (kernels/domain.h, verify/PROOFS.md)");
}
END_TEST

START_TEST(test_first_out_and_largest_are_recorded)
{
    domain_watch a;
    dw_reset(&a);
    float small[2] = {0.25f, -3.0f}, big[1] = {-2e4f}, bigger[1] = {5e4f};
    dw_observe(&a, DW_GELU_INP, 0, small, 2);
    dw_observe(&a, DW_GELU_INP, 4, big, 1);
    dw_observe(&a, DW_GELU_INP, 5, bigger, 1);
    ck_assert_float_eq(a.seen[DW_GELU_INP], 5e4f);
    ck_assert_float_eq(a.bad_value, -2e4f);
    ck_assert_int_eq(a.bad_layer, 4);
}
END_TEST

START_TEST(test_margins_name_the_input_nearest_its_bound)
{
    domain_watch w;
    dw_reset(&w);
    float inp = 5000.0f, weight = 600.0f, bias = 100.0f; /* 0.5, 0.6, 0.1 of their bounds */
    dw_observe(&w, DW_MATMUL_INP, 0, &inp, 1);
    dw_observe(&w, DW_MATMUL_WEIGHT, 0, &weight, 1);
    dw_observe(&w, DW_MATMUL_BIAS, 0, &bias, 1);
    dw_observe_value(&w, DW_CE_DLOSS, -1, 0.25f);
    json_t *m = dw_margins_json(&w);
    ck_assert_int_eq(json_object_size(m), 2); /* only the kernels called */
    json_t *mm = json_object_get(m, "matmul_forward");
    ck_assert_str_eq(json_string_value(json_object_get(mm, "input")), "weight");
    ck_assert_double_eq(json_number_value(json_object_get(mm, "max")), 600.0);
    ck_assert_double_eq(json_number_value(json_object_get(mm, "bound")), 1000.0);
    json_t *ce = json_object_get(m, "crossentropy_backward");
    ck_assert_double_eq(json_number_value(json_object_get(ce, "max")), 0.25);

    /* folding steps: per kernel the record with the larger max/bound */
    dw_reset(&w);
    inp = 9000.0f; /* 0.9 */
    dw_observe(&w, DW_MATMUL_INP, 0, &inp, 1);
    json_t *later = dw_margins_json(&w), *all = json_object();
    dw_margins_fold(all, m);
    dw_margins_fold(all, later);
    mm = json_object_get(all, "matmul_forward");
    ck_assert_str_eq(json_string_value(json_object_get(mm, "input")), "inp");
    ck_assert_double_eq(json_number_value(json_object_get(mm, "max")), 9000.0);
    ck_assert_ptr_nonnull(json_object_get(all, "crossentropy_backward"));
    json_decref(m);
    json_decref(later);
    json_decref(all);
}
END_TEST

START_TEST(test_settings_outside_the_proof_are_refused)
{
    optim_settings s = optim_defaults(); /* lr 6e-4, β 0.9/0.95, ε 1e-8, wd 0.1, clip 1 */
    lnf_error err = {{0}};
    ck_assert_int_eq(dw_check_settings(&s.adam, s.clip, 1000, 1e-5f, &err), 0);
    ck_assert_int_eq(dw_check_settings(&s.adam, s.clip, DOMAIN_ADAM_MAX_STEP, 1e-6f, &err), 0);

    optim_settings t = s;
    t.adam.lr = 0.02f;
    ck_assert_int_eq(dw_check_settings(&t.adam, t.clip, 1000, 1e-5f, &err), -1);
    ck_assert_str_eq(err.msg, "the learning rate (0.02) is outside [0, 0.01], the domain its "
                              "kernel is proven for (kernels/domain.h, verify/PROOFS.md)");
    t = s;
    t.adam.beta2 = 0.9999f;
    ck_assert_int_eq(dw_check_settings(&t.adam, t.clip, 1000, 1e-5f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "AdamW's beta2 (0.9999) is outside [0, 0.999]"));
    t = s;
    t.adam.eps = NAN;
    ck_assert_int_eq(dw_check_settings(&t.adam, t.clip, 1000, 1e-5f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "AdamW's eps (nan) is outside [1e-08, 1e-06]"));
    t = s;
    t.clip = 1e4f;
    ck_assert_int_eq(dw_check_settings(&t.adam, t.clip, 1000, 1e-5f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "the gradient clip (10000) is outside [0.001, 1000]"));
    ck_assert_int_eq(dw_check_settings(&s.adam, s.clip, 2 * DOMAIN_ADAM_MAX_STEP, 1e-5f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "the number of steps (2e+07) is outside [1, 1e+07]"));
    ck_assert_int_eq(dw_check_settings(&s.adam, s.clip, 1000, 1e-3f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "layer_norm_epsilon (0.001) is outside [1e-06, 0.0001]"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("domain");
    TCase *tc = tcase_create("watch");
    tcase_add_test(tc, test_bound_is_inside_next_float_is_out);
    tcase_add_test(tc, test_nan_and_infinity_are_out_and_stick);
    tcase_add_test(tc, test_first_out_and_largest_are_recorded);
    tcase_add_test(tc, test_margins_name_the_input_nearest_its_bound);
    tcase_add_test(tc, test_settings_outside_the_proof_are_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
