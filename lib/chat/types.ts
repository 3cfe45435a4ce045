// The chat types components may use (they do not import the database schema).
export type { AnswerDetails, Citation } from "@/db/schema";
