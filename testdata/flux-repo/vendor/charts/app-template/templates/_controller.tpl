{{/* One container of a controller: (dict "name" NAME "container" VALUES). */}}
{{- define "app-template.container" -}}
- name: {{ .name }}
  image: {{ printf "%s:%s" .container.image.repository (toString .container.image.tag) | quote }}
  {{- with .container.env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .container.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* A Deployment per entry of .Values.controllers. */}}
{{- define "app-template.controllers" -}}
{{- $root := . -}}
{{- range $name, $controller := .Values.controllers }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ printf "%s-%s" $root.Release.Name $name }}
  labels:
    app.kubernetes.io/name: {{ $name }}
spec:
  replicas: {{ $controller.replicas | default 1 }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ $name }}
    spec:
      containers:
        {{- range $containerName, $container := $controller.containers }}
        {{- include "app-template.container" (dict "name" $containerName "container" $container) | nindent 8 }}
        {{- end }}
{{- end }}
{{- end -}}
