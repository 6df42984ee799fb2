/*
 * json_out.h - the JSON documents of protocol v1: session and instance.
 */
#ifndef STATELAB_COMMON_JSON_OUT_H
#define STATELAB_COMMON_JSON_OUT_H

struct api_ctx;
struct json_t;
struct session;

/*
 * The session document: user, counter, data, created_at, updated_at,
 * expires_at, created_by, served_by {instance, service, store, boot_id},
 * and token when s->token is set.  Returns a new reference, or NULL when
 * out of memory.  s and ctx are borrowed.
 */
struct json_t *json_out_session(
    const struct session *s, const struct api_ctx *ctx);

/*
 * The served_by object {instance, service, store, boot_id}.  Returns a
 * new reference, or NULL.  It does not change during a process's life,
 * so service.c makes it once (json_out_served_by_init).
 */
struct json_t *json_out_served_by(const struct api_ctx *ctx);

/*
 * Make ctx->served_by and its compact text ctx->served_by_text, which
 * every session document shares.  Returns 0, or -1 when out of memory.
 * json_out_served_by_free() releases both.
 */
int json_out_served_by_init(struct api_ctx *ctx);
void json_out_served_by_free(struct api_ctx *ctx);

/*
 * The /api/info document: service, instance, store, version, boot_id,
 * started_at, uptime_s, sessions, ready, plus the store's own facts.
 * Returns a new reference, or NULL.
 */
struct json_t *json_out_info(const struct api_ctx *ctx);

#endif /* STATELAB_COMMON_JSON_OUT_H */
