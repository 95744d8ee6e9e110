//! Follow-ups days ahead as one-time schedules, fired by the local stack's
//! in-memory scheduler on an injected clock: at the right UK time across
//! the October clock change, once, however often they were asked for.

use sim::clock::ManualClock;
use sim::domain::follow_up::{BriefingCheck, BriefingReason, FollowUp, KeyDate, KeyDateKind};
use sim::ids::{ContactId, IncidentId, SequentialIds};
use sim::ports::schedule_checks;
use sim_cli::local::{build, Backing, Stack};
use sim_tests::*;
use std::sync::Arc;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

async fn stack(clock: Arc<ManualClock>) -> Stack {
    build(&Backing::Embedded { speed: 1 }, "http://127.0.0.1:3000", clock, Arc::new(SequentialIds::default()))
        .await
        .expect("stack builds")
}

/// Fires what is due at `at` on the stack's scheduler; returns the checks it delivered to the briefings queue.
async fn fire_at(stack: &Stack, clock: &ManualClock, at: OffsetDateTime) -> Vec<BriefingCheck> {
    clock.set(at);
    stack.scheduler.fire_due().await.expect("the briefings queue takes them");
    let bodies = drain(&*stack.alerting.briefings).await;
    bodies.into_iter().map(|b| serde_json::from_value(b).unwrap()).collect()
}

fn reasons(checks: &[BriefingCheck]) -> Vec<BriefingReason> {
    checks.iter().map(|c| c.reason.clone()).collect()
}

#[tokio::test]
async fn the_local_stack_fires_the_seven_day_review_at_uk_time_after_the_clocks_go_back() {
    // Closed at 10:00 BST on Tuesday 20 October 2026; the clocks go back on Sunday 25 October.
    let closed_at = datetime!(2026-10-20 09:00 UTC);
    let clock = Arc::new(ManualClock::new(closed_at));
    let stack = stack(clock.clone()).await;
    let follow_up = FollowUp::new(IncidentId::parse("inc-000001").unwrap());
    let reviews = follow_up.after_closing(closed_at);
    // Asked for twice (a redelivery, the button pressed again): one schedule each.
    for _ in 0..2 {
        schedule_checks(&*stack.respond.scheduler, &*stack.respond.briefings, &reviews, closed_at).await.unwrap();
    }
    assert!(drain(&*stack.alerting.briefings).await.is_empty(), "days ahead: nothing on the queue");
    let pending = stack.scheduler.pending();
    let expressions: Vec<(&str, &str)> =
        pending.iter().map(|(name, s)| (name.as_str(), s.expression.as_str())).collect();
    assert_eq!(
        expressions,
        [
            ("review-168h-inc-000001", "at(2026-10-27T09:00:00)"), // GMT by then
            ("review-24h-inc-000001", "at(2026-10-21T10:00:00)"),
            ("review-72h-inc-000001", "at(2026-10-23T10:00:00)"),
        ]
    );

    assert!(fire_at(&stack, &clock, datetime!(2026-10-21 08:59 UTC)).await.is_empty());
    let day = fire_at(&stack, &clock, datetime!(2026-10-21 09:00 UTC)).await;
    assert_eq!(reasons(&day), [BriefingReason::Review { after_hours: 24 }]);
    let three_days = fire_at(&stack, &clock, datetime!(2026-10-23 09:00 UTC)).await;
    assert_eq!(reasons(&three_days), [BriefingReason::Review { after_hours: 72 }]);
    // 09:00 read as summer time would be 08:00 UTC: still an hour early after the change.
    assert!(fire_at(&stack, &clock, datetime!(2026-10-27 08:00 UTC)).await.is_empty());
    assert!(fire_at(&stack, &clock, datetime!(2026-10-27 08:59 UTC)).await.is_empty());
    let week = fire_at(&stack, &clock, datetime!(2026-10-27 09:00 UTC)).await;
    assert_eq!(reasons(&week), [BriefingReason::Review { after_hours: 168 }]);
    assert_eq!(week[0].due_at, closed_at + Duration::days(7), "due when it fired");
    // Deleted after running: it never fires again.
    assert!(stack.scheduler.pending().is_empty());
    assert!(fire_at(&stack, &clock, datetime!(2026-11-30 09:00 UTC)).await.is_empty());
}

#[tokio::test]
async fn key_dates_either_side_of_the_clock_change_fire_at_nine_uk_time() {
    let now = datetime!(2026-10-20 09:00 UTC);
    let clock = Arc::new(ManualClock::new(now));
    let stack = stack(clock.clone()).await;
    let follow_up = FollowUp::new(IncidentId::parse("inc-000001").unwrap());
    let key_date =
        |kind, date| KeyDate { kind, date, added_by: ContactId::parse("con-gold").unwrap().into(), added_at: now };
    let checks = [
        follow_up.key_date_check(&key_date(KeyDateKind::CourtDate, date!(2026 - 10 - 24))),
        follow_up.key_date_check(&key_date(KeyDateKind::Funeral, date!(2026 - 10 - 26))),
    ];
    schedule_checks(&*stack.respond.scheduler, &*stack.respond.briefings, &checks, now).await.unwrap();

    assert!(fire_at(&stack, &clock, datetime!(2026-10-24 07:59 UTC)).await.is_empty());
    let court = fire_at(&stack, &clock, datetime!(2026-10-24 08:00 UTC)).await; // 09:00 BST
    assert_eq!(reasons(&court), [checks[0].reason.clone()]);
    assert!(fire_at(&stack, &clock, datetime!(2026-10-26 08:00 UTC)).await.is_empty());
    let funeral = fire_at(&stack, &clock, datetime!(2026-10-26 09:00 UTC)).await; // 09:00 GMT
    assert_eq!(reasons(&funeral), [checks[1].reason.clone()]);
}

#[tokio::test]
async fn a_check_due_within_fifteen_minutes_goes_on_the_queue_not_a_schedule() {
    let now = datetime!(2026-10-20 09:00 UTC);
    let clock = Arc::new(ManualClock::new(now));
    let stack = stack(clock.clone()).await;
    let soon = BriefingCheck {
        incident_id: IncidentId::parse("inc-000001").unwrap(),
        reason: BriefingReason::Closed,
        due_at: now,
    };
    schedule_checks(&*stack.respond.scheduler, &*stack.respond.briefings, std::slice::from_ref(&soon), now)
        .await
        .unwrap();
    assert!(stack.scheduler.pending().is_empty());
    let queued: Vec<BriefingCheck> =
        drain(&*stack.alerting.briefings).await.into_iter().map(|b| serde_json::from_value(b).unwrap()).collect();
    assert_eq!(queued, [soon]);
}
