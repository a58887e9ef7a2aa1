import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Documents from "./Documents.svelte";
import type { DocumentSummary } from "../lib/bindings/DocumentSummary";

const tick = () => new Promise((r) => setTimeout(r, 0));

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

const doc = (id: number, title: string): DocumentSummary => ({
  id,
  matterId: 7,
  title,
  originalName: title,
  versions: 1,
  size: 1200,
  sha256: "00",
  createdAt: "2026-11-25T10:00:00Z",
  updatedAt: "2026-11-25T10:00:00Z",
  notes: "",
  tags: [],
  textStatus: "extracted",
  ocrStatus: null,
  trashedAt: null,
});

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("Documents", () => {
  it("imports picked files by token and lets the user keep a duplicate", async () => {
    const imports: unknown[] = [];
    let stored: DocumentSummary[] = [];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "document_list") return stored;
      if (cmd === "document_pick") return [{ token: 1, name: "lease.pdf" }, { token: 2, name: "copy.pdf" }];
      if (cmd === "document_import_staged") {
        imports.push(a);
        if (a.allowDuplicate) {
          stored = [...stored, doc(2, "copy.pdf")];
          return { imported: [doc(2, "copy.pdf")], problems: [], warnings: [] };
        }
        stored = [doc(1, "lease.pdf")];
        return {
          imported: [doc(1, "lease.pdf")],
          problems: [{ token: 2, name: "copy.pdf", duplicate: true, message: "This matter already holds the same content as document 1." }],
          warnings: ["\u201clease.pdf\u201d is named as a PDF but its content is a PNG image."],
        };
      }
      if (cmd === "plugin:event|listen") return 1;
      return null;
    });
    const view = mount(Documents, { target: document.body, props: { matterId: 7 } });
    await tick();
    expect(byTestId("documents-empty").textContent).toContain("No documents yet");

    byTestId("import-documents").click();
    await tick();
    await tick();
    expect(imports[0]).toEqual({ matterId: 7, tokens: [1, 2], allowDuplicate: false });
    expect(byTestId("import-done").textContent).toContain("Imported 1 document");
    expect(byTestId("import-problem").textContent).toContain("same content");
    expect(byTestId("import-warning").textContent).toContain("lease.pdf");
    expect(document.querySelectorAll('[data-testid="document-row"]').length).toBe(1);

    byTestId("keep-both").click();
    await tick();
    await tick();
    expect(imports[1]).toEqual({ matterId: 7, tokens: [2], allowDuplicate: true });
    expect(document.querySelector('[data-testid="import-problem"]')).toBeNull();
    // The next import's warnings replace the last one's.
    expect(document.querySelector('[data-testid="import-warning"]')).toBeNull();
    expect(document.querySelectorAll('[data-testid="document-row"]').length).toBe(2);
    unmount(view);
  });
});
