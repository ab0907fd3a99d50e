/*
 * Account credentials: the envelope from the account record opened under
 * the master key (ql_crypto), cached per worker by account id and
 * credential version, wiped when the worker exits.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


#define NGX_HTTP_QUOTALANE_CRED_CACHE_MAX  4096


/* Decrypted credentials, per worker: never in shared memory or logs. */
typedef struct {
    ngx_str_node_t             sn;       /* "id:version" */
    ngx_str_t                  secret;
    ql_sigv4_key_t             sigv4;    /* Bedrock: the day's key */
} ngx_http_quotalane_cred_t;


static ngx_rbtree_t       ngx_http_quotalane_creds;
static ngx_rbtree_node_t  ngx_http_quotalane_creds_sentinel;
static ngx_uint_t         ngx_http_quotalane_ncreds;


/*
 * The picked account's secret in clear: from this worker's cache when the
 * account and credential version were seen before, else opened under the
 * master key (and cached, up to a bound).  NULL: it cannot be used.
 */
ngx_str_t *
ngx_http_quotalane_credential(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_str_t  *envelope = &ctx->account.envelope;
    ngx_str_t  *version = &ctx->account.cred_version;

    u_char                          *p;
    size_t                           len;
    uint32_t                         hash;
    ngx_str_t                        name;
    ngx_http_quotalane_cred_t       *cred;
    ngx_http_quotalane_main_conf_t  *qmcf;

    if (ngx_http_quotalane_creds.root == NULL) {
        ngx_rbtree_init(&ngx_http_quotalane_creds,
                        &ngx_http_quotalane_creds_sentinel,
                        ngx_str_rbtree_insert_value);
    }

    name.len = ctx->account.id.len + 1 + version->len;
    name.data = ngx_pnalloc(r->pool, name.len);
    if (name.data == NULL) {
        return NULL;
    }

    p = ngx_cpymem(name.data, ctx->account.id.data, ctx->account.id.len);
    *p++ = ':';
    ngx_memcpy(p, version->data, version->len);

    hash = ngx_crc32_short(name.data, name.len);

    cred = (ngx_http_quotalane_cred_t *)
               ngx_str_rbtree_lookup(&ngx_http_quotalane_creds, &name, hash);
    if (cred) {
        ctx->account.sigv4 = &cred->sigv4;
        return &cred->secret;
    }

    ctx->account.sigv4 = NULL;

    if (envelope->len < QL_ENVELOPE_OVERHEAD) {
        return NULL;
    }

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    len = envelope->len - QL_ENVELOPE_OVERHEAD;

    cred = ngx_alloc(sizeof(ngx_http_quotalane_cred_t) + name.len + len,
                     r->connection->log);
    if (cred == NULL) {
        return NULL;
    }

    cred->secret.data = (u_char *) cred + sizeof(ngx_http_quotalane_cred_t);
    cred->sigv4.valid = 0;
    cred->sn.str.data = cred->secret.data + len;

    if (ql_envelope_open(qmcf->master_key, ctx->account.id.data,
                         ctx->account.id.len, envelope->data, envelope->len,
                         cred->secret.data, &cred->secret.len)
        != 0)
    {
        ngx_free(cred);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: credential of account \"%V\" does not "
                      "decrypt under the configured master key",
                      &ctx->account.id);
        return NULL;
    }

    /* bounded: past the cap, decrypt on every request instead */
    if (ngx_http_quotalane_ncreds >= NGX_HTTP_QUOTALANE_CRED_CACHE_MAX) {
        p = ngx_pnalloc(r->pool, cred->secret.len);
        if (p == NULL) {
            ql_wipe(cred->secret.data, cred->secret.len);
            ngx_free(cred);
            return NULL;
        }

        ngx_memcpy(p, cred->secret.data, cred->secret.len);
        ctx->account.credential.data = p;
        ctx->account.credential.len = cred->secret.len;
        ql_wipe(cred->secret.data, cred->secret.len);
        ngx_free(cred);
        return &ctx->account.credential;
    }

    ngx_memcpy(cred->sn.str.data, name.data, name.len);
    cred->sn.str.len = name.len;
    cred->sn.node.key = hash;
    ngx_rbtree_insert(&ngx_http_quotalane_creds, &cred->sn.node);
    ngx_http_quotalane_ncreds++;

    ctx->account.sigv4 = &cred->sigv4;

    return &cred->secret;
}


/* Worker exit: decrypted credentials are wiped, not left to the OS. */
void
ngx_http_quotalane_credential_exit_process(void)
{
    ngx_rbtree_t               *tree = &ngx_http_quotalane_creds;
    ngx_rbtree_node_t          *node;
    ngx_http_quotalane_cred_t  *cred;

    if (tree->root == NULL) {
        return;
    }

    while (tree->root != tree->sentinel) {
        node = ngx_rbtree_min(tree->root, tree->sentinel);
        ngx_rbtree_delete(tree, node);

        cred = (ngx_http_quotalane_cred_t *) node;
        ql_wipe(cred->secret.data, cred->secret.len);
        ql_wipe(&cred->sigv4, sizeof(ql_sigv4_key_t));
        ngx_free(node);
    }

    ngx_http_quotalane_ncreds = 0;
}
