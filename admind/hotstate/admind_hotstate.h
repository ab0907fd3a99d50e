/*
 * QuotaLane admind: the Redis hot state (proto/redis_layout.md).
 *
 * MySQL is the source of truth.  After each commit a handler calls one of
 * the publish functions (admind_hotstate.c), which read the committed rows
 * again and write their records; a failure there never fails the API
 * call: it is logged, marks the state dirty and leaves the repair to
 * admind_hotstate_resync() (admind_hotstate_resync.c), run at startup and
 * by the resync worker (admind_resync_worker.c).
 */

#ifndef _ADMIND_HOTSTATE_H_INCLUDED_
#define _ADMIND_HOTSTATE_H_INCLUDED_


#include <mysql.h>

#include "admind.h"
#include "admind_outbound_allow.h"


typedef struct {
    unsigned long   keys;
    unsigned long   accounts;
    unsigned long   groups;
    unsigned long   sets;
    unsigned long   stale;          /* records deleted: gone from MySQL */
    unsigned long   skipped;        /* rows that could not be published */
} admind_hotstate_stats_t;


/* before any thread uses the functions below */
int admind_hotstate_init(const admind_conf_t *conf);
void admind_hotstate_shutdown(void);

/* key:<digest> of one key, or of every key of a user (status folded in) */
void admind_hotstate_key(MYSQL *mysql, uint64_t key_id);
void admind_hotstate_user_keys(MYSQL *mysql, uint64_t user_id);
void admind_hotstate_key_deleted(const char *digest);

/*
 * account:<id> (HSET of the configuration fields only: the module's
 * runtime fields stay), accounts:<pool> of each pool of its type (and
 * of no other pool) and group:<id>:accounts; old_group is the group the
 * account left (0: none or unchanged).
 */
void admind_hotstate_account(MYSQL *mysql, uint64_t id, uint64_t old_group);
/* the record gone, out of every pool and of its group */
void admind_hotstate_account_deleted(uint64_t id, uint64_t group_id);
void admind_hotstate_group_deleted(uint64_t id);

/*
 * Rebuilds everything from MySQL: all records written, each set replaced
 * atomically, records of rows that are gone deleted, then <prefix>synced
 * set.  Publishing waits while it runs, so nothing it read goes stale
 * before it wrote.
 */
int admind_hotstate_resync(MYSQL *mysql, admind_hotstate_stats_t *st,
    char *err, size_t errlen);

/* a publish failed since the last resync began */
int admind_hotstate_dirty(void);

/* the Redis key of a name: prefix + name, into buf */
void admind_hotstate_name(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* the configured redis_prefix */
const char *admind_hotstate_prefix(void);

/* the configured outbound_allow, for the records' address check */
const admind_outbound_allow_t *admind_hotstate_outbound(void);

/*
 * For the resync only: publishes wait between admind_hotstate_exclusive()
 * and admind_hotstate_release(); set_dirty() records whether the state
 * needs another resync.
 */
void admind_hotstate_exclusive(void);
void admind_hotstate_release(void);
void admind_hotstate_set_dirty(int dirty);


#endif /* _ADMIND_HOTSTATE_H_INCLUDED_ */
