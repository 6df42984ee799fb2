/*
 * api_session.h - the session endpoints of protocol v1.
 */
#ifndef STATELAB_COMMON_API_SESSION_H
#define STATELAB_COMMON_API_SESSION_H

struct request;

/*
 * Handlers for the route table in api.c.  Each answers rq exactly once,
 * now or when the store completes, and frees it.  rest is the part of the
 * path after a prefix route, still percent-encoded ("" otherwise).
 */
void api_session_create(
    struct request *rq, const char *rest); /* POST /api/sessions */
void api_session_get(
    struct request *rq, const char *rest); /* GET /api/session */
void api_session_delete(
    struct request *rq, const char *rest); /* DELETE /api/session */
void api_session_counter(
    struct request *rq, const char *rest); /* POST .../counter */
void api_session_data_get(struct request *rq, const char *rest);
void api_session_data_put(struct request *rq, const char *rest);
void api_session_data_delete(struct request *rq, const char *rest);

/*
 * Map a store result to its HTTP answer: status, problem type and a
 * detail that says what to do (HS-12).  detail from the store, if any,
 * wins over the generic one.  Frees rq.
 */
void api_session_send_error(struct request *rq, int rc, const char *detail);

#endif /* STATELAB_COMMON_API_SESSION_H */
