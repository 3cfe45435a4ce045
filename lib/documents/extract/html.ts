// HTML (uploaded pages, and the HTML mammoth makes of a DOCX) to text through html-to-text, split
// into sections at each heading so every chunk knows the heading it sits under. Scripts, styles
// and other non-content elements are dropped; links keep their text, not their URLs.
import { convert, type FormatCallback } from "html-to-text";
import type { TextSegment } from "./types";

// A private-use character opens each heading line, so headings can be found again in the text.
const HEADING_MARK = "\uE000";

const markHeading: FormatCallback = (element, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(HEADING_MARK);
  walk(element.children, builder);
  builder.closeBlock({ trailingLineBreaks: 1 });
};

const headingSelectors = ["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({ selector, format: "keelHeading" }));

export function htmlToSegments(html: string): TextSegment[] {
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
