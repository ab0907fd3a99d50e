/*
 * QuotaLane admind: structured JSON logs, one object per line on stderr.
 */

#ifndef _ADMIND_LOG_H_INCLUDED_
#define _ADMIND_LOG_H_INCLUDED_


#include <stdio.h>
#include <jansson.h>

#include "admind.h"


typedef enum {
    ADMIND_LOG_DEBUG = 0,
    ADMIND_LOG_INFO,
    ADMIND_LOG_WARN,
    ADMIND_LOG_ERROR
} admind_log_level_e;


void admind_log_set_level(admind_log_level_e level);
void admind_log_set_stream(FILE *stream);
int admind_log_enabled(admind_log_level_e level);
const char *admind_log_level_name(admind_log_level_e level);
int admind_log_level_parse(const char *name, admind_log_level_e *level);

/*
 * admind_log(level, msg, key1, json_value1, key2, json_value2, ..., NULL)
 *
 * Every value is a new jansson reference that the call steals (also when
 * the level is filtered out), so json_string(), json_integer() may be
 * passed inline.  A NULL value drops its key.
 */
void admind_log(admind_log_level_e level, const char *msg, ...);

/* a JSON string from text that may not be valid UTF-8 (errors, paths) */
json_t *admind_log_str(const char *s);


#endif /* _ADMIND_LOG_H_INCLUDED_ */
