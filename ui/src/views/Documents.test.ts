import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
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
      if (cmd === "share_list") return [];
      if (cmd === "document_pick") return [{ token: 1, name: "lease.pdf" }, { token: 2, name: "copy.pdf" }];
      if (cmd === "document_import_staged") {
        imports.push(a);
        if (a.allowDuplicate) {
          stored = [...stored, doc(2, "copy.pdf")];
          return { imported: [doc(2, "copy.pdf")], problems: [], warnings: [] };
        }
        if ((a.tokens as number[])[0] === 2) {
          return {
            imported: [],
            problems: [{ token: 2, name: "copy.pdf", duplicate: true, message: "This matter already holds the same content as document 1." }],
            warnings: [],
          };
        }
        stored = [doc(1, "lease.pdf")];
        return { imported: [doc(1, "lease.pdf")], problems: [], warnings: ["\u201clease.pdf\u201d is named as a PDF but its content is a PNG image."] };
      }
      if (cmd === "plugin:event|listen") return 1;
      return null;
    });
    const view = mount(Documents, { target: document.body, props: { matterId: 7 } });
    await tick();
    expect(byTestId("documents-empty").textContent).toContain("No documents yet");

    byTestId("import-documents").click();
    for (let i = 0; i < 6; i++) await tick();
    // One file per call, so a Cancel between two leaves nothing half-done.
    expect(imports.slice(0, 2)).toEqual([
      { matterId: 7, tokens: [1], allowDuplicate: false },
      { matterId: 7, tokens: [2], allowDuplicate: false },
    ]);
    expect(byTestId("import-done").textContent).toContain("Imported 1 document");
    expect(byTestId("import-problem").textContent).toContain("same content");
    expect(byTestId("import-warning").textContent).toContain("lease.pdf");
    expect(document.querySelectorAll('[data-testid="document-row"]').length).toBe(1);

    byTestId("keep-both").click();
    await tick();
    await tick();
    expect(imports[2]).toEqual({ matterId: 7, tokens: [2], allowDuplicate: true });
    expect(document.querySelector('[data-testid="import-problem"]')).toBeNull();
    // The next import's warnings replace the last one's.
    expect(document.querySelector('[data-testid="import-warning"]')).toBeNull();
    expect(document.querySelectorAll('[data-testid="document-row"]').length).toBe(2);
    unmount(view);
  });
  it("shares the selected documents and shows the passphrase once", async () => {
    const requests: unknown[] = [];
    let shared = false;
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "document_list") return [doc(1, "lease.pdf"), doc(2, "deed.pdf")];
      if (cmd === "share_list") {
        if (!shared) return [];
        return [{
          id: 1, packageId: "p", clientId: 3, format: "age", protection: "passphrase_words", hideNames: false,
          recipient: "Ada Fictional", recipientKeyId: null, recipientKey: null, filePath: "/out/share.zip.age",
          packageSha256: "ab".repeat(32), packageSize: 10, createdBy: "app", createdAt: "2026-12-05T10:00:00Z",
          documents: [],
        }];
      }
      if (cmd === "share_create") {
        requests.push(a.request);
        shared = true;
        return {
          share: { filePath: "/out/share.zip.age" },
          passphrase: "abandon-ability-able-about-above-absent-absorb-abstract",
          fingerprint: null,
          namesVisible: false,
          contact: { name: "Ada Fictional", email: "ada@example.test", phone: "+1 555 0100" },
        };
      }
      return null;
    });
    const c = mount(Documents, { target: document.body, props: { matterId: 7 } });
    await tick();
    await tick();
    expect((byTestId("share-documents") as HTMLButtonElement).disabled).toBe(true);
    const boxes = document.querySelectorAll<HTMLInputElement>('[data-testid="document-select"]');
    boxes.forEach((b) => b.click());
    await tick();
    byTestId("share-documents").click();
    await tick();
    (byTestId("share-format") as HTMLSelectElement).value = "zip";
    byTestId("share-format").dispatchEvent(new Event("change"));
    await tick();
    expect(byTestId("share-zip-warning").textContent).toContain("file names and sizes");
    (byTestId("share-format") as HTMLSelectElement).value = "age";
    byTestId("share-format").dispatchEvent(new Event("change"));
    await tick();
    byTestId("share-write").click();
    for (let i = 0; i < 5; i++) await tick();
    expect(requests).toEqual([{
      documentIds: [1, 2], matterId: 7, format: "age", protection: { kind: "words", words: 8 },
      hideNames: false, recipient: null, confirmFingerprint: null,
    }]);
    expect(byTestId("share-passphrase").textContent).toBe("abandon-ability-able-about-above-absent-absorb-abstract");
    expect(byTestId("share-other-channel").textContent).toContain("another channel");
    expect(byTestId("share-contact").textContent).toContain("+1 555 0100");
    expect(document.querySelectorAll('[data-testid="share-row"]').length).toBe(1);
    byTestId("share-close").click();
    await tick();
    expect(document.querySelector('[data-testid="share-passphrase"]')).toBeNull();
    unmount(c);
  });

  it("shows which file of how many is being encrypted, and Cancel stops before the next", async () => {
    const asked: number[] = [];
    let stored: DocumentSummary[] = [];
    // Each import waits until the test lets it finish.
    let finish: (() => void) | null = null;
    mockIPC(async (cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "document_list") return stored;
      if (cmd === "document_pick") return [1, 2, 3, 4].map((token) => ({ token, name: `scan-${token}.pdf` }));
      if (cmd === "share_list") return [];
      if (cmd === "document_import_staged") {
        const token = (a.tokens as number[])[0] as number;
        asked.push(token);
        await new Promise<void>((r) => (finish = r));
        const d = doc(token, `scan-${token}.pdf`);
        stored = [...stored, d];
        return { imported: [d], problems: [], warnings: [] };
      }
      if (cmd === "plugin:event|listen") return 1;
      return null;
    });
    const view = mount(Documents, { target: document.body, props: { matterId: 7 } });
    await tick();
    byTestId("import-documents").click();
    for (let i = 0; i < 4; i++) await tick();
    expect(byTestId("import-progress").textContent).toContain("Encrypting scan-1.pdf (1 of 4)");
    (finish as unknown as () => void)();
    for (let i = 0; i < 4; i++) await tick();
    expect(byTestId("import-progress").textContent).toContain("Encrypting scan-2.pdf (2 of 4)");
    expect((document.querySelector("progress") as HTMLProgressElement).value).toBe(1);

    // Cancel while the second file is being encrypted: it completes, no more start.
    byTestId("import-cancel").click();
    for (let i = 0; i < 2; i++) await tick();
    expect(byTestId("import-cancel").textContent).toBe("Cancelling…");
    (finish as unknown as () => void)();
    for (let i = 0; i < 6; i++) await tick();
    expect(asked).toEqual([1, 2]);
    expect(document.querySelector('[data-testid="import-progress"]')).toBeNull();
    expect(byTestId("import-done").textContent).toBe("Imported 2 documents, encrypted. Cancelled: the other 2 files were not imported.");
    expect(document.querySelectorAll('[data-testid="document-row"]').length).toBe(2);
    unmount(view);
  });

  it("shows the bytes of a large file, and Cancel stops it part-way", async () => {
    const asked: string[] = [];
    let finish: (() => void) | null = null;
    mockIPC(
      async (cmd, args) => {
        const a = args as Record<string, unknown>;
        asked.push(cmd);
        if (cmd === "document_list") return [];
        if (cmd === "document_pick") return [1, 2].map((token) => ({ token, name: `video-${token}.mp4` }));
        if (cmd === "share_list") return [];
        if (cmd === "document_import_staged") {
          await new Promise<void>((r) => (finish = r));
          return { imported: [], problems: [], warnings: [], stopped: (a.tokens as number[])[0] === 1 };
        }
        return null;
      },
      { shouldMockEvents: true },
    );
    const view = mount(Documents, { target: document.body, props: { matterId: 7 } });
    await tick();
    byTestId("import-documents").click();
    for (let i = 0; i < 4; i++) await tick();
    // Another work's progress (an export of document 1) is not this import's.
    await emit("work-progress", { work: "export", token: 1, progress: { item: 1, items: 1, name: "x", bytes: 5, total: 10 } });
    await emit("work-progress", {
      work: "import",
      token: 1,
      progress: { item: 1, items: 1, name: "video-1.mp4", bytes: 300_000_000, total: 600_000_000 },
    });
    for (let i = 0; i < 2; i++) await tick();
    expect(byTestId("import-bytes").textContent).toBe("300 MB of 600 MB");
    const bar = document.querySelector('[aria-label="Bytes of video-1.mp4"]') as HTMLProgressElement;
    expect([bar.value, bar.max, bar.getAttribute("aria-valuetext")]).toEqual([300_000_000, 600_000_000, "300 MB of 600 MB"]);
    byTestId("import-cancel").click();
    await tick();
    expect(asked).toContain("work_cancel");
    (finish as unknown as () => void)();
    for (let i = 0; i < 6; i++) await tick();
    expect(asked.filter((c) => c === "document_import_staged").length).toBe(1);
    expect(byTestId("import-done").textContent).toBe(
      "Cancelled: video-1.mp4 was stopped part-way, and nothing of it was kept. The other 1 file was not imported.",
    );
    unmount(view);
  });
});
