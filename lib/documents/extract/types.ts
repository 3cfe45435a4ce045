/** A run of a document's text with where it sits: the heading above it and its page. */
export interface TextSegment {
  text: string;
  heading: string | null;
  page: number | null;
}

export interface ExtractedDocument {
  segments: TextSegment[];
  /** PDFs only: how many pages the file has. */
  pageCount: number | null;
}

/** Reports progress while extracting (pages done of total). */
export type ExtractProgress = (done: number, total: number) => void | Promise<void>;
