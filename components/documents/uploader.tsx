"use client";
// Drag-and-drop or pick several files; each uploads on its own request so it gets its own progress
// bar and its own error. Limits are checked here for a quick answer and again on the server,
// which decides the type from the content. A file whose content the collection already holds is
// refused by the server (409 "duplicate"); the uploader links to the document that holds it.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState, type DragEvent } from "react";
import { formatBytes } from "@/lib/documents/limits";

interface Upload {
  key: string;
  name: string;
  size: number;
  progress: number;
  status: "waiting" | "uploading" | "done" | "error" | "duplicate";
  error?: string;
  /** The new document, or for a duplicate the one that already holds the same content. */
  documentId?: string;
}

/** The server refused the file because the collection already holds the same content (HTTP 409). */
class DuplicateUpload extends Error {
  constructor(
    message: string,
    readonly documentId: string,
  ) {
    super(message);
  }
}

interface UploadAnswer {
  document?: { id?: unknown };
  error?: { code?: unknown; message?: unknown; documentId?: unknown };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const text = (value: unknown): string | undefined => (typeof value === "string" && value.trim() ? value : undefined);

export interface UploaderProps {
  collections: { id: string; name: string }[];
  /** The collection the page is filtered to: uploads go there unless the user picks another. */
  initialCollectionId?: string;
  maxFileBytes: number;
  storage: { usedBytes: number; limitBytes: number };
}

const ACCEPT = ".pdf,.docx,.md,.markdown,.txt,.html,.htm,application/pdf,text/plain,text/markdown,text/html";
const PARALLEL = 3;

function send(file: File, collectionId: string, onProgress: (share: number) => void): Promise<{ documentId: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/documents?collectionId=${encodeURIComponent(collectionId)}`);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.setRequestHeader("x-file-name", encodeURIComponent(file.name));
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      let body: UploadAnswer = {};
      try {
        const parsed: unknown = JSON.parse(xhr.responseText);
        if (parsed && typeof parsed === "object") body = parsed as UploadAnswer;
      } catch {
        // not JSON: fall through to the generic message
      }
      const documentId = text(body.document?.id);
      const duplicateOf = text(body.error?.documentId);
      if (xhr.status === 201 && documentId) resolve({ documentId });
      else if (xhr.status === 401) reject(new Error("Your session ended. Sign in again, then upload."));
      else if (xhr.status === 409 && body.error?.code === "duplicate" && duplicateOf && UUID.test(duplicateOf))
        reject(new DuplicateUpload(text(body.error.message) ?? "This file is already in this collection.", duplicateOf));
      else reject(new Error(text(body.error?.message) ?? `The upload failed (HTTP ${xhr.status}). Try again.`));
    };
    xhr.onerror = () => reject(new Error("The connection dropped during the upload. Try again."));
    xhr.send(file);
  });
}

export function DocumentUploader({ collections, initialCollectionId, maxFileBytes, storage }: UploaderProps) {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const [collectionId, setCollectionId] = useState(initialCollectionId ?? collections[0]?.id ?? "");
  const queue = useRef<{ upload: Upload; file: File }[]>([]);
  const active = useRef(0);

  const update = useCallback((key: string, patch: Partial<Upload>) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...patch } : u))), []);

  // Starts queued uploads while fewer than PARALLEL are running; each one that ends starts the next.
  const pump = useRef<() => void>(() => {});
  useEffect(() => {
    pump.current = () => {
      while (active.current < PARALLEL && queue.current.length > 0) {
        const { upload, file } = queue.current.shift()!;
        active.current++;
        update(upload.key, { status: "uploading" });
        send(file, collectionId, (share) => update(upload.key, { progress: share }))
          .then(({ documentId }) => {
            update(upload.key, { status: "done", progress: 1, documentId });
            router.refresh();
          })
          .catch((error: Error) =>
            update(
              upload.key,
              error instanceof DuplicateUpload
                ? { status: "duplicate", error: error.message, documentId: error.documentId }
                : { status: "error", error: error.message },
            ),
          )
          .finally(() => {
            active.current--;
            pump.current();
          });
      }
    };
  });

  const add = (files: FileList | File[]) => {
    const added: Upload[] = [];
    for (const file of Array.from(files)) {
      const upload: Upload = { key: crypto.randomUUID(), name: file.name, size: file.size, progress: 0, status: "waiting" };
      if (file.size === 0) Object.assign(upload, { status: "error", error: "The file is empty: there is nothing to analyse." });
      else if (file.size > maxFileBytes)
        Object.assign(upload, {
          status: "error",
          error: `This file is ${formatBytes(file.size)}; the largest file Keel takes is ${formatBytes(maxFileBytes)}.`,
        });
      else queue.current.push({ upload, file });
      added.push(upload);
    }
    setUploads((all) => [...added, ...all].slice(0, 50));
    pump.current();
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length > 0) add(event.dataTransfer.files);
  };

  return (
    <section aria-labelledby="upload-heading" className="mb-6">
      <h2 id="upload-heading" className="sr-only">
        Upload documents
      </h2>
      <div
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        className={`rounded-lg border-2 border-dashed p-6 text-center ${dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300 bg-white"}`}
      >
        <p className="text-sm text-slate-700">Drop PDF, Word (.docx), Markdown, text or HTML files here, or</p>
        <button
          type="button"
          onClick={() => input.current?.click()}
          className="mt-2 rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          Choose files
        </button>
        <input
          ref={input}
          type="file"
          multiple
          accept={ACCEPT}
          className="sr-only"
          data-testid="file-input"
          aria-label="Choose files to upload"
          onChange={(event) => {
            if (event.target.files) add(event.target.files);
            event.target.value = "";
          }}
        />
        <div className="mt-3 flex flex-wrap items-center justify-center gap-3 text-xs text-slate-500">
          {collections.length > 1 ? (
            <label className="flex items-center gap-1">
              Into
              <select value={collectionId} onChange={(event) => setCollectionId(event.target.value)} className="rounded border border-slate-300 px-1 py-0.5">
                {collections.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <span>Up to {formatBytes(maxFileBytes)} per file</span>
          <span data-testid="storage-usage">
            {formatBytes(storage.usedBytes)} of {formatBytes(storage.limitBytes)} used
          </span>
        </div>
      </div>
      {uploads.length > 0 ? (
        <ul className="mt-3 space-y-2" data-testid="upload-list">
          {uploads.map((u) => (
            <li key={u.key} className="rounded-md border border-slate-200 bg-white p-2 text-sm" data-testid="upload-item" data-status={u.status}>
              <div className="flex items-center justify-between gap-2">
                <span className="truncate font-medium">{u.name}</span>
                <span className="shrink-0 text-xs text-slate-500">
                  {u.status === "done"
                    ? "Uploaded"
                    : u.status === "error"
                      ? "Not uploaded"
                      : u.status === "duplicate"
                        ? "Already here"
                        : u.status === "waiting"
                          ? "Waiting"
                          : `${Math.round(u.progress * 100)}%`}
                </span>
              </div>
              {u.status === "uploading" || u.status === "waiting" ? (
                <div
                  className="mt-1 h-1.5 rounded bg-slate-100"
                  role="progressbar"
                  aria-label={`Uploading ${u.name}`}
                  aria-valuenow={Math.round(u.progress * 100)}
                  aria-valuemin={0}
                  aria-valuemax={100}
                >
                  <div className="h-1.5 rounded bg-indigo-500 transition-all" style={{ width: `${Math.round(u.progress * 100)}%` }} />
                </div>
              ) : null}
              {u.status === "duplicate" && u.documentId ? (
                <p role="alert" className="mt-1 text-amber-800" data-testid="upload-duplicate">
                  {u.error}{" "}
                  <Link href={`/documents/${u.documentId}`} className="font-medium underline">
                    Open the existing document
                  </Link>
                </p>
              ) : u.error ? (
                <p role="alert" className="mt-1 text-red-700" data-testid="upload-error">
                  {u.error}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
