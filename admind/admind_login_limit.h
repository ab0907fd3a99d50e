/*
 * QuotaLane admind: login attempts limited per username and per address.
 */

#ifndef _ADMIND_LOGIN_LIMIT_H_INCLUDED_
#define _ADMIND_LOGIN_LIMIT_H_INCLUDED_


#include "admind.h"


/*
 * Counts an attempt of user from addr before its password is checked:
 * ADMIND_OK when it may go on, ADMIND_DECLINED when too many failed
 * lately, with the seconds until the next try in *retry_after.
 */
int admind_login_limit_begin(const admind_conf_t *conf, const char *user,
    const char *addr, unsigned *retry_after);

/* the attempt succeeded: the user's count is cleared */
void admind_login_limit_success(const admind_conf_t *conf, const char *user,
    const char *addr);

/* the attempt neither failed nor succeeded (the directory was down) */
void admind_login_limit_undo(const admind_conf_t *conf, const char *user,
    const char *addr);


#endif /* _ADMIND_LOGIN_LIMIT_H_INCLUDED_ */
