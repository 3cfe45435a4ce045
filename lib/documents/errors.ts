// Why a document could not be taken or analysed, in words a person can act on. The code is
// stable (tests, the UI's icons); the message is for people.
import { KeelError } from "@/lib/errors";

export type DocumentProblem =
  | "empty"
  | "too_large"
  | "storage_quota"
  | "unsupported_type"
  | "type_mismatch"
  | "corrupt"
  | "encrypted"
  | "zip_bomb"
  | "no_text"
  | "quota_exceeded"
  | "provider_failed";

/** A problem with the file itself: retrying the same bytes cannot help. */
export class DocumentRejected extends Error {
  constructor(
    readonly code: DocumentProblem,
    message: string,
  ) {
    super(message);
    this.name = "DocumentRejected";
  }

  /** The same refusal as a form/route error (HTTP 400, or 413 for sizes). */
  toKeelError(): KeelError {
    return new KeelError("invalid_input", this.message, { file: this.message });
  }
}

/**
 * The same content is already in the collection: storing it twice would only duplicate passages
 * and citations. Carries the document that holds it, so people can be sent there.
 */
export class DuplicateDocument extends Error {
  readonly code = "duplicate";

  constructor(readonly existing: { id: string; name: string }) {
    super(`This file's content is already in this collection, as “${existing.name}”.`);
    this.name = "DuplicateDocument";
  }
}
