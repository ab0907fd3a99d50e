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

#include <jansson.h>

#define QL_SESSION_HEX  32

/*
 * 1 and out filled if the request has a session, 0 if not.  request may
 * be NULL when id_len is not 0.
 */
int ql_session_hash(const json_t *request, const unsigned char *id,
    size_t id_len, char out[QL_SESSION_HEX]);

#endif /* QL_SESSION_H */
