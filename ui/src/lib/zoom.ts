// Zoom steps of the document preview (images and PDF pages): from half
// size to three times, 1 being the page fitted to the preview.

export const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3] as const;

/** The next step up from `z` (the largest stays). */
export function zoomIn(z: number): number {
  return ZOOM_STEPS.find((s) => s > z + 1e-9) ?? 3;
}

/** The next step down from `z` (the smallest stays). */
export function zoomOut(z: number): number {
  return [...ZOOM_STEPS].reverse().find((s) => s < z - 1e-9) ?? 0.5;
}

/** "125%". */
export function zoomLabel(z: number): string {
  return `${Math.round(z * 100)}%`;
}
