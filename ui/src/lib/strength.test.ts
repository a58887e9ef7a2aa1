import { describe, expect, it } from "vitest";
import { estimate } from "./strength";

describe("passphrase strength", () => {
  const check = (passphrase: string, score: number) =>
    expect(estimate(passphrase).score, passphrase).toBe(score);

  it("rates by length, variety and patterns", () => {
    check("", 0);
    check("Sh0rt!", 0); // under 10 characters is always too weak
    check("aaaaaaaaaaaa", 1);
    check("abcd1234efgh", 1); // sequences count for little
    check("lantern orchard", 2);
    check("Lantern orchard 47 quietly", 4);
  });
});
