//! The three senders on the local stack: recording adapters by default, AWS at `AWS_ENDPOINT_URL`.

use super::*;

/// The SMS, email and WhatsApp senders. Embedded: recording adapters (the
/// outbox). On AWS_ENDPOINT_URL: SNS and SES there, and WhatsApp to
/// `WHATSAPP_API_BASE` if set (with `WHATSAPP_TOKEN`), else the outbox.
pub(super) async fn senders(
    backing: &Backing,
    base_url: &str,
    key: &LinkKey,
    store: &Arc<dyn Store>,
    channels: &ChannelQueues,
    clock: &Arc<dyn Clock>,
    ids: &Arc<dyn IdGenerator>,
) -> ([SenderDeps; 3], Outbox) {
    let mut outbox = Outbox { base_url: base_url.to_owned(), ..Outbox::default() };
    let recording = |slot: &mut Option<Arc<RecordingSender>>| {
        let sender = Arc::new(RecordingSender::default());
        *slot = Some(sender.clone());
        sender as Arc<dyn Sender>
    };
    let (sms, email, whatsapp): (Arc<dyn Sender>, Arc<dyn Sender>, Arc<dyn Sender>) = match backing {
        Backing::Embedded { .. } => {
            (recording(&mut outbox.sms), recording(&mut outbox.email), recording(&mut outbox.whatsapp))
        }
        Backing::Aws { .. } => {
            let config = sim::adapters::aws::load_config().await;
            let from = std::env::var("SIM_EMAIL_FROM").unwrap_or_else(|_| "alerts@sim-local.example".into());
            let domain = from.rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_default();
            // An emulator needs the sending identity to exist; on real AWS it must be verified already.
            let _ = aws_sdk_sesv2::Client::new(&config).create_email_identity().email_identity(domain).send().await;
            let whatsapp: Arc<dyn Sender> = match std::env::var("WHATSAPP_API_BASE") {
                Ok(base) => {
                    let token = std::env::var("WHATSAPP_TOKEN").unwrap_or_default();
                    Arc::new(CloudApiWhatsApp::new(&base, "v21.0", "local", token).expect("TLS roots load"))
                }
                Err(_) => recording(&mut outbox.whatsapp),
            };
            (
                Arc::new(SnsSms::from_config(&config, Some("SIM".into()))),
                Arc::new(SesEmail::from_config(&config, from, None)),
                whatsapp,
            )
        }
    };
    let links = Links { key: key.clone(), base_url: base_url.to_owned(), lifetime: Duration::days(7) };
    let deps = |channel: Channel, sender: Arc<dyn Sender>| {
        let next = fallback_for(channel);
        SenderDeps {
            fallback: Some(Fallback { channel: next, queue: channels.for_channel_arc(next) }),
            clock: clock.clone(),
            ids: ids.clone(),
            pacer: Pacer::per_second(20.0),
            ..SenderDeps::new(channel, store.clone(), sender, links.clone())
        }
    };
    ([deps(Channel::Sms, sms), deps(Channel::Email, email), deps(Channel::WhatsApp, whatsapp)], outbox)
}
