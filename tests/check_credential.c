// SPDX-License-Identifier: MIT
/* check_credential.c - tests for common/credential.c. */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "check_suites.h"
#include "credential.h"

static struct evkeyvalq headers;

static void
setup(void)
{
	TAILQ_INIT(&headers);
}

static void
teardown(void)
{
	evhttp_clear_headers(&headers);
}

static enum credential_rc
find(char **tok, const char **why)
{
	return (credential_find(&headers, tok, why));
}

START_TEST(test_none)
{
	char *tok;
	const char *why;

	evhttp_add_header(&headers, "Cookie", "theme=dark; lang=en");
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_NONE);
	ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(test_cookie)
{
	char *tok;
	const char *why;

	evhttp_add_header(&headers, "Cookie", "theme=dark; sid=AbC-_.1 ; x=y");
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_FOUND);
	ck_assert_str_eq(tok, "AbC-_.1");
	free(tok);
}
END_TEST

START_TEST(test_cookie_quoted_and_repeated_same)
{
	char *tok;
	const char *why;

	evhttp_add_header(&headers, "Cookie", "sid=\"abc\"");
	evhttp_add_header(&headers, "Cookie", "sid=abc");
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_FOUND);
	ck_assert_str_eq(tok, "abc");
	free(tok);
}
END_TEST

START_TEST(test_cookie_conflict)
{
	char *tok;
	const char *why;

	evhttp_add_header(&headers, "Cookie", "sid=abc; sid=abd");
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_BAD);
	ck_assert_ptr_nonnull(strstr(why, "two different sid cookies"));
}
END_TEST

START_TEST(test_cookie_name_is_exact)
{
	char *tok;
	const char *why;

	evhttp_add_header(&headers, "Cookie", "xsid=abc; sidx=abd; SID=x");
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_NONE);
}
END_TEST

START_TEST(test_bearer_wins)
{
	char *tok;
	const char *why;

	evhttp_add_header(&headers, "Cookie", "sid=fromcookie");
	evhttp_add_header(&headers, "authorization", "bearer  fromheader ");
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_FOUND);
	ck_assert_str_eq(tok, "fromheader");
	free(tok);
}
END_TEST

START_TEST(test_bad_forms)
{
	static const char *const bad[] = { "Basic Zm9v", "Bearer", "Bearer ",
		"Bearer a b", "Bearer <script>", "Token abc" };
	char *tok;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		evhttp_clear_headers(&headers);
		evhttp_add_header(&headers, "Authorization", bad[i]);
		ck_assert_msg(find(&tok, &why) == CREDENTIAL_BAD, "%s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(test_two_authorization_headers)
{
	char *tok;
	const char *why;

	evhttp_add_header(&headers, "Authorization", "Bearer a");
	evhttp_add_header(&headers, "Authorization", "Bearer b");
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_BAD);
}
END_TEST

START_TEST(test_too_long)
{
	char *big = malloc(5000), *tok;
	const char *why;

	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', 4990);
	big[4997] = '\0';
	evhttp_add_header(&headers, "Authorization", big);
	ck_assert_int_eq(find(&tok, &why), CREDENTIAL_BAD);
	free(big);
}
END_TEST

Suite *
credential_suite(void)
{
	Suite *s = suite_create("credential");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_cookie);
	tcase_add_test(tc, test_cookie_quoted_and_repeated_same);
	tcase_add_test(tc, test_cookie_name_is_exact);
	tcase_add_test(tc, test_bearer_wins);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cookie_conflict);
	tcase_add_test(tc, test_bad_forms);
	tcase_add_test(tc, test_two_authorization_headers);
	tcase_add_test(tc, test_too_long);
	suite_add_tcase(s, tc);
	return (s);
}
