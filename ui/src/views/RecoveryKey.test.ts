import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import RecoveryKey from "./RecoveryKey.svelte";

const KEY = "7Q2MX-4KDPA-ZZ90B-QWERT-HJKMN-PQRST-VWXYZ-01234";

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
  document.body.innerHTML = "";
});

describe("RecoveryKey", () => {
  it("continues only once two groups are typed back correctly", () => {
    let done = false;
    const app = mount(RecoveryKey, { target: document.body, props: { recoveryKey: KEY, vaultName: "Office", ondone: () => (done = true) } });
    expect(byTestId("recovery-key").textContent?.replace(/\s/g, "")).toBe(KEY);
    expect((byTestId("confirm-recovery") as HTMLButtonElement).disabled).toBe(true);
    byTestId("stored-checkbox").click();
    flushSync();
    // The key is hidden while groups are typed back: the check proves it was written down.
    expect(document.querySelector('[data-testid="recovery-key"]')).toBeNull();
    expect(byTestId("recovery-key-hidden").textContent).toContain("hidden");
    type("confirm-group-3", "ZZ90B");
    type("confirm-group-7", "VWXYZ-wrong");
    flushSync();
    byTestId("confirm-recovery").click();
    flushSync();
    expect(byTestId("error").textContent).toContain("Group 7");
    expect(done).toBe(false);
    // Case and look-alike letters do not matter.
    type("confirm-group-7", "vwxyz");
    type("confirm-group-3", "zz9ob");
    flushSync();
    byTestId("confirm-recovery").click();
    flushSync();
    expect(done).toBe(true);
    unmount(app);
  });

  it("shows the key again on request, and the check starts over", () => {
    const app = mount(RecoveryKey, { target: document.body, props: { recoveryKey: KEY, vaultName: "Office", ondone: () => {} } });
    byTestId("stored-checkbox").click();
    flushSync();
    byTestId("show-recovery-key").click();
    flushSync();
    expect(byTestId("recovery-key").textContent?.replace(/\s/g, "")).toBe(KEY);
    expect((byTestId("stored-checkbox") as HTMLInputElement).checked).toBe(false);
    expect((byTestId("confirm-recovery") as HTMLButtonElement).disabled).toBe(true);
    unmount(app);
  });
});
