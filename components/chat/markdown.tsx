"use client";
// An answer rendered as untrusted GitHub-flavoured Markdown (tables, task lists, strikethrough,
// autolinks), safe while it is still streaming. Raw HTML is dropped and what remains is sanitised
// (rehype-sanitize's GitHub schema), links go only to http(s), mailto or Keel's own pages (outside
// ones open with no opener), images are shown as their alt text (no requests to addresses a model
// or a document chose), code blocks are highlighted (highlight.js) with a copy button, and citation
// markers [n] link to the passage they cite. While the answer streams, remend closes what the model
// has not closed yet (a `**`, a code fence, a link), so half a construct never shows as raw marks.
import { Check, Copy } from "lucide-react";
import Link from "next/link";
import { createContext, useContext, useRef, useState, type ComponentProps, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import rehypeSanitize from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import remend from "remend";
import { citationHref } from "@/lib/chat/ui-message";
import type { Citation } from "@/lib/chat/types";
import "highlight.js/styles/github-dark.css";

function safeHref(href: string | undefined): string | null {
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

// Sanitising runs before highlighting, so the highlighter's own classes are kept; highlighting only
// code blocks that name their language keeps a long answer's render cheap while it streams.
const remarkPlugins = [remarkGfm];
const rehypePlugins: NonNullable<ComponentProps<typeof ReactMarkdown>["rehypePlugins"]> = [rehypeSanitize, [rehypeHighlight, { detect: false }]];

const noCitations: Citation[] = [];
/** The answer's citations by number, for the link renderer (the renderers themselves never change). */
const CitationsContext = createContext<Map<number, Citation>>(new Map());

export function AnswerMarkdown({ text, citations = noCitations, streaming = false }: { text: string; citations?: Citation[]; streaming?: boolean }) {
  const byNumber = new Map(citations.map((c) => [c.number, c]));
  const source = linkCitations(streaming ? remend(text) : text, citations);
  return (
    <div className="answer-markdown max-w-none text-sm break-words text-slate-900" data-testid="answer-markdown">
      <CitationsContext.Provider value={byNumber}>
        <ReactMarkdown skipHtml remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
          {source}
        </ReactMarkdown>
      </CitationsContext.Provider>
    </div>
  );
}

function MarkdownLink({ href, children }: { href?: string; children?: ReactNode }) {
  const byNumber = useContext(CitationsContext);
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
}

function MarkdownImage({ alt }: { alt?: string }) {
  return <span className="text-slate-500">[image: {alt || "untitled"}]</span>;
}

// The same renderers on every render: a new one each time would remount every code block (and
// lose its "Copied") at each streamed word.
const components: Components = { a: MarkdownLink, img: MarkdownImage, pre: CodeBlock };

/** A code block with a button that copies its text (as the reader sees it, without highlighting). */
function CodeBlock({ children }: { children?: ReactNode }) {
  const pre = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const copy = async () => {
    const code = pre.current?.querySelector("code")?.textContent ?? pre.current?.textContent ?? "";
    try {
      await navigator.clipboard.writeText(code);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied(null), 2_000);
  };
  return (
    <div className="group relative" data-testid="code-block">
      <button
        type="button"
        onClick={() => void copy()}
        aria-label={copied === "yes" ? "Copied" : "Copy code"}
        title={copied === "failed" ? "The browser did not allow copying" : "Copy code"}
        className="absolute top-1.5 right-1.5 flex items-center gap-1 rounded bg-slate-700/80 px-1.5 py-1 text-xs text-slate-100 hover:bg-slate-600 focus-visible:outline-2 focus-visible:outline-indigo-400"
      >
        {copied === "yes" ? <Check aria-hidden className="size-3.5" /> : <Copy aria-hidden className="size-3.5" />}
        <span>{copied === "yes" ? "Copied" : copied === "failed" ? "Not copied" : "Copy"}</span>
      </button>
      <pre ref={pre}>{children}</pre>
    </div>
  );
}
