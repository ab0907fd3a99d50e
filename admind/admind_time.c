/*
 * QuotaLane admind: RFC 3339 timestamps.
 *
 * A hand-written parser rather than strptime(): strptime() accepts
 * missing fields, spaces and out-of-range values depending on the libc,
 * and does not know the numeric offsets RFC 3339 allows.
 */

#include <stdio.h>
#include <string.h>

#include "admind_time.h"


static int
admind_time_digits(const char *p, unsigned n, int *v)
{
    unsigned  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return ADMIND_ERROR;
        }

        *v = *v * 10 + (p[i] - '0');
    }

    return ADMIND_OK;
}


static int
admind_time_mday_max(int year, int mon)
{
    static const int  days[] = { 31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };

    if (mon == 2
        && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    {
        return 29;
    }

    return days[mon - 1];
}


int
admind_time_parse(const char *s, time_t *t)
{
    int          year, mon, mday, hour, min, sec, oh, om, sign;
    time_t       v;
    struct tm    tm;
    const char  *p;

    /* YYYY-MM-DDTHH:MM:SS */
    if (strlen(s) < ADMIND_TIME_LEN
        || admind_time_digits(s, 4, &year) != ADMIND_OK || s[4] != '-'
        || admind_time_digits(s + 5, 2, &mon) != ADMIND_OK || s[7] != '-'
        || admind_time_digits(s + 8, 2, &mday) != ADMIND_OK
        || (s[10] != 'T' && s[10] != 't')
        || admind_time_digits(s + 11, 2, &hour) != ADMIND_OK
        || s[13] != ':'
        || admind_time_digits(s + 14, 2, &min) != ADMIND_OK
        || s[16] != ':'
        || admind_time_digits(s + 17, 2, &sec) != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (year < 1970 || mon < 1 || mon > 12 || mday < 1
        || mday > admind_time_mday_max(year, mon) || hour > 23 || min > 59
        || sec > 60)
    {
        return ADMIND_ERROR;
    }

    /* a leap second is the last second of its minute to us */
    if (sec == 60) {
        sec = 59;
    }

    p = s + 19;

    if (*p == '.') {
        p++;

        if (*p < '0' || *p > '9') {
            return ADMIND_ERROR;
        }

        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }

    sign = 0;
    oh = 0;
    om = 0;

    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        /* UTC */

    } else if ((*p == '+' || *p == '-') && strlen(p) == 6
               && admind_time_digits(p + 1, 2, &oh) == ADMIND_OK
               && p[3] == ':'
               && admind_time_digits(p + 4, 2, &om) == ADMIND_OK
               && oh <= 23 && om <= 59)
    {
        sign = *p == '+' ? 1 : -1;

    } else {
        return ADMIND_ERROR;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;

    /* never -1 here: the year is at least 1970 */
    v = timegm(&tm);
    if (v == (time_t) -1) {
        return ADMIND_ERROR;
    }

    /* local time = UTC + offset */
    v -= (time_t) sign * (oh * 3600 + om * 60);

    if (v < 0 || (long long) v > ADMIND_TIME_MAX) {
        return ADMIND_ERROR;
    }

    *t = v;

    return ADMIND_OK;
}


static void
admind_time_print(time_t t, char sep, const char *zone, char *buf,
    size_t size)
{
    struct tm  tm;

    if (gmtime_r(&t, &tm) == NULL) {
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = 70;
        tm.tm_mday = 1;
    }

    snprintf(buf, size, "%04d-%02d-%02d%c%02d:%02d:%02d%s",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, sep, tm.tm_hour,
             tm.tm_min, tm.tm_sec, zone);
}


void
admind_time_format(time_t t, char *buf, size_t size)
{
    admind_time_print(t, 'T', "Z", buf, size);
}


void
admind_time_sql(time_t t, char *buf, size_t size)
{
    admind_time_print(t, ' ', "", buf, size);
}
