// The offline model with retrieved passages: every sentence it quotes carries its passage's
// citation, as a model is asked to cite, and it never answers with the question itself.
import { generateText, type ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { OfflineLanguageModel } from "./index";

const model = new OfflineLanguageModel();
const SYSTEM = [
  "You are Keel, an assistant answering questions for a team about their own documents.",
  "If they do not contain the answer, say so plainly and answer from general knowledge only where that is safe, without citations.",
].join("\n");

/** Keel's grounding layout: the passages as one JSON data part, then the question. */
function groundedTurn(question: string, passages: string[]): ModelMessage {
  const data = JSON.stringify({ keel_passages: passages.map((text, i) => ({ n: i + 1, document: `Report ${i + 1}.md`, page: null, text })) });
  return {
    role: "user",
    content: [
      { type: "text", text: data },
      { type: "text", text: `Question: ${question}` },
    ],
  };
}

const passages = [
  "The Lisbon office opened in 2019. It has 42 employees and handles sales for Southern Europe.",
  "Helios inverters carry a ten-year warranty. Repairs under warranty take at most 15 working days.",
  "Maria Schmidt leads the Freiburg research group. Her team tests inverter efficiency every quarter.",
];

async function ask(messages: ModelMessage[]): Promise<string> {
  return (await generateText({ model, system: SYSTEM, messages })).text;
}

describe("offline answers from numbered passages", () => {
  it("cites the passage of every sentence it quotes", async () => {
    const answer = await ask([groundedTurn("How long is the warranty on Helios inverters, and how long do repairs take?", passages)]);
    expect(answer).toBe("Helios inverters carry a ten-year warranty. [2] Repairs under warranty take at most 15 working days. [2]");
  });

  it("cites each passage it draws from when the answer spans several", async () => {
    const answer = await ask([groundedTurn("Who leads the Freiburg group, and how many employees does the Lisbon office have?", passages)]);
    const sentences = answer.split(/(?<=\])\s+/);
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    for (const sentence of sentences) expect(sentence).toMatch(/\[\d\]$/);
    expect(answer).toContain("Maria Schmidt leads the Freiburg research group. [3]");
    expect(answer).toContain("It has 42 employees and handles sales for Southern Europe. [1]");
  });

  it("reads passages in tagged markup with ids, and drops a document's own reference marks", async () => {
    const prompt = [
      'Answer from the sources.\n<source id="7">\nThe turbine fleet was inspected in March.[12] Two gearboxes were replaced.\n</source>',
      "Question: When was the turbine fleet inspected?",
    ].join("\n");
    const { text } = await generateText({ model, prompt });
    expect(text).toBe("The turbine fleet was inspected in March. [7]");
  });

  it("keeps the first passage's citation for a sentence two overlapping passages share", async () => {
    const shared = "Repairs under warranty take at most 15 working days.";
    const answer = await ask([
      groundedTurn("How long do warranty repairs take?", [`Helios inverters carry a ten-year warranty. ${shared}`, `${shared} Spare parts ship from Porto.`]),
    ]);
    expect(answer).toBe(`${shared} [1]`);
  });

  it("never answers with the question: not the current one, not an earlier one, not a wrapped line of it", async () => {
    const history: ModelMessage[] = [
      { role: "user", content: "How many employees does the Lisbon office have?" },
      { role: "assistant", content: "It has 42 employees and handles sales for Southern Europe. [1]" },
    ];
    const again = await ask([...history, groundedTurn("How many employees does the Lisbon office have?", passages)]);
    expect(again).not.toContain("How many employees");
    expect(again).toContain("[1]");

    // A question typed over two lines stays one question: its second line is not material to quote.
    const wrapped = await ask([groundedTurn("Which inverters carry a warranty\nand what does the Freiburg group test?", passages)]);
    expect(wrapped).not.toMatch(/and what does the Freiburg group test/);
    expect(wrapped).toContain("Helios inverters carry a ten-year warranty. [2]");

    // A passage that only restates the question adds nothing: it is not the answer.
    const restated = await ask([
      groundedTurn("When did the Lisbon office open?", ["When did the Lisbon office open? The Lisbon office opened.", passages[0]!]),
    ]);
    expect(restated).toBe("The Lisbon office opened in 2019. [2]");
  });

  it("answers earlier citation numbers afresh: an old answer's [n] marks are not carried into a new one", async () => {
    const history: ModelMessage[] = [
      { role: "user", content: "Tell me about the Lisbon office." },
      { role: "assistant", content: "The Lisbon office opened in 2019. [3]" },
    ];
    const answer = await ask([...history, { role: "user", content: "When did the Lisbon office open?" }]);
    expect(answer).toBe("The Lisbon office opened in 2019.");
  });

  it("prefers a sentence holding the kind of answer asked for to one that only repeats the topic", async () => {
    const handbook = "After probation the notice periods in your contract apply. During probation, either side may end the contract with 2 weeks' notice.";
    expect(await ask([groundedTurn("What notice period applies during probation?", [handbook])])).toContain(
      "During probation, either side may end the contract with 2 weeks' notice. [1]",
    );
    const launch = "The C7 is our city e-bike for daily commutes. Pre-orders open early; the C7 goes on sale in March 2026.";
    expect(await ask([groundedTurn("When can customers buy the C7?", [launch])])).toBe("Pre-orders open early; the C7 goes on sale in March 2026. [1]");
    const finance = "Expense claims are checked by the finance team. Large claims are approved by the head of finance, Priya Brennan.";
    expect(await ask([groundedTurn("Who approves expense claims at the finance team?", [finance])])).toContain("Priya Brennan");
  });

  it("does not quote the system prompt's declarative sentences once the material is set apart", async () => {
    const answer = await ask([groundedTurn("What should be said when the passages do not contain the answer?", passages)]);
    expect(answer).not.toContain("say so plainly");
  });
});
