// SPDX-License-Identifier: MIT
/*
 * check_main.c - runs every Check suite in one SRunner.
 *
 * The suites are found by the Makefile: tests/check_<m>.c exports
 * <m>_suite(), and build/suites.h lists them as SUITE(m) lines.
 *
 *   CK_RUN_SUITE=token build/check_all     run one suite
 *   CK_FORK=no build/check_all             run in-process (gdb, valgrind)
 *   CK_TAP_LOG_FILE_NAME=out.tap           write TAP as well
 */
#include <stdlib.h>

#include <check.h>

#include "check_suites.h"

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(NULL);
#define SUITE(m) srunner_add_suite(sr, m##_suite());
#include "suites.h"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
