// Small display helpers shared by the views.

export function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function lockMessage(reason: string): string {
  switch (reason) {
    case "idle":
      return "Matterbox locked itself after a period without activity.";
    case "suspend":
      return "Matterbox locked because the computer went to sleep.";
    case "screen_locked":
      return "Matterbox locked because the screen was locked.";
    default:
      return "The vault is locked. Unlock it to continue.";
  }
}

/** Groups of a recovery key to ask back, by position (1-based). */
export const CONFIRM_GROUPS = [3, 7] as const;
