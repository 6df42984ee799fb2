// SPDX-License-Identifier: MIT
/*
 * log.c - leveled logging to stdout as JSON lines (or text for humans).
 *
 * Every line carries ts (RFC 3339, milliseconds, UTC), level, msg and
 * instance.  The level check comes before any formatting, so a debug call
 * costs one comparison when debug is off.
 *
 * stdout is fully buffered.  Ordinary lines are flushed as they are
 * written (tests and operators wait for "listening"); the per-request
 * lines are not, and reach stdout on log_flush(), which the server calls
 * on a short timer and at exit.  That keeps write(2) off the request path.
 *
 * Free text is JSON-escaped by jansson.  The request line is printed
 * directly: every value in it is either a number, a fixed word, a route
 * template, or a string validated to a safe alphabet before it gets here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "log.h"
#include "textbuf.h"

#define LOG_INSTANCE_MAX 64
#define LOG_MSG_MAX      1024

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/* The log singleton (HS-18): written once at start-up, read everywhere. */
static struct {
	enum log_level level;
	enum log_format format;
	char instance[LOG_INSTANCE_MAX + 1];
	int buffered;
} logger = { LOG_LEVEL_INFO, LOG_FORMAT_JSON, "-", 0 };

static void log_vwrite(enum log_level, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));
static void log_emit(enum log_level, const char *, json_t *);

void
log_init(enum log_level level, enum log_format format, const char *instance)
{
	static char buf[1 << 16];

	logger.level = level;
	logger.format = format;
	snprintf(logger.instance, sizeof(logger.instance), "%s",
	    instance != NULL ? instance : "-");
	if (!logger.buffered) {
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		logger.buffered = 1;
	}
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return (0);
		}
	}
	return (-1);
}

int
log_enabled(enum log_level level)
{
	return (level >= logger.level);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LEVEL_WARN))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, fmt, ap, 0);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LEVEL_WARN))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, fmt, ap, errno);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, 0);
	va_end(ap);
}

void
log_fields(enum log_level level, const char *msg, ...)
{
	va_list ap;
	json_t *extra = NULL;
	const char *key, *value;

	if (!log_enabled(level))
		return;
	if ((extra = json_object()) == NULL)
		return;
	va_start(ap, msg);
	while ((key = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		json_object_set_new(extra, key,
		    value != NULL ? json_string(value) : json_null());
	}
	va_end(ap);
	log_emit(level, msg, extra);
	json_decref(extra);
}

void
log_json(enum log_level level, const char *msg, json_t *fields)
{
	if (log_enabled(level))
		log_emit(level, msg, fields);
}

void
log_request(const struct log_request *r)
{
	char ts[CLOCK_RFC3339_MAX], line[LOG_MSG_MAX];
	struct textbuf t;

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	clock_format_rfc3339(clock_now_ms(), ts, sizeof(ts));
	if (logger.format == LOG_FORMAT_TEXT) {
		printf(
		    "%s info  %s %s %d %lldus %zuB session=%s id=%s from=%s\n",
		    ts, r->method, r->route, r->status, (long long)r->dur_us,
		    r->bytes, r->session, r->request_id, r->remote);
		return;
	}
	/* One line per request: appended, not printf'd (see textbuf.h). */
	textbuf_init(&t, line, sizeof(line));
	textbuf_lit(&t, "{\"ts\":\"");
	textbuf_puts(&t, ts);
	textbuf_lit(
	    &t, "\",\"level\":\"info\",\"msg\":\"request\",\"instance\":\"");
	textbuf_puts(&t, logger.instance);
	textbuf_lit(&t, "\",\"method\":\"");
	textbuf_puts(&t, r->method);
	textbuf_lit(&t, "\",\"route\":\"");
	textbuf_puts(&t, r->route);
	textbuf_lit(&t, "\",\"status\":");
	textbuf_put_int(&t, r->status);
	textbuf_lit(&t, ",\"dur_us\":");
	textbuf_put_int(&t, r->dur_us);
	textbuf_lit(&t, ",\"bytes\":");
	textbuf_put_int(&t, (int64_t)r->bytes);
	textbuf_lit(&t, ",\"session\":\"");
	textbuf_puts(&t, r->session);
	textbuf_lit(&t, "\",\"request_id\":\"");
	textbuf_puts(&t, r->request_id);
	textbuf_lit(&t, "\",\"remote\":\"");
	textbuf_puts(&t, r->remote);
	textbuf_lit(&t, "\"}\n");
	if (!t.full) {
		fwrite(line, 1, (size_t)(t.p - line), stdout);
		return;
	}
	/* A field longer than the buffer: no caller passes one, but... */
	printf("{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\","
	       "\"instance\":\"%s\",\"method\":\"%s\",\"route\":\"%s\","
	       "\"status\":%d,\"dur_us\":%lld,\"bytes\":%zu,"
	       "\"session\":\"%s\",\"request_id\":\"%s\",\"remote\":\"%s\"}\n",
	    ts, logger.instance, r->method, r->route, r->status,
	    (long long)r->dur_us, r->bytes, r->session, r->request_id,
	    r->remote);
}

void
log_flush(void)
{
	fflush(stdout);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	log_flush();
	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* Format the message, append strerror(saved_errno) when asked, emit. */
static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, int saved_errno)
{
	char msg[LOG_MSG_MAX];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (saved_errno != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(saved_errno));
	log_emit(level, msg, NULL);
}

/* Write one line with ts, level, msg, instance and the extra fields. */
static void
log_emit(enum log_level level, const char *msg, json_t *extra)
{
	char ts[CLOCK_RFC3339_MAX];
	json_t *line = NULL, *value;
	const char *key;
	char *text = NULL;

	clock_format_rfc3339(clock_now_ms(), ts, sizeof(ts));
	if (logger.format == LOG_FORMAT_TEXT) {
		printf("%s %-5s %s", ts, level_names[level], msg);
		json_object_foreach(extra, key, value)
		{
			char *v = json_is_string(value)
			    ? NULL
			    : json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

			printf(" %s=%s", key,
			    v != NULL ? v : json_string_value(value));
			free(v);
		}
		putchar('\n');
		goto done;
	}
	line = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level",
	    level_names[level], "msg", msg, "instance", logger.instance);
	if (line == NULL)
		goto done;
	if (extra != NULL)
		json_object_update(line, extra);
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text != NULL)
		puts(text);
done:
	fflush(stdout);
	free(text);
	json_decref(line);
}
