#!/usr/bin/env python3
"""Rewrites events/*.json into the shape AWS delivers them, keeping each
fixture's meaning (route, body, ids): HTTP API payload 2.0 events get the
headers API Gateway adds (host, content-length, x-amzn-trace-id,
x-forwarded-for/-port/-proto), pathParameters for every route parameter,
form bodies base64-encoded (HTTP APIs do that: isBase64Encoded true), and
SQS records get the md5OfBody SQS computes, a role's SenderId and a real
receipt-handle shape. DynamoDB Stream records (reports-stream.json) are
left as written. Idempotent: run it after editing a fixture.

    python3 infra/fixtures.py
"""
import base64, hashlib, json, pathlib, re

EVENTS = pathlib.Path(__file__).resolve().parent.parent / "events"
HOST = "sim0api.execute-api.eu-west-2.amazonaws.com"
TRACE = "Root=1-673e9a38-5c2b9f0e4d3a1b7c8e6f0a21"

# Which function's role sends to each queue (SenderId is "<role id>:<session>").
SENDERS = {
    "categorise": "intake",
    "sms": "categorise",
    "email": "categorise",
    "whatsapp": "categorise",
    "escalation": "categorise",
    "briefings": "respond",
}


def http(event):
    route = event["routeKey"]
    method, pattern = route.split(" ", 1)
    path = event["rawPath"]
    # pathParameters: what the route's {name} and {name+} matched.
    names = re.findall(r"\{([^}+]+)\+?\}", pattern)
    if names:
        regex = "^" + re.sub(r"\\\{([^}+]+)\\\+\\\}", r"(?P<\1>.+)",
                             re.sub(r"\\\{([^}+]+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))) + "$"
        m = re.match(regex, path)
        assert m, (pattern, path)
        event["pathParameters"] = m.groupdict()
    else:
        event.pop("pathParameters", None)
    body = event.get("body")
    headers = event["headers"]
    ctype = headers.get("content-type", "")
    if body is not None and event.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    elif body is not None:
        raw = body.encode()
    else:
        raw = None
    if raw is not None and ctype.startswith("application/x-www-form-urlencoded"):
        event["body"] = base64.b64encode(raw).decode()
        event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if raw is None:
        headers.pop("content-type", None)
        headers.pop("content-length", None)
    else:
        headers["content-length"] = str(len(raw))
    client = event["requestContext"]["http"]["sourceIp"]
    headers.setdefault("accept", "*/*")
    headers["host"] = headers.get("host", HOST)
    headers["x-amzn-trace-id"] = TRACE
    headers["x-forwarded-for"] = headers.get("x-forwarded-for", client)
    headers["x-forwarded-port"] = "443"
    headers["x-forwarded-proto"] = "https"
    event["headers"] = dict(sorted(headers.items()))
    ctx = event["requestContext"]
    ctx["domainName"] = headers["host"] if headers["host"].endswith(".amazonaws.com") else ctx["domainName"]
    ctx["http"]["path"] = path
    ctx["http"]["method"] = method
    ctx["routeKey"] = route
    return event


def sqs(event):
    for r in event["Records"]:
        queue = r["eventSourceARN"].rsplit(":", 1)[1].removeprefix("sim-dev-")
        r["md5OfBody"] = hashlib.md5(r["body"].encode()).hexdigest()
        # Queues fed by SNS (delivery receipts) keep SNS's own SenderId.
        if queue in SENDERS:
            r["attributes"]["SenderId"] = "AROAZ5EXAMPLEROLEID01:sim-dev-" + SENDERS[queue]
        if not r["receiptHandle"].startswith("AQEB") or len(r["receiptHandle"]) < 100:
            seed = hashlib.sha256(r["messageId"].encode()).digest() * 4
            r["receiptHandle"] = "AQEB" + base64.b64encode(seed).decode()
    return event


for path in sorted(EVENTS.glob("*.json")):
    event = json.loads(path.read_text())
    if event.get("version") == "2.0":
        event = http(event)
    elif "Records" in event and all(r.get("eventSource") == "aws:sqs" for r in event["Records"]):
        event = sqs(event)
    else:
        continue
    path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
    print("rewrote", path.name)
