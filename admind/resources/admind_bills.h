/*
 * QuotaLane admind: monthly bills (admind_bills.c).
 */

#ifndef _ADMIND_BILLS_H_INCLUDED_
#define _ADMIND_BILLS_H_INCLUDED_


#include <time.h>

#include "admind.h"


/*
 * "YYYY-MM" (1970-01 .. 9999-12): the month's first second and the next
 * month's, UTC.  ADMIND_ERROR for anything else.
 */
int admind_bills_month(const char *s, time_t *start, time_t *end);


#endif /* _ADMIND_BILLS_H_INCLUDED_ */
