/*
 * QuotaLane admind: login attempts limited per username and address and
 * per address; per username only slowed, so that nobody can lock a user
 * out (the rule: admind_login_limit.c).
 */

#ifndef _ADMIND_LOGIN_LIMIT_H_INCLUDED_
#define _ADMIND_LOGIN_LIMIT_H_INCLUDED_


#include "admind.h"


/*
 * Counts an attempt of user from addr before its password is checked:
 * ADMIND_OK when it may go on, ADMIND_DECLINED when too many failed
 * lately from addr (or, past the per-name threshold, another attempt at
 * the name came within the pace), with the seconds until the next try
 * in *retry_after.
 */
int admind_login_limit_begin(const admind_conf_t *conf, const char *user,
    const char *addr, unsigned *retry_after);

/* the attempt succeeded: the name's counts are cleared */
void admind_login_limit_success(const admind_conf_t *conf, const char *user,
    const char *addr);

/* the attempt neither failed nor succeeded (the directory was down) */
void admind_login_limit_undo(const admind_conf_t *conf, const char *user,
    const char *addr);


#endif /* _ADMIND_LOGIN_LIMIT_H_INCLUDED_ */
