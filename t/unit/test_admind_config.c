/*
 * admind configuration: defaults, file syntax, errors with file:line,
 * environment and command-line overrides, derived fields.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "admind_config.h"


static int
setup(void **state)
{
    admind_conf_t  *conf;

    conf = malloc(sizeof(admind_conf_t));
    assert_non_null(conf);
    assert_int_equal(admind_conf_init(conf), ADMIND_OK);

    *state = conf;
    return 0;
}


static int
teardown(void **state)
{
    admind_conf_free(*state);
    free(*state);
    return 0;
}


static int
parse(admind_conf_t *conf, const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return admind_conf_parse(conf, "test.conf", text, strlen(text), err,
                             errlen);
}


static void
test_defaults(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_string_equal(conf->listen, "127.0.0.1:8081");
    assert_string_equal(conf->db_host, "");
    assert_int_equal(conf->db_port, 3306);
    assert_string_equal(conf->db_socket, "");
    assert_string_equal(conf->db_name, "quotalane");
    assert_int_equal(conf->db_connect_timeout, 5);
    assert_int_equal(conf->db_read_timeout, 10);
    assert_int_equal(conf->db_write_timeout, 10);
    assert_string_equal(conf->redis, "127.0.0.1:6379");
    assert_int_equal(conf->redis_db, 0);
    assert_string_equal(conf->redis_prefix, "ql:{main}:");
    assert_string_equal(conf->migrations_dir, "admind/migrations");
    assert_string_equal(conf->master_key_file, "");
    assert_int_equal(conf->log_level, ADMIND_LOG_INFO);
    assert_int_equal(conf->max_body_bytes, 1024 * 1024);
    assert_int_equal(conf->http_threads, 4);
    assert_int_equal(conf->http_connection_timeout, 15);
    assert_int_equal(conf->http_max_connections, 256);
    assert_int_equal(conf->http_max_connections_per_ip, 32);
    assert_int_equal(conf->http_max_uri_bytes, 8192);
    assert_int_equal(conf->http_max_header_bytes, 16384);

    assert_int_equal(admind_conf_check(conf, err, sizeof(err)), ADMIND_OK);
    assert_string_equal(conf->listen_host, "127.0.0.1");
    assert_int_equal(conf->listen_port, 8081);
    assert_string_equal(conf->redis_host, "127.0.0.1");
    assert_int_equal(conf->redis_port, 6379);
    assert_null(conf->redis_unix);
}


static void
test_full_file(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf,
        "# QuotaLane admind\n"
        "\n"
        "   # indented comment\n"
        "listen = 0.0.0.0:9000\n"
        "db_host=db.example\n"
        "db_port = 3307\r\n"
        "db_socket = /run/mysqld/mysqld.sock\n"
        "db_user = ql   # trailing comment\n"
        "db_password_file = /etc/ql/db#1\n"
        "db_name = ql_test\n"
        "db_connect_timeout = 3\n"
        "db_read_timeout = 20\n"
        "db_write_timeout = 21\n"
        "redis = unix:/run/redis.sock\n"
        "redis_password = \"pa ss # word\"\n"
        "redis_db = 2\n"
        "redis_timeout_ms = 250\n"
        "redis_prefix = \"\"\n"
        "migrations_dir = /usr/share/ql/migrations\n"
        "master_key_file = /etc/ql/master.key\n"
        "jwt_secret_file = /etc/ql/jwt\n"
        "bootstrap_admin_user = root@example\n"
        "bootstrap_admin_password_file = /etc/ql/admin\n"
        "log_level = debug\n"
        "max_body_bytes = 64k\n"
        "http_threads = 8",
        err, sizeof(err)), ADMIND_OK);

    assert_string_equal(conf->listen, "0.0.0.0:9000");
    assert_string_equal(conf->db_host, "db.example");
    assert_int_equal(conf->db_port, 3307);
    assert_string_equal(conf->db_socket, "/run/mysqld/mysqld.sock");
    assert_string_equal(conf->db_user, "ql");
    /* '#' not after a space is part of the value */
    assert_string_equal(conf->db_password_file, "/etc/ql/db#1");
    assert_string_equal(conf->db_name, "ql_test");
    assert_int_equal(conf->db_connect_timeout, 3);
    assert_int_equal(conf->db_read_timeout, 20);
    assert_int_equal(conf->db_write_timeout, 21);
    assert_string_equal(conf->redis_password, "pa ss # word");
    assert_int_equal(conf->redis_db, 2);
    assert_int_equal(conf->redis_timeout_ms, 250);
    assert_string_equal(conf->redis_prefix, "");
    assert_string_equal(conf->bootstrap_admin_user, "root@example");
    assert_int_equal(conf->log_level, ADMIND_LOG_DEBUG);
    assert_int_equal(conf->max_body_bytes, 64 * 1024);
    assert_int_equal(conf->http_threads, 8);

    assert_int_equal(admind_conf_check(conf, err, sizeof(err)), ADMIND_OK);
    assert_string_equal(conf->listen_host, "0.0.0.0");
    assert_int_equal(conf->listen_port, 9000);
    assert_string_equal(conf->redis_unix, "/run/redis.sock");
    assert_string_equal(conf->redis_host, "");
}


static void
test_quoted_escapes(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf, "db_password = \"a\\\"b\\\\c\"  # c\n",
                           err, sizeof(err)), ADMIND_OK);
    assert_string_equal(conf->db_password, "a\"b\\c");
}


static void
test_errors_name_file_and_line(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf, "listen = 127.0.0.1:1\n\nbogus = 1\n",
                           err, sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "test.conf:3: unknown key \"bogus\"");
}


static void
test_bad_values(void **state)
{
    size_t          i;
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    static const char  *bad[] = {
        "db_port = 0\n",
        "db_port = 65536\n",
        "db_port = -1\n",
        "db_port = 12ab\n",
        "db_port = \n",
        "db_port = +5\n",
        "db_port = 99999999999999999999999\n",
        "db_read_timeout = 0\n",
        "redis_db = x\n",
        "log_level = verbose\n",
        "log_level = INFO\n",
        "max_body_bytes = 0\n",
        "max_body_bytes = 2g\n",
        "max_body_bytes = 1025m\n",
        "max_body_bytes = k\n",
        "http_threads = 0\n",
        "http_connection_timeout = 0\n",
        "http_max_connections = 0\n",
        "http_max_uri_bytes = 100\n",
        "http_max_header_bytes = 2m\n",
        "listen = 8081\n",
        "listen = :8081\n",
        "listen = host:\n",
        "listen = host:99999\n",
        "listen = ::1:80\n",
        "listen = [::1]80\n",
        "redis = localhost\n",
        "redis = localhost:0\n",
        "redis = unix:relative.sock\n",
        "db_name = \n",
        "migrations_dir = \"\"\n",
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (parse(conf, bad[i], err, sizeof(err)) != ADMIND_ERROR) {
            fail_msg("accepted: %s", bad[i]);
        }

        if (strncmp(err, "test.conf:1: invalid value for \"", 32) != 0) {
            fail_msg("%s -> %s", bad[i], err);
        }
    }
}


static void
test_syntax_errors(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf, "listen\n", err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "test.conf:1: expected \"key = value\"");

    assert_int_equal(parse(conf, "# c\n= value\n", err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "test.conf:2: expected \"key = value\"");

    assert_int_equal(parse(conf, "db-user = x\n", err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "test.conf:1: expected \"key = value\"");

    assert_int_equal(parse(conf, "db_user = \"open\n", err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "test.conf:1: unterminated quoted value");

    assert_int_equal(parse(conf, "db_user = \"a\" b\n", err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err,
                        "test.conf:1: unexpected text after the quoted value");

    assert_int_equal(admind_conf_parse(conf, "nul.conf", "a\0b", 3, err,
                                       sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "nul.conf: contains a NUL byte");
}


static void
test_duplicate_key(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf, "db_user = a\n# x\ndb_user = b\n", err,
                           sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "test.conf:3: duplicate key \"db_user\" "
                        "(first set on line 1)");
}


static void
test_ipv6_listen(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf, "listen = [::1]:0\n", err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)), ADMIND_OK);
    assert_string_equal(conf->listen_host, "::1");
    assert_int_equal(conf->listen_port, 0);
}


static void
test_env_overrides(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf, "listen = 127.0.0.1:1\ndb_port = 1\n", err,
                           sizeof(err)), ADMIND_OK);

    setenv("QL_ADMIND_LISTEN", "127.0.0.1:2", 1);
    setenv("QL_ADMIND_DB_HOST", "", 1);
    setenv("QL_ADMIND_REDIS_PREFIX", "test:", 1);
    setenv("QL_ADMIND_MAX_BODY_BYTES", "2m", 1);

    assert_int_equal(admind_conf_apply_env(conf, err, sizeof(err)),
                     ADMIND_OK);
    assert_string_equal(conf->listen, "127.0.0.1:2");
    assert_int_equal(conf->db_port, 1);
    assert_string_equal(conf->db_host, "");
    assert_string_equal(conf->redis_prefix, "test:");
    assert_int_equal(conf->max_body_bytes, 2 * 1024 * 1024);

    setenv("QL_ADMIND_DB_PORT", "nope", 1);
    assert_int_equal(admind_conf_apply_env(conf, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "environment variable QL_ADMIND_DB_PORT: "
                        "invalid value for \"db_port\": expected an integer "
                        "in 1..65535, got \"nope\"");

    unsetenv("QL_ADMIND_LISTEN");
    unsetenv("QL_ADMIND_DB_HOST");
    unsetenv("QL_ADMIND_REDIS_PREFIX");
    unsetenv("QL_ADMIND_MAX_BODY_BYTES");
    unsetenv("QL_ADMIND_DB_PORT");
}


static void
test_set_from_command_line(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(admind_conf_set(conf, "listen", "[::]:8081",
                                     "option --listen", err, sizeof(err)),
                     ADMIND_OK);
    assert_string_equal(conf->listen, "[::]:8081");

    assert_int_equal(admind_conf_set(conf, "listen", "x",
                                     "option --listen", err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "option --listen: invalid value for \"listen\": "
                        "expected ADDRESS:PORT or [IPV6]:PORT, got \"x\"");

    assert_int_equal(admind_conf_set(conf, "nope", "x", "somewhere", err,
                                     sizeof(err)), ADMIND_ERROR);
}


static void
test_check_across_keys(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_int_equal(parse(conf, "db_password = a\ndb_password_file = b\n",
                           err, sizeof(err)), ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "db_password_file"));

    admind_conf_free(conf);
    assert_int_equal(admind_conf_init(conf), ADMIND_OK);

    assert_int_equal(parse(conf, "bootstrap_admin_password_file = /x\n", err,
                           sizeof(err)), ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "bootstrap_admin_user"));

    admind_conf_free(conf);
    assert_int_equal(admind_conf_init(conf), ADMIND_OK);

    assert_int_equal(parse(conf, "redis_password = a\n"
                           "redis_password_file = b\n", err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "redis_password_file"));
    admind_conf_free(conf);
    assert_int_equal(admind_conf_init(conf), ADMIND_OK);

    assert_int_equal(parse(conf, "http_threads = 8\n"
                           "http_max_connections = 4\n", err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "http_max_connections"));

    admind_conf_free(conf);
    assert_int_equal(admind_conf_init(conf), ADMIND_OK);

    /* an ACL user without a password would log in as nobody */
    assert_int_equal(parse(conf, "redis_user = quotalane-admind\n", err,
                           sizeof(err)), ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "redis_user needs"));

    admind_conf_free(conf);
    assert_int_equal(admind_conf_init(conf), ADMIND_OK);

    assert_int_equal(parse(conf, "redis_user = quotalane-admind\n"
                           "redis_password_file = /x\n", err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)), ADMIND_OK);
    assert_string_equal(conf->redis_user, "quotalane-admind");
    admind_conf_free(conf);
    assert_int_equal(admind_conf_init(conf), ADMIND_OK);

    assert_int_equal(parse(conf, "http_max_uri_bytes = 32k\n", err,
                           sizeof(err)), ADMIND_OK);
    assert_int_equal(admind_conf_check(conf, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "http_max_uri_bytes"));
}


static void
test_load_file(void **state)
{
    int             fd;
    char            path[] = "/tmp/test_admind_config_XXXXXX";
    char            err[ADMIND_ERRLEN];
    const char     *text = "listen = 127.0.0.1:7\nlog_level = warn\n"
                           "redis_db = x\n";
    admind_conf_t  *conf = *state;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);

    assert_int_equal(admind_conf_load(conf, path, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, ":3: invalid value for \"redis_db\""));
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_string_equal(conf->listen, "127.0.0.1:7");
    assert_int_equal(conf->log_level, ADMIND_LOG_WARN);

    unlink(path);

    assert_int_equal(admind_conf_load(conf, path, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "No such file"));
}


/* parsed when set, so a typo stops admind at startup with file:line */
static void
test_outbound_allow(void **state)
{
    char            err[ADMIND_ERRLEN];
    admind_conf_t  *conf = *state;

    assert_string_equal(conf->outbound_allow, "");
    assert_int_equal(conf->outbound.n, 0);

    assert_int_equal(parse(conf, "outbound_allow = 127.0.0.1:8090, "
                           "10.1.2.0/24  # the mock, the lab\n", err,
                           sizeof(err)),
                     ADMIND_OK);
    assert_string_equal(conf->outbound_allow, "127.0.0.1:8090, 10.1.2.0/24");
    assert_int_equal(conf->outbound.n, 2);
    assert_int_equal(conf->outbound.v[0].port, 8090);
    assert_int_equal(conf->outbound.v[1].bits, 24);

    /* the command line replaces the list, also with an empty one */
    assert_int_equal(admind_conf_set(conf, "outbound_allow", "", "test", err,
                                     sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(conf->outbound.n, 0);

    /* another file, where the key is not a duplicate */
    memset(conf->seen, 0, sizeof(conf->seen));

    assert_int_equal(parse(conf, "outbound_allow = localhost:8090\n", err,
                           sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "test.conf:1: invalid value for "
                        "\"outbound_allow\": \"localhost:8090\" is not "
                        "ADDRESS[/BITS][:PORT] (IPv6 in brackets before a "
                        "port; no host names)");
    assert_int_equal(conf->outbound.n, 0);
}


static void
test_hostport(void **state)
{
    char      host[ADMIND_CONF_HOST_MAX];
    unsigned  port;

    (void) state;

    assert_int_equal(admind_conf_parse_hostport("localhost:6379", host,
                                                sizeof(host), &port, 1),
                     ADMIND_OK);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 6379);

    assert_int_equal(admind_conf_parse_hostport("[fe80::1]:1", host,
                                                sizeof(host), &port, 1),
                     ADMIND_OK);
    assert_string_equal(host, "fe80::1");

    assert_int_equal(admind_conf_parse_hostport("h:0", host, sizeof(host),
                                                &port, 1), ADMIND_ERROR);
    assert_int_equal(admind_conf_parse_hostport("h:0", host, sizeof(host),
                                                &port, 0), ADMIND_OK);
    assert_int_equal(admind_conf_parse_hostport("[]:1", host, sizeof(host),
                                                &port, 0), ADMIND_ERROR);
    assert_int_equal(admind_conf_parse_hostport("abcdef:1", host, 4,
                                                &port, 0), ADMIND_ERROR);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_escapes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_file_and_line,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_listen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_from_command_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_check_across_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbound_allow, setup,
                                        teardown),
        cmocka_unit_test(test_hostport),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
