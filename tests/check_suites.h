/*
 * check_suites.h - prototypes of every <m>_suite(), from the generated
 * list (build/suites.h).  Each tests/check_<m>.c includes it.
 */
#ifndef STATELAB_TESTS_CHECK_SUITES_H
#define STATELAB_TESTS_CHECK_SUITES_H

#include <check.h>

#define SUITE(m) Suite *m##_suite(void);
#include "suites.h"
#undef SUITE

#endif /* STATELAB_TESTS_CHECK_SUITES_H */
