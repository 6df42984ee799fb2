/*
 * log.h - leveled logging to stdout as JSON lines (or text for humans).
 */
#ifndef STATELAB_COMMON_LOG_H
#define STATELAB_COMMON_LOG_H

#include <stdint.h>

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR
};

enum log_format { LOG_FORMAT_JSON = 0, LOG_FORMAT_TEXT };

/* One finished request, as log_request() writes it (all fields borrowed). */
struct log_request {
	const char *method;     /* "GET", ... */
	const char *route;      /* route template, never the raw path */
	int status;             /* HTTP status sent */
	int64_t dur_us;         /* from dispatch to reply */
	size_t bytes;           /* response body size */
	const char *session;    /* "hit", "miss" or "none" */
	const char *request_id; /* validated X-Request-Id or generated */
	const char *remote;     /* peer address */
};

/*
 * Set the threshold, the format and the instance name that every line
 * carries.  instance is copied.  May be called again (tests do).
 */
void log_init(
    enum log_level level, enum log_format format, const char *instance);

/* Parse "debug", "info", "warn" or "error".  Returns 0, or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);

/* Is a line at this level written?  Lets callers skip costly formatting. */
int log_enabled(enum log_level level);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like log_warnx, with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Write a line with extra fields: keys and values alternate and end with
 * NULL, e.g. log_fields(LOG_LEVEL_INFO, "listening", "addr", a, NULL).
 * Values are strings; they are JSON-escaped.
 */
void log_fields(enum log_level level, const char *msg, ...)
    __attribute__((sentinel));

/*
 * Write a line whose extra fields are the members of fields (a JSON
 * object, borrowed; any JSON values).
 */
struct json_t;
void log_json(enum log_level level, const char *msg, struct json_t *fields);

/*
 * The per-request line.  Written at info level into a buffered stream:
 * log_flush() (run on a timer by the server, and at exit) pushes it out,
 * so a request costs no write(2) of its own.
 */
void log_request(const struct log_request *r);

/* Push buffered lines to stdout. */
void log_flush(void);

/*
 * Print "<prog>: <message>" on stderr and exit with status.  For start-up
 * only (bad flags exit 2, a held database lock exits 3): never call it
 * once the event loop runs.
 */
__attribute__((noreturn, format(printf, 2, 3))) void fatalx(
    int status, const char *fmt, ...);

#endif /* STATELAB_COMMON_LOG_H */
