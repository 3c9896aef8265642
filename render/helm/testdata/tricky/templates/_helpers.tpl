{{- define "tricky.config" -}}
server:
  port: {{ .Values.port }}
  name: {{ .Values.name }}
{{- end }}
