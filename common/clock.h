/*
 * clock.h - wall-clock milliseconds and RFC 3339 timestamps.
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

#endif /* STATELAB_COMMON_CLOCK_H */
