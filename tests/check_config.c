// SPDX-License-Identifier: MIT
/* check_config.c - tests for common/config.c: defaults, env, flags, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "check_suites.h"
#include "config.h"

static enum config_result
load(struct config *cfg, enum config_service svc, char *err, size_t len,
    int argc, char **argv)
{
	FILE *out = fopen("/dev/null", "w");
	enum config_result r;

	r = config_load(cfg, svc, argc, argv, out, err, len);
	fclose(out);
	return (r);
}

START_TEST(test_defaults)
{
	char *argv[] = { "stateless", NULL };
	struct config cfg;
	char err[256];

	unsetenv("STATELAB_LISTEN");
	setenv("POD_NAME", "pod-7f2c", 1);
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATELESS, err, sizeof(err), 1, argv), CONFIG_OK);
	ck_assert_str_eq(cfg.listen_host, "127.0.0.1");
	ck_assert_int_eq(cfg.listen_port, 8081);
	ck_assert_str_eq(cfg.instance, "pod-7f2c");
	ck_assert_int_eq(cfg.session_ttl, 1800);
	ck_assert_int_eq(cfg.sessions, SESSIONS_MEMORY);
	config_free(&cfg);
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATEFUL, err, sizeof(err), 1, argv), CONFIG_OK);
	ck_assert_int_eq(cfg.listen_port, 8082);
	ck_assert_str_eq(cfg.db, "./var/stateful.db");
	ck_assert_int_eq(cfg.sync, SYNC_NORMAL);
	config_free(&cfg);
	unsetenv("POD_NAME");
}
END_TEST

START_TEST(test_env_then_flags)
{
	char *argv[] = { "x", "--session-ttl", "60", "--listen", "[::1]:0",
		"--log-format", "text", "--cookie-secure", NULL };
	struct config cfg;
	char err[256];

	setenv("STATELAB_SESSION_TTL", "99", 1);
	setenv("STATELAB_MAX_SESSIONS", "7", 1);
	setenv("STATELAB_INSTANCE", "from-env", 1);
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATELESS, err, sizeof(err), 8, argv), CONFIG_OK);
	ck_assert_int_eq(cfg.session_ttl, 60);
	ck_assert_int_eq(cfg.max_sessions, 7);
	ck_assert_str_eq(cfg.instance, "from-env");
	ck_assert_str_eq(cfg.listen_host, "::1");
	ck_assert_int_eq(cfg.listen_port, 0);
	ck_assert_int_eq(cfg.log_format, LOG_FORMAT_TEXT);
	ck_assert_int_eq(cfg.cookie_secure, 1);
	config_free(&cfg);
	unsetenv("STATELAB_SESSION_TTL");
	unsetenv("STATELAB_MAX_SESSIONS");
	unsetenv("STATELAB_INSTANCE");
}
END_TEST

START_TEST(test_secret_files_repeat)
{
	char *argv[] = { "x", "--token-secret-file", "/a",
		"--token-secret-file", "/b", NULL };
	char *three[] = { "x", "--token-secret-file", "/a",
		"--token-secret-file", "/b", "--token-secret-file", "/c",
		NULL };
	struct config cfg;
	char err[256];

	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATELESS, err, sizeof(err), 5, argv), CONFIG_OK);
	ck_assert_int_eq(cfg.token_secret_count, 2);
	ck_assert_str_eq(cfg.token_secret_files[1], "/b");
	config_free(&cfg);
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATELESS, err, sizeof(err), 7, three),
	    CONFIG_ERROR);
	config_free(&cfg);
}
END_TEST

/* Each bad input: the error names the flag. */
START_TEST(test_errors)
{
	static const char *const bad[][3] = {
		{ "--session-ttl", "0", "--session-ttl" },
		{ "--session-ttl", "12x", "--session-ttl" },
		{ "--session-ttl", "99999999999999999999", "--session-ttl" },
		{ "--listen", "localhost", "--listen" },
		{ "--listen", "1.2.3.4:70000", "--listen" },
		{ "--listen", ":80", "--listen" },
		{ "--listen", "::1:80", "--listen" },
		{ "--log-format", "xml", "--log-format" },
		{ "--instance", "bad name", "--instance" },
		{ "--sessions", "disk", "--sessions" },
		{ "--db", "x.db", "unknown option" },
		{ "--nope", "1", "unknown option" },
	};
	struct config cfg;
	char err[256], *argv[4];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv[0] = "x";
		argv[1] = (char *)bad[i][0];
		argv[2] = (char *)bad[i][1];
		argv[3] = NULL;
		err[0] = '\0';
		ck_assert_msg(load(&cfg, CONFIG_STATELESS, err, sizeof(err), 3,
		                  argv) == CONFIG_ERROR,
		    "%s %s accepted", bad[i][0], bad[i][1]);
		ck_assert_msg(
		    strstr(err, bad[i][2]) != NULL, "%s: '%s'", bad[i][0], err);
		config_free(&cfg);
	}
}
END_TEST

START_TEST(test_peer_template)
{
	static const char *const bad[] = { "http://x:8082", "http://%s/%s",
		"http://%d:8082", "ftp://%s", "http://%s%" };
	char *argv[] = { "x", "--peer-url-template", NULL, NULL };
	struct config cfg;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv[2] = (char *)bad[i];
		ck_assert_msg(load(&cfg, CONFIG_STATEFUL, err, sizeof(err), 3,
		                  argv) == CONFIG_ERROR,
		    "%s accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "exactly one %s"));
		config_free(&cfg);
	}
	argv[2] = "http://%s.stateful-headless:8082";
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATEFUL, err, sizeof(err), 3, argv), CONFIG_OK);
	config_free(&cfg);
}
END_TEST

START_TEST(test_help_version_and_stray)
{
	char *help[] = { "x", "--help", NULL };
	char *version[] = { "x", "--version", NULL };
	char *stray[] = { "x", "extra", NULL };
	char *missing[] = { "x", "--listen", NULL };
	struct config cfg;
	char err[256];

	ck_assert_int_eq(load(&cfg, CONFIG_STATEFUL, err, sizeof(err), 2, help),
	    CONFIG_DONE);
	config_free(&cfg);
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATEFUL, err, sizeof(err), 2, version),
	    CONFIG_DONE);
	config_free(&cfg);
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATEFUL, err, sizeof(err), 2, stray),
	    CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "extra"));
	config_free(&cfg);
	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATEFUL, err, sizeof(err), 2, missing),
	    CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	config_free(&cfg);
}
END_TEST

START_TEST(test_cors_and_describe)
{
	char *argv[] = { "x", "--cors-origins", "http://a:1,http://b:2",
		"--token-secret-file", "/secret", NULL };
	struct config cfg;
	char err[256];
	json_t *obj = json_object();
	char *text;

	ck_assert_int_eq(
	    load(&cfg, CONFIG_STATELESS, err, sizeof(err), 5, argv), CONFIG_OK);
	ck_assert(config_cors_allows(&cfg, "http://a:1"));
	ck_assert(config_cors_allows(&cfg, "http://b:2"));
	ck_assert(!config_cors_allows(&cfg, "http://a"));
	ck_assert(!config_cors_allows(&cfg, "http://b:2,"));
	config_describe(&cfg, obj);
	ck_assert_str_eq(
	    json_string_value(json_object_get(obj, "session-ttl")), "1800");
	/* A secret's file name is fine to log; the key never is. */
	text = json_dumps(obj, 0);
	ck_assert_ptr_null(strstr(text, "/secret"));
	free(text);
	json_decref(obj);
	config_free(&cfg);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_env_then_flags);
	tcase_add_test(tc, test_secret_files_repeat);
	tcase_add_test(tc, test_help_version_and_stray);
	tcase_add_test(tc, test_cors_and_describe);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_peer_template);
	suite_add_tcase(s, tc);
	return (s);
}
