// SPDX-License-Identifier: MIT
/*
 * service.c - the main() both binaries share: flags, log, store, loop.
 *
 *   config_load -> log_init -> open_store -> server_new -> server_run
 *        |exit 2                  |exit 1/3     |exit 1        |
 *                                                  SIGTERM drain -> close store
 * -> exit 0
 *
 * Everything that can fail because of the user's input fails here,
 * before the loop starts, with one line on stderr saying what to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "evmem.h"
#include "json_out.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "server.h"
#include "service.h"
#include "session.h"
#include "token.h"

static void log_settings(const struct api_ctx *);

int
service_main(const struct service_desc *desc, int argc, char *const argv[])
{
	struct config cfg;
	struct api_ctx ctx;
	struct store_params params;
	struct server *srv = NULL;
	const char *const *routes;
	size_t nroutes;
	char err[512];
	int64_t t0;
	int code = 1;

	/* First: every block libevent frees must come from its allocator. */
	(void)evmem_install();
	memset(&ctx, 0, sizeof(ctx));
	switch (config_load(
	    &cfg, desc->service, argc, argv, stdout, err, sizeof(err))) {
	case CONFIG_DONE:
		config_free(&cfg);
		return (0);
	case CONFIG_ERROR:
		config_free(&cfg);
		fatalx(2, "%s", err);
		/* NOTREACHED */
	case CONFIG_OK:
		break;
	}
	log_init(cfg.log_level, cfg.log_format, cfg.instance);

	ctx.cfg = &cfg;
	ctx.started_at_ms = clock_now_ms();
	ctx.started_mono_us = clock_mono_us();
	ctx.admin_ready = !cfg.start_unready;
	/* 65536 addresses remembered at most: a few MB whatever happens. */
	if ((ctx.logins = ratelimit_new(
	         cfg.max_new_sessions_per_minute, 65536)) == NULL)
		fatalx(1, "out of memory");
	if (token_random_hex(ctx.boot_id, 8) == -1)
		fatalx(1, "no randomness from getrandom(2)");
	if ((ctx.base = server_base_new()) == NULL)
		fatalx(1, "cannot create the event loop");

	params.base = ctx.base;
	params.cfg = &cfg;
	params.now_ms = clock_now_ms;
	t0 = clock_mono_us();
	if ((ctx.store = desc->open_store(&params, err, sizeof(err), &code)) ==
	    NULL)
		fatalx(code, "%s", err);
	routes = api_route_names(&nroutes);
	metrics_init(routes, nroutes, cfg.service_name,
	    session_store_name(ctx.store), STATELAB_VERSION, ctx.started_at_ms);
	log_info("%s: store %s opened in %lld ms", cfg.service_name,
	    session_store_name(ctx.store),
	    (long long)((clock_mono_us() - t0) / 1000));
	log_settings(&ctx);
	if (json_out_served_by_init(&ctx) == -1)
		fatalx(1, "out of memory");

	if ((srv = server_new(&ctx, err, sizeof(err))) == NULL)
		fatalx(1, "%s", err);
	server_run(srv);

	/*
	 * Close the store first: it completes what is still pending (a
	 * remote call, a group commit) and those callbacks reply on
	 * requests that live only as long as the server.
	 */
	session_store_close(ctx.store);
	server_free(srv);
	json_out_served_by_free(&ctx);
	ratelimit_free(ctx.logins);
	log_info("%s: stopped", cfg.service_name);
	log_flush();
	event_base_free(ctx.base);
	config_free(&cfg);
	libevent_global_shutdown();
	evmem_trim();
	return (0);
}

/* One line with every effective setting; secrets appear as file counts. */
static void
log_settings(const struct api_ctx *ctx)
{
	json_t *fields;

	if ((fields = json_object()) == NULL)
		return;
	json_object_set_new(fields, "version", json_string(STATELAB_VERSION));
	json_object_set_new(fields, "boot_id", json_string(ctx->boot_id));
	json_object_set_new(
	    fields, "store", json_string(session_store_name(ctx->store)));
	config_describe(ctx->cfg, fields);
	log_json(LOG_LEVEL_INFO, "starting", fields);
	json_decref(fields);
}
