import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { openCorpus } from "../../services/seeds/corpus.ts";
import { runIngest, stdlibDir, tempDir } from "./helpers.ts";

// distinct bodies: functions differing only in names would be near-duplicates of each other
const BODIES: Record<string, string> = {
  from_jsonl: "return math.pi * radius ** 2",
  from_parquet: "total = sum(int(c) for c in str(radius) if c.isdigit())\n    return [total, math.floor(radius), len(str(radius))]",
  also_parquet: "words = sorted({w.lower() for w in str(radius).split()})\n    return {w: math.log(len(w) + 1) for w in words}",
};
const FN = (name: string) => `import math\n\n\ndef ${name}(radius):\n    """Compute ${name}."""\n    ${BODIES[name] ?? "return math.e * radius"}\n`;

describe("corpus inputs", () => {
  it("treats each checkout of a folder as its own repository, with its licence, skipping caches and hidden folders", async () => {
    const root = tempDir("checkouts");
    const mk = (repo: string, licence: string) => {
      mkdirSync(join(root, repo, ".git"), { recursive: true });
      mkdirSync(join(root, repo, "pkg", "__pycache__"), { recursive: true });
      mkdirSync(join(root, repo, ".hidden"), { recursive: true });
      writeFileSync(join(root, repo, "LICENSE"), licence);
      writeFileSync(join(root, repo, "pkg", "mod.py"), FN(`${repo}_area`));
      writeFileSync(join(root, repo, "pkg", "__pycache__", "mod.py"), FN("cached"));
      writeFileSync(join(root, repo, ".hidden", "x.py"), FN("hidden"));
    };
    mk("alpha", "MIT License\n\nPermission is hereby granted, free of charge, to any person");
    mk("beta", "                                 Apache License\n                           Version 2.0, January 2004");
    const corpus = openCorpus([root]);
    expect(corpus.total).toBe(2);
    const files = [];
    for await (const f of corpus.files) files.push({ path: f.path, repo: f.repo, license: f.license });
    expect(files).toEqual([
      { path: "pkg/mod.py", repo: "alpha", license: "MIT" },
      { path: "pkg/mod.py", repo: "beta", license: "Apache-2.0" },
    ]);
    const stdlib = openCorpus([join(stdlibDir(), "textwrap.py")]);
    for await (const f of stdlib.files) expect(f).toMatchObject({ path: "textwrap.py", license: "PSF-2.0" });
  });

  it("mines The Stack-shaped dumps: JSONL.gz with max_stars_* names and Parquet with content/path/repo/license", async () => {
    const dir = tempDir("dumps");
    const jsonl = [
      { content: FN("from_jsonl"), max_stars_repo_path: "src/a.py", max_stars_repo_name: "octo/one", max_stars_repo_licenses: ["MIT", "Apache-2.0"] },
      { content: "def broken(:\n", max_stars_repo_path: "src/b.py", max_stars_repo_name: "octo/one", max_stars_repo_licenses: [] },
    ];
    writeFileSync(join(dir, "stack.jsonl.gz"), gzipSync(jsonl.map((r) => JSON.stringify(r)).join("\n") + "\n"));
    const rows = [
      { content: FN("from_parquet"), path: "lib/c.py", repo: "octo/two", license: "BSD-3-Clause" },
      { content: FN("also_parquet"), path: "lib/d.py", repo: "octo/two", license: "BSD-3-Clause" },
    ];
    const buf = parquetWriteBuffer({
      columnData: (["content", "path", "repo", "license"] as const).map((k) => ({ name: k, data: rows.map((r) => r[k]), type: "STRING" as const })),
    });
    writeFileSync(join(dir, "stack.parquet"), Buffer.from(buf));
    const { funnel, seeds } = await runIngest([join(dir, "stack.jsonl.gz"), join(dir, "stack.parquet")], { dedupDir: tempDir("dumps-dedup") });
    expect(funnel.files).toBe(4);
    expect(funnel.unparsed.get("syntax error")).toBe(1);
    expect(seeds.map((s) => [s.name, s.repo, s.path, s.license])).toEqual([
      ["from_jsonl", "octo/one", "src/a.py", "MIT OR Apache-2.0"],
      ["from_parquet", "octo/two", "lib/c.py", "BSD-3-Clause"],
      ["also_parquet", "octo/two", "lib/d.py", "BSD-3-Clause"],
    ]);
    expect(seeds[0].code).toBe(FN("from_jsonl").slice(FN("from_jsonl").indexOf("def ")).trimEnd());
    expect(readFileSync(join(dir, "stack.parquet")).length).toBeGreaterThan(0);
  });

  it("names the line and the field of a bad dump row", async () => {
    const dir = tempDir("bad-dump");
    writeFileSync(join(dir, "bad.jsonl"), `${JSON.stringify({ content: FN("ok") })}\n${JSON.stringify({ path: "x.py" })}\n`);
    const corpus = openCorpus([join(dir, "bad.jsonl")]);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const f of corpus.files) seen.push(f.path);
      })(),
    ).rejects.toThrow(/bad\.jsonl:2: content: .*got missing/);
    expect(seen).toHaveLength(1);
  });
});
