/** numbers.ts: the shim's one median. */
import { describe, expect, it } from "vitest";
import { median } from "../src/numbers";

describe("median", () => {
  it("is the middle value, the mean of the middle two for an even count, null for none", () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const values = [5, 1];
    median(values);
    expect(values).toEqual([5, 1]); // the input is not sorted in place
  });
});
