/*
 * QuotaLane admind: the SQL of usage totals, shared by the usage API
 * (admind_usage.c) and bills (admind_bills.c), so that a bill and a
 * usage summary over the same rows cannot disagree.
 */

#ifndef _ADMIND_USAGE_H_INCLUDED_
#define _ADMIND_USAGE_H_INCLUDED_


/*
 * Totals of the usage_records rows "u" in a group, in the API shape:
 * counts and money as decimal strings (proto3 int64).  SUM of BIGINT is
 * DECIMAL in MySQL: no overflow however many rows.
 */
#define ADMIND_USAGE_SUMS_SQL                                                \
    "CAST(COUNT(*) AS CHAR) AS requests, "                                   \
    "CAST(IFNULL(SUM(u.input_tokens), 0) AS CHAR) AS inputTokens, "          \
    "CAST(IFNULL(SUM(u.output_tokens), 0) AS CHAR) AS outputTokens, "        \
    "CAST(IFNULL(SUM(u.cache_creation_input_tokens), 0) AS CHAR) "           \
    "AS cacheCreationTokens, "                                               \
    "CAST(IFNULL(SUM(u.cache_read_input_tokens), 0) AS CHAR) "               \
    "AS cacheReadTokens, "                                                   \
    "CAST(IFNULL(SUM(u.cost_micros), 0) AS CHAR) AS costMicros"

/* a DATETIME(3) column as RFC 3339 with milliseconds */
#define ADMIND_USAGE_TIME_MS(col, name)                                      \
    "CONCAT(DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.'), "                    \
    "LPAD(MICROSECOND(" col ") DIV 1000, 3, '0'), 'Z') AS " name


#endif /* _ADMIND_USAGE_H_INCLUDED_ */
