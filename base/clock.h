/* clock: monotonic wall-clock seconds, for timings and rates. */
#ifndef LNFREE_BASE_CLOCK_H
#define LNFREE_BASE_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double lnf_now(void);

#endif
