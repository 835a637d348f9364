import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedTransport } from "../../services/runtime/embedded/index.ts";
import { describeTransportContract } from "./transport-contract.ts";

const dir = mkdtempSync(join(tmpdir(), "sca-contract-"));
describeTransportContract("embedded", async () => EmbeddedTransport.open(dir, { fsync: false }));
