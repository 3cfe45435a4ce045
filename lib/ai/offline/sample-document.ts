// A short company profile the offline model's tests answer from (imported by tests only).
import { z } from "zod";

export const DOC = [
  "Acme Corp was founded in 1999 by Jane Doe in Berlin.",
  "The company makes industrial sensors for wind turbines.",
  "Its headquarters moved to Munich in 2012.",
  "Acme employs 450 people across Europe.",
  "The cafeteria serves vegetarian food on Fridays.",
  "In 2021, Acme partnered with Nordwind Energy to monitor offshore wind farms.",
].join(" ");
export const SYSTEM = "Answer using only the context.";

export const briefSchema = z.object({
  summary: z.string(),
  keyPoints: z.array(z.string()).min(1).max(5),
  entities: z.array(z.object({ name: z.string(), kind: z.enum(["person", "organisation", "place", "other"]) })),
});
