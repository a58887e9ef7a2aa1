// Finding typed text within the document shown in the viewer (Ctrl+F), as
// a browser's find does: every occurrence of the text as typed, ignoring
// case and accents ("resume" finds "Résumé"), any run of spaces or line
// breaks matching any other. What is typed is text, never a pattern:
// "a.b*" finds those four characters.

/** An occurrence: `start`..`end` (end excluded) in the original text. */
export type Match = { start: number; end: number };

/** Above this many occurrences the rest are not marked (a page of "e"s). */
export const MAX_MATCHES = 10_000;

/**
 * `text` folded for matching (lower case, accents dropped, each run of
 * white space one space) with, for each unit of the folded text, the index
 * in `text` it came from; `origin[folded.length]` is `text.length`.
 */
export function fold(text: string): { folded: string; origin: number[] } {
  let folded = "";
  const origin: number[] = [];
  let i = 0;
  for (const ch of text) {
    if (/\s/u.test(ch)) {
      if (!folded.endsWith(" ")) {
        folded += " ";
        origin.push(i);
      }
    } else {
      const f = ch.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
      for (let k = 0; k < f.length; k++) origin.push(i);
      folded += f;
    }
    i += ch.length;
  }
  origin.push(text.length);
  return { folded, origin };
}

/** The query as it is matched: folded; empty when only spaces were typed. */
export function foldQuery(query: string): string {
  const { folded } = fold(query);
  return folded.trim() === "" ? "" : folded;
}

/**
 * Every occurrence of `query` in `text`, in order, not overlapping, at most
 * [`MAX_MATCHES`]. An empty (or all-space) query finds nothing.
 */
export function findMatches(text: string, query: string): Match[] {
  return findFolded(fold(text), query);
}

/** [`findMatches`] over a text folded once by [`fold`] (a long document is folded once, not per keystroke). */
export function findFolded({ folded, origin }: { folded: string; origin: number[] }, query: string): Match[] {
  const needle = foldQuery(query);
  if (needle === "") return [];
  const textLength = origin[origin.length - 1] ?? 0;
  const matches: Match[] = [];
  for (let at = folded.indexOf(needle); at !== -1 && matches.length < MAX_MATCHES; at = folded.indexOf(needle, at + needle.length)) {
    const start = origin[at] ?? textLength;
    // The end is where the unit after the match came from, so a letter
    // whose accent was folded away is taken whole.
    const end = origin[at + needle.length] ?? textLength;
    matches.push({ start, end: Math.max(end, start + 1) });
  }
  return matches;
}

/** A part of the text for drawing: `match` is the occurrence's number, or null between them. */
export type Part = { text: string; match: number | null };

/** `text` cut at `matches` (from [`findMatches`]), numbered from `first`. */
export function splitAt(text: string, matches: Match[], first = 0): Part[] {
  const parts: Part[] = [];
  let last = 0;
  matches.forEach((m, i) => {
    if (m.start > last) parts.push({ text: text.slice(last, m.start), match: null });
    parts.push({ text: text.slice(m.start, m.end), match: first + i });
    last = m.end;
  });
  if (last < text.length || parts.length === 0) parts.push({ text: text.slice(last), match: null });
  return parts;
}

/** "3 of 12", "No matches", or "" before anything is typed. */
export function countLabel(query: string, current: number, total: number, capped = false): string {
  if (foldQuery(query) === "") return "";
  if (total === 0) return "No matches";
  return `${current + 1} of ${total}${capped ? "+" : ""}`;
}

/** The next occurrence to show, going forward or back, round the ends. */
export function step(current: number, total: number, back: boolean): number {
  if (total === 0) return 0;
  return (current + (back ? total - 1 : 1)) % total;
}
