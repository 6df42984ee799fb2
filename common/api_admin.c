// SPDX-License-Identifier: MIT
/*
 * api_admin.c - fault knobs for demos and platform tests, off by default.
 *
 * Workshops want to fail a readiness probe or crash a pod on cue, the way
 * podinfo and kuard allow.  Both knobs exist only with --admin: without
 * it they answer 404 as if absent, so a shared cluster's students cannot
 * take instances down.  A crash is a real exit(1): no drain, no store
 * close -- exactly what a crashing process does.
 */
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "api_admin.h"
#include "config.h"
#include "log.h"
#include "problem.h"
#include "request.h"

#define CRASH_DELAY_MS 50 /* long enough for the 202 to leave */

static int admin_enabled(struct request *);
static void on_crash(evutil_socket_t, short, void *);

void
api_admin_ready(struct request *rq, const char *rest)
{
	json_t *ready, *doc;

	(void)rest;
	if (!admin_enabled(rq) || request_read_json(rq, 0) == -1)
		return;
	ready = json_object_get(rq->body, "ready");
	if (!json_is_object(rq->body) || !json_is_boolean(ready)) {
		problem_send(rq, 422, "invalid-field",
		    "send {\"ready\": true} or {\"ready\": false}");
		return;
	}
	rq->ctx->admin_ready = json_is_true(ready);
	log_warnx("admin: readiness turned %s by %s",
	    rq->ctx->admin_ready ? "on" : "off", rq->remote);
	doc = json_pack("{s:b}", "ready", rq->ctx->admin_ready);
	request_send_json(rq, 200, doc);
	json_decref(doc);
}

void
api_admin_crash(struct request *rq, const char *rest)
{
	struct timeval tv = { 0, CRASH_DELAY_MS * 1000 };
	struct event_base *base = rq->ctx->base;
	json_t *doc;

	(void)rest;
	if (!admin_enabled(rq))
		return;
	log_warnx(
	    "admin: crash requested by %s; exiting with status 1", rq->remote);
	doc = json_pack("{s:s}", "status", "crashing");
	request_send_json(rq, 202, doc);
	json_decref(doc);
	event_base_once(base, -1, EV_TIMEOUT, on_crash, NULL, &tv);
}

/* Answer 404 and return 0 unless the server runs with --admin. */
static int
admin_enabled(struct request *rq)
{
	if (rq->ctx->cfg->admin)
		return (1);
	problem_send(rq, 404, "not-found",
	    "the admin endpoints are disabled; start the server with --admin");
	return (0);
}

static void
on_crash(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush();
	_exit(1);
}
