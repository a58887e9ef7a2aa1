import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Search from "./Search.svelte";
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
  afterEach(() => clearMocks());

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
      if (cmd === "client_list") return [];
      if (cmd === "matter_list") return [];
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
