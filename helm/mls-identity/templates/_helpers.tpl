{{/*
Names. Kubernetes names are DNS labels: at most 63 characters, no trailing dash.
*/}}
{{- define "mls-identity.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mls-identity.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The migration Job's name leaves room for its suffix within 63 characters. */}}
{{- define "mls-identity.migrationName" -}}
{{- printf "%s-migrate" (include "mls-identity.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "mls-identity.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels never change over a release's life: a Deployment's selector is immutable.
*/}}
{{- define "mls-identity.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mls-identity.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The service's pods are selected by component too: the migration Job's pods carry the
release's labels, and without it the Service would route requests to them (they have no
readiness probe) and the PodDisruptionBudget would count them.
*/}}
{{- define "mls-identity.serverSelectorLabels" -}}
{{ include "mls-identity.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "mls-identity.labels" -}}
helm.sh/chart: {{ include "mls-identity.chart" . }}
{{ include "mls-identity.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mls-identity
{{- end -}}

{{- define "mls-identity.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mls-identity.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* See migration-serviceaccount.yaml for why the migration has its own account. */}}
{{- define "mls-identity.migrationServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- include "mls-identity.migrationName" . -}}
{{- else -}}
{{- include "mls-identity.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{/* A digest pins the exact image bytes; a tag alone can be moved. */}}
{{- define "mls-identity.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
PUBLIC_URL has no safe default: it is written into every certificate's CRL distribution point
and into the key-transparency log origin, so a guessed value would outlive any correction.
*/}}
{{- define "mls-identity.publicUrl" -}}
{{- required "config.publicUrl is required: the external base URL, e.g. https://identity.example.com" .Values.config.publicUrl -}}
{{- end -}}

{{/*
Non-secret environment, as key: value lines. The ConfigMap holds it for the Deployment; the
migration Job gets the same lines inline because on first install it runs before the
ConfigMap exists, all but KT_WITNESS_DIR: migrations never touch the witness, and only the
server's pods mount its volume.
*/}}
{{- define "mls-identity.configData" -}}
NODE_ENV: production
PORT: {{ .Values.config.port | quote }}
METRICS_PORT: {{ .Values.config.metricsPort | quote }}
PUBLIC_URL: {{ include "mls-identity.publicUrl" . | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
{{- if .Values.transparency.witness.enabled }}
KT_WITNESS_DIR: {{ include "mls-identity.witnessDir" . | quote }}
{{- end }}
{{- end -}}

{{/* The same variables as the ConfigMap, as a container's env list, for the migration Job. */}}
{{- define "mls-identity.configEnv" -}}
- name: NODE_ENV
  value: production
- name: PORT
  value: {{ .Values.config.port | quote }}
- name: METRICS_PORT
  value: {{ .Values.config.metricsPort | quote }}
- name: PUBLIC_URL
  value: {{ include "mls-identity.publicUrl" . | quote }}
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
{{- end -}}

{{/*
Key-transparency checkpoint witness: a fixed mount path in the server's pods (KT_WITNESS_DIR),
on the operator's claim or the one the chart creates.
*/}}
{{- define "mls-identity.witnessDir" -}}
/var/lib/mls-identity/kt-witness
{{- end -}}

{{- define "mls-identity.witnessClaimName" -}}
{{- .Values.transparency.witness.existingClaim | default (printf "%s-kt-witness" (include "mls-identity.fullname" . | trunc 52 | trimSuffix "-")) -}}
{{- end -}}

{{/* The three secrets, by reference only: their values never pass through Helm. */}}
{{- define "mls-identity.secretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.databaseUrl }}
- name: KEK
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.kek }}
- name: ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.adminToken }}
{{- end -}}

{{/* Pod-level hardening shared by the service and the migration Job. */}}
{{- define "mls-identity.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
{{- with .Values.podSecurityContext.fsGroup }}
fsGroup: {{ . }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "mls-identity.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
PromQL label matchers selecting this release's series: the configured selector, else the job
label the ServiceMonitor gives them (the Service's name).
*/}}
{{- define "mls-identity.metricsSelector" -}}
{{- .Values.metrics.prometheusRule.selector | default (printf "job=%q" (include "mls-identity.fullname" .)) -}}
{{- end -}}
