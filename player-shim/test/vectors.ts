/** Loads the shared vectors from ../tests/vectors/ (written by the Python side), unchanged. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTORS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../tests/vectors");

export function hasVectors(name: string): boolean {
  return existsSync(join(VECTORS_DIR, name));
}

export function loadVectors<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(VECTORS_DIR, name), "utf8")) as T;
}

/** JSON files in a vectors subdirectory (e.g. scheduler scenarios), sorted by name. */
export function vectorFiles(subdir: string): string[] {
  const dir = join(VECTORS_DIR, subdir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(subdir, f));
}
