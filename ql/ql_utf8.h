/*
 * UTF-8 as JSON and MySQL's utf8mb4 accept it: no overlong forms, no
 * surrogates, nothing beyond U+10FFFF.  Shared by admind (models stored
 * in usage_records) and the module (usage records dumped as JSON), so
 * both repair a string the same way.
 */

#ifndef QL_UTF8_H
#define QL_UTF8_H

#include <stddef.h>

/* The length of the character at p (1..4), 0 if no valid one starts it. */
size_t ql_utf8_char(const unsigned char *p, size_t len);

#endif /* QL_UTF8_H */
