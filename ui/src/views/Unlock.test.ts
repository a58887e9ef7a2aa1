import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Unlock from "./Unlock.svelte";
import type { VaultInfo } from "../lib/bindings/VaultInfo";

const vault = (name: string, path: string): VaultInfo => ({
  path,
  id: `id-${name}`,
  name,
  createdAt: "2026-01-01T00:00:00Z",
  formatVersion: 1,
  deviceSecretStorage: "os_keychain",
  kdf: { memory_kib: 65536, iterations: 3, parallelism: 1 },
  enrolledAt: "2026-01-01T00:00:00Z",
  pendingFailedUnlocks: 0,
  unlockWaitSeconds: 0,
});

const tick = () => new Promise((r) => setTimeout(r, 0));

function type(el: Element | null, value: string) {
  const input = el as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("Unlock", () => {
  it("sends the chosen vault and passphrase, and shows a wrong passphrase as an error", async () => {
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "vault_unlock") throw { code: "wrong_secret", message: "The passphrase or recovery key is not right for this vault." };
      if (cmd === "app_status")
        return { vaults: [vault("Office", "/v/a"), { ...vault("Home", "/v/b"), pendingFailedUnlocks: 3, unlockWaitSeconds: 4 }], unreadableVaults: [], unlocked: null };
    });
    let unlocked = false;
    const app = mount(Unlock, {
      target: document.body,
      props: { vaults: [vault("Office", "/v/a"), vault("Home", "/v/b")], notice: null, onunlocked: () => (unlocked = true), oncreate: () => {} },
    });
    const picker = byTestId("vault-picker") as HTMLSelectElement;
    picker.value = "/v/b";
    picker.dispatchEvent(new Event("change", { bubbles: true }));
    type(byTestId("passphrase"), "not the passphrase");
    flushSync();
    byTestId("unlock").click();
    await tick();
    await tick();
    flushSync();
    expect(calls).toContainEqual({ cmd: "vault_unlock", args: { path: "/v/b", passphrase: "not the passphrase" } });
    expect(byTestId("error").textContent).toContain("not right");
    // Why the next attempt will wait, and for how long.
    expect(byTestId("error").textContent).toContain("3 failed attempts since the last unlock");
    expect(byTestId("error").textContent).toContain("the next attempt waits 4 s");
    expect(unlocked).toBe(false);
    // The field is cleared after a failure.
    expect((byTestId("passphrase") as HTMLInputElement).value).toBe("");
    unmount(app);
  });

  it("points to the recovery key when the keychain is unavailable", async () => {
    mockIPC((cmd) => {
      if (cmd === "vault_unlock") throw { code: "keychain_unavailable", message: "Cannot use the keychain: no keychain service is available." };
    });
    const app = mount(Unlock, { target: document.body, props: { vaults: [vault("Office", "/v/a")], notice: "Locked after idle.", onunlocked: () => {}, oncreate: () => {} } });
    expect(byTestId("lock-notice").textContent).toContain("idle");
    type(byTestId("passphrase"), "some passphrase here");
    flushSync();
    byTestId("unlock").click();
    await tick();
    await tick();
    flushSync();
    expect(byTestId("use-recovery").className).toContain("primary");
    byTestId("use-recovery").click();
    flushSync();
    expect(byTestId("recovery-form")).toBeTruthy();
    unmount(app);
  });

  it("recovers with the key and a new passphrase", async () => {
    let sent: unknown = null;
    mockIPC((cmd, args) => {
      if (cmd === "vault_recover") {
        sent = args;
        return vault("Office", "/v/a");
      }
    });
    let unlocked: VaultInfo | null = null;
    const app = mount(Unlock, { target: document.body, props: { vaults: [vault("Office", "/v/a")], notice: null, onunlocked: (v: VaultInfo) => (unlocked = v), oncreate: () => {} } });
    byTestId("use-recovery").click();
    flushSync();
    type(byTestId("recovery-key-input"), "AAAAA-BBBBB");
    type(byTestId("recovery-new-passphrase"), "a brand new passphrase");
    type(byTestId("recovery-confirm-passphrase"), "a brand new passphrase");
    flushSync();
    byTestId("recover").click();
    await tick();
    await tick();
    expect(sent).toEqual({ path: "/v/a", recoveryKey: "AAAAA-BBBBB", newPassphrase: "a brand new passphrase" });
    expect(unlocked).not.toBeNull();
    unmount(app);
  });
  it("lists vault folders that cannot be read, with the reason", () => {
    mockIPC(() => 0);
    const app = mount(Unlock, {
      target: document.body,
      props: {
        vaults: [vault("Office", "/v/a")],
        unreadable: [
          {
            path: "/v/broken",
            error: { code: "decryption_failed", message: "The vault header is damaged or was edited: expected value." },
          },
        ],
        notice: null,
        onunlocked: () => {},
        oncreate: () => {},
      },
    });
    flushSync();
    const items = document.querySelectorAll('[data-testid="unreadable-vault"]');
    expect(items).toHaveLength(1);
    expect(items[0]?.textContent).toContain("/v/broken");
    expect(items[0]?.textContent).toContain("header is damaged");
    unmount(app);
  });
});
