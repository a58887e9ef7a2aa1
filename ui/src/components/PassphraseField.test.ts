import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import PassphraseField from "./PassphraseField.svelte";

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("PassphraseField", () => {
  it("hides the passphrase until asked, and hides it again", () => {
    const field = mount(PassphraseField, { target: document.body, props: { label: "Passphrase", testid: "pass", meter: true } });
    const input = byTestId("pass") as HTMLInputElement;
    expect(input.type).toBe("password");
    byTestId("pass-show").click();
    flushSync();
    expect(input.type).toBe("text");
    expect(byTestId("pass-show").getAttribute("aria-pressed")).toBe("true");
    byTestId("pass-show").click();
    flushSync();
    expect(input.type).toBe("password");
    unmount(field);
  });
});
