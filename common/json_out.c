// SPDX-License-Identifier: MIT
/*
 * json_out.c - the JSON documents of protocol v1: session and instance.
 *
 * Both documents name the instance, the service, the store and the
 * boot_id that answered: that is how a person (and the dashboard) sees
 * which process holds a session, and that a restarted process is a new
 * one.  Times are RFC 3339 UTC with milliseconds.
 */
#include <stdlib.h>

#include <jansson.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "json_out.h"
#include "session.h"

json_t *
json_out_session(const struct session *s, const struct api_ctx *ctx)
{
	char created[CLOCK_RFC3339_MAX], updated[CLOCK_RFC3339_MAX];
	char expires[CLOCK_RFC3339_MAX];
	json_t *doc, *served_by, *data;

	clock_format_rfc3339(s->created_at, created, sizeof(created));
	clock_format_rfc3339(s->updated_at, updated, sizeof(updated));
	clock_format_rfc3339(s->expires_at, expires, sizeof(expires));
	/* Shared and never changed, unless a remote store adds its name. */
	if (ctx->served_by != NULL && s->store_instance == NULL)
		served_by = json_incref(ctx->served_by);
	else
		served_by = json_out_served_by(ctx);
	if (served_by != NULL && s->store_instance != NULL)
		json_object_set_new(served_by, "store_instance",
		    json_string(s->store_instance));
	/* The store keeps its map; the document takes a reference. */
	if ((data = session_data(s)) == NULL) {
		json_decref(served_by);
		return (NULL);
	}
	doc = json_pack("{s:s, s:I, s:o, s:s, s:s, s:s, s:s, s:o}", "user",
	    s->user, "counter", (json_int_t)s->counter, "data", data,
	    "created_at", created, "updated_at", updated, "expires_at", expires,
	    "created_by", s->created_by, "served_by", served_by);
	if (doc != NULL && s->token != NULL)
		json_object_set_new(doc, "token", json_string(s->token));
	return (doc);
}

int
json_out_served_by_init(struct api_ctx *ctx)
{
	if ((ctx->served_by = json_out_served_by(ctx)) == NULL)
		return (-1);
	if ((ctx->served_by_text = json_dumps(ctx->served_by, JSON_COMPACT)) ==
	    NULL) {
		json_decref(ctx->served_by);
		ctx->served_by = NULL;
		return (-1);
	}
	return (0);
}

void
json_out_served_by_free(struct api_ctx *ctx)
{
	json_decref(ctx->served_by);
	free(ctx->served_by_text);
	ctx->served_by = NULL;
	ctx->served_by_text = NULL;
}

json_t *
json_out_served_by(const struct api_ctx *ctx)
{
	return (json_pack("{s:s, s:s, s:s, s:s}", "instance",
	    ctx->cfg->instance, "service", ctx->cfg->service_name, "store",
	    session_store_name(ctx->store), "boot_id", ctx->boot_id));
}

json_t *
json_out_info(const struct api_ctx *ctx)
{
	char started[CLOCK_RFC3339_MAX];
	int64_t sessions;
	json_t *doc;

	clock_format_rfc3339(ctx->started_at_ms, started, sizeof(started));
	sessions = session_store_count(ctx->store);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:b}",
	    "service", ctx->cfg->service_name, "instance", ctx->cfg->instance,
	    "store", session_store_name(ctx->store), "version",
	    STATELAB_VERSION, "boot_id", ctx->boot_id, "started_at", started,
	    "uptime_s",
	    (json_int_t)((clock_mono_us() - ctx->started_mono_us) / 1000000),
	    "sessions",
	    sessions >= 0 ? json_integer((json_int_t)sessions) : json_null(),
	    "ready", ctx->state == API_READY);
	if (doc != NULL)
		session_store_describe(ctx->store, doc);
	return (doc);
}
