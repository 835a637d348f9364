import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, serviceSources } from "./repo.ts";

/**
 * Fast static checks of what can go wrong between the repository and the image: what it copies, what
 * `npm install --omit=dev` leaves out, and who it runs as. image-build.deploy.test.ts builds and runs it.
 */
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };

/** Runtime sources the image holds: services, schemas, bin. */
function imageSources(): Array<[string, string]> {
  const extra = ["schemas/common.ts", "schemas/records.ts", "schemas/topics.ts", "schemas/index.ts", "schemas/json-schema.ts", "bin/sca.js"].filter((f) =>
    existsSync(join(ROOT, f)),
  );
  return [...serviceSources(), ...extra.map((f) => [f, readFileSync(join(ROOT, f), "utf8")] as [string, string])];
}

const specifiers = (text: string) =>
  [...text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => m[1] ?? m[2]);

describe("application image (Dockerfile)", () => {
  it("is multi-stage, runs as a non-root user, with sca as entrypoint", () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(final).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(final).toMatch(/^ENTRYPOINT \[.*"sca"\]/m);
    expect(dockerfile).toMatch(/npm install --omit=dev/);
  });

  it("copies sources that exist and that .dockerignore lets through", () => {
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    expect(copies.length).toBeGreaterThan(3);
    for (const src of copies) {
      expect(existsSync(join(ROOT, src)), src).toBe(true);
      expect(ignored.includes(src), `${src} is in .dockerignore`).toBe(false);
    }
  });

  it("runtime code imports nothing the image leaves out (test/, dev dependencies)", () => {
    const shipped = ["services", "schemas", "bin"];
    const problems: string[] = [];
    let checked = 0;
    for (const [file, text] of imageSources()) {
      for (const spec of specifiers(text)) {
        checked++;
        if (spec.startsWith(".")) {
          const target = relative(ROOT, resolve(dirname(join(ROOT, file)), spec));
          if (!shipped.some((d) => target.startsWith(`${d}/`))) problems.push(`${file}: imports ${spec}, outside the image`);
        } else if (!spec.startsWith("node:") && !builtinModules.includes(spec)) {
          const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
          if (!(name in pkg.dependencies)) problems.push(`${file}: imports ${name}, not a runtime dependency (npm install --omit=dev drops it)`);
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(problems).toEqual([]);
  });
});
