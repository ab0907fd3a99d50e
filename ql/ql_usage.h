/*
 * Token usage from an upstream response, read incrementally as it streams
 * by: Anthropic Messages, OpenAI chat completions, OpenAI Responses and
 * Gemini, each as SSE or as JSON (Gemini also as its streamed JSON array).
 *
 * The body filter feeds the response bytes exactly as they arrive, in
 * pieces of any size down to one byte.  The input is never copied as a
 * whole nor modified: a structural JSON scanner walks the bytes and copies
 * only the few values usage needs (the usage object, the model, error
 * details, the event type) into a bounded capture buffer inside the
 * parser, and decodes each with jansson.  So a 100 MiB answer or a 1 MiB
 * SSE line costs no memory; a captured value longer than
 * QL_USAGE_CAPTURE_MAX is skipped and counted in `overflow`.  The parser
 * holds no heap memory between calls (nothing to free); jansson allocates
 * briefly while it decodes a captured value.
 *
 * Normalized counts (all formats; "cached" = read from the prompt cache):
 *
 *   input_tokens           prompt tokens billed at the plain input price:
 *                          Anthropic input_tokens (already excludes the
 *                          cache); OpenAI chat prompt_tokens - cached_tokens
 *                          (prompt_tokens_details); Responses input_tokens -
 *                          input_tokens_details.cached_tokens; Gemini
 *                          promptTokenCount + toolUsePromptTokenCount -
 *                          cachedContentTokenCount.  Never below 0.
 *   cache_read_tokens      Anthropic cache_read_input_tokens; OpenAI and
 *                          Responses cached_tokens; Gemini
 *                          cachedContentTokenCount.
 *   cache_creation_tokens  Anthropic cache_creation_input_tokens (0 for the
 *                          others), split into 5m + 1h == total: 1h is
 *                          cache_creation.ephemeral_1h_input_tokens (at
 *                          most the total), 5m the rest.  With only the
 *                          split, total = 5m + 1h; with only the 5m part,
 *                          1h is total - 5m.
 *   output_tokens          everything billed at the output price, reasoning
 *                          included: Anthropic output_tokens and OpenAI
 *                          completion_tokens / output_tokens already count
 *                          thinking; Gemini candidatesTokenCount +
 *                          thoughtsTokenCount (Gemini reports them apart).
 *   reasoning_tokens       the reasoning part of output_tokens, for
 *                          information (OpenAI reasoning_tokens, Gemini
 *                          thoughtsTokenCount, 0 for Anthropic).
 *   total_tokens           input + cache creation + cache read + output.
 *
 * Which report wins: Anthropic usage objects are merged field by field
 * (message_start gives all, message_delta's cumulative output_tokens and
 * any input/cache fields it carries override); for OpenAI, Responses and
 * Gemini each usage object replaces the previous one (Gemini omits zero
 * fields, so the last usageMetadata wins as a whole).  A token count that
 * is negative, not integral, or above QL_USAGE_TOKENS_MAX is ignored, as
 * if the field were absent; a usage object jansson cannot decode (e.g. a
 * number beyond double range) is ignored as a whole and counted in
 * `invalid`.  Integral reals (12.0, 1e3) are accepted.
 *
 * complete: the response reached its normal end.  SSE: Anthropic
 * message_stop, OpenAI chat "data: [DONE]", Responses response.completed,
 * response.incomplete or response.failed, Gemini a chunk with
 * candidates[].finishReason or promptFeedback.blockReason.  JSON: the top
 * level value was closed (for Gemini also a finishReason).
 *
 * error: the body carried an error: a top level "error" object (Anthropic
 * error event or error body, OpenAI, Gemini), a Responses "error" event or
 * response.failed.  error_type is the error's "type", else "status", else
 * "code" (or "error" when none is a string).
 *
 * SSE events count only once a blank line dispatched them and their data
 * was one complete JSON value; a stream cut mid-event keeps everything
 * dispatched before.  In JSON every captured value counts as soon as it is
 * complete, so a cut body keeps the usage it showed.
 */

#ifndef QL_USAGE_H
#define QL_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ql_sse.h"

#ifndef QL_USAGE_CAPTURE_MAX
#define QL_USAGE_CAPTURE_MAX  8192
#endif

#define QL_USAGE_MODEL_MAX    128
#define QL_USAGE_ERROR_MAX    64
#define QL_USAGE_TOKENS_MAX   1000000000000ULL      /* 1e12 */

/* JSON nesting tracked exactly; deeper levels are only counted. */
#define QL_USAGE_DEPTH        32
#define QL_USAGE_KEY_MAX      24

typedef enum {
    QL_USAGE_ANTHROPIC = 0,
    QL_USAGE_OPENAI_CHAT,
    QL_USAGE_OPENAI_RESPONSES,
    QL_USAGE_GEMINI,
    QL_USAGE_FORMAT_COUNT
} ql_usage_format_t;

typedef enum {
    QL_USAGE_AUTO = 0,      /* "{" or "[" first (after blanks): JSON */
    QL_USAGE_SSE,
    QL_USAGE_JSON
} ql_usage_framing_t;

typedef struct {
    uint64_t  input_tokens;
    uint64_t  cache_creation_tokens;
    uint64_t  cache_creation_5m_tokens;
    uint64_t  cache_creation_1h_tokens;
    uint64_t  cache_read_tokens;
    uint64_t  output_tokens;
    uint64_t  reasoning_tokens;
    uint64_t  total_tokens;

    size_t    model_len;
    char      model[QL_USAGE_MODEL_MAX + 1];            /* NUL-terminated */
    size_t    error_type_len;
    char      error_type[QL_USAGE_ERROR_MAX + 1];       /* NUL-terminated */

    unsigned  saw_usage:1;
    unsigned  complete:1;
    unsigned  error:1;
    unsigned  sse:1;            /* the framing used (AUTO decides) */

    uint32_t  events;           /* SSE events dispatched */
    uint32_t  overflow;         /* values skipped for size */
    uint32_t  invalid;          /* values that did not decode */
} ql_usage_t;


/* Everything below is private; it is here so callers can embed it. */

typedef enum {
    QL_USAGE_R_INPUT = 0,       /* Anthropic uncached input */
    QL_USAGE_R_PROMPT,          /* prompt including cached */
    QL_USAGE_R_TOOL_PROMPT,
    QL_USAGE_R_CACHED,
    QL_USAGE_R_CC,
    QL_USAGE_R_CC_5M,
    QL_USAGE_R_CC_1H,
    QL_USAGE_R_CACHE_READ,
    QL_USAGE_R_OUTPUT,
    QL_USAGE_R_REASONING,
    QL_USAGE_R_COUNT
} ql_usage_raw_t;

typedef struct {
    uint64_t  v[QL_USAGE_R_COUNT];
    uint32_t  have;
    size_t    model_len;
    char      model[QL_USAGE_MODEL_MAX + 1];
    size_t    error_type_len;
    char      error_type[QL_USAGE_ERROR_MAX + 1];
    unsigned  saw_usage:1;
    unsigned  complete:1;
    unsigned  error:1;
} ql_usage_state_t;

typedef struct {
    uint32_t       depth;
    uint32_t       tops;            /* top level values begun */
    uint32_t       roots;           /* top level containers closed */
    uint32_t       cap_depth;
    uint8_t        cont[QL_USAGE_DEPTH];
    uint8_t        key[QL_USAGE_DEPTH];
    uint8_t        expect;
    uint8_t        str;
    uint8_t        klen;
    uint8_t        cap_what;
    uint8_t        cap_kind;
    unsigned       esc:1;
    unsigned       lit:1;
    unsigned       broken:1;
    unsigned       cap_over:1;
    size_t         cap_len;
    unsigned char  kbuf[QL_USAGE_KEY_MAX];
} ql_usage_scan_t;

typedef struct {
    uint8_t        type_len;
    uint8_t        code_len;
    uint8_t        head_len;
    unsigned       type_set:1;
    unsigned       pending:1;   /* delta holds changes not yet merged */
    unsigned char  type[40];
    unsigned char  code[QL_USAGE_ERROR_MAX];
    unsigned char  head[8];     /* first data bytes, for "[DONE]" */
    size_t         data_len;
} ql_usage_event_t;

typedef struct {
    ql_usage_format_t   format;
    ql_usage_framing_t  framing;
    unsigned            finished:1;
    unsigned            det_line:1;
    uint8_t             det_bom;

    uint32_t            events;
    uint32_t            overflow;
    uint32_t            invalid;

    ql_sse_t            sse;
    ql_usage_scan_t     scan;
    ql_usage_event_t    ev;
    ql_usage_state_t    st;         /* committed */
    ql_usage_state_t    delta;      /* changes of the SSE event being read */

    unsigned char       cap[QL_USAGE_CAPTURE_MAX];
} ql_usage_parser_t;


/* SSE for text/event-stream, JSON for application/json, else AUTO. */
ql_usage_framing_t ql_usage_framing_from_content_type(const unsigned char *p,
    size_t len);

void ql_usage_init(ql_usage_parser_t *p, ql_usage_format_t format,
    ql_usage_framing_t framing);

/* Any piece of the body, in order; never modified, never retained. */
void ql_usage_feed(ql_usage_parser_t *p, const unsigned char *data,
    size_t len);

/* End of body (also on abort); later feeds are ignored. */
void ql_usage_finish(ql_usage_parser_t *p);

/* The usage seen so far (callable at any time). */
void ql_usage_result(const ql_usage_parser_t *p, ql_usage_t *u);

#endif /* QL_USAGE_H */
