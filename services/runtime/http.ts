import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { describeOutage, type Outage } from "./outage.ts";

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  registry: Registry;
  /** What /readyz reports: the consumers are running (k8s stops routing to, and KEDA ignores, an unready pod). */
  ready: () => boolean;
  /**
   * Dependencies the stages wait for: /readyz answers 503 naming them. /healthz stays 200, so
   * Kubernetes does not restart a healthy service because the LLM server is away.
   */
  outages?: () => Outage[];
}

/** `/metrics` (Prometheus text), `/healthz` (the process answers), `/readyz` (the stage consumes). */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": opts.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const outages = opts.outages?.() ?? [];
      const ok = opts.ready() && outages.length === 0;
      const body = outages.length > 0 ? outages.map((o) => `${o.stage}: ${describeOutage(o)}: ${o.lastError}\n`).join("") : ok ? "ready\n" : "not ready\n";
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(body);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics, /healthz, /readyz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
