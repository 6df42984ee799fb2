/*
 * clock.h - wall-clock milliseconds, RFC 3339 timestamps and HTTP dates.
 */
#ifndef STATELAB_COMMON_CLOCK_H
#define STATELAB_COMMON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-22T00:05:48.123Z" and its NUL. */
#define CLOCK_RFC3339_MAX 32

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t clock_now_ms(void);

/* Microseconds from CLOCK_MONOTONIC, for durations only. */
int64_t clock_mono_us(void);

/*
 * Write ms as RFC 3339 UTC with milliseconds into buf (at least
 * CLOCK_RFC3339_MAX bytes).  Returns buf.
 */
char *clock_format_rfc3339(int64_t ms, char *buf, size_t len);

/* "Sun, 06 Nov 1994 08:49:37 GMT" and its NUL. */
#define CLOCK_HTTP_DATE_MAX 30

/*
 * The current time as an HTTP Date (RFC 9110's IMF-fixdate, in English
 * whatever the locale), formatted once per second and kept.  The text is
 * valid until the next call from the same thread.
 */
const char *clock_http_date(void);

#endif /* STATELAB_COMMON_CLOCK_H */
