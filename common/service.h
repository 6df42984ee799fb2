/*
 * service.h - the main() both binaries share: flags, log, store, loop.
 */
#ifndef STATELAB_COMMON_SERVICE_H
#define STATELAB_COMMON_SERVICE_H

#include <stddef.h>

#include "config.h"

struct session_store;
struct store_params;

/* What differs between the two binaries. */
struct service_desc {
	enum config_service service;
	/*
	 * Open the store.  On failure return NULL, fill err with one line
	 * naming the file or URL and what to do, and set *exit_code (1, or
	 * 3 for a database held by another process).
	 */
	struct session_store *(*open_store)(const struct store_params *p,
	    char *err, size_t errlen, int *exit_code);
};

/*
 * Run a whole service: parse flags (exit 2 on a bad one), open the store,
 * serve until SIGTERM/SIGINT has drained, close everything.  Returns the
 * process exit status.
 */
int service_main(const struct service_desc *desc, int argc, char *const argv[]);

#endif /* STATELAB_COMMON_SERVICE_H */
