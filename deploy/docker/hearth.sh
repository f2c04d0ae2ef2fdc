#!/bin/sh
# Entry point of Hearth's images (under tini): the first argument picks what runs, so one services
# image serves every Node service and the Kubernetes manifests only say which. `exec` keeps node as
# tini's direct child, so SIGTERM reaches the service's own drain.
#   hearth.sh bff | orchestrator | context-service | tool-runner | safety-service | ledger | model-gateway
#   hearth.sh inference-worker      (worker images)
#   hearth.sh migrate               prisma migrate deploy of the committed migrations (DATABASE_URL)
#   hearth.sh admin ARGS...         the tenant and API-key CLI
#   hearth.sh model-fetch           download MODEL_URI to MODEL_PATH, checked against MODEL_SHA256
set -eu

APP=/app
service="${1:-}"
[ "$#" -gt 0 ] && shift

case "$service" in
  bff) exec node "$APP/dist/apps/experience/bff/src/main.js" "$@" ;;
  orchestrator | context-service | safety-service | ledger)
    exec node "$APP/dist/apps/orchestration/$service/src/main.js" "$@" ;;
  # isolated-vm (the run_javascript sandbox) needs V8's startup snapshot off on Node >= 20.
  tool-runner) exec node --no-node-snapshot "$APP/dist/apps/orchestration/tool-runner/src/main.js" "$@" ;;
  model-gateway | inference-worker) exec node "$APP/dist/apps/inference/$service/src/main.js" "$@" ;;
  migrate)
    cd "$APP/libs/db"
    exec node "$APP/node_modules/prisma/build/index.js" migrate deploy --config prisma.config.ts "$@" ;;
  admin) exec node "$APP/dist/apps/experience/bff/src/admin/admin.cli.js" "$@" ;;
  model-fetch) exec node "$APP/deploy/docker/model-fetch.mjs" "$@" ;;
  *)
    echo "usage: hearth.sh bff|orchestrator|context-service|tool-runner|safety-service|ledger|model-gateway|inference-worker|migrate|admin|model-fetch" >&2
    exit 64 ;;
esac
