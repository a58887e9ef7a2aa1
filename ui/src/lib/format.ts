// Small display helpers shared by the views.

function ymd(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function today(): string {
  return ymd(new Date());
}

/** The day after `from` (today by default): the earliest date a deferral can run to. */
export function tomorrow(from: Date = new Date()): string {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + 1);
  return ymd(d);
}

export function lockMessage(reason: string): string {
  switch (reason) {
    case "idle":
      return "Matterbox locked itself after a period without activity.";
    case "suspend":
      return "Matterbox locked because the computer went to sleep.";
    case "screen_locked":
      return "Matterbox locked because the screen was locked.";
    default:
      return "The vault is locked. Unlock it to continue.";
  }
}

/** Groups of a recovery key to ask back, by position (1-based). */
export const CONFIRM_GROUPS = [3, 7] as const;

/** A size in bytes for people: "0 bytes", "12 KB", "3.4 MB". */
export function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB", "TB"];
  let n = bytes / 1000;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** The date part of a stored timestamp, in the user's time zone. */
export function day(timestamp: string): string {
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return timestamp.slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * Splits a search snippet, where matches are marked `[like this]`, into
 * parts to render as text (never as HTML).
 */
export function snippetParts(snippet: string): { text: string; hit: boolean }[] {
  const parts: { text: string; hit: boolean }[] = [];
  const re = /\[([^\]]*)\]/g;
  let last = 0;
  for (let m = re.exec(snippet); m !== null; m = re.exec(snippet)) {
    if (m.index > last) parts.push({ text: snippet.slice(last, m.index), hit: false });
    parts.push({ text: m[1] ?? "", hit: true });
    last = m.index + m[0].length;
  }
  if (last < snippet.length) parts.push({ text: snippet.slice(last), hit: false });
  return parts;
}

/**
 * A document's text cut into parts, `hit` on each whole-word occurrence of
 * one of `words` (case ignored): the words a search hit's snippet marked,
 * shown again in the opened document. Never HTML.
 */
export function markWords(text: string, words: string[]): { text: string; hit: boolean }[] {
  const wanted = [...new Set(words.map((w) => w.trim()).filter((w) => w.length > 0))];
  if (wanted.length === 0) return [{ text, hit: false }];
  const escaped = wanted.sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})(?![\\p{L}\\p{N}])`, "giu");
  const parts: { text: string; hit: boolean }[] = [];
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index), hit: false });
    parts.push({ text: m[0], hit: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), hit: false });
  return parts;
}

/** Tags typed as "a, b ,c" → ["a", "b", "c"]. */
export function parseTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}
