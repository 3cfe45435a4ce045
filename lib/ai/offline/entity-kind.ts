// What kind of thing a name is ("Maria Schmidt": person, "Q1": date, "Fraunhofer Institute":
// organization), for the kind/type fields of structured output. Rules decide what they can tell
// for sure (dates, legal and institutional suffixes, titles); the compromise NLP library's
// lexicons (first names, places, organizations) decide the rest; anything still unclear is
// "other": a kind is right or not claimed.
import type nlpType from "compromise";

type EntityKind = "person" | "organization" | "place" | "date" | "product" | "other";
export type EntityClassifier = (phrase: string, sentence: string | undefined) => EntityKind;

const MONTHS = "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|october|nov|november|dec|december";
const DAYS = "mon|monday|tue|tuesday|wed|wednesday|thu|thursday|fri|friday|sat|saturday|sun|sunday";
const DATE_WORD = new RegExp(
  `^(?:q[1-4]|h[12]|fy\\s?\\d{2,4}|\\d{4}s?|\\d{1,2}(?:st|nd|rd|th)?|${MONTHS}|${DAYS}|quarter|spring|summer|autumn|fall|winter)$`,
  "i",
);

const ORGANIZATION_WORD = new Set(
  (
    "corp corporation inc incorporated ltd limited llc llp gmbh ag sa se plc co company companies institute institut university universität " +
    "college school academy bank agency ministry department foundation association council committee commission authority board bureau " +
    "group partners labs laboratory laboratories systems technologies technology solutions holdings industries union organisation " +
    "organization society club hospital clinic fund trust network services media airlines motors pharmaceuticals capital ventures " +
    "consulting studios party police army navy court parliament senate congress office"
  ).split(" "),
);
const PERSON_TITLE =
  /\b(?:dr|mr|mrs|ms|mx|prof|professor|sir|dame|lord|lady|ceo|cto|cfo|coo|president|director|chair|chairman|chairwoman|minister|senator|judge|captain|founder)\.?\s*$/i;
const PLACE_PREPOSITION = /\b(?:in|near|across|throughout|based in|located in|headquartered in)\s*$/i;
/** compromise reads one sentence at a time; longer text costs more and says no more about a name. */
const MAX_SENTENCE_CHARS = 600;

const WORD_CHARACTER = /[\p{L}\p{N}]/u;

/** The word without the punctuation around it, walked from both ends (no regex scan from every position). */
function stripEdges(word: string): string {
  const characters = Array.from(word);
  let start = 0;
  let end = characters.length;
  while (start < end && !WORD_CHARACTER.test(characters[start]!)) start++;
  while (end > start && !WORD_CHARACTER.test(characters[end - 1]!)) end--;
  return characters.slice(start, end).join("");
}

const words = (text: string) => text.split(/\s+/).map((w) => stripEdges(w).toLowerCase());

function ruleKind(phrase: string, sentence: string | undefined): EntityKind | null {
  const parts = words(phrase).filter(Boolean);
  if (parts.length === 0) return "other";
  if (parts.every((w) => DATE_WORD.test(w))) return "date";
  if (parts.some((w) => ORGANIZATION_WORD.has(w))) return "organization";
  const before = sentence ? sentence.slice(0, Math.max(0, sentence.indexOf(phrase))) : "";
  if (before && PERSON_TITLE.test(before)) return "person";
  return null;
}

type Nlp = typeof nlpType;

function lexiconKind(nlp: Nlp, phrase: string, sentence: string | undefined): EntityKind | null {
  const doc = nlp((sentence ?? phrase).slice(0, MAX_SENTENCE_CHARS));
  const target = words(phrase).join(" ");
  // Whole-word overlap: "Solar Energy Systems" inside "Fraunhofer Institute for Solar Energy Systems" counts.
  const overlaps = (found: string[]) =>
    found.some((text) => {
      const match = words(text).filter(Boolean).join(" ");
      return match !== "" && (` ${target} `.includes(` ${match} `) || ` ${match} `.includes(` ${target} `));
    });
  if (overlaps(doc.organizations().out("array") as string[])) return "organization";
  if (overlaps(doc.people().out("array") as string[])) return "person";
  if (overlaps(doc.places().out("array") as string[])) return "place";
  return null;
}

function cueKind(phrase: string, sentence: string | undefined): EntityKind | null {
  if (!sentence) return null;
  const at = sentence.indexOf(phrase);
  if (at <= 0) return null;
  return PLACE_PREPOSITION.test(sentence.slice(0, at)) && words(phrase).length <= 3 ? "place" : null;
}

let loading: Promise<EntityClassifier> | null = null;

/** Loaded on first use: the library's lexicons take a moment to load and are needed only for entity kinds. */
export function loadEntityClassifier(): Promise<EntityClassifier> {
  loading ??= import("compromise").then(({ default: nlp }) => (phrase, sentence) => {
    const context = sentence?.includes(phrase) ? sentence : undefined;
    return ruleKind(phrase, context) ?? lexiconKind(nlp, phrase, context) ?? cueKind(phrase, context) ?? "other";
  });
  return loading;
}

/** Field names that hold the kind of the named thing beside them. */
const KIND_FIELD = /^(?:type|kind|category|class|label|entity[_ ]?type|entity[_ ]?kind|tag)$/i;

const SYNONYMS: Record<EntityKind, readonly string[]> = {
  person: ["person", "people", "individual", "human", "per"],
  organization: ["organization", "organisation", "org", "company", "institution", "agency", "business"],
  place: ["place", "location", "loc", "city", "country", "region", "gpe", "geo"],
  date: ["date", "time", "period", "datetime"],
  product: ["product", "item", "brand"],
  other: ["other", "misc", "miscellaneous", "unknown", "thing", "concept"],
};

function valueFor(values: readonly unknown[], kind: EntityKind): unknown {
  return values.find((value) => typeof value === "string" && SYNONYMS[kind].includes(value.toLowerCase()));
}

/**
 * The enum value for a field: for a kind field beside a name, the value naming that name's kind (or
 * "other" when unsure, or when the kind is not offered); for any other enum, its first value.
 */
export function enumChoice(
  values: readonly unknown[],
  field: string,
  focus: { phrase?: string; sentence?: string } | undefined,
  classify: EntityClassifier | undefined,
): unknown {
  const fallback = values[0];
  if (!KIND_FIELD.test(field) || !values.some((value) => typeof value === "string" && Object.values(SYNONYMS).flat().includes(value.toLowerCase()))) {
    return fallback;
  }
  const kind = focus?.phrase && classify ? classify(focus.phrase, focus.sentence) : "other";
  return valueFor(values, kind) ?? valueFor(values, "other") ?? fallback;
}
