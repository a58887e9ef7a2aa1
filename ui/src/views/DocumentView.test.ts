import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import DocumentView from "./DocumentView.svelte";
import { focusables } from "../lib/focus";
import type { DocumentDetail } from "../lib/bindings/DocumentDetail";
import type { PreviewKind } from "../lib/bindings/PreviewKind";

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

const detail = (name: string, kind: PreviewKind): DocumentDetail => ({
  document: {
    id: 3,
    matterId: 7,
    title: name,
    originalName: name,
    versions: 1,
    size: 120,
    sha256: "00",
    createdAt: "2026-11-25T10:00:00Z",
    updatedAt: "2026-11-25T10:00:00Z",
    notes: "",
    tags: [],
    textStatus: kind === "text" ? "extracted" : "no_text",
    ocrStatus: null,
    trashedAt: null,
  },
  versions: [{ version: 1, size: 120, sha256: "00", createdAt: "2026-11-25T10:00:00Z" }],
  previewKind: kind,
  ocr: null,
});

const STATEMENT = "Statement of the fictional witness Perpetua Lark.\nMs LARK saw the hedge (a) cut.\nPerpétua Lark signed.";

function open(name: string, kind: PreviewKind, content: string, recognised: { page: number; text: string }[] = []) {
  const calls: string[] = [];
  mockIPC((cmd) => {
    calls.push(cmd);
    if (cmd === "plugin:event|listen") return 1;
    if (cmd === "document_get") return detail(name, kind);
    if (cmd === "document_preview") return new TextEncoder().encode(content).buffer;
    if (cmd === "document_recognised_text") return recognised;
    return null;
  });
  const closed: string[] = [];
  const globalKeys: string[] = [];
  // The workspace's own Ctrl+F (go to search) listens on the window.
  const onWindowKey = (e: KeyboardEvent) => globalKeys.push(e.key);
  window.addEventListener("keydown", onWindowKey);
  const view = mount(DocumentView, {
    target: document.body,
    props: { id: 3, onclose: () => closed.push("closed"), onchanged: () => {} },
  });
  return {
    calls,
    closed,
    globalKeys,
    done: () => {
      unmount(view);
      window.removeEventListener("keydown", onWindowKey);
    },
  };
}

function press(target: EventTarget, key: string, opts: KeyboardEventInit = {}) {
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...opts }));
}

async function type(text: string) {
  const input = byTestId("find-input") as HTMLInputElement;
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await settle();
}

// jsdom does not scroll: record what was brought into view instead.
const scrolled: Element[] = [];
Element.prototype.scrollIntoView = function (this: Element) {
  scrolled.push(this);
};

afterEach(() => {
  scrolled.length = 0;
  clearMocks();
  document.body.innerHTML = "";
});

describe("DocumentView find (Ctrl+F)", () => {
  it("finds and marks every match in a text document, steps through them, and closes on the first Escape", async () => {
    const v = open("witness-statement.txt", "text", STATEMENT);
    await settle();
    expect(byTestId("preview-text").textContent).toBe(STATEMENT);
    expect(document.querySelector('[data-testid="find-bar"]')).toBeNull();

    press(byTestId("document-view"), "f", { ctrlKey: true });
    await settle();
    // The viewer took the key: the app's search never saw it.
    expect(v.globalKeys).toEqual([]);
    const input = byTestId("find-input");
    expect(document.activeElement).toBe(input);
    expect(input.getAttribute("aria-label")).toBe("Find in this document");
    expect(byTestId("find-count").getAttribute("aria-live")).toBe("polite");

    await type("lark");
    const marks = [...document.querySelectorAll('[data-testid="preview-text"] mark')].map((m) => m.textContent);
    expect(marks).toEqual(["Lark", "LARK", "Lark"]);
    expect(byTestId("find-count").textContent).toBe("1 of 3");
    expect(byTestId("find-current").textContent).toBe("Lark");
    expect(byTestId("find-current").dataset.match).toBe("0");

    // Accents ignored; Enter goes forward, Shift+Enter back, round the ends.
    await type("perpetua");
    expect(byTestId("find-count").textContent).toBe("1 of 2");
    press(input, "Enter");
    await settle();
    expect(byTestId("find-count").textContent).toBe("2 of 2");
    expect(byTestId("find-current").textContent).toBe("Perpétua");
    expect(scrolled.at(-1)).toBe(byTestId("find-current"));
    press(input, "Enter");
    await settle();
    expect(byTestId("find-count").textContent).toBe("1 of 2");
    press(input, "Enter", { shiftKey: true });
    await settle();
    expect(byTestId("find-count").textContent).toBe("2 of 2");
    byTestId("find-previous").click();
    await settle();
    expect(byTestId("find-count").textContent).toBe("1 of 2");

    // Typed characters are text, not a pattern.
    await type("(a)");
    expect(byTestId("find-count").textContent).toBe("1 of 1");
    expect(byTestId("find-current").textContent).toBe("(a)");
    await type("zzz");
    expect(byTestId("find-count").textContent).toBe("No matches");
    expect(document.querySelectorAll('[data-testid="preview-text"] mark')).toHaveLength(0);
    expect((byTestId("find-next") as HTMLButtonElement).disabled).toBe(true);
    await type("");
    expect(byTestId("find-count").textContent).toBe("");

    // First Escape: the find bar closes, the viewer stays, focus in it.
    press(input, "Escape");
    await settle();
    expect(document.querySelector('[data-testid="find-bar"]')).toBeNull();
    expect(v.closed).toEqual([]);
    expect(byTestId("document-view").contains(document.activeElement)).toBe(true);
    expect(byTestId("preview-text").querySelectorAll("mark")).toHaveLength(0);
    // Second Escape: the viewer closes.
    press(document.activeElement ?? byTestId("document-view"), "Escape");
    expect(v.closed).toEqual(["closed"]);
    // Never did Ctrl+F reach the app's shortcut handling.
    expect(v.globalKeys).not.toContain("f");
    v.done();
  });

  it("keeps the find bar inside the viewer's focus trap, and its × closes it", async () => {
    const v = open("witness-statement.txt", "text", STATEMENT);
    await settle();
    press(byTestId("document-view"), "f", { metaKey: true });
    await settle();
    expect(v.globalKeys).toEqual([]);
    const close = byTestId("find-close");
    // The find bar's controls are among those Tab goes round inside the viewer.
    const panel = byTestId("document-view");
    const inTrap = focusables(panel).map((el) => el.dataset.testid);
    expect(inTrap).toContain("find-input");
    expect(inTrap).toContain("find-close");
    const last = focusables(panel).at(-1) as HTMLElement;
    last.focus();
    press(last, "Tab");
    expect(document.activeElement).toBe(focusables(panel)[0]);
    close.click();
    await settle();
    expect(document.querySelector('[data-testid="find-bar"]')).toBeNull();
    expect(v.closed).toEqual([]);
    v.done();
  });

  it("says there is no text to search in a file with no preview", async () => {
    const v = open("archive.zip", "none", "PK");
    await settle();
    press(byTestId("document-view"), "f", { ctrlKey: true });
    await settle();
    await type("hedge");
    expect(byTestId("find-count").textContent).toBe("No text to search in this document");
    v.done();
  });

  it("finds in a scan's recognised text and shows the match's page of it, marked", async () => {
    const v = open("scan.png", "image", "\x89PNG", [
      { page: 1, text: "Codicil of the Wombat estate" },
      { page: 2, text: "The wombat burrow\nand a second WOMBAT" },
    ]);
    await settle();
    press(byTestId("document-view"), "f", { ctrlKey: true });
    await settle();
    await type("wombat");
    expect(byTestId("find-count").textContent).toBe("1 of 3");
    expect(byTestId("find-ocr").dataset.page).toBe("1");
    expect(byTestId("find-current").textContent).toBe("Wombat");
    press(byTestId("find-input"), "Enter");
    await settle();
    expect(byTestId("find-count").textContent).toBe("2 of 3");
    expect(byTestId("find-ocr").dataset.page).toBe("2");
    expect([...byTestId("find-ocr-text").querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["wombat", "WOMBAT"]);
    expect(byTestId("find-current").textContent).toBe("wombat");
    // Read once from the vault, however often the query changes.
    await type("burrow");
    expect(byTestId("find-count").textContent).toBe("1 of 1");
    expect(v.calls.filter((c) => c === "document_recognised_text")).toHaveLength(1);
    v.done();
  });

  it("says there is no text to search in a scan not yet recognised", async () => {
    const v = open("scan.png", "image", "\x89PNG", []);
    await settle();
    press(byTestId("document-view"), "f", { ctrlKey: true });
    await settle();
    await type("wombat");
    expect(byTestId("find-count").textContent).toBe("No text to search in this document");
    expect(document.querySelector('[data-testid="find-ocr"]')).toBeNull();
    v.done();
  });
});
