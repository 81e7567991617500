// The Kubernetes manifests of deploy/kubernetes, checked offline: each object against the
// Kubernetes JSON schemas (kubernetes-models' ajv validators, generated from the API's OpenAPI
// definitions), then against the models' TypeScript types by tsc, which also refuses fields the
// API does not have (the schemas allow any: a misspelt `readOnlyRootFileSystem` would pass them).
// Then what the schemas cannot say: the restricted security context, probes and resources, that
// selectors, ports, Secrets and the autoscaler's target fit together, and that the gateway's
// ConfigMap is a configuration the gateway compiles. They also run, with podman kube play, in
// test/deploy/kube-play.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { readConfig } from '../../packages/jwtgate/src/gateway/config/read-config.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DIR = join(ROOT, 'deploy/kubernetes');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked by the schemas, then read loosely
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface Manifest {
  readonly file: string;
  readonly index: number;
  readonly object: K8sObject;
}

function load(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  return docs.map((doc, index) => {
    assert.deepEqual(doc.errors, [], `${file}: YAML errors`);
    return { file, index, object: doc.toJS() as K8sObject };
  });
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as {
  resources: string[];
  images: { name: string }[];
};
const manifests = files.flatMap(load);
const base = manifests.filter((m) => kustomization.resources.includes(m.file));
const secrets = manifests.filter((m) => m.object.kind === 'Secret');
const ofKind = (kind: string) => base.filter((m) => m.object.kind === kind).map((m) => m.object);
const named = (m: Manifest) => `${m.file}#${m.index} ${m.object.kind}/${m.object.metadata?.name}`;

/** The module of kubernetes-models holding apiVersion's models: `v1`, `apps/v1`, `autoscaling/v2`. */
const modelModule = (apiVersion: string) => `kubernetes-models/${apiVersion}`;

describe('deploy/kubernetes', () => {
  test('the kustomization lists every manifest but the example Secrets, and only files that exist', () => {
    assert.deepEqual(
      [...kustomization.resources].sort(),
      files.filter((f) => f !== 'secrets.example.yaml').sort(),
    );
    assert.deepEqual(
      kustomization.images.map((i) => i.name),
      ['jwtgate'],
    );
    assert.ok(base.length >= 8);
  });

  test('every object is valid against the Kubernetes JSON schema of its kind', async () => {
    for (const m of manifests) {
      const models = (await import(modelModule(m.object.apiVersion))) as Record<
        string,
        new (
          data: unknown,
        ) => { validate(): void }
      >;
      const Model = models[m.object.kind];
      assert.ok(Model, `${named(m)}: no model for ${m.object.apiVersion} ${m.object.kind}`);
      assert.doesNotThrow(() => new Model(m.object).validate(), `${named(m)}`);
    }
  });

  test('the schema check is not vacuous: a wrong type is refused', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1');
    const deployment = structuredClone(ofKind('Deployment')[0]) as K8sObject;
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    assert.throws(() => new Deployment(deployment as never).validate(), /containerPort must be integer/);
  });

  test("no field the API does not have (tsc against the models' types)", () => {
    const dir = join(ROOT, 'node_modules/.cache/jwtgate-manifests');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    const imports = new Map<string, string>();
    manifests.forEach((m, i) => {
      const type = `I${m.object.kind}`;
      const alias = `${type}_${i}`;
      imports.set(
        alias,
        `import type { ${type} as ${alias} } from '${modelModule(m.object.apiVersion)}/${m.object.kind}';`,
      );
      lines.push(`// ${named(m)}`, `export const m${i}: ${alias} = ${JSON.stringify(m.object, null, 2)};`);
    });
    // A misspelt field, which tsc must refuse (else the check proves nothing).
    lines.push(
      "import type { IDeployment as Probe } from 'kubernetes-models/apps/v1/Deployment';",
      'export const probe: Probe = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", labelz: {} } };',
    );
    writeFileSync(join(dir, 'manifests.ts'), [...imports.values(), ...lines].join('\n'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2024',
          skipLibCheck: true,
          types: [],
        },
        files: ['manifests.ts'],
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
        encoding: 'utf8',
      });
    } catch (err) {
      output = (err as { stdout: string }).stdout;
    }
    const errors = output.split('\n').filter((l) => l.includes('error TS'));
    assert.equal(errors.length, 1, `exactly the planted error, got:\n${output}`);
    assert.match(errors[0] as string, /'labelz' does not exist/);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const deployment of ofKind('Deployment')) {
    const name = deployment.metadata.name;
    const pod = deployment.spec.template.spec;

    test(`${name}: the restricted security context, on the pod and every container`, () => {
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.hostNetwork ?? false, false);
      for (const c of pod.containers) {
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
        assert.equal(c.securityContext.privileged ?? false, false, c.name);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], c.name);
        assert.equal(c.securityContext.capabilities.add, undefined, c.name);
      }
    });

    test(`${name}: probes on /healthz (startup, liveness) and /readyz (readiness), resource requests`, () => {
      for (const c of pod.containers) {
        const portNames = new Set(c.ports.map((p: { name: string }) => p.name));
        assert.equal(c.livenessProbe.httpGet.path, '/healthz');
        assert.equal(c.startupProbe.httpGet.path, '/healthz');
        assert.equal(c.readinessProbe.httpGet.path, '/readyz');
        for (const probe of [c.livenessProbe, c.startupProbe, c.readinessProbe])
          assert.ok(
            portNames.has(probe.httpGet.port),
            `${c.name}: probe port ${probe.httpGet.port} is declared`,
          );
        assert.ok(
          c.resources.requests.cpu && c.resources.requests.memory,
          `${c.name} requests cpu and memory`,
        );
        assert.ok(c.resources.limits.memory, `${c.name} has a memory limit`);
        assert.equal(c.image, 'jwtgate', 'the image is set by the kustomization');
      }
    });

    test(`${name}: the selector matches the pod template, and every Secret it reads is shown`, () => {
      const labels = deployment.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(labels[k], v);
      for (const c of pod.containers) {
        for (const env of c.env ?? []) {
          const ref = env.valueFrom?.secretKeyRef;
          if (!ref || ref.optional) continue;
          const secret = secrets.find((s) => s.object.metadata.name === ref.name)?.object;
          assert.ok(secret, `${name}: Secret ${ref.name} is in secrets.example.yaml`);
          assert.ok(ref.key in { ...secret.stringData, ...secret.data }, `${ref.name} has key ${ref.key}`);
        }
      }
    });
  }

  test('each Service and PodDisruptionBudget selects the pods of one Deployment, on ports they declare', () => {
    const deployments = ofKind('Deployment');
    const selects = (selector: Record<string, string>) =>
      deployments.filter((d) =>
        Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
    for (const service of ofKind('Service')) {
      const [target, ...more] = selects(service.spec.selector);
      assert.ok(target && more.length === 0, `Service ${service.metadata.name} selects one Deployment`);
      const ports = target.spec.template.spec.containers.flatMap((c: { ports: { name: string }[] }) =>
        c.ports.map((p) => p.name),
      );
      for (const p of service.spec.ports)
        assert.ok(ports.includes(p.targetPort), `${p.targetPort} is declared`);
      assert.ok(
        !service.spec.ports.some((p: { targetPort: string }) => p.targetPort === 'admin'),
        'the unauthenticated admin listener is not in a Service',
      );
    }
    for (const pdb of ofKind('PodDisruptionBudget')) {
      assert.equal(selects(pdb.spec.selector.matchLabels).length, 1, `PDB ${pdb.metadata.name}`);
    }
  });

  test('the gateway autoscaler targets its Deployment, which leaves the replica count to it', () => {
    const [hpa] = ofKind('HorizontalPodAutoscaler');
    assert.ok(hpa);
    const target = ofKind('Deployment').find((d) => d.metadata.name === hpa.spec.scaleTargetRef.name);
    assert.ok(target, 'the scale target exists');
    assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
    assert.equal(target.spec.replicas, undefined);
    assert.ok(hpa.spec.minReplicas >= 2);
    assert.ok(
      target.spec.template.spec.containers[0].resources.requests.cpu,
      'CPU utilization needs a request',
    );
  });

  test('the gateway ConfigMap is a configuration the gateway compiles, mounted where --config reads it', () => {
    const [configMap] = ofKind('ConfigMap');
    assert.ok(configMap?.data);
    const dir = join(ROOT, 'node_modules/.cache/jwtgate-configmap');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'jwtgate.yaml');
    writeFileSync(file, configMap.data['jwtgate.yaml'] as string);
    const { config } = readConfig(file, { REDIS_URL: 'redis://redis:6379' });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(config.gateway.admin?.listen, '0.0.0.0:9901');
    assert.equal(config.gateway.listen, '0.0.0.0:9001');
    const gateway = ofKind('Deployment').find((d) => d.metadata.name === 'jwtgate-gateway');
    const container = gateway?.spec.template.spec.containers[0];
    assert.ok(container.args.includes('--config=/etc/jwtgate/jwtgate.yaml'));
    assert.ok(container.args.includes('--watch'), 'reloads the ConfigMap when it changes');
    const mount = container.volumeMounts.find((v: { mountPath: string }) => v.mountPath === '/etc/jwtgate');
    assert.equal(mount.subPath, undefined, 'a subPath mount is never updated by the kubelet');
    const volume = gateway?.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    assert.equal(volume.configMap.name, configMap.metadata.name);
    const ports = container.ports.map((p: { containerPort: number }) => p.containerPort);
    assert.deepEqual(ports, [9001, 9901]);
  });
});
