/*
 * An Anthropic Messages request as AWS Bedrock takes it.
 *
 * Bedrock names the model in the path (/model/<id>/invoke or
 * /invoke-with-response-stream), not in the body, and takes the body
 * with "anthropic_version": "bedrock-2023-05-31" instead of the
 * anthropic-version header and "anthropic_beta": [...] instead of the
 * anthropic-beta header; "model" and "stream" must not be in it.
 *
 * The model id: an account's modelMap wins; else the Anthropic name is
 * looked up in a table of current Claude models and given as the
 * cross-region inference profile of the account's region's geography
 * (us., eu., apac., us-gov.; global. where AWS has no geography), which
 * newer models require for on-demand use.  A name not in the table
 * (already a Bedrock id or an ARN) passes as it is.
 *
 * The body is spliced, not re-encoded (ql_json_member.h): what the client
 * wrote reaches Bedrock byte for byte but for the members named above.
 * nginx-free.
 */

#ifndef QL_BEDROCK_REQUEST_H
#define QL_BEDROCK_REQUEST_H

#include <stddef.h>


#define QL_BEDROCK_ANTHROPIC_VERSION  "bedrock-2023-05-31"

/* the longest id ql_bedrock_model() writes */
#define QL_BEDROCK_MODEL_MAX  96


/*
 * Writes the Bedrock id of Anthropic model name into out (at least
 * QL_BEDROCK_MODEL_MAX bytes) and returns its length, or 0 if the table
 * does not know the name.
 */
size_t ql_bedrock_model(const unsigned char *name, size_t len,
    const unsigned char *region, size_t region_len, unsigned char *out);

/*
 * The most bytes ql_bedrock_body() writes for a body of len bytes and
 * anthropic-beta header values of betas_len bytes in all.
 */
size_t ql_bedrock_body_size(size_t len, size_t betas_len);

/*
 * Writes the Bedrock body for the client's JSON object body into out and
 * returns its length, or 0 if body is not a JSON object.  betas is the
 * client's anthropic-beta values joined by commas (may be empty); those
 * only the first-party API knows (oauth-*, claude-code-*) are dropped.
 * A body that names "anthropic_beta" itself keeps its own.
 */
size_t ql_bedrock_body(const unsigned char *body, size_t len,
    const unsigned char *betas, size_t betas_len, unsigned char *out);

#endif /* QL_BEDROCK_REQUEST_H */
