/*
 * ratelimit.h - a token bucket per client address, for
 * --max-new-sessions-per-minute (429 with Retry-After).
 */
#ifndef STATELAB_COMMON_RATELIMIT_H
#define STATELAB_COMMON_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEY_MAX 63 /* longest key kept; longer ones are cut */

struct ratelimit;

/*
 * A limiter that lets each key take per_minute events per minute, in a
 * burst of up to per_minute, refilled evenly.  At most max_keys keys are
 * remembered; the least recently seen is forgotten first (a forgotten key
 * starts again with a full bucket), so memory stays bounded whatever the
 * number of addresses.  per_minute 0 turns limiting off.  Returns a new
 * limiter (ratelimit_free), or NULL when out of memory.
 */
struct ratelimit *ratelimit_new(int64_t per_minute, size_t max_keys);

/* Release rl and every key.  Accepts NULL. */
void ratelimit_free(struct ratelimit *rl);

/*
 * Take one event for key at now_ms (a monotonic clock in milliseconds).
 * Returns 0 when it is allowed, otherwise the whole seconds (at least 1)
 * until the next one will be: the Retry-After value.  Out of memory,
 * and a NULL rl, count as allowed.  key is borrowed for the call.
 */
int64_t ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms);

/* How many keys are remembered now (for tests and metrics). */
size_t ratelimit_count(const struct ratelimit *rl);

/*
 * The key for a client address: an IPv4 address as it is, an IPv6
 * address cut to its /64 (one host usually holds a whole /64, so one key
 * per address would give it billions of buckets), an IPv4-mapped IPv6
 * address as plain IPv4.  Anything unparsable is used as it is.  Writes
 * at most len bytes with the NUL into out; returns out.
 */
const char *ratelimit_client_key(const char *addr, char *out, size_t len);

#endif /* STATELAB_COMMON_RATELIMIT_H */
