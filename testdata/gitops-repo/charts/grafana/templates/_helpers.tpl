{{- define "grafana.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "grafana.pod" -}}
containers:
  - name: grafana-sc-dashboard
    image: "{{ .Values.sidecar.image.repository }}:{{ .Values.sidecar.image.tag }}"
    resources:
      {{- toYaml .Values.sidecar.resources | nindent 6 }}
  - name: {{ .Chart.Name }}
    image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
{{- end }}
