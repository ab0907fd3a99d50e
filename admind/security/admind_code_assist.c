/*
 * QuotaLane admind: the Code Assist project lookup (see
 * admind_code_assist.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "admind_fetch.h"
#include "admind_code_assist.h"


/* onboardUser is asked this often, this far apart, until it is done */
#define ADMIND_CODE_ASSIST_TRIES     5
#define ADMIND_CODE_ASSIST_PAUSE_S   2


/* one v1internal call; the answer's JSON object, or NULL (err says) */
static json_t *
admind_code_assist_call(const char *base, const char *addr,
    const char *method, const char *token, json_t *req, int *refused,
    char *err, size_t errlen)
{
    int                     n;
    char                    url[640], *auth, *body, why[ADMIND_ERRLEN];
    json_t                 *root, *v;
    size_t                  len;
    admind_fetch_t          f;
    admind_fetch_answer_t   a;
    const char             *headers[3];

    *refused = 0;

    n = snprintf(url, sizeof(url), "%s/v1internal:%s", base, method);
    len = strlen(token) + sizeof("Authorization: Bearer ");
    auth = malloc(len);
    body = json_dumps(req, JSON_COMPACT);

    if (n < 0 || (size_t) n >= sizeof(url) || auth == NULL || body == NULL) {
        free(auth);
        free(body);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    snprintf(auth, len, "Authorization: Bearer %s", token);
    headers[0] = auth;
    headers[1] = "Content-Type: application/json";
    headers[2] = NULL;

    memset(&f, 0, sizeof(f));
    f.url = url;
    f.body = body;
    f.headers = headers;
    f.connect_addr = addr;

    n = admind_fetch(&f, &a, why, sizeof(why));

    OPENSSL_cleanse(auth, strlen(auth));
    free(auth);
    free(body);

    if (n != ADMIND_OK) {
        snprintf(err, errlen, "Code Assist %s: %s", method, why);
        return NULL;
    }

    root = json_loadb(a.body, a.len, 0, NULL);

    if (a.status != 200 || !json_is_object(root)) {
        v = json_object_get(json_object_get(root, "error"), "message");
        snprintf(err, errlen, "Code Assist %s answered %ld%s%.128s", method,
                 a.status, json_is_string(v) ? ": " : "",
                 json_is_string(v) ? json_string_value(v) : "");
        *refused = a.status >= 400 && a.status < 500;
        json_decref(root);
        root = NULL;
    }

    admind_fetch_free(&a);

    return root;
}


static void
admind_code_assist_copy(char *to, json_t *v)
{
    if (json_is_string(v)
        && json_string_length(v) < ADMIND_CODE_ASSIST_ID_MAX)
    {
        strcpy(to, json_string_value(v));
    }
}


/* the tier to onboard to: the one Google marks default, else free */
static const char *
admind_code_assist_default_tier(json_t *load)
{
    size_t   i;
    json_t  *tier;

    json_array_foreach(json_object_get(load, "allowedTiers"), i, tier) {
        if (json_is_true(json_object_get(tier, "isDefault"))
            && json_is_string(json_object_get(tier, "id")))
        {
            return json_string_value(json_object_get(tier, "id"));
        }
    }

    return "free-tier";
}


int
admind_code_assist_project(const char *base, const char *addr,
    const char *access_token, const char *project, admind_code_assist_t *out,
    char *err, size_t errlen)
{
    int      refused, tries;
    json_t  *meta, *req, *load, *op, *v;

    memset(out, 0, sizeof(admind_code_assist_t));

    meta = json_pack("{s:s,s:s,s:s}", "ideType", "IDE_UNSPECIFIED",
                     "platform", "PLATFORM_UNSPECIFIED",
                     "pluginType", "GEMINI");
    if (meta == NULL) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    if (project != NULL) {
        json_object_set_new(meta, "duetProject", json_string(project));
    }

    req = json_pack("{s:O}", "metadata", meta);
    if (req != NULL && project != NULL) {
        json_object_set_new(req, "cloudaicompanionProject",
                            json_string(project));
    }

    load = req ? admind_code_assist_call(base, addr, "loadCodeAssist",
                                         access_token, req, &refused, err,
                                         errlen)
               : NULL;
    json_decref(req);

    if (load == NULL) {
        json_decref(meta);
        return refused ? ADMIND_DECLINED : ADMIND_ERROR;
    }

    /* a user with a tier has a project already */
    if (json_is_object(json_object_get(load, "currentTier"))) {
        admind_code_assist_copy(out->tier, json_object_get(
                                    json_object_get(load, "currentTier"),
                                    "id"));
        admind_code_assist_copy(out->project,
                                json_object_get(load,
                                                "cloudaicompanionProject"));
        if (out->project[0] == '\0' && project != NULL) {
            snprintf(out->project, sizeof(out->project), "%s", project);
        }
    }

    if (out->project[0] != '\0') {
        json_decref(load);
        json_decref(meta);
        return ADMIND_OK;
    }

    snprintf(out->tier, sizeof(out->tier), "%.127s",
             admind_code_assist_default_tier(load));
    json_decref(load);

    req = json_pack("{s:s,s:o}", "tierId", out->tier, "metadata", meta);
    if (req != NULL && project != NULL) {
        json_object_set_new(req, "cloudaicompanionProject",
                            json_string(project));
    }

    for (tries = 0; req != NULL && tries < ADMIND_CODE_ASSIST_TRIES;
         tries++)
    {
        if (tries > 0) {
            sleep(ADMIND_CODE_ASSIST_PAUSE_S);
        }

        op = admind_code_assist_call(base, addr, "onboardUser", access_token,
                                     req, &refused, err, errlen);
        if (op == NULL) {
            json_decref(req);
            return refused ? ADMIND_DECLINED : ADMIND_ERROR;
        }

        if (json_is_true(json_object_get(op, "done"))) {
            v = json_object_get(json_object_get(op, "response"),
                                "cloudaicompanionProject");
            admind_code_assist_copy(out->project, json_object_get(v, "id"));
            json_decref(op);
            break;
        }

        json_decref(op);
    }

    json_decref(req);

    if (out->project[0] == '\0') {
        snprintf(err, errlen, "Code Assist named no project for this "
                 "account (give projectId)");
        return ADMIND_DECLINED;
    }

    return ADMIND_OK;
}
