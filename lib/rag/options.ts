// What a caller may ask of retrieve(), validated before anything is embedded or queried.
import { z } from "zod";
import { retrievalModes } from "./config";

const MAX_K = 50;
const DEFAULT_K = 8;
const MAX_QUERY_CHARS = 8_000;
const MAX_COLLECTIONS = 100;

export const retrievalQuerySchema = z
  .string()
  .trim()
  .min(1, "Say what to look for.")
  .max(MAX_QUERY_CHARS, `A query may be at most ${MAX_QUERY_CHARS} characters.`);

export const retrieveOptionsSchema = z
  .object({
    /** How many passages to return (fewer only when the collections hold fewer). */
    k: z.number().int().min(1).max(MAX_K).default(DEFAULT_K),
    /** Collections to search; omitted: all of the tenant's. */
    collections: z
      .array(z.uuid("Collection ids are UUIDs."))
      .min(1, "Name at least one collection, or leave the list out to search them all.")
      .max(MAX_COLLECTIONS)
      .transform((ids) => [...new Set(ids.map((id) => id.toLowerCase()))])
      .optional(),
    mode: z.enum(retrievalModes).optional(),
  })
  .strict();

export type RetrieveOptions = z.input<typeof retrieveOptionsSchema>;
