/*
 * QuotaLane admind: request bodies checked against a field table.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_request.h"
#include "admind_response.h"
#include "admind_time.h"
#include "admind_fields.h"


static const admind_field_t *
admind_fields_find(const admind_field_t *fields, const char *name)
{
    for ( /* void */ ; fields->name != NULL; fields++) {
        if (strcmp(fields->name, name) == 0) {
            return fields;
        }
    }

    return NULL;
}


int
admind_fields_number(json_t *v, long long *n)
{
    char        *end;
    const char  *s;

    if (json_is_integer(v)) {
        *n = json_integer_value(v);
        return ADMIND_OK;
    }

    if (!json_is_string(v)) {
        return ADMIND_ERROR;
    }

    /* proto3 JSON: "-12", "12"; no spaces, signs on 0 or hex */
    s = json_string_value(v);

    if (s[0] == '\0' || (s[0] == '-' && (s[1] < '1' || s[1] > '9'))
        || (s[0] != '-' && (s[0] < '0' || s[0] > '9'))
        || (s[0] == '0' && s[1] != '\0'))
    {
        return ADMIND_ERROR;
    }

    errno = 0;
    *n = strtoll(s, &end, 10);

    if (errno != 0 || *end != '\0') {
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* characters, not bytes: VARCHAR limits count characters */
static long long
admind_fields_chars(const char *s)
{
    long long  n;

    for (n = 0; *s; s++) {
        if (((unsigned char) *s & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


static int
admind_fields_has_control(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            return 1;
        }
    }

    return 0;
}


static void
admind_fields_values(const char *const *values, char *buf, size_t size)
{
    size_t  len;

    buf[0] = '\0';

    for ( /* void */ ; *values != NULL; values++) {
        len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *values);
    }
}


/* one string value (the field itself or an array item) */
static int
admind_fields_string(const admind_field_t *f, const char *what, json_t *v,
    char *err, size_t errlen)
{
    char                buf[256];
    long long           n;
    const char         *s;
    const char *const  *p;

    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s must be a string", what);
        return ADMIND_ERROR;
    }

    /* jansson allows \u0000 inside strings; C code downstream does not */
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        snprintf(err, errlen, "%s must not contain NUL characters", what);
        return ADMIND_ERROR;
    }

    if (f->values != NULL) {
        for (p = f->values; *p != NULL; p++) {
            if (strcmp(*p, s) == 0) {
                return ADMIND_OK;
            }
        }

        admind_fields_values(f->values, buf, sizeof(buf));
        snprintf(err, errlen, "%s must be one of: %s", what, buf);
        return ADMIND_ERROR;
    }

    n = admind_fields_chars(s);

    if (n < f->min || n > f->max) {
        if (f->min == f->max) {
            snprintf(err, errlen, "%s must have %lld characters", what,
                     f->min);

        } else if (f->min == 0) {
            snprintf(err, errlen, "%s must have at most %lld characters",
                     what, f->max);

        } else {
            snprintf(err, errlen, "%s must have %lld to %lld characters",
                     what, f->min, f->max);
        }
        return ADMIND_ERROR;
    }

    if ((f->flags & ADMIND_FIELD_LINE) && admind_fields_has_control(s)) {
        snprintf(err, errlen, "%s must not contain control characters "
                 "(newlines, tabs)", what);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_fields_value(const admind_field_t *f, json_t *v, char *err,
    size_t errlen)
{
    int          rc;
    char         what[96], item[160];
    size_t       i;
    time_t       t;
    json_t      *e, *key;
    long long    n;
    const char  *name;

    snprintf(what, sizeof(what), "field \"%s\"", f->name);

    switch (f->type) {

    case ADMIND_FIELD_STRING:
        return admind_fields_string(f, what, v, err, errlen);

    case ADMIND_FIELD_INT:
        if (admind_fields_number(v, &n) != ADMIND_OK) {
            snprintf(err, errlen, "%s must be an integer", what);
            return ADMIND_ERROR;
        }

        if (n < f->min || n > f->max) {
            snprintf(err, errlen, "%s must be between %lld and %lld", what,
                     f->min, f->max);
            return ADMIND_ERROR;
        }

        return ADMIND_OK;

    case ADMIND_FIELD_ID:
        if (admind_fields_number(v, &n) != ADMIND_OK || n < 1) {
            snprintf(err, errlen, "%s must be an id (a positive integer, "
                     "as a string or a number)", what);
            return ADMIND_ERROR;
        }

        return ADMIND_OK;

    case ADMIND_FIELD_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(err, errlen, "%s must be true or false", what);
            return ADMIND_ERROR;
        }

        return ADMIND_OK;

    case ADMIND_FIELD_TIME:
        if (!json_is_string(v)
            || admind_time_parse(json_string_value(v), &t) != ADMIND_OK)
        {
            snprintf(err, errlen, "%s must be an RFC 3339 timestamp such "
                     "as \"2030-01-31T12:00:00Z\"", what);
            return ADMIND_ERROR;
        }

        return ADMIND_OK;

    case ADMIND_FIELD_STRINGS:
        if (!json_is_array(v)) {
            snprintf(err, errlen, "%s must be an array of strings", what);
            return ADMIND_ERROR;
        }

        if (json_array_size(v) > f->max_items) {
            snprintf(err, errlen, "%s must have at most %u items", what,
                     f->max_items);
            return ADMIND_ERROR;
        }

        json_array_foreach(v, i, e) {
            snprintf(item, sizeof(item), "%s item %zu", what, i);

            if (admind_fields_string(f, item, e, err, errlen) != ADMIND_OK)
            {
                return ADMIND_ERROR;
            }
        }

        return ADMIND_OK;

    case ADMIND_FIELD_MAP:
        if (!json_is_object(v)) {
            snprintf(err, errlen, "%s must be an object of strings", what);
            return ADMIND_ERROR;
        }

        if (json_object_size(v) > f->max_items) {
            snprintf(err, errlen, "%s must have at most %u entries", what,
                     f->max_items);
            return ADMIND_ERROR;
        }

        json_object_foreach(v, name, e) {
            snprintf(item, sizeof(item), "%s name \"%.32s\"", what, name);
            key = json_string(name);

            if (key == NULL) {
                snprintf(err, errlen, "out of memory");
                return ADMIND_ERROR;
            }

            rc = admind_fields_string(f, item, key, err, errlen);
            json_decref(key);

            if (rc != ADMIND_OK) {
                return ADMIND_ERROR;
            }

            snprintf(item, sizeof(item), "%s value of \"%.32s\"", what,
                     name);

            if (admind_fields_string(f, item, e, err, errlen) != ADMIND_OK)
            {
                return ADMIND_ERROR;
            }
        }

        return ADMIND_OK;
    }

    snprintf(err, errlen, "%s has an unknown type", what);

    return ADMIND_ERROR;
}


int
admind_fields_validate(const admind_field_t *fields, json_t *body,
    admind_fields_mode_e mode, char *err, size_t errlen)
{
    json_t                *v;
    const char            *name;
    const admind_field_t  *f;

    if (!json_is_object(body)) {
        snprintf(err, errlen, "the body must be a JSON object");
        return ADMIND_ERROR;
    }

    /* unknown names first: a typo explains any "missing" field after it */
    json_object_foreach(body, name, v) {
        if (admind_fields_find(fields, name) == NULL) {
            snprintf(err, errlen, "unknown field \"%s\"", name);
            return ADMIND_ERROR;
        }
    }

    for (f = fields; f->name != NULL; f++) {
        if (f->flags & ADMIND_FIELD_OUTPUT) {
            continue;
        }

        v = json_object_get(body, f->name);

        if (v == NULL) {
            if (mode == ADMIND_FIELDS_CREATE
                && (f->flags & ADMIND_FIELD_REQUIRED))
            {
                snprintf(err, errlen, "field \"%s\" is required", f->name);
                return ADMIND_ERROR;
            }
            continue;
        }

        if (mode == ADMIND_FIELDS_UPDATE
            && (f->flags & ADMIND_FIELD_IMMUTABLE))
        {
            snprintf(err, errlen, "field \"%s\" cannot be changed",
                     f->name);
            return ADMIND_ERROR;
        }

        if (json_is_null(v)) {
            if (!(f->flags & ADMIND_FIELD_NULLABLE)) {
                snprintf(err, errlen, "field \"%s\" must not be null",
                         f->name);
                return ADMIND_ERROR;
            }
            continue;
        }

        if (admind_fields_value(f, v, err, errlen) != ADMIND_OK) {
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


int
admind_fields_check(admind_req_t *r, const admind_field_t *fields,
    json_t *body, admind_fields_mode_e mode)
{
    char  err[ADMIND_ERRLEN];

    if (admind_fields_validate(fields, body, mode, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resp_error(r, 400, "invalid_argument", "%s", err);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_fields_has(json_t *body, const char *name)
{
    return json_object_get(body, name) != NULL;
}


int
admind_fields_is_null(json_t *body, const char *name)
{
    return json_is_null(json_object_get(body, name));
}


const char *
admind_fields_str(json_t *body, const char *name, const char *dflt)
{
    json_t  *v;

    v = json_object_get(body, name);

    return json_is_string(v) ? json_string_value(v) : dflt;
}


long long
admind_fields_int(json_t *body, const char *name, long long dflt)
{
    long long  n;

    if (admind_fields_number(json_object_get(body, name), &n) != ADMIND_OK)
    {
        return dflt;
    }

    return n;
}


int
admind_fields_bool(json_t *body, const char *name, int dflt)
{
    json_t  *v;

    v = json_object_get(body, name);

    return json_is_boolean(v) ? json_is_true(v) : dflt;
}


time_t
admind_fields_time(json_t *body, const char *name, time_t dflt)
{
    time_t   t;
    json_t  *v;

    v = json_object_get(body, name);

    if (!json_is_string(v)
        || admind_time_parse(json_string_value(v), &t) != ADMIND_OK)
    {
        return dflt;
    }

    return t;
}


json_t *
admind_fields_array(json_t *body, const char *name)
{
    json_t  *v;

    v = json_object_get(body, name);

    return json_is_array(v) ? v : NULL;
}


void
admind_fields_wipe(json_t *body, const char *name)
{
    json_t  *v;

    v = json_object_get(body, name);

    if (json_is_string(v)) {
        /* the string is the value's own buffer (jansson owns and frees it) */
        ql_wipe((char *) json_string_value(v), json_string_length(v));
    }
}
