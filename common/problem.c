// SPDX-License-Identifier: MIT
/*
 * problem.c - RFC 9457 application/problem+json replies.
 *
 * Every error the servers send goes through problem_send(): type, title,
 * status and detail, plus the instance that answered, so a person reading
 * a failed request in a browser or a log sees who said what.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "config.h"
#include "problem.h"
#include "request.h"

void
problem_send(
    struct request *rq, int status, const char *type, const char *detail)
{
	struct evbuffer *buf;
	json_t *doc;
	char *text = NULL, slug[128];

	snprintf(slug, sizeof(slug), "%s%s", PROBLEM_TYPE_BASE, type);
	doc = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", slug, "title",
	    problem_title(status), "status", status, "detail",
	    detail != NULL ? detail : problem_title(status), "instance",
	    rq->ctx->cfg->instance);
	/* A detail that is not UTF-8 must not cost the client its problem. */
	if (doc == NULL)
		doc = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", slug,
		    "title", problem_title(status), "status", status, "detail",
		    problem_title(status), "instance", rq->ctx->cfg->instance);
	buf = evbuffer_new();
	if (doc != NULL)
		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (buf != NULL && text != NULL)
		evbuffer_add(buf, text, strlen(text));
	/* RFC 9110: a 401 names the scheme that would be accepted. */
	if (status == 401)
		request_add_header(
		    rq, "WWW-Authenticate", "Bearer realm=\"statelab\"");
	/* Even with no memory left the status and headers still go out. */
	request_send(
	    rq, status, text != NULL ? "application/problem+json" : NULL, buf);
	evbuffer_free(buf);
	free(text);
	json_decref(doc);
}

void
problem_send_405(struct request *rq, unsigned allow)
{
	char list[96], detail[160];

	problem_allow_list(allow, list, sizeof(list));
	request_add_header(rq, "Allow", list);
	snprintf(detail, sizeof(detail), "%s is not allowed here; use %s",
	    rq->method, list);
	problem_send(rq, 405, "method-not-allowed", detail);
}

void
problem_allow_list(unsigned allow, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} methods[] = {
		{ EVHTTP_REQ_GET, "GET" },
		{ EVHTTP_REQ_HEAD, "HEAD" },
		{ EVHTTP_REQ_POST, "POST" },
		{ EVHTTP_REQ_PUT, "PUT" },
		{ EVHTTP_REQ_DELETE, "DELETE" },
		{ EVHTTP_REQ_OPTIONS, "OPTIONS" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if ((allow & methods[i].bit) == 0 || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    used > 0 ? ", " : "", methods[i].name);
	}
}

const char *
problem_title(int status)
{
	switch (status) {
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 403:
		return ("Forbidden");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 413:
		return ("Content Too Large");
	case 415:
		return ("Unsupported Media Type");
	case 421:
		return ("Misdirected Request");
	case 422:
		return ("Unprocessable Content");
	case 429:
		return ("Too Many Requests");
	case 431:
		return ("Request Header Fields Too Large");
	case 500:
		return ("Internal Server Error");
	case 502:
		return ("Bad Gateway");
	case 503:
		return ("Service Unavailable");
	case 504:
		return ("Gateway Timeout");
	default:
		return ("Error");
	}
}
