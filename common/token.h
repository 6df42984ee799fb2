/*
 * token.h - opaque session tokens: random, base64url, compared in
 * constant time.
 */
#ifndef STATELAB_COMMON_TOKEN_H
#define STATELAB_COMMON_TOKEN_H

#include <stddef.h>

#define TOKEN_BYTES 16 /* 128 random bits */
#define TOKEN_LEN   22 /* base64url of TOKEN_BYTES, no padding */

/*
 * Write a new token of TOKEN_LEN characters and a NUL into out (at least
 * TOKEN_LEN + 1 bytes), from getrandom(2).  Returns 0, or -1 if the kernel
 * gave no randomness (errno set); out is then unusable.
 */
int token_generate(char *out);

/*
 * Fill out with 2 * nbytes lowercase hex digits and a NUL, from
 * getrandom(2).  For ids that need not be secret-grade long (boot_id).
 * Returns 0 or -1.
 */
int token_random_hex(char *out, size_t nbytes);

/*
 * Is s exactly TOKEN_LEN characters of the base64url alphabet?  Anything
 * else can never be a token this server issued.
 */
int token_is_wellformed(const char *s);

/*
 * Compare two NUL-terminated tokens without an early exit, so the time
 * taken does not tell how many leading characters matched.  Returns 1 if
 * equal, else 0.  Strings of different lengths are unequal.
 */
int token_equal(const char *a, const char *b);

/* Like token_equal for n bytes: 1 if equal, else 0, in constant time. */
int token_memeq(const void *a, const void *b, size_t n);

/*
 * Encode len bytes of in as base64url without padding into out, which
 * holds at least 4 * ((len + 2) / 3) + 1 bytes.  Returns the length.
 */
size_t token_base64url(const unsigned char *in, size_t len, char *out);

#endif /* STATELAB_COMMON_TOKEN_H */
