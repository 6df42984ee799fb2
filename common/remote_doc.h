/*
 * remote_doc.h - read the documents of protocol v1 that a store answers.
 */
#ifndef STATELAB_COMMON_REMOTE_DOC_H
#define STATELAB_COMMON_REMOTE_DOC_H

#include <stdint.h>

#include "session.h"

struct json_t;

/*
 * The store_rc that an error answer stands for: status and, for 401 and
 * 503, the problem's type (doc may be NULL).  Unknown answers are
 * STORE_UNAVAIL.
 */
enum store_rc remote_doc_problem_rc(int status, const struct json_t *doc);

/*
 * View the session document doc as s: strings and data are borrowed from
 * doc, the times parsed, store_instance is served_by.instance.  Returns
 * 0, or -1 when doc is not a session document.
 */
int remote_doc_session(const struct json_t *doc, struct session *s);

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.fff]Z" (or with a +hh:mm / -hh:mm offset)
 * into ms since the epoch.  Returns 0, or -1 if it is not that.
 */
int remote_doc_time(const char *t, int64_t *ms);

#endif /* STATELAB_COMMON_REMOTE_DOC_H */
