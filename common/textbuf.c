// SPDX-License-Identifier: MIT
/*
 * textbuf.c - append text to a fixed buffer without printf.
 */
#include <stdint.h>
#include <string.h>

#include "textbuf.h"

void
textbuf_init(struct textbuf *t, char *buf, size_t len)
{
	t->p = buf;
	t->end = buf + len;
	t->full = 0;
}

void
textbuf_put(struct textbuf *t, const char *src, size_t n)
{
	if (t->full || n > (size_t)(t->end - t->p)) {
		t->full = 1;
		return;
	}
	memcpy(t->p, src, n);
	t->p += n;
}

void
textbuf_puts(struct textbuf *t, const char *s)
{
	textbuf_put(t, s, strlen(s));
}

/* v in decimal, as printf's "%lld" writes it. */
void
textbuf_put_int(struct textbuf *t, int64_t v)
{
	char digits[24], *d = digits + sizeof(digits);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--d = '-';
	textbuf_put(t, d, (size_t)(digits + sizeof(digits) - d));
}
