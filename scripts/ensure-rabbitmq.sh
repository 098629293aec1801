#!/usr/bin/env bash
# RabbitMQ on 127.0.0.1:5672 (guest/guest) for the notification tests (tests/test_notifications.py):
# starts the machine's rabbitmq-server if it is installed and not answering. Quick once it runs.
set -euo pipefail
up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
up && exit 0
if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "ensure-rabbitmq: rabbitmq-server is not installed; the notification tests will fail in CI" >&2
    exit 0
fi
echo "ensure-rabbitmq: starting rabbitmq-server" >&2
rabbitmq-server -detached
for _ in $(seq 1 60); do
    up && exit 0
    sleep 1
done
echo "ensure-rabbitmq: RabbitMQ did not come up on 127.0.0.1:5672" >&2
