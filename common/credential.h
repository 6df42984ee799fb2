/*
 * credential.h - find the session token in a request: the sid cookie or
 * an Authorization: Bearer header.
 */
#ifndef STATELAB_COMMON_CREDENTIAL_H
#define STATELAB_COMMON_CREDENTIAL_H

#include <stddef.h>

struct evkeyvalq;

#define CREDENTIAL_COOKIE "sid"

enum credential_rc {
	CREDENTIAL_NONE = 0, /* no credential offered */
	CREDENTIAL_FOUND,    /* *token set */
	CREDENTIAL_BAD       /* offered but unusable; *errstr says why */
};

/*
 * Look in headers for the token.  Authorization wins over the cookie.
 * A credential is at most SESSION_TOKEN_MAX characters of base64url and
 * '.', the alphabet of both opaque tokens and JWTs.  Two sid cookies with
 * different values are refused (which one would the client mean?).
 * On CREDENTIAL_FOUND *token is new (free it); on CREDENTIAL_BAD *errstr
 * is a static sentence for the client.
 */
enum credential_rc credential_find(
    const struct evkeyvalq *headers, char **token, const char **errstr);

/*
 * Find the value of cookie name in one Cookie header value.  Sets *val
 * and *len to the first match after *from (pass NULL to start) and
 * returns a position to continue from, or NULL when there is no more.
 */
const char *credential_cookie_next(const char *header, const char *name,
    const char *from, const char **val, size_t *len);

#endif /* STATELAB_COMMON_CREDENTIAL_H */
