// Responses kept for previous_response_id (migration 0038): written when a response completes,
// read back as the conversation so far, every query scoped to the caller's workspace (row-level
// security, and the tenant in each WHERE clause): another workspace's id is simply not found.
import { sql } from "drizzle-orm";
import { apiResponses } from "@/db/schema";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import type { ResponseInputItem } from "./responses-schema";

/** How far back a conversation is followed (OpenAI keeps going; a bound keeps a request's work bounded). */
const MAX_CHAIN = 100;

export interface StoredResponse {
  id: string;
  tenantId: string;
  apiKeyId: string | null;
  previousResponseId: string | null;
  model: string;
  inputItems: ResponseInputItem[];
  outputItems: unknown[];
}

export async function storeResponse(response: StoredResponse): Promise<void> {
  await withTenant(response.tenantId, (tx) => tx.insert(apiResponses).values(response));
}

/**
 * The items of a stored response and of those it continued, oldest first (input then output of
 * each), or null when the workspace has no response with that id.
 */
export async function conversationBefore(tenantId: string, responseId: string): Promise<ResponseInputItem[] | null> {
  const rows = await withTenant(tenantId, (tx) =>
    rawRows<{ input_items: ResponseInputItem[] | string; output_items: ResponseInputItem[] | string }>(
      tx,
      sql`with recursive chain as (
            select id, previous_response_id, input_items, output_items, 1 as depth
              from api_responses where tenant_id = ${tenantId} and id = ${responseId}
            union all
            select r.id, r.previous_response_id, r.input_items, r.output_items, c.depth + 1
              from api_responses r join chain c on r.id = c.previous_response_id
              where r.tenant_id = ${tenantId} and c.depth < ${MAX_CHAIN}
          )
          select input_items, output_items from chain order by depth desc`,
    ),
  );
  if (rows.length === 0) return null;
  const items = (value: ResponseInputItem[] | string) => (typeof value === "string" ? (JSON.parse(value) as ResponseInputItem[]) : value);
  return rows.flatMap((row) => [...items(row.input_items), ...items(row.output_items)]);
}
