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


#include "admind.h"


/* an exit status: 0 all replayed, 1 some lines or Redis failed */
int admind_usage_replay(const admind_conf_t *conf, const char *path);


#endif /* _ADMIND_USAGE_REPLAY_H_INCLUDED_ */
