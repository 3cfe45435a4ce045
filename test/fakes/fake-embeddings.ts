// Deterministic fake embeddings, shared by both dialects.
import { createHash } from "node:crypto";

const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/**
 * Deterministic, L2-normalised vector for a string: sha256(text, block) bytes
 * mapped to [-1, 1]. Same input + dimensions => same vector across runs.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < dimensions; block++) {
    const digest = createHash("sha256").update(`${block}\u0000${text}`).digest();
    for (let i = 0; i + 4 <= digest.length && out.length < dimensions; i += 4) {
      out.push((digest.readUInt32LE(i) / 0xffffffff) * 2 - 1);
    }
  }
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => v / norm);
}

/** The official openai client asks for base64 by default: little-endian float32 bytes. */
export function toBase64Float32(vector: number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString("base64");
}

export function parseDimensions(value: unknown): number | null {
  if (value === undefined || value === null) return DEFAULT_EMBEDDING_DIMENSIONS;
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= 65536 ? value : null;
}
