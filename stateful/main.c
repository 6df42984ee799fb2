// SPDX-License-Identifier: MIT
/*
 * main.c - the stateful service: meant to run as a StatefulSet.
 *
 * TODO(#3): sessions in an SQLite file on the pod's volume.
 */
#include <stdio.h>

#include "config.h"
#include "service.h"
#include "session.h"

static struct session_store *open_store(
    const struct store_params *, char *, size_t, int *);

int
main(int argc, char *argv[])
{
	static const struct service_desc desc = {
		.service = CONFIG_STATEFUL,
		.open_store = open_store,
	};

	return (service_main(&desc, argc, argv));
}

static struct session_store *
open_store(
    const struct store_params *p, char *err, size_t errlen, int *exit_code)
{
	snprintf(err, errlen, "the sqlite store for %s is not built yet",
	    p->cfg->db);
	*exit_code = 1;
	return (NULL);
}
