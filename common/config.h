/*
 * config.h - settings from flags and STATELAB_* environment variables.
 *
 * One table in config.c describes every option (name, environment
 * variable, type, default, bounds, which binary takes it); getopt_long's
 * options and --help are generated from it, so the three never drift.
 */
#ifndef STATELAB_COMMON_CONFIG_H
#define STATELAB_COMMON_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "log.h"

/* Which binary is parsing: an option applies to one or both. */
enum config_service { CONFIG_STATELESS = 1 << 0, CONFIG_STATEFUL = 1 << 1 };

enum config_sessions { SESSIONS_MEMORY = 0, SESSIONS_TOKEN, SESSIONS_REMOTE };

enum config_sync { SYNC_NORMAL = 0, SYNC_FULL };

#define CONFIG_SECRETS_MAX  2
#define CONFIG_INSTANCE_MAX 63

/* Every field is filled by config_load(); strings are owned by the config. */
struct config {
	enum config_service service; /* the binary that parsed it */
	const char *service_name;    /* "stateless" or "stateful" */

	char *listen;            /* "host:port" as given */
	char *listen_host;       /* host part, brackets removed */
	int listen_port;         /* 0 = pick a free port */
	char *instance;          /* --instance, $POD_NAME or hostname */
	int64_t session_ttl;     /* seconds of inactivity before expiry */
	int64_t max_sessions;    /* STORE_FULL beyond this */
	int64_t max_connections; /* open client connections */
	int64_t timeout;         /* idle/read/write timeout, seconds */
	int64_t drain_delay;     /* seconds of 503 readiness before drain */
	int64_t drain_timeout;   /* seconds in-flight requests get */
	enum log_format log_format;
	enum log_level log_level;
	char *cors_origins; /* comma-separated origins, or NULL */
	int cookie_secure;  /* add Secure to the session cookie */
	int64_t max_new_sessions_per_minute; /* per client address; 0 = off */
	int verbose_server_header;           /* Server: statelab/VERSION */
	int admin;         /* enable the /api/admin/ fault knobs */
	int start_unready; /* /readyz 503 until /api/admin/ready */

	enum config_sessions sessions;                /* stateless store */
	char *store_url;                              /* remote mode */
	char *token_secret_files[CONFIG_SECRETS_MAX]; /* token mode */
	int token_secret_count;
	int insecure_dev_secret;

	char *db;                /* stateful: the SQLite file */
	enum config_sync sync;   /* stateful: synchronous=NORMAL|FULL */
	char *peer_url_template; /* stateful: route to the owning pod */
};

enum config_result {
	CONFIG_OK = 0,   /* settings loaded: run the server */
	CONFIG_DONE = 1, /* --help or --version printed: exit 0 */
	CONFIG_ERROR = -1
};

/*
 * Fill cfg from defaults, then STATELAB_* environment variables, then
 * argv (flags win).  --help and --version print to out and return
 * CONFIG_DONE.  On CONFIG_ERROR, err holds one line naming the flag and
 * what it accepts (the caller prints it and exits 2).  Release cfg with
 * config_free() in every case.
 */
enum config_result config_load(struct config *cfg, enum config_service service,
    int argc, char *const argv[], FILE *out, char *err, size_t errlen);

/* Release the strings of cfg.  Accepts a zeroed or partly filled cfg. */
void config_free(struct config *cfg);

/*
 * Does origin appear in cfg->cors_origins (exact match, or the list is
 * "*")?  origin is borrowed.
 */
int config_cors_allows(const struct config *cfg, const char *origin);

/*
 * Append every effective setting to obj as strings (secrets shown only
 * as file names).  For the start-up log line and /api/info.
 */
struct json_t;
void config_describe(const struct config *cfg, struct json_t *obj);

#endif /* STATELAB_COMMON_CONFIG_H */
