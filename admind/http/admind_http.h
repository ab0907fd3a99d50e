/*
 * QuotaLane admind: the HTTP server (libmicrohttpd).
 */

#ifndef _ADMIND_HTTP_H_INCLUDED_
#define _ADMIND_HTTP_H_INCLUDED_


#include "admind.h"


/* listens on ctx->conf->listen and serves ctx->router */
int admind_http_start(admind_ctx_t *ctx, char *err, size_t errlen);

/* the bound port (useful with "listen = 127.0.0.1:0") */
unsigned admind_http_port(admind_ctx_t *ctx);

/* stops accepting, finishes, joins the threads (their connections close) */
void admind_http_stop(admind_ctx_t *ctx);


#endif /* _ADMIND_HTTP_H_INCLUDED_ */
