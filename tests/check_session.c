// SPDX-License-Identifier: MIT
/* check_session.c - tests for common/session.c: names, keys, rc names. */
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "check_suites.h"
#include "session.h"

START_TEST(test_user_names)
{
	char long_name[SESSION_USER_MAX + 2];

	ck_assert(session_user_is_valid("alice"));
	ck_assert(session_user_is_valid("a.b_c@d-e"));
	ck_assert(session_user_is_valid("A9"));
	ck_assert(!session_user_is_valid(""));
	ck_assert(!session_user_is_valid(NULL));
	ck_assert(!session_user_is_valid("bad name"));
	ck_assert(!session_user_is_valid("x/y"));
	ck_assert(!session_user_is_valid("caf\xc3\xa9"));
	ck_assert(!session_user_is_valid("\xff"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[SESSION_USER_MAX] = '\0';
	ck_assert(session_user_is_valid(long_name));
	long_name[SESSION_USER_MAX] = 'a';
	long_name[SESSION_USER_MAX + 1] = '\0';
	ck_assert(!session_user_is_valid(long_name));
}
END_TEST

START_TEST(test_keys)
{
	ck_assert(session_key_is_valid("color"));
	ck_assert(session_key_is_valid("a.b-c_d"));
	ck_assert(!session_key_is_valid("a@b"));
	ck_assert(!session_key_is_valid(""));
	ck_assert(!session_key_is_valid("a b"));
}
END_TEST

/* n arrays, one inside the other, around a 1; or an object at the bottom. */
static json_t *
nested(int n, int object_inside)
{
	json_t *v =
	    object_inside ? json_pack("{s:i}", "k", 1) : json_integer(1);

	while (n-- > (object_inside ? 1 : 0))
		v = json_pack("[o]", v);
	return (v);
}

START_TEST(test_value_depth)
{
	json_t *v;

	ck_assert(session_value_is_shallow(v = json_integer(7)));
	json_decref(v);
	ck_assert(session_value_is_shallow(v = nested(SESSION_VALUE_DEPTH, 0)));
	json_decref(v);
	ck_assert(
	    !session_value_is_shallow(v = nested(SESSION_VALUE_DEPTH + 1, 0)));
	json_decref(v);
	ck_assert(session_value_is_shallow(v = nested(SESSION_VALUE_DEPTH, 1)));
	json_decref(v);
	ck_assert(
	    !session_value_is_shallow(v = nested(SESSION_VALUE_DEPTH + 1, 1)));
	json_decref(v);
	/* Wide is not deep. */
	v = json_pack("[[1],[[2]],{s:[3]}]", "a");
	ck_assert(session_value_is_shallow(v));
	json_decref(v);
}
END_TEST

START_TEST(test_rc_names)
{
	ck_assert_str_eq(session_store_rc_name(STORE_OK), "ok");
	ck_assert_str_eq(session_store_rc_name(STORE_NOMEM), "nomem");
	ck_assert_str_eq(session_store_rc_name((enum store_rc)99), "unknown");
}
END_TEST

Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_user_names);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_value_depth);
	tcase_add_test(tc, test_rc_names);
	suite_add_tcase(s, tc);
	return (s);
}
