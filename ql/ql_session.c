/*
 * Sticky-session hash (see ql_session.h for the rules).
 */

#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ql_session.h"


/* Feeds a content value (string or array of blocks) to the digest. */
static int
ql_session_feed(EVP_MD_CTX *md, const json_t *content, int cached_only)
{
    int            fed;
    size_t         i;
    const json_t  *block, *text;

    if (json_is_string(content)) {
        if (cached_only) {
            return 0;
        }

        EVP_DigestUpdate(md, json_string_value(content),
                         json_string_length(content));
        return json_string_length(content) > 0;
    }

    if (!json_is_array(content)) {
        return 0;
    }

    fed = 0;

    json_array_foreach(content, i, block) {
        if (cached_only && json_object_get(block, "cache_control") == NULL) {
            continue;
        }

        text = json_object_get(block, "text");
        if (json_is_string(text) && json_string_length(text) > 0) {
            EVP_DigestUpdate(md, json_string_value(text),
                             json_string_length(text));
            fed = 1;
        }
    }

    return fed;
}


/* a member's value decoded alone; NULL when absent */
static json_t *
ql_session_member(const ql_session_request_t *req, const ql_json_span_t *v)
{
    if (v->end == 0) {
        return NULL;
    }

    return json_loadb((const char *) req->body + v->start, v->end - v->start,
                      JSON_DECODE_ANY, NULL);
}


/* the first element of an array member, decoded alone */
static json_t *
ql_session_first(const ql_session_request_t *req, const ql_json_span_t *v)
{
    ql_json_span_t  first;

    if (v->end == 0
        || ql_json_array_first(req->body + v->start, v->end - v->start,
                               &first)
           != 1)
    {
        return NULL;
    }

    first.start += v->start;
    first.end += v->start;

    return ql_session_member(req, &first);
}


/* the member decoded, fed, freed; returns whether it fed anything */
static int
ql_session_step(EVP_MD_CTX *md, json_t *value, const char *field,
    int cached_only)
{
    int  fed;

    fed = ql_session_feed(md, field ? json_object_get(value, field) : value,
                          cached_only);
    json_decref(value);

    return fed;
}


/* Only what the rule reaches is decoded, member by member. */
static int
ql_session_text(EVP_MD_CTX *md, const ql_session_request_t *req)
{
    int            fed;
    json_t        *metadata, *key, *system;
    const char    *id, *s;
    const json_t  *user;

    metadata = ql_session_member(req, &req->metadata);
    user = json_object_get(metadata, "user_id");
    fed = 0;

    if (json_is_string(user)) {
        id = json_string_value(user);
        s = strstr(id, "_session_");
        if (s != NULL && s[9] != '\0') {
            EVP_DigestUpdate(md, s + 9, strlen(s + 9));
            fed = 1;
        }
    }

    json_decref(metadata);

    if (fed) {
        return 1;
    }

    /* OpenAI Responses and chat: Codex sends its session id here */
    key = ql_session_member(req, &req->prompt_cache_key);

    if (json_is_string(key) && json_string_length(key) > 0) {
        EVP_DigestUpdate(md, json_string_value(key), json_string_length(key));
        json_decref(key);
        return 1;
    }

    json_decref(key);

    system = ql_session_member(req, &req->system);
    fed = ql_session_feed(md, system, 1) || ql_session_feed(md, system, 0);
    json_decref(system);

    /* else the first message; Gemini: its system instruction, else the
       first content's parts */
    return fed
           || ql_session_step(md, ql_session_first(req, &req->messages),
                              "content", 0)
           || ql_session_step(md, ql_session_member(req,
                                                    &req->system_instruction),
                              "parts", 0)
           || ql_session_step(md, ql_session_first(req, &req->contents),
                              "parts", 0);
}


/* The hash's first QL_SESSION_HEX hex digits. */
static int
ql_session_finish(EVP_MD_CTX *md, char out[QL_SESSION_HEX])
{
    static const char  hex[] = "0123456789abcdef";

    size_t         i;
    unsigned int   n;
    unsigned char  digest[EVP_MAX_MD_SIZE];

    if (EVP_DigestFinal_ex(md, digest, &n) != 1) {
        return 0;
    }

    for (i = 0; i < QL_SESSION_HEX / 2; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }

    return 1;
}


int
ql_session_hash(const ql_session_request_t *request, const unsigned char *id,
    size_t id_len, char out[QL_SESSION_HEX])
{
    int          rc;
    EVP_MD_CTX  *md;

    if (id_len == 0 && request == NULL) {
        return 0;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return 0;
    }

    rc = 0;

    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
        if (id_len) {
            rc = EVP_DigestUpdate(md, id, id_len) == 1;

        } else {
            rc = ql_session_text(md, request);
        }

        rc = rc && ql_session_finish(md, out);
    }

    EVP_MD_CTX_free(md);

    return rc;
}
