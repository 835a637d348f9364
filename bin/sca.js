#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: one package, no build step between a change and a run.
import { register } from "tsx/esm/api";
register();
await import("../services/cli/main.ts");
