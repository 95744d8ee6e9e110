//! The first event each function is given: what it would receive on Lambda (an SQS batch of one message for a
//! queue consumer, an HTTP API request for an HTTP function, a scheduled event, a DynamoDB stream batch), naming
//! things that are not in the table, so each does its first real reads and answers without side effects.

use serde_json::{json, Value};
use sim::domain::policy::Channel;
use sim::ids::{ContactId, IncidentId};
use sim::links::{LinkClaims, LinkKey};

/// An incident no run creates: every event names it.
pub const INCIDENT: &str = "inc-coldstart";
pub const CONTACT: &str = "con-coldstart";

/// How a function is triggered on Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An SQS event source; the body is one queue message.
    Sqs(Body),
    /// An HTTP API (payload 2.0) or function URL request.
    Http(Request),
    /// An EventBridge schedule.
    Schedule,
    /// The table's DynamoDB stream.
    Stream,
}

/// The queue message a consumer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Handoff,
    Notification(&'static str),
    Escalation,
    Briefing,
    SesReceipt,
}

/// The HTTP request an HTTP function is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Intake: a status read with credentials of a caller that does not exist (the caller is looked up: 401).
    IntakeStatus,
    /// Respond: a correctly signed personal link to a notification that does not exist (looked up: not found).
    RespondPage,
    /// Console: the board with a session cookie that does not exist (looked up: sent to sign in).
    ConsoleBoard,
    /// The WhatsApp webhook's subscription check (the verify token compared: the challenge echoed).
    WebhookVerify,
}

/// One function's release binary and its first event.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    pub binary: &'static str,
    pub trigger: Trigger,
}

/// Every function binary the template deploys.
pub const FUNCTIONS: [Function; 13] = [
    Function { binary: "intake", trigger: Trigger::Http(Request::IntakeStatus) },
    Function { binary: "sweep", trigger: Trigger::Schedule },
    Function { binary: "categorise", trigger: Trigger::Sqs(Body::Handoff) },
    Function { binary: "send-sms", trigger: Trigger::Sqs(Body::Notification("sms")) },
    Function { binary: "send-email", trigger: Trigger::Sqs(Body::Notification("email")) },
    Function { binary: "send-whatsapp", trigger: Trigger::Sqs(Body::Notification("whatsapp")) },
    Function { binary: "respond", trigger: Trigger::Http(Request::RespondPage) },
    Function { binary: "escalate", trigger: Trigger::Sqs(Body::Escalation) },
    Function { binary: "briefings", trigger: Trigger::Sqs(Body::Briefing) },
    Function { binary: "console", trigger: Trigger::Http(Request::ConsoleBoard) },
    Function { binary: "receipts", trigger: Trigger::Sqs(Body::SesReceipt) },
    Function { binary: "webhook", trigger: Trigger::Http(Request::WebhookVerify) },
    Function { binary: "reports", trigger: Trigger::Stream },
];

/// The secrets the events are built with (the same values the runner stores in SSM).
pub struct Secrets<'a> {
    pub link_key: &'a LinkKey,
    pub verify_token: &'a str,
}

impl Trigger {
    /// A short description for the printed table.
    pub fn describe(&self) -> &'static str {
        match self {
            Trigger::Sqs(Body::Handoff) => "SQS: hand-off of an unknown incident",
            Trigger::Sqs(Body::Notification(_)) => "SQS: notification of an unknown incident",
            Trigger::Sqs(Body::Escalation) => "SQS: escalation check of an unknown incident",
            Trigger::Sqs(Body::Briefing) => "SQS: briefing check of an unknown incident",
            Trigger::Sqs(Body::SesReceipt) => "SQS: SES delivery receipt for an unknown message",
            Trigger::Http(Request::IntakeStatus) => "HTTP: GET status, unknown caller",
            Trigger::Http(Request::RespondPage) => "HTTP: GET signed link, unknown notification",
            Trigger::Http(Request::ConsoleBoard) => "HTTP: GET board, unknown session",
            Trigger::Http(Request::WebhookVerify) => "HTTP: GET webhook verification",
            Trigger::Schedule => "schedule: one sweep",
            Trigger::Stream => "stream: MODIFY of an unknown incident",
        }
    }

    /// The event's JSON, as Lambda would deliver it.
    pub fn event(&self, secrets: &Secrets) -> Value {
        match self {
            Trigger::Sqs(body) => sqs_event(&body.message()),
            Trigger::Http(request) => request.event(secrets),
            Trigger::Schedule => json!({
                "version": "0", "id": "cold-start", "detail-type": "Scheduled Event", "source": "aws.events",
                "account": "000000000000", "time": "2026-11-22T09:00:00Z", "region": "eu-west-2",
                "resources": ["arn:aws:events:eu-west-2:000000000000:rule/sim-sweep"], "detail": {}
            }),
            Trigger::Stream => json!({ "Records": [{
                "eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb", "awsRegion": "eu-west-2",
                "dynamodb": {
                    "Keys": { "pk": { "S": format!("INCIDENT#{INCIDENT}") }, "sk": { "S": "INCIDENT" } },
                    "SequenceNumber": "100000000000000000001", "SizeBytes": 100, "StreamViewType": "KEYS_ONLY"
                }
            }]}),
        }
    }
}

impl Body {
    /// The queue message's body.
    pub fn message(&self) -> String {
        let due = "2026-11-22T09:00:00Z";
        match self {
            Body::Handoff => json!({ "incident_id": INCIDENT, "version": 1, "reason": "reported" }),
            Body::Notification(channel) => {
                json!({ "incident_id": INCIDENT, "contact_id": CONTACT, "channel": channel, "step": 0 })
            }
            Body::Escalation => json!({ "incident_id": INCIDENT, "round": 1, "step": 0, "due_at": due }),
            Body::Briefing => json!({ "incident_id": INCIDENT, "reason": { "kind": "changes" }, "due_at": due }),
            Body::SesReceipt => json!({
                "eventType": "Delivery",
                "mail": { "timestamp": due, "messageId": "cold-start-message", "source": "alerts@sim.example",
                          "destination": ["nobody@example.invalid"] },
                "delivery": { "timestamp": due, "recipients": ["nobody@example.invalid"], "processingTimeMillis": 10,
                              "smtpResponse": "250 ok" }
            }),
        }
        .to_string()
    }
}

impl Request {
    fn event(&self, secrets: &Secrets) -> Value {
        match self {
            Request::IntakeStatus => http_event(
                "GET",
                &format!("/v1/incidents/{INCIDENT}"),
                "",
                &[("authorization", format!("Bearer {}", api_key()))],
            ),
            Request::RespondPage => {
                let claims = LinkClaims {
                    incident_id: IncidentId::parse(INCIDENT).expect("a valid incident id"),
                    contact_id: ContactId::parse(CONTACT).expect("a valid contact id"),
                    channel: Channel::Sms,
                    expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(1),
                };
                http_event("GET", &format!("/a/{}", secrets.link_key.sign(&claims)), "", &[])
            }
            Request::ConsoleBoard => http_event(
                "GET",
                "/console",
                "",
                &[("cookie", "__Host-sim-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())],
            ),
            Request::WebhookVerify => http_event(
                "GET",
                "/whatsapp/webhook",
                &format!("hub.mode=subscribe&hub.verify_token={}&hub.challenge=1158201444", secrets.verify_token),
                &[],
            ),
        }
    }
}

/// A well-formed API key of a caller that does not exist: intake looks the caller up before refusing it.
pub fn api_key() -> String {
    format!("sim_cal-coldstart_{}", "5e".repeat(32))
}

/// An SQS event of one message.
pub fn sqs_event(body: &str) -> Value {
    json!({ "Records": [{
        "messageId": "00000000-0000-4000-8000-000000000001",
        "receiptHandle": "cold-start",
        "body": body,
        "attributes": { "ApproximateReceiveCount": "1", "SentTimestamp": "1795856400000",
                        "SenderId": "000000000000", "ApproximateFirstReceiveTimestamp": "1795856400000" },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-2:000000000000:sim-cold-start",
        "awsRegion": "eu-west-2"
    }]})
}

/// An HTTP API payload 2.0 request (also what a function URL sends).
pub fn http_event(method: &str, path: &str, query: &str, headers: &[(&str, String)]) -> Value {
    let mut all = serde_json::Map::new();
    all.insert("host".into(), "sim.bench.example".into());
    all.insert("user-agent".into(), "sim-bench".into());
    for (name, value) in headers {
        all.insert((*name).into(), value.clone().into());
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all,
        "requestContext": {
            "accountId": "000000000000", "apiId": "bench", "domainName": "sim.bench.example", "domainPrefix": "sim",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                      "userAgent": "sim-bench" },
            "requestId": "cold-start", "routeKey": "$default", "stage": "$default",
            "time": "22/Nov/2026:09:00:00 +0000", "timeEpoch": 1795856400000u64
        },
        "isBase64Encoded": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::domain::follow_up::BriefingCheck;
    use sim::domain::notification::{EscalationCheck, NotificationMessage};
    use sim::handoff::HandoffMessage;

    fn secrets_for(key: &LinkKey) -> Secrets<'_> {
        Secrets { link_key: key, verify_token: "verify-me" }
    }

    /// The body each queue consumer is given is a message of its type (else it would be a poison message,
    /// not a cold start).
    #[test]
    fn queue_bodies_are_the_consumers_message_types() {
        serde_json::from_str::<HandoffMessage>(&Body::Handoff.message()).expect("a hand-off");
        for channel in ["sms", "email", "whatsapp"] {
            let m: NotificationMessage =
                serde_json::from_str(&Body::Notification(channel).message()).expect("a notification");
            assert_eq!(m.channel.to_string(), channel);
        }
        serde_json::from_str::<EscalationCheck>(&Body::Escalation.message()).expect("an escalation check");
        serde_json::from_str::<BriefingCheck>(&Body::Briefing.message()).expect("a briefing check");
    }

    /// Every event reaches the runtime as the type the function's runtime reads.
    #[test]
    fn each_event_is_the_shape_its_runtime_reads() {
        let key = LinkKey::generate();
        for function in FUNCTIONS {
            let event = function.trigger.event(&secrets_for(&key));
            match function.trigger {
                Trigger::Sqs(body) => {
                    let sqs: aws_lambda_events::event::sqs::SqsEvent =
                        serde_json::from_value(event).unwrap_or_else(|e| panic!("{}: {e}", function.binary));
                    assert_eq!(sqs.records.len(), 1, "{}", function.binary);
                    assert_eq!(sqs.records[0].body.as_deref(), Some(body.message().as_str()));
                }
                Trigger::Http(_) => {
                    let request: lambda_http::request::LambdaRequest =
                        serde_json::from_value(event).unwrap_or_else(|e| panic!("{}: {e}", function.binary));
                    let request: lambda_http::Request = request.into();
                    assert_eq!(request.method(), "GET", "{}", function.binary);
                }
                Trigger::Schedule | Trigger::Stream => assert!(event.is_object()),
            }
        }
    }

    /// Intake is given a key it can parse, so it goes on to look the caller up.
    #[test]
    fn the_intake_key_is_well_formed() {
        let (caller, _) = sim::domain::ApiKey::parse(&api_key()).expect("a well-formed key");
        assert_eq!(caller.to_string(), "cal-coldstart");
    }

    /// Respond is given a link it accepts, so it goes on to read the store.
    #[test]
    fn the_respond_link_verifies_with_the_stored_key() {
        let key = LinkKey::generate();
        let event = Trigger::Http(Request::RespondPage).event(&secrets_for(&key));
        let path = event["rawPath"].as_str().unwrap();
        let token = path.strip_prefix("/a/").expect("a personal link");
        let claims = key.verify(token, time::OffsetDateTime::now_utc()).expect("the link verifies");
        assert_eq!(claims.incident_id.to_string(), INCIDENT);
    }

    /// The webhook is given the stored verify token, so it answers the challenge rather than refusing.
    #[test]
    fn the_webhook_check_carries_the_verify_token() {
        let key = LinkKey::generate();
        let event = Trigger::Http(Request::WebhookVerify).event(&secrets_for(&key));
        assert!(event["rawQueryString"].as_str().unwrap().contains("hub.verify_token=verify-me"));
    }

    #[test]
    fn every_deployed_binary_is_measured_once() {
        let mut names: Vec<_> = FUNCTIONS.iter().map(|f| f.binary).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FUNCTIONS.len());
        assert!(!names.contains(&"hello"));
    }
}
