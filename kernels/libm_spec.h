/* libm_spec: the logic of the libm calls the kernels' functional contracts
 * name, and their values, ASSUMED (verify/README.md and verify/PROOFS.md list
 * it). Frama-C's libc contracts of these functions state only ranges and
 * errno (and √ for sqrt); the declarations below add the values, and Frama-C
 * merges the two contracts. The bounds on x are libc's own: outside them its contract says 0
 * (underflow) or infinity (overflow). The declarations are for Frama-C only. */
#ifndef LNFREE_KERNELS_LIBM_SPEC_H
#define LNFREE_KERNELS_LIBM_SPEC_H

/*@ // e^x. The provers WP drives (z3, cvc4) give up on goals that hold
  @ // ACSL's transcendental \exp, so the contracts name the exponential
  @ // through this symbol: nothing is assumed of it but that it is a
  @ // function of x and positive, and that expf returns it.
  @ axiomatic LnfExp {
  @   logic real lnf_exp(real x);
  @   axiom lnf_exp_positive: \forall real x; lnf_exp(x) > 0;
  @ }
  @
  @ // the natural logarithm, for x > 0: as lnf_exp, a symbol of which
  @ // nothing is assumed but that log returns it
  @ axiomatic LnfLog {
  @   logic real lnf_log(real x);
  @ }
  @
  @ // expf's value for x up to its overflow bound: e^x, or 0 below the
  @ // underflow bound −103.97, where libc's contract says 0
  @ logic real lnf_expf(real x) = x < -0x1.9fe368p6 ? 0.0 : lnf_exp(x);
  @
  @ // expf(min(z, 0)), as the kernels take exp(x − max x): z clamped to ≤ 0
  @ // (the clamp never fires there: the max is one of the x)
  @ logic real lnf_expf_nonpos(real z) = z > 0.0 ? lnf_expf(0.0) : lnf_expf(z);
  @*/

#ifdef __FRAMAC__
#include <math.h>

/*@ ensures exp_value: -0x1.9fe368p6 <= x <= 0x1.62e42ep+6 ==> \result == lnf_exp(x); */
float expf(float x);
/* libc's sqrt (double) already states \result == \sqrt(x); its sqrtf does not. */
/*@ ensures sqrt_value: x >= 0 ==> \result == \sqrt(x); */
float sqrtf(float x);
/*@ ensures log_value: x > 0 ==> \result == lnf_log(x); */
double log(double x);
#endif

#endif
