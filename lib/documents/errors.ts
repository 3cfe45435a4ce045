// Why a document could not be taken or analysed, in words a person can act on. The code is
// stable (tests, the UI's icons); the message is for people.
import { KeelError } from "@/lib/errors";

export type DocumentProblem =
  | "empty"
  | "too_large"
  | "incomplete"
  | "storage_quota"
  | "unsupported_type"
  | "type_mismatch"
  | "corrupt"
  | "encrypted"
  | "zip_bomb"
  | "too_complex"
  | "too_long"
  | "timed_out"
  | "out_of_memory"
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

/** An upload turned away before its body was read: too many at once. Retrying later can help. */
export class UploadRefused extends Error {
  constructor(
    readonly code: "too_many_uploads" | "busy",
    message: string,
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = "UploadRefused";
  }
}

/** The same content is already in this collection: the upload is not kept. */
export class DuplicateDocument extends Error {
  readonly code = "duplicate";
  constructor(
    readonly documentId: string,
    message: string,
  ) {
    super(message);
    this.name = "DuplicateDocument";
  }
}
