{{/*
A whole Deployment from a values section: common.deployment (dict "values" .Values.x "context" $) in
the style of library charts; this one takes the root context.
*/}}
{{- define "common.worker" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-worker
spec:
  replicas: {{ .Values.worker.replicas | default 1 }}
  template:
    spec:
      containers:
        - name: worker
          image: {{ .Values.image.repository }}:{{ .Values.image.tag }}
          resources:
            {{- toYaml .Values.worker.resources | nindent 12 }}
{{- end -}}
