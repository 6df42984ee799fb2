// SPDX-License-Identifier: MIT
/*
 * remote_doc.c - read the documents of protocol v1 that a store answers.
 *
 * The remote store (and the stateful server forwarding to a peer) get a
 * session document, a problem, or a status; this file turns them back
 * into what the store interface speaks: a struct session viewing the
 * document, a store_rc, milliseconds.  Pure functions, no I/O.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "remote_doc.h"
#include "session.h"

/* The store_rc a problem answer of the store stands for. */
enum store_rc
remote_doc_problem_rc(int status, const json_t *doc)
{
	const char *type, *slug;

	type = json_string_value(json_object_get(doc, "type"));
	slug = type != NULL ? strrchr(type, '/') : NULL;
	slug = slug != NULL ? slug + 1 : (type != NULL ? type : "");
	switch (status) {
	case 401:
		if (strcmp(slug, "session-not-found") == 0)
			return (STORE_NOTFOUND);
		if (strcmp(slug, "session-expired") == 0)
			return (STORE_EXPIRED);
		return (STORE_BADTOKEN);
	case 404:
		return (strcmp(slug, "no-such-key") == 0 ? STORE_NOKEY
		                                         : STORE_UNAVAIL);
	case 413:
		return (STORE_TOOBIG);
	case 421:
		return (STORE_MISDIRECTED);
	case 422:
		return (STORE_INVALID);
	case 503:
		if (strcmp(slug, "session-table-full") == 0)
			return (STORE_FULL);
		return (STORE_UNAVAIL);
	default:
		return (STORE_UNAVAIL);
	}
}

/* View the store's session document doc as s (borrowing from doc). */
int
remote_doc_session(const json_t *doc, struct session *s)
{
	const json_t *data, *counter;
	const char *t;

	memset(s, 0, sizeof(*s));
	counter = json_object_get(doc, "counter");
	data = json_object_get(doc, "data");
	if (!json_is_object(doc) || !json_is_integer(counter) ||
	    (data != NULL && !json_is_object(data)))
		return (-1);
	s->user = json_string_value(json_object_get(doc, "user"));
	s->created_by = json_string_value(json_object_get(doc, "created_by"));
	if (s->user == NULL || s->created_by == NULL)
		return (-1);
	s->counter = json_integer_value(counter);
	s->data = data;
	if ((t = json_string_value(json_object_get(doc, "created_at"))) ==
	        NULL ||
	    remote_doc_time(t, &s->created_at) == -1 ||
	    (t = json_string_value(json_object_get(doc, "updated_at"))) ==
	        NULL ||
	    remote_doc_time(t, &s->updated_at) == -1 ||
	    (t = json_string_value(json_object_get(doc, "expires_at"))) ==
	        NULL ||
	    remote_doc_time(t, &s->expires_at) == -1)
		return (-1);
	s->token = json_string_value(json_object_get(doc, "token"));
	s->store_instance = json_string_value(
	    json_object_get(json_object_get(doc, "served_by"), "instance"));
	return (0);
}

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.fff]Z" (or a +hh:mm / -hh:mm offset) into
 * ms since the epoch.  Returns 0, or -1 if it is not that.
 */
int
remote_doc_time(const char *t, int64_t *ms)
{
	struct tm tm;
	int64_t frac = 0, scale = 1000, off = 0;
	int n = 0, oh, om;
	time_t secs;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return (-1);
	t += n;
	if (*t == '.') {
		/* Keep milliseconds; finer digits are dropped. */
		for (t++; *t >= '0' && *t <= '9'; t++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*t - '0') * scale;
			}
		}
	}
	if (*t == 'Z' || *t == 'z') {
		t++;
	} else if ((*t == '+' || *t == '-') &&
	    sscanf(t + 1, "%2d:%2d", &oh, &om) == 2 && strlen(t) == 6) {
		off = (int64_t)(oh * 60 + om) * 60000 * (*t == '+' ? 1 : -1);
		t += 6;
	} else {
		return (-1);
	}
	if (*t != '\0')
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((secs = timegm(&tm)) == (time_t)-1)
		return (-1);
	*ms = (int64_t)secs * 1000 + frac - off;
	return (0);
}
