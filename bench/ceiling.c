/* SPDX-License-Identifier: MIT */
/*
 * ceiling.c - the bare libevent evhttp server that `make bench` measures
 * every other row against.
 *
 * It answers every request, whatever the method or path, with the same
 * tiny JSON body, through the same evhttp machinery our servers use: one
 * event base, one listener, one generic callback, keep-alive handled by
 * libevent.  There is no routing, no session lookup, no JSON encoding and
 * no logging per request, so the rate it reaches on one core is the most
 * an evhttp server can do on this machine: the "ceiling".
 *
 * Like stateless and stateful it takes --spec HOST:PORT (port 0 picks a
 * free port) and prints one JSON line with "msg":"listening" and the real
 * "addr", so bench/run can start any of the three the same way.  SIGTERM
 * or SIGINT ends the loop and the process exits 0.
 *
 * It deliberately does not read the request body, set timeouts or limit
 * connections: anything it did per request would lower the ceiling.
 * Its event loop is configured as the servers' are (epoll's changelist,
 * common/server.c), so the ratio measures our code, not a setting.
 */

#define _POSIX_C_SOURCE 200809L /* gmtime_r() under -std=c11 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#define CEILING_DEFAULT_LISTEN "127.0.0.1:8080"
#define CEILING_BODY           "{\"ok\":true}\n"

static void ceiling_reply(struct evhttp_request *, void *);
static void ceiling_signal(evutil_socket_t, short, void *);
static int ceiling_parse(const char *, struct sockaddr_storage *, socklen_t *);
static int ceiling_bind(struct event_base *, struct evhttp *,
    struct sockaddr_storage *, socklen_t, char *, size_t);
static void ceiling_log(const char *, const char *, const char *);
static void usage(FILE *, int) __attribute__((noreturn));

static const struct option ceiling_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char *argv[])
{
	struct event_config *cfg = NULL;
	struct event_base *base = NULL;
	struct evhttp *http = NULL;
	struct event *sigterm = NULL;
	struct event *sigint = NULL;
	struct evbuffer *body = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *spec;
	char addr[INET6_ADDRSTRLEN + 8];
	int ch;
	int rc = 1;

	/* The flag wins over the environment, as in our servers. */
	if ((spec = getenv("STATELAB_LISTEN")) == NULL || *spec == '\0')
		spec = CEILING_DEFAULT_LISTEN;
	while (
	    (ch = getopt_long(argc, argv, "l:h", ceiling_opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			spec = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			/* NOTREACHED */
		default:
			usage(stderr, 2);
			/* NOTREACHED */
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (ceiling_parse(spec, &ss, &sslen) == -1) {
		ceiling_log(
		    "error", "--listen wants IPv4:PORT or [IPv6]:PORT", spec);
		return (2);
	}

	/* A log line per line, even when stdout is a pipe to bench/run. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	/* The servers' loop: common/server.c, server_base_new(). */
	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) ==
	        -1 ||
	    (base = event_base_new_with_config(cfg)) == NULL ||
	    (http = evhttp_new(base)) == NULL ||
	    (body = evbuffer_new()) == NULL) {
		ceiling_log("error", "out of memory", NULL);
		goto done;
	}
	evhttp_set_gencb(http, ceiling_reply, body);
	if (ceiling_bind(base, http, &ss, sslen, addr, sizeof(addr)) == -1)
		goto done;
	sigterm = evsignal_new(base, SIGTERM, ceiling_signal, base);
	sigint = evsignal_new(base, SIGINT, ceiling_signal, base);
	if (sigterm == NULL || sigint == NULL ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1) {
		ceiling_log("error", "cannot install signal handlers", NULL);
		goto done;
	}

	ceiling_log("info", "listening", addr);
	if (event_base_dispatch(base) == -1) {
		ceiling_log("error", "event loop failed", NULL);
		goto done;
	}
	ceiling_log("info", "stopped", NULL);
	rc = 0;
done:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	if (http != NULL)
		evhttp_free(http);
	if (body != NULL)
		evbuffer_free(body);
	if (base != NULL)
		event_base_free(base);
	if (cfg != NULL)
		event_config_free(cfg);
	return (rc);
}

/*
 * The whole request path.  The body is added by reference, so no byte is
 * copied until libevent writes it to the socket, and the one evbuffer is
 * reused: evhttp_send_reply() drains it into the connection's output.
 */
static void
ceiling_reply(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = arg;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_reference(
	    body, CEILING_BODY, sizeof(CEILING_BODY) - 1, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", body);
}

static void
ceiling_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	(void)sig;
	(void)what;
	event_base_loopexit(base, NULL);
}

/*
 * Parse spec, "HOST:PORT" with an IPv4 HOST or "[IPv6]:PORT", into *ss.
 * Port 0 is allowed (the kernel picks one), which libevent's own
 * evutil_parse_sockaddr_port() refuses.  Returns 0, or -1.
 */
static int
ceiling_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN];
	const char *colon, *start;
	char *end;
	size_t hlen;
	long port;

	if ((colon = strrchr(spec, ':')) == NULL)
		return (-1);
	start = spec;
	hlen = colon - spec;
	/* "[::1]:80": the host is what the brackets enclose. */
	if (*spec == '[') {
		if (hlen < 2 || colon[-1] != ']')
			return (-1);
		start = spec + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return (-1);
	memcpy(host, start, hlen);
	host[hlen] = '\0';

	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 0 ||
	    port > 65535)
		return (-1);

	memset(ss, 0, sizeof(*ss));
	if (*spec != '[' &&
	    evutil_inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		*len = sizeof(*sin);
		return (0);
	}
	if (*spec == '[' &&
	    evutil_inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

/*
 * Listen on *ss and write the address really bound (with the port the
 * kernel chose) into addr.  Returns 0, or -1 after logging why.
 */
static int
ceiling_bind(struct event_base *base, struct evhttp *http,
    struct sockaddr_storage *ss, socklen_t sslen, char *addr, size_t addrlen)
{
	struct evconnlistener *lev = NULL;
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	lev = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)ss, sslen);
	if (lev == NULL) {
		ceiling_log("error", "cannot listen", NULL);
		return (-1);
	}
	/* evhttp owns the listener from here on and frees it with itself. */
	if (evhttp_bind_listener(http, lev) == NULL) {
		evconnlistener_free(lev);
		ceiling_log("error", "cannot bind evhttp", NULL);
		return (-1);
	}

	/* Read back the address: with port 0 only the kernel knows it. */
	sslen = sizeof(*ss);
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)ss,
	        &sslen) == -1) {
		ceiling_log("error", "getsockname failed", NULL);
		return (-1);
	}
	if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		evutil_inet_ntop(
		    AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		snprintf(addr, addrlen, "[%s]:%u", host, port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(addr, addrlen, "%s:%u", host, port);
	}
	return (0);
}

/*
 * One JSON log line in the shape our servers use.  Only called for
 * start-up and shut-down events, never per request; the strings passed in
 * are ours or a --listen value, which is escaped crudely by refusing to
 * print it when it holds a quote or a backslash.
 */
static void
ceiling_log(const char *level, const char *msg, const char *addr)
{
	char ts[32];
	struct tm tm;
	time_t now;

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (addr != NULL && strpbrk(addr, "\"\\") != NULL)
		addr = "?";
	printf("{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\","
	       "\"service\":\"ceiling\"%s%s%s}\n",
	    ts, level, msg, addr != NULL ? ",\"addr\":\"" : "",
	    addr != NULL ? addr : "", addr != NULL ? "\"" : "");
}

static void
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: ceiling [--listen HOST:PORT]\n"
	    "  --listen HOST:PORT  address to serve on; port 0 picks a free "
	    "port\n"
	    "                      (default " CEILING_DEFAULT_LISTEN
	    ", env STATELAB_LISTEN)\n"
	    "  --help              this text\n");
	exit(status);
}
