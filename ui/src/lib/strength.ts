// A rough passphrase strength estimate for the meter: bits from the
// character classes used and the length, with penalties for repeats and
// common sequences. It guides; the backend enforces the minimum length.

export type Strength = { score: 0 | 1 | 2 | 3 | 4; label: string; bits: number };

const LABELS = ["Too weak", "Weak", "Fair", "Strong", "Very strong"] as const;
const SEQUENCES = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "password", "matterbox"];

export function estimate(passphrase: string): Strength {
  const chars = [...passphrase];
  if (chars.length === 0) return { score: 0, label: LABELS[0], bits: 0 };
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^a-zA-Z0-9\s]/.test(passphrase)) pool += 33;
  const unique = new Set(chars.map((c) => c.toLowerCase())).size;
  // Repeated characters add little.
  const effective = Math.min(chars.length, unique * 2);
  // Typed phrases are far from random: count half the bits of random characters.
  let bits = 0.5 * effective * Math.log2(Math.max(pool, 2));
  const lower = passphrase.toLowerCase();
  for (const seq of SEQUENCES) {
    for (let i = 0; i + 4 <= seq.length; i++) {
      if (lower.includes(seq.slice(i, i + 4))) {
        bits -= 12;
        break;
      }
    }
  }
  bits = Math.max(0, Math.round(bits));
  const score = chars.length < 10 ? 0 : bits < 30 ? 1 : bits < 45 ? 2 : bits < 60 ? 3 : 4;
  return { score: score as Strength["score"], label: LABELS[score], bits };
}
