// The language of a document's text, from its script and, for Latin text, its commonest words.
// Recorded on the document (and given to the analysis) so a document in any language is handled
// as what it is. Returns an ISO 639-1 code, or "und" when it cannot tell.

const SCRIPTS: { code: string; pattern: RegExp }[] = [
  { code: "ja", pattern: /[\p{Script=Hiragana}\p{Script=Katakana}]/gu },
  { code: "ko", pattern: /\p{Script=Hangul}/gu },
  { code: "zh", pattern: /\p{Script=Han}/gu },
  { code: "ru", pattern: /\p{Script=Cyrillic}/gu },
  { code: "ar", pattern: /\p{Script=Arabic}/gu },
  { code: "he", pattern: /\p{Script=Hebrew}/gu },
  { code: "el", pattern: /\p{Script=Greek}/gu },
  { code: "hi", pattern: /\p{Script=Devanagari}/gu },
  { code: "th", pattern: /\p{Script=Thai}/gu },
];

const STOP_WORDS: Record<string, string[]> = {
  en: ["the", "and", "of", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on", "are", "this", "be", "by", "not"],
  de: ["der", "die", "und", "in", "den", "von", "zu", "das", "mit", "sich", "des", "auf", "für", "ist", "im", "nicht", "ein", "eine"],
  fr: ["le", "la", "les", "de", "et", "des", "en", "un", "une", "du", "est", "que", "pour", "dans", "qui", "pas", "sur", "au"],
  es: ["el", "la", "de", "que", "y", "en", "los", "del", "se", "las", "por", "un", "para", "con", "una", "es", "no", "su"],
  it: ["il", "di", "che", "e", "la", "per", "un", "in", "del", "non", "sono", "una", "della", "con", "gli", "le", "si", "è"],
  pt: ["de", "que", "e", "o", "da", "do", "em", "um", "para", "com", "não", "uma", "os", "no", "se", "na", "por", "mais"],
  nl: ["de", "en", "van", "het", "een", "in", "is", "dat", "op", "te", "zijn", "voor", "met", "niet", "aan", "er", "die", "ook"],
};

export function detectLanguage(text: string): string {
  const sample = text.slice(0, 50_000);
  const letters = sample.match(/\p{L}/gu)?.length ?? 0;
  if (letters < 20) return "und";
  // Japanese mixes Han with kana: any real share of kana means Japanese, not Chinese.
  for (const { code, pattern } of SCRIPTS) {
    const count = sample.match(pattern)?.length ?? 0;
    if (count / letters > (code === "ja" ? 0.05 : 0.3)) return code;
  }
  const words = sample.toLowerCase().match(/\p{L}+/gu) ?? [];
  let best = "und";
  let bestScore = 0;
  for (const [code, list] of Object.entries(STOP_WORDS)) {
    const set = new Set(list);
    const score = words.reduce((sum, word) => sum + (set.has(word) ? 1 : 0), 0);
    if (score > bestScore) {
      best = code;
      bestScore = score;
    }
  }
  return bestScore / Math.max(1, words.length) > 0.05 ? best : "und";
}
