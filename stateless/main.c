// SPDX-License-Identifier: MIT
/*
 * main.c - the stateless service: meant to run as a Deployment.
 *
 * --sessions memory (the default) keeps sessions in this process on
 * purpose: kill it, or scale it to three behind a load balancer, and
 * sessions are lost.  That is the lesson.  --sessions token (signed JWTs
 * the client carries) and --sessions remote (state kept by the stateful
 * service) are the two ways to do it right.
 */
#include <stdio.h>

#include "config.h"
#include "memory_store.h"
#include "remote_store.h"
#include "service.h"
#include "session.h"
#include "token_store.h"

static struct session_store *open_store(
    const struct store_params *, char *, size_t, int *);

int
main(int argc, char *argv[])
{
	static const struct service_desc desc = {
		.service = CONFIG_STATELESS,
		.open_store = open_store,
	};

	return (service_main(&desc, argc, argv));
}

static struct session_store *
open_store(
    const struct store_params *p, char *err, size_t errlen, int *exit_code)
{
	*exit_code = 1;
	switch (p->cfg->sessions) {
	case SESSIONS_MEMORY:
		return (memory_store_open(p, err, errlen));
	case SESSIONS_TOKEN:
		/* Sets *exit_code: 2 for a missing or short secret. */
		return (token_store_open(p, err, errlen, exit_code));
	case SESSIONS_REMOTE:
		return (remote_store_open(p, err, errlen, exit_code));
	default:
		snprintf(err, errlen, "unknown --sessions mode");
		*exit_code = 2;
		return (NULL);
	}
}
