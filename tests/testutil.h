/*
 * testutil.h - shared helpers for argen's Check suites.
 */
#ifndef ARGEN_TESTUTIL_H
#define ARGEN_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Fails with the largest absolute difference and where it is when any
 * |got[i] - want[i]| > tol (NaN never passes). */
#define assert_close(got, want, n, tol) assert_close_at(got, want, n, tol, __FILE__, __LINE__)

static inline void assert_close_at(const float *got, const float *want, size_t n, double tol,
                                   const char *file, int line) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= worst)) { worst = d; at = i; }
        if (isnan(d)) { worst = INFINITY; at = i; break; }
    }
    ck_assert_msg(worst <= tol, "%s:%d: max |diff| %.3g at [%zu] (got %.9g, want %.9g) > tol %.3g",
                  file, line, worst, at, (double)got[at], (double)want[at], tol);
}

/* Runs a suite; returns the process exit status. */
static inline int run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
