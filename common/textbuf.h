/*
 * textbuf.h - append text to a fixed buffer without printf.
 *
 * For the two lines written on every request (the session document and
 * the JSON log line), where printf's format parsing cost more than the
 * rest of the line.  Appending past the end sets full and writes nothing
 * more: the caller checks full once at the end and takes its slow path.
 */
#ifndef STATELAB_COMMON_TEXTBUF_H
#define STATELAB_COMMON_TEXTBUF_H

#include <stddef.h>
#include <stdint.h>

struct textbuf {
	char *p;   /* next byte to write */
	char *end; /* one past the buffer */
	int full;  /* something did not fit */
};

/* Write into buf[0..len). */
void textbuf_init(struct textbuf *t, char *buf, size_t len);

/* Append n bytes of src, or set full. */
void textbuf_put(struct textbuf *t, const char *src, size_t n);

/* Append the string s, or set full. */
void textbuf_puts(struct textbuf *t, const char *s);

/* Append a string literal, its length known at compile time. */
#define textbuf_lit(t, lit) textbuf_put((t), "" lit, sizeof(lit) - 1)

/* Append v in decimal, as printf's "%lld" writes it, or set full. */
void textbuf_put_int(struct textbuf *t, int64_t v);

#endif /* STATELAB_COMMON_TEXTBUF_H */
