// SPDX-License-Identifier: MIT
/*
 * clock.c - wall-clock milliseconds, RFC 3339 timestamps and HTTP dates.
 *
 * Session times (created_at, expires_at) are wall-clock milliseconds,
 * because they are shown to people and stored on disk; durations use the
 * monotonic clock, which never jumps.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

int64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* Seconds remembered by clock_format_rfc3339(); see there. */
#define CLOCK_CACHE 4

char *
clock_format_rfc3339(int64_t ms, char *buf, size_t len)
{
	/*
	 * gmtime_r and a full snprintf cost thousands of instructions, and
	 * a request formats four times: created_at, updated_at, expires_at
	 * and the log line -- three or so distinct seconds, the same ones
	 * request after request.  Remember the last few seconds' text (per
	 * thread: the loop is the only caller, but a cache must not become
	 * a data race).
	 */
	static _Thread_local struct {
		int valid;
		time_t secs;
		char text[80]; /* "YYYY-MM-DDTHH:MM:SS" */
	} cache[CLOCK_CACHE];
	static _Thread_local unsigned next;
	struct tm tm;
	time_t secs;
	int64_t frac;
	unsigned i;

	/* Floor division, so that times before 1970 format correctly too. */
	secs = (time_t)(ms / 1000);
	frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	for (i = 0; i < CLOCK_CACHE; i++)
		if (cache[i].valid && cache[i].secs == secs)
			break;
	if (i == CLOCK_CACHE) {
		if (gmtime_r(&secs, &tm) == NULL) {
			snprintf(buf, len, "1970-01-01T00:00:00.000Z");
			return (buf);
		}
		i = next++ % CLOCK_CACHE;
		snprintf(cache[i].text, sizeof(cache[i].text),
		    "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		cache[i].secs = secs;
		cache[i].valid = 1;
	}
	if (len >= 25 && strlen(cache[i].text) == 19) {
		/* "...SS" + ".mmmZ", without printf. */
		memcpy(buf, cache[i].text, 19);
		buf[19] = '.';
		buf[20] = (char)('0' + frac / 100);
		buf[21] = (char)('0' + frac / 10 % 10);
		buf[22] = (char)('0' + frac % 10);
		buf[23] = 'Z';
		buf[24] = '\0';
	} else
		snprintf(buf, len, "%s.%03dZ", cache[i].text, (int)frac);
	return (buf);
}

const char *
clock_http_date(void)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	/* One second's text, per thread like the cache above. */
	static _Thread_local time_t cached = -1;
	static _Thread_local char text[CLOCK_HTTP_DATE_MAX];
	time_t secs = (time_t)(clock_now_ms() / 1000);
	struct tm tm;

	if (secs != cached && gmtime_r(&secs, &tm) != NULL &&
	    tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999) {
		snprintf(text, sizeof(text),
		    "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
		    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached = secs;
	}
	return (text);
}
