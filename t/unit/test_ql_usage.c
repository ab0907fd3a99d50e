/*
 * cmocka tests: usage extraction from every vendor's SSE and JSON, fed in
 * every split, with broken, cut and hostile input.
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ql_usage.h"


/*
 * Payloads shaped like captured vendor responses.  Text and tool input
 * carry look-alike usage keys, "[DONE]" and SSE framing inside strings on
 * purpose.
 */

static const char  anth_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDY"
    "JgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],"
    "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_token"
    "s\":2095,\"cache_creation_input_tokens\":2051,\"cache_read_input_tok"
    "ens\":13882,\"cache_creation\":{\"ephemeral_5m_input_tokens\":1500,"
    "\"ephemeral_1h_input_tokens\":551},\"output_tokens\":1,\"service_tie"
    "r\":\"standard\"}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\""
    ":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\":\"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
    "\"type\":\"thinking_delta\",\"thinking\":\"The user wants the \\\"us"
    "age\\\": {\\\"output_tokens\\\": 9999} of {x}.\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
    "\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZ"
    "A2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\""
    ":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{"
    "\"type\":\"text_delta\",\"text\":\"Hello! Here is data: [DONE]\\n\\n"
    "event: message_stop\\n\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\""
    ":{\"type\":\"tool_use\",\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\","
    "\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{"
    "\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"usage\\\": {"
    "\\\"input_tokens\\\": 5\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{"
    "\"type\":\"input_json_delta\",\"partial_json\":\"}, \\\"city\\\": \\"
    "\"Paris\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_"
    "use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":503}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static const char  anth_delta_usage[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_02\","
    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku"
    "-4-5-20251001\",\"content\":[],\"stop_reason\":null,\"stop_sequence\""
    ":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\""
    ":0,\"cache_read_input_tokens\":0,\"cache_creation\":{\"ephemeral_5m_"
    "input_tokens\":0,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":"
    "1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\""
    ":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
    "\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_t"
    "urn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":15,"
    "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":7,"
    "\"output_tokens\":42}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static const char  anth_stream_error[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_02\","
    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku"
    "-4-5-20251001\",\"content\":[],\"stop_reason\":null,\"stop_sequence\""
    ":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\""
    ":0,\"cache_read_input_tokens\":0,\"cache_creation\":{\"ephemeral_5m_"
    "input_tokens\":0,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":"
    "1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\""
    ":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
    "\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
    "event: error\n"
    "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
    "\"message\":\"Overloaded\"}}\n\n";

static const char  anth_json[] =
    "{\n"
    "  \"id\": \"msg_013Zva2CMHLNnXjNJJKqJ2EF\",\n"
    "  \"type\": \"message\",\n"
    "  \"role\": \"assistant\",\n"
    "  \"model\": \"claude-opus-4-1-20250805\",\n"
    "  \"content\": [\n"
    "    {\n"
    "      \"type\": \"text\",\n"
    "      \"text\": \"Hi there. \\\"usage\\\":{\\\"input_tokens\\\":1}\""
    "\n"
    "    }\n"
    "  ],\n"
    "  \"stop_reason\": \"end_turn\",\n"
    "  \"stop_sequence\": null,\n"
    "  \"usage\": {\n"
    "    \"input_tokens\": 1234,\n"
    "    \"cache_creation_input_tokens\": 0,\n"
    "    \"cache_read_input_tokens\": 500,\n"
    "    \"cache_creation\": {\n"
    "      \"ephemeral_5m_input_tokens\": 0,\n"
    "      \"ephemeral_1h_input_tokens\": 0\n"
    "    },\n"
    "    \"output_tokens\": 321,\n"
    "    \"service_tier\": \"standard\"\n"
    "  }\n"
    "}\n";

static const char  anth_json_error[] =
    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
    "\"message\":\"This request would exceed the rate limit for your orga"
    "nization of 50 input tokens per minute.\"},\"request_id\":\"req_011C"
    "SHoEeqs5C35K2UUqR7Fy\"}";

static const char  chat_stream[] =
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}"
    ",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\""
    ":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\" \\\"usage\\\":{\\\"prompt_tokens\\\":1}\"}"
    ",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":1117,\"completion_tokens\":46,"
    "\"total_tokens\":1163,\"prompt_tokens_details\":{\"cached_tokens\":1"
    "024,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_t"
    "okens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
    "\"rejected_prediction_tokens\":0}}}\n\n"
    "data: [DONE]\n\n";

static const char  chat_stream_no_usage[] =
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}"
    ",\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\""
    ":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\" \\\"usage\\\":{\\\"prompt_tokens\\\":1}\"}"
    ",\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"object\":\"chat.completion.chunk\",\"created\":1741570283,"
    "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,"
    "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

static const char  chat_json[] =
    "{\n"
    "  \"id\": \"chatcmpl-CGx2\",\n"
    "  \"object\": \"chat.completion\",\n"
    "  \"created\": 1757000000,\n"
    "  \"model\": \"o4-mini-2025-04-16\",\n"
    "  \"choices\": [\n"
    "    {\n"
    "      \"index\": 0,\n"
    "      \"message\": {\n"
    "        \"role\": \"assistant\",\n"
    "        \"content\": \"42\",\n"
    "        \"refusal\": null,\n"
    "        \"annotations\": []\n"
    "      },\n"
    "      \"finish_reason\": \"stop\"\n"
    "    }\n"
    "  ],\n"
    "  \"usage\": {\n"
    "    \"prompt_tokens\": 500,\n"
    "    \"completion_tokens\": 900,\n"
    "    \"total_tokens\": 1400,\n"
    "    \"prompt_tokens_details\": {\n"
    "      \"cached_tokens\": 128,\n"
    "      \"audio_tokens\": 0\n"
    "    },\n"
    "    \"completion_tokens_details\": {\n"
    "      \"reasoning_tokens\": 640,\n"
    "      \"audio_tokens\": 0,\n"
    "      \"accepted_prediction_tokens\": 0,\n"
    "      \"rejected_prediction_tokens\": 0\n"
    "    }\n"
    "  },\n"
    "  \"service_tier\": \"default\",\n"
    "  \"system_fingerprint\": null\n"
    "}";

static const char  resp_stream[] =
    "event: response.created\n"
    "data: {\"type\":\"response.created\",\"sequence_number\":0,"
    "\"response\":{\"id\":\"resp_68af4030592c81938ec0a5fbab4a3e9f\","
    "\"object\":\"response\",\"created_at\":1756315696,\"status\":\"in_pr"
    "ogress\",\"background\":false,\"error\":null,\"incomplete_details\":"
    "null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"o4"
    "-mini-2025-04-16\",\"output\":[],\"parallel_tool_calls\":true,"
    "\"previous_response_id\":null,\"reasoning\":{\"effort\":\"medium\","
    "\"summary\":null},\"service_tier\":\"default\",\"store\":true,"
    "\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
    "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\""
    "disabled\",\"usage\":null,\"user\":null,\"metadata\":{}}}\n\n"
    "event: response.in_progress\n"
    "data: {\"type\":\"response.in_progress\",\"sequence_number\":1,"
    "\"response\":{\"id\":\"resp_68af4030592c81938ec0a5fbab4a3e9f\","
    "\"object\":\"response\",\"created_at\":1756315696,\"status\":\"in_pr"
    "ogress\",\"background\":false,\"error\":null,\"incomplete_details\":"
    "null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"o4"
    "-mini-2025-04-16\",\"output\":[],\"parallel_tool_calls\":true,"
    "\"previous_response_id\":null,\"reasoning\":{\"effort\":\"medium\","
    "\"summary\":null},\"service_tier\":\"default\",\"store\":true,"
    "\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
    "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\""
    "disabled\",\"usage\":null,\"user\":null,\"metadata\":{}}}\n\n"
    "event: response.output_item.added\n"
    "data: {\"type\":\"response.output_item.added\",\"sequence_number\":2"
    ",\"output_index\":0,\"item\":{\"id\":\"msg_68af40\",\"type\":\"messa"
    "ge\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":["
    "]}}\n\n"
    "event: response.output_text.delta\n"
    "data: {\"type\":\"response.output_text.delta\",\"sequence_number\":3"
    ",\"item_id\":\"msg_68af40\",\"output_index\":0,\"content_index\":0,"
    "\"delta\":\"Paris.\",\"logprobs\":[]}\n\n"
    "event: response.output_text.delta\n"
    "data: {\"type\":\"response.output_text.delta\",\"sequence_number\":4"
    ",\"item_id\":\"msg_68af40\",\"output_index\":0,\"content_index\":0,"
    "\"delta\":\" {\\\"usage\\\": 1}\",\"logprobs\":[]}\n\n"
    "event: response.output_text.done\n"
    "data: {\"type\":\"response.output_text.done\",\"sequence_number\":5,"
    "\"item_id\":\"msg_68af40\",\"output_index\":0,\"content_index\":0,"
    "\"text\":\"Paris. {\\\"usage\\\": 1}\",\"logprobs\":[]}\n\n"
    "event: response.completed\n"
    "data: {\"type\":\"response.completed\",\"sequence_number\":6,"
    "\"response\":{\"id\":\"resp_68af4030592c81938ec0a5fbab4a3e9f\","
    "\"object\":\"response\",\"created_at\":1756315696,\"status\":\"compl"
    "eted\",\"background\":false,\"error\":null,\"incomplete_details\":nu"
    "ll,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"o4-m"
    "ini-2025-04-16\",\"output\":[{\"id\":\"msg_68af40\",\"type\":\"messa"
    "ge\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{"
    "\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],"
    "\"text\":\"Paris. {\\\"usage\\\": 1}\"}]}],\"parallel_tool_calls\":t"
    "rue,\"previous_response_id\":null,\"reasoning\":{\"effort\":\"medium"
    "\",\"summary\":null},\"service_tier\":\"default\",\"store\":true,"
    "\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
    "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\""
    "disabled\",\"usage\":{\"input_tokens\":1328,\"input_tokens_details\""
    ":{\"cached_tokens\":1024},\"output_tokens\":352,\"output_tokens_deta"
    "ils\":{\"reasoning_tokens\":320},\"total_tokens\":1680},"
    "\"user\":null,\"metadata\":{}}}\n\n";

static const char  resp_json[] =
    "{\n"
    "  \"id\": \"resp_68af4030592c81938ec0a5fbab4a3e9f\",\n"
    "  \"object\": \"response\",\n"
    "  \"created_at\": 1756315696,\n"
    "  \"status\": \"completed\",\n"
    "  \"background\": false,\n"
    "  \"error\": null,\n"
    "  \"incomplete_details\": null,\n"
    "  \"instructions\": null,\n"
    "  \"max_output_tokens\": null,\n"
    "  \"model\": \"o4-mini-2025-04-16\",\n"
    "  \"output\": [\n"
    "    {\n"
    "      \"id\": \"msg_68af40\",\n"
    "      \"type\": \"message\",\n"
    "      \"status\": \"completed\",\n"
    "      \"role\": \"assistant\",\n"
    "      \"content\": [\n"
    "        {\n"
    "          \"type\": \"output_text\",\n"
    "          \"annotations\": [],\n"
    "          \"logprobs\": [],\n"
    "          \"text\": \"Paris. {\\\"usage\\\": 1}\"\n"
    "        }\n"
    "      ]\n"
    "    }\n"
    "  ],\n"
    "  \"parallel_tool_calls\": true,\n"
    "  \"previous_response_id\": null,\n"
    "  \"reasoning\": {\n"
    "    \"effort\": \"medium\",\n"
    "    \"summary\": null\n"
    "  },\n"
    "  \"service_tier\": \"default\",\n"
    "  \"store\": true,\n"
    "  \"temperature\": 1.0,\n"
    "  \"text\": {\n"
    "    \"format\": {\n"
    "      \"type\": \"text\"\n"
    "    }\n"
    "  },\n"
    "  \"tool_choice\": \"auto\",\n"
    "  \"tools\": [],\n"
    "  \"top_p\": 1.0,\n"
    "  \"truncation\": \"disabled\",\n"
    "  \"usage\": {\n"
    "    \"input_tokens\": 1328,\n"
    "    \"input_tokens_details\": {\n"
    "      \"cached_tokens\": 1024\n"
    "    },\n"
    "    \"output_tokens\": 352,\n"
    "    \"output_tokens_details\": {\n"
    "      \"reasoning_tokens\": 320\n"
    "    },\n"
    "    \"total_tokens\": 1680\n"
    "  },\n"
    "  \"user\": null,\n"
    "  \"metadata\": {}\n"
    "}";

static const char  resp_failed[] =
    "event: response.created\n"
    "data: {\"type\":\"response.created\",\"sequence_number\":0,"
    "\"response\":{\"id\":\"resp_68af4030592c81938ec0a5fbab4a3e9f\","
    "\"object\":\"response\",\"created_at\":1756315696,\"status\":\"in_pr"
    "ogress\",\"background\":false,\"error\":null,\"incomplete_details\":"
    "null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"o4"
    "-mini-2025-04-16\",\"output\":[],\"parallel_tool_calls\":true,"
    "\"previous_response_id\":null,\"reasoning\":{\"effort\":\"medium\","
    "\"summary\":null},\"service_tier\":\"default\",\"store\":true,"
    "\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
    "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\""
    "disabled\",\"usage\":null,\"user\":null,\"metadata\":{}}}\n\n"
    "event: response.in_progress\n"
    "data: {\"type\":\"response.in_progress\",\"sequence_number\":1,"
    "\"response\":{\"id\":\"resp_68af4030592c81938ec0a5fbab4a3e9f\","
    "\"object\":\"response\",\"created_at\":1756315696,\"status\":\"in_pr"
    "ogress\",\"background\":false,\"error\":null,\"incomplete_details\":"
    "null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"o4"
    "-mini-2025-04-16\",\"output\":[],\"parallel_tool_calls\":true,"
    "\"previous_response_id\":null,\"reasoning\":{\"effort\":\"medium\","
    "\"summary\":null},\"service_tier\":\"default\",\"store\":true,"
    "\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
    "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\""
    "disabled\",\"usage\":null,\"user\":null,\"metadata\":{}}}\n\n"
    "event: response.failed\n"
    "data: {\"type\":\"response.failed\",\"sequence_number\":2,"
    "\"response\":{\"id\":\"resp_68af4030592c81938ec0a5fbab4a3e9f\","
    "\"object\":\"response\",\"created_at\":1756315696,\"status\":\"faile"
    "d\",\"background\":false,\"error\":{\"code\":\"server_error\","
    "\"message\":\"The model failed to generate a response.\"},"
    "\"incomplete_details\":null,\"instructions\":null,\"max_output_token"
    "s\":null,\"model\":\"o4-mini-2025-04-16\",\"output\":[],"
    "\"parallel_tool_calls\":true,\"previous_response_id\":null,"
    "\"reasoning\":{\"effort\":\"medium\",\"summary\":null},\"service_tie"
    "r\":\"default\",\"store\":true,\"temperature\":1.0,\"text\":{"
    "\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\","
    "\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\",\"usage\":nul"
    "l,\"user\":null,\"metadata\":{}}}\n\n";

static const char  resp_error_event[] =
    "event: response.created\n"
    "data: {\"type\":\"response.created\",\"sequence_number\":0,"
    "\"response\":{\"id\":\"resp_68af4030592c81938ec0a5fbab4a3e9f\","
    "\"object\":\"response\",\"created_at\":1756315696,\"status\":\"in_pr"
    "ogress\",\"background\":false,\"error\":null,\"incomplete_details\":"
    "null,\"instructions\":null,\"max_output_tokens\":null,\"model\":\"o4"
    "-mini-2025-04-16\",\"output\":[],\"parallel_tool_calls\":true,"
    "\"previous_response_id\":null,\"reasoning\":{\"effort\":\"medium\","
    "\"summary\":null},\"service_tier\":\"default\",\"store\":true,"
    "\"temperature\":1.0,\"text\":{\"format\":{\"type\":\"text\"}},"
    "\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\""
    "disabled\",\"usage\":null,\"user\":null,\"metadata\":{}}}\n\n"
    "event: error\n"
    "data: {\"type\":\"error\",\"code\":\"rate_limit_exceeded\","
    "\"message\":\"Rate limit reached for o4-mini.\",\"param\":null,"
    "\"sequence_number\":1}\n\n";

static const char  gemini_sse[] =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The\""
    "}], \"role\": \"model\"}, \"index\": 0}], \"usageMetadata\": {"
    "\"promptTokenCount\": 5210, \"candidatesTokenCount\": 1,"
    " \"totalTokenCount\": 6098, \"cachedContentTokenCount\": 4096,"
    " \"promptTokensDetails\": [{\"modality\": \"TEXT\", \"tokenCount\": "
    "5210}], \"cacheTokensDetails\": [{\"modality\": \"TEXT\","
    " \"tokenCount\": 4096}], \"thoughtsTokenCount\": 887}, \"modelVersio"
    "n\": \"gemini-2.5-pro\", \"responseId\": \"mB-vaKzZFYKvz7IP2eGgqAc\""
    "}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" ans"
    "wer \\\"usageMetadata\\\": {} is\"}], \"role\": \"model\"},"
    " \"index\": 0}], \"usageMetadata\": {\"promptTokenCount\": 5210,"
    " \"candidatesTokenCount\": 120, \"totalTokenCount\": 6217,"
    " \"cachedContentTokenCount\": 4096, \"promptTokensDetails\": [{"
    "\"modality\": \"TEXT\", \"tokenCount\": 5210}], \"cacheTokensDetails"
    "\": [{\"modality\": \"TEXT\", \"tokenCount\": 4096}], \"thoughtsToke"
    "nCount\": 887}, \"modelVersion\": \"gemini-2.5-pro\", \"responseId\""
    ": \"mB-vaKzZFYKvz7IP2eGgqAc\"}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" 42."
    "\"}], \"role\": \"model\"}, \"index\": 0, \"finishReason\": \"STOP\""
    "}], \"usageMetadata\": {\"promptTokenCount\": 5210, \"candidatesToke"
    "nCount\": 250, \"totalTokenCount\": 6347, \"cachedContentTokenCount\""
    ": 4096, \"promptTokensDetails\": [{\"modality\": \"TEXT\","
    " \"tokenCount\": 5210}], \"cacheTokensDetails\": [{\"modality\": \"T"
    "EXT\", \"tokenCount\": 4096}], \"thoughtsTokenCount\": 887},"
    " \"modelVersion\": \"gemini-2.5-pro\", \"responseId\": \"mB-vaKzZFYK"
    "vz7IP2eGgqAc\"}\r\n\r\n";

static const char  gemini_array[] =
    "[{\n"
    "  \"candidates\": [\n"
    "    {\n"
    "      \"content\": {\n"
    "        \"parts\": [\n"
    "          {\n"
    "            \"text\": \"The\"\n"
    "          }\n"
    "        ],\n"
    "        \"role\": \"model\"\n"
    "      },\n"
    "      \"index\": 0\n"
    "    }\n"
    "  ],\n"
    "  \"usageMetadata\": {\n"
    "    \"promptTokenCount\": 5210,\n"
    "    \"candidatesTokenCount\": 1,\n"
    "    \"totalTokenCount\": 6098,\n"
    "    \"cachedContentTokenCount\": 4096,\n"
    "    \"promptTokensDetails\": [\n"
    "      {\n"
    "        \"modality\": \"TEXT\",\n"
    "        \"tokenCount\": 5210\n"
    "      }\n"
    "    ],\n"
    "    \"cacheTokensDetails\": [\n"
    "      {\n"
    "        \"modality\": \"TEXT\",\n"
    "        \"tokenCount\": 4096\n"
    "      }\n"
    "    ],\n"
    "    \"thoughtsTokenCount\": 887\n"
    "  },\n"
    "  \"modelVersion\": \"gemini-2.5-pro\",\n"
    "  \"responseId\": \"mB-vaKzZFYKvz7IP2eGgqAc\"\n"
    "},\r\n"
    "{\n"
    "  \"candidates\": [\n"
    "    {\n"
    "      \"content\": {\n"
    "        \"parts\": [\n"
    "          {\n"
    "            \"text\": \" answer \\\"usageMetadata\\\": {"
    "} is\"\n"
    "          }\n"
    "        ],\n"
    "        \"role\": \"model\"\n"
    "      },\n"
    "      \"index\": 0\n"
    "    }\n"
    "  ],\n"
    "  \"usageMetadata\": {\n"
    "    \"promptTokenCount\": 5210,\n"
    "    \"candidatesTokenCount\": 120,\n"
    "    \"totalTokenCount\": 6217,\n"
    "    \"cachedContentTokenCount\": 4096,\n"
    "    \"promptTokensDetails\": [\n"
    "      {\n"
    "        \"modality\": \"TEXT\",\n"
    "        \"tokenCount\": 5210\n"
    "      }\n"
    "    ],\n"
    "    \"cacheTokensDetails\": [\n"
    "      {\n"
    "        \"modality\": \"TEXT\",\n"
    "        \"tokenCount\": 4096\n"
    "      }\n"
    "    ],\n"
    "    \"thoughtsTokenCount\": 887\n"
    "  },\n"
    "  \"modelVersion\": \"gemini-2.5-pro\",\n"
    "  \"responseId\": \"mB-vaKzZFYKvz7IP2eGgqAc\"\n"
    "},\r\n"
    "{\n"
    "  \"candidates\": [\n"
    "    {\n"
    "      \"content\": {\n"
    "        \"parts\": [\n"
    "          {\n"
    "            \"text\": \" 42.\"\n"
    "          }\n"
    "        ],\n"
    "        \"role\": \"model\"\n"
    "      },\n"
    "      \"index\": 0,\n"
    "      \"finishReason\": \"STOP\"\n"
    "    }\n"
    "  ],\n"
    "  \"usageMetadata\": {\n"
    "    \"promptTokenCount\": 5210,\n"
    "    \"candidatesTokenCount\": 250,\n"
    "    \"totalTokenCount\": 6347,\n"
    "    \"cachedContentTokenCount\": 4096,\n"
    "    \"promptTokensDetails\": [\n"
    "      {\n"
    "        \"modality\": \"TEXT\",\n"
    "        \"tokenCount\": 5210\n"
    "      }\n"
    "    ],\n"
    "    \"cacheTokensDetails\": [\n"
    "      {\n"
    "        \"modality\": \"TEXT\",\n"
    "        \"tokenCount\": 4096\n"
    "      }\n"
    "    ],\n"
    "    \"thoughtsTokenCount\": 887\n"
    "  },\n"
    "  \"modelVersion\": \"gemini-2.5-pro\",\n"
    "  \"responseId\": \"mB-vaKzZFYKvz7IP2eGgqAc\"\n"
    "}]";

static const char  gemini_json[] =
    "{\n"
    "  \"candidates\": [\n"
    "    {\n"
    "      \"content\": {\n"
    "        \"parts\": [\n"
    "          {\n"
    "            \"text\": \"Hello.\"\n"
    "          }\n"
    "        ],\n"
    "        \"role\": \"model\"\n"
    "      },\n"
    "      \"index\": 0,\n"
    "      \"finishReason\": \"STOP\"\n"
    "    }\n"
    "  ],\n"
    "  \"usageMetadata\": {\n"
    "    \"promptTokenCount\": 100,\n"
    "    \"candidatesTokenCount\": 20,\n"
    "    \"totalTokenCount\": 170,\n"
    "    \"toolUsePromptTokenCount\": 50,\n"
    "    \"promptTokensDetails\": [\n"
    "      {\n"
    "        \"modality\": \"TEXT\",\n"
    "        \"tokenCount\": 100\n"
    "      }\n"
    "    ]\n"
    "  },\n"
    "  \"modelVersion\": \"gemini-2.5-flash\",\n"
    "  \"responseId\": \"mB-vaKzZFYKvz7IP2eGgqAc\"\n"
    "}";

static const char  gemini_error[] =
    "{\n"
    "  \"error\": {\n"
    "    \"code\": 429,\n"
    "    \"message\": \"Resource has been exhausted (e.g. check quota).\""
    ",\n"
    "    \"status\": \"RESOURCE_EXHAUSTED\"\n"
    "  }\n"
    "}";


#define LEN(s)  (sizeof(s) - 1)


typedef struct {
    uint64_t     input;
    uint64_t     cache_creation;
    uint64_t     cache_5m;
    uint64_t     cache_1h;
    uint64_t     cache_read;
    uint64_t     output;
    uint64_t     reasoning;
    const char  *model;
    int          saw_usage;
    int          complete;
    const char  *error;         /* NULL: no error */
} want_t;


static ql_usage_parser_t  parser;


/* Feeds d as two pieces cut at "cut", or one byte at a time if cut > len. */
static void
parse(ql_usage_format_t f, ql_usage_framing_t fr, const void *d, size_t len,
    size_t cut, ql_usage_t *u)
{
    size_t               i;
    const unsigned char *p;

    p = d;
    ql_usage_init(&parser, f, fr);

    if (cut > len) {
        for (i = 0; i < len; i++) {
            ql_usage_feed(&parser, p + i, 1);
        }

    } else {
        ql_usage_feed(&parser, p, cut);
        ql_usage_feed(&parser, p + cut, len - cut);
    }

    ql_usage_finish(&parser);
    ql_usage_result(&parser, u);
}


/* Whole, split at every byte boundary, and byte by byte: all the same. */
static void
parse_all_splits(ql_usage_format_t f, ql_usage_framing_t fr, const void *d,
    size_t len, ql_usage_t *u)
{
    size_t      cut;
    ql_usage_t  v;

    parse(f, fr, d, len, len, u);

    for (cut = 0; cut <= len + 1; cut++) {
        parse(f, fr, d, len, cut, &v);

        if (memcmp(u, &v, sizeof(ql_usage_t)) != 0) {
            fail_msg("result differs when split at %zu of %zu%s", cut, len,
                     cut > len ? " (byte by byte)" : "");
        }
    }
}


static void
expect(const ql_usage_t *u, const want_t *w)
{
    assert_int_equal(u->input_tokens, w->input);
    assert_int_equal(u->cache_creation_tokens, w->cache_creation);
    assert_int_equal(u->cache_creation_5m_tokens, w->cache_5m);
    assert_int_equal(u->cache_creation_1h_tokens, w->cache_1h);
    assert_int_equal(u->cache_read_tokens, w->cache_read);
    assert_int_equal(u->output_tokens, w->output);
    assert_int_equal(u->reasoning_tokens, w->reasoning);
    assert_int_equal(u->total_tokens, w->input + w->cache_creation
                                      + w->cache_read + w->output);
    assert_string_equal(u->model, w->model);
    assert_int_equal(u->model_len, strlen(w->model));
    assert_int_equal(u->saw_usage, w->saw_usage);
    assert_int_equal(u->complete, w->complete);
    assert_int_equal(u->error, w->error != NULL);
    assert_string_equal(u->error_type, w->error ? w->error : "");
}


/* s with every LF replaced by eol (CRLF or CR), into a malloc'd buffer. */
static char *
with_eol(const char *s, const char *eol, size_t *len)
{
    char    *out, *o;
    size_t   n;

    n = strlen(eol);
    out = malloc(strlen(s) * n + 1);
    assert_non_null(out);

    for (o = out; *s; s++) {
        if (*s == '\n') {
            memcpy(o, eol, n);
            o += n;

        } else {
            *o++ = *s;
        }
    }

    *o = '\0';
    *len = (size_t) (o - out);

    return out;
}


/* ------------------------------------------------------------------ */
/* each vendor format                                                   */


static void
test_anthropic_stream(void **state)
{
    ql_usage_t    u, a;
    const want_t  w = { 2095, 2051, 1500, 551, 13882, 503, 0,
                        "claude-sonnet-4-5-20250929", 1, 1, NULL };

    (void) state;

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, anth_stream,
                     LEN(anth_stream), &u);
    expect(&u, &w);
    assert_int_equal(u.events, 15);
    assert_int_equal(u.overflow, 0);
    assert_int_equal(u.invalid, 0);
    assert_true(u.sse);

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_AUTO, anth_stream,
                     LEN(anth_stream), &a);
    assert_memory_equal(&u, &a, sizeof(ql_usage_t));
}


static void
test_anthropic_delta_usage(void **state)
{
    ql_usage_t    u;
    const want_t  w = { 15, 100, 100, 0, 7, 42, 0,
                        "claude-haiku-4-5-20251001", 1, 1, NULL };

    (void) state;

    /* message_delta's input and cache fields override message_start's */
    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, anth_delta_usage,
                     LEN(anth_delta_usage), &u);
    expect(&u, &w);
}


static void
test_anthropic_stream_error(void **state)
{
    ql_usage_t    u;
    const want_t  w = { 12, 0, 0, 0, 0, 1, 0, "claude-haiku-4-5-20251001",
                        1, 0, "overloaded_error" };

    (void) state;

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, anth_stream_error,
                     LEN(anth_stream_error), &u);
    expect(&u, &w);
}


static void
test_anthropic_json(void **state)
{
    ql_usage_t    u, a;
    const want_t  w = { 1234, 0, 0, 0, 500, 321, 0,
                        "claude-opus-4-1-20250805", 1, 1, NULL };
    const want_t  e = { 0, 0, 0, 0, 0, 0, 0, "", 0, 1, "rate_limit_error" };

    (void) state;

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_JSON, anth_json,
                     LEN(anth_json), &u);
    expect(&u, &w);
    assert_false(u.sse);
    assert_int_equal(u.events, 0);

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_AUTO, anth_json,
                     LEN(anth_json), &a);
    assert_memory_equal(&u, &a, sizeof(ql_usage_t));

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_JSON, anth_json_error,
                     LEN(anth_json_error), &u);
    expect(&u, &e);
}


/* the usage object of an Anthropic JSON answer, and what it counts */
static void
usage_of(const char *usage, uint64_t input, uint64_t output,
    uint64_t cache_5m)
{
    char        body[1024];
    ql_usage_t  u;

    snprintf(body, sizeof(body), "{\"type\":\"message\",\"model\":\"m\","
             "\"usage\":%s}", usage);
    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_JSON, body, strlen(body),
                     &u);

    if (u.input_tokens != input || u.output_tokens != output
        || u.cache_creation_5m_tokens != cache_5m)
    {
        fail_msg("%s: input %llu output %llu 5m %llu", usage,
                 (unsigned long long) u.input_tokens,
                 (unsigned long long) u.output_tokens,
                 (unsigned long long) u.cache_creation_5m_tokens);
    }
}


/*
 * A plain usage object is read in place; any other is decoded: both
 * count the same (jansson's rules: the last of repeated names, escaped
 * names, numbers written as reals, nothing over QL_USAGE_TOKENS_MAX).
 */
static void
test_usage_object(void **state)
{
    (void) state;

    usage_of("{\"input_tokens\":12,\"output_tokens\":3}", 12, 3, 0);
    usage_of(" { \"input_tokens\" : 12 , \"output_tokens\":3 } ", 12, 3, 0);
    usage_of("{\"input_tokens\":5,\"input_tokens\":7,\"output_tokens\":1}",
             7, 1, 0);
    usage_of("{\"inp\\u0075t_tokens\":9,\"output_tokens\":1}", 9, 1, 0);
    usage_of("{\"input_tokens\":5.0,\"output_tokens\":2}", 5, 2, 0);
    usage_of("{\"input_tokens\":1e2,\"output_tokens\":2}", 100, 2, 0);
    usage_of("{\"input_tokens\":null,\"output_tokens\":3}", 0, 3, 0);
    usage_of("{\"input_tokens\":-4,\"output_tokens\":3}", 0, 3, 0);
    usage_of("{\"input_tokens\":1000000000000,\"output_tokens\":1}",
             1000000000000ULL, 1, 0);
    usage_of("{\"input_tokens\":1000000000001,\"output_tokens\":1}", 0, 1,
             0);
    usage_of("{\"input_tokens\":99999999999999999999,\"output_tokens\":1}",
             0, 1, 0);
    usage_of("{\"input_tokens\":\"12\",\"output_tokens\":1}", 0, 1, 0);
    usage_of("{\"cache_creation\":{\"ephemeral_5m_input_tokens\":4},"
             "\"output_tokens\":1}", 0, 1, 4);
    usage_of("{\"cache_creation\":{\"ephemeral_5m_input_tokens\":4,"
             "\"ephemeral_5m_input_tokens\":6},\"output_tokens\":1}",
             0, 1, 6);
    usage_of("{\"cache_creation\":[1],\"output_tokens\":1}", 0, 1, 0);
    usage_of("{\"cache_creation\":null,\"output_tokens\":1}", 0, 1, 0);
    usage_of("{\"output_tokens\":1,\"other\":{\"input_tokens\":8}}", 0, 1, 0);
}


static void
test_openai_chat(void **state)
{
    ql_usage_t    u;
    const want_t  s = { 93, 0, 0, 0, 1024, 46, 0, "gpt-4o-2024-08-06",
                        1, 1, NULL };
    const want_t  n = { 0, 0, 0, 0, 0, 0, 0, "gpt-4o-2024-08-06",
                        0, 1, NULL };
    const want_t  j = { 372, 0, 0, 0, 128, 900, 640, "o4-mini-2025-04-16",
                        1, 1, NULL };

    (void) state;

    /* input = prompt_tokens - cached_tokens; cache_read = cached_tokens */
    parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE, chat_stream,
                     LEN(chat_stream), &u);
    expect(&u, &s);
    assert_int_equal(u.events, 6);
    assert_int_equal(u.invalid, 0);

    /* no stream_options.include_usage: complete, but nothing to bill */
    parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE, chat_stream_no_usage,
                     LEN(chat_stream_no_usage), &u);
    expect(&u, &n);

    /* reasoning is part of completion_tokens: reported, not added */
    parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_JSON, chat_json,
                     LEN(chat_json), &u);
    expect(&u, &j);
}


static void
test_openai_responses(void **state)
{
    ql_usage_t    u;
    const want_t  w = { 304, 0, 0, 0, 1024, 352, 320, "o4-mini-2025-04-16",
                        1, 1, NULL };
    const want_t  f = { 0, 0, 0, 0, 0, 0, 0, "o4-mini-2025-04-16",
                        0, 1, "server_error" };
    const want_t  e = { 0, 0, 0, 0, 0, 0, 0, "o4-mini-2025-04-16",
                        0, 0, "rate_limit_exceeded" };

    (void) state;

    parse_all_splits(QL_USAGE_OPENAI_RESPONSES, QL_USAGE_SSE, resp_stream,
                     LEN(resp_stream), &u);
    expect(&u, &w);
    assert_int_equal(u.events, 7);

    parse_all_splits(QL_USAGE_OPENAI_RESPONSES, QL_USAGE_JSON, resp_json,
                     LEN(resp_json), &u);
    expect(&u, &w);

    parse_all_splits(QL_USAGE_OPENAI_RESPONSES, QL_USAGE_SSE, resp_failed,
                     LEN(resp_failed), &u);
    expect(&u, &f);

    parse_all_splits(QL_USAGE_OPENAI_RESPONSES, QL_USAGE_SSE,
                     resp_error_event, LEN(resp_error_event), &u);
    expect(&u, &e);
}


static void
test_gemini(void **state)
{
    char         *lf;
    size_t        i, n;
    ql_usage_t    u, v;
    const want_t  w = { 1114, 0, 0, 0, 4096, 1137, 887, "gemini-2.5-pro",
                        1, 1, NULL };
    const want_t  j = { 150, 0, 0, 0, 0, 20, 0, "gemini-2.5-flash",
                        1, 1, NULL };
    const want_t  e = { 0, 0, 0, 0, 0, 0, 0, "", 0, 1,
                        "RESOURCE_EXHAUSTED" };

    (void) state;

    /*
     * input = promptTokenCount + toolUsePromptTokenCount
     * - cachedContentTokenCount; output = candidates + thoughts
     */
    parse_all_splits(QL_USAGE_GEMINI, QL_USAGE_SSE, gemini_sse,
                     LEN(gemini_sse), &u);
    expect(&u, &w);
    assert_int_equal(u.events, 3);

    /* the same with "\n\n" between events */
    lf = strdup(gemini_sse);
    assert_non_null(lf);

    for (i = 0, n = 0; gemini_sse[i]; i++) {
        if (gemini_sse[i] != '\r') {
            lf[n++] = gemini_sse[i];
        }
    }

    parse_all_splits(QL_USAGE_GEMINI, QL_USAGE_SSE, lf, n, &v);
    assert_memory_equal(&u, &v, sizeof(ql_usage_t));
    free(lf);

    /* streamGenerateContent without alt=sse: a JSON array over time */
    parse_all_splits(QL_USAGE_GEMINI, QL_USAGE_JSON, gemini_array,
                     LEN(gemini_array), &v);
    expect(&v, &w);

    parse_all_splits(QL_USAGE_GEMINI, QL_USAGE_AUTO, gemini_array,
                     LEN(gemini_array), &u);
    assert_memory_equal(&u, &v, sizeof(ql_usage_t));

    parse_all_splits(QL_USAGE_GEMINI, QL_USAGE_JSON, gemini_json,
                     LEN(gemini_json), &u);
    expect(&u, &j);

    parse_all_splits(QL_USAGE_GEMINI, QL_USAGE_JSON, gemini_error,
                     LEN(gemini_error), &u);
    expect(&u, &e);
}


/* ------------------------------------------------------------------ */
/* SSE framing                                                          */


static void
test_line_endings(void **state)
{
    int          i, k;
    char        *s;
    size_t       n;
    ql_usage_t   lf, u;

    static const char  *eols[] = { "\r\n", "\r" };
    static const struct {
        ql_usage_format_t   format;
        const char         *payload;
    } cases[] = {
        { QL_USAGE_ANTHROPIC, anth_stream },
        { QL_USAGE_OPENAI_CHAT, chat_stream },
        { QL_USAGE_OPENAI_RESPONSES, resp_stream },
    };

    (void) state;

    for (k = 0; k < 3; k++) {
        parse(cases[k].format, QL_USAGE_SSE, cases[k].payload,
              strlen(cases[k].payload), 0, &lf);
        assert_true(lf.complete);

        for (i = 0; i < 2; i++) {
            s = with_eol(cases[k].payload, eols[i], &n);
            parse_all_splits(cases[k].format, QL_USAGE_SSE, s, n, &u);
            assert_memory_equal(&lf, &u, sizeof(ql_usage_t));
            free(s);
        }
    }
}


static void
test_sse_fields(void **state)
{
    ql_usage_t    u;
    const want_t  w = { 7, 0, 0, 0, 0, 9, 0, "claude-haiku-4-5", 1, 1, NULL };

    /*
     * BOM, comments, id and retry, unknown fields, no space after the
     * colon, one JSON value over three data lines, an empty data line
     * written without colon, the event type only in "event:" or only in
     * the data.
     */
    static const char  s[] =
        "\357\273\277: this is a comment\n"
        ":\n"
        "id: 1\n"
        "retry: 1000\n"
        "event: message_start\n"
        "data:{\"type\":\"message_start\",\n"
        "data\n"
        "data:\"message\":{\"model\":\"claude-haiku-4-5\",\"usage\":"
        "{\"input_tokens\":7,\n"
        "data:  \"output_tokens\":1}}}\n"
        "x-vendor: {\"usage\":{\"output_tokens\":1000}}\n"
        "\n"
        "\n"
        "event: ping\n"
        "\n"
        " data: {\"type\":\"message_delta\",\"usage\":"
        "{\"output_tokens\":99}}\n"
        "\n"
        "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\n"
        "\n"
        "event: message_stop\n"
        "data: {}\n"
        "\n";

    (void) state;

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, s, LEN(s), &u);
    expect(&u, &w);
    assert_int_equal(u.events, 3);
    assert_int_equal(u.invalid, 0);

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_AUTO, s, LEN(s), &u);
    expect(&u, &w);
    assert_true(u.sse);
}


/* ------------------------------------------------------------------ */
/* bounds                                                               */


static char *
concat3(const char *a, const char *pad, size_t npad, const char *b,
    size_t *len)
{
    char    *s;
    size_t   la, lb;

    la = strlen(a);
    lb = strlen(b);
    s = malloc(la + npad + lb + 1);
    assert_non_null(s);

    memcpy(s, a, la);
    memset(s + la, pad[0], npad);
    memcpy(s + la + npad, b, lb + 1);
    *len = la + npad + lb;

    return s;
}


static void
test_overflow(void **state)
{
    char         *s, *t;
    size_t        n, m;
    ql_usage_t    u;
    const want_t  w = { 0, 0, 0, 0, 0, 503, 0, "claude-sonnet-4-5", 1, 1,
                        NULL };
    const want_t  big = { 12, 0, 0, 0, 0, 3, 0, "claude-sonnet-4-5", 1, 1,
                          NULL };

    (void) state;

    /* a usage object past the capture buffer: skipped, counted */
    s = concat3("event: message_start\n"
                "data: {\"type\":\"message_start\",\"message\":{\"model\":"
                "\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":2095,"
                "\"pad\":\"", "x", 20000, "\",\"output_tokens\":1}}}\n\n"
                "event: message_delta\n"
                "data: {\"type\":\"message_delta\",\"usage\":"
                "{\"output_tokens\":503}}\n\n"
                "event: message_stop\n"
                "data: {\"type\":\"message_stop\"}\n\n", &n);

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, s, n, &u);
    expect(&u, &w);
    assert_int_equal(u.overflow, 1);
    free(s);

    /* a 4 MiB data line costs nothing and overflows nothing */
    s = concat3("event: message_start\n"
                "data: {\"type\":\"message_start\",\"message\":{\"model\":"
                "\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":12,"
                "\"output_tokens\":1}}}\n\n"
                "data: {\"type\":\"content_block_delta\",\"delta\":"
                "{\"text\":\"", "y", 4 << 20, "\"}}\n\n"
                "data: {\"type\":\"message_delta\",\"usage\":"
                "{\"output_tokens\":3}}\n\n"
                "data: {\"type\":\"message_stop\"}\n\n", &n);

    parse(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, s, n, n / 2, &u);
    expect(&u, &big);
    assert_int_equal(u.overflow, 0);

    /* the same as one JSON body: still found, nothing buffered */
    t = concat3("{\"type\":\"message\",\"content\":[{\"text\":\"", "z",
                4 << 20, "\"}],\"model\":\"claude-sonnet-4-5\",\"usage\":"
                "{\"input_tokens\":12,\"output_tokens\":3}}", &m);
    parse(QL_USAGE_ANTHROPIC, QL_USAGE_JSON, t, m, 12345, &u);
    expect(&u, &big);
    free(t);
    free(s);

    /* an event name too long to keep: the data's type still counts */
    s = concat3("event: ", "e", 200, "\n"
                "data: {\"type\":\"message_stop\"}\n\n", &n);
    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, s, n, &u);
    assert_true(u.complete);
    assert_int_equal(u.overflow, 1);
    free(s);

    /* a model name too long to keep: left out, counted */
    s = concat3("data: {\"model\":\"", "m", 300, "\",\"usage\":"
                "{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\n", &n);
    parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE, s, n, &u);
    assert_int_equal(u.model_len, 0);
    assert_int_equal(u.input_tokens, 5);
    assert_int_equal(u.overflow, 1);
    free(s);

    /* an error too long to read is still an error */
    s = concat3("event: error\n"
                "data: {\"type\":\"error\",\"error\":{\"message\":\"", "!",
                10000, "\",\"type\":\"api_error\"}}\n\n", &n);
    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, s, n, &u);
    assert_true(u.error);
    assert_string_equal(u.error_type, "error");
    assert_int_equal(u.overflow, 1);
    free(s);
}


static void
test_deep_nesting(void **state)
{
    char        *s;
    size_t       i, n, depth;
    ql_usage_t   u;

    (void) state;

    /* far deeper than the tracked levels, then usage at the root */
    depth = 100000;
    s = malloc(4 * depth + 200);
    assert_non_null(s);

    n = (size_t) sprintf(s, "{\"content\":");

    for (i = 0; i < depth; i++) {
        s[n++] = (i & 1) ? '{' : '[';

        if (i & 1) {
            n += (size_t) sprintf(s + n, "\"k\":");
        }
    }

    for (i = depth; i > 0; i--) {
        s[n++] = ((i - 1) & 1) ? '}' : ']';
    }

    n += (size_t) sprintf(s + n, ",\"usage\":{\"prompt_tokens\":8,"
                          "\"completion_tokens\":2}}");

    parse(QL_USAGE_OPENAI_CHAT, QL_USAGE_JSON, s, n, n / 3, &u);
    assert_true(u.saw_usage);
    assert_true(u.complete);
    assert_int_equal(u.input_tokens, 8);
    assert_int_equal(u.output_tokens, 2);

    /* and unbalanced: never closes, never crashes */
    parse(QL_USAGE_OPENAI_CHAT, QL_USAGE_JSON, s, n / 2, n, &u);
    assert_false(u.complete);
    assert_false(u.saw_usage);

    /* as one SSE event: deep but whole, so it counts */
    memmove(s + 6, s, n);
    memcpy(s, "data: ", 6);
    memcpy(s + 6 + n, "\n\n", 2);
    n += 8;

    parse(QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE, s, n, n / 3, &u);
    assert_int_equal(u.invalid, 0);
    assert_true(u.saw_usage);
    assert_int_equal(u.input_tokens, 8);

    free(s);
}


/* ------------------------------------------------------------------ */
/* broken input                                                          */


static uint32_t
xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;

    return *x;
}


static void
test_garbage(void **state)
{
    int            f, fr, k;
    size_t         i, n;
    uint32_t       x;
    ql_usage_t     u, ref;
    unsigned char *g, *copy;

    static const char  *bad[] = {
        "data: {\"usage\":{\"input_tokens\":5}\n\n",        /* unclosed */
        "data: not json at all\n\n",
        "data: {\"a\":1} {\"usage\":{\"input_tokens\":5}}\n\n",
        "data: {\"usage\":{\"input_tokens\":5}]\n\n",       /* mismatch */
        "data: {\"usage\"{\"input_tokens\":5}}\n\n",        /* no colon */
        "data: {\"usage\":{\"input_tokens\":5,}}\n\n",      /* jansson */
        "data: }}}{\"usage\":{\"input_tokens\":5}}\n\n",
    };

    (void) state;

    n = 1 << 16;
    g = malloc(n);
    copy = malloc(n);
    assert_non_null(g);
    assert_non_null(copy);

    /* random bytes, then random bytes from the JSON and SSE alphabet */
    for (k = 0; k < 2; k++) {
        x = 2463534242u + (uint32_t) k;

        for (i = 0; i < n; i++) {
            g[i] = k == 0 ? (unsigned char) xorshift(&x)
                          : (unsigned char) "{}[]\":,\\ \n\rdata:usage0"
                                            [xorshift(&x) % 23];
        }

        memcpy(copy, g, n);

        for (f = 0; f < QL_USAGE_FORMAT_COUNT; f++) {
            for (fr = QL_USAGE_AUTO; fr <= QL_USAGE_JSON; fr++) {
                parse((ql_usage_format_t) f, (ql_usage_framing_t) fr, g, n,
                      (size_t) f * 1000 + 7, &u);
                assert_true(u.input_tokens <= QL_USAGE_TOKENS_MAX);
                assert_true(u.model_len <= QL_USAGE_MODEL_MAX);
            }
        }

        /* input is never written to */
        assert_memory_equal(g, copy, n);
    }

    /* after garbage and a blank line, a stream reads as usual */
    parse(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, anth_stream, LEN(anth_stream),
          0, &ref);

    for (i = 0; i < n; i++) {
        g[i] = (unsigned char) xorshift(&x);
    }

    ql_usage_init(&parser, QL_USAGE_ANTHROPIC, QL_USAGE_SSE);
    ql_usage_feed(&parser, g, n);
    ql_usage_feed(&parser, (const unsigned char *) "\n\n", 2);
    ql_usage_feed(&parser, (const unsigned char *) anth_stream,
                  LEN(anth_stream));
    ql_usage_finish(&parser);
    ql_usage_result(&parser, &u);

    assert_int_equal(u.input_tokens, ref.input_tokens);
    assert_int_equal(u.cache_creation_1h_tokens,
                     ref.cache_creation_1h_tokens);
    assert_int_equal(u.output_tokens, ref.output_tokens);
    assert_string_equal(u.model, ref.model);
    assert_true(u.complete);

    free(g);
    free(copy);

    /* events that are not one whole JSON value count for nothing */
    for (k = 0; k < (int) (sizeof(bad) / sizeof(bad[0])); k++) {
        parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE, bad[k],
                         strlen(bad[k]), &u);
        assert_false(u.saw_usage);
        assert_int_equal(u.input_tokens, 0);
        assert_int_equal(u.invalid, 1);
    }
}


static void
test_cut_streams(void **state)
{
    size_t        len, cut, start_end, delta_end;
    ql_usage_t    u;
    const char   *p;

    (void) state;

    len = LEN(anth_stream);
    p = strstr(anth_stream, "\n\n");
    start_end = (size_t) (p - anth_stream) + 2;
    p = strstr(anth_stream, "\nevent: message_stop");
    delta_end = (size_t) (p - anth_stream) + 1;

    /* every prefix: what was dispatched counts, nothing else */
    for (cut = 0; cut <= len; cut++) {
        parse(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, anth_stream, cut, cut / 2,
              &u);

        assert_int_equal(u.complete, cut == len);
        assert_false(u.error);
        assert_int_equal(u.saw_usage, cut >= start_end);
        assert_int_equal(u.input_tokens, cut >= start_end ? 2095 : 0);
        assert_int_equal(u.cache_creation_1h_tokens,
                         cut >= start_end ? 551 : 0);
        assert_int_equal(u.output_tokens,
                         cut >= delta_end ? 503 : cut >= start_end ? 1 : 0);
        assert_string_equal(u.model, cut >= start_end
                                     ? "claude-sonnet-4-5-20250929" : "");
    }

    /* a JSON body keeps its usage once the usage object was whole */
    len = LEN(anth_json);
    p = strstr(anth_json, "\"service_tier\"");
    delta_end = (size_t) (strchr(p, '}') - anth_json) + 1;

    for (cut = 0; cut <= len; cut++) {
        parse(QL_USAGE_ANTHROPIC, QL_USAGE_JSON, anth_json, cut, cut / 3,
              &u);
        assert_int_equal(u.saw_usage, cut >= delta_end);
        assert_int_equal(u.output_tokens, cut >= delta_end ? 321 : 0);
        assert_int_equal(u.complete, cut >= len - 1);    /* "}\n" */
    }

    /* OpenAI without "[DONE]": usage kept, not complete */
    len = (size_t) (strstr(chat_stream, "data: [DONE]") - chat_stream);
    parse(QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE, chat_stream, len, 100, &u);
    assert_true(u.saw_usage);
    assert_false(u.complete);
    assert_int_equal(u.output_tokens, 46);
}


static void
test_numbers(void **state)
{
    ql_usage_t  u;

    static const char  s[] =
        "data: {\"type\":\"message_start\",\"message\":{\"usage\":{"
        "\"input_tokens\":-5,\"cache_read_input_tokens\":12.5,"
        "\"cache_creation_input_tokens\":\"12\",\"output_tokens\":1}}}\n\n"
        "data: {\"type\":\"message_delta\",\"usage\":"
        "{\"output_tokens\":99999999999999999999999}}\n\n"
        "data: {\"type\":\"message_delta\",\"usage\":"
        "{\"output_tokens\":1000000000001}}\n\n"
        "data: {\"type\":\"message_delta\",\"usage\":"
        "{\"output_tokens\":1e400,\"input_tokens\":3}}\n\n"
        "data: {\"type\":\"message_delta\",\"usage\":"
        "{\"output_tokens\":null,\"cache_read_input_tokens\":4.0}}\n\n";

    static const char  t[] =
        "data: {\"usage\":{\"prompt_tokens\":1e3,\"completion_tokens\":"
        "1000000000000,\"prompt_tokens_details\":{\"cached_tokens\":2000}}}"
        "\n\n";

    (void) state;

    /*
     * Negative, fractional, string, beyond 1e12: each field ignored.  1e400
     * does not decode: that whole object is ignored.  4.0 is integral.
     */
    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, s, LEN(s), &u);
    assert_true(u.saw_usage);
    assert_int_equal(u.input_tokens, 0);
    assert_int_equal(u.cache_creation_tokens, 0);
    assert_int_equal(u.cache_read_tokens, 4);
    assert_int_equal(u.output_tokens, 1);
    assert_int_equal(u.invalid, 1);

    /* cached beyond prompt: input stops at 0; 1e12 is the largest count */
    parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE, t, LEN(t), &u);
    assert_int_equal(u.input_tokens, 0);
    assert_int_equal(u.cache_read_tokens, 2000);
    assert_int_equal(u.output_tokens, QL_USAGE_TOKENS_MAX);
}


static void
test_replace_and_merge(void **state)
{
    ql_usage_t  u;

    /* Gemini: the last usageMetadata wins as a whole (zeros omitted) */
    static const char  g[] =
        "data: {\"usageMetadata\":{\"promptTokenCount\":10,"
        "\"cachedContentTokenCount\":4,\"candidatesTokenCount\":3}}\n\n"
        "data: {\"usageMetadata\":{\"promptTokenCount\":10,"
        "\"candidatesTokenCount\":5}}\n\n";

    /* Anthropic: split only, and the split with a total */
    static const char  a[] =
        "data: {\"type\":\"message_start\",\"message\":{\"usage\":"
        "{\"input_tokens\":1,\"cache_creation\":"
        "{\"ephemeral_5m_input_tokens\":30,\"ephemeral_1h_input_tokens\":"
        "70}}}}\n\n";

    static const char  b[] =
        "data: {\"type\":\"message_start\",\"message\":{\"usage\":"
        "{\"cache_creation_input_tokens\":50,\"cache_creation\":"
        "{\"ephemeral_5m_input_tokens\":20}}}}\n\n"
        "data: {\"type\":\"message_delta\",\"usage\":"
        "{\"cache_creation_input_tokens\":60}}\n\n";

    (void) state;

    parse_all_splits(QL_USAGE_GEMINI, QL_USAGE_SSE, g, LEN(g), &u);
    assert_int_equal(u.input_tokens, 10);
    assert_int_equal(u.cache_read_tokens, 0);
    assert_int_equal(u.output_tokens, 5);
    assert_false(u.complete);

    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, a, LEN(a), &u);
    assert_int_equal(u.cache_creation_tokens, 100);
    assert_int_equal(u.cache_creation_5m_tokens, 30);
    assert_int_equal(u.cache_creation_1h_tokens, 70);

    /* 5m only: 1h is the rest of the (later, larger) total */
    parse_all_splits(QL_USAGE_ANTHROPIC, QL_USAGE_SSE, b, LEN(b), &u);
    assert_int_equal(u.cache_creation_tokens, 60);
    assert_int_equal(u.cache_creation_5m_tokens, 20);
    assert_int_equal(u.cache_creation_1h_tokens, 40);
}


/* ------------------------------------------------------------------ */
/* API                                                                  */


static void
test_framing(void **state)
{
    ql_usage_t  u;

    static const char  json_auto[] =
        "\357\273\277\r\n\n  \n{\"usage\":{\"prompt_tokens\":3}}";

    static const char  sse_auto[] =
        "\n\r\n  data: {\"usage\":{\"prompt_tokens\":3}}\n\n"
        "data: {\"usage\":{\"prompt_tokens\":4}}\n\n";

    (void) state;

    assert_int_equal(ql_usage_framing_from_content_type(
        (const unsigned char *) "text/event-stream; charset=utf-8", 32),
        QL_USAGE_SSE);
    assert_int_equal(ql_usage_framing_from_content_type(
        (const unsigned char *) "Text/Event-Stream", 17), QL_USAGE_SSE);
    assert_int_equal(ql_usage_framing_from_content_type(
        (const unsigned char *) " application/json;charset=UTF-8", 31),
        QL_USAGE_JSON);
    assert_int_equal(ql_usage_framing_from_content_type(
        (const unsigned char *) "application/problem+json", 24),
        QL_USAGE_JSON);
    assert_int_equal(ql_usage_framing_from_content_type(
        (const unsigned char *) "text/plain", 10), QL_USAGE_AUTO);
    assert_int_equal(ql_usage_framing_from_content_type(
        (const unsigned char *) "", 0), QL_USAGE_AUTO);

    /* AUTO: a BOM and blank lines first, and a blank-led line is no field */
    parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_AUTO, json_auto,
                     LEN(json_auto), &u);
    assert_false(u.sse);
    assert_int_equal(u.input_tokens, 3);
    assert_true(u.complete);

    parse_all_splits(QL_USAGE_OPENAI_CHAT, QL_USAGE_AUTO, sse_auto,
                     LEN(sse_auto), &u);
    assert_true(u.sse);
    assert_int_equal(u.input_tokens, 4);
    assert_int_equal(u.events, 1);

    /* nothing but blanks: undecided, nothing seen */
    parse(QL_USAGE_GEMINI, QL_USAGE_AUTO, " \r\n\t", 4, 2, &u);
    assert_false(u.sse);
    assert_false(u.saw_usage);

    /* fed after finish: ignored */
    ql_usage_init(&parser, QL_USAGE_OPENAI_CHAT, QL_USAGE_SSE);
    ql_usage_finish(&parser);
    ql_usage_feed(&parser, (const unsigned char *) chat_stream,
                  LEN(chat_stream));
    ql_usage_result(&parser, &u);
    assert_false(u.saw_usage);
    assert_int_equal(u.events, 0);

    /* a format out of range reads as Anthropic rather than crashing */
    parse((ql_usage_format_t) 99, QL_USAGE_SSE, anth_stream,
          LEN(anth_stream), 10, &u);
    assert_int_equal(u.output_tokens, 503);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anthropic_stream),
        cmocka_unit_test(test_anthropic_delta_usage),
        cmocka_unit_test(test_anthropic_stream_error),
        cmocka_unit_test(test_anthropic_json),
        cmocka_unit_test(test_usage_object),
        cmocka_unit_test(test_openai_chat),
        cmocka_unit_test(test_openai_responses),
        cmocka_unit_test(test_gemini),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_sse_fields),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_cut_streams),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_replace_and_merge),
        cmocka_unit_test(test_framing),
    };

    return cmocka_run_group_tests_name("ql_usage", tests, NULL, NULL);
}
