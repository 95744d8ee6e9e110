//! What a council gets when it deploys `infra/template.yaml`, checked without
//! AWS: the template is read as CloudFormation would read it for a given set
//! of parameters (defaults, AllowedPattern/AllowedValues, Rules, Conditions,
//! `!If`, `!Ref` of parameters, `!Sub` of parameters), and the tests look at
//! the resources that deploy would create. Plus the shape of the `events/`
//! fixtures: what API Gateway and SQS really send.

use regex_lite::Regex;
use serde_json::Value as Json;
use serde_norway::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet};

fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn template() -> Value {
    let text = std::fs::read_to_string(repo("infra/template.yaml")).expect("infra/template.yaml");
    serde_norway::from_str(&text).expect("the template is YAML")
}

/// What a council must give on every deploy (no defaults), plus an alarm
/// address; each test adds what it is about.
const REQUIRED: &[(&str, &str)] = &[
    ("EmailFrom", "alerts@sim.lambeth.gov.uk"),
    ("EmailIdentity", "sim.lambeth.gov.uk"),
    ("AlarmEmail", "duty.manager@lambeth.gov.uk"),
];

fn tag(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((t.tag.to_string().trim_start_matches('!').to_owned(), &t.value)),
        _ => None,
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One deploy: the template with its parameters resolved.
struct Stack {
    doc: Value,
    params: BTreeMap<String, String>,
}

impl Stack {
    /// As CloudFormation would take these parameters: Err with its reason if
    /// it would refuse them before creating anything.
    fn deploy(given: &[(&str, &str)]) -> Result<Stack, String> {
        let doc = template();
        let mut params = BTreeMap::new();
        let given: BTreeMap<&str, &str> = REQUIRED.iter().chain(given).copied().collect();
        for (name, spec) in doc["Parameters"].as_mapping().expect("Parameters") {
            let name = name.as_str().unwrap();
            let value = match given.get(name) {
                Some(v) => v.to_string(),
                None => scalar(&spec["Default"]).ok_or_else(|| format!("parameter {name} is required"))?,
            };
            if let Some(pattern) = spec["AllowedPattern"].as_str() {
                let re = Regex::new(&format!("^(?:{pattern})$")).expect("AllowedPattern compiles");
                if !re.is_match(&value) {
                    return Err(format!("{name}={value:?} does not match {pattern}"));
                }
            }
            if let Some(allowed) = spec["AllowedValues"].as_sequence() {
                if !allowed.iter().filter_map(scalar).any(|a| a == value) {
                    return Err(format!("{name}={value:?} is not one of its AllowedValues"));
                }
            }
            if let Some(min) = spec["MinValue"].as_f64() {
                if value.parse::<f64>().map_err(|e| e.to_string())? < min {
                    return Err(format!("{name}={value} is below {min}"));
                }
            }
            if let Some(max) = spec["MaxValue"].as_f64() {
                if value.parse::<f64>().map_err(|e| e.to_string())? > max {
                    return Err(format!("{name}={value} is above {max}"));
                }
            }
            params.insert(name.to_owned(), value);
        }
        for name in given.keys() {
            assert!(params.contains_key(*name), "the template has no parameter {name}");
        }
        let stack = Stack { doc, params };
        if let Some(rules) = stack.doc["Rules"].as_mapping() {
            for (_, rule) in rules {
                let applies = rule.get("RuleCondition").is_none_or(|c| stack.holds(c));
                for assertion in rule["Assertions"].as_sequence().into_iter().flatten() {
                    if applies && !stack.holds(&assertion["Assert"]) {
                        return Err(assertion["AssertDescription"].as_str().unwrap_or("a rule").to_owned());
                    }
                }
            }
        }
        Ok(stack)
    }

    fn ok(given: &[(&str, &str)]) -> Stack {
        Stack::deploy(given).unwrap_or_else(|e| panic!("deploy with {given:?} refused: {e}"))
    }

    fn condition(&self, name: &str) -> bool {
        let c = &self.doc["Conditions"][name];
        assert!(!c.is_null(), "no condition {name}");
        self.holds(c)
    }

    fn holds(&self, c: &Value) -> bool {
        let (t, args) = tag(c).unwrap_or_else(|| panic!("not a condition function: {c:?}"));
        let args = args.as_sequence();
        match t.as_str() {
            "Equals" => {
                let a = args.unwrap();
                let v = |x: &Value| self.eval(x).as_ref().and_then(scalar);
                v(&a[0]) == v(&a[1])
            }
            "Not" => !self.holds(&args.unwrap()[0]),
            "And" => args.unwrap().iter().all(|x| self.holds(x)),
            "Or" => args.unwrap().iter().any(|x| self.holds(x)),
            "Condition" => self.condition(tag(c).unwrap().1.as_str().unwrap()),
            other => panic!("condition function {other}"),
        }
    }

    /// The value after CloudFormation resolves conditions and parameters;
    /// None is AWS::NoValue. References to resources stay as they are.
    fn eval(&self, v: &Value) -> Option<Value> {
        if let Some((t, inner)) = tag(v) {
            return match t.as_str() {
                "Ref" => {
                    let name = inner.as_str().unwrap();
                    if name == "AWS::NoValue" {
                        None
                    } else if let Some(p) = self.params.get(name) {
                        Some(Value::String(p.clone()))
                    } else {
                        Some(v.clone())
                    }
                }
                "If" => {
                    let a = inner.as_sequence().unwrap();
                    let pick = if self.condition(a[0].as_str().unwrap()) { &a[1] } else { &a[2] };
                    self.eval(pick)
                }
                "Sub" if inner.is_string() => {
                    let mut s = inner.as_str().unwrap().to_owned();
                    for (k, p) in &self.params {
                        s = s.replace(&format!("${{{k}}}"), p);
                    }
                    Some(if s.contains("${") { Value::Tagged(Box::new(sub(s))) } else { Value::String(s) })
                }
                _ => {
                    let mut t2 = match v {
                        Value::Tagged(t2) => (**t2).clone(),
                        _ => unreachable!(),
                    };
                    t2.value = self.eval(inner)?;
                    Some(Value::Tagged(Box::new(t2)))
                }
            };
        }
        match v {
            Value::Mapping(m) => {
                let mut out = Mapping::new();
                for (k, x) in m {
                    if let Some(x) = self.eval(x) {
                        out.insert(k.clone(), x);
                    }
                }
                Some(Value::Mapping(out))
            }
            Value::Sequence(s) => Some(Value::Sequence(s.iter().filter_map(|x| self.eval(x)).collect())),
            other => Some(other.clone()),
        }
    }

    /// Every resource this deploy creates, by logical id, resolved.
    fn resources(&self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for (name, r) in self.doc["Resources"].as_mapping().unwrap() {
            if let Some(c) = r.get("Condition").and_then(Value::as_str) {
                if !self.condition(c) {
                    continue;
                }
            }
            out.insert(name.as_str().unwrap().to_owned(), self.eval(r).unwrap());
        }
        out
    }

    fn of_type(&self, kind: &str) -> BTreeMap<String, Value> {
        self.resources().into_iter().filter(|(_, r)| r["Type"].as_str() == Some(kind)).collect()
    }

    fn resource(&self, name: &str) -> Value {
        self.resources().remove(name).unwrap_or_else(|| panic!("no resource {name} in this deploy"))
    }

    fn env(&self, function: &str, var: &str) -> Option<String> {
        scalar(&self.resource(function)["Properties"]["Environment"]["Variables"][var])
    }
}

fn sub(s: String) -> serde_norway::value::TaggedValue {
    serde_norway::value::TaggedValue { tag: serde_norway::value::Tag::new("Sub"), value: Value::String(s) }
}

/// The logical id a `!Ref X`, `!GetAtt X.Attr` or `!GetAtt [X, Attr]` names.
fn refers_to(v: &Value) -> Option<String> {
    let (t, inner) = tag(v)?;
    match (t.as_str(), inner) {
        ("Ref", Value::String(s)) => Some(s.clone()),
        ("GetAtt", Value::String(s)) => s.split('.').next().map(str::to_owned),
        ("GetAtt", Value::Sequence(s)) => s[0].as_str().map(str::to_owned),
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<Value> {
    match v {
        Value::Sequence(s) => s.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    }
}

fn timeout(stack: &Stack, function: &Value) -> u64 {
    function["Properties"]["Timeout"]
        .as_u64()
        .or_else(|| stack.doc["Globals"]["Function"]["Timeout"].as_u64())
        .expect("a timeout")
}

/// (function, its SQS event's properties) for every queue trigger.
fn queue_triggers(stack: &Stack) -> Vec<(String, Value, Value)> {
    let mut out = vec![];
    for (name, f) in stack.of_type("AWS::Serverless::Function") {
        for (_, e) in f["Properties"]["Events"].as_mapping().into_iter().flatten() {
            if e["Type"].as_str() == Some("SQS") {
                out.push((name.clone(), f.clone(), e["Properties"].clone()));
            }
        }
    }
    assert!(out.len() >= 6, "the six queue consumers");
    out
}

#[test]
fn a_first_deploy_into_a_fresh_account_reserves_no_concurrency() {
    let fresh = Stack::ok(&[]);
    for (name, f) in fresh.of_type("AWS::Serverless::Function") {
        assert!(
            f["Properties"].get("ReservedConcurrentExecutions").is_none(),
            "{name} reserves concurrency: refused in an account with the default low quota"
        );
    }
    // A council with the quota can reserve: the public functions are then
    // capped, and the sweep runs alone.
    let reserved = Stack::ok(&[("PublicReservedConcurrency", "50")]);
    let reserved_for = |f: &str| reserved.resource(f)["Properties"]["ReservedConcurrentExecutions"].clone();
    assert_eq!(scalar(&reserved_for("IntakeFunction")).as_deref(), Some("50"));
    assert_eq!(scalar(&reserved_for("RespondFunction")).as_deref(), Some("50"));
    assert_eq!(scalar(&reserved_for("ConsoleFunction")).as_deref(), Some("50"));
    assert_eq!(scalar(&reserved_for("SweepFunction")).as_deref(), Some("1"));
}

#[test]
fn alarms_reach_someone() {
    let neither: Vec<(&str, &str)> = vec![("AlarmEmail", "")];
    let refused = Stack::deploy(&neither).err().expect("a deploy whose alarms reach nobody is refused");
    assert!(refused.contains("AlarmEmail"), "{refused}");

    let own_topic = Stack::ok(&[]);
    // EmailEventsTopic and SmsEventsTopic carry delivery receipts, not alarms.
    let alarm_topics = |stack: &Stack| -> Vec<String> {
        stack.of_type("AWS::SNS::Topic").into_keys().filter(|k| !k.ends_with("EventsTopic")).collect()
    };
    let topic = alarm_topics(&own_topic).first().expect("the stack creates an alarm topic").clone();
    let subscription = own_topic
        .of_type("AWS::SNS::Subscription")
        .into_values()
        .find(|s| s["Properties"]["Protocol"] == "email")
        .expect("subscribed");
    assert_eq!(subscription["Properties"]["Protocol"], "email");
    assert_eq!(subscription["Properties"]["Endpoint"], "duty.manager@lambeth.gov.uk");
    assert_eq!(refers_to(&subscription["Properties"]["TopicArn"]), Some(topic.clone()));
    let alarms = own_topic.of_type("AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 14);
    for (name, alarm) in &alarms {
        let actions = strings(&alarm["Properties"]["AlarmActions"]);
        assert_eq!(actions.len(), 1, "{name} notifies one topic");
        assert_eq!(refers_to(&actions[0]), Some(topic.clone()), "{name} notifies the alarm topic");
    }

    let arn = "arn:aws:sns:eu-west-2:123456789012:lambeth-oncall";
    let theirs = Stack::ok(&[("AlarmTopicArn", arn), ("AlarmEmail", "")]);
    assert!(alarm_topics(&theirs).is_empty(), "no second topic when the council brings one");
    for (name, alarm) in theirs.of_type("AWS::CloudWatch::Alarm") {
        assert_eq!(strings(&alarm["Properties"]["AlarmActions"]), vec![Value::from(arn)], "{name}");
        assert_eq!(strings(&alarm["Properties"]["OKActions"]), vec![Value::from(arn)], "{name}");
    }
}

#[test]
fn alarms_cover_the_public_functions_the_api_categorisation_and_the_sweep() {
    let stack = Stack::ok(&[]);
    let watched: BTreeSet<(String, String, String)> = stack
        .of_type("AWS::CloudWatch::Alarm")
        .values()
        .flat_map(|a| {
            let p = &a["Properties"];
            strings(&p["Dimensions"]).into_iter().filter_map(move |d| {
                Some((
                    p["Namespace"].as_str()?.to_owned(),
                    p["MetricName"].as_str()?.to_owned(),
                    refers_to(&d["Value"])?,
                ))
            })
        })
        .collect();
    for (namespace, metric, resource) in [
        ("AWS/Lambda", "Errors", "IntakeFunction"),
        ("AWS/Lambda", "Throttles", "IntakeFunction"),
        ("AWS/Lambda", "Errors", "RespondFunction"),
        ("AWS/Lambda", "Throttles", "RespondFunction"),
        ("AWS/ApiGateway", "5xx", "HttpApi"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", "CategoriseQueue"),
        ("AWS/Lambda", "Errors", "SweepFunction"),
    ] {
        let key = (namespace.to_owned(), metric.to_owned(), resource.to_owned());
        assert!(watched.contains(&key), "no alarm on {metric} of {resource}");
    }
}

#[test]
fn every_public_route_is_throttled() {
    let stack = Stack::ok(&[("ApiRateLimit", "5"), ("ApiBurstLimit", "10")]);
    let api = stack.resource("HttpApi");
    let settings = &api["Properties"]["DefaultRouteSettings"];
    assert_eq!(scalar(&settings["ThrottlingRateLimit"]).as_deref(), Some("5"));
    assert_eq!(scalar(&settings["ThrottlingBurstLimit"]).as_deref(), Some("10"));
    // No route overrides the limit away.
    for (route, s) in api["Properties"]["RouteSettings"].as_mapping().into_iter().flatten() {
        assert!(s.get("ThrottlingRateLimit").is_some(), "{route:?} has its own limit");
    }
    assert!(Stack::deploy(&[("ApiRateLimit", "0")]).is_err(), "a route cannot be left unthrottled");
}

#[test]
fn public_base_url_is_an_origin_and_every_function_that_needs_it_gets_the_same_one() {
    for bad in ["https://sim.lambeth.gov.uk/incidents", "https://sim.lambeth.gov.uk/", "http://sim.lambeth.gov.uk"] {
        assert!(Stack::deploy(&[("PublicBaseUrl", bad)]).is_err(), "{bad} accepted: links and form actions would 404");
    }
    for good in ["https://sim.lambeth.gov.uk", "https://sim.lambeth.gov.uk:8443", ""] {
        Stack::ok(&[("PublicBaseUrl", good)]);
    }
    let domain = [("DomainName", "sim.lambeth.gov.uk"), ("CertificateArn", CERT)];
    let cloudfront = [("PublicBaseUrl", "https://incidents.lambeth.gov.uk")];
    for (given, expected) in [
        (&domain[..], Some("https://sim.lambeth.gov.uk")),
        (&cloudfront[..], Some("https://incidents.lambeth.gov.uk")),
        (&[][..], None),
    ] {
        let stack = Stack::ok(given);
        // The responder page compares a press's Origin with this, not Host.
        let respond =
            stack.resource("RespondFunction")["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"].clone();
        assert!(!respond.is_null(), "respond is told the public origin");
        for sender in ["SendSmsFunction", "SendEmailFunction"] {
            let links = stack.resource(sender)["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"].clone();
            assert_eq!(links, respond, "{sender} links to the origin respond accepts presses from");
        }
        if let Some(expected) = expected {
            assert_eq!(stack.env("RespondFunction", "PUBLIC_BASE_URL").as_deref(), Some(expected));
        }
    }
}

const CERT: &str = "arn:aws:acm:eu-west-2:123456789012:certificate/0b5e2d8c-1a3f-4e6b-9c7d-2f8a1b3c4d5e";

#[test]
fn a_custom_domain_serves_sim_at_its_root_and_can_replace_the_execute_api_address() {
    let api = Stack::ok(&[]).resource("HttpApi");
    let stage = api["Properties"]["StageName"].as_str().unwrap_or("$default");
    assert_eq!(stage, "$default", "a named stage puts /{stage}/ before every path, where no route matches");

    let stack = Stack::ok(&[
        ("DomainName", "sim.lambeth.gov.uk"),
        ("CertificateArn", CERT),
        ("HostedZoneId", "Z0123456789ABCDEFGHIJ"),
        ("DisableExecuteApiEndpoint", "true"),
    ]);
    let domain = stack.of_type("AWS::ApiGatewayV2::DomainName").into_values().next().expect("a custom domain");
    assert_eq!(domain["Properties"]["DomainName"], "sim.lambeth.gov.uk");
    assert_eq!(domain["Properties"]["DomainNameConfigurations"][0]["CertificateArn"], CERT);
    let mapping = stack.of_type("AWS::ApiGatewayV2::ApiMapping").into_values().next().expect("mapped to the API");
    assert_eq!(mapping["Properties"]["Stage"], "$default");
    assert!(mapping["Properties"].get("ApiMappingKey").is_none(), "no base path: routes are root-absolute");
    assert_eq!(stack.of_type("AWS::Route53::RecordSet").len(), 1, "the alias record in the council's zone");
    assert_eq!(stack.resource("HttpApi")["Properties"]["DisableExecuteApiEndpoint"], Value::Bool(true));
    assert_eq!(Stack::ok(&[]).resource("HttpApi")["Properties"]["DisableExecuteApiEndpoint"], Value::Bool(false));

    assert!(Stack::deploy(&[("DomainName", "sim.lambeth.gov.uk")]).is_err(), "a domain needs its certificate");
    assert!(Stack::deploy(&[("DisableExecuteApiEndpoint", "true")]).is_err(), "nothing would reach SIM");
    assert!(Stack::ok(&[]).of_type("AWS::ApiGatewayV2::DomainName").is_empty());
}

#[test]
fn the_access_log_never_records_a_personal_link() {
    let api = Stack::ok(&[]).resource("HttpApi");
    let format = api["Properties"]["AccessLogSettings"]["Format"].as_str().expect("an access log format");
    let fields: Json = serde_json::from_str(format).expect("the format is JSON");
    let event: Json = serde_json::from_str(&std::fs::read_to_string(repo("events/respond-get.json")).unwrap()).unwrap();
    let token = event["pathParameters"]["token"].as_str().unwrap();
    // What each context variable would log for a responder opening a link.
    let logged = |v: &str| -> String {
        v.replace("$context.path", event["rawPath"].as_str().unwrap())
            .replace("$context.http.path", event["rawPath"].as_str().unwrap())
            .replace("$context.routeKey", event["routeKey"].as_str().unwrap())
    };
    for (field, v) in fields.as_object().unwrap() {
        assert!(!logged(v.as_str().unwrap()).contains(token), "{field} would log the link's token");
    }
    assert!(fields.as_object().unwrap().values().any(|v| v == "$context.routeKey"), "the route is still logged");
}

#[test]
fn each_function_has_its_own_role_that_reaches_only_its_own_queue() {
    let stack = Stack::ok(&[("WhatsAppPhoneNumberId", "106540352242922")]);
    let roles = stack.of_type("AWS::IAM::Role");
    for (name, role) in &roles {
        assert!(role["Properties"].get("ManagedPolicyArns").is_none(), "{name} has an AWS-managed policy");
    }
    let consumed: BTreeMap<String, String> =
        queue_triggers(&stack).into_iter().map(|(f, _, e)| (f, refers_to(&e["Queue"]).unwrap())).collect();
    for (name, f) in stack.of_type("AWS::Serverless::Function") {
        let p = &f["Properties"];
        assert!(p.get("Policies").is_none(), "{name}: SAM would add AWSLambdaSQSQueueExecutionRole (every queue)");
        let role = refers_to(&p["Role"]).unwrap_or_else(|| panic!("{name} has no role of its own"));
        let role = &roles[&role];
        for policy in strings(&role["Properties"]["Policies"]) {
            for st in strings(&policy["PolicyDocument"]["Statement"]) {
                let actions: Vec<String> = strings(&st["Action"]).iter().filter_map(scalar).collect();
                let resources = strings(&st["Resource"]);
                if resources.iter().any(|r| r == "*") {
                    assert_eq!(actions, ["sns:Publish"], "{name}: only SMS publishing has no resource to scope to");
                }
                if actions.iter().any(|a| a == "sqs:ReceiveMessage" || a == "sqs:DeleteMessage") {
                    let queues: Vec<_> = resources.iter().filter_map(refers_to).collect();
                    assert_eq!(queues, [consumed[&name].clone()], "{name} may receive from its own queue only");
                }
            }
        }
    }
}

#[test]
fn queue_consumers_have_six_times_their_timeout_and_a_concurrency_ceiling() {
    let stack = Stack::ok(&[("WhatsAppPhoneNumberId", "106540352242922")]);
    for (name, f, event) in queue_triggers(&stack) {
        let queue = stack.resource(&refers_to(&event["Queue"]).unwrap());
        let visibility = queue["Properties"]["VisibilityTimeout"].as_u64().unwrap_or(30);
        let t = timeout(&stack, &f);
        assert!(visibility >= 6 * t, "{name}: visibility {visibility} s < 6 x timeout {t} s");
        assert!(
            scalar(&event["ScalingConfig"]["MaximumConcurrency"]).is_some(),
            "{name}: a backlog could take every free execution"
        );
    }
}

#[test]
fn the_table_is_deletion_protected_and_can_use_the_councils_key() {
    let table = Stack::ok(&[]).resource("Table");
    assert_eq!(table["Properties"]["DeletionProtectionEnabled"], Value::Bool(true));
    assert!(table["Properties"]["SSESpecification"].get("KMSMasterKeyId").is_none());

    let key = "arn:aws:kms:eu-west-2:123456789012:key/4f1c2a7e-9b3d-4e8f-a6c1-2d7e9f0b3a5c";
    let stack = Stack::ok(&[("KmsKeyArn", key)]);
    assert_eq!(stack.resource("Table")["Properties"]["SSESpecification"]["KMSMasterKeyId"], key);
    let logs = stack.of_type("AWS::Logs::LogGroup");
    assert!(logs.len() >= 9);
    for (name, group) in logs {
        assert_eq!(group["Properties"]["KmsKeyId"], key, "{name}");
    }
    for (name, role) in stack.of_type("AWS::IAM::Role") {
        let text = serde_norway::to_string(&role).unwrap();
        // Every function's role (the scheduler's role only sends to a queue).
        if text.contains("lambda.amazonaws.com") {
            assert!(text.contains(key), "{name} cannot use the table's key");
        }
    }
    assert!(Stack::deploy(&[("KmsKeyArn", "alias/lambeth")]).is_err(), "an alias is refused: give the key ARN");
}

#[test]
fn the_receipts_topics_are_under_a_key_ses_and_end_user_messaging_may_publish_with() {
    const TOPICS: [&str; 3] = ["EmailEventsTopic", "SmsEventsTopic", "SmsInboundEventsTopic"];
    let stack = Stack::ok(&[]);
    let key = stack.resource("ReceiptsTopicsKey");
    assert_eq!(key["Properties"]["EnableKeyRotation"], Value::Bool(true));
    for topic in TOPICS {
        let id = &stack.resource(topic)["Properties"]["KmsMasterKeyId"];
        assert_eq!(refers_to(id).as_deref(), Some("ReceiptsTopicsKey"), "{topic} is under {id:?}");
    }
    // SES and End User Messaging SMS may use it to publish, for this account only; nobody else may use it.
    let statements = key["Properties"]["KeyPolicy"]["Statement"].as_sequence().expect("a key policy").clone();
    for service in ["ses.amazonaws.com", "sms-voice.amazonaws.com"] {
        let grant = statements
            .iter()
            .find(|s| s["Principal"]["Service"].as_str() == Some(service))
            .unwrap_or_else(|| panic!("the key policy does not let {service} use the key"));
        assert_eq!(grant["Effect"], "Allow");
        let actions: BTreeSet<String> = strings(&grant["Action"]).iter().filter_map(scalar).collect();
        assert!(actions.contains("kms:GenerateDataKey*") && actions.contains("kms:Decrypt"), "{service}: {actions:?}");
        let account = &grant["Condition"]["StringEquals"]["aws:SourceAccount"];
        assert_eq!(refers_to(account).as_deref(), Some("AWS::AccountId"), "{service} is not scoped to the account");
    }
    for s in &statements {
        let actions: Vec<String> = strings(&s["Action"]).iter().filter_map(scalar).collect();
        let uses = actions.iter().any(|a| a == "kms:*" || a == "kms:Decrypt" || a.starts_with("kms:GenerateDataKey"));
        assert!(!uses || s["Principal"]["Service"].is_string(), "only the two services use the key: {s:?}");
        assert_ne!(s["Principal"], "*");
    }

    // With the council's own key, the topics are under it and no key is created.
    let council = "arn:aws:kms:eu-west-2:123456789012:key/4f1c2a7e-9b3d-4e8f-a6c1-2d7e9f0b3a5c";
    let own = Stack::ok(&[("KmsKeyArn", council)]);
    assert!(!own.resources().contains_key("ReceiptsTopicsKey"));
    for topic in TOPICS {
        assert_eq!(own.resource(topic)["Properties"]["KmsMasterKeyId"], council, "{topic}");
    }
    // No topic of either deploy is under the AWS-managed key, which SES and End User Messaging cannot use.
    for deploy in [&stack, &own] {
        for (name, topic) in deploy.of_type("AWS::SNS::Topic") {
            let id = scalar(&topic["Properties"]["KmsMasterKeyId"]).unwrap_or_default();
            assert!(!id.starts_with("alias/aws/"), "{name} is under {id}");
        }
    }
}

#[test]
fn every_dead_letter_queue_url_is_an_output() {
    let stack = Stack::ok(&[]);
    let dlqs: BTreeSet<String> = stack
        .of_type("AWS::SQS::Queue")
        .values()
        .filter_map(|q| refers_to(&q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
        .collect();
    assert_eq!(dlqs.len(), 7);
    let outputs: BTreeSet<String> = stack.doc["Outputs"]
        .as_mapping()
        .unwrap()
        .values()
        .filter_map(|o| refers_to(&stack.eval(&o["Value"])?))
        .collect();
    for dlq in dlqs {
        assert!(outputs.contains(&dlq), "{dlq}'s URL is not an output");
    }
}

#[test]
fn whatsapp_is_optional() {
    let without = Stack::ok(&[]);
    assert!(!without.of_type("AWS::Serverless::Function").contains_key("SendWhatsAppFunction"));
    let with = Stack::ok(&[("WhatsAppPhoneNumberId", "106540352242922")]);
    let functions = |stack: &Stack| stack.of_type("AWS::Serverless::Function").len();
    assert_eq!(functions(&with), functions(&without) + 2, "only the WhatsApp sender and its webhook depend on it");
    assert!(
        without.of_type("AWS::Serverless::Function").contains_key("ReceiptsFunction"),
        "receipts runs without WhatsApp"
    );
    assert_eq!(with.env("SendWhatsAppFunction", "WHATSAPP_PHONE_NUMBER_ID").as_deref(), Some("106540352242922"));
    assert!(Stack::deploy(&[("WhatsAppPhoneNumberId", "+44 7700 900123")]).is_err());
}

/// The README's deploy section and the page it links to.
fn deploy_docs() -> String {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let start = readme.find("## Deploy to AWS with SAM").expect("the README's deploy section");
    let end = readme[start + 3..].find("\n## ").map_or(readme.len(), |i| start + 3 + i);
    let deploy = std::fs::read_to_string(repo("docs/deploy.md")).unwrap_or_default();
    assert!(readme[start..end].contains("docs/deploy.md"), "the deploy section links docs/deploy.md");
    format!("{}\n{deploy}", &readme[start..end])
}

#[test]
fn the_deploy_docs_name_every_parameter_function_and_prerequisite() {
    let docs = deploy_docs();
    let doc = template();
    for (name, _) in doc["Parameters"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        assert!(docs.contains(&format!("`{name}`")), "parameter {name} is not documented");
    }
    for (_, r) in doc["Resources"].as_mapping().unwrap() {
        if r["Type"] == "AWS::Serverless::Function" {
            let binary = r["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
            assert!(docs.contains(&format!("`{binary}`")), "function {binary} is not documented");
        }
    }
    for needed in [
        "aarch64-unknown-linux-gnu",
        "cargo-lambda",
        "Zig",
        "production access",
        "sandbox",
        "spend limit",
        "Service Quotas",
        "put-parameter",
    ] {
        assert!(docs.contains(needed), "the deploy docs do not mention {needed}");
    }
    assert!(Regex::new(r"SAM CLI[^\n]*1\.\d+").unwrap().is_match(&docs), "no minimum SAM CLI version");
}

// --- The events/ fixtures -------------------------------------------------

fn fixtures() -> Vec<(String, Json)> {
    let mut out = vec![];
    for entry in std::fs::read_dir(repo("events")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn http_fixtures_are_what_api_gateway_sends() {
    let mut seen = 0;
    for (name, e) in fixtures().into_iter().filter(|(_, e)| e["version"] == "2.0") {
        seen += 1;
        let headers = e["headers"].as_object().unwrap();
        for h in ["host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-amzn-trace-id"] {
            assert!(headers.contains_key(h), "{name}: API Gateway always sends {h}");
        }
        assert!(!headers.contains_key("cookie"), "{name}: payload 2.0 moves cookies to `cookies`");
        assert_eq!(e["rawPath"], e["requestContext"]["http"]["path"], "{name}");
        assert_eq!(e["routeKey"], e["requestContext"]["routeKey"], "{name}");
        let route = e["routeKey"].as_str().unwrap();
        let params: Vec<&str> = route
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|s| s.trim_end_matches('+'))
            .collect();
        for p in &params {
            assert!(e["pathParameters"][*p].is_string(), "{name}: {route} has pathParameters.{p}");
        }
        let form = headers.get("content-type").is_some_and(|c| c == "application/x-www-form-urlencoded");
        if form {
            assert_eq!(e["isBase64Encoded"], true, "{name}: HTTP APIs base64-encode form bodies");
        }
        if let Some(len) = headers.get("content-length") {
            let req = lambda_http::request::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
            assert_eq!(len.as_str().unwrap(), req.body().len().to_string(), "{name}: content-length");
        }
    }
    assert!(seen >= 11);
}

#[test]
fn sqs_fixtures_carry_the_md5_sqs_computes() {
    let mut seen = 0;
    for (name, e) in fixtures() {
        // DynamoDB Stream records (reports-stream.json) have no body.
        for r in e["Records"].as_array().into_iter().flatten().filter(|r| r["eventSource"] != "aws:dynamodb") {
            seen += 1;
            assert_eq!(r["md5OfBody"].as_str().unwrap(), md5_hex(r["body"].as_str().unwrap().as_bytes()), "{name}");
            assert!(r["receiptHandle"].as_str().unwrap().len() > 100, "{name}: receipt handles are long");
        }
    }
    assert!(seen >= 8);
}

/// RFC 1321 MD5, for checking `md5OfBody` (no crate in the tree has it).
fn md5_hex(input: &[u8]) -> String {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14,
        20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6,
        10, 15, 21,
    ];
    let k: Vec<u32> = (0..64).map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32).collect();
    let mut msg = input.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((input.len() as u64).wrapping_mul(8)).to_le_bytes());
    let mut h: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for chunk in msg.chunks(64) {
        let m: Vec<u32> = chunk.chunks(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let [mut a, mut b, mut c, mut d] = h;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        h = [h[0].wrapping_add(a), h[1].wrapping_add(b), h[2].wrapping_add(c), h[3].wrapping_add(d)];
    }
    h.iter().flat_map(|w| w.to_le_bytes()).map(|b| format!("{b:02x}")).collect()
}

#[test]
fn md5_matches_the_rfc_examples() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"The quick brown fox jumps over the lazy dog"), "9e107d9d372bb6826bd81d3542a419d6");
}
