/*
 * admind migrations: file names, directory scan order and duplicates,
 * statement splitting (';' at line end, comment lines), and the shipped
 * migrations split cleanly.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "admind_file.h"
#include "admind_migrate.h"


#define MAX_STMTS  32


typedef struct {
    unsigned   n;
    char      *sql[MAX_STMTS];
    unsigned   line[MAX_STMTS];
    unsigned   fail_at;
} collected_t;


static int
collect(void *data, const char *sql, size_t len, unsigned line)
{
    collected_t  *c = data;

    assert_int_equal(strlen(sql), len);
    assert_true(c->n < MAX_STMTS);

    if (c->fail_at && c->n + 1 == c->fail_at) {
        return ADMIND_ERROR;
    }

    c->sql[c->n] = strdup(sql);
    c->line[c->n] = line;
    c->n++;

    return ADMIND_OK;
}


static void
collected_free(collected_t *c)
{
    unsigned  i;

    for (i = 0; i < c->n; i++) {
        free(c->sql[i]);
    }
}


static void
split(const char *text, collected_t *c)
{
    memset(c, 0, sizeof(collected_t));
    assert_int_equal(admind_migrate_split(text, strlen(text), collect, c),
                     ADMIND_OK);
}


static void
test_names(void **state)
{
    char      name[ADMIND_MIGRATE_NAME_MAX];
    unsigned  v;

    (void) state;

    assert_int_equal(admind_migrate_parse_name("0001_schema_v1.sql", &v,
                                               name, sizeof(name)),
                     ADMIND_OK);
    assert_int_equal(v, 1);
    assert_string_equal(name, "schema_v1");

    assert_int_equal(admind_migrate_parse_name("12_add-index.sql", &v, name,
                                               sizeof(name)), ADMIND_OK);
    assert_int_equal(v, 12);
    assert_string_equal(name, "add-index");

    assert_int_equal(admind_migrate_parse_name("README.md", &v, name,
                                               sizeof(name)),
                     ADMIND_DECLINED);
    assert_int_equal(admind_migrate_parse_name("0001_x.sql~", &v, name,
                                               sizeof(name)),
                     ADMIND_DECLINED);

    assert_int_equal(admind_migrate_parse_name("schema.sql", &v, name,
                                               sizeof(name)), ADMIND_ERROR);
    assert_int_equal(admind_migrate_parse_name("0000_zero.sql", &v, name,
                                               sizeof(name)), ADMIND_ERROR);
    assert_int_equal(admind_migrate_parse_name("0001_.sql", &v, name,
                                               sizeof(name)), ADMIND_ERROR);
    assert_int_equal(admind_migrate_parse_name("0001-x.sql", &v, name,
                                               sizeof(name)), ADMIND_ERROR);
    assert_int_equal(admind_migrate_parse_name("0001_a b.sql", &v, name,
                                               sizeof(name)), ADMIND_ERROR);
    assert_int_equal(admind_migrate_parse_name("99999999999_x.sql", &v,
                                               name, sizeof(name)),
                     ADMIND_ERROR);
}


static void
test_split_basic(void **state)
{
    collected_t  c;

    (void) state;

    split("-- header comment; with a semicolon;\n"
          "\n"
          "CREATE TABLE a (\n"
          "    id INT\n"
          ");\n"
          "# hash comment;\n"
          "INSERT INTO a VALUES (1);   \r\n"
          "  -- indented comment\n"
          "INSERT INTO a VALUES ('x;y');\n"
          "SELECT 1", &c);

    assert_int_equal(c.n, 4);
    assert_string_equal(c.sql[0], "CREATE TABLE a (\n    id INT\n)");
    assert_int_equal(c.line[0], 3);
    assert_string_equal(c.sql[1], "INSERT INTO a VALUES (1)");
    assert_int_equal(c.line[1], 7);
    assert_string_equal(c.sql[2], "INSERT INTO a VALUES ('x;y')");
    assert_int_equal(c.line[2], 9);
    assert_string_equal(c.sql[3], "SELECT 1");
    assert_int_equal(c.line[3], 10);

    collected_free(&c);
}


static void
test_split_comment_inside_statement(void **state)
{
    collected_t  c;

    (void) state;

    split("CREATE TABLE b (\n"
          "    -- a column comment;\n"
          "    id INT\n"
          ");\n"
          ";\n"
          "\n", &c);

    assert_int_equal(c.n, 1);
    assert_string_equal(c.sql[0], "CREATE TABLE b (\n    id INT\n)");

    collected_free(&c);
}


static void
test_split_empty(void **state)
{
    collected_t  c;

    (void) state;

    split("", &c);
    assert_int_equal(c.n, 0);

    split("-- only a comment\n\n   \n", &c);
    assert_int_equal(c.n, 0);
}


static void
test_split_stops_on_error(void **state)
{
    collected_t  c;

    (void) state;

    memset(&c, 0, sizeof(c));
    c.fail_at = 2;

    assert_int_equal(admind_migrate_split("A;\nB;\nC;\n", 9, collect, &c),
                     ADMIND_ERROR);
    assert_int_equal(c.n, 1);

    collected_free(&c);
}


static void
touch(const char *dir, const char *name)
{
    char   path[512];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("SELECT 1;\n", f);
    fclose(f);
}


static void
remove_all(const char *dir, const char **names, size_t n)
{
    char    path[512];
    size_t  i;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }

    rmdir(dir);
}


static void
test_scan(void **state)
{
    char                 dir[] = "/tmp/test_admind_migrate_XXXXXX";
    char                 err[ADMIND_ERRLEN];
    size_t               i;
    admind_migrations_t  list;

    static const char  *names[] = {
        "0010_ten.sql", "0002_two.sql", "0001_one.sql", "README",
        ".0003_hidden.sql", "0002_again.sql", "bad.sql",
    };

    (void) state;

    assert_non_null(mkdtemp(dir));

    for (i = 0; i < 5; i++) {
        touch(dir, names[i]);
    }

    assert_int_equal(admind_migrate_scan(dir, &list, err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(list.n, 3);
    assert_int_equal(list.items[0].version, 1);
    assert_string_equal(list.items[0].name, "one");
    assert_string_equal(list.items[0].file, "0001_one.sql");
    assert_int_equal(list.items[1].version, 2);
    assert_int_equal(list.items[2].version, 10);
    assert_non_null(strstr(list.items[2].path, "/0010_ten.sql"));
    admind_migrate_free(&list);

    /* two files with one version */
    touch(dir, names[5]);
    assert_int_equal(admind_migrate_scan(dir, &list, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "same version 2"));
    assert_null(list.items);

    /* a .sql file that is not named like a migration */
    remove_all(dir, &names[5], 1);
    touch(dir, names[6]);
    assert_int_equal(admind_migrate_scan(dir, &list, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "bad.sql"));

    remove_all(dir, names, sizeof(names) / sizeof(names[0]));

    assert_int_equal(admind_migrate_scan(dir, &list, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "No such file"));
}


static void
test_shipped_migrations(void **state)
{
    char                 err[ADMIND_ERRLEN];
    size_t               i, len;
    unsigned             s;
    collected_t          c;
    unsigned char       *buf;
    admind_migrations_t  list;

    (void) state;

    /* unit tests run from the repository root */
    assert_int_equal(admind_migrate_scan("admind/migrations", &list, err,
                                         sizeof(err)), ADMIND_OK);
    assert_true(list.n >= 1);
    assert_int_equal(list.items[0].version, 1);

    for (i = 0; i < list.n; i++) {
        assert_int_equal(admind_file_read(list.items[i].path, 1 << 24, &buf,
                                          &len, err, sizeof(err)),
                         ADMIND_OK);

        memset(&c, 0, sizeof(c));
        assert_int_equal(admind_migrate_split((char *) buf, len, collect,
                                              &c), ADMIND_OK);
        assert_true(c.n >= 1);

        for (s = 0; s < c.n; s++) {
            /* a stray ';' inside a statement would split it in two */
            assert_null(strchr(c.sql[s], ';'));
        }

        collected_free(&c);
        free(buf);
    }

    admind_migrate_free(&list);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_split_basic),
        cmocka_unit_test(test_split_comment_inside_statement),
        cmocka_unit_test(test_split_empty),
        cmocka_unit_test(test_split_stops_on_error),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_shipped_migrations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
