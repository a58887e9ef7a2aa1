// Hands a search hit that was opened to the preview that shows it: the page
// to open at and the words to mark. Set by the search screen just before it
// opens the document; taken (once) by the preview of that document.
export type HitFocus = { documentId: number; page: number | null; words: string[] };

let pending: HitFocus | null = null;

export function focusHit(focus: HitFocus): void {
  pending = focus;
}

/** The focus for this document, if the hit opened was its; then forgotten. */
export function takeHitFocus(documentId: number): HitFocus | null {
  const focus = pending?.documentId === documentId ? pending : null;
  pending = null;
  return focus;
}
