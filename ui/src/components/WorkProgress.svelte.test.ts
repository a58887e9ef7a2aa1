import { afterEach, describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import WorkProgress from "./WorkProgress.svelte";

afterEach(() => {
  document.body.innerHTML = "";
});

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

describe("WorkProgress", () => {
  it("names the file, its bytes and the count, with two progress bars and a Cancel", () => {
    let cancelled = 0;
    const props = $state({
      testid: "doctor",
      doing: "Checking",
      name: "Wombat lease.pdf",
      bytes: 1_500_000,
      total: 3_000_000,
      item: 2,
      items: 5,
      itemWord: "document",
      itemsLabel: "Documents checked",
      cancelling: false,
      cancelTitle: "Stops the check",
      oncancel: () => (cancelled += 1),
    });
    const view = mount(WorkProgress, { target: document.body, props });
    expect(byTestId("doctor-progress").querySelector('[role="status"]')?.textContent).toBe(
      "Checking Wombat lease.pdf — 1.5 MB of 3.0 MB (document 2 of 5)…",
    );
    expect(byTestId("doctor-count").textContent).toBe("document 2 of 5");
    // Native progress bars: role progressbar, with their value and maximum.
    const bars = [...document.querySelectorAll("progress")];
    expect(bars.map((b) => [b.getAttribute("aria-label"), b.value, b.max, b.getAttribute("aria-valuetext")])).toEqual([
      ["Bytes of Wombat lease.pdf", 1_500_000, 3_000_000, "1.5 MB of 3.0 MB"],
      ["Documents checked", 1, 5, "document 2 of 5"],
    ]);
    byTestId("doctor-cancel").click();
    expect(cancelled).toBe(1);
    props.cancelling = true;
    flushSync();
    expect(byTestId("doctor-cancel").textContent).toBe("Cancelling…");
    expect((byTestId("doctor-cancel") as HTMLButtonElement).disabled).toBe(true);
    unmount(view);
  });

  it("shows no bytes for work counted in pages, and no count for a single item", () => {
    const view = mount(WorkProgress, {
      target: document.body,
      props: {
        testid: "export",
        doing: "Recognising text in",
        name: "scan.pdf",
        item: 3,
        items: 7,
        itemWord: "page",
        itemsLabel: "Pages recognised",
        cancelling: false,
        cancelTitle: "",
        oncancel: () => {},
      },
    });
    expect(byTestId("export-progress").textContent).toContain("Recognising text in scan.pdf (page 3 of 7)…");
    expect(document.querySelector('[data-testid="export-bytes"]')).toBeNull();
    expect(document.querySelectorAll("progress").length).toBe(1);
    unmount(view);
    const single = mount(WorkProgress, {
      target: document.body,
      props: { testid: "export", doing: "Exporting", name: "a.bin", bytes: 10, total: 20, item: 1, items: 1, itemsLabel: "", cancelling: false, cancelTitle: "", oncancel: () => {} },
    });
    expect(byTestId("export-progress").querySelector('[role="status"]')?.textContent).toBe("Exporting a.bin — 10 bytes of 20 bytes…");
    expect(document.querySelectorAll("progress").length).toBe(1);
    unmount(single);
  });
});
