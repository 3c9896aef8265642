{{- define "shop.container" -}}
- name: {{ .name }}
  image: {{ .image }}
  resources:
    {{- toYaml .resources | nindent 4 }}
{{- end }}
