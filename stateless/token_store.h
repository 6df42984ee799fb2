/*
 * token_store.h - sessions carried by the client as signed JWTs (HS256).
 */
#ifndef STATELAB_STATELESS_TOKEN_STORE_H
#define STATELAB_STATELESS_TOKEN_STORE_H

#include <stddef.h>

struct session_store;
struct store_params;

#define TOKEN_STORE_KEY_MIN   32   /* bytes of secret, at least */
#define TOKEN_STORE_KEY_MAX   4096 /* bytes of secret file, at most */
#define TOKEN_STORE_TOKEN_MAX 3800 /* encoded JWT: Set-Cookie < 4 KiB */

/*
 * Open a token store: nothing is kept here, every session is the claims
 * of a JWT signed with the first of cfg->token_secret_files and checked
 * against each of them (key rotation).  Without a file it refuses unless
 * cfg->insecure_dev_secret is set (then a fixed, public key is used and
 * a warning logged).  Returns a new store, or NULL with err filled and
 * *exit_code set: 2 for a missing, unreadable or short secret, 1 when
 * out of memory.
 */
struct session_store *token_store_open(
    const struct store_params *p, char *err, size_t errlen, int *exit_code);

#endif /* STATELAB_STATELESS_TOKEN_STORE_H */
