import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { TOPICS, type TopicSpec } from "../../schemas/topics.ts";
import { strictValidate } from "./k8s-schemas.ts";
import { problemWith } from "./sca-commands.ts";
import { ROOT, envVarsReadByCode, kustomize } from "./repo.ts";

type Obj = Record<string, any>;

const OVERLAYS = readdirSync(join(ROOT, "k8s", "overlays"));

function render(dir: string): Obj[] {
  return parseAllDocuments(kustomize(dir)).map((d) => d.toJS() as Obj);
}

const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const containers = (o: Obj): Obj[] => o.spec.template.spec.containers;
const isScaImage = (c: Obj) => String(c.image).startsWith("selfcodealign-stream");

/** Settings the manifests leave to their defaults, with why. */
const NOT_DEPLOYED: Record<string, string> = {
  SCA_STAGE: "set by `sca service` itself for the stage it loads",
  SCA_DEBUG: "CLI stack traces for a developer's terminal",
  SCA_CACHE: "set by the image (Dockerfile ENV); the dev LLM pod sets its own",
  SCA_PYTHON: "only `sca model install`, which finds python3 itself",
  SCA_MODEL_PATH: "only the CPU model, which the dev LLM pod installs into its cache",
  SCA_INSTANCE_ID: "defaults to the hostname, which is the pod name",
  SCA_GROUP_ID: "defaults to the stage name, which the KEDA triggers name as consumerGroup",
  SCA_STATE_DIR: "only the embedded transport; the services use Kafka",
  SCA_SANDBOX_IMAGE: "docker backend only: a pod has no Docker engine, so the verdicts pod runs the pod backend under gVisor",
  SCA_SANDBOX_RUNTIME: "docker backend only (gVisor comes from the pod's RuntimeClass here)",
  SCA_EXTRA_BENCHMARKS_DIR: "`sca ingest` (an operator command, not a deployed service)",
  SCA_DEDUP_DIR: "`sca ingest` (an operator command, not a deployed service)",
  SCA_RESPONSES_MAX_TOKENS: "a per-stage override of LLM_MAX_TOKENS, which the deployment sets for every stage",
  SCA_FORMAT_GRAMMAR: "off by default: grammar-constrained decoding is for the small CPU model of `sca run`, not a vLLM deployment",
  LLM_REPETITION_PENALTY: "off by default (1), as the reference samples",
  SCA_RESPONSES_TESTS: "joint by default, as the reference samples: after-code tests are for the small CPU model of `sca run`",
  SCA_TESTS_TEMPERATURE: "only with after-code tests (SCA_RESPONSES_TESTS), which a vLLM deployment does not use",
  SCA_TESTS_PER_CODE: "only with after-code tests (SCA_RESPONSES_TESTS), which a vLLM deployment does not use",
  SCA_FEWSHOT_POOL: "the default pool, as the reference samples: the easy pool is for the small CPU model of `sca run`",
  SCA_INSTRUCTIONS_CATEGORIES: "empty by default: the reference's draw of task categories",
  SCA_INSTRUCTIONS_DIFFICULTIES: "empty by default: the reference's draw of task difficulties",
};

describe("k8s", () => {
  it("has at least the dev and gpu overlays", () => {
    expect(OVERLAYS).toEqual(expect.arrayContaining(["dev", "gpu"]));
  });

  it("the strict validator rejects a misspelt field and a wrong type (it can fail)", () => {
    const bad = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { selector: {}, template: { spec: { containers: [{ name: "a", image: "b", livenesProbe: {} }] } } },
    };
    expect(strictValidate(bad)).toEqual(["Deployment/x: unknown field spec.template.spec.containers[0].livenesProbe"]);
    const wrong = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "y" },
      spec: { scaleTargetRef: { name: "y" }, triggers: [{ type: "kafka", metadata: { lagThreshold: 5 } }] },
    };
    expect(strictValidate(wrong).join()).toMatch(/lagThreshold must be string/);
    expect(strictValidate({ apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "z" } }).join()).toMatch(/no schema/);
  });

  describe.each(["base", ...OVERLAYS.map((o) => `overlays/${o}`)])("%s", (dir) => {
    const objs = render(join(ROOT, "k8s", dir));
    const names = (kind: string) => new Set(byKind(objs, kind).map((o) => o.metadata.name));

    it("renders, and every object validates against the Kubernetes and KEDA schemas, unknown fields included", () => {
      expect(objs.length).toBeGreaterThan(10);
      expect(objs.flatMap(strictValidate)).toEqual([]);
    });

    it("runs every stage as a Deployment with probes on /healthz and /readyz, resources, and a PDB", () => {
      const stages = byKind(objs, "Deployment").filter((d) => d.metadata.labels?.["app.kubernetes.io/component"] === "stage");
      expect(stages.map((d) => containers(d)[0].args[1]).sort()).toEqual(["concepts", "curation", "instructions", "responses", "selector", "sink", "verdicts"]);
      const pdbs = byKind(objs, "PodDisruptionBudget");
      for (const d of byKind(objs, "Deployment")) {
        for (const c of containers(d)) {
          expect(c.resources?.requests, `${d.metadata.name} requests`).toBeDefined();
          expect(c.resources?.limits, `${d.metadata.name} limits`).toBeDefined();
        }
        if (stages.includes(d)) {
          const c = containers(d)[0];
          expect(c.args[0]).toBe("service");
          expect(c.livenessProbe.httpGet.path).toBe("/healthz");
          expect(c.readinessProbe.httpGet.path).toBe("/readyz");
          expect(d.spec.template.metadata.annotations["prometheus.io/scrape"]).toBe("true");
          const sel = d.spec.selector.matchLabels;
          expect(
            pdbs.some((p) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => sel[k] === v)),
            `PDB for ${d.metadata.name}`,
          ).toBe(true);
        }
      }
    });

    it("runs only real `sca` commands in containers of the sca image", async () => {
      const users = [...byKind(objs, "Deployment"), ...byKind(objs, "Job"), ...byKind(objs, "StatefulSet")];
      const commands = users.flatMap((o) =>
        containers(o)
          .filter(isScaImage)
          .map((c) => [o.metadata.name, c.args as string[]] as const),
      );
      expect(commands.length).toBeGreaterThanOrEqual(7);
      for (const [name, args] of commands) expect(await problemWith(args), `${name}: sca ${args.join(" ")}`).toBeUndefined();
    });

    it("wires every container of the sca image to ConfigMaps and Secrets that exist", () => {
      const cms = names("ConfigMap");
      const secrets = names("Secret");
      const users = [...byKind(objs, "Deployment"), ...byKind(objs, "Job"), ...byKind(objs, "StatefulSet")];
      for (const o of users)
        for (const c of containers(o)) {
          for (const ref of c.envFrom ?? []) {
            if (ref.configMapRef) expect(cms, `${o.metadata.name}: ConfigMap ${ref.configMapRef.name}`).toContain(ref.configMapRef.name);
            if (ref.secretRef) expect(secrets, `${o.metadata.name}: Secret ${ref.secretRef.name}`).toContain(ref.secretRef.name);
          }
          for (const e of c.env ?? []) {
            const cmRef = e.valueFrom?.configMapKeyRef;
            const secRef = e.valueFrom?.secretKeyRef;
            if (cmRef) expect(cms).toContain(cmRef.name);
            if (secRef) expect(secrets).toContain(secRef.name);
          }
        }
    });

    it("sets only settings the code reads, and every setting it reads unless declared left to default", () => {
      const read = envVarsReadByCode();
      const config = byKind(objs, "ConfigMap").find((c) => c.metadata.name.startsWith("sca-config"))!;
      const secret = byKind(objs, "Secret").find((c) => c.metadata.name.startsWith("sca-secrets"))!;
      const set = new Set([...Object.keys(config.data), ...Object.keys(secret.data)]);
      for (const o of [...byKind(objs, "Deployment"), ...byKind(objs, "Job")])
        for (const c of containers(o).filter(isScaImage)) for (const e of c.env ?? []) set.add(e.name);
      expect(
        [...set].filter((v) => !read.has(v)),
        "set but read by no code",
      ).toEqual([]);
      expect([...read].filter((v) => !set.has(v) && !(v in NOT_DEPLOYED)).sort(), "read by the code but not deployed").toEqual([]);
    });

    it("scales each LLM stage, the verdicts stage and the selector on its consumer-group lag, within its topic's partitions", () => {
      const scaled = byKind(objs, "ScaledObject").filter((s) => s.spec.triggers.some((t: Obj) => t.type === "kafka"));
      expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual([
        "sca-concepts",
        "sca-instructions",
        "sca-responses",
        "sca-selector",
        "sca-verdicts",
      ]);
      const config = byKind(objs, "ConfigMap").find((c) => c.metadata.name.startsWith("sca-config"))!;
      const deployments = names("Deployment");
      for (const s of scaled) {
        expect(deployments).toContain(s.spec.scaleTargetRef.name);
        const t = s.spec.triggers[0].metadata;
        const topic = (TOPICS as Record<string, TopicSpec>)[t.topic];
        expect(topic, `topic ${t.topic}`).toBeDefined();
        // The runner's default group is the stage name: the trigger must watch that group.
        expect(topic.consumedBy).toContain(t.consumerGroup);
        expect(s.spec.scaleTargetRef.name).toBe(`sca-${t.consumerGroup}`);
        expect(t.bootstrapServers).toBe(config.data.KAFKA_BROKERS);
        expect(t.allowIdleConsumers).toBe("false");
        expect(s.spec.maxReplicaCount).toBeLessThanOrEqual(topic.partitions);
      }
    });

    it("runs sandbox pods under gVisor and denies their egress beyond Kafka, the registry and DNS", () => {
      const rc = byKind(objs, "RuntimeClass").find((r) => r.handler === "runsc");
      expect(rc).toBeDefined();
      const verdicts = byKind(objs, "Deployment").find((d) => d.metadata.name === "sca-verdicts")!;
      expect(verdicts.spec.template.spec.runtimeClassName).toBe(rc!.metadata.name);
      expect(verdicts.spec.template.spec.automountServiceAccountToken).toBe(false);
      const podLabels = verdicts.spec.template.metadata.labels;
      const policy = byKind(objs, "NetworkPolicy").find((p) => Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v));
      expect(policy?.spec.policyTypes).toContain("Egress");
      const ports = policy!.spec.egress.flatMap((r: Obj) => r.ports.map((p: Obj) => p.port)).sort((a: number, b: number) => a - b);
      expect(ports).toEqual([53, 53, 8080, 9092]);
      expect(policy!.spec.egress.every((r: Obj) => (r.to ?? []).length > 0 && r.to.every((peer: Obj) => !peer.ipBlock))).toBe(true);
    });
  });

  it("gpu: vLLM on GPU nodes with a readiness probe, scaled by KEDA on its own queue", () => {
    const objs = render(join(ROOT, "k8s", "overlays", "gpu"));
    const vllm = byKind(objs, "Deployment").find((d) => d.metadata.name === "vllm")!;
    const pod = vllm.spec.template.spec;
    const c = pod.containers[0];
    expect(c.resources.limits["nvidia.com/gpu"]).toBeGreaterThanOrEqual(1);
    expect(pod.nodeSelector).toBeDefined();
    expect(pod.tolerations.some((t: Obj) => t.key === "nvidia.com/gpu")).toBe(true);
    expect(c.readinessProbe.httpGet.path).toBe("/health");
    const so = byKind(objs, "ScaledObject").find((s) => s.spec.scaleTargetRef.name === "vllm")!;
    const trigger = so.spec.triggers.find((t: Obj) => t.type === "prometheus");
    expect(trigger.metadata.query).toMatch(/^sum\(vllm:num_requests_waiting\b/);
    const config = byKind(objs, "ConfigMap").find((m) => m.metadata.name.startsWith("sca-config"))!;
    expect(config.data.LLM_BASE_URL).toBe("http://vllm:8000/v1");
  });
});
