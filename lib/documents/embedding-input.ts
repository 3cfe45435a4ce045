// The text a chunk is embedded from: the heading travels with the passage, so it is found by the
// section it belongs to too. One definition for analysis and re-embedding alike.
export function embeddingInput(chunk: { content: string; heading: string | null }): string {
  return chunk.heading && !chunk.content.startsWith(chunk.heading) ? `${chunk.heading}\n${chunk.content}` : chunk.content;
}
