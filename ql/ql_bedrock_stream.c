/*
 * Bedrock's answers as an Anthropic client expects them (see
 * ql_bedrock_stream.h).
 */

#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ql_bedrock_stream.h"
#include "ql_json_member.h"


#define QL_BEDROCK_TYPE_MAX  64

#define ql_min_size(a, b)  ((a) < (b) ? (a) : (b))


/*
 * Anthropic says overloaded_error (529) when it has no capacity: so do
 * a model not ready and a service unavailable.  A model that timed out
 * (Bedrock's 408) failed on the server's side, not the client's: it is
 * api_error, as all of Anthropic's server errors, with 504, a 5xx that
 * the scheduler holds against the account and failover retries.
 */
static const struct {
    const char          *name;       /* lowercase */
    ql_bedrock_error_t   error;
} ql_bedrock_errors[] = {
    { "throttlingexception", { "rate_limit_error", 429 } },
    { "servicequotaexceededexception", { "rate_limit_error", 429 } },
    { "toomanyrequestsexception", { "rate_limit_error", 429 } },
    { "validationexception", { "invalid_request_error", 400 } },
    { "accessdeniedexception", { "permission_error", 403 } },
    { "unrecognizedclientexception", { "authentication_error", 401 } },
    { "expiredtokenexception", { "authentication_error", 401 } },
    { "invalidsignatureexception", { "authentication_error", 401 } },
    { "incompletesignatureexception", { "authentication_error", 401 } },
    { "missingauthenticationtokenexception",
      { "authentication_error", 401 } },
    { "resourcenotfoundexception", { "not_found_error", 404 } },
    { "modelnotreadyexception", { "overloaded_error", 529 } },
    { "serviceunavailableexception", { "overloaded_error", 529 } },
    { "modeltimeoutexception", { "api_error", 504 } },
    { "internalserverexception", { "api_error", 500 } },
    { "modelstreamerrorexception", { "api_error", 500 } },
    { "modelerrorexception", { "api_error", 500 } },
    { NULL, { NULL, 0 } }
};


ql_bedrock_error_t
ql_bedrock_error(const unsigned char *name, size_t len, unsigned http_status)
{
    size_t              i, n;
    const unsigned char *colon;
    ql_bedrock_error_t  e;

    /* x-amzn-ErrorType: ThrottlingException:http://internal.amazon.com/ */
    colon = len ? memchr(name, ':', len) : NULL;
    if (colon != NULL) {
        len = colon - name;
    }

    for (i = 0; ql_bedrock_errors[i].name; i++) {
        n = strlen(ql_bedrock_errors[i].name);
        if (n == len
            && strncasecmp(ql_bedrock_errors[i].name, (const char *) name, n)
               == 0)
        {
            return ql_bedrock_errors[i].error;
        }
    }

    if (http_status >= 400 && http_status < 500) {
        e.type = http_status == 429 ? "rate_limit_error"
                                    : "invalid_request_error";
        e.status = http_status;

    } else {
        e.type = "api_error";
        e.status = http_status >= 500 && http_status < 600 ? http_status
                                                           : 500;
    }

    return e;
}


/* j dumped into out and released; 0 if j is NULL or does not fit */
static size_t
ql_bedrock_dump(json_t *j, unsigned char *out, size_t size)
{
    size_t  n;

    if (j == NULL) {
        return 0;
    }

    n = json_dumpb(j, (char *) out, size, JSON_COMPACT);
    json_decref(j);

    return n <= size ? n : 0;
}


/* Anthropic's error JSON; text need not be NUL-terminated */
static size_t
ql_bedrock_error_json(const char *type, const char *text, size_t text_len,
    unsigned char *out, size_t size)
{
    size_t  n;

    n = text ? ql_bedrock_dump(json_pack("{s:s, s:{s:s, s:s%}}", "type",
                                         "error", "error", "type", type,
                                         "message", text, text_len),
                               out, size)
             : 0;

    /* a message that is not UTF-8 or does not fit is not passed on */
    if (n == 0) {
        n = ql_bedrock_dump(json_pack("{s:s, s:{s:s, s:s}}", "type", "error",
                                      "error", "type", type, "message",
                                      "The upstream Bedrock account "
                                      "answered with an error."),
                            out, size);
    }

    return n;
}


size_t
ql_bedrock_error_body(const char *type, const unsigned char *body,
    size_t len, unsigned char *out, size_t size)
{
    size_t         n;
    json_t        *in, *msg;
    json_error_t   jerr;

    in = len ? json_loadb((const char *) body, len, 0, &jerr) : NULL;

    msg = json_object_get(in, "message");
    if (!json_is_string(msg)) {
        msg = json_object_get(in, "Message");
    }

    n = ql_bedrock_error_json(type, json_string_value(msg),
                              json_string_length(msg), out, size);

    json_decref(in);

    return n;
}


static int
ql_bedrock_put(ql_bedrock_stream_t *s, const void *p, size_t len)
{
    return s->emit(s->data, p, len);
}


/* event: <name>, then data: lines of json, then the blank line */
static int
ql_bedrock_event(ql_bedrock_stream_t *s, const unsigned char *name,
    size_t name_len, const unsigned char *json, size_t len)
{
    size_t  i, start;

    if (name_len
        && (ql_bedrock_put(s, "event: ", 7) != 0
            || ql_bedrock_put(s, name, name_len) != 0
            || ql_bedrock_put(s, "\n", 1) != 0))
    {
        return -1;
    }

    /* a line break inside the JSON would end the data line */
    for (start = 0, i = 0; i <= len; i++) {
        if (i < len && json[i] != '\n' && json[i] != '\r') {
            continue;
        }

        if (ql_bedrock_put(s, "data: ", 6) != 0
            || ql_bedrock_put(s, json + start, i - start) != 0
            || ql_bedrock_put(s, "\n", 1) != 0)
        {
            return -1;
        }

        start = i + 1;
    }

    s->events++;

    return ql_bedrock_put(s, "\n", 1);
}


/*
 * Bedrock's exception (its body {"message": ...}) or error (its message
 * header) as Anthropic's error event; the first one is kept for the
 * scheduler.
 */
static int
ql_bedrock_exception(ql_bedrock_stream_t *s, const ql_es_span_t *name,
    const ql_es_message_t *m, int exception)
{
    size_t              n;
    ql_bedrock_error_t  e;

    e = ql_bedrock_error(name->p, name->len, 0);

    if (s->error.status == 0) {
        s->error = e;
        n = ql_min_size(name->len, QL_BEDROCK_EXCEPTION_MAX);
        if (n) {
            memcpy(s->exception, name->p, n);
        }

        s->exception[n] = '\0';
    }

    if (exception) {
        n = ql_bedrock_error_body(e.type, m->payload.p, m->payload.len,
                                  s->decoded, s->decoded_cap);

    } else {
        n = ql_bedrock_error_json(e.type, (const char *) m->error_message.p,
                                  m->error_message.len, s->decoded,
                                  s->decoded_cap);
    }

    if (n == 0 || ql_bedrock_event(s, (const unsigned char *) "error", 5,
                                   s->decoded, n)
                  != 0)
    {
        s->emit = NULL;
        return -1;
    }

    return 0;
}


/* the event's "type", if it is a plain name */
static size_t
ql_bedrock_event_name(const unsigned char *json, size_t len,
    const unsigned char **name)
{
    size_t          i;
    ql_json_span_t  v;

    if (ql_json_member(json, len, "type", &v) != 1
        || v.end - v.start < 3 || v.end - v.start > QL_BEDROCK_TYPE_MAX + 2
        || json[v.start] != '"' || json[v.end - 1] != '"')
    {
        return 0;
    }

    for (i = v.start + 1; i < v.end - 1; i++) {
        if (!((json[i] >= 'a' && json[i] <= 'z') || json[i] == '_')) {
            return 0;
        }
    }

    *name = json + v.start + 1;

    return v.end - v.start - 2;
}


/*
 * A chunk's base64 made plain in place: "\/" unescaped (JSON may escape
 * '/'), then nothing but the alphabet, padded to a multiple of 4, '='
 * only at the end; OpenSSL's decoder alone takes '=' anywhere.  Returns
 * its length (0 if bad: a chunk carries an event) and the padding.
 */
static size_t
ql_bedrock_base64(unsigned char *p, size_t len, size_t *pad)
{
    size_t         i, k, n;
    unsigned char  c;

    for (i = 0, k = 0; i < len; i++) {
        if (p[i] == '\\') {
            if (i + 1 == len || p[i + 1] != '/') {
                return 0;
            }

            i++;
        }

        p[k++] = p[i];
    }

    if (k % 4 != 0) {
        return 0;
    }

    for (n = 0; n < 2 && n < k && p[k - 1 - n] == '='; n++) {
        /* void */
    }

    for (i = 0; i < k - n; i++) {
        c = p[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        {
            return 0;
        }
    }

    *pad = n;

    return k;
}


/* a chunk: {"bytes": "<base64 of the event's JSON>", ...} */
static int
ql_bedrock_chunk(ql_bedrock_stream_t *s, const ql_es_span_t *payload)
{
    int                   n;
    size_t                len, pad;
    unsigned char        *b64;
    const unsigned char  *name;
    ql_json_span_t        v;

    if (ql_json_member(payload->p, payload->len, "bytes", &v) != 1
        || v.end - v.start < 2 || payload->p[v.start] != '"')
    {
        s->es.reason = "Bedrock chunk without \"bytes\"";
        return -1;
    }

    /* the frame's own buffer */
    b64 = (unsigned char *) payload->p + v.start + 1;
    len = ql_bedrock_base64(b64, v.end - v.start - 2, &pad);

    if (len == 0 || len / 4 * 3 > s->decoded_cap) {
        s->es.reason = "Bedrock chunk with bad base64";
        return -1;
    }

    n = EVP_DecodeBlock(s->decoded, b64, (int) len);
    if (n < 0) {
        s->es.reason = "Bedrock chunk with bad base64";
        return -1;
    }

    len = (size_t) n - pad;

    name = NULL;
    n = (int) ql_bedrock_event_name(s->decoded, len, &name);

    if (ql_bedrock_event(s, name, (size_t) n, s->decoded, len) != 0) {
        s->emit = NULL;
        return -1;
    }

    return 0;
}


static int
ql_bedrock_message(void *data, const ql_es_message_t *m)
{
    ql_bedrock_stream_t *s = data;

    const ql_es_span_t  *type = &m->message_type;

    if (type->len == 5 && memcmp(type->p, "event", 5) == 0) {
        if (m->event_type.len == 5
            && memcmp(m->event_type.p, "chunk", 5) == 0)
        {
            return ql_bedrock_chunk(s, &m->payload);
        }

        return 0;
    }

    if (type->len == 9 && memcmp(type->p, "exception", 9) == 0) {
        return ql_bedrock_exception(s, &m->exception_type, m, 1);
    }

    if (type->len == 5 && memcmp(type->p, "error", 5) == 0) {
        return ql_bedrock_exception(s, &m->error_code, m, 0);
    }

    return 0;
}


void
ql_bedrock_stream_init(ql_bedrock_stream_t *s, unsigned char *mem)
{
    memset(s, 0, sizeof(*s));
    ql_es_init(&s->es, mem, QL_BEDROCK_STREAM_FRAME_MAX);
    s->decoded = mem + QL_BEDROCK_STREAM_FRAME_MAX;
    s->decoded_cap = QL_BEDROCK_STREAM_MEMORY - QL_BEDROCK_STREAM_FRAME_MAX;
}


/* a broken stream ends with one error event saying why */
static int
ql_bedrock_broken(ql_bedrock_stream_t *s)
{
    size_t  n;

    n = ql_bedrock_error_json("api_error", s->es.reason,
                              strlen(s->es.reason), s->decoded,
                              s->decoded_cap);
    if (n == 0) {
        return -1;
    }

    return ql_bedrock_event(s, (const unsigned char *) "error", 5,
                            s->decoded, n);
}


int
ql_bedrock_stream_feed(ql_bedrock_stream_t *s, const unsigned char *p,
    size_t len, ql_emit_pt emit, void *data)
{
    if (s->es.reason != NULL) {
        return 0;
    }

    s->emit = emit;
    s->data = data;

    if (ql_es_feed(&s->es, p, len, ql_bedrock_message, s) == 0) {
        return 0;
    }

    /* emit failed: nothing more can go out */
    if (s->emit == NULL) {
        return -1;
    }

    return ql_bedrock_broken(s);
}


int
ql_bedrock_stream_finish(ql_bedrock_stream_t *s, ql_emit_pt emit,
    void *data)
{
    if (s->es.reason != NULL) {
        return 0;
    }

    s->emit = emit;
    s->data = data;

    if (ql_es_finish(&s->es) == 0) {
        return 0;
    }

    return ql_bedrock_broken(s);
}
