import { afterEach, describe, expect, it } from "vitest";
import { mount, unmount } from "svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import Requests from "./Requests.svelte";
import type { RequestRow } from "../lib/bindings/RequestRow";
import type { RequestView } from "../lib/bindings/RequestView";

const tick = () => new Promise((r) => setTimeout(r, 0));

function byTestId(id: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element ${id}`);
  return el as HTMLElement;
}

const clock = (daysLeft: number | null, dueOn: string | null, paused = false) => ({
  firstMonth: dueOn,
  dueOn,
  paused,
  pausedDays: 0,
  daysLeft,
  overdue: daysLeft !== null && daysLeft < 0,
});

const row = (id: number, requester: string, deadline: ReturnType<typeof clock>): RequestRow => ({
  id,
  kind: "access",
  requester,
  relation: "client",
  receivedOn: "2026-01-31",
  status: "received",
  items: 1,
  unmarked: 1,
  pauses: [],
  extension: null,
  deadline,
});

const view = (marks: RequestView["items"][number]["marks"]): RequestView => ({
  id: 1,
  kind: "access",
  requester: "Ottilie Fictional-Quist",
  relation: "client",
  alsoKnown: [],
  receivedOn: "2026-01-31",
  notes: "",
  createdBy: "test",
  createdAt: "2026-01-31T10:00:00Z",
  status: "received",
  history: [],
  pauses: [],
  extension: null,
  items: [
    {
      number: 1,
      source: "party",
      label: "Tilly Quist (defendant)",
      detail: "'Tilly' is a nickname of 'Ottilie'",
      clientId: 2,
      matterId: 3,
      matterNumber: "2026-0003",
      documentId: null,
      foundAt: "2026-02-01T10:00:00Z",
      marks,
      mark: marks.at(-1)?.mark ?? null,
    },
  ],
  erasure: [],
  deadline: clock(20, "2026-03-02"),
});

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

describe("Requests", () => {
  it("shows days left, overdue in red, and withholds an item with the reason chosen", async () => {
    const marked: unknown[] = [];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "request_list")
        return [row(1, "Ottilie Fictional-Quist", clock(20, "2026-03-02")), row(2, "Quentin Fictional", clock(-3, "2026-01-05"))];
      if (cmd === "request_get") return view([]);
      if (cmd === "request_mark") {
        marked.push(a);
        return view([{ mark: "withhold", reason: "art15_4", note: "", markedBy: "test", markedAt: "2026-02-02T10:00:00Z" }]);
      }
      return null;
    });
    const v = mount(Requests, { target: document.body });
    await tick();
    const badges = [...document.querySelectorAll('[data-testid="request-deadline"]')];
    expect(badges.map((b) => b.textContent)).toEqual(["20 days left (due 2026-03-02)", "Overdue by 3 days (due 2026-01-05)"]);
    expect(badges[0]!.classList.contains("overdue")).toBe(false);
    expect(badges[1]!.classList.contains("overdue")).toBe(true);
    expect(document.body.textContent).toContain("Public holidays are not counted in");

    (document.querySelector('[data-testid="request-row"]') as HTMLElement).click();
    await tick();
    await tick();
    expect(byTestId("request-item").textContent).toContain("Tilly Quist");
    const reason = byTestId("withhold-reason-1") as HTMLSelectElement;
    reason.value = "art15_4";
    reason.dispatchEvent(new Event("change"));
    byTestId("withhold-1").click();
    await tick();
    await tick();
    expect(marked).toEqual([{ id: 1, item: 1, mark: "withhold", reason: "art15_4" }]);
    expect(byTestId("item-mark").textContent).toContain("withhold (art15_4)");
    unmount(v);
  });

  it("shows which disclosed document is written, its bytes, and Cancel says every file was removed", async () => {
    const asked: string[] = [];
    let finish: (() => void) | null = null;
    mockIPC(
      async (cmd) => {
        asked.push(cmd);
        if (cmd === "request_list") return [row(1, "Ottilie Fictional-Quist", clock(20, "2026-03-02"))];
        if (cmd === "request_get") return view([]);
        if (cmd === "request_export") {
          await new Promise<void>((r) => (finish = r));
          return null;
        }
        return null;
      },
      { shouldMockEvents: true },
    );
    const v = mount(Requests, { target: document.body });
    await tick();
    (document.querySelector('[data-testid="request-row"]') as HTMLElement).click();
    for (let i = 0; i < 3; i++) await tick();
    byTestId("request-export").click();
    for (let i = 0; i < 3; i++) await tick();
    // Another request's export is not this one's.
    await emit("work-progress", { work: "request_export", token: 9, progress: { item: 1, items: 2, name: "x", bytes: 1, total: 2 } });
    await tick();
    expect(document.querySelector('[data-testid="request-export-progress"]')).toBeNull();
    await emit("work-progress", {
      work: "request_export",
      token: 1,
      progress: { item: 2, items: 3, name: "Quist tenancy.pdf", bytes: 2_000_000, total: 8_000_000 },
    });
    for (let i = 0; i < 2; i++) await tick();
    expect(byTestId("request-export-progress").querySelector('[role="status"]')?.textContent).toBe(
      "Writing Quist tenancy.pdf — 2.0 MB of 8.0 MB (document 2 of 3)…",
    );
    byTestId("request-export-cancel").click();
    await tick();
    expect(asked).toContain("work_cancel");
    (finish as unknown as () => void)();
    for (let i = 0; i < 4; i++) await tick();
    expect(document.querySelector('[data-testid="request-export-progress"]')).toBeNull();
    expect(document.body.textContent).toContain("Cancelled: the export was stopped, and every file it had written was removed.");
    unmount(v);
  });
});
