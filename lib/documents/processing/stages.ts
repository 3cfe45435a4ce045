// The stages of document processing that read untrusted bytes, as plain functions over plain data
// (bytes in, text out): what the worker threads run (worker.ts). Nothing here touches the
// database, the blob store or the network.
import type { DocumentKind } from "@/db/schema";
import { chunkSegments, type Chunk } from "../chunk";
import type { ChunkSettings } from "../chunk-settings";
import { extractDocument, type ExtractedDocument } from "../extract";
import type { ExtractProgress } from "../extract/types";
import { detectLanguage } from "../language";

export interface ExtractInput {
  bytes: Uint8Array;
  kind: DocumentKind;
}

export interface ChunkInput {
  segments: ExtractedDocument["segments"];
  settings: ChunkSettings;
}

export interface ChunkedDocument {
  chunks: Chunk[];
  language: string;
  tokenCount: number;
}

export function extractStage(input: ExtractInput, onProgress?: ExtractProgress): Promise<ExtractedDocument> {
  return extractDocument(input.bytes, input.kind, onProgress);
}

export interface PrepareInput extends ExtractInput {
  settings: ChunkSettings;
}

export interface PreparedDocument extends ChunkedDocument {
  pageCount: number | null;
}

export function chunkStage(input: ChunkInput): ChunkedDocument {
  const chunks = chunkSegments(input.segments, input.settings);
  const language = detectLanguage(input.segments.map((s) => s.text).join("\n"));
  return { chunks, language, tokenCount: chunks.reduce((sum, c) => sum + c.tokenCount, 0) };
}
