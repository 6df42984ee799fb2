/*
 * test_util.h - shared helpers for the Check suites: a fake clock, a
 * config from argv, a loop that waits for a flag, and an in-process HTTP
 * client built on libevent's own.
 */
#ifndef STATELAB_TESTS_TEST_UTIL_H
#define STATELAB_TESTS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct event_base;

/* The fake wall clock stores read in tests: set it, advance it. */
extern int64_t test_now;
int64_t test_now_ms(void);

/*
 * Load cfg for service from a NULL-terminated list of flags; fails the
 * test if they do not parse.  Release with config_free().
 */
void test_config(struct config *cfg, enum config_service service, ...)
    __attribute__((sentinel));

/* Run base until *flag is non-zero, at most timeout_ms.  Returns *flag. */
int test_loop_until(struct event_base *base, const int *flag, int timeout_ms);

/* The answer test_http() collects. */
struct test_response {
	int done;
	int status;
	char body[65536];
	size_t body_len;
	char served_by[80];
	char set_cookie[512];
	char content_type[80];
	char retry_after[16];
	char allow[80];
};

/*
 * Send one request to 127.0.0.1:port and run base until the answer is in
 * (at most 5 s).  headers is a NULL-terminated list of "Name", "value"
 * pairs, or NULL; body may be NULL.  Returns resp->status (0 if none).
 */
int test_http(struct event_base *base, int port, const char *method,
    const char *path, const char *const *headers, const char *body,
    struct test_response *resp);

#endif /* STATELAB_TESTS_TEST_UTIL_H */
