import { describe, expect, it } from "vitest";
import { markWords, parseTags, size, snippetParts, tomorrow } from "./format";

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
