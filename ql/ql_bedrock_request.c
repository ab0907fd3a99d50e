/*
 * An Anthropic Messages request as AWS Bedrock takes it (see
 * ql_bedrock_request.h).
 */

#include <string.h>

#include "ql_bedrock_request.h"
#include "ql_json_member.h"


typedef struct {
    const char  *name;          /* as Anthropic's API names it */
    const char  *id;            /* Bedrock's, without the geography */
} ql_bedrock_model_t;


/* dated names and the aliases Claude Code and the SDKs send */
static const ql_bedrock_model_t  ql_bedrock_models[] = {
    { "claude-opus-4-5-20251101", "anthropic.claude-opus-4-5-20251101-v1:0" },
    { "claude-opus-4-5", "anthropic.claude-opus-4-5-20251101-v1:0" },
    { "claude-sonnet-4-5-20250929",
      "anthropic.claude-sonnet-4-5-20250929-v1:0" },
    { "claude-sonnet-4-5", "anthropic.claude-sonnet-4-5-20250929-v1:0" },
    { "claude-haiku-4-5-20251001",
      "anthropic.claude-haiku-4-5-20251001-v1:0" },
    { "claude-haiku-4-5", "anthropic.claude-haiku-4-5-20251001-v1:0" },
    { "claude-opus-4-1-20250805", "anthropic.claude-opus-4-1-20250805-v1:0" },
    { "claude-opus-4-1", "anthropic.claude-opus-4-1-20250805-v1:0" },
    { "claude-opus-4-20250514", "anthropic.claude-opus-4-20250514-v1:0" },
    { "claude-opus-4-0", "anthropic.claude-opus-4-20250514-v1:0" },
    { "claude-sonnet-4-20250514", "anthropic.claude-sonnet-4-20250514-v1:0" },
    { "claude-sonnet-4-0", "anthropic.claude-sonnet-4-20250514-v1:0" },
    { "claude-3-7-sonnet-20250219",
      "anthropic.claude-3-7-sonnet-20250219-v1:0" },
    { "claude-3-7-sonnet-latest",
      "anthropic.claude-3-7-sonnet-20250219-v1:0" },
    { "claude-3-5-haiku-20241022",
      "anthropic.claude-3-5-haiku-20241022-v1:0" },
    { "claude-3-5-haiku-latest", "anthropic.claude-3-5-haiku-20241022-v1:0" },
    { "claude-3-5-sonnet-20241022",
      "anthropic.claude-3-5-sonnet-20241022-v2:0" },
    { "claude-3-5-sonnet-latest",
      "anthropic.claude-3-5-sonnet-20241022-v2:0" },
    { "claude-3-5-sonnet-20240620",
      "anthropic.claude-3-5-sonnet-20240620-v1:0" },
    { "claude-3-haiku-20240307", "anthropic.claude-3-haiku-20240307-v1:0" },
    { NULL, NULL }
};


/* the inference profile prefix of the region's geography */
static const char *
ql_bedrock_geography(const unsigned char *region, size_t len)
{
    static const struct {
        const char  *region;
        const char  *prefix;
    } geo[] = {
        { "us-gov-", "us-gov." },
        { "us-", "us." },
        { "ca-", "us." },
        { "eu-", "eu." },
        { "ap-", "apac." },
        { NULL, NULL }
    };

    size_t  i, n;

    for (i = 0; geo[i].region; i++) {
        n = strlen(geo[i].region);
        if (len > n && memcmp(region, geo[i].region, n) == 0) {
            return geo[i].prefix;
        }
    }

    return "global.";
}


size_t
ql_bedrock_model(const unsigned char *name, size_t len,
    const unsigned char *region, size_t region_len, unsigned char *out)
{
    size_t                     p, i;
    const char                *geo;
    const ql_bedrock_model_t  *m;

    for (m = ql_bedrock_models; m->name; m++) {
        if (strlen(m->name) == len && memcmp(m->name, name, len) == 0) {
            break;
        }
    }

    if (m->name == NULL) {
        return 0;
    }

    geo = ql_bedrock_geography(region, region_len);
    p = strlen(geo);
    i = strlen(m->id);

    memcpy(out, geo, p);
    memcpy(out + p, m->id, i);

    return p + i;
}


#define QL_BEDROCK_VERSION_MEMBER                                             \
    "\"anthropic_version\":\"" QL_BEDROCK_ANTHROPIC_VERSION "\""
#define QL_BEDROCK_BETA_MEMBER  ",\"anthropic_beta\":[]"


size_t
ql_bedrock_body_size(size_t len, size_t betas_len)
{
    /* a beta is at worst all quotes: doubled, quoted, a comma */
    return len + sizeof(QL_BEDROCK_VERSION_MEMBER)
           + sizeof(QL_BEDROCK_BETA_MEMBER) + 3 * betas_len + 4;
}


/* betas the first-party API takes and Bedrock refuses */
static int
ql_bedrock_beta_dropped(const unsigned char *p, size_t len)
{
    return (len >= 6 && memcmp(p, "oauth-", 6) == 0)
           || (len >= 12 && memcmp(p, "claude-code-", 12) == 0);
}


/* ,"anthropic_beta":["a","b"] or nothing; returns the bytes written */
static size_t
ql_bedrock_betas(const unsigned char *p, size_t len, unsigned char *out)
{
    size_t  i, start, end, n, first;

    n = sizeof(QL_BEDROCK_BETA_MEMBER) - 2;
    memcpy(out, QL_BEDROCK_BETA_MEMBER, n);
    first = n;

    for (i = 0; i <= len; i = end + 1) {
        start = i;
        while (start < len && (p[start] == ' ' || p[start] == '\t')) {
            start++;
        }

        end = start;
        while (end < len && p[end] != ',') {
            end++;
        }

        i = end;
        while (i > start && (p[i - 1] == ' ' || p[i - 1] == '\t')) {
            i--;
        }

        if (i == start || ql_bedrock_beta_dropped(p + start, i - start)) {
            continue;
        }

        if (n != first) {
            out[n++] = ',';
        }

        n += ql_json_quote(p + start, i - start, out + n);
    }

    if (n == first) {
        return 0;
    }

    out[n++] = ']';

    return n;
}


size_t
ql_bedrock_body(const unsigned char *body, size_t len,
    const unsigned char *betas, size_t betas_len, unsigned char *out)
{
    int                 empty, own_betas;
    size_t              n, at, close, rest;
    unsigned char      *b;
    ql_json_span_t      cut;
    static const char  *drop[] = { "model", "stream", "anthropic_version" };

    /* the body is edited where the final prefix cannot reach it */
    at = ql_bedrock_body_size(0, betas_len);
    b = out + at;
    memcpy(b, body, len);

    for (n = 0; n < sizeof(drop) / sizeof(drop[0]); n++) {
        switch (ql_json_member_cut(b, len, drop[n], &cut)) {
        case 1:
            memmove(b + cut.start, b + cut.end, len - cut.end);
            len -= cut.end - cut.start;
            break;
        case 0:
            break;
        default:
            return 0;
        }
    }

    own_betas = ql_json_member_cut(b, len, "anthropic_beta", &cut) == 1;

    if (ql_json_object_end(b, len, &close, &empty) != 0) {
        return 0;
    }

    /* what follows the opening brace */
    for (rest = 0; b[rest] != '{'; rest++) { /* void */ }
    rest++;

    n = 0;
    out[n++] = '{';
    memcpy(out + n, QL_BEDROCK_VERSION_MEMBER,
           sizeof(QL_BEDROCK_VERSION_MEMBER) - 1);
    n += sizeof(QL_BEDROCK_VERSION_MEMBER) - 1;

    if (!own_betas) {
        n += ql_bedrock_betas(betas, betas_len, out + n);
    }

    if (!empty) {
        out[n++] = ',';
    }

    memmove(out + n, b + rest, len - rest);

    return n + len - rest;
}
