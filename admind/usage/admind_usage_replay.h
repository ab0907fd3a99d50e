/*
 * QuotaLane admind: `admind -c FILE --replay-usage DUMP`.
 *
 * A gateway worker that exits with usage records Redis never took (it
 * was down for the whole quotalane_usage_drain_timeout, or nginx was
 * stopped fast) writes each to its error log as one line
 * `quotalane: unsent usage {"request_id":...}`.  This sends every such
 * record in DUMP ("-": standard input) to the usage stream again.
 * Replaying is safe whatever the dump holds: the consumer stores a
 * request id once, and the limit counters are not touched.
 */

#ifndef _ADMIND_USAGE_REPLAY_H_INCLUDED_
#define _ADMIND_USAGE_REPLAY_H_INCLUDED_


#include <jansson.h>

#include "admind.h"


/* an exit status: 0 all replayed, 1 some lines or Redis failed */
int admind_usage_replay(const admind_conf_t *conf, const char *path);

/*
 * One line of the dump: ADMIND_OK with *record (a JSON object of string
 * fields with a request_id; json_decref() it), ADMIND_DECLINED for a
 * line that holds no record, ADMIND_ERROR with err for a record that is
 * not whole or well-formed.
 */
int admind_usage_replay_line(const char *line, size_t len, json_t **record,
    char *err, size_t errlen);


#endif /* _ADMIND_USAGE_REPLAY_H_INCLUDED_ */
