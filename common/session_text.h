/*
 * session_text.h - the session document written as text, the fast way.
 */
#ifndef STATELAB_COMMON_SESSION_TEXT_H
#define STATELAB_COMMON_SESSION_TEXT_H

struct api_ctx;
struct evbuffer;
struct session;

/* Documents that fit this many bytes are written without jansson values. */
#define SESSION_TEXT_STACK 4096

/*
 * Append the session document to out as compact JSON: exactly the text
 * json_dumpb(json_out_session(s, ctx), JSON_COMPACT) would give, written
 * without building it when every string in it needs no escaping.
 * Returns 0, or -1 when out of memory (out may hold part of it).
 */
int session_text_write(
    const struct session *s, const struct api_ctx *ctx, struct evbuffer *out);

/*
 * Is str its own JSON string encoding: printable ASCII with no '"' and
 * no '\\'?
 */
int session_text_is_plain(const char *str);

#endif /* STATELAB_COMMON_SESSION_TEXT_H */
