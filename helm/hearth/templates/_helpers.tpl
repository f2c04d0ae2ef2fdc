{{/*
Owns the chart's shared pieces: names and labels, the table of the Node services (port, stores,
upstreams: the gRPC graph the Deployments, Services and NetworkPolicies are all rendered from),
image references, pod security and spread defaults, and the environment every service gets.
*/}}

{{- define "hearth.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hearth.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hearth
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "bff"). */}}
{{- define "hearth.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
The Node services. `upstreams` maps each address variable of the service's config schema to the
service it calls: this is the gRPC graph (bff -> orchestrator, model-gateway, context-service,
tool-runner; orchestrator -> model-gateway, context-service, safety-service, tool-runner;
context-service -> model-gateway, safety-service; tool-runner -> context-service; safety-service ->
model-gateway, for its guard model when SAFETY_GUARD_MODEL is set; model-gateway -> the inference
pools). `stores` are the external systems the service's schema connects to.
*/}}
{{- define "hearth.serviceTable" -}}
bff:
  component: bff
  port: 8080
  metricsPort: 9468
  http: true
  stores: [postgresql, redis, kafka, blobs]
  upstreams:
    ORCHESTRATOR_ADDRESS: orchestrator
    MODEL_GATEWAY_ADDRESS: modelGateway
    CONTEXT_SERVICE_ADDRESS: contextService
    TOOL_RUNNER_ADDRESS: toolRunner
orchestrator:
  component: orchestrator
  port: 50051
  metricsPort: 9469
  stores: [postgresql, redis, kafka]
  upstreams:
    MODEL_GATEWAY_ADDRESS: modelGateway
    CONTEXT_SERVICE_ADDRESS: contextService
    SAFETY_SERVICE_ADDRESS: safetyService
    TOOL_RUNNER_ADDRESS: toolRunner
contextService:
  component: context-service
  port: 50052
  metricsPort: 9470
  stores: [postgresql, redis, qdrant, blobs, vectors]
  upstreams:
    MODEL_GATEWAY_ADDRESS: modelGateway
    SAFETY_SERVICE_ADDRESS: safetyService
toolRunner:
  component: tool-runner
  port: 50054
  metricsPort: 9472
  stores: [postgresql, kafka]
  upstreams:
    CONTEXT_SERVICE_ADDRESS: contextService
safetyService:
  component: safety-service
  port: 50053
  metricsPort: 9471
  stores: [redis, kafka]
  upstreams:
    MODEL_GATEWAY_ADDRESS: modelGateway
modelGateway:
  component: model-gateway
  port: 50055
  metricsPort: 9465
  stores: [redis, kafka]
  upstreams: {}
ledger:
  component: ledger
  port: 50058
  metricsPort: 9467
  stores: [postgresql, redis, kafka]
  upstreams: {}
{{- end -}}

{{/* The inference pools with poolDefaults laid under each: (include ... | fromYaml).pools */}}
{{- define "hearth.pools" -}}
{{- $pools := list -}}
{{- range .Values.inference.pools -}}
{{- $pools = append $pools (mergeOverwrite (deepCopy $.Values.inference.poolDefaults) (deepCopy .)) -}}
{{- end -}}
{{- toYaml (dict "pools" $pools) -}}
{{- end -}}

{{- define "hearth.workerComponent" -}}inference-worker{{- end -}}
{{- define "hearth.workerGrpcPort" -}}50056{{- end -}}
{{- define "hearth.workerMetricsPort" -}}9464{{- end -}}

{{/* host:port of a Node service by its values key: (dict "root" $ "key" "orchestrator"). */}}
{{- define "hearth.address" -}}
{{- $table := include "hearth.serviceTable" .root | fromYaml -}}
{{- $svc := index $table .key -}}
{{- printf "%s-%s:%v" (include "hearth.fullname" .root) $svc.component $svc.port -}}
{{- end -}}

{{/* Image reference: (dict "image" .Values.image.services "defaultTag" "0.1.0"). */}}
{{- define "hearth.image" -}}
{{- $tag := .image.tag | default .defaultTag -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "hearth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "hearth.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Spread replicas over zones and nodes: (dict "root" $ "component" "bff" "extra" (dict ...)). */}}
{{- define "hearth.topologySpread" -}}
{{- $spread := .root.Values.podDefaults.topologySpread -}}
{{- if $spread.enabled }}
topologySpreadConstraints:
  {{- range $key := list $spread.zoneKey $spread.hostKey }}
  - maxSkew: 1
    topologyKey: {{ $key }}
    whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
    matchLabelKeys: [pod-template-hash]
    labelSelector:
      matchLabels:
        {{- include "hearth.selectorLabels" (dict "root" $.root "component" $.component) | nindent 8 }}
        {{- range $k, $v := $.extra }}
        {{ $k }}: {{ $v | quote }}
        {{- end }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Environment every service gets: log level and tracing. (dict "root" $ "config" .config). */}}
{{- define "hearth.baseEnv" -}}
{{- if not (hasKey .config "LOG_LEVEL") }}
- name: LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
{{- end }}
{{- with .root.Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Connection settings of the external stores a service uses: (dict "root" $ "stores" list). */}}
{{- define "hearth.storeEnv" -}}
{{- $v := .root.Values -}}
{{- if has "postgresql" .stores }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: { name: {{ $v.postgresql.existingSecret | quote }}, key: {{ $v.postgresql.urlKey | quote }} }
{{- end }}
{{- if has "redis" .stores }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ $v.redis.existingSecret | quote }}, key: {{ $v.redis.urlKey | quote }} }
{{- end }}
{{- if has "kafka" .stores }}
- name: KAFKA_BROKERS
{{- if $v.kafka.existingSecret }}
  valueFrom:
    secretKeyRef: { name: {{ $v.kafka.existingSecret | quote }}, key: {{ $v.kafka.brokersKey | quote }} }
{{- else }}
  value: {{ $v.kafka.brokers | quote }}
{{- end }}
{{- end }}
{{- if and (has "qdrant" .stores) $v.qdrant.enabled }}
- name: QDRANT_URL
  value: {{ $v.qdrant.url | quote }}
{{- if $v.qdrant.existingSecret }}
- name: QDRANT_API_KEY
  valueFrom:
    secretKeyRef: { name: {{ $v.qdrant.existingSecret | quote }}, key: {{ $v.qdrant.apiKeyKey | quote }} }
{{- end }}
{{- end }}
{{- if and (has "vectors" .stores) (not $v.qdrant.enabled) }}
- name: VECTOR_STORE_DIR
  value: /data/vectors
{{- end }}
{{- if has "blobs" .stores }}
{{- if eq $v.blobStore.kind "s3" }}
- name: BLOB_STORE
  value: s3
- name: BLOB_S3_BUCKET
  value: {{ $v.blobStore.s3.bucket | quote }}
- name: BLOB_S3_REGION
  value: {{ $v.blobStore.s3.region | quote }}
{{- with $v.blobStore.s3.endpoint }}
- name: BLOB_S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: BLOB_S3_PREFIX
  value: {{ $v.blobStore.s3.prefix | quote }}
- name: BLOB_S3_FORCE_PATH_STYLE
  value: {{ $v.blobStore.s3.forcePathStyle | quote }}
{{- with $v.blobStore.s3.credentialsSecret }}
{{- /* Read by the AWS SDK's default credential chain, not by the service's config schema. */}}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef: { name: {{ . | quote }}, key: AWS_ACCESS_KEY_ID }
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef: { name: {{ . | quote }}, key: AWS_SECRET_ACCESS_KEY }
{{- end }}
{{- else }}
- name: BLOB_STORE
  value: local
- name: BLOB_STORE_DIR
  value: /data/blobs
{{- end }}
{{- end }}
{{- end -}}

{{/* A service's own tunables from values (`config`), in a stable order. */}}
{{- define "hearth.configEnv" -}}
{{- range $key := keys . | sortAlpha }}
- name: {{ $key }}
  value: {{ index $ $key | toString | quote }}
{{- end }}
{{- end -}}

{{/* Volumes that keep a read-only root filesystem workable: /tmp. */}}
{{- define "hearth.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{/* The chart's own consistency checks, beyond what values.schema.json can express. */}}
{{- define "hearth.validate" -}}
{{- $v := .Values -}}
{{- if not $v.postgresql.existingSecret -}}
{{- fail "postgresql.existingSecret is required: create a Secret holding DATABASE_URL's postgresql:// URL (see the chart README)" -}}
{{- end -}}
{{- if not $v.redis.existingSecret -}}
{{- fail "redis.existingSecret is required: create a Secret holding REDIS_URL's redis:// URL (see the chart README)" -}}
{{- end -}}
{{- if and (not $v.kafka.brokers) (not $v.kafka.existingSecret) -}}
{{- fail "kafka.brokers (host:port,...) or kafka.existingSecret is required" -}}
{{- end -}}
{{- if and $v.qdrant.enabled (not $v.qdrant.url) -}}
{{- fail "qdrant.url is required when qdrant.enabled is true" -}}
{{- end -}}
{{- if and (not $v.qdrant.enabled) (gt (int $v.contextService.replicaCount) 1) -}}
{{- fail "contextService.replicaCount > 1 needs qdrant.enabled: the embedded vector index belongs to one pod" -}}
{{- end -}}
{{- if and (eq $v.blobStore.kind "s3") (not $v.blobStore.s3.bucket) -}}
{{- fail "blobStore.s3.bucket is required when blobStore.kind is s3" -}}
{{- end -}}
{{- if and (eq $v.blobStore.kind "pvc") (not $v.blobStore.pvc.existingClaim) (or (gt (int $v.bff.replicaCount) 1) (gt (int $v.contextService.replicaCount) 1) $v.bff.autoscaling.enabled $v.contextService.autoscaling.enabled) -}}
{{- fail "several BFF or context-service replicas share uploaded files: set blobStore.pvc.existingClaim (ReadWriteMany) or blobStore.kind s3" -}}
{{- end -}}
{{- $pools := dict -}}
{{- $models := dict -}}
{{- $poolList := (include "hearth.pools" . | fromYaml).pools -}}
{{- range $poolList -}}
{{- if hasKey $pools .name -}}{{- fail (printf "inference.pools: pool name %q is used twice" .name) -}}{{- end -}}
{{- $_ := set $pools .name true -}}
{{- if hasKey $models .modelId -}}{{- fail (printf "inference.pools: modelId %q is served by two pools; one pool per model" .modelId) -}}{{- end -}}
{{- $_ := set $models .modelId true -}}
{{- if eq (empty .model.uri) (empty .model.pvc.claimName) -}}
{{- fail (printf "inference.pools[%s].model: set exactly one of uri or pvc.claimName" .name) -}}
{{- end -}}
{{- if and .model.pvc.claimName (not .model.pvc.path) -}}
{{- fail (printf "inference.pools[%s].model.pvc.path is required: the GGUF file's path inside the claim" .name) -}}
{{- end -}}
{{- end -}}
{{- range $poolList -}}
{{- range .fallbacks -}}
{{- if not (hasKey $models .) -}}{{- fail (printf "inference.pools: fallback %q is not the modelId of any pool" .) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
