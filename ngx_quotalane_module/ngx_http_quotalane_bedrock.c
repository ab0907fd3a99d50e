/*
 * AWS Bedrock accounts: a Claude request as Bedrock takes it.  The model
 * goes from the body into the path (/model/<id>/invoke, or
 * /invoke-with-response-stream for a stream), the body is rewritten
 * (ql_bedrock_request.h), and the request is signed with AWS SigV4 over
 * that body (ql_sigv4.h), with nginx's cached time and a signing key
 * derived once a day per account and worker; an account with a Bedrock
 * API key instead of an IAM key sends it as a bearer token.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"
#include "ql_bedrock_request.h"


/*
 * The model id Bedrock gets, as the account's upstream model: the
 * account's modelMap entry, else the inference profile of the requested
 * model in the account's region, else the name as requested.
 */
ngx_int_t
ngx_http_quotalane_bedrock_model(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char                        *p;
    size_t                         n;
    ngx_http_quotalane_account_t  *a = &ctx->account;

    if (a->upstream_model.len) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, QL_BEDROCK_MODEL_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = ql_bedrock_model(ctx->sched_model.data, ctx->sched_model.len,
                         a->aws_region.data, a->aws_region.len, p);

    if (n) {
        a->upstream_model.data = p;
        a->upstream_model.len = n;
    }

    return NGX_OK;
}


/*
 * The body Bedrock gets, in *body: the client's without model and
 * stream, with Bedrock's anthropic_version and the client's
 * anthropic-beta values, which then do not go as a header.
 */
ngx_int_t
ngx_http_quotalane_bedrock_body(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *body)
{
    u_char     *p;
    size_t      n;
    ngx_str_t  *betas = &ctx->upstream_anthropic_beta;

    p = ngx_pnalloc(r->pool, ql_bedrock_body_size(ctx->body.len,
                                                  betas->len));
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = ql_bedrock_body(ctx->body.data, ctx->body.len, betas->data,
                        betas->len, p);
    if (n == 0) {
        return NGX_ERROR;
    }

    ngx_str_null(betas);

    body->data = p;
    body->len = n;

    return NGX_OK;
}


#define NGX_HTTP_QUOTALANE_SIGV4_AUTH_MAX  512


/*
 * Signs the request as it goes upstream: the Host nginx sends (the
 * account's host), x-amz-date from nginx's cached time, the session
 * token if the credential holds one ("secret\ntoken"), the body built
 * for Bedrock.  The values go out through $quotalane_upstream_*.
 */
ngx_int_t
ngx_http_quotalane_bedrock_sign(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char                        *nl, *body;
    size_t                         body_len;
    ngx_int_t                      n;
    ngx_str_t                      secret, token, *auth;
    ql_sigv4_header_t              h[3];
    ql_sigv4_request_t             req;
    ngx_http_quotalane_account_t  *a = &ctx->account;
    char                           hash[QL_SIGV4_HASH_HEX + 1];
    char                           region[QL_SIGV4_SCOPE_MAX];

    secret = a->credential;
    ngx_str_null(&token);

    nl = ngx_strlchr(secret.data, secret.data + secret.len, '\n');
    if (nl) {
        token.data = nl + 1;
        token.len = secret.data + secret.len - token.data;
        secret.len = nl - secret.data;
    }

    /* the body is ours (bedrock_body): one buffer in memory */
    body = NULL;
    body_len = 0;

    if (r->request_body && r->request_body->bufs) {
        body = r->request_body->bufs->buf->pos;
        body_len = r->request_body->bufs->buf->last - body;
    }

    if (a->aws_region.len == 0 || a->aws_region.len >= sizeof(region) / 2
        || ql_sigv4_sha256_hex(body, body_len, hash) != 0)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(region, a->aws_region.data, a->aws_region.len);
    region[a->aws_region.len] = '\0';

    ctx->upstream_amz_date.data = ngx_pnalloc(r->pool,
                                              QL_SIGV4_AMZ_DATE_LEN + 1);
    auth = &ctx->upstream_authorization;
    auth->data = ngx_pnalloc(r->pool, NGX_HTTP_QUOTALANE_SIGV4_AUTH_MAX);
    if (ctx->upstream_amz_date.data == NULL || auth->data == NULL) {
        return NGX_ERROR;
    }

    if (ql_sigv4_amz_date(ngx_time(), (char *) ctx->upstream_amz_date.data)
        != 0)
    {
        return NGX_ERROR;
    }

    ctx->upstream_amz_date.len = QL_SIGV4_AMZ_DATE_LEN;

    h[0].name = "host";
    h[0].name_len = 4;
    h[0].value = (const char *) a->host.data;
    h[0].value_len = a->host.len;
    h[1].name = "x-amz-date";
    h[1].name_len = 10;
    h[1].value = (const char *) ctx->upstream_amz_date.data;
    h[1].value_len = QL_SIGV4_AMZ_DATE_LEN;
    h[2].name = "x-amz-security-token";
    h[2].name_len = 20;
    h[2].value = (const char *) token.data;
    h[2].value_len = token.len;

    ngx_memzero(&req, sizeof(ql_sigv4_request_t));
    req.method = "POST";
    req.path = (const char *) ctx->upstream_uri.data;
    req.path_len = ctx->upstream_uri.len;
    req.headers = h;
    req.nheaders = token.len ? 3 : 2;
    req.payload_hash = hash;
    req.time = ngx_time();
    req.region = region;
    req.service = "bedrock";
    req.access_key_id = (const char *) a->aws_access_key_id.data;
    req.access_key_id_len = a->aws_access_key_id.len;
    req.secret = (const char *) secret.data;
    req.secret_len = secret.len;

    n = ql_sigv4_sign(&req, a->sigv4, (char *) auth->data,
                      NGX_HTTP_QUOTALANE_SIGV4_AUTH_MAX);
    if (n < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: cannot sign the request for Bedrock "
                      "account \"%V\"", &a->id);
        return NGX_ERROR;
    }

    auth->len = (size_t) n;
    ctx->upstream_amz_security_token = token;

    return NGX_OK;
}


/* Bedrock's error body is held up to this, for its message */
#define NGX_HTTP_QUOTALANE_BEDROCK_ERROR_HOLD  8192
#define NGX_HTTP_QUOTALANE_BEDROCK_ERROR_MAX   (2 * 8192)


/* The answer's transform: a stream converted, or an error reshaped. */
typedef struct {
    ql_bedrock_stream_t          stream;
    ngx_http_quotalane_ctx_t    *ctx;
    ql_bedrock_error_t           error;     /* error mode: status != 0 */
    size_t                       held;
    u_char                      *hold;
    unsigned                     logged:1;      /* a broken stream */
    unsigned                     feedback:1;    /* exception reported */
} ngx_http_quotalane_bedrock_xform_t;


static int
ngx_http_quotalane_bedrock_feed(void *state, const unsigned char *p,
    size_t len, ql_emit_pt emit, void *data)
{
    size_t                               n;
    ngx_http_quotalane_ctx_t            *ctx;
    ngx_http_quotalane_bedrock_xform_t  *bx = state;

    if (bx->error.status) {
        n = ngx_min(len, NGX_HTTP_QUOTALANE_BEDROCK_ERROR_HOLD - bx->held);
        ngx_memcpy(bx->hold + bx->held, p, n);
        bx->held += n;
        return 0;
    }

    if (ql_bedrock_stream_feed(&bx->stream, p, len, emit, data) != 0) {
        return -1;
    }

    ctx = bx->ctx;

    if (bx->stream.es.reason && !bx->logged) {
        bx->logged = 1;
        ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                      "quotalane: Bedrock account \"%V\": %s",
                      &ctx->account.id, bx->stream.es.reason);
    }

    /* an exception in the stream: the account hears of it, once */
    if (bx->stream.error.status && !bx->feedback) {
        bx->feedback = 1;
        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "quotalane: Bedrock account \"%V\" stream ended with "
                      "%s", &ctx->account.id, bx->stream.exception);
        ngx_http_quotalane_feedback(ctx->request, ctx,
                                    bx->stream.error.status,
                                    ctx->request->upstream);
    }

    return 0;
}


static int
ngx_http_quotalane_bedrock_finish(void *state, ql_emit_pt emit, void *data)
{
    size_t                               n;
    u_char                              *out;
    ngx_http_quotalane_bedrock_xform_t  *bx = state;

    if (bx->error.status == 0) {
        return ql_bedrock_stream_finish(&bx->stream, emit, data);
    }

    out = ngx_pnalloc(bx->ctx->request->pool,
                      NGX_HTTP_QUOTALANE_BEDROCK_ERROR_MAX);
    if (out == NULL) {
        return -1;
    }

    n = ql_bedrock_error_body(bx->error.type, bx->hold, bx->held, out,
                              NGX_HTTP_QUOTALANE_BEDROCK_ERROR_MAX);
    if (n == 0) {
        return -1;
    }

    return emit(data, out, n);
}


/* Every answer of a Bedrock account is transformed but a JSON success. */
ngx_int_t
ngx_http_quotalane_bedrock_xform(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_xform_t *x)
{
    ngx_http_quotalane_bedrock_xform_t  *bx;

    bx = ngx_pcalloc(r->pool, sizeof(ngx_http_quotalane_bedrock_xform_t));
    if (bx == NULL) {
        return NGX_ERROR;
    }

    bx->ctx = ctx;

    x->state = bx;
    x->feed = ngx_http_quotalane_bedrock_feed;
    x->finish = ngx_http_quotalane_bedrock_finish;
    x->usage = ctx;
    x->bedrock = 1;

    return NGX_OK;
}


/*
 * The answer's header: a stream becomes text/event-stream; an error
 * becomes Anthropic's JSON error, typed by x-amzn-ErrorType.  Returns
 * NGX_DECLINED when the answer passes as it is.
 */
ngx_int_t
ngx_http_quotalane_bedrock_xform_header(ngx_http_request_t *r,
    ngx_http_quotalane_xform_t *x)
{
    u_char                              *mem;
    ngx_table_elt_t                     *type;
    ngx_http_quotalane_bedrock_xform_t  *bx = x->state;

    if (r->headers_out.status == NGX_HTTP_OK) {
        if (!bx->ctx->stream) {
            return NGX_DECLINED;
        }

        mem = ngx_palloc(r->pool, QL_BEDROCK_STREAM_MEMORY);
        if (mem == NULL) {
            return NGX_ERROR;
        }

        ql_bedrock_stream_init(&bx->stream, mem);
        ngx_str_set(&r->headers_out.content_type, "text/event-stream");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = NULL;

        return NGX_OK;
    }

    type = ngx_http_quotalane_upstream_header(r->upstream,
                                              "x-amzn-errortype");

    bx->error = ql_bedrock_error(type ? type->value.data : (u_char *) "",
                                 type ? type->value.len : 0,
                                 r->headers_out.status);

    bx->hold = ngx_pnalloc(r->pool, NGX_HTTP_QUOTALANE_BEDROCK_ERROR_HOLD);
    if (bx->hold == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    return NGX_OK;
}
