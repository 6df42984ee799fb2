// SPDX-License-Identifier: MIT
/*
 * session_text.c - the session document written as text, the fast way.
 *
 * Building the document as jansson values and encoding them took a third
 * of a GET /api/session (json_pack, json_dumpb, json_delete: about 40,000
 * instructions of 104,000; see docs/benchmarks.md).  Yet the document has
 * a fixed shape, and almost every part of it is known to need no work:
 *
 *   - served_by is the same for the life of the process: jansson encodes
 *     it once, at start-up (ctx->served_by_text);
 *   - the data map is encoded by jansson (json_dumpb), straight into the
 *     output, or is already its compact text (s->data_json);
 *   - counter and the three times are numbers we format;
 *   - user, created_by, token and store_instance are strings that, on
 *     every path we issue them, hold only printable ASCII without '"' or
 *     '\\' (user names are [A-Za-z0-9._@-], tokens hex, base64url and
 *     dots, instance names [A-Za-z0-9._-]): such a string is its own
 *     JSON encoding, between quotes.
 *
 * A string that is not plain (from an old database, a remote store, a
 * future change) sends the whole document through jansson instead, so
 * the text is always byte for byte what json_dumpb(json_out_session())
 * gives.  tests/check_session_text.c and tests/fuzz/fuzz_session_text.c
 * compare the two.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "api.h"
#include "clock.h"
#include "json_out.h"
#include "session.h"
#include "session_text.h"
#include "textbuf.h"

static int write_fast(
    const struct session *, const struct api_ctx *, char *, size_t, size_t *);
static int write_slow(
    const struct session *, const struct api_ctx *, struct evbuffer *);
static ssize_t plain_length(const char *);
static int put_plain(struct textbuf *, const char *);
static void put_time(struct textbuf *, int64_t);
static void put_data(struct textbuf *, const struct session *);

int
session_text_write(
    const struct session *s, const struct api_ctx *ctx, struct evbuffer *out)
{
	/* Room for the envelope and a modest data map; larger goes slow. */
	char buf[SESSION_TEXT_STACK];
	size_t n;

	if (write_fast(s, ctx, buf, sizeof(buf), &n) == 0)
		return (evbuffer_add(out, buf, n));
	return (write_slow(s, ctx, out));
}

int
session_text_is_plain(const char *str)
{
	return (plain_length(str) >= 0);
}

/* The length of str when it is its own JSON encoding, else -1. */
static ssize_t
plain_length(const char *str)
{
	const unsigned char *p;

	for (p = (const unsigned char *)str; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			return (-1);
	return ((ssize_t)(p - (const unsigned char *)str));
}

/*
 * The document in jansson's key order (json_out_session's), or -1 when a
 * string needs escaping, served_by has no text, or buf is too small.
 */
static int
write_fast(const struct session *s, const struct api_ctx *ctx, char *buf,
    size_t len, size_t *n)
{
	struct textbuf t;
	const char *sb = ctx->served_by_text;
	size_t sblen;

	if (sb == NULL || s->user == NULL || s->created_by == NULL)
		return (-1);
	textbuf_init(&t, buf, len);
	textbuf_lit(&t, "{\"user\":\"");
	if (!put_plain(&t, s->user))
		return (-1);
	textbuf_lit(&t, "\",\"counter\":");
	textbuf_put_int(&t, s->counter);
	textbuf_lit(&t, ",\"data\":");
	put_data(&t, s);
	textbuf_lit(&t, ",\"created_at\":\"");
	put_time(&t, s->created_at);
	textbuf_lit(&t, "\",\"updated_at\":\"");
	put_time(&t, s->updated_at);
	textbuf_lit(&t, "\",\"expires_at\":\"");
	put_time(&t, s->expires_at);
	textbuf_lit(&t, "\",\"created_by\":\"");
	if (!put_plain(&t, s->created_by))
		return (-1);
	textbuf_lit(&t, "\",\"served_by\":");
	sblen = strlen(sb);
	if (s->store_instance == NULL)
		textbuf_put(&t, sb, sblen);
	else {
		/* The constant object, with the store's name added last. */
		textbuf_put(&t, sb, sblen - 1);
		textbuf_lit(&t, ",\"store_instance\":\"");
		if (!put_plain(&t, s->store_instance))
			return (-1);
		textbuf_lit(&t, "\"}");
	}
	if (s->token != NULL) {
		textbuf_lit(&t, ",\"token\":\"");
		if (!put_plain(&t, s->token))
			return (-1);
		textbuf_lit(&t, "\"");
	}
	textbuf_lit(&t, "}");
	if (t.full)
		return (-1);
	*n = (size_t)(t.p - buf);
	return (0);
}

/* Build it with jansson and encode that: any string, any size. */
static int
write_slow(
    const struct session *s, const struct api_ctx *ctx, struct evbuffer *out)
{
	json_t *doc;
	char *text;
	int rc = -1;

	if ((doc = json_out_session(s, ctx)) == NULL)
		return (-1);
	if ((text = json_dumps(doc, JSON_COMPACT)) != NULL) {
		rc = evbuffer_add(out, text, strlen(text));
		free(text);
	}
	json_decref(doc);
	return (rc);
}

/* Copy str when it is its own JSON encoding; 0 when it is not. */
static int
put_plain(struct textbuf *t, const char *str)
{
	ssize_t n = plain_length(str);

	if (n < 0)
		return (0);
	textbuf_put(t, str, (size_t)n);
	return (1);
}

static void
put_time(struct textbuf *t, int64_t ms)
{
	char when[CLOCK_RFC3339_MAX];

	textbuf_puts(t, clock_format_rfc3339(ms, when, sizeof(when)));
}

/* The map as session_data() picks it: data, else the text, else {}. */
static void
put_data(struct textbuf *t, const struct session *s)
{
	size_t n;

	if (s->data == NULL && s->data_json != NULL)
		textbuf_puts(t, s->data_json);
	else if (s->data == NULL)
		textbuf_lit(t, "{}");
	else if (!t->full) {
		n = json_dumpb(
		    s->data, t->p, (size_t)(t->end - t->p), JSON_COMPACT);
		if (n == 0 || n > (size_t)(t->end - t->p))
			t->full = 1;
		else
			t->p += n;
	}
}
