// Keeping keyboard focus inside a dialog (the document viewer): Tab from the
// last control goes to the first, Shift+Tab from the first to the last, so
// focus never wanders to the page behind the dialog.

const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

/** The controls inside `container` that Tab reaches, in order. */
export function focusables(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) =>
      el.tabIndex >= 0 &&
      !(el as HTMLButtonElement).disabled &&
      el.closest("[hidden], [inert]") === null,
  );
}

/**
 * For a keydown inside `container`: when it is Tab and focus would leave,
 * moves focus round to the other end and returns true (the event was used).
 */
export function trapTab(e: KeyboardEvent, container: HTMLElement): boolean {
  if (e.key !== "Tab") return false;
  const all = focusables(container);
  if (all.length === 0) {
    e.preventDefault();
    container.focus();
    return true;
  }
  const first = all[0] as HTMLElement;
  const last = all[all.length - 1] as HTMLElement;
  const here = document.activeElement;
  // The dialog itself (focused when it opens) counts as before the first.
  const inside = here instanceof HTMLElement && here !== container && container.contains(here);
  if (e.shiftKey && (here === first || !inside)) {
    e.preventDefault();
    last.focus();
    return true;
  }
  if (!e.shiftKey && (here === last || (!inside && here !== container))) {
    e.preventDefault();
    first.focus();
    return true;
  }
  return false;
}
