/*
 * api_admin.h - fault knobs for demos and platform tests, off by default.
 */
#ifndef STATELAB_COMMON_API_ADMIN_H
#define STATELAB_COMMON_API_ADMIN_H

struct request;

/*
 * POST /api/admin/ready {"ready": false|true}: turn readiness off or on
 * (the process keeps serving; /readyz answers 503 while off).
 * 404 unless the server runs with --admin.  Frees rq.
 */
void api_admin_ready(struct request *rq, const char *rest);

/*
 * POST /api/admin/crash: answer 202, then exit(1) like a crashing
 * process, without draining.  404 unless --admin.  Frees rq.
 */
void api_admin_crash(struct request *rq, const char *rest);

#endif /* STATELAB_COMMON_API_ADMIN_H */
