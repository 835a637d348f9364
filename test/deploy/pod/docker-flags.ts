/**
 * `docker run` flags that reproduce one Deployment's pod as Kubernetes would run its first container:
 * user, capabilities, privilege escalation, seccomp, read-only root, emptyDir volumes, environment,
 * memory limit and runtime (the RuntimeClass's handler). Fails on any security-relevant field it does
 * not know how to reproduce, so that a manifest change can never silently escape the test.
 */
type Obj = Record<string, any>;

export interface PodRun {
  flags: string[];
  /** Values of the Secrets the container reads, as generated for this run (the repo holds placeholders). */
  secretValues: string[];
}

/** Pod and container fields that change nothing inside the container, or that are reproduced below. */
const POD_FIELDS = new Set(["runtimeClassName", "securityContext", "containers", "volumes", "automountServiceAccountToken", "terminationGracePeriodSeconds"]);
const CONTAINER_FIELDS = new Set([
  "name",
  "image",
  "args",
  "envFrom",
  "env",
  "ports",
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "resources",
  "securityContext",
  "volumeMounts",
]);
const POD_SECURITY = new Set(["runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile"]);
const CONTAINER_SECURITY = new Set([
  "allowPrivilegeEscalation",
  "readOnlyRootFilesystem",
  "capabilities",
  "runAsUser",
  "runAsGroup",
  "runAsNonRoot",
  "seccompProfile",
]);

function unknownKeys(o: Obj | undefined, known: Set<string>, where: string): void {
  const bad = Object.keys(o ?? {}).filter((k) => !known.has(k));
  if (bad.length) throw new Error(`${where}: cannot reproduce ${bad.join(", ")} with docker run`);
}

/** Kubernetes quantities as docker's: 6Gi -> 6g, 512Mi -> 512m. */
function bytes(q: string): string {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: not understood`);
  return `${m[1]}${{ Ki: "k", Mi: "m", Gi: "g", "": "b" }[m[2] ?? ""]}`;
}

/**
 * `emptyDirs`: a host folder (mode 0777, as the kubelet makes one) to stand for a disk emptyDir, for
 * a test that restarts the container in the same pod: the kubelet keeps an emptyDir across those,
 * and a tmpfs would not survive them.
 */
export function podDockerFlags(
  objs: Obj[],
  deployment: string,
  secretValue: (key: string) => string,
  opts: { emptyDirs?: Record<string, string> } = {},
): PodRun {
  const d = objs.find((o) => o.kind === "Deployment" && o.metadata.name === deployment);
  if (!d) throw new Error(`no Deployment ${deployment}`);
  const pod = d.spec.template.spec as Obj;
  const c = pod.containers[0] as Obj;
  const flags: string[] = [];
  const secretValues: string[] = [];
  unknownKeys(pod, POD_FIELDS, `${deployment} pod spec`);
  unknownKeys(c, CONTAINER_FIELDS, `${deployment} container`);
  if (pod.containers.length !== 1) throw new Error(`${deployment}: ${pod.containers.length} containers, not reproduced`);

  if (pod.runtimeClassName) {
    const rc = objs.find((o) => o.kind === "RuntimeClass" && o.metadata.name === pod.runtimeClassName);
    if (!rc) throw new Error(`RuntimeClass ${pod.runtimeClassName} is not in the manifests`);
    flags.push("--runtime", rc.handler);
  }

  const psc = (pod.securityContext ?? {}) as Obj;
  const csc = (c.securityContext ?? {}) as Obj;
  unknownKeys(psc, POD_SECURITY, `${deployment} pod securityContext`);
  unknownKeys(csc, CONTAINER_SECURITY, `${deployment} container securityContext`);
  // The container's settings win over the pod's, as in Kubernetes.
  const sc = { ...psc, ...csc };
  if (sc.runAsUser !== undefined) flags.push("--user", `${sc.runAsUser}:${sc.runAsGroup ?? 0}`);
  // The kubelet refuses to start such a container: so does this.
  if (sc.runAsNonRoot === true && (sc.runAsUser ?? -1) === 0) throw new Error(`${deployment}: runAsNonRoot with runAsUser 0`);
  unknownKeys(csc.capabilities, new Set(["drop", "add"]), `${deployment} capabilities`);
  for (const cap of csc.capabilities?.drop ?? []) flags.push("--cap-drop", cap);
  for (const cap of csc.capabilities?.add ?? []) flags.push("--cap-add", cap);
  if (csc.allowPrivilegeEscalation === false) flags.push("--security-opt", "no-new-privileges");
  if (csc.readOnlyRootFilesystem === true) flags.push("--read-only");
  const seccomp = sc.seccompProfile?.type ?? "RuntimeDefault";
  if (seccomp === "Unconfined") flags.push("--security-opt", "seccomp=unconfined");
  else if (seccomp !== "RuntimeDefault") throw new Error(`${deployment}: seccomp ${seccomp} not reproduced`);

  const volumes = new Map<string, Obj>((pod.volumes ?? []).map((v: Obj) => [v.name, v]));
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    // An optional ConfigMap the manifests do not hold (the operator's to create): the kubelet mounts an empty folder.
    if (v?.configMap?.optional === true && !objs.some((o) => o.kind === "ConfigMap" && o.metadata.name === v.configMap.name)) {
      flags.push("--tmpfs", `${m.mountPath}:ro,mode=0755`);
      continue;
    }
    if (!v?.emptyDir) throw new Error(`${deployment}: volume ${m.name} is not an emptyDir, not reproduced`);
    const host = opts.emptyDirs?.[m.name];
    if (host) {
      if (v.emptyDir.medium === "Memory") throw new Error(`${deployment}: volume ${m.name} is a memory emptyDir, not a folder`);
      flags.push("--volume", `${host}:${m.mountPath}`);
      continue;
    }
    // The kubelet makes an emptyDir world-writable (0777, no sticky bit). A disk one becomes a tmpfs too:
    // the same contents, mode and lifetime; its sizeLimit (kubelet eviction) becomes the tmpfs size.
    const size = v.emptyDir.sizeLimit ? `,size=${bytes(v.emptyDir.sizeLimit)}` : "";
    flags.push("--tmpfs", `${m.mountPath}:rw,exec,mode=0777${size}`);
  }

  const env = new Map<string, string>();
  for (const ref of c.envFrom ?? []) {
    const name = ref.configMapRef?.name ?? ref.secretRef?.name;
    const src = objs.find((o) => o.kind === (ref.configMapRef ? "ConfigMap" : "Secret") && o.metadata.name === name);
    if (!src) throw new Error(`${deployment}: envFrom ${name} not in the manifests`);
    for (const key of Object.keys(src.data ?? {})) {
      if (ref.secretRef) {
        const value = secretValue(key);
        secretValues.push(value);
        env.set(key, value);
      } else env.set(key, String(src.data[key]));
    }
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom) throw new Error(`${deployment}: env ${e.name} from valueFrom not reproduced`);
    env.set(e.name, String(e.value));
  }
  for (const [k, v] of env) flags.push("--env", `${k}=${v}`);

  const memory = c.resources?.limits?.memory;
  if (memory) flags.push("--memory", bytes(memory));
  return { flags, secretValues };
}
