// SPDX-License-Identifier: MIT
/*
 * main.c - the stateless service: meant to run as a Deployment.
 *
 * --sessions memory (the default) keeps sessions in this process on
 * purpose: kill it, or scale it to three behind a load balancer, and
 * sessions are lost.  That is the lesson.
 */
#include <stdio.h>

#include "config.h"
#include "memory_store.h"
#include "service.h"
#include "session.h"

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
	case SESSIONS_REMOTE:
	default:
		/* TODO(#7): the token and remote stores. */
		snprintf(err, errlen,
		    "--sessions %s is not available in this build yet; use "
		    "--sessions memory",
		    p->cfg->sessions == SESSIONS_TOKEN ? "token" : "remote");
		*exit_code = 2;
		return (NULL);
	}
}
