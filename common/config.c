// SPDX-License-Identifier: MIT
/*
 * config.c - settings from flags and STATELAB_* environment variables.
 *
 * config_opts[] is the single description of every option, in the manner
 * of redis's static_configs[]: the getopt_long table, the environment
 * lookup and --help are all generated from it.  A row applies to the
 * binaries in its mask, so one name can carry a different default per
 * binary (listen) and a stateful-only flag is simply unknown to stateless.
 *
 * Precedence: default < environment < flag.  Values are checked as they
 * are set; the first bad one stops the load with a one-line message that
 * names the flag, the value and what is accepted.  Nothing here exits:
 * the caller prints the message and exits 2 (DESIGN.md, Lifecycle).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"

enum opt_type {
	OPT_STRING,   /* char *, copied */
	OPT_INT,      /* int64_t within [min, max] */
	OPT_SECONDS,  /* int64_t within [min, max], in seconds */
	OPT_BOOL,     /* int; a flag without argument, env "1"/"0" */
	OPT_ENUM,     /* int index into choices */
	OPT_HOSTPORT, /* char *, checked and split into host and port */
	OPT_LIST      /* char *[CONFIG_SECRETS_MAX], repeatable */
};

struct config_opt {
	const char *name;           /* long flag without "--" */
	unsigned services;          /* mask of enum config_service */
	enum opt_type type;         /* how the value is parsed */
	const char *defval;         /* default, or NULL for none */
	int64_t min, max;           /* bounds for OPT_INT and OPT_SECONDS */
	const char *const *choices; /* NULL-terminated, for OPT_ENUM */
	size_t offset;              /* into struct config */
	const char *help;           /* one line for --help */
};

#define BOTH        (CONFIG_STATELESS | CONFIG_STATEFUL)
#define OFF(field)  offsetof(struct config, field)
#define DAY         86400
#define MAX_OPTIONS 64

static const char *const log_formats[] = { "json", "text", NULL };
static const char *const log_levels[] = { "debug", "info", "warn", "error",
	NULL };
static const char *const sessions_modes[] = { "memory", "token", "remote",
	NULL };
static const char *const sync_modes[] = { "normal", "full", NULL };

static const struct config_opt config_opts[] = {
	/* name, services, type, default, min, max, choices, offset, help */
	{ "listen", CONFIG_STATELESS, OPT_HOSTPORT, "127.0.0.1:8081", 0, 0,
	    NULL, OFF(listen), "address to listen on: host:port or [v6]:port" },
	{ "listen", CONFIG_STATEFUL, OPT_HOSTPORT, "127.0.0.1:8082", 0, 0, NULL,
	    OFF(listen), "address to listen on: host:port or [v6]:port" },
	{ "instance", BOTH, OPT_STRING, NULL, 0, 0, NULL, OFF(instance),
	    "name in X-Served-By (default $POD_NAME, else the hostname)" },
	{ "session-ttl", BOTH, OPT_SECONDS, "1800", 1, 30 * DAY, NULL,
	    OFF(session_ttl),
	    "seconds of inactivity before a session expires" },
	{ "max-sessions", BOTH, OPT_INT, "100000", 1, 100000000, NULL,
	    OFF(max_sessions), "sessions held at most; beyond, 503" },
	{ "max-connections", BOTH, OPT_INT, "4096", 16, 1000000, NULL,
	    OFF(max_connections), "client connections open at once" },
	{ "timeout", BOTH, OPT_SECONDS, "30", 1, 3600, NULL, OFF(timeout),
	    "seconds a connection may stay idle, reading or writing" },
	{ "drain-delay", BOTH, OPT_SECONDS, "0", 0, 300, NULL, OFF(drain_delay),
	    "on SIGTERM, seconds of 503 readiness first" },
	{ "drain-timeout", BOTH, OPT_SECONDS, "10", 0, 300, NULL,
	    OFF(drain_timeout), "on SIGTERM, seconds in-flight requests get" },
	{ "log-format", BOTH, OPT_ENUM, "json", 0, 0, log_formats,
	    OFF(log_format), "json (one object per line) or text" },
	{ "log-level", BOTH, OPT_ENUM, "info", 0, 0, log_levels, OFF(log_level),
	    "debug, info, warn or error" },
	{ "cors-origins", BOTH, OPT_STRING, NULL, 0, 0, NULL, OFF(cors_origins),
	    "origins allowed to call the API, comma-separated" },
	{ "cookie-secure", BOTH, OPT_BOOL, "0", 0, 0, NULL, OFF(cookie_secure),
	    "mark the session cookie Secure (HTTPS only)" },
	{ "max-new-sessions-per-minute", BOTH, OPT_INT, "300", 0, 1000000, NULL,
	    OFF(max_new_sessions_per_minute),
	    "logins per minute per client address (429 beyond); 0 = no limit" },
	{ "verbose-server-header", BOTH, OPT_BOOL, "0", 0, 0, NULL,
	    OFF(verbose_server_header),
	    "send the version in the Server header" },
	{ "admin", BOTH, OPT_BOOL, "0", 0, 0, NULL, OFF(admin),
	    "enable the fault knobs under /api/admin/ (demos, tests)" },
	{ "start-unready", BOTH, OPT_BOOL, "0", 0, 0, NULL, OFF(start_unready),
	    "report not ready until POST /api/admin/ready {\"ready\":true}" },
	{ "sessions", CONFIG_STATELESS, OPT_ENUM, "memory", 0, 0,
	    sessions_modes, OFF(sessions),
	    "where sessions live: memory, token or remote" },
	{ "store-url", CONFIG_STATELESS, OPT_STRING, NULL, 0, 0, NULL,
	    OFF(store_url), "remote mode: base URL of the stateful service" },
	{ "token-secret-file", CONFIG_STATELESS, OPT_LIST, NULL, 0, 0, NULL,
	    OFF(token_secret_files),
	    "token mode: HMAC key file; twice to rotate (first signs)" },
	{ "insecure-dev-secret", CONFIG_STATELESS, OPT_BOOL, "0", 0, 0, NULL,
	    OFF(insecure_dev_secret), "token mode: use a fixed, public key" },
	{ "db", CONFIG_STATEFUL, OPT_STRING, "./var/stateful.db", 0, 0, NULL,
	    OFF(db), "the SQLite database file" },
	{ "sync", CONFIG_STATEFUL, OPT_ENUM, "normal", 0, 0, sync_modes,
	    OFF(sync), "normal (survives a crash) or full (power loss)" },
	{ "peer-url-template", CONFIG_STATEFUL, OPT_STRING, NULL, 0, 0, NULL,
	    OFF(peer_url_template), "proxy to the owner, e.g. http://%s:8082" },
	{ NULL }
};

static int opt_set(struct config *, const struct config_opt *, const char *,
    const char *, char *, size_t);
static int set_hostport(
    struct config *, const char *, const char *, char *, size_t);
static int set_instance(struct config *, char *, size_t);
static int check_peer_template(const struct config *, char *, size_t);
static int env_name(const char *, char *, size_t);
static const char *join_choices(const char *const *, char *, size_t);
static void print_help(FILE *, const struct config *);
static const struct config_opt *find_opt(enum config_service, const char *);

enum config_result
config_load(struct config *cfg, enum config_service service, int argc,
    char *const argv[], FILE *out, char *err, size_t errlen)
{
	struct option longopts[MAX_OPTIONS + 3];
	const struct config_opt *o;
	char env[64];
	const char *v;
	size_t n = 0;
	int ch, idx;

	memset(cfg, 0, sizeof(*cfg));
	cfg->service = service;
	cfg->service_name =
	    service == CONFIG_STATEFUL ? "stateful" : "stateless";

	/* Defaults, then the environment; build getopt's table meanwhile. */
	for (o = config_opts; o->name != NULL; o++) {
		if ((o->services & service) == 0)
			continue;
		if (o->defval != NULL &&
		    opt_set(cfg, o, o->defval, "default", err, errlen) == -1)
			return (CONFIG_ERROR);
		if (env_name(o->name, env, sizeof(env)) == 0 &&
		    (v = getenv(env)) != NULL && *v != '\0' &&
		    opt_set(cfg, o, v, env, err, errlen) == -1)
			return (CONFIG_ERROR);
		longopts[n].name = o->name;
		longopts[n].has_arg =
		    o->type == OPT_BOOL ? no_argument : required_argument;
		longopts[n].flag = NULL;
		longopts[n].val = 0;
		n++;
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	/* An env-given list is replaced, not extended, by flags. */
	int lists_from_flags = 0;

	optind = 0; /* GNU: full reset, so tests may load more than once */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hV", longopts, &idx)) != -1) {
		switch (ch) {
		case 0:
			o = find_opt(service, longopts[idx].name);
			if (o->type == OPT_LIST && !lists_from_flags) {
				cfg->token_secret_count = 0;
				lists_from_flags = 1;
			}
			if (opt_set(cfg, o, o->type == OPT_BOOL ? "1" : optarg,
			        "flag", err, errlen) == -1)
				return (CONFIG_ERROR);
			break;
		case 'h':
			print_help(out, cfg);
			return (CONFIG_DONE);
		case 'V':
			fprintf(out, "%s %s\n", cfg->service_name,
			    STATELAB_VERSION);
			return (CONFIG_DONE);
		case ':':
			snprintf(err, errlen, "%s needs a value (see --help)",
			    argv[optind - 1]);
			return (CONFIG_ERROR);
		default:
			snprintf(err, errlen,
			    "unknown option '%s' (see --help)",
			    argv[optind - 1]);
			return (CONFIG_ERROR);
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)",
		    argv[optind]);
		return (CONFIG_ERROR);
	}
	if (set_instance(cfg, err, errlen) == -1 ||
	    check_peer_template(cfg, err, errlen) == -1)
		return (CONFIG_ERROR);
	return (CONFIG_OK);
}

void
config_free(struct config *cfg)
{
	int i;

	if (cfg == NULL)
		return;
	free(cfg->listen);
	free(cfg->listen_host);
	free(cfg->instance);
	free(cfg->cors_origins);
	free(cfg->store_url);
	for (i = 0; i < CONFIG_SECRETS_MAX; i++)
		free(cfg->token_secret_files[i]);
	free(cfg->db);
	free(cfg->peer_url_template);
	memset(cfg, 0, sizeof(*cfg));
}

int
config_cors_allows(const struct config *cfg, const char *origin)
{
	const char *p, *end;
	size_t len;

	if (cfg->cors_origins == NULL || origin == NULL)
		return (0);
	len = strlen(origin);
	for (p = cfg->cors_origins; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == 1 && *p == '*')
			return (1);
		if ((size_t)(end - p) == len && strncmp(p, origin, len) == 0)
			return (1);
	}
	return (0);
}

void
config_describe(const struct config *cfg, json_t *obj)
{
	const struct config_opt *o;
	const char *base = (const char *)cfg;
	char buf[32];
	const char *s;
	int64_t n;
	int i;

	for (o = config_opts; o->name != NULL; o++) {
		if ((o->services & cfg->service) == 0)
			continue;
		s = NULL;
		switch (o->type) {
		case OPT_STRING:
		case OPT_HOSTPORT:
			s = *(char *const *)(base + o->offset);
			break;
		case OPT_INT:
		case OPT_SECONDS:
			memcpy(&n, base + o->offset, sizeof(n));
			snprintf(buf, sizeof(buf), "%lld", (long long)n);
			s = buf;
			break;
		case OPT_BOOL:
			memcpy(&i, base + o->offset, sizeof(i));
			s = i ? "true" : "false";
			break;
		case OPT_ENUM:
			memcpy(&i, base + o->offset, sizeof(i));
			s = o->choices[i];
			break;
		case OPT_LIST:
			/* Secret files: the names only, never the keys. */
			buf[0] = '\0';
			snprintf(buf, sizeof(buf), "%d file(s)",
			    cfg->token_secret_count);
			s = buf;
			break;
		}
		json_object_set_new(
		    obj, o->name, s != NULL ? json_string(s) : json_null());
	}
}

/* Parse value for option o into cfg.  from names the source for errors. */
static int
opt_set(struct config *cfg, const struct config_opt *o, const char *value,
    const char *from, char *err, size_t errlen)
{
	char *base = (char *)cfg, *end, **sp, *copy, list[128];
	long long n;
	int i;

	switch (o->type) {
	case OPT_STRING:
		if ((copy = strdup(value)) == NULL)
			goto nomem;
		sp = (char **)(base + o->offset);
		free(*sp);
		*sp = copy;
		return (0);
	case OPT_HOSTPORT:
		return (set_hostport(cfg, value, from, err, errlen));
	case OPT_INT:
	case OPT_SECONDS:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < o->min ||
		    n > o->max) {
			snprintf(err, errlen,
			    "--%s: '%s' (%s) is not a whole number from %lld to %lld%s",
			    o->name, value, from, (long long)o->min,
			    (long long)o->max,
			    o->type == OPT_SECONDS ? " (seconds)" : "");
			return (-1);
		}
		memcpy(base + o->offset, &(int64_t){ n }, sizeof(int64_t));
		return (0);
	case OPT_BOOL:
		if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
		    strcasecmp(value, "yes") == 0)
			i = 1;
		else if (strcmp(value, "0") == 0 ||
		    strcasecmp(value, "false") == 0 ||
		    strcasecmp(value, "no") == 0)
			i = 0;
		else {
			snprintf(err, errlen,
			    "--%s: '%s' (%s) is not a boolean: use 1/0, true/false or yes/no",
			    o->name, value, from);
			return (-1);
		}
		memcpy(base + o->offset, &i, sizeof(i));
		return (0);
	case OPT_ENUM:
		for (i = 0; o->choices[i] != NULL; i++) {
			if (strcmp(o->choices[i], value) == 0) {
				memcpy(base + o->offset, &i, sizeof(i));
				return (0);
			}
		}
		snprintf(err, errlen, "--%s: '%s' (%s) is not one of: %s",
		    o->name, value, from,
		    join_choices(o->choices, list, sizeof(list)));
		return (-1);
	case OPT_LIST:
		if (cfg->token_secret_count >= CONFIG_SECRETS_MAX) {
			snprintf(err, errlen,
			    "--%s: given more than %d times (one key signs, one more may verify)",
			    o->name, CONFIG_SECRETS_MAX);
			return (-1);
		}
		if ((copy = strdup(value)) == NULL)
			goto nomem;
		free(cfg->token_secret_files[cfg->token_secret_count]);
		cfg->token_secret_files[cfg->token_secret_count++] = copy;
		return (0);
	}
nomem:
	snprintf(err, errlen, "--%s: out of memory", o->name);
	return (-1);
}

/* Check "host:port" or "[v6]:port" and split it into cfg. */
static int
set_hostport(struct config *cfg, const char *value, const char *from, char *err,
    size_t errlen)
{
	const char *colon, *host = value, *port;
	size_t hostlen;
	char *end, *h = NULL, *copy = NULL;
	long p;

	if (value[0] == '[') {
		if ((colon = strstr(value, "]:")) == NULL)
			goto bad;
		host = value + 1;
		hostlen = (size_t)(colon - host);
		port = colon + 2;
	} else {
		if ((colon = strrchr(value, ':')) == NULL ||
		    memchr(value, ':', (size_t)(colon - value)) != NULL)
			goto bad;
		hostlen = (size_t)(colon - value);
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (hostlen == 0 || *port == '\0' || *end != '\0' || errno != 0 ||
	    p < 0 || p > 65535)
		goto bad;
	if ((h = strndup(host, hostlen)) == NULL ||
	    (copy = strdup(value)) == NULL) {
		free(h);
		snprintf(err, errlen, "--listen: out of memory");
		return (-1);
	}
	free(cfg->listen_host);
	free(cfg->listen);
	cfg->listen_host = h;
	cfg->listen = copy;
	cfg->listen_port = (int)p;
	return (0);
bad:
	snprintf(err, errlen,
	    "--listen: '%s' (%s) is not host:port or [ipv6]:port with a port from 0 to 65535",
	    value, from);
	return (-1);
}

/* Settle the instance name: flag/env, then $POD_NAME, then the hostname. */
static int
set_instance(struct config *cfg, char *err, size_t errlen)
{
	char host[256];
	const char *name = cfg->instance, *p;
	char *copy;

	if (name == NULL)
		name = getenv("POD_NAME");
	if (name == NULL || *name == '\0') {
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "%s", cfg->service_name);
		host[sizeof(host) - 1] = '\0';
		name = host;
	}
	/* It travels in headers, JSON and log lines: keep it plain. */
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			break;
	}
	if (*p != '\0' || p == name || p - name > CONFIG_INSTANCE_MAX) {
		snprintf(err, errlen,
		    "--instance: '%s' must be 1 to %d characters of A-Z a-z 0-9 . _ -",
		    name, CONFIG_INSTANCE_MAX);
		return (-1);
	}
	if ((copy = strdup(name)) == NULL) {
		snprintf(err, errlen, "--instance: out of memory");
		return (-1);
	}
	free(cfg->instance);
	cfg->instance = copy;
	return (0);
}

/*
 * --peer-url-template is expanded with snprintf-like %s substitution by
 * the owner routing: exactly one "%s" (the instance), no other '%', and
 * an http:// URL.  Checked here so that a typo fails before the database
 * is opened.
 */
static int
check_peer_template(const struct config *cfg, char *err, size_t errlen)
{
	const char *t = cfg->peer_url_template, *p;
	int slots = 0;

	if (t == NULL)
		return (0);
	for (p = t; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] != 's')
			goto bad;
		slots++;
	}
	if (slots == 1 && strncmp(t, "http://", 7) == 0)
		return (0);
bad:
	snprintf(err, errlen,
	    "--peer-url-template: '%s' must be an http:// URL with exactly "
	    "one %%s for the owner's instance name, e.g. "
	    "http://%%s.stateful-headless:8082",
	    t);
	return (-1);
}

/* "session-ttl" -> "STATELAB_SESSION_TTL". */
static int
env_name(const char *name, char *buf, size_t len)
{
	size_t i, pre = strlen("STATELAB_");

	if (pre + strlen(name) + 1 > len)
		return (-1);
	memcpy(buf, "STATELAB_", pre);
	for (i = 0; name[i] != '\0'; i++)
		buf[pre + i] = name[i] == '-'
		    ? '_'
		    : (char)toupper((unsigned char)name[i]);
	buf[pre + i] = '\0';
	return (0);
}

/* {"a", "b", NULL} -> "a, b" in buf. */
static const char *
join_choices(const char *const *choices, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; choices[i] != NULL && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? ", " : "", choices[i]);
	return (buf);
}

static const struct config_opt *
find_opt(enum config_service service, const char *name)
{
	const struct config_opt *o;

	for (o = config_opts; o->name != NULL; o++) {
		if ((o->services & service) && strcmp(o->name, name) == 0)
			return (o);
	}
	return (NULL); /* NOTREACHED: getopt only returns listed names */
}

static void
print_help(FILE *out, const struct config *cfg)
{
	const struct config_opt *o;
	char flag[48], env[64];

	fprintf(out,
	    "usage: %s [options]\n\n"
	    "Every option can also be set by its environment variable; a flag "
	    "wins over it.\n\n",
	    cfg->service_name);
	for (o = config_opts; o->name != NULL; o++) {
		if ((o->services & cfg->service) == 0)
			continue;
		snprintf(flag, sizeof(flag), "--%s%s", o->name,
		    o->type == OPT_BOOL ? "" : " VALUE");
		env_name(o->name, env, sizeof(env));
		fprintf(
		    out, "  %-28s %s\n  %-28s env %s", flag, o->help, "", env);
		if (o->defval != NULL && o->type != OPT_BOOL)
			fprintf(out, ", default %s", o->defval);
		fputc('\n', out);
	}
	fprintf(out,
	    "  %-28s %s\n  %-28s %s\n\n"
	    "Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 1 on a "
	    "runtime failure,\n2 on a bad option, 3 when the database is held "
	    "by another process.\n",
	    "--help", "print this help", "--version", "print the version");
}
