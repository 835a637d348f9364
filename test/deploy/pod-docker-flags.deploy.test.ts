import { describe, expect, it } from "vitest";
import { podDockerFlags } from "./pod/docker-flags.ts";

/** A Deployment in the shape the k8s manifests render to, with `patch` applied to its pod spec. */
function objs(patch: (pod: Record<string, any>) => void = () => {}) {
  const pod: Record<string, any> = {
    runtimeClassName: "gvisor",
    securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: "Unconfined" } },
    containers: [
      {
        name: "c",
        image: "sca",
        envFrom: [{ configMapRef: { name: "cfg" } }, { secretRef: { name: "sec" } }],
        env: [{ name: "B", value: "2" }],
        resources: { limits: { memory: "6Gi" } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["SETUID"] } },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
    ],
    volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "512Mi" } }],
  };
  patch(pod);
  return [
    { kind: "Deployment", metadata: { name: "d" }, spec: { template: { spec: pod } } },
    { kind: "RuntimeClass", metadata: { name: "gvisor" }, handler: "runsc" },
    { kind: "ConfigMap", metadata: { name: "cfg" }, data: { A: "1" } },
    { kind: "Secret", metadata: { name: "sec" }, data: { KEY: "cGxhY2Vob2xkZXI=" } },
  ];
}

describe("docker run flags of a Deployment's pod", () => {
  it("reproduces runtime, user, capabilities, privilege escalation, read-only root, seccomp, volumes, env and memory", () => {
    const { flags, secretValues } = podDockerFlags(objs(), "d", (k) => `v-${k}`);
    expect(flags).toEqual([
      "--runtime",
      "runsc",
      "--user",
      "0:0",
      "--cap-drop",
      "ALL",
      "--cap-add",
      "SETUID",
      "--security-opt",
      "no-new-privileges",
      "--read-only",
      "--security-opt",
      "seccomp=unconfined",
      "--tmpfs",
      "/tmp:rw,exec,mode=0777,size=512m",
      "--env",
      "A=1",
      "--env",
      "KEY=v-KEY",
      "--env",
      "B=2",
      "--memory",
      "6g",
    ]);
    expect(secretValues).toEqual(["v-KEY"]);
  });

  it("mounts an optional ConfigMap the manifests lack as an empty read-only folder, and a disk emptyDir from a host folder when asked", () => {
    const withVolumes = (p: Record<string, any>) => {
      p.containers[0].volumeMounts.push({ name: "state", mountPath: "/var/lib/sca" }, { name: "extra", mountPath: "/data/extra", readOnly: true });
      p.volumes.push({ name: "state", emptyDir: {} }, { name: "extra", configMap: { name: "operator-made", optional: true } });
    };
    const { flags } = podDockerFlags(objs(withVolumes), "d", String, { emptyDirs: { state: "/host/state" } });
    expect(flags.join(" ")).toContain("--tmpfs /tmp:rw,exec,mode=0777,size=512m --volume /host/state:/var/lib/sca --tmpfs /data/extra:ro,mode=0755 --env");
    expect(() => podDockerFlags(objs(withVolumes), "d", String, { emptyDirs: { tmp: "/host/tmp" } })).toThrow(/memory emptyDir/);
    expect(() =>
      podDockerFlags(
        objs((p) => (withVolumes(p), (p.volumes[2].configMap.optional = false))),
        "d",
        String,
      ),
    ).toThrow(/not an emptyDir/);
  });

  it("refuses what it cannot reproduce, so that no manifest change escapes the test", () => {
    expect(() =>
      podDockerFlags(
        objs((p) => (p.securityContext.fsGroup = 1)),
        "d",
        String,
      ),
    ).toThrow(/fsGroup/);
    expect(() =>
      podDockerFlags(
        objs((p) => (p.hostNetwork = true)),
        "d",
        String,
      ),
    ).toThrow(/hostNetwork/);
    expect(() =>
      podDockerFlags(
        objs((p) => (p.containers[0].command = ["sh"])),
        "d",
        String,
      ),
    ).toThrow(/command/);
    expect(() =>
      podDockerFlags(
        objs((p) => (p.containers[0].securityContext.privileged = true)),
        "d",
        String,
      ),
    ).toThrow(/privileged/);
    expect(() =>
      podDockerFlags(
        objs((p) => (p.volumes[0] = { name: "tmp", hostPath: { path: "/x" } })),
        "d",
        String,
      ),
    ).toThrow(/not an emptyDir/);
    expect(() =>
      podDockerFlags(
        objs((p) => (p.securityContext.seccompProfile = { type: "Localhost" })),
        "d",
        String,
      ),
    ).toThrow(/seccomp Localhost/);
    expect(() =>
      podDockerFlags(
        objs((p) => Object.assign(p.securityContext, { runAsNonRoot: true })),
        "d",
        String,
      ),
    ).toThrow(/runAsNonRoot/);
  });
});
