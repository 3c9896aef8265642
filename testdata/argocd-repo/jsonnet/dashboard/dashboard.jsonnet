local params = import 'params.libsonnet';

function(replicas='1') [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: params.name },
    spec: {
      replicas: std.parseInt(replicas),
      selector: { matchLabels: { app: params.name } },
      template: {
        metadata: { labels: { app: params.name } },
        spec: {
          containers: [{
            name: params.name,
            image: params.image,
            resources: { limits: { memory: params.memory } },
          }],
        },
      },
    },
  },
]
