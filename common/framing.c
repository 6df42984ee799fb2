// SPDX-License-Identifier: MIT
/*
 * framing.c - refuse requests whose framing two HTTP parsers could read
 * differently (request smuggling), before any handler runs.
 *
 * libevent 2.1.12 already refuses a request with both Transfer-Encoding
 * and Content-Length, and an unparsable Content-Length; it accepts, and
 * this module refuses (RFC 9112 sections 5.1, 6.1 and 6.3):
 *
 *   "Content-Length: 13" and "Content-Length: 14"   evhttp uses the first
 *   "Content-Length: +14"                           strtoll takes the sign
 *   "Transfer-Encoding: gzip" (or xchunked, ...)    evhttp: no body at all
 *   "Transfer-Encoding : chunked"                   a name with a blank
 *
 * Each of those leaves the connection in a state a proxy in front could
 * disagree about, so the answer is 400 and the connection is closed.
 * Nothing here allocates; headers are only read.
 */
#include <sys/queue.h>

#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "framing.h"

static int is_token(const char *);
static int is_digits(const char *);

int
framing_check(const struct evkeyvalq *headers, const char **why)
{
	const struct evkeyval *h;
	const char *length = NULL;
	int codings = 0;

	TAILQ_FOREACH(h, headers, next)
	{
		if (!is_token(h->key)) {
			*why = "a header name holds a blank or a character "
			       "HTTP does not allow in names";
			return (-1);
		}
		if (strcasecmp(h->key, "Content-Length") == 0) {
			if (!is_digits(h->value)) {
				*why = "Content-Length must be digits only";
				return (-1);
			}
			if (length != NULL && strcmp(length, h->value) != 0) {
				*why = "two different Content-Length headers "
				       "were sent";
				return (-1);
			}
			length = h->value;
		} else if (strcasecmp(h->key, "Transfer-Encoding") == 0) {
			if (++codings > 1 ||
			    strcasecmp(h->value, "chunked") != 0) {
				*why = "the only transfer coding accepted is "
				       "one 'Transfer-Encoding: chunked'";
				return (-1);
			}
		}
	}
	if (codings > 0 && length != NULL) {
		*why = "send Content-Length or Transfer-Encoding, not both";
		return (-1);
	}
	return (0);
}

/*
 * RFC 9110 5.6.2: 1*tchar.  Checked for every header name of every
 * request, so letters and digits are compared by range and only
 * punctuation is looked up (strspn built its table on each call).
 */
static int
is_token(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') ||
		        strchr("!#$%&'*+-.^_`|~", *p) != NULL))
			return (0);
	return (p != (const unsigned char *)s);
}

/* RFC 9110 8.6: 1*DIGIT. */
static int
is_digits(const char *s)
{
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		continue;
	return (p != s && *p == '\0');
}
