import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import DateField from "./DateField.svelte";

function field(id: string): { input: HTMLInputElement; hint: HTMLElement } {
  const input = document.querySelector(`[data-testid="${id}"]`) as HTMLInputElement;
  const hint = document.querySelector(`[data-testid="${id}-hint"]`) as HTMLElement;
  return { input, hint };
}

function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("DateField", () => {
  it("takes YYYY-MM-DD, spells the day out and refuses the ambiguous forms", () => {
    const props = $state({ value: "2026-12-05" });
    const c = mount(DateField, {
      target: document.body,
      props: {
        label: "Opened on",
        testid: "d",
        get value() {
          return props.value;
        },
        set value(v: string) {
          props.value = v;
        },
      },
    });
    flushSync();
    const { input, hint } = field("d");
    expect(input.type).toBe("text");
    expect(input.placeholder).toBe("YYYY-MM-DD");
    expect(hint.textContent).toBe("Saturday 5 December 2026");
    expect(input.validity.valid).toBe(true);

    type(input, "12/05/2026");
    expect(input.validity.valid).toBe(false);
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(hint.textContent).toMatch(/^Write the date as YYYY-MM-DD/);
    expect(input.validationMessage).toBe(hint.textContent);

    type(input, "2026-2-30");
    expect(hint.textContent).toBe("There is no such day: 2026-2-30.");

    type(input, "2026-3-7");
    expect(input.validity.valid).toBe(true);
    input.dispatchEvent(new Event("blur"));
    flushSync();
    expect(props.value).toBe("2026-03-07");
    expect(input.value).toBe("2026-03-07");
    expect(hint.textContent).toBe("Saturday 7 March 2026");
    unmount(c);
  });

  it("holds a moment as YYYY-MM-DD HH:MM and keeps within limits", () => {
    const props = $state({ value: "2026-12-05T09:30", day: "2026-12-05" });
    const c = mount(DateField, {
      target: document.body,
      props: {
        label: "Aware",
        testid: "t",
        withTime: true,
        get value() {
          return props.value;
        },
        set value(v: string) {
          props.value = v;
        },
      },
    });
    const d = mount(DateField, {
      target: document.body,
      props: {
        label: "Defer until",
        testid: "m",
        min: "2026-12-06",
        get value() {
          return props.day;
        },
        set value(v: string) {
          props.day = v;
        },
      },
    });
    flushSync();
    const t = field("t");
    expect(t.input.placeholder).toBe("YYYY-MM-DD HH:MM");
    expect(t.hint.textContent).toBe("Saturday 5 December 2026, 09:30");
    t.input.dispatchEvent(new Event("blur"));
    flushSync();
    expect(props.value).toBe("2026-12-05 09:30");

    const m = field("m");
    expect(m.input.validity.valid).toBe(false);
    expect(m.hint.textContent).toBe("The date must be 2026-12-06 or later.");
    unmount(c);
    unmount(d);
  });
});
