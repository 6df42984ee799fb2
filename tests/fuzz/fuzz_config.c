// SPDX-License-Identifier: MIT
/*
 * fuzz_config.c - config_load() from a fuzzed command line and
 * environment.
 *
 * Input: NUL- or LF-separated words.  A word "STATELAB_NAME=value" is put
 * in the environment for this run only; every other word is an argv
 * element after the program name (the first input byte picks stateless
 * or stateful).  Checked: the result is one of the three; an error has a
 * one-line message; a loaded config is inside every bound the option
 * table states; config_free() leaves nothing behind (LeakSanitizer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"

#define MAX_WORDS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const struct config *);
static void die(const char *);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct config cfg;
	char *copy, *p, *end, *word, *argv[MAX_WORDS + 2], *envs[MAX_WORDS];
	char err[512], *eq;
	int argc = 1, nenv = 0, i;
	enum config_result rc;
	json_t *obj;

	if (size == 0)
		return (0);
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if ((copy = malloc(size)) == NULL)
		return (0);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	argv[0] = data[0] & 1 ? "stateful" : "stateless";
	end = copy + size - 1;
	for (p = copy; p < end && argc <= MAX_WORDS;) {
		word = p;
		p += strcspn(p, "\n");
		*p++ = '\0';
		eq = strchr(word, '=');
		if (strncmp(word, "STATELAB_", 9) == 0 && eq != NULL &&
		    nenv < MAX_WORDS) {
			*eq = '\0';
			if (setenv(word, eq + 1, 1) == 0)
				envs[nenv++] = word;
			continue;
		}
		argv[argc++] = word;
	}
	argv[argc] = NULL;

	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	rc = config_load(&cfg, data[0] & 1 ? CONFIG_STATEFUL : CONFIG_STATELESS,
	    argc, argv, devnull, err, sizeof(err));
	switch (rc) {
	case CONFIG_OK:
		check_loaded(&cfg);
		(void)config_cors_allows(&cfg, "http://a.example");
		if ((obj = json_object()) != NULL) {
			config_describe(&cfg, obj);
			json_decref(obj);
		}
		break;
	case CONFIG_DONE:
		break;
	case CONFIG_ERROR:
		if (err[0] == '\0' || err[0] == 'x' || strchr(err, '\n'))
			die("an error without a one-line message");
		break;
	default:
		die("an unknown result");
	}
	config_free(&cfg);
	for (i = 0; i < nenv; i++)
		unsetenv(envs[i]);
	free(copy);
	return (0);
}

/* Everything the option table promises about a loaded config. */
static void
check_loaded(const struct config *cfg)
{
	const char *p;

	if (cfg->listen == NULL || cfg->listen_host == NULL ||
	    *cfg->listen_host == '\0' || cfg->listen_port < 0 ||
	    cfg->listen_port > 65535)
		die("a bad listen address was accepted");
	if (cfg->instance == NULL || *cfg->instance == '\0' ||
	    strlen(cfg->instance) > CONFIG_INSTANCE_MAX)
		die("a bad instance name was accepted");
	for (p = cfg->instance; *p != '\0'; p++) {
		if (strchr(
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		        "0123456789-._",
		        *p) == NULL)
			die("an instance name with an unsafe character");
	}
	if (cfg->session_ttl < 1 || cfg->session_ttl > 30 * 86400 ||
	    cfg->max_sessions < 1 || cfg->max_connections < 16 ||
	    cfg->timeout < 1 || cfg->drain_delay < 0 || cfg->drain_timeout < 0)
		die("a number outside its bounds was accepted");
	if (cfg->token_secret_count < 0 ||
	    cfg->token_secret_count > CONFIG_SECRETS_MAX)
		die("too many secret files");
}

static void
die(const char *why)
{
	fprintf(stderr, "fuzz_config: %s\n", why);
	abort();
}
