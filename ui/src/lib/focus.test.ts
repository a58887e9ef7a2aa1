import { afterEach, describe, expect, it } from "vitest";
import { focusables, trapTab } from "./focus";

afterEach(() => {
  document.body.innerHTML = "";
});

function tab(container: HTMLElement, shift = false): boolean {
  const e = new KeyboardEvent("keydown", { key: "Tab", shiftKey: shift, cancelable: true });
  return trapTab(e, container);
}

describe("focus trap", () => {
  function dialog(): HTMLElement {
    document.body.innerHTML = `
      <button id="behind">behind</button>
      <div id="d" tabindex="-1">
        <button id="a">a</button>
        <button id="off" disabled>off</button>
        <input id="b" />
        <span tabindex="-1" id="skip">not in the tab order</span>
        <button id="c">c</button>
      </div>`;
    return document.getElementById("d") as HTMLElement;
  }

  it("lists what Tab reaches, skipping disabled and tabindex -1", () => {
    expect(focusables(dialog()).map((el) => el.id)).toEqual(["a", "b", "c"]);
  });

  it("Tab from the last goes to the first, Shift+Tab from the first to the last", () => {
    const d = dialog();
    (document.getElementById("c") as HTMLElement).focus();
    expect(tab(d)).toBe(true);
    expect(document.activeElement?.id).toBe("a");
    expect(tab(d, true)).toBe(true);
    expect(document.activeElement?.id).toBe("c");
    // In the middle the browser moves focus itself.
    (document.getElementById("b") as HTMLElement).focus();
    expect(tab(d)).toBe(false);
    expect(tab(d, true)).toBe(false);
  });

  it("from the dialog itself Shift+Tab goes to the last, and focus outside comes back in", () => {
    const d = dialog();
    d.focus();
    expect(tab(d)).toBe(false);
    expect(tab(d, true)).toBe(true);
    expect(document.activeElement?.id).toBe("c");
    (document.getElementById("behind") as HTMLElement).focus();
    expect(tab(d)).toBe(true);
    expect(document.activeElement?.id).toBe("a");
  });

  it("other keys pass", () => {
    const d = dialog();
    expect(trapTab(new KeyboardEvent("keydown", { key: "Escape" }), d)).toBe(false);
  });
});
