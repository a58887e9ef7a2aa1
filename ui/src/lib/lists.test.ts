import { afterEach, describe, expect, it } from "vitest";
import { counted, forgetLists, inUse, keep, recall, sorted, spelledAsKnown, toggled } from "./lists";

afterEach(() => forgetLists());

describe("lists", () => {
  const matters = [
    { number: "2026-0010", title: "beta", opened: "2026-03-01", docs: 3 },
    { number: "2026-0009", title: "Alpha", opened: "", docs: 12 },
    { number: "2025-0100", title: "alpha", opened: "2025-12-31", docs: 0 },
  ];

  it("sorts text the way people read it, numbers by size, empty values last", () => {
    expect(sorted(matters, (m) => m.number, "ascending").map((m) => m.number)).toEqual(["2025-0100", "2026-0009", "2026-0010"]);
    expect(sorted(matters, (m) => m.number, "descending").map((m) => m.number)).toEqual(["2026-0010", "2026-0009", "2025-0100"]);
    // Case does not split "Alpha" from "alpha"; equal values keep their order.
    expect(sorted(matters, (m) => m.title, "ascending").map((m) => m.number)).toEqual(["2026-0009", "2025-0100", "2026-0010"]);
    expect(sorted(matters, (m) => m.docs, "descending").map((m) => m.docs)).toEqual([12, 3, 0]);
    expect(sorted(matters, (m) => m.opened, "ascending").map((m) => m.opened)).toEqual(["2025-12-31", "2026-03-01", ""]);
    expect(sorted(matters, (m) => m.opened, "descending").map((m) => m.opened)).toEqual(["2026-03-01", "2025-12-31", ""]);
    // "10" after "9".
    expect(sorted(["item 10", "item 9"], (s) => s, "ascending")).toEqual(["item 9", "item 10"]);
  });

  it("a click on a new column sorts it first way, on the same column reverses", () => {
    const s = { key: "number" as const, direction: "descending" as const };
    expect(toggled<"number" | "title">(s, "title")).toEqual({ key: "title", direction: "ascending" });
    expect(toggled<"number" | "opened">(s, "opened", "descending")).toEqual({ key: "opened", direction: "descending" });
    expect(toggled(s, "number")).toEqual({ key: "number", direction: "ascending" });
  });

  it("keeps a list's filters and sort until the vault locks", () => {
    const initial = { search: "", sort: { key: "number", direction: "descending" } };
    expect(recall("matters", initial)).toEqual(initial);
    keep("matters", { search: "Marsh", sort: { key: "title", direction: "ascending" } });
    expect(recall("matters", initial)).toEqual({ search: "Marsh", sort: { key: "title", direction: "ascending" } });
    expect(recall("clients", { search: "" })).toEqual({ search: "" });
    forgetLists();
    expect(recall("matters", initial)).toEqual(initial);
  });

  it("counts in words", () => {
    expect(counted(1, "matter", "matters")).toBe("1 matter");
    expect(counted(0, "matter", "matters")).toBe("0 matters");
    expect(counted(60, "matter", "matters")).toBe("60 matters");
  });

  it("offers each value in use once, in its usual spelling", () => {
    expect(inUse(["conveyancing", "Conveyancing", "Probate", " Conveyancing ", "", "family"])).toEqual(["Conveyancing", "family", "Probate"]);
    expect(inUse([])).toEqual([]);
  });

  it("a typed value takes the spelling already in use", () => {
    const known = ["Conveyancing", "Probate"];
    expect(spelledAsKnown(" conveyancing ", known)).toBe("Conveyancing");
    expect(spelledAsKnown("Employment ", known)).toBe("Employment");
  });
});
