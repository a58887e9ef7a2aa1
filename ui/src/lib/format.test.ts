import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, markWords, parseDate, parseDateTime, parseTags, size, snippetParts, spelledOut, tomorrow } from "./format";

describe("format", () => {
  it("sizes read like a file manager's", () => {
    expect(size(0)).toBe("0 bytes");
    expect(size(1)).toBe("1 byte");
    expect(size(1500)).toBe("1.5 KB");
    expect(size(2_300_000_000)).toBe("2.3 GB");
  });

  it("marks snippet matches without interpreting HTML", () => {
    expect(snippetParts("the [lease] of <b>[Plot]</b> 7")).toEqual([
      { text: "the ", hit: false },
      { text: "lease", hit: true },
      { text: " of <b>", hit: false },
      { text: "Plot", hit: true },
      { text: "</b> 7", hit: false },
    ]);
    expect(snippetParts("no match")).toEqual([{ text: "no match", hit: false }]);
  });

  it("tomorrow crosses month and year ends", () => {
    expect(tomorrow(new Date(2026, 11, 31))).toBe("2027-01-01");
    expect(tomorrow(new Date(2028, 1, 28))).toBe("2028-02-29");
    expect(tomorrow(new Date(2026, 5, 15))).toBe("2026-06-16");
  });

  it("tags are split on commas and trimmed", () => {
    expect(parseTags(" signed, estate ,, ")).toEqual(["signed", "estate"]);
  });

  it("shows every date as YYYY-MM-DD, whatever its source", () => {
    // A stored day is shown as it is: a day has no time zone to shift it.
    expect(formatDate("2026-12-05")).toBe("2026-12-05");
    expect(formatDate(new Date(2026, 4, 12))).toBe("2026-05-12");
    // A timestamp shows its day where the user is.
    const noonUtc = "2026-12-05T12:00:00Z";
    expect(formatDate(noonUtc)).toBe(formatDate(new Date(noonUtc)));
    expect(formatDate(noonUtc)).toMatch(/^2026-12-0[45]$|^2026-12-06$/);
    expect(formatDate(null)).toBe("—");
    expect(formatDate("")).toBe("—");
    expect(formatDate("not a date")).toBe("not a date");
  });

  it("shows moments as YYYY-MM-DD HH:MM on the 24-hour clock", () => {
    expect(formatDateTime(new Date(2026, 11, 5, 9, 7))).toBe("2026-12-05 09:07");
    expect(formatDateTime(new Date(2026, 11, 5, 21, 30))).toBe("2026-12-05 21:30");
    expect(formatDateTime(undefined)).toBe("—");
  });

  it("reads typed dates only as year-month-day", () => {
    expect(parseDate("2026-12-05")).toEqual({ ok: true, value: "2026-12-05" });
    expect(parseDate(" 2026-3-7 ")).toEqual({ ok: true, value: "2026-03-07" });
    expect(parseDate("2028-02-29")).toEqual({ ok: true, value: "2028-02-29" });
    // The ambiguous forms are refused, saying what to write.
    for (const text of ["12/05/2026", "05.12.2026", "5 Dec 2026", "20261205", "", "2026-12"]) {
      const r = parseDate(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/YYYY-MM-DD/);
    }
    for (const text of ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-12-00"]) {
      const r = parseDate(text);
      expect(r, text).toEqual({ ok: false, message: `There is no such day: ${text}.` });
    }
  });

  it("keeps typed dates within their limits", () => {
    expect(parseDate("2026-12-05", { min: "2026-12-06" })).toEqual({ ok: false, message: "The date must be 2026-12-06 or later." });
    expect(parseDate("2026-12-06", { max: "2026-12-05" })).toEqual({ ok: false, message: "The date must be 2026-12-05 or earlier." });
    expect(parseDate("2026-12-06", { min: "2026-12-06", max: "2026-12-06" })).toEqual({ ok: true, value: "2026-12-06" });
  });

  it("reads typed moments in the user's time zone", () => {
    const r = parseDateTime("2026-12-05 14:03");
    expect(r.ok && r.value.getTime()).toBe(new Date(2026, 11, 5, 14, 3).getTime());
    const t = parseDateTime("2026-12-05T09:30");
    expect(t.ok && formatDateTime(t.value)).toBe("2026-12-05 09:30");
    expect(parseDateTime("2026-12-05 24:00")).toEqual({ ok: false, message: "There is no such time: 24:00." });
    expect(parseDateTime("2026-02-30 10:00")).toEqual({ ok: false, message: "There is no such day: 2026-02-30." });
    const bad = parseDateTime("12/05/2026 2pm");
    expect(!bad.ok && bad.message).toMatch(/YYYY-MM-DD HH:MM/);
  });

  it("spells a day out so a wrong digit shows", () => {
    expect(spelledOut("2026-12-05")).toBe("Saturday 5 December 2026");
    expect(spelledOut("2026-05-12")).toBe("Tuesday 12 May 2026");
  });
});

describe("markWords", () => {
  it("marks whole words, case ignored, and nothing else", () => {
    expect(markWords("Zanzibar and zanzibars; ZANZIBAR.", ["Zanzibar"])).toEqual([
      { text: "Zanzibar", hit: true },
      { text: " and zanzibars; ", hit: false },
      { text: "ZANZIBAR", hit: true },
      { text: ".", hit: false },
    ]);
    // Signs in a word are text, never a pattern.
    expect(markWords("a bb c", ["b.", "c"])).toEqual([
      { text: "a bb ", hit: false },
      { text: "c", hit: true },
    ]);
    expect(markWords("Zürich", ["zürich"])).toEqual([{ text: "Zürich", hit: true }]);
    expect(markWords("text", [])).toEqual([{ text: "text", hit: false }]);
  });
});
