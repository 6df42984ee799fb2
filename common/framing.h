/*
 * framing.h - refuse requests whose framing two HTTP parsers could read
 * differently (request smuggling), before any handler runs.
 */
#ifndef STATELAB_COMMON_FRAMING_H
#define STATELAB_COMMON_FRAMING_H

struct evkeyvalq;

/*
 * Check the headers evhttp parsed: field names are tokens (no blank
 * before the colon); Content-Length, if present, is digits only and all
 * its copies agree; Transfer-Encoding, if present, is one header saying
 * exactly "chunked" and comes without Content-Length.  evhttp 2.1 frames
 * by the first Content-Length and treats any coding but "chunked" as no
 * body, so a request failing these checks may have left bytes that a
 * proxy in front would read differently.  The caller answers 400 with
 * "Connection: close" so that nothing after it on the connection is
 * read.  Returns 0, or -1 with *why set to a static sentence for the
 * client.
 */
int framing_check(const struct evkeyvalq *headers, const char **why);

#endif /* STATELAB_COMMON_FRAMING_H */
