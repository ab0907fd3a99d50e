/*
 * Model rules (ql_model_rule.h).  Names are bounded by
 * QL_PRICING_NAME_MAX; a longer model matches no rule by normalization,
 * only a prefix rule by its lowercased form, so an oversized name cannot
 * slip past a family rule.
 */

#include <string.h>

#include "ql_pricing.h"
#include "ql_model_rule.h"


static void
ql_model_rule_trim(const unsigned char **p, size_t *len)
{
    while (*len > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }

    while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t')) {
        (*len)--;
    }
}


/* a prefix of s, compared without regard to ASCII case */
static int
ql_model_rule_prefix(const unsigned char *s, size_t slen,
    const unsigned char *prefix, size_t plen)
{
    size_t         i;
    unsigned char  a, b;

    if (plen > slen) {
        return 0;
    }

    for (i = 0; i < plen; i++) {
        a = s[i];
        b = prefix[i];
        a = (a >= 'A' && a <= 'Z') ? (unsigned char) (a | 0x20) : a;
        b = (b >= 'A' && b <= 'Z') ? (unsigned char) (b | 0x20) : b;

        if (a != b) {
            return 0;
        }
    }

    return 1;
}


int
ql_model_rule_match(const unsigned char *rule, size_t rlen,
    const unsigned char *model, size_t mlen)
{
    size_t         n, m;
    unsigned char  rn[QL_PRICING_NAME_MAX], mn[QL_PRICING_NAME_MAX];

    ql_model_rule_trim(&rule, &rlen);
    ql_model_rule_trim(&model, &mlen);

    if (rlen == 0 || mlen == 0) {
        return 0;
    }

    m = ql_pricing_normalize(model, mlen, mn, sizeof(mn));

    if (rule[rlen - 1] == '*') {
        rlen--;

        return ql_model_rule_prefix(model, mlen, rule, rlen)
               || (m > 0 && ql_model_rule_prefix(mn, m, rule, rlen));
    }

    n = ql_pricing_normalize(rule, rlen, rn, sizeof(rn));

    return n > 0 && n == m && memcmp(rn, mn, n) == 0;
}
