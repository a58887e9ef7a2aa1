import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import DocumentView from "./DocumentView.svelte";
import type { DocumentDetail } from "../lib/bindings/DocumentDetail";

const tick = () => new Promise((r) => setTimeout(r, 0));

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

const detail: DocumentDetail = {
  document: {
    id: 5,
    matterId: 7,
    title: "Wombat hearing recording.mp4",
    originalName: "Wombat hearing recording.mp4",
    versions: 1,
    size: 200_000_000,
    sha256: "00",
    createdAt: "2026-12-05T10:00:00Z",
    updatedAt: "2026-12-05T10:00:00Z",
    notes: "",
    tags: [],
    textStatus: "unsupported",
    ocrStatus: null,
    trashedAt: null,
  },
  versions: [{ version: 1, size: 200_000_000, sha256: "00", createdAt: "2026-12-05T10:00:00Z" }],
  previewKind: "none",
  ocr: null,
};

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("DocumentView", () => {
  it("shows an export's bytes with Cancel, and a cancelled export says no file was written", async () => {
    const asked: string[] = [];
    let finish: (() => void) | null = null;
    mockIPC(
      async (cmd) => {
        asked.push(cmd);
        if (cmd === "document_get") return detail;
        if (cmd === "document_export") {
          await new Promise<void>((r) => (finish = r));
          return null;
        }
        return null;
      },
      { shouldMockEvents: true },
    );
    const view = mount(DocumentView, { target: document.body, props: { id: 5, onclose: () => {}, onchanged: () => {} } });
    for (let i = 0; i < 3; i++) await tick();
    byTestId("export-document").click();
    for (let i = 0; i < 2; i++) await tick();
    expect((byTestId("export-document") as HTMLButtonElement).disabled).toBe(true);
    // Another document's export, and an import, are not this export.
    await emit("work-progress", { work: "export", token: 6, progress: { item: 1, items: 1, name: "x", bytes: 1, total: 2 } });
    await emit("work-progress", { work: "import", token: 5, progress: { item: 1, items: 1, name: "y", bytes: 1, total: 2 } });
    await tick();
    expect(document.querySelector('[data-testid="export-progress"]')).toBeNull();
    await emit("work-progress", {
      work: "export",
      token: 5,
      progress: { item: 1, items: 1, name: "Wombat hearing recording.mp4", bytes: 50_000_000, total: 200_000_000 },
    });
    for (let i = 0; i < 2; i++) await tick();
    expect(byTestId("export-progress").querySelector('[role="status"]')?.textContent).toBe(
      "Exporting Wombat hearing recording.mp4 — 50 MB of 200 MB…",
    );
    const bar = byTestId("export-progress").querySelector("progress") as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([50_000_000, 200_000_000]);
    byTestId("export-cancel").click();
    await tick();
    expect(asked).toContain("work_cancel");
    expect(byTestId("export-cancel").textContent).toBe("Cancelling…");
    (finish as unknown as () => void)();
    for (let i = 0; i < 4; i++) await tick();
    expect(document.querySelector('[data-testid="export-progress"]')).toBeNull();
    expect(byTestId("document-notice").textContent).toBe("Cancelled: the export was stopped, and no file was written.");
    expect((byTestId("export-document") as HTMLButtonElement).disabled).toBe(false);
    unmount(view);
  });
});
