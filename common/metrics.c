// SPDX-License-Identifier: MIT
/*
 * metrics.c - Prometheus counters and histograms, text format 0.0.4.
 *
 * All series live in fixed arrays indexed by route, method and status
 * slot, so recording is a few increments and no allocation, and the
 * number of series is bounded whatever paths clients send: a request
 * that matches no route is counted under the route "other".
 *
 * Status codes get slots as they are first seen (at most STATUS_SLOTS;
 * later distinct codes share the "other" slot).  Durations are recorded
 * in microseconds and rendered in seconds.
 *
 * The metrics singleton (HS-18) is written only on the loop thread.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "metrics.h"
#include "session.h"

#define STATUS_SLOTS 24
#define NBUCKETS     14

static const char *const method_names[] = { "GET", "HEAD", "POST", "PUT",
	"DELETE", "OPTIONS", "PATCH", "other" };
#define NMETHODS (sizeof(method_names) / sizeof(method_names[0]))

static const char *const op_names[METRICS_OP_COUNT_] = { "create", "get",
	"incr", "data_put", "data_delete", "destroy" };

static const char *const lookup_names[] = { "hit", "miss", "expired" };

/* Bucket upper bounds, microseconds; rendered as seconds. */
static const int64_t bucket_us[NBUCKETS] = { 100, 250, 500, 1000, 2500, 5000,
	10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000 };

struct histogram {
	uint64_t buckets[NBUCKETS]; /* non-cumulative; summed on render */
	uint64_t count;
	int64_t sum_us;
};

static struct {
	const char *const *routes;
	size_t nroutes;
	const char *service, *store, *version;
	int64_t started_at_ms;
	int statuses[STATUS_SLOTS]; /* code per slot; 0 = free */
	uint64_t requests[METRICS_ROUTES_MAX][NMETHODS][STATUS_SLOTS + 1];
	struct histogram duration[METRICS_ROUTES_MAX];
	uint64_t lookups[3];
	uint64_t created;
	uint64_t expired;
	struct histogram store_ops[METRICS_OP_COUNT_];
	uint64_t store_errors[METRICS_OP_COUNT_];
} m;

static void observe(struct histogram *, int64_t);
static size_t method_index(const char *);
static size_t status_slot(int);
static void render_histogram(struct evbuffer *, const char *, const char *,
    const char *, const struct histogram *);
static void render_gauge(const char *, const char *, double, void *);
static void render_process(struct evbuffer *);

void
metrics_init(const char *const *routes, size_t nroutes, const char *service,
    const char *store, const char *version, int64_t started_at_ms)
{
	memset(&m, 0, sizeof(m));
	m.routes = routes;
	m.nroutes = nroutes < METRICS_ROUTES_MAX ? nroutes : METRICS_ROUTES_MAX;
	m.service = service;
	m.store = store;
	m.version = version;
	m.started_at_ms = started_at_ms;
}

void
metrics_request(size_t route, const char *method, int status, int64_t dur_us)
{
	if (route >= m.nroutes)
		return;
	m.requests[route][method_index(method)][status_slot(status)]++;
	observe(&m.duration[route], dur_us);
}

void
metrics_lookup(enum metrics_lookup result)
{
	m.lookups[result]++;
}

void
metrics_session_created(void)
{
	m.created++;
}

void
metrics_sessions_expired(int64_t n)
{
	m.expired += (uint64_t)n;
}

void
metrics_store_op(enum metrics_store_op op, int64_t dur_us, int failed)
{
	observe(&m.store_ops[op], dur_us);
	if (failed)
		m.store_errors[op]++;
}

int
metrics_render(struct evbuffer *out, struct session_store *st)
{
	size_t r, me, s;
	int64_t sessions;
	char status[8];

	evbuffer_add_printf(out,
	    "# HELP http_requests_total Requests answered, by method, route "
	    "template and status.\n# TYPE http_requests_total counter\n");
	for (r = 0; r < m.nroutes; r++)
		for (me = 0; me < NMETHODS; me++)
			for (s = 0; s <= STATUS_SLOTS; s++) {
				if (m.requests[r][me][s] == 0)
					continue;
				if (s < STATUS_SLOTS)
					snprintf(status, sizeof(status), "%d",
					    m.statuses[s]);
				else
					snprintf(
					    status, sizeof(status), "other");
				evbuffer_add_printf(out,
				    "http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
				    method_names[me], m.routes[r], status,
				    (unsigned long long)m.requests[r][me][s]);
			}
	evbuffer_add_printf(out,
	    "# HELP http_request_duration_seconds Time from dispatch to "
	    "reply, by route template.\n"
	    "# TYPE http_request_duration_seconds histogram\n");
	for (r = 0; r < m.nroutes; r++)
		if (m.duration[r].count > 0)
			render_histogram(out, "http_request_duration_seconds",
			    "route", m.routes[r], &m.duration[r]);

	sessions = session_store_count(st);
	if (sessions >= 0)
		evbuffer_add_printf(out,
		    "# HELP statelab_sessions Sessions held by this instance.\n"
		    "# TYPE statelab_sessions gauge\nstatelab_sessions %lld\n",
		    (long long)sessions);
	evbuffer_add_printf(out,
	    "# HELP statelab_sessions_created_total Sessions created.\n"
	    "# TYPE statelab_sessions_created_total counter\n"
	    "statelab_sessions_created_total %llu\n"
	    "# HELP statelab_sessions_expired_total Sessions dropped after "
	    "their TTL.\n# TYPE statelab_sessions_expired_total counter\n"
	    "statelab_sessions_expired_total %llu\n"
	    "# HELP statelab_session_lookups_total Lookups by a well-formed "
	    "credential; a miss is a lost session.\n"
	    "# TYPE statelab_session_lookups_total counter\n",
	    (unsigned long long)m.created, (unsigned long long)m.expired);
	for (s = 0; s < 3; s++)
		evbuffer_add_printf(out,
		    "statelab_session_lookups_total{result=\"%s\"} %llu\n",
		    lookup_names[s], (unsigned long long)m.lookups[s]);

	evbuffer_add_printf(out,
	    "# HELP statelab_store_operation_duration_seconds Store "
	    "operations from start to completion.\n"
	    "# TYPE statelab_store_operation_duration_seconds histogram\n");
	for (s = 0; s < METRICS_OP_COUNT_; s++)
		render_histogram(out,
		    "statelab_store_operation_duration_seconds", "op",
		    op_names[s], &m.store_ops[s]);
	evbuffer_add_printf(out,
	    "# HELP statelab_store_errors_total Store operations that "
	    "failed (not counting unknown sessions).\n"
	    "# TYPE statelab_store_errors_total counter\n");
	for (s = 0; s < METRICS_OP_COUNT_; s++)
		evbuffer_add_printf(out,
		    "statelab_store_errors_total{op=\"%s\"} %llu\n",
		    op_names[s], (unsigned long long)m.store_errors[s]);

	session_store_gauges(st, render_gauge, out);
	render_process(out);
	evbuffer_add_printf(out,
	    "# HELP statelab_build_info Version, service and store of this "
	    "process.\n# TYPE statelab_build_info gauge\n"
	    "statelab_build_info{version=\"%s\",service=\"%s\",store=\"%s\"} 1\n",
	    m.version, m.service, m.store);
	return (0);
}

static void
observe(struct histogram *h, int64_t us)
{
	size_t i;

	for (i = 0; i < NBUCKETS && us > bucket_us[i]; i++)
		;
	if (i < NBUCKETS)
		h->buckets[i]++;
	h->count++;
	h->sum_us += us;
}

static size_t
method_index(const char *method)
{
	size_t i;

	for (i = 0; i < NMETHODS - 1; i++)
		if (strcmp(method, method_names[i]) == 0)
			return (i);
	return (NMETHODS - 1);
}

/* The slot for status, taking a free one on first sight. */
static size_t
status_slot(int status)
{
	size_t i;

	for (i = 0; i < STATUS_SLOTS; i++) {
		if (m.statuses[i] == status)
			return (i);
		if (m.statuses[i] == 0) {
			m.statuses[i] = status;
			return (i);
		}
	}
	return (STATUS_SLOTS);
}

static void
render_histogram(struct evbuffer *out, const char *name, const char *label,
    const char *value, const struct histogram *h)
{
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		cum += h->buckets[i];
		evbuffer_add_printf(out,
		    "%s_bucket{%s=\"%s\",le=\"%g\"} %llu\n", name, label, value,
		    (double)bucket_us[i] / 1e6, (unsigned long long)cum);
	}
	evbuffer_add_printf(out,
	    "%s_bucket{%s=\"%s\",le=\"+Inf\"} %llu\n"
	    "%s_sum{%s=\"%s\"} %.6f\n%s_count{%s=\"%s\"} %llu\n",
	    name, label, value, (unsigned long long)h->count, name, label,
	    value, (double)h->sum_us / 1e6, name, label, value,
	    (unsigned long long)h->count);
}

static void
render_gauge(const char *name, const char *help, double value, void *arg)
{
	evbuffer_add_printf(arg, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n",
	    name, help, name, name, value);
}

/* The standard process_* series, read from /proc and getrusage(2). */
static void
render_process(struct evbuffer *out)
{
	struct rusage ru;
	struct dirent *de;
	long pages = 0, rss = 0;
	double cpu = 0;
	FILE *f;
	DIR *d;
	int fds = 0;

	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				fds++;
		closedir(d);
		fds--; /* the directory stream's own descriptor */
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	render_gauge("process_resident_memory_bytes",
	    "Resident memory size in bytes.",
	    (double)rss * (double)sysconf(_SC_PAGESIZE), out);
	render_gauge("process_open_fds", "Open file descriptors.", fds, out);
	render_gauge("process_start_time_seconds",
	    "Start time of the process since the epoch, in seconds.",
	    (double)m.started_at_ms / 1e3, out);
	evbuffer_add_printf(out,
	    "# HELP process_cpu_seconds_total User and system CPU time.\n"
	    "# TYPE process_cpu_seconds_total counter\n"
	    "process_cpu_seconds_total %.6f\n",
	    cpu);
}
