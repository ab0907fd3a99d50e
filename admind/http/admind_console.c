/*
 * QuotaLane admind: the web console's static files, from console_dir
 * (admind.conf; empty: no console, 404).  One directory, no subfolders:
 * a file name is letters, digits, "-", "_" and one "." before a known
 * extension, so no path leaves the directory.  Every file goes with a
 * strict Content-Security-Policy (scripts and styles from admind only,
 * nothing inline, no framing) and is never cached stale.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_config.h"
#include "admind_file.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"


static int admind_console_root(admind_req_t *r);
static int admind_console_file(admind_req_t *r);


const admind_route_t  admind_console_routes[] = {
    { "GET", "/", admind_console_root, ADMIND_ROUTE_PUBLIC, 0 },
    { "GET", "/console", admind_console_root, ADMIND_ROUTE_PUBLIC, 0 },
    { "GET", "/console/{file}", admind_console_file, ADMIND_ROUTE_PUBLIC,
      0 },
    { NULL, NULL, NULL, 0, 0 }
};


#define ADMIND_CONSOLE_FILE_MAX  (2 * 1024 * 1024)
#define ADMIND_CONSOLE_NAME_MAX  64

#define ADMIND_CONSOLE_CSP                                                    \
    "default-src 'none'; script-src 'self'; style-src 'self'; "               \
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "             \
    "form-action 'self'; frame-ancestors 'none'"


static const struct {
    const char  *ext;
    const char  *type;
} admind_console_types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { NULL, NULL }
};


/* the content type of a safe file name, or NULL for any other name */
static const char *
admind_console_type(const char *name)
{
    size_t       i, len, n;
    const char  *dot;

    len = strlen(name);

    if (len == 0 || len > ADMIND_CONSOLE_NAME_MAX
        || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_.") != len
        || name[0] == '.' || (dot = strchr(name, '.')) == NULL
        || strchr(dot + 1, '.') != NULL)
    {
        return NULL;
    }

    for (i = 0; admind_console_types[i].ext; i++) {
        n = strlen(admind_console_types[i].ext);
        if (len - (dot - name) == n
            && strcmp(dot, admind_console_types[i].ext) == 0)
        {
            return admind_console_types[i].type;
        }
    }

    return NULL;
}


/* the console's own headers, on every file it serves */
static void
admind_console_headers(admind_req_t *r)
{
    admind_resp_header(r, "Content-Security-Policy", ADMIND_CONSOLE_CSP);
    admind_resp_header(r, "X-Frame-Options", "DENY");
    admind_resp_header(r, "Referrer-Policy", "no-referrer");
}


static int
admind_console_root(admind_req_t *r)
{
    if (r->ctx->conf->console_dir[0] == '\0') {
        return admind_resp_error(r, 404, "not_found", "no web console "
                                 "(console_dir is not set)");
    }

    admind_resp_header(r, "Location", "/console/index.html");

    return admind_resp_empty(r, 302);
}


static int
admind_console_file(admind_req_t *r)
{
    int             n;
    char            path[4096], err[256];
    size_t          len;
    const char     *name, *type;
    unsigned char  *data;

    name = admind_req_param(r, "file");
    type = name ? admind_console_type(name) : NULL;

    if (r->ctx->conf->console_dir[0] == '\0' || type == NULL) {
        return admind_resp_error(r, 404, "not_found", "no such file");
    }

    n = snprintf(path, sizeof(path), "%s/%s", r->ctx->conf->console_dir,
                 name);
    if (n < 0 || (size_t) n >= sizeof(path)
        || admind_file_read(path, ADMIND_CONSOLE_FILE_MAX, &data, &len, err,
                            sizeof(err))
           != ADMIND_OK)
    {
        return admind_resp_error(r, 404, "not_found", "no such file");
    }

    r->resp_body = (char *) data;
    r->resp_len = len;
    r->resp_type = type;
    r->status = 200;

    admind_console_headers(r);

    return r->status;
}
