//! A message refused for good moves to the person's next channel
//! (WhatsApp → SMS → email), once, and the refusal goes on the timeline.

use super::{SendFailure, SendOutcome, SenderDeps};
use crate::domain::choice::Choice;
use crate::domain::contact::Contact;
use crate::domain::notification::{Notification, NotificationKey, NotificationStatus};
use crate::domain::policy::Channel;
use crate::domain::{Event, TimelineEvent};
use crate::fanout::write_and_queue;
use crate::ports::Queue;
use std::collections::HashMap;
use std::sync::Arc;

/// The queue of the channel a sender falls back to.
pub struct Fallback {
    pub channel: Channel,
    pub queue: Arc<dyn Queue>,
}

impl crate::ports::QueueRoute for Fallback {
    fn for_channel(&self, channel: Channel) -> Option<&dyn Queue> {
        (channel == self.channel).then_some(&*self.queue)
    }
}

/// The channel to try when a message on `channel` is refused for good.
pub fn fallback_for(channel: Channel) -> Channel {
    match channel {
        Channel::WhatsApp => Channel::Sms,
        Channel::Sms => Channel::Email,
        Channel::Email => Channel::Sms,
    }
}

/// Records the refusal and queues the same alert on the next channel the
/// person can be reached on, unless they already have it there.
pub(super) async fn refused(
    deps: &SenderDeps,
    claimed: Notification,
    contact: &Contact,
    reason: String,
) -> Result<SendOutcome, SendFailure> {
    let now = deps.clock.now();
    let event = |e| TimelineEvent::new(&*deps.ids, &claimed.incident_id, now, e);
    let mut events = vec![event(Event::NotificationFailed {
        contact_id: contact.id.clone(),
        channel: claimed.channel,
        reason: reason.clone(),
    })];
    let mut fell_back_to = None;
    if let Some(fallback) = &deps.fallback {
        if let Some(next) = queue_next_channel(&*deps.store, fallback, &claimed, contact, now).await? {
            events.push(event(next));
            fell_back_to = Some(fallback.channel);
        }
    }
    let failed = Notification {
        status: NotificationStatus::Failed,
        failure: Some(reason.clone()),
        lease_until: None,
        ..claimed
    };
    deps.store.finish_notification(&failed, &events).await?;
    tracing::warn!(incident_id = %failed.incident_id, contact_id = %contact.id, channel = %failed.channel.as_str(), %reason, fell_back = ?fell_back_to, "refused for good");
    Ok(SendOutcome::Failed { reason, fell_back_to })
}

/// Queues the same alert as `failed` on the fallback channel, if the person
/// can be reached there and has no notification there for this step yet;
/// returns the `FellBack` event to put on the timeline. Used for a refusal at
/// send time and for a late failure a delivery receipt reports, alike.
pub async fn queue_next_channel(
    store: &dyn crate::ports::AlertStore,
    fallback: &Fallback,
    failed: &Notification,
    contact: &Contact,
    now: time::OffsetDateTime,
) -> Result<Option<Event>, SendFailure> {
    let channel = fallback.channel;
    let key = NotificationKey::new(&contact.id, channel, failed.step);
    let existing: HashMap<NotificationKey, Notification> =
        store.get_notification(&failed.incident_id, &key).await?.map(|n| (key, n)).into_iter().collect();
    if !existing.is_empty() || !contact.reachable(channel) {
        return Ok(None);
    }
    let next = Notification {
        deputy_for: failed.deputy_for.clone(),
        briefing: failed.briefing.clone(),
        ..Notification::pending(
            failed.incident_id.clone(),
            &failed.recipient(),
            channel,
            failed.step,
            failed.round,
            failed.required,
            now,
        )
    };
    // The same write-and-queue step as every other fan-out.
    write_and_queue(store, fallback, &contact.licensee_id, std::slice::from_ref(&next), &existing).await?;
    Ok(Some(Event::FellBack { contact_id: contact.id.clone(), from: failed.channel, to: channel }))
}
