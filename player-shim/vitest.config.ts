import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Two cores shared by a team: one worker keeps the suite predictable.
    pool: "threads",
    poolOptions: { threads: { singleThread: true } },
  },
});
