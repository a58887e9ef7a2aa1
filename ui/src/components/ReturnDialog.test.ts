import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import ReturnDialog from "./ReturnDialog.svelte";
import RecipientKeys from "./RecipientKeys.svelte";
import type { RecipientKey } from "../lib/bindings/RecipientKey";

const tick = () => new Promise((r) => setTimeout(r, 0));

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

function choose(id: string, value: string) {
  const select = byTestId(id) as HTMLSelectElement;
  select.value = value;
  select.dispatchEvent(new Event("change"));
}

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("ReturnDialog", () => {
  it("sends the return with the kept key, then asks for the read-back fingerprint", async () => {
    const requests: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "plugin:event|listen") return 1;
      if (cmd === "share_return") {
        requests.push((args as Record<string, unknown>).request);
        if (requests.length === 1) {
          throw { code: "confirmation_needed", message: "This key is used for the first time; it must be ABCD-0000-1111-2222." };
        }
        return null;
      }
      return null;
    });
    const c = mount(ReturnDialog, {
      target: document.body,
      props: { of: { kind: "client", id: 4 }, clientId: 4, what: "every matter", onclose: () => {}, onreturned: () => {} },
    });
    (byTestId("return-all-versions") as HTMLInputElement).click();
    choose("return-protection", "kept");
    await tick();
    byTestId("return-write").click();
    await tick();
    await tick();
    expect(requests[0]).toEqual({
      of: { kind: "client", id: 4 },
      allVersions: true,
      format: "age",
      protection: { kind: "keptKey", holder: { kind: "client", id: 4 } },
      hideNames: false,
      recipient: null,
      confirmFingerprint: null,
    });
    expect(byTestId("return-needs-fingerprint").textContent).toContain("ABCD-0000-1111-2222");
    const input = byTestId("return-fingerprint") as HTMLInputElement;
    input.value = "abcd 0000 1111 2222";
    input.dispatchEvent(new Event("input"));
    byTestId("return-write").click();
    await tick();
    await tick();
    expect((requests[1] as Record<string, unknown>).confirmFingerprint).toBe("abcd 0000 1111 2222");
    unmount(c);
  });
});

describe("ReturnDialog with a pasted key", () => {
  it("sends the age key given for this package", async () => {
    const requests: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "share_return") requests.push((args as Record<string, unknown>).request);
      return null;
    });
    const c = mount(ReturnDialog, {
      target: document.body,
      props: { of: { kind: "matter", id: 3 }, clientId: 4, what: "matter", onclose: () => {}, onreturned: () => {} },
    });
    choose("return-protection", "key");
    await tick();
    const input = byTestId("return-age-key") as HTMLInputElement;
    input.value = "age1example";
    input.dispatchEvent(new Event("input"));
    byTestId("return-write").click();
    await tick();
    await tick();
    expect((requests[0] as Record<string, unknown>).protection).toEqual({ kind: "ageKey", key: "age1example" });
    unmount(c);
  });
});

describe("RecipientKeys", () => {
  it("warns when a different key replaces the one kept", async () => {
    const key = (id: number, fingerprint: string, replacedAt: string | null): RecipientKey => ({
      id,
      holder: { kind: "party", id: 9 },
      publicKey: `age1key${id}`,
      fingerprint,
      addedBy: "t",
      addedAt: "2026-12-05T10:00:00Z",
      confirmedBy: null,
      confirmedAt: id === 1 ? "2026-12-05T10:00:00Z" : null,
      replacedAt,
    });
    let keys = [key(1, "AAAA-AAAA-AAAA-AAAA", null)];
    mockIPC((cmd) => {
      if (cmd === "share_keys") return keys;
      if (cmd === "share_key_set") {
        keys = [key(2, "BBBB-BBBB-BBBB-BBBB", null), key(1, "AAAA-AAAA-AAAA-AAAA", "2026-12-05T11:00:00Z")];
        return { key: keys[0], replaced: keys[1] };
      }
      return null;
    });
    const c = mount(RecipientKeys, { target: document.body, props: { holder: { kind: "party", id: 9 }, name: "Opposing Counsel (fictional)" } });
    await tick();
    expect(byTestId("key-current").dataset.confirmed).toBe("true");
    const input = byTestId("key-input") as HTMLInputElement;
    input.value = "age1key2";
    input.dispatchEvent(new Event("input"));
    byTestId("key-save").closest("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await tick();
    await tick();
    expect(byTestId("key-replaced-warning").textContent).toContain("AAAA-AAAA-AAAA-AAAA");
    expect(byTestId("key-fingerprint").textContent).toBe("BBBB-BBBB-BBBB-BBBB");
    expect(byTestId("key-current").dataset.confirmed).toBe("false");
    unmount(c);
  });
});
