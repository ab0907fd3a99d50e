/*
 * QuotaLane admind: request bodies checked against a field table.
 *
 * Each resource describes its JSON fields once (name, type, flags,
 * limits); admind_fields_validate() then answers every "unknown field",
 * "wrong type", "missing field" and "out of range" case the same way for
 * all resources, naming the field.  Names follow the proto3 JSON mapping
 * (lowerCamelCase); 64-bit integers (ids) are accepted as a JSON number
 * or a decimal string, as proto3 JSON parsers do.
 *
 *     static const admind_field_t  fields[] = {
 *         ADMIND_F_OUTPUT("id", ADMIND_FIELD_ID),
 *         ADMIND_F_STRING("name", "name",
 *           ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 1, 128),
 *         ADMIND_F_INT("rpmLimit", "rpm_limit", 0, 0, 4294967295LL),
 *         ADMIND_F_END
 *     };
 *
 * A field with a column is stored as it comes (admind_write_fields());
 * the others (NULL) are output only or stored by the resource's hooks.
 */

#ifndef _ADMIND_FIELDS_H_INCLUDED_
#define _ADMIND_FIELDS_H_INCLUDED_


#include <time.h>
#include <jansson.h>

#include "admind.h"
#include "admind_time.h"


typedef enum {
    ADMIND_FIELD_STRING = 0,    /* min..max characters, or one of values */
    ADMIND_FIELD_INT,           /* number or decimal string in min..max */
    ADMIND_FIELD_ID,            /* int64 id >= 1: decimal string or number */
    ADMIND_FIELD_BOOL,
    ADMIND_FIELD_TIME,          /* RFC 3339 string */
    ADMIND_FIELD_STRINGS,       /* array of at most max_items strings */
    ADMIND_FIELD_MAP            /* object of at most max_items strings */
} admind_field_type_e;


/* needed when creating (an update may leave it out) */
#define ADMIND_FIELD_REQUIRED   0x01
/* null is a value: it clears the field */
#define ADMIND_FIELD_NULLABLE   0x02
/* set when creating only */
#define ADMIND_FIELD_IMMUTABLE  0x04
/* output only: ignored in requests, so a GET result can be sent back */
#define ADMIND_FIELD_OUTPUT     0x08
/* strings (and items): no control characters (newlines, tabs, NUL) */
#define ADMIND_FIELD_LINE       0x10


typedef enum {
    ADMIND_FIELDS_CREATE = 0,
    ADMIND_FIELDS_UPDATE
} admind_fields_mode_e;


typedef struct {
    const char            *name;
    admind_field_type_e    type;
    unsigned               flags;

    /*
     * INT: the value; STRING, STRINGS items and MAP names and values:
     * length in characters
     */
    long long              min;
    long long              max;

    /* STRING and STRINGS items: the allowed values, NULL terminated */
    const char *const     *values;

    /* STRINGS and MAP: the most items */
    unsigned               max_items;

    /* the column the value is stored in as it comes, or NULL */
    const char            *column;

    /*
     * How a row shows it (admind_resource.h): an SQL expression, or ""
     * for the column as its type reads (ids and 64-bit integers as
     * decimal strings, times in RFC 3339); a field with neither is not
     * read from SQL (a hook or the fixup makes it).
     */
    const char            *read;
} admind_field_t;


/*
 * One declaration per field: its name, column (or NULL), rules and, as
 * an optional last argument, the SQL it is read with when that is not
 * its column: ADMIND_F_OUTPUT("hasCredential", ADMIND_FIELD_BOOL,
 * "a.credentials_enc IS NOT NULL").
 */
#define ADMIND_F_STRING(n_, c_, f_, lo_, hi_, ...)                           \
    { .name = n_, .type = ADMIND_FIELD_STRING, .flags = f_,                  \
      .min = lo_, .max = hi_, .column = c_, .read = "" __VA_ARGS__ }

/* a string that is one of values (NULL terminated) */
#define ADMIND_F_ENUM(n_, c_, f_, v_, ...)                                   \
    { .name = n_, .type = ADMIND_FIELD_STRING, .flags = f_,                  \
      .values = v_, .column = c_, .read = "" __VA_ARGS__ }

#define ADMIND_F_INT(n_, c_, f_, lo_, hi_, ...)                              \
    { .name = n_, .type = ADMIND_FIELD_INT, .flags = f_, .min = lo_,         \
      .max = hi_, .column = c_, .read = "" __VA_ARGS__ }

#define ADMIND_F_ID(n_, c_, f_, ...)                                         \
    { .name = n_, .type = ADMIND_FIELD_ID, .flags = f_,                      \
      .column = c_, .read = "" __VA_ARGS__ }

#define ADMIND_F_BOOL(n_, c_, f_, ...)                                       \
    { .name = n_, .type = ADMIND_FIELD_BOOL, .flags = f_,                    \
      .column = c_, .read = "" __VA_ARGS__ }

#define ADMIND_F_TIME(n_, c_, f_, ...)                                       \
    { .name = n_, .type = ADMIND_FIELD_TIME, .flags = f_,                    \
      .column = c_, .read = "" __VA_ARGS__ }

/* items of min..max characters or one of values, at most max_items */
#define ADMIND_F_STRINGS(n_, c_, f_, lo_, hi_, v_, i_,                       \
                         ...)                                                \
    { .name = n_, .type = ADMIND_FIELD_STRINGS, .flags = f_,                 \
      .min = lo_, .max = hi_, .values = v_, .max_items = i_,                 \
      .column = c_, .read = "" __VA_ARGS__ }

/* an object of name -> string, both of min..max characters */
#define ADMIND_F_MAP(n_, c_, f_, lo_, hi_, i_, ...)                          \
    { .name = n_, .type = ADMIND_FIELD_MAP, .flags = f_, .min = lo_,         \
      .max = hi_, .max_items = i_, .column = c_,                             \
      .read = "" __VA_ARGS__ }

/* shown in answers, ignored in requests */
#define ADMIND_F_OUTPUT(n_, t_, ...)                                         \
    { .name = n_, .type = t_, .flags = ADMIND_FIELD_OUTPUT,                  \
      .read = "" __VA_ARGS__ }

/* what every resource row shows, read from its table's alias a ("u") */
#define ADMIND_F_ROW_ID(a)                                                   \
    ADMIND_F_OUTPUT("id", ADMIND_FIELD_ID, "CAST(" a ".id AS CHAR)")
#define ADMIND_F_ROW_CREATED(a)                                              \
    ADMIND_F_OUTPUT("createdAt", ADMIND_FIELD_TIME,                          \
                    ADMIND_SQL_TIME_READ(a ".created_at"))
#define ADMIND_F_ROW_UPDATED(a)                                              \
    ADMIND_F_OUTPUT("updatedAt", ADMIND_FIELD_TIME,                          \
                    ADMIND_SQL_TIME_READ(a ".updated_at"))
#define ADMIND_F_ROW_VERSION(a)                                              \
    ADMIND_F_OUTPUT("version", ADMIND_FIELD_INT, a ".version")

#define ADMIND_F_END                                                         \
    { .name = NULL }


/*
 * ADMIND_OK, or ADMIND_ERROR with a message naming the first bad field
 * (fields are checked in table order, unknown ones first).
 */
int admind_fields_validate(const admind_field_t *fields, json_t *body,
    admind_fields_mode_e mode, char *err, size_t errlen);

/* the same, answering 400 "invalid_argument" on error */
int admind_fields_check(admind_req_t *r, const admind_field_t *fields,
    json_t *body, admind_fields_mode_e mode);

/*
 * Accessors for a validated body.  "has" is true for a field given with
 * any value, null included; the others treat null like absence.
 */
int admind_fields_has(json_t *body, const char *name);
int admind_fields_is_null(json_t *body, const char *name);
const char *admind_fields_str(json_t *body, const char *name,
    const char *dflt);
long long admind_fields_int(json_t *body, const char *name, long long dflt);
int admind_fields_bool(json_t *body, const char *name, int dflt);
time_t admind_fields_time(json_t *body, const char *name, time_t dflt);
json_t *admind_fields_array(json_t *body, const char *name);

/*
 * Overwrites a string field in place before the body is freed: jansson
 * does not clear what it frees, and passwords or credentials should not
 * linger in the heap.
 */
void admind_fields_wipe(json_t *body, const char *name);

/* a JSON integer or decimal string as a number; ADMIND_ERROR otherwise */
int admind_fields_number(json_t *v, long long *n);


#endif /* _ADMIND_FIELDS_H_INCLUDED_ */
