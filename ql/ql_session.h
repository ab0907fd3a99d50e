/*
 * Sticky-session hash of a Messages API request, so one conversation
 * keeps landing on one account (and hits its prompt cache):
 *
 * 0. a session id the client sent in a header (OpenAI clients'
 *    session_id / x-session-id), given as id;
 * 1. metadata.user_id carrying a session id (Claude Code sends
 *    "user_<hash>_account_<uuid>_session_<uuid>"): that session id;
 *    prompt_cache_key (OpenAI; Codex sets it to its session id);
 * 2. else the text of the system blocks marked with cache_control;
 * 3. else the whole system prompt, else the first message's content;
 *    Gemini: its systemInstruction's parts, else the first content's.
 *
 * The chosen text is hashed with SHA-256; the hash is its first 32 hex
 * digits.  No text, no session.
 */

#ifndef QL_SESSION_H
#define QL_SESSION_H

#include <stddef.h>

#include "ql_json_member.h"

#define QL_SESSION_HEX  32


/*
 * A JSON request body and where its top-level members are (end 0:
 * absent; ql_json_valid_object() finds them in its one pass).  Only the
 * members the rule reaches are decoded, and of messages and contents
 * only the first element.
 */
typedef struct {
    const unsigned char  *body;
    ql_json_span_t        metadata;
    ql_json_span_t        prompt_cache_key;
    ql_json_span_t        system;
    ql_json_span_t        messages;
    ql_json_span_t        system_instruction;
    ql_json_span_t        contents;
} ql_session_request_t;


/*
 * 1 and out filled if the request has a session, 0 if not.  request may
 * be NULL when id_len is not 0.
 */
int ql_session_hash(const ql_session_request_t *request,
    const unsigned char *id, size_t id_len, char out[QL_SESSION_HEX]);

#endif /* QL_SESSION_H */
