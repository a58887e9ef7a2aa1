// The record lists (matters, clients, documents, search): the order they
// are sorted in and what the user filtered them by, kept while the vault is
// unlocked so that leaving a list and coming back finds it as it was.
//
// What is kept is held in memory only, and `forgetLists` drops it on every
// lock: a search for a client's name is client data (property 1).

export type SortDirection = "ascending" | "descending";
export type Sort<K extends string> = { key: K; direction: SortDirection };

const kept = new Map<string, unknown>();

/** What `list` held when it was last left, or `initial` the first time. */
export function recall<T extends object>(list: string, initial: T): T {
  const found = kept.get(list) as T | undefined;
  return found ? { ...initial, ...found } : initial;
}

/** Keeps what `list` shows now, for when the user comes back to it. */
export function keep<T extends object>(list: string, state: T): void {
  kept.set(list, { ...state });
}

/** Drops everything kept: the vault locked. */
export function forgetLists(): void {
  kept.clear();
}

/**
 * The sort a click on column `key` asks for: a new column sorts ascending
 * (`firstDirection` for columns read newest-first, such as dates), the same
 * column again reverses.
 */
export function toggled<K extends string>(current: Sort<K>, key: K, firstDirection: SortDirection = "ascending"): Sort<K> {
  if (current.key !== key) return { key, direction: firstDirection };
  return { key, direction: current.direction === "ascending" ? "descending" : "ascending" };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * `rows` ordered by the value `by` reads from each: text as people sort it
 * (case-insensitive, "2026-10" after "2026-9"), numbers by size, empty
 * values last whichever the direction. Ties keep their order (stable).
 */
export function sorted<T>(rows: readonly T[], by: (row: T) => string | number | null | undefined, direction: SortDirection): T[] {
  const sign = direction === "ascending" ? 1 : -1;
  const empty = (v: unknown) => v === null || v === undefined || v === "";
  return rows
    .map((row, i) => ({ row, i, v: by(row) }))
    .sort((a, b) => {
      if (empty(a.v) || empty(b.v)) return empty(a.v) === empty(b.v) ? a.i - b.i : empty(a.v) ? 1 : -1;
      const c = typeof a.v === "number" && typeof b.v === "number" ? a.v - b.v : collator.compare(String(a.v), String(b.v));
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.row);
}

/** "1 matter", "60 matters". */
export function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The values in use, once each whatever their case ("conveyancing" and
 * "Conveyancing" are one; the spelling used most wins, then the first),
 * sorted, empty ones left out: what a field offers to choose from.
 */
export function inUse(values: readonly string[]): string[] {
  const seen = new Map<string, Map<string, number>>();
  for (const raw of values) {
    const v = raw.trim();
    if (v === "") continue;
    const spellings = seen.get(v.toLowerCase()) ?? new Map<string, number>();
    spellings.set(v, (spellings.get(v) ?? 0) + 1);
    seen.set(v.toLowerCase(), spellings);
  }
  const chosen = [...seen.values()].map((spellings) => [...spellings.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0]);
  return chosen.sort((a, b) => collator.compare(a, b));
}

/** `typed` as it is spelled among `known` when it is one of them (any case), else trimmed as typed. */
export function spelledAsKnown(typed: string, known: readonly string[]): string {
  const t = typed.trim();
  return known.find((k) => k.toLowerCase() === t.toLowerCase()) ?? t;
}
