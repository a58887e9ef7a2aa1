import { describe, expect, it } from "vitest";
import { zoomIn, zoomLabel, zoomOut } from "./zoom";

describe("zoom", () => {
  it("steps up and down and stops at the ends", () => {
    expect(zoomIn(1)).toBe(1.25);
    expect(zoomIn(3)).toBe(3);
    expect(zoomOut(1)).toBe(0.75);
    expect(zoomOut(0.5)).toBe(0.5);
    // From between two steps, to the nearest one in that direction.
    expect(zoomIn(1.1)).toBe(1.25);
    expect(zoomOut(1.1)).toBe(1);
    expect(zoomLabel(1.25)).toBe("125%");
  });
});
