import { describe, expect, it } from "vitest";
import { countLabel, findMatches, fold, MAX_MATCHES, splitAt, step } from "./find";

// What the matches cover, as text: easier to read than offsets.
const found = (text: string, query: string) => findMatches(text, query).map((m) => text.slice(m.start, m.end));

describe("findMatches", () => {
  it.each([
    // [text, query, what is found]
    ["The indemnity; INDEMNITY and Indemnity.", "indemnity", ["indemnity", "INDEMNITY", "Indemnity"]],
    ["indemnities", "indemn", ["indemn"]],
    ["Résumé of Zoë Müller", "resume", ["Résumé"]],
    ["Résumé of Zoë Müller", "ZOE MULLER", ["Zoë Müller"]],
    ["cafe\u0301 (decomposed) and café", "cafe", ["cafe\u0301", "café"]],
    ["north\n  boundary", "north boundary", ["north\n  boundary"]],
    ["north boundary", "north\tboundary", ["north boundary"]],
    ["aaaa", "aa", ["aa", "aa"]],
    ["no such word here", "absent", []],
  ])("in %j finds %j", (text, query, expected) => {
    expect(found(text, query)).toEqual(expected);
  });

  it("takes what is typed as text, never as a pattern", () => {
    const text = "Clause 4.2 (a) costs $1,000+ [sic] * a.b c|d ^e \\f? {g}";
    for (const q of ["4.2", "(a)", "$1,000+", "[sic]", "*", "a.b", "c|d", "^e", "\\f?", "{g}"]) {
      expect(found(text, q), q).toEqual([q]);
    }
    expect(found("axb", "a.b")).toEqual([]);
    expect(found("aaa", ".*")).toEqual([]);
  });

  it("finds nothing for an empty or all-space query", () => {
    expect(findMatches("some text", "")).toEqual([]);
    expect(findMatches("some   text", "   ")).toEqual([]);
    expect(findMatches("", "word")).toEqual([]);
  });

  it("handles 10,000 characters typed or searched in", () => {
    const long = "x".repeat(10_000);
    expect(found(long, long)).toEqual([long]);
    expect(findMatches("short text", long)).toEqual([]);
    const text = "ab".repeat(5_000);
    const matches = findMatches(text, "b");
    expect(matches).toHaveLength(5_000);
    expect(matches[4_999]).toEqual({ start: 9_999, end: 10_000 });
  });

  it("stops marking at MAX_MATCHES", () => {
    expect(findMatches("e".repeat(MAX_MATCHES + 50), "e")).toHaveLength(MAX_MATCHES);
  });

  it("maps offsets back through characters outside the basic plane", () => {
    expect(found("📄 Zoë 📄 zoe", "zoe")).toEqual(["Zoë", "zoe"]);
  });
});

describe("fold", () => {
  it("keeps where each folded character came from", () => {
    const { folded, origin } = fold("É  b");
    expect(folded).toBe("e b");
    expect(origin).toEqual([0, 1, 3, 4]);
  });
});

describe("splitAt", () => {
  it("cuts the text at the matches and numbers them", () => {
    const text = "one two one";
    expect(splitAt(text, findMatches(text, "one"))).toEqual([
      { text: "one", match: 0 },
      { text: " two ", match: null },
      { text: "one", match: 1 },
    ]);
    expect(splitAt("plain", [])).toEqual([{ text: "plain", match: null }]);
    expect(splitAt("", [])).toEqual([{ text: "", match: null }]);
  });
});

describe("countLabel and step", () => {
  it("says where the reader is", () => {
    expect(countLabel("", 0, 0)).toBe("");
    expect(countLabel("  ", 0, 0)).toBe("");
    expect(countLabel("word", 0, 0)).toBe("No matches");
    expect(countLabel("word", 2, 12)).toBe("3 of 12");
    expect(countLabel("e", 0, MAX_MATCHES, true)).toBe(`1 of ${MAX_MATCHES}+`);
  });

  it("goes round the ends both ways", () => {
    expect(step(0, 3, false)).toBe(1);
    expect(step(2, 3, false)).toBe(0);
    expect(step(0, 3, true)).toBe(2);
    expect(step(0, 0, true)).toBe(0);
  });
});
