// HTML (uploaded pages, and the HTML mammoth makes of a DOCX) to text through html-to-text, split
// into sections at each heading so every chunk knows the heading it sits under. Scripts, styles
// and other non-content elements are dropped; links keep their text, not their URLs.
// html-to-text walks the element tree recursively, so a page nested tens of thousands deep would
// overflow the stack: the nesting is measured first by htmlparser2's streaming parser (the same
// parser, with the same implied closing tags, that builds the tree), which does not recurse.
import { Parser } from "htmlparser2";
import { convert, type FormatCallback } from "html-to-text";
import { DocumentRejected } from "../errors";
import type { TextSegment } from "./types";

/** Deepest element nesting read (real pages stay well under 100). */
const MAX_HTML_DEPTH = 512;

class TooDeep extends Error {}

/** Refuses HTML whose elements nest deeper than `maxDepth`, before any tree is built. */
export function assertHtmlDepth(html: string, maxDepth = MAX_HTML_DEPTH, what = "This HTML file"): void {
  let depth = 0;
  const parser = new Parser(
    {
      onopentag() {
        if (++depth > maxDepth) throw new TooDeep();
      },
      onclosetag() {
        depth--;
      },
    },
    { decodeEntities: false },
  );
  try {
    parser.end(html);
  } catch (error) {
    if (!(error instanceof TooDeep)) throw error;
    throw new DocumentRejected(
      "too_complex",
      `${what} could not be processed: its elements are nested more than ${maxDepth.toLocaleString("en")} levels deep. Keel reads pages nested up to ${maxDepth.toLocaleString("en")} levels.`,
    );
  }
}

// A private-use character opens each heading line, so headings can be found again in the text.
const HEADING_MARK = "\uE000";

const markHeading: FormatCallback = (element, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(HEADING_MARK);
  walk(element.children, builder);
  builder.closeBlock({ trailingLineBreaks: 1 });
};

const headingSelectors = ["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({ selector, format: "keelHeading" }));

export function htmlToSegments(html: string, what?: string): TextSegment[] {
  assertHtmlDepth(html, MAX_HTML_DEPTH, what);
  const text = convert(html.replaceAll(HEADING_MARK, ""), {
    wordwrap: false,
    formatters: { keelHeading: markHeading },
    selectors: [
      ...headingSelectors,
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "script", format: "skip" },
      { selector: "style", format: "skip" },
      { selector: "noscript", format: "skip" },
      { selector: "template", format: "skip" },
      { selector: "svg", format: "skip" },
      { selector: "nav", format: "skip" },
    ],
  });
  const segments: TextSegment[] = [];
  let heading: string | null = null;
  let buffer: string[] = [];
  const flush = () => {
    const body = buffer.join("\n").trim();
    if (body) segments.push({ text: body, heading, page: null });
    buffer = [];
  };
  for (const line of text.split("\n")) {
    if (line.startsWith(HEADING_MARK)) {
      flush();
      heading = line.slice(HEADING_MARK.length).trim() || heading;
      buffer.push(heading ?? "");
    } else {
      buffer.push(line);
    }
  }
  flush();
  return segments;
}
