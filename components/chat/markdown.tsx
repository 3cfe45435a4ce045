"use client";
// An answer rendered as untrusted Markdown, safe while it is still streaming: raw HTML is dropped,
// links go only to http(s), mailto or Keel's own pages (and open outside with no opener), images
// are shown as their alt text (no requests to addresses a document chose), code is highlighted,
// and citation markers [n] link to the passage they cite.
import Link from "next/link";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";
import type { Citation } from "@/lib/chat/types";
import "highlight.js/styles/github-dark.css";

/** The link a citation opens: the document page at the cited passage. */
export function citationHref(citation: Pick<Citation, "documentId" | "chunkIndex">): string {
  return `/documents/${citation.documentId}?chunk=${citation.chunkIndex}#chunk-${citation.chunkIndex}`;
}

export function safeHref(href: string | undefined): string | null {
  if (!href) return null;
  if (href.startsWith("/") && !href.startsWith("//")) return href;
  if (href.startsWith("#")) return href;
  try {
    const url = new URL(href);
    return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.toString() : null;
  } catch {
    return null;
  }
}

const CITATION_PREFIX = "#keel-citation-";

/** Turns [n] into a link Markdown understands, only for numbers that are real citations. */
function linkCitations(text: string, citations: Citation[]): string {
  if (citations.length === 0) return text;
  const known = new Set(citations.map((c) => c.number));
  return text.replace(/\[(\d{1,3})\](?!\()/g, (marker, n: string) => (known.has(Number(n)) ? `[[${n}]](${CITATION_PREFIX}${n})` : marker));
}

export function AnswerMarkdown({ text, citations = [] }: { text: string; citations?: Citation[] }) {
  const byNumber = new Map(citations.map((c) => [c.number, c]));
  const components: Components = {
    a({ href, children }) {
      if (href?.startsWith(CITATION_PREFIX)) {
        const citation = byNumber.get(Number(href.slice(CITATION_PREFIX.length)));
        if (!citation) return <>{children}</>;
        return (
          <Link
            href={citationHref(citation)}
            className="mx-0.5 rounded bg-indigo-50 px-1 text-xs font-semibold text-indigo-700 no-underline hover:bg-indigo-100"
            title={`${citation.documentName}${citation.page ? `, page ${citation.page}` : ""}`}
            data-testid="citation-link"
          >
            {children}
          </Link>
        );
      }
      const safe = safeHref(href);
      if (!safe) return <span>{children}</span>;
      const external = !safe.startsWith("/") && !safe.startsWith("#");
      return (
        <a href={safe} {...(external ? { target: "_blank", rel: "noopener noreferrer nofollow" } : {})} className="text-indigo-700 underline">
          {children}
        </a>
      );
    },
    img({ alt }) {
      return <span className="text-slate-500">[image: {alt || "untitled"}]</span>;
    },
  };
  return (
    <div className="answer-markdown max-w-none text-sm break-words text-slate-900" data-testid="answer-markdown">
      <ReactMarkdown skipHtml remarkPlugins={[remarkGfm]} rehypePlugins={[[rehypeHighlight, { detect: false, ignoreMissing: true }]]} components={components}>
        {linkCitations(text, citations)}
      </ReactMarkdown>
    </div>
  );
}
