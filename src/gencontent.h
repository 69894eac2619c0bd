/* gencontent.h: the Batch API speaks generateContent, not Interactions. A
 * job's Interactions request becomes a GenerateContentRequest (input ->
 * contents, system_instruction -> systemInstruction, response_format ->
 * responseMimeType + responseJsonSchema, response_modalities and
 * generation_config -> generationConfig, function and built-in tools), and a
 * GenerateContentResponse comes back as the Interaction the rest of gembatch
 * reads (text and image outputs, function calls, usage by modality).
 * Reference: shared/reference/batch-api.md sections 2 and 5.
 * Ownership: every json_t * returned is new; inputs are borrowed. */
#ifndef GB_GENCONTENT_H
#define GB_GENCONTENT_H

#include <jansson.h>

/* A GenerateContentRequest for an Interactions request (either dialect's
 * shape; media parts keep their "data" placeholder strings, so the request
 * still streams its files, or carry "uri" after an upload). schema: the
 * job's bare JSON Schema (NULL: none). 0 with *out new, or -1 with *why (a
 * static string) naming what the Batch API cannot express: an agent,
 * background work, a previous interaction, a tool program's turn, an input
 * item that is not content, an unknown generation_config field (named). */
int gc_request(const json_t *ireq, const json_t *schema, json_t **out, const char **why);

/* The reasons a whole pipeline cannot run in Batch Mode (checked before
 * anything is sent): agents, background work, steps after the first, tools
 * answered by local programs, a generation_config field or a tool type the
 * Batch API has no form for (named). NULL when it can. */
const char *gc_pipeline_unsupported(const json_t *pipeline_doc, int has_tool_programs,
                                    int nsteps);

/* An Interaction (G1 shape: id, status, model, outputs, usage) for one
 * result of a batch: a GenerateContentResponse, or the error of its line.
 * status is completed, or failed with errors[] (blocked prompts, a
 * candidate stopped for safety, no candidate at all, a line error).
 * Thought parts are left out; inlineData images become image outputs;
 * functionCall parts function_call outputs. New. */
json_t *gc_interaction(const json_t *response, const json_t *line_error, const char *model,
                       const char *id);

#endif
