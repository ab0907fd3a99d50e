/*
 * Whether a requested model falls under a model rule (a key's blocked
 * models), the way the upstream would serve it: an upstream answers
 * "Claude-Opus-4-1 ", "claude-opus-4-1-20250805", "...-latest",
 * "anthropic/claude-opus-4-1" and the Bedrock id
 * "us.anthropic.claude-opus-4-1-20250805-v1:0" with the same model, so a
 * rule naming any of them names all of them.
 *
 *   "claude-opus-4-1"   the model in every spelling above: both sides are
 *                       trimmed and normalized like price lookups
 *                       (ql_pricing_normalize), then compared;
 *   "claude-opus-4*"    a family: every model whose normalized name (or
 *                       trimmed, lowercased name as sent) starts with
 *                       "claude-opus-4", so claude-opus-4-1 too.
 */

#ifndef QL_MODEL_RULE_H
#define QL_MODEL_RULE_H

#include <stddef.h>

/* 1 when model (as the client sent it) falls under rule, else 0 */
int ql_model_rule_match(const unsigned char *rule, size_t rlen,
    const unsigned char *model, size_t mlen);

#endif /* QL_MODEL_RULE_H */
