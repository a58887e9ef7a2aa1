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

/** A page's text as one string, and where each text item of it starts. */
export type PageText = { text: string; items: { item: TextItem; start: number }[] };

type TextItem = { str: string; transform: number[]; width: number; hasEOL?: boolean };

/**
 * The text layer of page `n`: its items end to end, a line break after
 * each that ends a line (so a phrase broken across lines is still found).
 * A scan without a text layer gives "".
 */
export async function pageText(doc: PDFDocumentProxy, n: number): Promise<PageText> {
  const content = await (await doc.getPage(n)).getTextContent();
  let text = "";
  const items: PageText["items"] = [];
  for (const item of content.items) {
    if (!("str" in item)) continue;
    items.push({ item, start: text.length });
    text += item.str + (item.hasEOL ? "\n" : "");
  }
  return { text, items };
}

/** A stretch of a page's text to mark; `current` is the one the reader is at. */
export type Mark = { start: number; end: number; current?: boolean };

const MARK = "rgba(245, 190, 40, 0.45)";
const CURRENT = "rgba(230, 90, 0, 0.55)";

/**
 * Marks, on page `n` already drawn into `canvas`, the stretches `marks` of
 * its text (offsets in [`pageText`]'s text): a translucent box over each
 * part of a text item they cover, its place within the item estimated from
 * its share of the item's width (the drawn font may differ from the PDF's,
 * so it is close, not exact). Returns how many marks were drawn and the
 * top of the current one in canvas pixels (null if none is current).
 */
export async function markRanges(
  doc: PDFDocumentProxy,
  n: number,
  canvas: HTMLCanvasElement,
  page: PageText,
  marks: Mark[],
): Promise<{ drawn: number; currentTop: number | null }> {
  const context = canvas.getContext("2d");
  if (marks.length === 0 || context === null) return { drawn: 0, currentTop: null };
  const pdfPage = await doc.getPage(n);
  const viewport = pdfPage.getViewport({ scale: canvas.width / pdfPage.getViewport({ scale: 1 }).width });
  const [va, vb, vc, vd, ve, vf] = viewport.transform as [number, number, number, number, number, number];
  let drawn = 0;
  let currentTop: number | null = null;
  for (const mark of marks) {
    let any = false;
    for (const { item, start } of page.items) {
      const from = Math.max(mark.start, start) - start;
      const to = Math.min(mark.end, start + item.str.length) - start;
      if (to <= from) continue;
      // The item's baseline start and font height on the canvas.
      const [, , ic, id, ie, iff] = item.transform as [number, number, number, number, number, number];
      const x = va * ie + vc * iff + ve;
      const y = vb * ie + vd * iff + vf;
      const height = Math.hypot(va * ic + vc * id, vb * ic + vd * id);
      const width = item.width * viewport.scale;
      // Where the stretch falls within the item, by its share of the
      // item's width in a sans-serif font of that height (closer than
      // counting characters: letters differ in width).
      context.font = `${height}px sans-serif`;
      const measure = (t: string) => context.measureText(t).width;
      const full = measure(item.str) || 1;
      context.fillStyle = mark.current ? CURRENT : MARK;
      context.fillRect(
        x + (width * measure(item.str.slice(0, from))) / full,
        y - height,
        (width * measure(item.str.slice(from, to))) / full,
        height * 1.25,
      );
      if (mark.current) currentTop = Math.min(currentTop ?? Infinity, y - height);
      any = true;
    }
    if (any) drawn += 1;
  }
  return { drawn, currentTop };
}

/**
 * Marks, on page `n` already drawn into `canvas`, where its text layer holds
 * one of `words` (whole words, case ignored), as [`markRanges`] does.
 * Returns how many were marked; a scan without a text layer has none.
 */
export async function markPage(doc: PDFDocumentProxy, n: number, canvas: HTMLCanvasElement, words: string[]): Promise<number> {
  if (words.length === 0) return 0;
  const page = await pageText(doc, n);
  const marks: Mark[] = [];
  for (const { item, start } of page.items) {
    let at = start;
    for (const part of markWords(item.str, words)) {
      if (part.hit) marks.push({ start: at, end: at + part.text.length });
      at += part.text.length;
    }
  }
  return (await markRanges(doc, n, canvas, page, marks)).drawn;
}
