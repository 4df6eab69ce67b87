/**
 * Waits for a condition the test's own events bring about. vi.waitFor's default 1 s bound is
 * wall-clock: on a loaded machine the crypto and the message hops behind a condition can take
 * longer without anything being wrong, so the bound is wide (a broken behaviour still fails).
 * Under fake timers each check advances them by the 10 ms interval (as vi.waitFor does).
 */
import { vi } from "vitest";

export function until(check: () => void): Promise<void> {
  return vi.waitFor(check, { timeout: 20_000, interval: 10 });
}
