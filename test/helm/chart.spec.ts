import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import { TemplateSkeleton, actionsOf, namedTemplates } from './template-skeleton.js';
import { hasPath, isWithin, leafPaths, valuesReferences } from './values-paths.js';

/**
 * The Helm chart, checked without a helm binary: values.yaml against values.schema.json,
 * every `.Values` reference against values.yaml, and the literal structure of each template
 * (see template-skeleton.ts) for the properties the service depends on.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chartDir = path.join(repo, 'helm/mls-identity');
const templatesDir = path.join(chartDir, 'templates');
const read = (file: string): string => readFileSync(file, 'utf8');

type Doc = Record<string, any>;

const values = load(read(path.join(chartDir, 'values.yaml'))) as Doc;
const schema = JSON.parse(read(path.join(chartDir, 'values.schema.json'))) as Doc;
const templateFiles = readdirSync(templatesDir).sort();
const templates = new Map(templateFiles.map((f) => [f, read(path.join(templatesDir, f))]));
const manifestFiles = templateFiles.filter((f) => f.endsWith('.yaml'));
const named = namedTemplates(templates.get('_helpers.tpl')!);
const skeleton = new TemplateSkeleton(named);
const docs = new Map(manifestFiles.map((f) => [f, skeleton.documents(templates.get(f)!) as Doc[]]));

function only(file: string, kind: string): Doc {
  const found = (docs.get(file) ?? []).filter((d) => d.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** Whether a skeleton value came from an action mentioning `fragment`. */
function from(value: unknown, fragment: string): boolean {
  return skeleton.expressionsIn(value).some((e) => e.includes(fragment));
}

function withValues(patch: (v: Doc) => void): Doc {
  const copy = structuredClone(values);
  patch(copy);
  return copy;
}

describe('values.yaml and values.schema.json', () => {
  let validate: ValidateFunction;

  beforeAll(() => {
    validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
  });

  it('the defaults satisfy the schema', () => {
    const ok = validate(values);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each<[string, (v: Doc) => void]>([
    ['replicaCount as a string', (v) => (v.replicaCount = 'two')],
    ['an unknown top-level key', (v) => (v.replicas = 3)],
    ['an unknown nested key', (v) => (v.image.tagg = '1.0')],
    ['a secret value in values', (v) => (v.secrets.databaseUrl = 'postgres://u:p@db/x')],
    ['a secret smuggled through extraEnv', (v) => (v.extraEnv = [{ name: 'KEK', value: 'AAAA' }])],
    ['an empty existingSecret', (v) => (v.secrets.existingSecret = '')],
    ['a publicUrl without scheme', (v) => (v.config.publicUrl = 'identity.example.com')],
    ['a publicUrl with a trailing slash', (v) => (v.config.publicUrl = 'https://identity.example.com/')],
    ['an unknown log level', (v) => (v.config.logLevel = 'verbose')],
    ['a privileged port', (v) => (v.config.port = 80)],
    ['root as the pod user', (v) => (v.podSecurityContext.runAsUser = 0)],
    ['a malformed CPU quantity', (v) => (v.resources.limits.cpu = 'one')],
    ['an HPA without minReplicas', (v) => delete v.autoscaling.minReplicas],
    ['an unknown ingress pathType', (v) => (v.ingress.hosts[0].paths[0].pathType = 'Regex')],
    ['a rule selector breaking out of its braces', (v) => (v.metrics.prometheusRule.selector = 'job="x"} or vector(1) or up{')],
    ['a multi-line rule selector', (v) => (v.metrics.prometheusRule.selector = 'job="x",\nenv="y"')],
    ['a certificate warning of 0 days', (v) => (v.metrics.prometheusRule.certificateExpiryWarningDays = 0)],
    ['a rule duration without unit', (v) => (v.metrics.prometheusRule.removalsOverdueFor = '5')],
    ['a continuity duration without unit', (v) => (v.metrics.prometheusRule.continuityFlaggedFor = '5')],
    ['an unknown rule setting', (v) => (v.metrics.prometheusRule.severity = 'page')],
    ['a witness claim without ReadWriteMany', (v) => (v.transparency.witness.persistentVolumeClaim.accessModes = ['ReadWriteOnce'])],
    ['a witness claim with no access mode', (v) => (v.transparency.witness.persistentVolumeClaim.accessModes = [])],
    ['a witness enabled as a string', (v) => (v.transparency.witness.enabled = 'true')],
    ['a malformed witness claim name', (v) => (v.transparency.witness.existingClaim = 'My_Claim')],
    ['a malformed witness size', (v) => (v.transparency.witness.persistentVolumeClaim.size = 'big')],
    ['an unknown witness setting', (v) => (v.transparency.witness.mountPath = '/data')],
    ['KT_WITNESS_DIR through extraEnv', (v) => (v.extraEnv = [{ name: 'KT_WITNESS_DIR', value: '/tmp/w' }])],
  ])('rejects %s', (_name, patch) => {
    expect(validate(withValues(patch))).toBe(false);
  });

  it('accepts a typical production override', () => {
    const production = withValues((v) => {
      v.config.publicUrl = 'https://identity.example.com';
      v.image.digest = `sha256:${'a'.repeat(64)}`;
      v.ingress.enabled = true;
      v.ingress.tls = [{ secretName: 'identity-tls', hosts: ['identity.example.com'] }];
      v.metrics.serviceMonitor.enabled = true;
      v.metrics.serviceMonitor.labels = { release: 'prometheus' };
      v.metrics.prometheusRule.enabled = true;
      v.metrics.prometheusRule.labels = { release: 'prometheus' };
      v.metrics.prometheusRule.selector = 'namespace="identity",service="mls-identity"';
      v.extraEnv = [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=384' }];
      v.transparency.witness.enabled = true;
      v.transparency.witness.persistentVolumeClaim.storageClass = 'nfs-client';
    });
    expect(validate(production)).toBe(true);
    const existing = withValues((v) => {
      v.transparency.witness.enabled = true;
      v.transparency.witness.existingClaim = 'mls-identity-kt-witness';
    });
    expect(validate(existing)).toBe(true);
  });

  it('leaves the witness off by default, on a ReadWriteMany claim when enabled', () => {
    expect(values.transparency.witness.enabled).toBe(false);
    expect(values.transparency.witness.existingClaim).toBe('');
    expect(values.transparency.witness.persistentVolumeClaim.accessModes).toEqual(['ReadWriteMany']);
  });

  it('is strict wherever it lists properties', () => {
    const loose: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Doc;
      if (n.properties && n.additionalProperties !== false) loose.push(where);
      for (const [k, v] of Object.entries(n)) walk(v, `${where}/${k}`);
    };
    walk(schema, '#');
    expect(loose).toEqual([]);
  });

  it('keeps secret material out of the defaults', () => {
    expect(Object.keys(values.secrets).sort()).toEqual(['existingSecret', 'keys']);
    expect(JSON.stringify(values)).not.toMatch(/postgres(ql)?:\/\/|password/i);
  });
});

describe('.Values references', () => {
  const references = new Map(templateFiles.map((f) => [f, valuesReferences(templates.get(f)!)]));

  it('every template reads only values that values.yaml defines', () => {
    const missing = Object.fromEntries(
      [...references].map(([f, refs]) => [f, refs.filter((r) => !hasPath(values, r))] as const).filter(([, m]) => m.length > 0),
    );
    expect(missing).toEqual({});
  });

  it('every value in values.yaml is read by some template', () => {
    const all = [...references.values()].flat();
    const unread = leafPaths(values).filter((leaf) => !all.some((r) => isWithin(leaf, r)));
    expect(unread).toEqual([]);
  });

  it('the chart README documents every value', () => {
    const readme = read(path.join(chartDir, 'README.md'));
    const documented = [...readme.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1]!);
    expect(documented.filter((d) => !hasPath(values, d))).toEqual([]);
    expect(leafPaths(values).filter((leaf) => !documented.some((d) => isWithin(leaf, d)))).toEqual([]);
  });
});

describe('template structure', () => {
  it('every manifest template is YAML with a named, labelled Kubernetes object', () => {
    const kinds: string[] = [];
    for (const [file, list] of docs) {
      expect([file, list.length]).toEqual([file, 1]);
      for (const d of list) {
        kinds.push(d.kind);
        expect(typeof d.apiVersion).toBe('string');
        expect(from(d.metadata?.name, 'include "mls-identity.')).toBe(true);
        expect(d.metadata.labels['app.kubernetes.io/name']).toBeDefined();
        expect(d.metadata.labels['app.kubernetes.io/instance']).toBeDefined();
      }
    }
    expect(kinds.sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Ingress',
        'Job',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'PrometheusRule',
        'Service',
        'ServiceAccount',
        'ServiceAccount',
        'ServiceMonitor',
      ].sort(),
    );
  });

  it('the chart creates no Secret and never writes a secret value', () => {
    for (const [file, text] of templates) {
      expect([file, /kind:\s*Secret\b/.test(text)]).toEqual([file, false]);
    }
    const secretNames = ['DATABASE_URL', 'KEK', 'ADMIN_TOKEN'];
    const configMap = only('configmap.yaml', 'ConfigMap');
    expect(Object.keys(configMap.data).filter((k) => secretNames.includes(k))).toEqual([]);
  });

  describe.each([
    ['deployment.yaml', 'Deployment', 'main.js', 'resources'],
    ['migration-job.yaml', 'Job', 'migrate.js', 'migration.resources'],
  ])('%s', (file, kind, entry, resources) => {
    const pod = (): Doc => only(file, kind).spec.template.spec;
    const container = (): Doc => {
      expect(pod().containers).toHaveLength(1);
      return pod().containers[0];
    };

    it('runs as non-root with RuntimeDefault seccomp at pod level', () => {
      expect(pod().securityContext.runAsNonRoot).toBe(true);
      expect(pod().securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(from(pod().securityContext.runAsUser, '.Values.podSecurityContext.runAsUser')).toBe(true);
      expect(pod().automountServiceAccountToken).toBe(false);
    });

    it('hardens the container: read-only root, no escalation, no capabilities', () => {
      const sc = container().securityContext;
      expect(sc.runAsNonRoot).toBe(true);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.privileged).toBe(false);
      expect(sc.capabilities).toEqual({ drop: ['ALL'] });
      expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    });

    it('gives the read-only container a size-capped emptyDir at /tmp', () => {
      expect(container().volumeMounts[0]).toEqual({ name: 'tmp', mountPath: '/tmp' });
      const tmp = pod().volumes.find((v: Doc) => v.name === 'tmp');
      expect(from(tmp.emptyDir.sizeLimit, '.Values.tmpSizeLimit')).toBe(true);
    });

    it(`starts ${entry} from the chart's image`, () => {
      expect(container().command).toEqual(['node', `dist/apps/identity-service/src/${entry}`]);
      expect(from(container().image, 'include "mls-identity.image"')).toBe(true);
    });

    it(`sets requests and limits from .Values.${resources}`, () => {
      expect(templates.get(file)).toMatch(new RegExp(`\\n( +)resources:\\n\\1  \\{\\{- toYaml \\.Values\\.${resources.replace('.', '\\.')} \\|`));
      const configured = resources.split('.').reduce((node: Doc, key) => node[key], values);
      for (const bound of ['requests', 'limits']) {
        expect([bound, Object.keys(configured[bound]).sort()]).toEqual([bound, ['cpu', 'memory']]);
      }
    });

    it('takes DATABASE_URL, KEK and ADMIN_TOKEN from the existing Secret by secretKeyRef', () => {
      const env: Doc[] = container().env;
      const keyFor = { DATABASE_URL: 'databaseUrl', KEK: 'kek', ADMIN_TOKEN: 'adminToken' };
      for (const [name, key] of Object.entries(keyFor)) {
        const entries = env.filter((e) => e.name === name);
        expect([name, entries.length]).toEqual([name, 1]);
        expect(entries[0]).not.toHaveProperty('value');
        const ref = entries[0]!.valueFrom.secretKeyRef;
        expect(from(ref.name, '.Values.secrets.existingSecret')).toBe(true);
        expect(from(ref.key, `.Values.secrets.keys.${key}`)).toBe(true);
      }
    });
  });

  describe('Deployment', () => {
    const deployment = (): Doc => only('deployment.yaml', 'Deployment');
    const container = (): Doc => deployment().spec.template.spec.containers[0];

    it('runs 2+ replicas by default and rolls without losing capacity', () => {
      expect(from(deployment().spec.replicas, '.Values.replicaCount')).toBe(true);
      expect(values.replicaCount).toBeGreaterThanOrEqual(2);
      expect(values.autoscaling.minReplicas).toBeGreaterThanOrEqual(2);
      expect(deployment().spec.strategy.type).toBe('RollingUpdate');
      expect(values.rollingUpdate.maxUnavailable).toBe(0);
    });

    it('probes liveness and readiness on the health endpoints of the named port', () => {
      expect(container().ports).toEqual([
        expect.objectContaining({ name: 'http', protocol: 'TCP' }),
        expect.objectContaining({ name: 'metrics', protocol: 'TCP' }),
      ]);
      expect(container().livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(container().readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container().startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    });

    it('reads non-secret configuration from the ConfigMap and restarts when it changes', () => {
      expect(container().envFrom).toHaveLength(1);
      expect(from(container().envFrom[0].configMapRef.name, 'include "mls-identity.fullname"')).toBe(true);
      const checksum = deployment().spec.template.metadata.annotations['checksum/config'];
      expect(from(checksum, '/configmap.yaml')).toBe(true);
    });

    it('spreads pods over topology domains, selecting its own pods', () => {
      const [spread] = deployment().spec.template.spec.topologySpreadConstraints;
      expect(skeleton.expressionsIn(spread.topologyKey)).toEqual(['.']);
      expect(actionsOf(templates.get('deployment.yaml')!)).toContain('range .Values.topologySpread.topologyKeys');
      expect(spread.labelSelector.matchLabels).toEqual(deployment().spec.selector.matchLabels);
      expect(values.topologySpread.enabled).toBe(true);
    });

    it('selects pods by labels that its pod template carries', () => {
      const selector = deployment().spec.selector.matchLabels;
      expect(Object.keys(selector).sort()).toEqual([
        'app.kubernetes.io/component',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/name',
      ]);
      expect(deployment().spec.template.metadata.labels).toMatchObject(selector);
    });

    it('mounts the key-transparency witness claim, only when enabled, where KT_WITNESS_DIR points', () => {
      const text = templates.get('deployment.yaml')!;
      const mounts: Doc[] = container().volumeMounts;
      expect(mounts.map((m) => m.name)).toEqual(['tmp', 'kt-witness']);
      const mount = mounts.find((m) => m.name === 'kt-witness')!;
      expect(skeleton.expressionsIn(mount.mountPath)).toEqual(['include "mls-identity.witnessDir" .']);
      expect(mount).not.toHaveProperty('readOnly');
      const volume = deployment().spec.template.spec.volumes.find((v: Doc) => v.name === 'kt-witness');
      expect(Object.keys(volume)).toEqual(['name', 'persistentVolumeClaim']);
      expect(skeleton.expressionsIn(volume.persistentVolumeClaim.claimName)).toEqual(['include "mls-identity.witnessClaimName" .']);
      // both the mount and the volume sit inside `if .Values.transparency.witness.enabled` blocks
      const guarded = [...text.matchAll(/\{\{- if \.Values\.transparency\.witness\.enabled \}\}([\s\S]*?)\{\{- end \}\}/g)].map((m) => m[1]!);
      expect(guarded).toHaveLength(2);
      expect(guarded[0]).toMatch(/- name: kt-witness\n\s+mountPath: \{\{ include "mls-identity\.witnessDir" \. \}\}/);
      expect(guarded[1]).toMatch(/- name: kt-witness\n\s+persistentVolumeClaim:\n\s+claimName: \{\{ include "mls-identity\.witnessClaimName" \. \}\}/);
      expect(text.replace(/\{\{- if \.Values\.transparency\.witness\.enabled \}\}[\s\S]*?\{\{- end \}\}/g, '')).not.toMatch(/kt-witness|witness/);
    });

    it('sets KT_WITNESS_DIR in the ConfigMap, to the fixed mount path, only when the witness is enabled', () => {
      const configMap = only('configmap.yaml', 'ConfigMap');
      expect(skeleton.expressionsIn(configMap.data.KT_WITNESS_DIR)).toEqual(['include "mls-identity.witnessDir" . | quote']);
      expect(named['mls-identity.configData']).toMatch(
        /\{\{- if \.Values\.transparency\.witness\.enabled \}\}\nKT_WITNESS_DIR: \{\{ include "mls-identity\.witnessDir" \. \| quote \}\}\n\{\{- end \}\}/,
      );
      expect(named['mls-identity.witnessDir']).toMatch(/^\/[a-z0-9/-]+$/);
      expect(named['mls-identity.witnessDir']).not.toMatch(/^\/tmp\b/);
      expect(named['mls-identity.configEnv']).not.toContain('KT_WITNESS_DIR');
    });

    it('uses the operator\'s claim, else the one the chart creates', () => {
      expect(named['mls-identity.witnessClaimName']).toContain('.Values.transparency.witness.existingClaim | default (printf "%s-kt-witness" (include "mls-identity.fullname" .');
    });

    it("does not select the migration Job's pods (they serve no requests)", () => {
      const jobPodLabels = only('migration-job.yaml', 'Job').spec.template.metadata.labels;
      expect(jobPodLabels).not.toMatchObject(deployment().spec.selector.matchLabels);
    });
  });

  describe('migration Job', () => {
    const job = (): Doc => only('migration-job.yaml', 'Job');

    it('is a pre-install/pre-upgrade hook, deleted on success and before re-creation', () => {
      const annotations = job().metadata.annotations;
      expect(annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(annotations['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded');
      expect(job().spec.template.spec.restartPolicy).toBe('Never');
    });

    it('runs under a hook ServiceAccount created before it (weights)', () => {
      const account = only('migration-serviceaccount.yaml', 'ServiceAccount');
      expect(account.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      const weight = (d: Doc): number => Number(d.metadata.annotations['helm.sh/hook-weight']);
      expect(weight(account)).toBeLessThan(weight(job()));
      expect(from(job().spec.template.spec.serviceAccountName, 'mls-identity.migrationServiceAccountName')).toBe(true);
      expect(named['mls-identity.migrationServiceAccountName']).toContain('include "mls-identity.migrationName"');
    });

    it('gets the same non-secret variables as the ConfigMap, inline, but neither KT_WITNESS_DIR nor its volume', () => {
      const env: Doc[] = job().spec.template.spec.containers[0].env;
      const plain = env.filter((e) => 'value' in e).map((e) => e.name);
      const configMap = only('configmap.yaml', 'ConfigMap');
      expect(plain.sort()).toEqual(Object.keys(configMap.data).filter((k) => k !== 'KT_WITNESS_DIR').sort());
      expect(job().spec.template.spec.containers[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(job().spec.template.spec.volumes.map((v: Doc) => v.name)).toEqual(['tmp']);
      expect(configMap.data.NODE_ENV).toBe('production');
      expect(env.find((e) => e.name === 'NODE_ENV')!.value).toBe('production');
    });
  });

  it('the Service targets the named container port and selects the pods', () => {
    const service = only('service.yaml', 'Service');
    expect(service.spec.ports).toEqual([
      expect.objectContaining({ name: 'http', targetPort: 'http' }),
      expect.objectContaining({ name: 'metrics', targetPort: 'metrics' }),
    ]);
    expect(service.spec.selector).toEqual(only('deployment.yaml', 'Deployment').spec.selector.matchLabels);
  });

  it('the HPA scales the Deployment on CPU through autoscaling/v2', () => {
    const hpa = only('hpa.yaml', 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(from(hpa.spec.minReplicas, '.Values.autoscaling.minReplicas')).toBe(true);
    expect(from(hpa.spec.maxReplicas, '.Values.autoscaling.maxReplicas')).toBe(true);
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: expect.objectContaining({ type: 'Utilization' }) } },
    ]);
  });

  it('the PDB keeps at least one pod (policy/v1)', () => {
    const pdb = only('pdb.yaml', 'PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(from(pdb.spec.minAvailable, '.Values.podDisruptionBudget.minAvailable')).toBe(true);
    expect(values.podDisruptionBudget.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(only('deployment.yaml', 'Deployment').spec.selector.matchLabels);
  });

  describe('key-transparency witness PersistentVolumeClaim', () => {
    const claim = (): Doc => only('kt-witness-pvc.yaml', 'PersistentVolumeClaim');
    const text = (): string => templates.get('kt-witness-pvc.yaml')!;

    it('is created only when the witness is enabled without an existing claim', () => {
      expect(actionsOf(text())[0]).toBe('if and .Values.transparency.witness.enabled (not .Values.transparency.witness.existingClaim)');
      expect(claim().apiVersion).toBe('v1');
      expect(from(claim().metadata.name, 'include "mls-identity.witnessClaimName"')).toBe(true);
    });

    it('survives helm uninstall', () => {
      expect(claim().metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    });

    it('takes access modes, size and storage class from values', () => {
      expect(text()).toMatch(/\n {2}accessModes:\n {4}\{\{- toYaml \.Values\.transparency\.witness\.persistentVolumeClaim\.accessModes \| nindent 4 \}\}/);
      expect(from(claim().spec.resources.requests.storage, '.Values.transparency.witness.persistentVolumeClaim.size')).toBe(true);
      expect(actionsOf(text())).toContain('with .Values.transparency.witness.persistentVolumeClaim.storageClass');
      expect(skeleton.expressionsIn(claim().spec.storageClassName)).toEqual(['. | quote']);
    });
  });

  it('the release notes warn when the witness is off', () => {
    const notes = templates.get('NOTES.txt')!;
    expect(notes).toMatch(/\{\{- if \.Values\.transparency\.witness\.enabled \}\}[\s\S]*?\{\{- else \}\}\s*WARNING: [^{]*KT_WITNESS_DIR[^{]*\{\{-? end \}\}/);
  });

  it('the ServiceMonitor scrapes /metrics on the metrics port and is off by default', () => {
    const monitor = only('servicemonitor.yaml', 'ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    expect(only('service.yaml', 'Service').metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(actionsOf(templates.get('servicemonitor.yaml')!)[0]).toBe('if .Values.metrics.serviceMonitor.enabled');
    expect(values.metrics.serviceMonitor.enabled).toBe(false);
  });

  describe('PrometheusRule', () => {
    const rule = (): Doc => only('prometheusrule.yaml', 'PrometheusRule');
    const alerts = (): Map<string, Doc> => new Map(rule().spec.groups.flatMap((g: Doc) => g.rules.map((r: Doc) => [r.alert, r] as const)));
    const settings = values.metrics.prometheusRule;

    it('is a Prometheus Operator object, optional and off by default, labelled like the ServiceMonitor', () => {
      expect(rule().apiVersion).toBe('monitoring.coreos.com/v1');
      expect(actionsOf(templates.get('prometheusrule.yaml')!)[0]).toBe('if .Values.metrics.prometheusRule.enabled');
      expect(settings.enabled).toBe(false);
      expect(actionsOf(templates.get('prometheusrule.yaml')!)).toContain('with .Values.metrics.prometheusRule.labels');
    });

    it('alerts on overdue removals, stale reports, flagged group continuity, dead letters and expiring CA and external-sender certificates', () => {
      expect([...alerts().keys()].sort()).toEqual(
        [
          'MlsCertificateExpiringSoon',
          'MlsCertificateExpiryImminent',
          'MlsGroupReportsStale',
          'MlsGroupsContinuityFlagged',
          'MlsOutboxDeadLetters',
          'MlsRemovalsOverdue',
        ].sort(),
      );
      const metricOf = (alert: string) => /\(([a-z_]+)\{/.exec(alerts().get(alert)!.expr)?.[1];
      expect(metricOf('MlsRemovalsOverdue')).toBe('removals_overdue');
      expect(metricOf('MlsGroupReportsStale')).toBe('mls_groups_report_stale');
      expect(alerts().get('MlsGroupsContinuityFlagged')!.expr).toMatch(/^max by \(org\) \(mls_groups_continuity_flagged\{ __TPL_\d+__ \}\) > 0$/);
      expect(alerts().get('MlsGroupsContinuityFlagged')!.labels.severity).toBe('warning');
      expect(alerts().get('MlsGroupsContinuityFlagged')!.annotations.description).toMatch(/\/mls\/groups\/flagged\b[\s\S]*\/rebase\b/);
      // the skeleton keeps the spaces around the selector that its {{- -}} trim markers remove when rendered
      expect(templates.get('prometheusrule.yaml')!.match(/\{ \{\{- include "mls-identity\.metricsSelector" \. -\}\} \}/g)).toHaveLength(6);
      expect(alerts().get('MlsOutboxDeadLetters')!.expr).toMatch(/^sum by \(topic\) \(increase\(outbox_dead_total\{ __TPL_\d+__ \}\[__TPL_\d+__\]\)\) > 0$/);
      for (const alert of ['MlsCertificateExpiringSoon', 'MlsCertificateExpiryImminent']) {
        expect(alerts().get(alert)!.expr).toMatch(/^min by \(org, kind\) \(certificate_authority_not_after_seconds\{ __TPL_\d+__ \}\) - time\(\) < __TPL_\d+__ \* 86400$/);
      }
      for (const [name, a] of alerts()) {
        expect([name, ['warning', 'critical'].includes(a.labels.severity)]).toEqual([name, true]);
        expect([name, typeof a.annotations.summary, typeof a.annotations.description]).toEqual([name, 'string', 'string']);
      }
    });

    it('takes windows and thresholds from values, and selects its series with the release selector', () => {
      const a = alerts();
      expect(from(a.get('MlsRemovalsOverdue')!.for, '.Values.metrics.prometheusRule.removalsOverdueFor')).toBe(true);
      expect(from(a.get('MlsGroupReportsStale')!.for, '.Values.metrics.prometheusRule.staleReportsFor')).toBe(true);
      expect(from(a.get('MlsGroupsContinuityFlagged')!.for, '.Values.metrics.prometheusRule.continuityFlaggedFor')).toBe(true);
      expect(from(a.get('MlsOutboxDeadLetters')!.expr, '.Values.metrics.prometheusRule.outboxDeadWindow')).toBe(true);
      expect(from(a.get('MlsCertificateExpiringSoon')!.expr, '.Values.metrics.prometheusRule.certificateExpiryWarningDays')).toBe(true);
      expect(from(a.get('MlsCertificateExpiryImminent')!.expr, '.Values.metrics.prometheusRule.certificateExpiryCriticalDays')).toBe(true);
      expect(settings.certificateExpiryCriticalDays).toBeLessThan(settings.certificateExpiryWarningDays);
      for (const [name, rule] of a) expect([name, from(rule.expr, 'include "mls-identity.metricsSelector"')]).toEqual([name, true]);
      // by default the job label the ServiceMonitor gives the Service's series
      expect(named['mls-identity.metricsSelector']).toContain('.Values.metrics.prometheusRule.selector | default (printf "job=%q" (include "mls-identity.fullname" .))');
      expect(only('service.yaml', 'Service').metadata.name).toEqual(rule().metadata.name);
    });
  });

  it('metrics have a container port and a Service port of their own, fed from METRICS_PORT', () => {
    const container = only('deployment.yaml', 'Deployment').spec.template.spec.containers[0];
    const metricsPort = container.ports.find((p: Doc) => p.name === 'metrics');
    expect(from(metricsPort.containerPort, '.Values.config.metricsPort')).toBe(true);
    expect(container.ports.map((p: Doc) => p.name)).toEqual(['http', 'metrics']);
    const service = only('service.yaml', 'Service');
    const servicePort = service.spec.ports.find((p: Doc) => p.name === 'metrics');
    expect(servicePort.targetPort).toBe('metrics');
    expect(from(servicePort.port, '.Values.service.metricsPort')).toBe(true);
    expect(named['mls-identity.configData']).toMatch(/^METRICS_PORT: \{\{ \.Values\.config\.metricsPort \| quote \}\}$/m);
    expect(values.config.metricsPort).not.toBe(values.config.port);
  });

  it('the Ingress routes to the API port only (never metrics) and is off by default', () => {
    const ingress = only('ingress.yaml', 'Ingress');
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    const backends = ingress.spec.rules.flatMap((r: Doc) => r.http.paths.map((p: Doc) => p.backend.service.port));
    expect(backends).toEqual([{ name: 'http' }]);
    expect(templates.get('ingress.yaml')).not.toMatch(/metrics/i);
    expect(actionsOf(templates.get('ingress.yaml')!)[0]).toBe('if .Values.ingress.enabled');
    expect(values.ingress.enabled).toBe(false);
  });

  it('PUBLIC_URL can only render from an explicit value', () => {
    expect(named['mls-identity.publicUrl']).toMatch(/^\{\{-?\s*required\s+"[^"]+"\s+\.Values\.config\.publicUrl/);
  });
});

describe('Dockerfile agrees with the chart', () => {
  const dockerfile = read(path.join(repo, 'Dockerfile'));
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('runs the final image as the numeric non-root user the chart expects', () => {
    const user = /^USER\s+(\d+):(\d+)\s*$/m.exec(finalStage);
    expect(user).not.toBeNull();
    expect(Number(user![1])).toBe(values.podSecurityContext.runAsUser);
    expect(Number(user![2])).toBe(values.podSecurityContext.runAsGroup);
  });

  it('starts the service the way the Deployment does, in production mode', () => {
    expect(finalStage).toMatch(/^CMD \["node", "dist\/apps\/identity-service\/src\/main\.js"\]$/m);
    expect(finalStage).toMatch(/^ENV NODE_ENV=production\b/m);
    expect(finalStage).toMatch(new RegExp(`^EXPOSE ${values.config.port}$`, 'm'));
  });
});
