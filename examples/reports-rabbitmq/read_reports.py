#!/usr/bin/env python3
"""Prints the reports waiting in taskmux's RabbitMQ queues, one line each, and leaves them
there (they are taken unacknowledged and go back when the connection closes):
    python3 read_reports.py _fault_sync _status_migrate _success_refresh _status_reports
RABBIT_URL names the broker (default amqp://guest:guest@127.0.0.1:5672/%2f). Needs pika
(Debian: python3-pika)."""
import json
import os
import sys

import pika
import pika.exceptions


def describe(report):
    if report["event"] == "snapshot":
        states = ", ".join(f"{row['task']}[{row['instance']}] {row['state']}" for row in report["tasks"])
        return f"{report['ts']} snapshot: {states}"
    line = f"{report['ts']} {report['task']}[{report['instance']}] {report['message']}"
    if report.get("stderr"):
        line += f" (stderr: {report['stderr'][-1]})"
    return line


def main(queues):
    url = os.environ.get("RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        for queue in queues:
            channel = connection.channel()
            try:
                channel.queue_declare(queue, passive=True)
            except pika.exceptions.ChannelClosedByBroker:
                print(f"{queue}: no such queue (yet)")
                continue
            while True:
                method, _properties, body = channel.basic_get(queue, auto_ack=False)
                if method is None:
                    break
                print(f"{queue}: {describe(json.loads(body))}")
            channel.close()  # the messages go back to the queue, in order
    finally:
        connection.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
