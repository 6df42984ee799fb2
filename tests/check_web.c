// SPDX-License-Identifier: MIT
/* check_web.c - tests for common/web.c and the embedded assets. */
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "web.h"

START_TEST(test_assets)
{
	const struct web_asset *a;
	size_t total = 0;

	a = web_asset_find("/");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->content_type, "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr((const char *)a->data, "<html"));
	ck_assert_ptr_nonnull(web_asset_find("/app.js"));
	ck_assert_ptr_nonnull(web_asset_find("/app.css"));
	ck_assert_ptr_null(web_asset_find("/index.html/"));
	ck_assert_ptr_null(web_asset_find("/../Makefile"));
	for (a = web_assets; a->path != NULL; a++)
		total += a->len;
	/* The whole page stays well under 100 KB. */
	ck_assert_int_lt(total, 100 * 1024);
}
END_TEST

Suite *
web_suite(void)
{
	Suite *s = suite_create("web");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_assets);
	suite_add_tcase(s, tc);
	return (s);
}
