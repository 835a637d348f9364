import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { isStageName, PIPELINE_STAGES } from "../../schemas/stages.ts";
import type { Codec, SchemaLookup } from "./codec.ts";
import type { StageDef } from "./stage.ts";
import type { Transport } from "./transport.ts";

/**
 * What a host process (`sca service`, `sca run`) builds before any stage and hands to every stage
 * factory: a stage never opens a connection of its own, so it runs the same on either transport.
 */
export interface StageDeps {
  transport: Transport;
  codec: Codec;
  registry: Registry;
  log: Logger;
  /** This process's folder for state stores on local disk. */
  storeDir: string;
  /** The run's settings (`sca run`), for the dataset card. */
  runConfig?: Record<string, unknown>;
}

/** What a stage module exports: `services/stages/<stage>/stage.ts` for a stage of the graph (schemas/stages.ts), or any file given explicitly. */
export interface StageModule {
  createStage(env: NodeJS.ProcessEnv, deps: StageDeps): Promise<StageDef>;
  /** Schemas for topics outside the catalogue (tests, experiments); the catalogue's otherwise. */
  schemaFor?: SchemaLookup;
}

const stagesDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "stages");

export async function loadStageModule(stage: string, file?: string): Promise<StageModule> {
  let path: string;
  if (file) {
    path = resolve(file);
    if (!existsSync(path)) throw new Error(`stage module ${file} does not exist`);
  } else {
    path = join(stagesDir, stage, "stage.ts");
    if (!isStageName(stage)) {
      const why = /^[a-z][a-z0-9-]*$/.test(stage) && existsSync(path) ? "is not in the stage graph, schemas/stages.ts" : "does not exist";
      throw new Error(`no stage "${stage}": services/stages/${stage}/stage.ts ${why} (known stages: ${PIPELINE_STAGES.join(", ")})`);
    }
    if (!existsSync(path)) throw new Error(`no stage "${stage}": services/stages/${stage}/stage.ts does not exist`);
  }
  const mod = (await import(pathToFileURL(path).href)) as Partial<StageModule>;
  if (typeof mod.createStage !== "function") throw new Error(`${path} does not export createStage(env)`);
  if (mod.schemaFor !== undefined && typeof mod.schemaFor !== "function") throw new Error(`${path} exports schemaFor, but not as a function`);
  return mod as StageModule;
}
