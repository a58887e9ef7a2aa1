import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Inbox from "./Inbox.svelte";
import type { Unfiled } from "../lib/bindings/Unfiled";

const settle = async () => {
  for (let i = 0; i < 8; i++) await new Promise((r) => setTimeout(r, 0));
};

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

function press(target: EventTarget, key: string, opts: KeyboardEventInit = {}) {
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...opts }));
}

Element.prototype.scrollIntoView = function () {};

const ITEM: Unfiled = {
  previewKind: "text",
  id: 11,
  originalName: "letter-from-counsel.txt",
  subfolder: "",
  receivedAt: "2026-12-06T09:00:00Z",
  size: 80,
  tags: [],
  duplicateOf: null,
  duplicateOfName: null,
};
const LETTER = "Dear Ms Wrenfield (fictional),\nthe hedge was cut on 3 May.\nYours, counsel for Mr Hedgecombe.";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("Inbox: find in an unfiled file's preview", () => {
  it("Ctrl+F in an item whose preview is open finds in that file, not in the vault's search; Escape closes the bar", async () => {
    mockIPC((cmd) => {
      if (cmd === "plugin:event|listen") return 1;
      if (cmd === "inbox_status") return { state: "watching", folder: "/scans", waiting: 0, lastIngested: null, message: null };
      if (cmd === "inbox_unfiled") return [ITEM];
      if (cmd === "inbox_quarantine") return [];
      if (cmd === "inbox_suggestions") return [];
      if (cmd === "matter_list") return [];
      if (cmd === "inbox_preview") return new TextEncoder().encode(LETTER).buffer;
      return null;
    });
    // The workspace's own Ctrl+F (go to search) listens on the window.
    const globalKeys: string[] = [];
    const onWindowKey = (e: KeyboardEvent) => globalKeys.push(e.key);
    window.addEventListener("keydown", onWindowKey);
    const view = mount(Inbox, { target: document.body, props: { onsettings: () => {} } });
    try {
      await settle();
      // No preview open: Ctrl+F is the workspace's.
      press(byTestId("preview-unfiled"), "f", { ctrlKey: true });
      expect(globalKeys).toEqual(["f"]);
      globalKeys.length = 0;

      byTestId("preview-unfiled").click();
      await settle();
      expect(byTestId("preview-text").textContent).toBe(LETTER);
      press(byTestId("preview-unfiled"), "f", { ctrlKey: true });
      await settle();
      expect(globalKeys).toEqual([]);
      const input = byTestId("find-input") as HTMLInputElement;
      expect(document.activeElement).toBe(input);
      input.value = "hedge";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      await settle();
      expect(byTestId("find-count").textContent).toBe("1 of 2");
      const marks = [...document.querySelectorAll('[data-testid="preview-text"] mark')].map((m) => m.textContent);
      expect(marks).toEqual(["hedge", "Hedge"]);

      press(input, "Escape");
      await settle();
      expect(document.querySelector('[data-testid="find-bar"]')).toBeNull();
      expect(globalKeys).toEqual([]);
    } finally {
      unmount(view);
      window.removeEventListener("keydown", onWindowKey);
    }
  });
});
