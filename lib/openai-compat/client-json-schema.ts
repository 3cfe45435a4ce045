// A JSON schema in a request body (response_format, text.format, tool parameters): an object, and
// within the bounds of lib/ai/json-schema-bounds.ts, or the request is refused with a 400 naming it.
import { z } from "zod";
import { jsonSchemaProblem } from "@/lib/ai/json-schema-bounds";

export const clientJsonSchema = z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
  const problem = jsonSchemaProblem(schema);
  if (problem) ctx.addIssue({ code: "custom", message: problem.at ? `${problem.message} (at '${problem.at}')` : problem.message });
});
