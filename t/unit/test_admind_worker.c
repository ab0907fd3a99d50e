/*
 * cmocka tests: the background worker abstraction.  A stop ends an hour's
 * pause at once (else this test would hang), ticks follow the pauses the
 * tick returns, and an outage is noted once.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "admind_worker.h"


typedef struct {
    pthread_mutex_t  mutex;
    pthread_cond_t   cond;
    unsigned         ticks;
    unsigned         want;      /* ticks before the long pause */
} counter_t;


static long long
count_tick(admind_worker_t *w)
{
    counter_t  *c = w->data;
    unsigned    n;

    pthread_mutex_lock(&c->mutex);
    n = ++c->ticks;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mutex);

    /* a few quick ticks, then an hour */
    return n < c->want ? 1 : 3600 * 1000;
}


static void
wait_ticks(counter_t *c, unsigned n)
{
    pthread_mutex_lock(&c->mutex);
    while (c->ticks < n) {
        pthread_cond_wait(&c->cond, &c->mutex);
    }
    pthread_mutex_unlock(&c->mutex);
}


static void
test_ticks_and_stop(void **state)
{
    char             err[128];
    counter_t        c;
    admind_worker_t  w;

    (void) state;

    memset(&c, 0, sizeof(c));
    pthread_mutex_init(&c.mutex, NULL);
    pthread_cond_init(&c.cond, NULL);
    c.want = 5;

    memset(&w, 0, sizeof(w));
    w.name = "test";
    w.tick = count_tick;
    w.data = &c;

    assert_int_equal(admind_worker_start(&w, err, sizeof(err)), ADMIND_OK);
    assert_true(w.running);

    /* the quick pauses pass, then the hour's: stop ends it */
    wait_ticks(&c, 5);
    assert_false(admind_worker_stopping(&w));
    admind_worker_stop(&w);
    assert_false(w.running);
    assert_int_equal(c.ticks, 5);

    /* stopping twice, or one never started, does nothing */
    admind_worker_stop(&w);

    /* it starts again */
    c.want = 8;
    assert_int_equal(admind_worker_start(&w, err, sizeof(err)), ADMIND_OK);
    wait_ticks(&c, 8);
    admind_worker_stop(&w);
    assert_int_equal(c.ticks, 8);
}


static void
test_stop_before_the_first_tick(void **state)
{
    char             err[128];
    counter_t        c;
    admind_worker_t  w;

    (void) state;

    memset(&c, 0, sizeof(c));
    memset(&w, 0, sizeof(w));
    w.name = "late";
    w.tick = count_tick;
    w.data = &c;
    w.first_ms = 3600 * 1000;

    assert_int_equal(admind_worker_start(&w, err, sizeof(err)), ADMIND_OK);
    admind_worker_stop(&w);
    assert_int_equal(c.ticks, 0);
}


static void
test_outage_noted_once(void **state)
{
    admind_worker_t  w;

    (void) state;

    memset(&w, 0, sizeof(w));
    w.name = "flaky";

    admind_worker_works(&w);
    assert_false(w.failing);
    admind_worker_failed(&w, "down");
    assert_true(w.failing);
    admind_worker_failed(&w, "still down");
    assert_true(w.failing);
    admind_worker_works(&w);
    assert_false(w.failing);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ticks_and_stop),
        cmocka_unit_test(test_stop_before_the_first_tick),
        cmocka_unit_test(test_outage_noted_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
