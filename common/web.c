// SPDX-License-Identifier: MIT
/*
 * web.c - find a dashboard file by path.
 *
 * The files themselves are in web_assets[], generated at build time from
 * common/web/ by tools/embed.c, so the binary needs no files on disk and
 * the page works offline.
 */
#include <string.h>

#include "web.h"

const struct web_asset *
web_asset_find(const char *path)
{
	const struct web_asset *a;

	for (a = web_assets; a->path != NULL; a++)
		if (strcmp(a->path, path) == 0)
			return (a);
	return (NULL);
}
