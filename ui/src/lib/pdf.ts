// PDF rendering with the bundled pdf.js (no network): loaded on first use
// so the unlock screen stays small. The document comes in as bytes the
// backend decrypted in memory; nothing is written anywhere.
import type { PDFDocumentProxy } from "pdfjs-dist";

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
