/*
 * QuotaLane: master key file format.
 */

#include "ql_master_key.h"


static int
ql_master_key_hexval(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
ql_master_key_decode(const u_char *p, size_t len, u_char *key)
{
    int     hi, lo;
    size_t  i;

    /* a raw key may end in any byte, newline included: take it as is */
    if (len == QL_MASTER_KEY_LEN) {
        for (i = 0; i < QL_MASTER_KEY_LEN; i++) {
            key[i] = p[i];
        }

        return 0;
    }

    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'
                       || p[len - 1] == ' ' || p[len - 1] == '\t'))
    {
        len--;
    }

    if (len != QL_MASTER_KEY_LEN * 2) {
        return -1;
    }

    for (i = 0; i < QL_MASTER_KEY_LEN; i++) {
        hi = ql_master_key_hexval(p[2 * i]);
        lo = ql_master_key_hexval(p[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return -1;
        }

        key[i] = (u_char) (hi << 4 | lo);
    }

    return 0;
}
