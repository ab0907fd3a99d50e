/*
 * The upstream side of a request: what the picked account's vendor is
 * sent (URI by the account type's shape, the credential header,
 * anthropic-beta; Host is the account's host), as values nginx.conf's
 * proxy_set_header uses, and
 * `quotalane_upstream` in an upstream{} block: a balancer that connects to
 * the address of the account the scheduler picked for this request.  Put
 * `keepalive` after it to reuse upstream connections across requests.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


#define NGX_HTTP_QUOTALANE_OAUTH_BETA      "oauth-2025-04-20"


static ngx_int_t ngx_http_quotalane_upstream_init(ngx_conf_t *cf,
    ngx_http_upstream_srv_conf_t *us);
static ngx_int_t ngx_http_quotalane_upstream_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us);
static ngx_int_t ngx_http_quotalane_upstream_get_peer(
    ngx_peer_connection_t *pc, void *data);
static void ngx_http_quotalane_upstream_free_peer(ngx_peer_connection_t *pc,
    void *data, ngx_uint_t state);
#if (NGX_HTTP_SSL)
static ngx_int_t ngx_http_quotalane_upstream_set_session(
    ngx_peer_connection_t *pc, void *data);
static void ngx_http_quotalane_upstream_save_session(
    ngx_peer_connection_t *pc, void *data);
#endif


/*
 * Pieces of the vendor path, joined; the variable ones URI-escaped, as a
 * path (NGX_ESCAPE_URI) or as one segment (NGX_ESCAPE_URI_COMPONENT: all
 * but RFC 3986's unreserved, so a Bedrock model id's ":" is %3A, as
 * AWS's SDKs send it).
 */
typedef struct {
    ngx_str_t    part[8];
    ngx_uint_t   escape[8];     /* 0: as is; else 1 + NGX_ESCAPE_* */
    ngx_uint_t   n;
} ngx_http_quotalane_path_t;


static void
ngx_http_quotalane_path_add(ngx_http_quotalane_path_t *path, u_char *data,
    size_t len, ngx_uint_t escape)
{
    path->part[path->n].data = data;
    path->part[path->n].len = len;
    path->escape[path->n] = escape;
    path->n++;
}

#define ngx_http_quotalane_path_lit(path, s)                                  \
    ngx_http_quotalane_path_add(path, (u_char *) s, sizeof(s) - 1, 0)


/* Gemini's method names, by our endpoint names */
static const char *
ngx_http_quotalane_gemini_method(const char *endpoint)
{
    if (ngx_strcmp(endpoint, "stream") == 0) {
        return "streamGenerateContent";
    }

    if (ngx_strcmp(endpoint, "count_tokens") == 0) {
        return "countTokens";
    }

    return "generateContent";
}


/* The model the vendor gets: the account's mapping, else as scheduled. */
static ngx_str_t *
ngx_http_quotalane_vendor_model(ngx_http_quotalane_ctx_t *ctx)
{
    return ctx->account.upstream_model.len ? &ctx->account.upstream_model
                                           : &ctx->sched_model;
}


/*
 * The vendor's path for the request, by the account type's shape
 * (ql_account_type.h), after the account's base path.
 */
static void
ngx_http_quotalane_vendor_path(ngx_http_quotalane_ctx_t *ctx,
    ngx_http_quotalane_path_t *path)
{
    const char        *endpoint, *method;
    ngx_str_t         *model, *deployment;
    ql_route_match_t  *m = &ctx->match;

    endpoint = ctx->route->endpoint;
    model = ngx_http_quotalane_vendor_model(ctx);

    switch (ctx->account.row->shape) {

    case QL_SHAPE_CODEX:
        ngx_http_quotalane_path_lit(path, "/responses");
        break;

    case QL_SHAPE_AZURE:
        if (ngx_strcmp(endpoint, "responses") == 0) {
            ngx_http_quotalane_path_lit(path, "/openai/responses");
            break;
        }

        deployment = ctx->account.azure_deployment.len
                     ? &ctx->account.azure_deployment : model;

        ngx_http_quotalane_path_lit(path, "/openai/deployments/");
        ngx_http_quotalane_path_add(path, deployment->data, deployment->len,
                                    1);
        ngx_http_quotalane_path_lit(path, "/chat/completions");
        break;

    case QL_SHAPE_GEMINI:
        ngx_http_quotalane_path_lit(path, "/");
        ngx_http_quotalane_path_add(path, (u_char *) m->version.data,
                                    m->version.len, 1);
        ngx_http_quotalane_path_lit(path, "/models");

        if (ngx_strcmp(endpoint, "models") == 0) {
            if (m->id.len) {
                ngx_http_quotalane_path_lit(path, "/");
                ngx_http_quotalane_path_add(path, (u_char *) m->id.data,
                                            m->id.len, 1);
            }
            break;
        }

        method = ngx_http_quotalane_gemini_method(endpoint);

        ngx_http_quotalane_path_lit(path, "/");
        ngx_http_quotalane_path_add(path, model->data, model->len, 1);
        ngx_http_quotalane_path_lit(path, ":");
        ngx_http_quotalane_path_add(path, (u_char *) method,
                                    ngx_strlen(method), 0);
        break;

    case QL_SHAPE_CODE_ASSIST:
        method = ngx_http_quotalane_gemini_method(endpoint);

        ngx_http_quotalane_path_lit(path, "/v1internal:");
        ngx_http_quotalane_path_add(path, (u_char *) method,
                                    ngx_strlen(method), 0);
        break;

    case QL_SHAPE_BEDROCK:
        ngx_http_quotalane_path_lit(path, "/model/");
        ngx_http_quotalane_path_add(path, model->data, model->len,
                                    1 + NGX_ESCAPE_URI_COMPONENT);

        if (ctx->stream) {
            ngx_http_quotalane_path_lit(path, "/invoke-with-response-stream");

        } else {
            ngx_http_quotalane_path_lit(path, "/invoke");
        }

        break;

    case QL_SHAPE_DROID:
        if (ctx->platform->id == QL_PLATFORM_CLAUDE) {
            ngx_http_quotalane_path_lit(path, "/api/llm/a");

        } else {
            ngx_http_quotalane_path_lit(path, "/api/llm/o/v1");
        }

        ngx_http_quotalane_path_add(path, (u_char *) m->path.data,
                                    m->path.len, 1);
        break;

    default:
        /* OpenAI routes match without /v1 (Codex CLI) and for Azure */
        if (ctx->platform->id != QL_PLATFORM_OPENAI) {
            ngx_http_quotalane_path_add(path, (u_char *) m->path.data,
                                        m->path.len, 1);

        } else if (m->model.len) {
            ngx_http_quotalane_path_lit(path, "/v1/chat/completions");

        } else {
            ngx_http_quotalane_path_lit(path, "/v1");
            ngx_http_quotalane_path_add(path, (u_char *) m->path.data,
                                        m->path.len, 1);
        }

        break;
    }
}


/*
 * The URI upstream: the account's base path, the vendor path and only
 * the query parameters the vendor takes (Azure: the account's
 * api-version).
 */
static ngx_int_t
ngx_http_quotalane_upstream_uri(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char                     *p;
    size_t                      len;
    ngx_str_t                   args, *version;
    ngx_uint_t                  i;
    ngx_http_quotalane_path_t   path;

    if (ngx_http_quotalane_route_args(r, ctx, &args) != NGX_OK) {
        return NGX_ERROR;
    }

    /* Bedrock takes no query (Claude Code's ?beta=true is for Anthropic) */
    if (ctx->account.row->shape == QL_SHAPE_BEDROCK) {
        args.len = 0;
    }

    path.n = 0;
    ngx_http_quotalane_path_add(&path, ctx->account.path_prefix.data,
                                ctx->account.path_prefix.len, 0);
    ngx_http_quotalane_vendor_path(ctx, &path);

    version = &ctx->account.azure_api_version;
    if (ctx->account.row->shape != QL_SHAPE_AZURE) {
        version = NULL;
    }

    len = 2 + args.len;
    if (version) {
        len += sizeof("api-version=") + 3 * version->len;
    }

    for (i = 0; i < path.n; i++) {
        len += path.part[i].len;
        if (path.escape[i]) {
            len += 2 * ngx_escape_uri(NULL, path.part[i].data,
                                      path.part[i].len, path.escape[i] - 1);
        }
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->upstream_uri.data = p;

    for (i = 0; i < path.n; i++) {
        if (path.escape[i]) {
            p = (u_char *) ngx_escape_uri(p, path.part[i].data,
                                          path.part[i].len,
                                          path.escape[i] - 1);

        } else {
            p = ngx_cpymem(p, path.part[i].data, path.part[i].len);
        }
    }

    if (args.len || (version && version->len)) {
        *p++ = '?';
        p = ngx_cpymem(p, args.data, args.len);
    }

    if (version && version->len) {
        if (args.len) {
            *p++ = '&';
        }

        p = ngx_cpymem(p, "api-version=", sizeof("api-version=") - 1);
        p = (u_char *) ngx_escape_uri(p, version->data, version->len,
                                      NGX_ESCAPE_ARGS);
    }

    ctx->upstream_uri.len = p - ctx->upstream_uri.data;

    return NGX_OK;
}


/* One change to the request body: [start, end) becomes text. */
typedef struct {
    size_t                      start;
    size_t                      end;
    ngx_str_t                   text;
} ngx_http_quotalane_splice_t;


typedef struct {
    ngx_http_quotalane_splice_t  s[4];
    ngx_uint_t                   n;
} ngx_http_quotalane_splices_t;


static void
ngx_http_quotalane_splice(ngx_http_quotalane_splices_t *sp, size_t start,
    size_t end, u_char *text, size_t len)
{
    ngx_http_quotalane_splice_t  *x;

    x = &sp->s[sp->n++];
    x->start = start;
    x->end = end;
    x->text.data = text;
    x->text.len = len;
}


static u_char *
ngx_http_quotalane_quoted(ngx_pool_t *pool, ngx_str_t *s, size_t *len)
{
    u_char  *p;

    p = ngx_pnalloc(pool, ql_json_quoted_len(s->data, s->len));
    if (p == NULL) {
        return NULL;
    }

    *len = ql_json_quote(s->data, s->len, p);

    return p;
}


#define NGX_HTTP_QUOTALANE_INCLUDE_USAGE  "\"include_usage\":true"
#define NGX_HTTP_QUOTALANE_STREAM_OPTIONS                                     \
    "\"stream_options\":{" NGX_HTTP_QUOTALANE_INCLUDE_USAGE "}"


/*
 * A chat completions stream always asks the vendor for its usage chunk
 * (stream_options.include_usage), else the gateway could not bill it; a
 * client that did not ask gets the chunk stripped again.  Returns 1 if
 * the body was changed.
 */
static ngx_int_t
ngx_http_quotalane_ask_usage(ngx_str_t *body,
    ngx_http_quotalane_splices_t *sp)
{
    int              empty;
    size_t           close;
    ql_json_span_t   opt, inc;

    switch (ql_json_member(body->data, body->len, "stream_options", &opt)) {

    case 0:
        if (ql_json_object_end(body->data, body->len, &close, &empty) != 0) {
            return 0;
        }

        /* the leading comma only after other members */
        ngx_http_quotalane_splice(sp, close, close,
                                  (u_char *) ","
                                  NGX_HTTP_QUOTALANE_STREAM_OPTIONS + empty,
                                  sizeof(NGX_HTTP_QUOTALANE_STREAM_OPTIONS)
                                  - empty);
        return 1;

    case 1:
        break;

    default:
        return 0;
    }

    if (body->data[opt.start] != '{') {
        /* null or anything else: an object of our own */
        ngx_http_quotalane_splice(sp, opt.start, opt.end, (u_char *)
                                  "{" NGX_HTTP_QUOTALANE_INCLUDE_USAGE "}",
                                  sizeof(NGX_HTTP_QUOTALANE_INCLUDE_USAGE)
                                  + 1);
        return 1;
    }

    switch (ql_json_member(body->data + opt.start, opt.end - opt.start,
                           "include_usage", &inc))
    {
    case 1:
        ngx_http_quotalane_splice(sp, opt.start + inc.start,
                                  opt.start + inc.end, (u_char *) "true", 4);
        return 1;

    case 0:
        if (ql_json_object_end(body->data + opt.start, opt.end - opt.start,
                               &close, &empty) != 0)
        {
            return 0;
        }

        /* the trailing comma only before other members */
        ngx_http_quotalane_splice(sp, opt.start + 1, opt.start + 1,
                                  (u_char *)
                                  NGX_HTTP_QUOTALANE_INCLUDE_USAGE ",",
                                  sizeof(NGX_HTTP_QUOTALANE_INCLUDE_USAGE)
                                  - empty);
        return 1;

    default:
        return 0;
    }
}


/* Code Assist takes {"model":..,"project":..,"request":<the body>}. */
static ngx_int_t
ngx_http_quotalane_code_assist_wrap(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *body)
{
    u_char     *p, *model, *project;
    size_t      model_len, project_len;
    ngx_str_t   wrapped;

    model = ngx_http_quotalane_quoted(r->pool,
                                      ngx_http_quotalane_vendor_model(ctx),
                                      &model_len);
    project = ngx_http_quotalane_quoted(r->pool, &ctx->account.project_id,
                                        &project_len);
    if (model == NULL || project == NULL) {
        return NGX_ERROR;
    }

    wrapped.len = sizeof("{\"model\":,\"project\":,\"request\":}") - 1
                  + model_len + project_len + body->len;
    wrapped.data = ngx_pnalloc(r->pool, wrapped.len);
    if (wrapped.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(wrapped.data, "{\"model\":", sizeof("{\"model\":") - 1);
    p = ngx_cpymem(p, model, model_len);
    p = ngx_cpymem(p, ",\"project\":", sizeof(",\"project\":") - 1);
    p = ngx_cpymem(p, project, project_len);
    p = ngx_cpymem(p, ",\"request\":", sizeof(",\"request\":") - 1);
    p = ngx_cpymem(p, body->data, body->len);
    *p = '}';

    *body = wrapped;

    return NGX_OK;
}


/*
 * The body the vendor gets: the client's, with the account's model name
 * where it differs, usage asked for on chat streams, wrapped for Code
 * Assist.  Built anew from the client's body on every attempt, so a
 * failover to another account type starts from what the client sent.
 */
static ngx_int_t
ngx_http_quotalane_upstream_body(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char                        *p, *q;
    size_t                         len, at;
    ngx_str_t                      body, *model;
    ngx_uint_t                     i;
    ql_json_span_t                 span;
    ngx_http_quotalane_splice_t    t;
    ngx_http_quotalane_splices_t   sp;

    ctx->strip_usage = 0;

    if (ctx->body.len == 0 || r->request_body == NULL) {
        return NGX_OK;
    }

    body = ctx->body;
    sp.n = 0;

    if (ctx->account.row->shape == QL_SHAPE_BEDROCK) {
        if (ngx_http_quotalane_bedrock_body(r, ctx, &body) != NGX_OK) {
            return NGX_ERROR;
        }

        goto replace;
    }

    model = ngx_http_quotalane_vendor_model(ctx);

    if (ctx->match.model.len == 0 && ctx->model.len
        && (model->len != ctx->model.len
            || ngx_memcmp(model->data, ctx->model.data, model->len) != 0)
        && ql_json_member(body.data, body.len, "model", &span) == 1)
    {
        q = ngx_http_quotalane_quoted(r->pool, model, &len);
        if (q == NULL) {
            return NGX_ERROR;
        }

        ngx_http_quotalane_splice(&sp, span.start, span.end, q, len);
    }

    if (ctx->stream && !ctx->client_usage
        && ngx_strcmp(ctx->route->endpoint, "chat") == 0)
    {
        ctx->strip_usage = ngx_http_quotalane_ask_usage(&body, &sp);
    }

    if (sp.n) {
        if (sp.n == 2 && sp.s[1].start < sp.s[0].start) {
            t = sp.s[0];
            sp.s[0] = sp.s[1];
            sp.s[1] = t;
        }

        len = body.len;
        for (i = 0; i < sp.n; i++) {
            len += sp.s[i].text.len - (sp.s[i].end - sp.s[i].start);
        }

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        body.data = p;
        at = 0;

        for (i = 0; i < sp.n; i++) {
            p = ngx_cpymem(p, ctx->body.data + at, sp.s[i].start - at);
            p = ngx_cpymem(p, sp.s[i].text.data, sp.s[i].text.len);
            at = sp.s[i].end;
        }

        p = ngx_cpymem(p, ctx->body.data + at, ctx->body.len - at);
        body.len = p - body.data;
    }

    if (ctx->account.row->shape == QL_SHAPE_CODE_ASSIST
        && ngx_http_quotalane_code_assist_wrap(r, ctx, &body) != NGX_OK)
    {
        return NGX_ERROR;
    }

replace:

    /* as the client sent it, and no earlier attempt changed it: as is */
    if (body.data == ctx->body.data && !ctx->body_replaced) {
        return NGX_OK;
    }

    ctx->body_replaced = 1;

    return ngx_http_quotalane_body_set(r, &body);
}


/* The request body proxy_pass sends: body, one buffer in memory. */
ngx_int_t
ngx_http_quotalane_body_set(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->start = body->data;
    b->pos = body->data;
    b->last = body->data + body->len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    r->request_body->bufs = cl;
    r->headers_in.content_length_n = body->len;

    return NGX_OK;
}


/*
 * The client's anthropic-beta values, joined; Claude subscription (OAuth)
 * accounts also need the oauth beta, added once.
 */
static ngx_int_t
ngx_http_quotalane_anthropic_beta(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        i, need_oauth;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    need_oauth = (ctx->platform->id == QL_PLATFORM_CLAUDE
                  && ctx->account.row->oauth);
    len = need_oauth ? sizeof(NGX_HTTP_QUOTALANE_OAUTH_BETA) : 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == 14
                && ngx_strncasecmp(h[i].key.data, (u_char *) "anthropic-beta",
                                   14) == 0)
            {
                len += h[i].value.len + 1;
            }
        }
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->upstream_anthropic_beta.data = p;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len != 14
                || ngx_strncasecmp(h[i].key.data, (u_char *) "anthropic-beta",
                                   14) != 0
                || h[i].value.len == 0)
            {
                continue;
            }

            if (p != ctx->upstream_anthropic_beta.data) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, h[i].value.data, h[i].value.len);

            if (ngx_strlcasestrn(h[i].value.data,
                                 h[i].value.data + h[i].value.len,
                                 (u_char *) NGX_HTTP_QUOTALANE_OAUTH_BETA,
                                 sizeof(NGX_HTTP_QUOTALANE_OAUTH_BETA) - 2))
            {
                need_oauth = 0;
            }
        }
    }

    if (need_oauth) {
        if (p != ctx->upstream_anthropic_beta.data) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, NGX_HTTP_QUOTALANE_OAUTH_BETA,
                       sizeof(NGX_HTTP_QUOTALANE_OAUTH_BETA) - 1);
    }

    ctx->upstream_anthropic_beta.len = p - ctx->upstream_anthropic_beta.data;

    return NGX_OK;
}


/*
 * What goes upstream for the picked account: its credential in the
 * header its type takes, the vendor URI and the anthropic-beta header.
 * nginx.conf sends them with proxy_set_header ($quotalane_upstream_*);
 * Host is the account's host.
 */
ngx_int_t
ngx_http_quotalane_upstream_prepare(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char     *p;
    ngx_str_t  *secret;

    secret = ngx_http_quotalane_credential(r, ctx);
    if (secret == NULL) {
        ctx->error_kind = QL_ERR_API;
        ctx->error_message = "The picked upstream account's credential "
                             "cannot be used.";
        return NGX_DECLINED;
    }

    ctx->account.credential = *secret;

    ngx_str_null(&ctx->upstream_authorization);
    ngx_str_null(&ctx->upstream_x_api_key);
    ngx_str_null(&ctx->upstream_api_key);
    ngx_str_null(&ctx->upstream_goog_api_key);
    ngx_str_null(&ctx->upstream_anthropic_beta);
    ngx_str_null(&ctx->upstream_amz_date);
    ngx_str_null(&ctx->upstream_amz_security_token);

    switch (ctx->account.row->auth) {

    case QL_AUTH_SIGV4:
        /* with an IAM key, signed below; a Bedrock API key is a bearer */
        if (ctx->account.aws_access_key_id.len) {
            break;
        }

        /* fall through */

    case QL_AUTH_BEARER:
        p = ngx_pnalloc(r->pool, sizeof("Bearer ") - 1 + secret->len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ctx->upstream_authorization.data = p;
        p = ngx_cpymem(p, "Bearer ", sizeof("Bearer ") - 1);
        p = ngx_cpymem(p, secret->data, secret->len);
        ctx->upstream_authorization.len = p - ctx->upstream_authorization.data;
        break;

    case QL_AUTH_API_KEY:
        ctx->upstream_api_key = *secret;
        break;

    case QL_AUTH_GOOG_API_KEY:
        ctx->upstream_goog_api_key = *secret;
        break;

    default:
        ctx->upstream_x_api_key = *secret;
        break;
    }

    /* Bedrock takes the betas in the body, the model in the path */
    if (ctx->platform->id == QL_PLATFORM_CLAUDE
        && ngx_http_quotalane_anthropic_beta(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->account.row->shape == QL_SHAPE_BEDROCK
        && ngx_http_quotalane_bedrock_model(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_quotalane_upstream_uri(r, ctx) != NGX_OK
        || ngx_http_quotalane_upstream_body(r, ctx) != NGX_OK
        || ngx_http_quotalane_transform_set(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->account.row->auth == QL_AUTH_SIGV4
        && ctx->account.aws_access_key_id.len
        && ngx_http_quotalane_bedrock_sign(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


char *
ngx_http_quotalane_upstream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_addr_t                    *addr;
    ngx_url_t                      u;
    ngx_http_upstream_server_t    *us;
    ngx_http_upstream_srv_conf_t  *uscf;

    uscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_upstream_module);

    if (uscf->peer.init_upstream) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "load balancing method redefined");
    }

    uscf->peer.init_upstream = ngx_http_quotalane_upstream_init;

    /*
     * nginx insists on a server in every upstream block; ours is never
     * used, the peer comes from the request.
     */
    if (uscf->servers->nelts == 0) {
        ngx_memzero(&u, sizeof(ngx_url_t));
        ngx_str_set(&u.url, "127.0.0.1:1");
        u.default_port = 80;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        addr = u.addrs;

        us = ngx_array_push(uscf->servers);
        if (us == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(us, sizeof(ngx_http_upstream_server_t));
        us->addrs = addr;
        us->naddrs = 1;
        us->weight = 1;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_quotalane_upstream_init(ngx_conf_t *cf,
    ngx_http_upstream_srv_conf_t *us)
{
    us->peer.init = ngx_http_quotalane_upstream_init_peer;

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_upstream_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us)
{
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_quotalane_module);

    if (ctx == NULL || ctx->state != NGX_HTTP_QUOTALANE_STATE_ALLOWED) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: upstream used in a location without "
                      "\"quotalane_gateway\"");
        return NGX_ERROR;
    }

    r->upstream->peer.data = ctx;
    r->upstream->peer.get = ngx_http_quotalane_upstream_get_peer;
    r->upstream->peer.free = ngx_http_quotalane_upstream_free_peer;
    r->upstream->peer.tries = 1;
#if (NGX_HTTP_SSL)
    r->upstream->peer.set_session = ngx_http_quotalane_upstream_set_session;
    r->upstream->peer.save_session = ngx_http_quotalane_upstream_save_session;
#endif

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_upstream_get_peer(ngx_peer_connection_t *pc, void *data)
{
    ngx_http_quotalane_ctx_t  *ctx = data;

    pc->sockaddr = ctx->account.addr.sockaddr;
    pc->socklen = ctx->account.addr.socklen;
    pc->name = &ctx->account.addr.name;
    pc->cached = 0;
    pc->connection = NULL;

    return NGX_OK;
}


static void
ngx_http_quotalane_upstream_free_peer(ngx_peer_connection_t *pc, void *data,
    ngx_uint_t state)
{
    pc->tries = 0;
}


#if (NGX_HTTP_SSL)

/* TLS sessions are not resumed across accounts: nothing to hand over. */
static ngx_int_t
ngx_http_quotalane_upstream_set_session(ngx_peer_connection_t *pc,
    void *data)
{
    return NGX_OK;
}


static void
ngx_http_quotalane_upstream_save_session(ngx_peer_connection_t *pc,
    void *data)
{
}

#endif
