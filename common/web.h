/*
 * web.h - the dashboard's files, compiled into the binary.
 */
#ifndef STATELAB_COMMON_WEB_H
#define STATELAB_COMMON_WEB_H

#include <stddef.h>

/*
 * Served with every page asset.  The page loads only its own script and
 * style; the compare view calls other instances' APIs, so connect-src
 * allows http(s) origins.
 */
#define WEB_CSP                                                     \
	"default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self' http: https:; "   \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct web_asset {
	const char *path;         /* "/" for index.html, else "/<name>" */
	const char *content_type; /* from the file name's suffix */
	const unsigned char *data;
	size_t len;
};

/* The table the build generates from common/web/ (see tools/embed.c). */
extern const struct web_asset web_assets[];

/* The asset served at path, or NULL. */
const struct web_asset *web_asset_find(const char *path);

#endif /* STATELAB_COMMON_WEB_H */
