/*
 * QuotaLane admind: model lists and maps of account records (see
 * admind_hotstate_models.h).
 */

#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "admind_hotstate_models.h"


/* a name the record can carry: a string without separators */
static int
admind_hotstate_model_ok(json_t *v)
{
    const char  *s;

    if (!json_is_string(v)) {
        return 0;
    }

    s = json_string_value(v);

    return json_string_length(v) > 0
           && strlen(s) == json_string_length(v)
           && strpbrk(s, "\n\t") == NULL;
}


static char *
admind_hotstate_empty(void)
{
    char  *out;

    out = malloc(1);
    if (out != NULL) {
        out[0] = '\0';
    }

    return out;
}


char *
admind_hotstate_join(const char *json, char sep, int wrapped)
{
    char          *out;
    size_t         i, len, n;
    json_t        *list, *item;
    json_error_t   error;

    list = json_loads(json, 0, &error);
    if (!json_is_array(list)) {
        json_decref(list);
        return NULL;
    }

    len = 2;
    json_array_foreach(list, i, item) {
        if (wrapped && !admind_hotstate_model_ok(item)) {
            json_decref(list);
            return NULL;
        }

        len += json_string_length(item) + 1;
    }

    out = malloc(len);
    if (out == NULL) {
        json_decref(list);
        return NULL;
    }

    n = 0;

    json_array_foreach(list, i, item) {
        if (!json_is_string(item)) {
            continue;
        }

        if (n || wrapped) {
            out[n++] = sep;
        }

        memcpy(out + n, json_string_value(item), json_string_length(item));
        n += json_string_length(item);
    }

    if (wrapped && n) {
        out[n++] = sep;
    }

    out[n] = '\0';
    json_decref(list);

    return out;
}


char *
admind_hotstate_model_list(const char *json)
{
    return json ? admind_hotstate_join(json, '\n', 1)
                : admind_hotstate_empty();
}


char *
admind_hotstate_model_map(const char *json)
{
    char          *out;
    size_t         len, n, klen;
    json_t        *map, *to;
    const char    *from;
    json_error_t   error;

    if (json == NULL) {
        return admind_hotstate_empty();
    }

    map = json_loads(json, 0, &error);
    if (!json_is_object(map)) {
        json_decref(map);
        return NULL;
    }

    len = 2;
    json_object_foreach(map, from, to) {
        klen = strlen(from);

        if (klen == 0 || strpbrk(from, "\n\t") != NULL
            || !admind_hotstate_model_ok(to))
        {
            json_decref(map);
            return NULL;
        }

        len += klen + 1 + json_string_length(to) + 1;
    }

    out = malloc(len);
    if (out == NULL) {
        json_decref(map);
        return NULL;
    }

    n = 0;

    if (json_object_size(map) > 0) {
        out[n++] = '\n';
    }

    json_object_foreach(map, from, to) {
        klen = strlen(from);
        memcpy(out + n, from, klen);
        n += klen;
        out[n++] = '\t';
        memcpy(out + n, json_string_value(to), json_string_length(to));
        n += json_string_length(to);
        out[n++] = '\n';
    }

    out[n] = '\0';
    json_decref(map);

    return out;
}
