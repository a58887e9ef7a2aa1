// Small display helpers shared by the views.

// Dates: one format everywhere, ISO 8601 (2026-12-05), shown and typed the
// same way on every screen. A locale's short form ("12/05/2026") reads as
// December in one country and May in the next; a lawyer's deadlines cannot
// depend on which. Times add the 24-hour clock: "2026-12-05 14:03".

/** What a date field asks for, shown as its placeholder. */
export const DATE_PATTERN = "YYYY-MM-DD";
/** What a date-and-time field asks for. */
export const DATE_TIME_PATTERN = "YYYY-MM-DD HH:MM";

const pad = (n: number) => String(n).padStart(2, "0");

function ymd(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;

export function today(): string {
  return ymd(new Date());
}

/** The day after `from` (today by default): the earliest date a deferral can run to. */
export function tomorrow(from: Date = new Date()): string {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + 1);
  return ymd(d);
}

/**
 * A date as every screen shows it: "2026-12-05". Takes a stored day
 * ("2026-12-05", shown as it is: a day has no time zone), a stored timestamp
 * (its day in the user's time zone) or a `Date`. Empty gives "—"; anything
 * unreadable is shown as it came rather than hidden.
 */
export function formatDate(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && DAY_ONLY.test(value)) return value;
  const d = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return String(value);
  return ymd(d);
}

/** A moment as every screen shows it, in the user's time zone: "2026-12-05 14:03". */
export function formatDateTime(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return String(value);
  return `${ymd(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/**
 * A valid day spelled out, "Saturday 5 December 2026": shown under a date
 * field so a slip of a digit is seen before it is saved.
 */
export function spelledOut(isoDay: string): string {
  const [y, m, d] = isoDay.split("-").map(Number);
  const date = new Date(y ?? 0, (m ?? 1) - 1, d ?? 1);
  return `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Reads a typed date. Only year-month-day is taken (single-digit months and
 * days are padded: "2026-3-7" is "2026-03-07"); days that do not exist
 * ("2026-02-30") and days outside `min`..`max` are refused with a sentence
 * that says what to write instead.
 */
export function parseDate(text: string, limits: { min?: string; max?: string } = {}): Parsed<string> {
  const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
  if (!m) return { ok: false, message: `Write the date as ${DATE_PATTERN}, for example ${today()}.` };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(y, mo - 1, d);
  if (mo < 1 || mo > 12 || date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) {
    return { ok: false, message: `There is no such day: ${text.trim()}.` };
  }
  const value = `${m[1]}-${pad(mo)}-${pad(d)}`;
  if (limits.min && value < limits.min) return { ok: false, message: `The date must be ${limits.min} or later.` };
  if (limits.max && value > limits.max) return { ok: false, message: `The date must be ${limits.max} or earlier.` };
  return { ok: true, value };
}

/** Reads a typed date and time ("2026-12-05 14:03", a "T" also taken), in the user's time zone. */
export function parseDateTime(text: string): Parsed<Date> {
  const m = /^\s*(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) return { ok: false, message: `Write the date and time as ${DATE_TIME_PATTERN}, for example ${formatDateTime(new Date())}.` };
  const day = parseDate(m[1] ?? "");
  if (!day.ok) return day;
  const [h, min] = [Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59) return { ok: false, message: `There is no such time: ${m[2]}:${m[3]}.` };
  const [y, mo, d] = day.value.split("-").map(Number);
  return { ok: true, value: new Date(y ?? 0, (mo ?? 1) - 1, d ?? 1, h, min) };
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
