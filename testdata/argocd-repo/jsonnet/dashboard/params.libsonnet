{
  name: 'dashboard',
  image: 'grafana/grafana:11.3.0',
  memory: '512Mi',
}
