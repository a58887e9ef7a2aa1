// PDF rendering with the bundled pdf.js (no network): loaded on first use
// so the unlock screen stays small. The document comes in as bytes the
// backend decrypted in memory; nothing is written anywhere.
import type { PDFDocumentProxy } from "pdfjs-dist";
import { markWords } from "./format";

async function pdfjs() {
  const lib = await import("pdfjs-dist");
  const worker = await import("pdfjs-dist/build/pdf.worker.min.mjs?url");
  lib.GlobalWorkerOptions.workerSrc = worker.default;
  return lib;
}

export type OpenPdf = { doc: PDFDocumentProxy; close: () => void };

export async function openPdf(bytes: Uint8Array): Promise<OpenPdf> {
  const lib = await pdfjs();
  const task = lib.getDocument({ data: bytes, useSystemFonts: true, stopAtErrors: false });
  const doc = await task.promise;
  return { doc, close: () => void task.destroy() };
}

/** Draws page `n` (1-based) into `canvas` at `width` CSS pixels. */
export async function renderPage(doc: PDFDocumentProxy, n: number, canvas: HTMLCanvasElement, width: number) {
  const page = await doc.getPage(n);
  const base = page.getViewport({ scale: 1 });
  const ratio = window.devicePixelRatio || 1;
  const viewport = page.getViewport({ scale: (width / base.width) * ratio });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  await page.render({ canvas, viewport }).promise;
}

/**
 * Marks, on page `n` already drawn into `canvas`, where its text layer holds
 * one of `words` (whole words, case ignored): a translucent box over each
 * occurrence, its place within the text item estimated from its share of
 * the item's width (the drawn font may differ from the PDF's, so it is
 * close, not exact). Returns how many were marked; a scan without a
 * text layer has none.
 */
export async function markPage(doc: PDFDocumentProxy, n: number, canvas: HTMLCanvasElement, words: string[]): Promise<number> {
  const context = canvas.getContext("2d");
  if (words.length === 0 || context === null) return 0;
  const page = await doc.getPage(n);
  const viewport = page.getViewport({ scale: canvas.width / page.getViewport({ scale: 1 }).width });
  const content = await page.getTextContent();
  const [va, vb, vc, vd, ve, vf] = viewport.transform as [number, number, number, number, number, number];
  context.fillStyle = "rgba(245, 190, 40, 0.45)";
  let marked = 0;
  for (const item of content.items) {
    if (!("str" in item) || item.str.length === 0) continue;
    const parts = markWords(item.str, words);
    if (!parts.some((p) => p.hit)) continue;
    // The item's baseline start and font height on the canvas.
    const [, , ic, id, ie, iff] = item.transform as [number, number, number, number, number, number];
    const x = va * ie + vc * iff + ve;
    const y = vb * ie + vd * iff + vf;
    const height = Math.hypot(va * ic + vc * id, vb * ic + vd * id);
    const width = item.width * viewport.scale;
    // Where a word falls within the item, by its share of the item's
    // width in a sans-serif font of that height (closer than counting
    // characters: letters differ in width).
    context.font = `${height}px sans-serif`;
    const measure = (t: string) => context.measureText(t).width;
    const full = measure(item.str) || 1;
    let before = "";
    for (const p of parts) {
      if (p.hit) {
        context.fillRect(x + (width * measure(before)) / full, y - height, (width * measure(p.text)) / full, height * 1.25);
        marked += 1;
      }
      before += p.text;
    }
  }
  return marked;
}
