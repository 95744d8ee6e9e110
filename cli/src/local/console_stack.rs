//! The console on the local stack, signing in through the development OpenID provider.

use super::*;

/// Starts the development OpenID provider on a free loopback port, seeds one
/// demo staff member per console role for Lambeth and Kent (pinned to that
/// provider's accounts), and builds the console on the production code path
/// (its duty actions on the stack's sender, escalation and briefing queues; its
/// test messages through the stack's senders: the outbox).
#[allow(clippy::too_many_arguments)] // the stack's parts, wired once
pub(super) async fn console_with_dev_oidc(
    base_url: &str,
    store: &Arc<dyn Store>,
    search: Arc<dyn IncidentSearch>,
    staff: Arc<dyn StaffStore>,
    sessions: Arc<dyn SessionStore>,
    clock: &Arc<dyn Clock>,
    ids: &Arc<dyn IdGenerator>,
    alerting: &sim::fanout::Deps,
    scheduler: Arc<dyn sim::ports::Scheduler>,
    test_senders: console::TestSenders,
    handoff: Arc<dyn Queue>,
) -> Result<(console::Deps, Arc<DevOidc>), Box<dyn Error>> {
    let redirect_uri = format!("{base_url}/console/auth/callback");
    let secret = console::session::random_token();
    let mut people = Vec::new();
    for (licensee, council) in [(demo::lambeth(), "Lambeth"), (demo::kent(), "Kent")] {
        for role in ConsoleRole::ALL {
            let subject = format!("{licensee}-{}", role.as_str());
            people.push((
                licensee.clone(),
                role,
                DevPerson {
                    email: format!("{}@{licensee}.sim-local.example", role.as_str()),
                    label: format!("{council} {}", role.as_str()),
                    subject,
                },
            ));
        }
    }
    let provider = DevOidc::start(
        0,
        DEV_CLIENT_ID,
        &secret,
        &redirect_uri,
        people.iter().map(|(_, _, p)| p.clone()).collect(),
        clock.clone(),
    )
    .await?;
    for (licensee, role, person) in &people {
        let member = StaffMember::new(
            StaffId::parse(&format!("stf-{}", person.subject))?,
            licensee.clone(),
            &person.label,
            Some(StaffEmail::parse(&person.email)?),
            Some(Login { issuer: provider.issuer().to_owned(), subject: person.subject.clone() }),
            BTreeSet::from([*role]),
            clock.now(),
        )?;
        staff.put_staff(&member).await?;
    }
    let config = console::OidcConfig {
        issuer: provider.issuer().to_owned(),
        client_id: DEV_CLIENT_ID.to_owned(),
        client_secret: secret,
        redirect_uri,
    };
    let deps = console::Deps {
        store: store.clone(),
        search,
        staff,
        sessions,
        oidc: console::oidc::Oidc::new(config, console::http_client::HttpClient::new()?, clock.clone()),
        clock: clock.clone(),
        ids: ids.clone(),
        escalation: alerting.escalation.clone(),
        queues: alerting.queues.clone(),
        briefings: alerting.briefings.clone(),
        scheduler,
        licensees: None,
        // The stack shares intake's vault with the console once both are built.
        vault: None,
        test_senders,
        handoff,
    };
    Ok((deps, provider))
}
