/*
 * QuotaLane admind: creating the first admin user.
 */

#ifndef _ADMIND_BOOTSTRAP_H_INCLUDED_
#define _ADMIND_BOOTSTRAP_H_INCLUDED_


#include <mysql.h>

#include "admind.h"


#define ADMIND_BOOTSTRAP_PASSWORD_MIN  8


/*
 * With no admin in users, creates bootstrap_admin_user with the password
 * in bootstrap_admin_password_file; without those, warns.  Run under the
 * migration lock so that two starting admind do not race.
 */
int admind_bootstrap_admin(MYSQL *mysql, const admind_conf_t *conf,
    char *err, size_t errlen);

/* 1..64 of A-Z a-z 0-9 . _ @ - */
int admind_bootstrap_username_valid(const char *name);


#endif /* _ADMIND_BOOTSTRAP_H_INCLUDED_ */
