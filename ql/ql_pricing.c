/*
 * Model price table (LiteLLM field names) and integer cost.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ql_pricing.h"


typedef struct {
    ql_price_entry_t  pub;
    size_t            len;
} ql_pricing_entry_t;

typedef struct {
    const char          *name;
    size_t               len;
    ql_pricing_entry_t  *entry;
} ql_pricing_alias_t;

struct ql_pricing_s {
    ql_pricing_entry_t  *entries;       /* sorted by name */
    size_t               n;
    ql_pricing_alias_t  *aliases;       /* sorted by name, unique */
    size_t               naliases;
    ql_pricing_entry_t  *fallback;
    ql_pricing_entry_t   builtin;
    char                *names;
};


/* The LiteLLM fields we read, in the order of ql_price_t. */
static const char  *ql_pricing_fields[] = {
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_creation_input_token_cost",
    "cache_creation_input_token_cost_above_1hr",
    "cache_read_input_token_cost",
};

#define QL_PRICING_NFIELDS  5


int
ql_price_from_double(double d, uint64_t *pico)
{
    int          prec, exp, nd, shift, k;
    char         buf[64], *e;
    uint64_t     m, p10, q, r;
    const char  *s;

    /* NaN fails both; 2e7 dollars is past 2^64 pico-dollars anyway */
    if (!(d >= 0) || !(d < 2e7)) {
        return -1;
    }

    if (d == 0) {
        *pico = 0;
        return 0;
    }

    /* the shortest decimal that reads back as d: the file's literal */
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);

        if (strtod(buf, NULL) == d) {
            break;
        }
    }

    m = 0;
    nd = 0;

    for (s = buf; *s != '\0' && *s != 'e'; s++) {
        if (*s >= '0' && *s <= '9') {
            m = m * 10 + (uint64_t) (*s - '0');
            nd++;
        }
    }

    if (*s != 'e') {
        return -1;
    }

    errno = 0;
    exp = (int) strtol(s + 1, &e, 10);

    if (errno != 0 || *e != '\0') {
        return -1;
    }

    /* d = m * 10^(exp - nd + 1) dollars = m * 10^(exp - nd + 13) pico */
    shift = exp - nd + 13;

    if (shift >= 0) {
        while (shift-- > 0) {
            if (m > UINT64_MAX / 10) {
                return -1;
            }

            m *= 10;
        }

        *pico = m;
        return 0;
    }

    k = -shift;

    if (k > 19) {
        /* m < 10^17: less than half a pico-dollar */
        *pico = 0;
        return 0;
    }

    for (p10 = 1; k > 0; k--) {
        p10 *= 10;
    }

    q = m / p10;
    r = m % p10;

    /* half up; p10 is even here */
    if (r >= p10 / 2) {
        q++;
    }

    *pico = q;

    return 0;
}


/* ------------------------------------------------------------------ */
/* names                                                                */


static int
ql_pricing_is_digits(const unsigned char *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
    }

    return 1;
}


/* Length of a trailing "-YYYYMMDD" or "-YYYY-MM-DD", or 0. */
static size_t
ql_pricing_date_suffix(const unsigned char *p, size_t n)
{
    if (n > 9 && p[n - 9] == '-' && ql_pricing_is_digits(p + n - 8, 8)) {
        return 9;
    }

    if (n > 11 && p[n - 11] == '-' && ql_pricing_is_digits(p + n - 10, 4)
        && p[n - 6] == '-' && ql_pricing_is_digits(p + n - 5, 2)
        && p[n - 3] == '-' && ql_pricing_is_digits(p + n - 2, 2))
    {
        return 11;
    }

    return 0;
}


size_t
ql_pricing_normalize(const unsigned char *model, size_t len,
    unsigned char *out, size_t size)
{
    size_t          i, j, k, n;
    unsigned char   c, *at;

    if (len == 0 || len > size) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = model[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (unsigned char) (c | 0x20) : c;
    }

    n = len;

    /* vendor and path prefixes: "anthropic/", "models/" */
    for (i = n; i > 0 && out[i - 1] != '/'; i--) {
        /* void */
    }

    if (i > 0) {
        memmove(out, out + i, n - i);
        n -= i;
    }

    /* Bedrock region and vendor segments: "us.anthropic." */
    for ( ;; ) {
        for (i = 0; i < n && out[i] >= 'a' && out[i] <= 'z'; i++) {
            /* void */
        }

        if (i == 0 || i >= n || out[i] != '.') {
            break;
        }

        memmove(out, out + i + 1, n - i - 1);
        n -= i + 1;
    }

    /* Vertex version: "@20250929" */
    at = memchr(out, '@', n);

    if (at != NULL) {
        n = (size_t) (at - out);
    }

    /* Bedrock version after a date: "-20250929-v1:0", "-20250929-v2" */
    j = n;

    while (j > 0 && out[j - 1] >= '0' && out[j - 1] <= '9') {
        j--;
    }

    k = (j < n && j > 0 && out[j - 1] == ':') ? j - 1 : n;
    j = k;

    while (j > 0 && out[j - 1] >= '0' && out[j - 1] <= '9') {
        j--;
    }

    if (j < k && j >= 2 && out[j - 1] == 'v' && out[j - 2] == '-'
        && ql_pricing_date_suffix(out, j - 2) == 9)
    {
        n = j - 2;
    }

    if (n > 7 && memcmp(out + n - 7, "-latest", 7) == 0) {
        n -= 7;
    }

    n -= ql_pricing_date_suffix(out, n);

    return n;
}


static int
ql_pricing_cmp(const char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
    int  rc;

    rc = memcmp(a, b, alen < blen ? alen : blen);

    if (rc != 0) {
        return rc;
    }

    return (alen > blen) - (alen < blen);
}


static ql_pricing_entry_t *
ql_pricing_find(const ql_pricing_t *t, const unsigned char *name,
    size_t len)
{
    int     rc;
    size_t  lo, hi, mid;

    lo = 0;
    hi = t->n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        rc = ql_pricing_cmp(t->entries[mid].pub.name, t->entries[mid].len,
                            name, len);

        if (rc == 0) {
            return &t->entries[mid];
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


static ql_pricing_entry_t *
ql_pricing_find_alias(const ql_pricing_t *t, const unsigned char *name,
    size_t len)
{
    int     rc;
    size_t  lo, hi, mid;

    lo = 0;
    hi = t->naliases;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        rc = ql_pricing_cmp(t->aliases[mid].name, t->aliases[mid].len,
                            name, len);

        if (rc == 0) {
            return t->aliases[mid].entry;
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


const ql_price_entry_t *
ql_pricing_lookup(const ql_pricing_t *t, const unsigned char *model,
    size_t len, int *fallback)
{
    size_t               n;
    unsigned char        buf[QL_PRICING_NAME_MAX];
    ql_pricing_entry_t  *e;

    e = NULL;

    if (len > 0) {
        e = ql_pricing_find(t, model, len);

        if (e == NULL) {
            n = ql_pricing_normalize(model, len, buf, sizeof(buf));

            if (n > 0) {
                e = ql_pricing_find(t, buf, n);

                if (e == NULL) {
                    e = ql_pricing_find_alias(t, buf, n);
                }
            }
        }
    }

    if (e == NULL) {
        e = t->fallback;
    }

    *fallback = (e == t->fallback);

    return &e->pub;
}


/* ------------------------------------------------------------------ */
/* cost                                                                 */


void
ql_cost_compute(const ql_price_t *price, const ql_usage_t *u,
    ql_cost_t *cost)
{
    size_t    i;
    uint64_t  five, hour, sum, m, tokens[5], prices[5];

    memset(cost, 0, sizeof(ql_cost_t));

    /* cache creation the split does not cover is billed at the 5m price */
    five = u->cache_creation_5m_tokens;
    hour = u->cache_creation_1h_tokens;

    if (u->cache_creation_tokens > five
        && u->cache_creation_tokens - five > hour)
    {
        five = u->cache_creation_tokens - hour;
    }

    tokens[0] = u->input_tokens;
    prices[0] = price->input;
    tokens[1] = five;
    prices[1] = price->cache_write_5m;
    tokens[2] = hour;
    prices[2] = price->cache_write_1h;
    tokens[3] = u->cache_read_tokens;
    prices[3] = price->cache_read;
    tokens[4] = u->output_tokens;
    prices[4] = price->output;

    sum = 0;

    for (i = 0; i < 5; i++) {
        if (__builtin_mul_overflow(tokens[i], prices[i], &m)
            || __builtin_add_overflow(sum, m, &sum))
        {
            sum = UINT64_MAX;
            cost->saturated = 1;
            break;
        }
    }

    cost->pico = sum;
    cost->micro = sum / QL_PICO_PER_MICRO
                  + (sum % QL_PICO_PER_MICRO >= QL_PICO_PER_MICRO / 2);
}


void
ql_pricing_cost(const ql_pricing_t *t, const unsigned char *model,
    size_t len, const ql_usage_t *u, ql_cost_t *cost)
{
    int                      fallback;
    const ql_price_entry_t  *e;

    e = ql_pricing_lookup(t, model, len, &fallback);

    ql_cost_compute(&e->price, u, cost);

    cost->entry = e;
    cost->fallback = fallback ? 1 : 0;
}


/* ------------------------------------------------------------------ */
/* loading                                                              */


/*
 * Where, in a text jansson accepted, the entry of a model (field NULL) or
 * the value of one of its fields begins; line and column as jansson
 * counts them (from 1, columns in characters).  Keys written with
 * escapes are not found; *line stays 0 then.
 */
static void
ql_pricing_locate(const unsigned char *p, size_t len, const char *model,
    size_t mlen, const char *field, int *line, int *col)
{
    int     in_model;
    size_t  i, j, k, ks, ke, depth, target;

    *line = 0;
    *col = 0;
    depth = 0;
    in_model = 0;
    target = len;

    for (i = 0; i < len && target == len; i++) {
        switch (p[i]) {

        case '{':
        case '[':
            depth++;
            break;

        case '}':
        case ']':
            if (depth == 2) {
                in_model = 0;
            }

            depth--;
            break;

        case '"':
            ks = i + 1;

            for (i = ks; i < len && p[i] != '"'; i++) {
                if (p[i] == '\\') {
                    i++;
                }
            }

            ke = i;

            for (j = i + 1; j < len && (p[j] == ' ' || p[j] == '\t'
                                        || p[j] == '\r' || p[j] == '\n');
                 j++)
            {
                /* void */
            }

            if (j >= len || p[j] != ':') {
                break;
            }

            /* a key */
            if (depth == 1 && ke - ks == mlen
                && memcmp(p + ks, model, mlen) == 0)
            {
                if (field == NULL) {
                    target = ks - 1;

                } else {
                    in_model = 1;
                }

            } else if (depth == 2 && in_model && ke - ks == strlen(field)
                       && memcmp(p + ks, field, ke - ks) == 0)
            {
                for (k = j + 1; k < len && (p[k] == ' ' || p[k] == '\t'
                                            || p[k] == '\r'
                                            || p[k] == '\n');
                     k++)
                {
                    /* void */
                }

                target = k;
            }

            i = j;
            break;
        }
    }

    if (target >= len) {
        return;
    }

    *line = 1;

    for (i = 0, k = 0; i < target; i++) {
        if (p[i] == '\n') {
            (*line)++;
            k = i + 1;
        }
    }

    *col = 1;

    for (i = k; i < target; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}


/* A name fit for an error message. */
static void
ql_pricing_quote(const char *s, size_t n, char *out, size_t size)
{
    size_t  i, o;

    for (i = 0, o = 0; i < n && o + 4 < size; i++) {
        out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';

        if (i == 79 && n > 80) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
    }

    out[o] = '\0';
}


static int
ql_pricing_error(const unsigned char *json, size_t len, const char *model,
    size_t mlen, const char *field, const char *what, char *err,
    size_t errlen)
{
    int   line, col;
    char  q[96];

    ql_pricing_locate(json, len, model, mlen, field, &line, &col);
    ql_pricing_quote(model, mlen, q, sizeof(q));

    if (line > 0) {
        snprintf(err, errlen, "line %d, column %d: model \"%s\": ", line,
                 col, q);

    } else {
        snprintf(err, errlen, "model \"%s\": ", q);
    }

    if (field != NULL) {
        snprintf(err + strlen(err), errlen - strlen(err), "\"%s\" %s",
                 field, what);

    } else {
        snprintf(err + strlen(err), errlen - strlen(err), "%s", what);
    }

    return -1;
}


static int
ql_pricing_alias_cmp(const void *a, const void *b)
{
    int                        rc, sa, sb;
    const ql_pricing_alias_t  *x, *y;

    x = a;
    y = b;

    rc = ql_pricing_cmp(x->name, x->len, (const unsigned char *) y->name,
                        y->len);

    if (rc != 0) {
        return rc;
    }

    /* the preferred source first: no vendor prefix, then the greatest */
    sa = strchr(x->entry->pub.name, '/') != NULL;
    sb = strchr(y->entry->pub.name, '/') != NULL;

    if (sa != sb) {
        return sa - sb;
    }

    return -strcmp(x->entry->pub.name, y->entry->pub.name);
}


static int
ql_pricing_entry_cmp(const void *a, const void *b)
{
    const ql_pricing_entry_t  *x, *y;

    x = a;
    y = b;

    return ql_pricing_cmp(x->pub.name, x->len,
                          (const unsigned char *) y->pub.name, y->len);
}


static void
ql_pricing_builtin(ql_pricing_entry_t *e)
{
    /* Claude Opus 4.x list prices: an unknown model is never cheap */
    e->pub.name = "default";
    e->len = 7;
    e->pub.price.input = 15000000;
    e->pub.price.output = 75000000;
    e->pub.price.cache_write_5m = 18750000;
    e->pub.price.cache_write_1h = 30000000;
    e->pub.price.cache_read = 1500000;
}


/* Reads one entry; 1 if it prices tokens, 0 to skip it, -1 on error. */
static int
ql_pricing_entry(const unsigned char *json, size_t len, const char *key,
    size_t klen, json_t *v, ql_price_t *price, char *err, size_t errlen)
{
    int        i, have[QL_PRICING_NFIELDS];
    json_t    *f;
    uint64_t   val[QL_PRICING_NFIELDS];

    if (!json_is_object(v)) {
        return ql_pricing_error(json, len, key, klen, NULL,
                                "must be an object", err, errlen);
    }

    for (i = 0; i < QL_PRICING_NFIELDS; i++) {
        have[i] = 0;
        val[i] = 0;
        f = json_object_get(v, ql_pricing_fields[i]);

        if (f == NULL || json_is_null(f)) {
            continue;
        }

        if (!json_is_number(f)) {
            return ql_pricing_error(json, len, key, klen,
                                    ql_pricing_fields[i],
                                    "must be a number (dollars per token)",
                                    err, errlen);
        }

        if (json_is_integer(f)) {
            if (json_integer_value(f) < 0
                || (uint64_t) json_integer_value(f)
                   > UINT64_MAX / QL_PICO_PER_DOLLAR)
            {
                return ql_pricing_error(json, len, key, klen,
                                        ql_pricing_fields[i],
                                        "is negative or too large", err,
                                        errlen);
            }

            val[i] = (uint64_t) json_integer_value(f) * QL_PICO_PER_DOLLAR;

        } else if (ql_price_from_double(json_real_value(f), &val[i]) != 0) {
            return ql_pricing_error(json, len, key, klen,
                                    ql_pricing_fields[i],
                                    "is negative or too large", err,
                                    errlen);
        }

        have[i] = 1;
    }

    /* neither input nor output: not priced per token (images, audio) */
    if (!have[0] && !have[1]) {
        return 0;
    }

    price->input = val[0];
    price->output = val[1];
    price->cache_write_5m = have[2] ? val[2] : val[0];
    price->cache_write_1h = have[3] ? val[3] : price->cache_write_5m;
    price->cache_read = have[4] ? val[4] : val[0];

    return 1;
}


int
ql_pricing_load(const unsigned char *json, size_t len, ql_pricing_t **out,
    char *err, size_t errlen)
{
    int                  rc;
    char                *names, *an;
    void                *it;
    size_t               i, n, klen, total, line, col;
    json_t              *root, *v;
    const char          *key;
    json_error_t         jerr;
    ql_pricing_t        *t;
    ql_pricing_entry_t  *e;
    unsigned char        norm[QL_PRICING_NAME_MAX];

    *out = NULL;

    root = json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES,
                      &jerr);

    if (root == NULL) {
        snprintf(err, errlen, "line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return -1;
    }

    if (!json_is_object(root)) {
        for (i = 0, line = 1, col = 1; i < len; i++) {
            if (json[i] == '\n') {
                line++;
                col = 1;

            } else if (json[i] == ' ' || json[i] == '\t' || json[i] == '\r')
            {
                col++;

            } else {
                break;
            }
        }

        snprintf(err, errlen, "line %zu, column %zu: the price table must "
                 "be an object of models", line, col);
        json_decref(root);
        return -1;
    }

    t = calloc(1, sizeof(ql_pricing_t));
    n = json_object_size(root);
    total = 0;

    json_object_foreach(root, key, v) {
        total += json_object_iter_key_len(json_object_key_to_iter(key)) + 1;
    }

    if (t == NULL
        || (t->entries = calloc(n + 1, sizeof(ql_pricing_entry_t))) == NULL
        || (t->aliases = calloc(n + 1, sizeof(ql_pricing_alias_t))) == NULL
        || (t->names = malloc(2 * total + 1)) == NULL)
    {
        snprintf(err, errlen, "out of memory");
        json_decref(root);
        ql_pricing_free(t);
        return -1;
    }

    names = t->names;
    ql_pricing_builtin(&t->builtin);

    for (it = json_object_iter(root); it != NULL;
         it = json_object_iter_next(root, it))
    {
        key = json_object_iter_key(it);
        klen = json_object_iter_key_len(it);
        v = json_object_iter_value(it);
        e = &t->entries[t->n];

        rc = ql_pricing_entry(json, len, key, klen, v, &e->pub.price, err,
                              errlen);

        if (rc < 0) {
            json_decref(root);
            ql_pricing_free(t);
            return -1;
        }

        /* a NUL inside a name could never be asked for */
        if (rc == 0 || strlen(key) != klen) {
            continue;
        }

        memcpy(names, key, klen + 1);
        e->pub.name = names;
        e->len = klen;
        names += klen + 1;
        t->n++;
    }

    json_decref(root);

    qsort(t->entries, t->n, sizeof(ql_pricing_entry_t), ql_pricing_entry_cmp);

    /* aliases point into entries: only after they stopped moving */
    an = names;

    for (i = 0; i < t->n; i++) {
        e = &t->entries[i];
        n = ql_pricing_normalize((const unsigned char *) e->pub.name, e->len,
                                 norm, sizeof(norm));

        if (n == 0 || (n == e->len && memcmp(norm, e->pub.name, n) == 0)) {
            continue;
        }

        memcpy(an, norm, n);
        an[n] = '\0';
        t->aliases[t->naliases].name = an;
        t->aliases[t->naliases].len = n;
        t->aliases[t->naliases].entry = e;
        t->naliases++;
        an += n + 1;
    }

    qsort(t->aliases, t->naliases, sizeof(ql_pricing_alias_t),
          ql_pricing_alias_cmp);

    for (i = 0, n = 0; i < t->naliases; i++) {
        if (n > 0 && t->aliases[n - 1].len == t->aliases[i].len
            && memcmp(t->aliases[n - 1].name, t->aliases[i].name,
                      t->aliases[i].len) == 0)
        {
            continue;
        }

        t->aliases[n++] = t->aliases[i];
    }

    t->naliases = n;

    t->fallback = ql_pricing_find(t, (const unsigned char *) "default", 7);

    if (t->fallback == NULL) {
        t->fallback = &t->builtin;
    }

    *out = t;

    return 0;
}


int
ql_pricing_load_file(const char *path, ql_pricing_t **out, char *err,
    size_t errlen)
{
    int             rc;
    char            msg[512];
    FILE           *f;
    size_t          n, size;
    unsigned char  *buf, *nb;

    *out = NULL;

    f = fopen(path, "rb");

    if (f == NULL) {
        snprintf(err, errlen, "cannot open price table \"%s\": %s", path,
                 strerror(errno));
        return -1;
    }

    size = 65536;
    n = 0;
    buf = malloc(size);

    while (buf != NULL) {
        n += fread(buf + n, 1, size - n, f);

        if (n < size) {
            break;
        }

        if (size >= QL_PRICING_FILE_MAX) {
            free(buf);
            fclose(f);
            snprintf(err, errlen, "price table \"%s\" is larger than %d "
                     "bytes", path, QL_PRICING_FILE_MAX);
            return -1;
        }

        size *= 2;
        nb = realloc(buf, size);

        if (nb == NULL) {
            free(buf);
        }

        buf = nb;
    }

    if (buf == NULL || ferror(f)) {
        snprintf(err, errlen, "cannot read price table \"%s\"", path);
        free(buf);
        fclose(f);
        return -1;
    }

    fclose(f);

    rc = ql_pricing_load(buf, n, out, msg, sizeof(msg));
    free(buf);

    if (rc != 0) {
        snprintf(err, errlen, "price table \"%s\": %s", path, msg);
    }

    return rc;
}


void
ql_pricing_free(ql_pricing_t *t)
{
    if (t == NULL) {
        return;
    }

    free(t->entries);
    free(t->aliases);
    free(t->names);
    free(t);
}


size_t
ql_pricing_count(const ql_pricing_t *t)
{
    return t->n;
}
