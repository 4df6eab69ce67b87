import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Two cores shared by a team: one worker keeps the suite predictable.
    pool: "threads",
    poolOptions: { threads: { singleThread: true } },
    // Only a bound for a hung test: what a test waits for are its own events, and on a loaded
    // machine (CI beside browsers) the 5 s default cut tests off that were merely slow.
    testTimeout: 30_000,
  },
});
