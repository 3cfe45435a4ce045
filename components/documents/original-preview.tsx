// The document page's view of the original file: PDFs in the browser's own viewer, HTML in a
// sandboxed frame (served with a sandboxing policy, lib/documents/originals.ts), Markdown rendered
// and text as it is, both read on the server; Word files only as their passages. Always a download.
import { DocumentMarkdown } from "./document-markdown";

export interface OriginalPreviewProps {
  documentId: string;
  name: string;
  kind: string;
  /** The beginning of a Markdown or text original. */
  text: { text: string; truncated: boolean } | null;
}

const frameClass = "h-[70vh] min-h-96 w-full rounded-md border border-slate-200 bg-slate-50";

export function OriginalPreview({ documentId, name, kind, text }: OriginalPreviewProps) {
  const preview = `/api/documents/${documentId}/preview`;
  return (
    <div className="space-y-3">
      <p className="text-sm">
        <a
          href={`/api/documents/${documentId}/original`}
          download
          className="inline-block rounded-md border border-slate-300 px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-50"
          data-testid="download-original"
        >
          Download the original
        </a>
      </p>
      {kind === "pdf" ? (
        <iframe src={preview} title={`Preview of ${name}`} className={frameClass} data-testid="original-preview" data-kind="pdf" />
      ) : kind === "html" ? (
        // No sandbox tokens at all: no scripts, no same-origin access, no forms, popups or navigation of the page.
        <iframe
          src={preview}
          title={`Preview of ${name}`}
          sandbox=""
          referrerPolicy="no-referrer"
          className={`${frameClass} bg-white`}
          data-testid="original-preview"
          data-kind="html"
        />
      ) : text && kind === "markdown" ? (
        <div className="max-h-[70vh] overflow-auto rounded-md border border-slate-200 p-4" data-testid="original-preview" data-kind="markdown">
          <DocumentMarkdown text={text.text} testId="original-markdown" />
        </div>
      ) : text ? (
        <pre
          className="max-h-[70vh] overflow-auto rounded-md border border-slate-200 p-4 text-sm whitespace-pre-wrap text-slate-800"
          data-testid="original-preview"
          data-kind="text"
        >
          {text.text}
        </pre>
      ) : kind === "docx" ? (
        <p className="text-sm text-slate-600">Word documents are not shown here: their text is in the passages below, and the original opens in Word.</p>
      ) : (
        <p className="text-sm text-slate-600">The original file could not be read for a preview.</p>
      )}
      {text?.truncated ? <p className="text-xs text-slate-500">This shows the beginning of the file; download the original for all of it.</p> : null}
    </div>
  );
}
