{{/* The release's name for the chart's objects (at most 40 characters, so that names
derived from it stay within 63). */}}
{{- define "remiss.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "remiss.labels" -}}
app.kubernetes.io/name: remiss
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "referrals") */}}
{{- define "remiss.selector" -}}
app.kubernetes.io/name: remiss
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "remiss.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "remiss.issuerRef" -}}
{{- if .Values.certManager.issuer.create -}}
name: {{ include "remiss.fullname" . }}-ca
kind: Issuer
{{- else -}}
name: {{ required "certManager.issuerRef.name: name an Issuer, or set certManager.issuer.create" .Values.certManager.issuerRef.name }}
kind: {{ .Values.certManager.issuerRef.kind }}
{{- end }}
group: cert-manager.io
{{- end -}}

{{/* The restricted Pod Security profile, for every container. */}}
{{- define "remiss.containerSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- define "remiss.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  fsGroupChangePolicy: OnRootMismatch
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* The client Service's DNS name of a service: (dict "root" $ "service" "referrals") */}}
{{- define "remiss.serviceHost" -}}
{{ include "remiss.fullname" .root }}-{{ .service }}.{{ .root.Release.Namespace }}.svc
{{- end -}}

{{/* NetworkPolicy egress to the cluster's DNS. */}}
{{- define "remiss.dnsEgress" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- end -}}

{{/* The five services' gRPC addresses as remissctl and the console take them. */}}
{{- define "remiss.serviceFlags" -}}
{{- $root := . -}}
{{- range $name := list "referrals" "responses" "deadlines" "followup" "notices" }}
- --{{ $name }}={{ include "remiss.serviceHost" (dict "root" $root "service" $name) }}:50051
{{- end }}
{{- end -}}
