{{/*
Return the proper Redis image name
*/}}
{{- define "redis.image" -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository .Values.image.tag -}}
{{- end -}}

{{- define "redis.sentinel.image" -}}
{{- printf "%s/%s:%s" .Values.sentinel.image.registry .Values.sentinel.image.repository .Values.sentinel.image.tag -}}
{{- end -}}
