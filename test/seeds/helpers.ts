import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pythonStdlibDir } from "../../services/seeds/stdlib.ts";

/** The real interpreter behind the `python3` shim, resolved once. */
let python: string | undefined;
export function pythonExe(): string {
  python ??= execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
  return python;
}

let stdlib: string | undefined;
export function stdlibDir(): string {
  stdlib ??= pythonStdlibDir({ ...process.env, SCA_PYTHON: pythonExe() });
  return stdlib;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sca-seeds-${prefix}-`));
}

/** A fixed set of standard-library modules, present in every CPython 3.10–3.13. */
export const STDLIB_SUBSET = [
  "abc.py", "ast.py", "base64.py", "bisect.py", "calendar.py", "colorsys.py", "contextlib.py", "copy.py", "csv.py",
  "dataclasses.py", "difflib.py", "enum.py", "fnmatch.py", "fractions.py", "functools.py", "glob.py", "gzip.py",
  "heapq.py", "hmac.py", "inspect.py", "ipaddress.py", "json/__init__.py", "json/decoder.py", "json/encoder.py",
  "keyword.py", "numbers.py", "operator.py", "pprint.py", "queue.py", "random.py", "shlex.py", "statistics.py",
  "string.py", "textwrap.py", "tokenize.py", "typing.py", "uuid.py", "asyncio/tasks.py", "email/utils.py",
  "collections/__init__.py", "unittest/case.py", "datetime.py", "_pydecimal.py",
];
