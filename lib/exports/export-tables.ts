// What a workspace export holds, family by family (issue 19.7): each family is one step of the
// export job and writes, per table, a JSON file and a CSV file into storage, a page of rows at a
// time, so memory holds one page whatever the workspace's size. Rows are read as the exporting
// owner in the workspace's scope: row-level security decides what is theirs to take, and
// conversations, private to each person (docs/security.md), are the owner's own.
import { and, asc, eq, getTableColumns, gt, isNotNull, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { auditLog, chatMessages, collections, conversations, documents, usageEvents } from "@/db/schema";
import { withTenant } from "@/db/scope";
import type { BlobStore } from "@/lib/storage";
import type { TenantContext } from "@/lib/tenancy/context";
import { csvLine } from "./csv";
import { utf8 } from "./zip-stream";

const PAGE_ROWS = 500;

type Row = Record<string, unknown>;

interface ExportTable {
  /** The file's name in the archive, without extension. */
  file: string;
  table: PgTable;
  id: PgColumn;
  tenantId: PgColumn;
  columns: Record<string, PgColumn>;
  /** Narrower than the tenant (the owner's own conversations). */
  where?: (ctx: TenantContext) => SQL;
}

function without<T extends Record<string, PgColumn>, K extends keyof T & string>(columns: T, ...keys: K[]): Omit<T, K> {
  return Object.fromEntries(Object.entries(columns).filter(([name]) => !(keys as string[]).includes(name))) as Omit<T, K>;
}

const documentColumns = getTableColumns(documents);

const exportFamilies = {
  documents: [
    { file: "collections", table: collections, id: collections.id, tenantId: collections.tenantId, columns: getTableColumns(collections) },
    // The analysis has a file of its own; the storage key is Keel's, the original is in originals/.
    { file: "documents", table: documents, id: documents.id, tenantId: documents.tenantId, columns: without(documentColumns, "analysis", "storageKey") },
  ],
  analyses: [
    {
      file: "analyses",
      table: documents,
      id: documents.id,
      tenantId: documents.tenantId,
      columns: {
        id: documents.id,
        name: documents.name,
        version: documents.activeVersion,
        language: documents.language,
        analyzedAt: documents.analyzedAt,
        analysis: documents.analysis,
      },
      where: () => isNotNull(documents.analysis),
    },
  ],
  conversations: [
    {
      file: "conversations",
      table: conversations,
      id: conversations.id,
      tenantId: conversations.tenantId,
      columns: getTableColumns(conversations),
      where: (ctx) => eq(conversations.userId, ctx.userId),
    },
    {
      file: "messages",
      table: chatMessages,
      id: chatMessages.id,
      tenantId: chatMessages.tenantId,
      columns: getTableColumns(chatMessages),
      where: (ctx) => eq(chatMessages.userId, ctx.userId),
    },
  ],
  usage: [{ file: "usage-events", table: usageEvents, id: usageEvents.id, tenantId: usageEvents.tenantId, columns: getTableColumns(usageEvents) }],
  audit: [{ file: "audit-log", table: auditLog, id: auditLog.id, tenantId: auditLog.tenantId, columns: getTableColumns(auditLog) }],
} satisfies Record<string, ExportTable[]>;

export type ExportFamily = keyof typeof exportFamilies;
export const exportFamilyNames = Object.keys(exportFamilies) as ExportFamily[];

/** Every file the families write, in archive order. */
export const exportFiles: string[] = exportFamilyNames.flatMap((family) =>
  exportFamilies[family].flatMap((t: ExportTable) => [`${t.file}.json`, `${t.file}.csv`]),
);

/** Pages of the table's rows in the workspace, by id (keyset: no page is read twice or skipped). */
async function* pagesOf(ctx: TenantContext, source: ExportTable): AsyncGenerator<Row[]> {
  let after: string | null = null;
  for (;;) {
    const conditions = [eq(source.tenantId, ctx.tenantId), source.where?.(ctx), after === null ? undefined : gt(source.id, after)];
    const rows: Row[] = await withTenant(
      ctx.tenantId,
      (tx) =>
        tx
          .select(source.columns)
          .from(source.table)
          .where(and(...conditions))
          .orderBy(asc(source.id))
          .limit(PAGE_ROWS),
      { userId: ctx.userId },
    );
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE_ROWS) return;
    // Every table's columns hold its id under "id".
    after = String(rows[rows.length - 1]!.id);
  }
}

async function* jsonText(ctx: TenantContext, source: ExportTable, count: (rows: number) => void): AsyncGenerator<string> {
  yield "[";
  let first = true;
  for await (const page of pagesOf(ctx, source)) {
    count(page.length);
    yield page.map((row) => `${first ? ((first = false), "\n") : ",\n"}${JSON.stringify(row)}`).join("");
  }
  yield first ? "]\n" : "\n]\n";
}

async function* csvText(ctx: TenantContext, source: ExportTable): AsyncGenerator<string> {
  const header = Object.keys(source.columns);
  yield csvLine(header);
  for await (const page of pagesOf(ctx, source)) yield page.map((row) => csvLine(header.map((key) => row[key]))).join("");
}

/** The storage key of one written file of an export (`<tenant>/<export>/part-<file>-<ext>`). */
export function exportPartKey(ctx: { tenantId: string }, exportId: string, fileName: string): string {
  return `${ctx.tenantId}/${exportId}/part-${fileName.replace(".", "-")}`;
}

/** Writes the family's JSON and CSV files into storage; returns how many rows each table had. */
export async function writeExportFamily(ctx: TenantContext, exportId: string, family: ExportFamily, store: BlobStore): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const source of exportFamilies[family] as ExportTable[]) {
    let rows = 0;
    await store.put(exportPartKey(ctx, exportId, `${source.file}.json`), utf8(jsonText(ctx, source, (n) => (rows += n))));
    await store.put(exportPartKey(ctx, exportId, `${source.file}.csv`), utf8(csvText(ctx, source)));
    counts[source.file] = rows;
  }
  return counts;
}
