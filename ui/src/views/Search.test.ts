import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Search from "./Search.svelte";
import { forgetLists } from "../lib/lists";
import type { SearchHit } from "../lib/bindings/SearchHit";
import type { SearchFilter } from "../lib/bindings/SearchFilter";

const tick = () => new Promise((r) => setTimeout(r, 0));
const settle = async () => {
  for (let i = 0; i < 5; i++) await tick();
};

const hit = (id: number): SearchHit => ({
  documentId: id,
  title: `Fictional note ${id}`,
  matterId: 1,
  matterNumber: "2026-0001",
  clientName: "Ada Fictional",
  originalName: `note-${id}.txt`,
  createdAt: "2026-01-01T00:00:00Z",
  snippet: "the [indemnity]",
  page: null,
});

describe("Search", () => {
  // A search is kept for the next visit (until the vault locks): each test starts afresh.
  afterEach(() => {
    clearMocks();
    forgetLists();
  });

  it("says how many documents match and loads more until every one is shown", async () => {
    const TOTAL = 230;
    const asked: SearchFilter[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "document_search") {
        const filter = (args as { filter: SearchFilter }).filter;
        asked.push(filter);
        const offset = filter.offset ?? 0;
        const end = Math.min(TOTAL, offset + (filter.limit ?? 50));
        const hits = [];
        for (let id = offset + 1; id <= end; id++) hits.push(hit(id));
        return { total: TOTAL, offset, limit: filter.limit, hits };
      }
      if (cmd === "client_list" || cmd === "matter_list" || cmd === "saved_search_list") return [];
      return null;
    });
    const v = mount(Search, { target: document.body, props: { onopen: () => {}, initialText: "indemnity" } });
    await settle();
    const count = () => document.querySelector('[data-testid="search-count"]')?.textContent ?? "";
    const shown = () => document.querySelectorAll('[data-testid="search-hit"]').length;
    expect(count()).toBe("230 documents match — showing 100");
    expect(shown()).toBe(100);
    while (document.querySelector('[data-testid="search-more"]')) {
      (document.querySelector('[data-testid="search-more"]') as HTMLButtonElement).click();
      await settle();
    }
    expect(shown()).toBe(TOTAL);
    expect(count()).toBe("230 documents match");
    expect(asked.map((f) => f.offset)).toEqual([0, 100, 200]);
    expect(asked.every((f) => f.sort === "best")).toBe(true);
    const ids = [...document.querySelectorAll('[data-testid="search-hit"] button')].map((b) => b.textContent);
    expect(new Set(ids).size).toBe(TOTAL);
    unmount(v);
  });
});

describe("Search as you type", () => {
  // A search is kept for the next visit (until the vault locks): each test starts afresh.
  afterEach(() => {
    clearMocks();
    forgetLists();
  });

  const type = async (text: string) => {
    const input = document.querySelector('[data-testid="search-text"]') as HTMLInputElement;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    await settle();
  };
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const count = () => document.querySelector('[data-testid="search-count"]')?.textContent ?? "";

  it("searches once typing pauses, and drops an older search's late answer", async () => {
    const asked: string[] = [];
    // The first search's answer comes late, after the second's.
    let releaseFirst: () => void = () => {};
    mockIPC(async (cmd, args) => {
      if (cmd === "document_search") {
        const text = (args as { text: string }).text;
        asked.push(text);
        const total = text.includes("-draft") ? 1 : 3;
        const answer = { total, offset: 0, limit: 100, hits: Array.from({ length: total }, (_, i) => hit(i + 1)) };
        if (asked.length === 1) await new Promise<void>((r) => (releaseFirst = r));
        return answer;
      }
      if (cmd === "client_list" || cmd === "matter_list" || cmd === "saved_search_list") return [];
      return null;
    });
    const v = mount(Search, { target: document.body, props: { onopen: () => {} } });
    await settle();
    await type("i");
    await type("in");
    await type("indemn*");
    await wait(350);
    expect(asked).toEqual(["indemn*"]);
    await type("indemn* -draft");
    await wait(350);
    expect(asked).toEqual(["indemn*", "indemn* -draft"]);
    await settle();
    expect(count()).toBe("1 document matches");
    releaseFirst();
    await settle();
    expect(count()).toBe("1 document matches");
    unmount(v);
  });

  it("lists saved searches, runs one and saves the search typed", async () => {
    const searched: string[] = [];
    const savedCalls: { name: string; query: string }[] = [];
    const kept = { id: 7, name: "Indemnities", query: "indemn* -draft", createdAt: "", updatedAt: "" };
    mockIPC((cmd, args) => {
      if (cmd === "document_search") {
        searched.push((args as { text: string }).text);
        return { total: 1, offset: 0, limit: 100, hits: [hit(1)] };
      }
      if (cmd === "saved_search_list") return [kept];
      if (cmd === "saved_search_save") {
        const a = args as { name: string; query: string };
        savedCalls.push(a);
        return { id: 8, name: a.name, query: a.query, createdAt: "", updatedAt: "" };
      }
      if (cmd === "client_list" || cmd === "matter_list") return [];
      return null;
    });
    const v = mount(Search, { target: document.body, props: { onopen: () => {} } });
    await settle();
    const names = () => [...document.querySelectorAll('[data-testid="saved-search-run"]')].map((b) => b.textContent);
    expect(names()).toEqual(["Indemnities"]);
    (document.querySelector('[data-testid="saved-search-run"]') as HTMLButtonElement).click();
    await settle();
    expect((document.querySelector('[data-testid="search-text"]') as HTMLInputElement).value).toBe("indemn* -draft");
    expect(searched).toEqual(["indemn* -draft"]);
    await wait(350);
    expect(searched).toEqual(["indemn* -draft"]);
    const name = document.querySelector('[data-testid="save-search-name"]') as HTMLInputElement;
    name.value = "Also indemnities";
    name.dispatchEvent(new Event("input", { bubbles: true }));
    await settle();
    (document.querySelector('[data-testid="save-search"]') as HTMLButtonElement).click();
    await settle();
    expect(savedCalls).toEqual([{ name: "Also indemnities", query: "indemn* -draft" }]);
    expect(names()).toEqual(["Also indemnities", "Indemnities"]);
    unmount(v);
  });
});
