/*
 * QuotaLane admind: creating the first admin user.
 *
 * There is never a default password: the operator names the user and a
 * file with its password, or admind only warns that nobody can log in.
 */

#include <stdio.h>
#include <string.h>
#include <mysqld_error.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_secret.h"
#include "admind_password.h"
#include "admind_db_stmt.h"
#include "admind_bootstrap.h"


int
admind_bootstrap_username_valid(const char *name)
{
    size_t  i, len;

    len = strlen(name);

    if (len == 0 || len > 64) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= 'A' && name[i] <= 'Z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '.' || name[i] == '_' || name[i] == '@'
              || name[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


int
admind_bootstrap_admin(MYSQL *mysql, const admind_conf_t *conf, char *err,
    size_t errlen)
{
    int                 found, rc;
    char                hash[ADMIND_PASSWORD_HASH_LEN], *password;
    size_t              len;
    long long           admins;
    const char         *user;
    admind_db_param_t   params[2];
    admind_db_result_t  res;

    if (admind_db_select_int(mysql, "SELECT COUNT(*) FROM users "
                             "WHERE role = 'admin'", NULL, 0, &admins,
                             &found, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    user = conf->bootstrap_admin_user;

    if (admins > 0) {
        if (user[0]) {
            admind_log(ADMIND_LOG_INFO, "an admin user exists; bootstrap "
                       "skipped", "admins", json_integer(admins), NULL);
        }
        return ADMIND_OK;
    }

    if (user[0] == '\0' || conf->bootstrap_admin_password_file[0] == '\0') {
        admind_log(ADMIND_LOG_WARN, "no admin user exists; set "
                   "bootstrap_admin_user and bootstrap_admin_password_file "
                   "to create one", NULL);
        return ADMIND_OK;
    }

    if (!admind_bootstrap_username_valid(user)) {
        snprintf(err, errlen, "bootstrap_admin_user \"%s\": use 1 to 64 of "
                 "A-Z a-z 0-9 . _ @ -", user);
        return ADMIND_ERROR;
    }

    if (admind_secret_read_line(conf->bootstrap_admin_password_file,
                                &password, &len, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (len < ADMIND_BOOTSTRAP_PASSWORD_MIN || len > ADMIND_PASSWORD_MAX) {
        snprintf(err, errlen, "%s: the admin password must have %d to %d "
                 "bytes", conf->bootstrap_admin_password_file,
                 ADMIND_BOOTSTRAP_PASSWORD_MIN, ADMIND_PASSWORD_MAX);
        admind_secret_free(password, len);
        return ADMIND_ERROR;
    }

    rc = admind_password_hash(password, len, ADMIND_PASSWORD_COST, hash,
                              sizeof(hash));
    admind_secret_free(password, len);

    if (rc != ADMIND_OK) {
        snprintf(err, errlen, "hashing the admin password failed");
        return ADMIND_ERROR;
    }

    params[0] = admind_db_str(user);
    params[1] = admind_db_str(hash);

    if (admind_db_exec(mysql, "INSERT INTO users "
                       "(username, password_hash, role, status) "
                       "VALUES (?, ?, 'admin', 'active')",
                       params, 2, &res, err, errlen)
        != ADMIND_OK)
    {
        if (admind_db_errno() == ER_DUP_ENTRY) {
            /* promoting an existing account silently would be a surprise */
            snprintf(err, errlen, "bootstrap_admin_user \"%s\" exists but "
                     "is not an admin; pick another name", user);
        }
        return ADMIND_ERROR;
    }

    admind_log(ADMIND_LOG_INFO, "bootstrap admin user created",
               "user", admind_log_str(user),
               "id", json_integer((json_int_t) res.insert_id), NULL);

    return ADMIND_OK;
}
