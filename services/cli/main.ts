import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command, CommanderError } from "commander";

/**
 * Each file in ./commands exports `register(program)`: commands are found, not listed, so adding
 * one touches no shared file.
 */
const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "package.json"), "utf8")) as { version: string };

// A reader that goes away (`sca status | head`) is not an error: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

const program = new Command("sca")
  .description("SelfCodeAlign as a stream: seed functions in, a verified instruction-tuning dataset out")
  .version(pkg.version, "-V, --version", "print the version")
  .showHelpAfterError()
  .exitOverride();

const dir = join(dirname(fileURLToPath(import.meta.url)), "commands");
for (const f of readdirSync(dir)
  .filter((f) => f.endsWith(".ts"))
  .sort()) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { register?: (p: Command) => void };
  mod.register?.(program);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`sca: ${msg}`);
  if (process.env.SCA_DEBUG) console.error(e);
  process.exit(1);
}
