// What kind of answer a question asks for ("how many…": a quantity, "when…": a time, "who…": a
// name), so that among sentences sharing the question's words, one that holds such an answer is
// preferred to one that only repeats the topic ("After probation the notice periods in your
// contract apply." does not say how long the notice is).
import type { Sentence } from "./corpus";

export type AnswerType = "quantity" | "time" | "name";

const MEASURE_NOUNS =
  "number|amount|price|cost|costs|fee|fees|capacity|weight|size|length|height|width|budget|revenue|income|profit|salary|rate|percentage|share|" +
  "duration|period|range|distance|speed|power|output|limit|total|count|headcount|age|score|temperature|volume";
const QUANTITY = new RegExp(
  `\\bhow\\s+(?:many|much|long|far|often|old|big|large|small|heavy|fast|powerful|tall|high)\\b|` +
    `^\\s*(?:what|which)\\b[^?]{0,40}?\\b(?:${MEASURE_NOUNS})\\b|\\b(?:weigh|weighs|cost|costs)\\s*(?:\\?\\s*)?$`,
  "i",
);
const TIME = /^\s*(?:when|until when|since when|by when)\b|^\s*(?:what|which)\s+(?:year|date|day|month|time|quarter)\b/i;
const NAME = /^\s*(?:who|whom|whose|where)\b|^\s*(?:which|what)\s+(?:company|firm|customer|person|city|country|town|place|supplier|partner)\b/i;

export function answerType(question: string): AnswerType | null {
  if (TIME.test(question)) return "time";
  if (QUANTITY.test(question)) return "quantity";
  if (NAME.test(question)) return "name";
  return null;
}

const NUMBER_WORD =
  /\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|half|dozen)\b/i;
const TIME_WORD =
  /\b(?:1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|q[1-4]|\d{1,2}:\d{2})\b/i;

/**
 * Whether a sentence holds an answer of the type: a number, a date or time, or a name the question
 * does not already give (`names` are the sentence's capitalised names, `asked` the question's words).
 */
export function fitsAnswerType(type: AnswerType, sentence: Sentence, names: readonly string[], asked: string): boolean {
  switch (type) {
    case "quantity":
      return /\d/.test(sentence.text) || NUMBER_WORD.test(sentence.text);
    case "time":
      return TIME_WORD.test(sentence.text);
    case "name": {
      const question = asked.toLowerCase();
      return names.some((name) => !question.includes(name.toLowerCase()));
    }
  }
}
