{{/*
Names are cut at 63 characters, the limit of a DNS label, and never end in "-".
*/}}
{{- define "epa.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "epa.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* A component's object name: <fullname>-<component>, kept within 63 characters. */}}
{{- define "epa.componentName" -}}
{{- printf "%s-%s" (include "epa.fullname" .root | trunc (int (sub 62 (len .component)))) .component | trimSuffix "-" }}
{{- end }}

{{- define "epa.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades, so never the version. */}}
{{- define "epa.selectorLabels" -}}
app.kubernetes.io/name: {{ include "epa.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "epa.labels" -}}
helm.sh/chart: {{ include "epa.chart" . }}
{{ include "epa.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: epa
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Usage: include "epa.componentLabels" (dict "root" $ "component" "api") */}}
{{- define "epa.componentLabels" -}}
{{ include "epa.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "epa.componentSelectorLabels" -}}
{{ include "epa.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "epa.apiName" -}}
{{ include "epa.componentName" (dict "root" . "component" "api") }}
{{- end }}

{{- define "epa.workerName" -}}
{{ include "epa.componentName" (dict "root" . "component" "worker") }}
{{- end }}

{{- define "epa.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "epa.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "epa.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
The database. Precedence: the bundled PostgreSQL, then an existing Secret, then a URL the
chart builds from database.* and keeps in a Secret of its own.
*/}}
{{- define "epa.postgresqlName" -}}
{{ include "epa.componentName" (dict "root" . "component" "postgresql") }}
{{- end }}

{{- define "epa.database.chartOwnsSecret" -}}
{{- if or .Values.postgresql.enabled (not .Values.database.existingSecret) }}true{{ end }}
{{- end }}

{{- define "epa.database.secretName" -}}
{{- if include "epa.database.chartOwnsSecret" . }}
{{- include "epa.componentName" (dict "root" . "component" "database") }}
{{- else }}
{{- .Values.database.existingSecret }}
{{- end }}
{{- end }}

{{- define "epa.database.secretKey" -}}
{{- if include "epa.database.chartOwnsSecret" . }}database-url{{ else }}{{ .Values.database.existingSecretKey }}{{ end }}
{{- end }}

{{/* Percent-encodes a URL's user or password (urlquery writes a space as "+"). */}}
{{- define "epa.urlEncode" -}}
{{- urlquery . | replace "+" "%20" }}
{{- end }}

{{- define "epa.database.url" -}}
{{- if .Values.postgresql.enabled }}
{{- $auth := .Values.postgresql.auth }}
{{- $password := required "postgresql.auth.password is required when postgresql.enabled is true" $auth.password }}
{{- printf "postgresql://%s:%s@%s:5432/%s?sslmode=disable" (include "epa.urlEncode" $auth.username) (include "epa.urlEncode" $password) (include "epa.postgresqlName" .) $auth.database }}
{{- else }}
{{- $db := .Values.database }}
{{- $host := required "set database.existingSecret (a Secret holding the PostgreSQL URL), database.host (the chart then builds the URL), or postgresql.enabled=true (evaluation only)" $db.host }}
{{- $userinfo := include "epa.urlEncode" $db.user }}
{{- if $db.password }}
{{- $userinfo = printf "%s:%s" $userinfo (include "epa.urlEncode" $db.password) }}
{{- end }}
{{- printf "postgresql://%s@%s:%d/%s?sslmode=%s" $userinfo $host (int $db.port) $db.name $db.sslmode }}
{{- end }}
{{- end }}

{{/* The migration hook runs before ordinary objects exist: it reads its own hook Secret. */}}
{{- define "epa.migrations.secretName" -}}
{{- if include "epa.database.chartOwnsSecret" . }}
{{- include "epa.componentName" (dict "root" . "component" "migrate") }}
{{- else }}
{{- .Values.database.existingSecret }}
{{- end }}
{{- end }}

{{/* Environment every EPA container shares: the ConfigMap's settings are added with envFrom. */}}
{{- define "epa.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ include "epa.database.secretKey" .root }}
{{- with .root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* /tmp: the one writable path of a read-only root filesystem. */}}
{{- define "epa.tmpVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "epa.tmpVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end }}
