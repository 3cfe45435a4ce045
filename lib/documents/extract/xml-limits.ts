// Checks an XML part before a DOM-building, recursive reader (mammoth's) sees it: well-formed, no
// document type declaration (Word never writes one, and a DTD is where entity expansion attacks
// live), and nested no deeper than a bound. saxes streams the text once and keeps only the stack
// of open tags, which the depth bound caps.
import { SaxesParser } from "saxes";
import { DocumentRejected } from "../errors";

/** Deepest element nesting read (Word's own documents, nested tables included, stay far below). */
const MAX_XML_DEPTH = 256;

class Refused extends Error {
  constructor(readonly rejection: DocumentRejected) {
    super(rejection.message);
  }
}

/** Refuses `xml` (the text of part `part` of `what`) when it is malformed, declares a DTD or nests too deep. */
export function assertXmlWithinLimits(xml: string, part: string, what: string, maxDepth = MAX_XML_DEPTH): void {
  const parser = new SaxesParser({ position: true });
  let depth = 0;
  parser.on("doctype", () => {
    throw new Refused(
      new DocumentRejected("too_complex", `${what} could not be processed: its part ${part} declares a DTD, which Word documents never contain.`),
    );
  });
  parser.on("opentag", () => {
    if (++depth > maxDepth) {
      throw new Refused(
        new DocumentRejected(
          "too_complex",
          `${what} could not be processed: the XML of its part ${part} nests elements more than ${maxDepth} levels deep. Keel reads documents nested up to ${maxDepth} levels.`,
        ),
      );
    }
  });
  // Self-closing tags are reported closed too.
  parser.on("closetag", () => {
    depth--;
  });
  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof Refused) throw error.rejection;
    throw new DocumentRejected(
      "corrupt",
      `${what} could not be processed: its part ${part} is not well-formed XML (line ${parser.line}). Open it in Word and save a new copy, then upload that.`,
    );
  }
}
