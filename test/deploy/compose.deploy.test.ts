import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { problemWith } from "./sca-commands.ts";
import { envVarsReadByCode, run } from "./repo.ts";

type Obj = Record<string, any>;

/** Services of docker-compose.yml as Debian's docker-compose resolves them with .env.example. */
function resolved(): Obj {
  return parse(run("docker-compose", ["--env-file", ".env.example", "-f", "docker-compose.yml", "config"])) as Obj;
}

const isSca = (s: Obj) => String(s.image).startsWith("selfcodealign-stream");

describe("docker-compose.yml", () => {
  const config = resolved();
  const services = config.services as Record<string, Obj>;

  it("is accepted by a real Compose implementation", () => {
    expect(run("docker-compose", ["--env-file", ".env.example", "-f", "docker-compose.yml", "config", "-q"])).toBe("");
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["kafka", "schema-registry", "vllm", "topics", "prometheus", "grafana"]));
  });

  it("runs every stage as a service of the one image, each command a real `sca` command", async () => {
    const sca = Object.entries(services).filter(([, s]) => isSca(s));
    const stages = sca.filter(([, s]) => s.command[0] === "service").map(([, s]) => s.command[1]);
    expect(stages.sort()).toEqual(["concepts", "curation", "instructions", "responses", "selector", "sink", "verdicts"]);
    for (const [name, s] of sca) expect(await problemWith(s.command), `service ${name}: sca ${s.command.join(" ")}`).toBeUndefined();
    expect(services.topics.command).toEqual(["topics", "create"]);
  });

  it("rejects a command the CLI does not have (the check can fail)", async () => {
    expect(await problemWith(["servce", "concepts"])).toMatch(/no such command/);
    expect(await problemWith(["service", "nonexistent"])).toMatch(/no stage "nonexistent"/);
    expect(await problemWith(["service", "concepts", "--bogus"])).toMatch(/no option --bogus/);
  });

  it("sets only environment variables the code reads", () => {
    const read = envVarsReadByCode();
    for (const [name, s] of Object.entries(services).filter(([, s]) => isSca(s)))
      expect(
        Object.keys(s.environment).filter((v) => !read.has(v) && v !== "DOCKER_HOST"),
        name,
      ).toEqual([]);
  });

  it("gives vLLM the GPUs from .env and the stages its URL", () => {
    const devices = services.vllm.deploy.resources.reservations.devices;
    expect(devices[0].capabilities).toContain("gpu");
    expect(Number(devices[0].count)).toBeGreaterThanOrEqual(1);
    expect(services.vllm.command).toContain(`--model=${services.concepts.environment.LLM_MODEL}`);
    expect(services.concepts.environment.LLM_BASE_URL).toBe("http://vllm:8000/v1");
  });

  it("gives only the verdicts stage the Docker engine", () => {
    for (const [name, s] of Object.entries(services)) {
      const socket = (s.volumes ?? []).some((v: Obj | string) => String(typeof v === "string" ? v : v.target).includes("docker.sock"));
      expect(socket, name).toBe(name === "verdicts");
    }
  });
});
