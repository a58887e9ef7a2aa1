import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Welcome from "./Welcome.svelte";

const tick = () => new Promise((r) => setTimeout(r, 0));

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

function type(id: string, value: string) {
  const input = byTestId(id) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("Welcome", () => {
  it("clears a weak-passphrase refusal as soon as the passphrase changes", async () => {
    mockIPC((cmd) => {
      if (cmd === "vault_create") throw { code: "validation", message: "This passphrase is too easy to guess." };
      return null;
    });
    const view = mount(Welcome, {
      target: document.body,
      props: { another: false, oncreated: () => {}, onrestored: () => {}, oncancel: () => {} },
    });
    type("new-passphrase", "password123");
    type("confirm-passphrase", "password123");
    flushSync();
    (byTestId("create-vault-form") as HTMLFormElement).requestSubmit();
    await tick();
    await tick();
    flushSync();
    expect(byTestId("error").textContent).toContain("too easy");
    type("new-passphrase", "lantern orchard 47 quietly");
    flushSync();
    expect(document.querySelector('[data-testid="error"]')).toBeNull();
    unmount(view);
  });
});
