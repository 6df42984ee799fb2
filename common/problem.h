/*
 * problem.h - RFC 9457 application/problem+json replies.
 */
#ifndef STATELAB_COMMON_PROBLEM_H
#define STATELAB_COMMON_PROBLEM_H

#include <stddef.h>

struct request;

/* Problem types are this prefix plus a slug, e.g. ".../session-not-found". */
#define PROBLEM_TYPE_BASE "https://statelab.dev/problems/"

/*
 * Answer rq with a problem document: type is a slug appended to
 * PROBLEM_TYPE_BASE, title comes from the status, detail says what went
 * wrong and what to do.  The only writer of application/problem+json
 * (HS-12).  Frees rq.
 */
void problem_send(
    struct request *rq, int status, const char *type, const char *detail);

/*
 * 405 with an Allow header built from allow, a mask of EVHTTP_REQ_*.
 * Frees rq.
 */
void problem_send_405(struct request *rq, unsigned allow);

/* The standard reason phrase for status ("Not Found"). */
const char *problem_title(int status);

/* Write the Allow list for mask into buf ("GET, HEAD, DELETE"). */
void problem_allow_list(unsigned allow, char *buf, size_t len);

#endif /* STATELAB_COMMON_PROBLEM_H */
