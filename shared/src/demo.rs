//! The demo licensees, caller and contacts the local stack and tests start
//! from. Phone numbers are in Ofcom's drama range and email domains are
//! reserved `.example` names: nothing here reaches a real person.

use crate::domain::area::KnownWard;
use crate::domain::contact::{Contact, EmailAddress, Group, PhoneNumber, Role};
use crate::domain::{ApiKey, AreaName, Caller, KeyHash, LicenceStatus, Licensee, Tier};
use crate::ids::{CallerId, ContactId, GroupId, LicenseeId};
use crate::ports::{Store, StoreError};
use time::{Date, Duration};

fn id<T>(parse: impl Fn(&str) -> Result<T, crate::ids::IdError>, s: &str) -> T {
    parse(s).expect("demo ids are valid")
}

pub fn lambeth() -> LicenseeId {
    id(LicenseeId::parse, "lambeth")
}

pub fn kent() -> LicenseeId {
    id(LicenseeId::parse, "kent")
}

pub fn met_cad() -> CallerId {
    id(CallerId::parse, "met-cad")
}

pub fn kent_police() -> CallerId {
    id(CallerId::parse, "kent-police")
}

fn areas(names: &[&str]) -> Vec<AreaName> {
    names.iter().map(|n| AreaName::parse(n).expect("demo areas are valid")).collect()
}

fn wards(list: &[(&str, Option<&str>)]) -> Vec<KnownWard> {
    list.iter()
        .map(|(name, code)| KnownWard {
            name: AreaName::parse(name).expect("demo wards are valid"),
            ons_code: code.map(str::to_owned),
        })
        .collect()
}

/// Lambeth's wards (2022 boundaries; Coldharbour from before 2022, as police
/// systems may still send it). Demo data: a real licensee loads ONS's list with
/// every code; only the one code checked against ONS is given here.
pub const LAMBETH_WARDS: &[(&str, Option<&str>)] = &[
    ("Brixton Acre Lane", Some("E05014085")),
    ("Brixton North", None),
    ("Brixton Rush Common", None),
    ("Brixton Windrush", None),
    ("Clapham Common & Abbeville", None),
    ("Clapham Town", None),
    ("Herne Hill & Loughborough Junction", None),
    ("Kennington", None),
    ("Myatt's Fields", None),
    ("Oval", None),
    ("Stockwell East", None),
    ("Streatham St Leonard's", None),
    ("Vauxhall", None),
    ("Waterloo & South Bank", None),
    ("Coldharbour", None),
];

/// A few wards of Maidstone and Medway. Demo data, as above.
pub const KENT_WARDS: &[(&str, Option<&str>)] = &[
    ("High Street", None),
    ("Fant", None),
    ("Bridge", None),
    ("Chatham Central & Brompton", None),
    ("Gillingham South", None),
];

/// The keys of the two demo callers.
#[derive(Clone)]
pub struct DemoKeys {
    /// Met Police CAD, scoped to Lambeth.
    pub met_cad: ApiKey,
    /// Kent Police, scoped to Kent.
    pub kent_police: ApiKey,
}

/// Seeds Lambeth (London, free) with contacts and groups, and Kent
/// (licensed, current on `today`) with its own caller. Keys are the caller's
/// to supply: tests use fixed ones, the local stack fresh random ones.
pub async fn seed(store: &dyn Store, today: Date, keys: &DemoKeys) -> Result<(), StoreError> {
    store
        .put_licensee(&Licensee {
            id: lambeth(),
            name: "London Borough of Lambeth".into(),
            tier: Tier::LondonFree,
            status: LicenceStatus::Active,
            areas: areas(&["Lambeth", "E09000022"]),
            wards: wards(LAMBETH_WARDS),
            rules: None,
            policies: None,
            checklist: None,
            sharing: None,
            data_sharing: None,
        })
        .await?;
    store
        .put_licensee(&Licensee {
            id: kent(),
            name: "Kent Community Safety Partnership".into(),
            tier: Tier::Licensed { starts_on: today - Duration::days(300), ends_on: today + Duration::days(65) },
            status: LicenceStatus::Active,
            areas: areas(&["Maidstone", "E07000110", "Medway", "E06000035"]),
            wards: wards(KENT_WARDS),
            rules: None,
            policies: None,
            checklist: None,
            sharing: None,
            data_sharing: None,
        })
        .await?;
    store
        .put_caller(&Caller {
            id: met_cad(),
            name: "Met Police CAD, Lambeth BCU".into(),
            key_hash: KeyHash::of(&keys.met_cad),
            licensees: vec![lambeth()],
            may_add_subjects: false,
            key_issued_at: None,
            key_revoked_at: None,
        })
        .await?;
    store
        .put_caller(&Caller {
            id: kent_police(),
            name: "Kent Police control room".into(),
            key_hash: KeyHash::of(&keys.kent_police),
            licensees: vec![kent()],
            may_add_subjects: false,
            key_issued_at: None,
            key_revoked_at: None,
        })
        .await?;

    // (id, name, role, mobile suffix, WhatsApp opt-in, deputy)
    let people = [
        ("con-ceo", "Chief Executive", "chief-executive", "001", false, None),
        ("con-gold", "Director of Communities", "gold", "002", true, Some("con-gold-deputy")),
        ("con-gold-deputy", "Deputy Director of Communities", "gold", "003", true, None),
        ("con-csl", "Community Safety Lead", "community-safety-lead", "004", true, Some("con-cs-officer")),
        ("con-cs-officer", "Community Safety Officer", "community-safety", "005", false, None),
        ("con-comms", "Head of Communications", "comms", "006", true, None),
        ("con-police-liaison", "Police Liaison Officer", "police-liaison", "007", false, None),
        ("con-health", "Public Health Lead", "health", "008", false, None),
        ("con-education", "Head of Education Safeguarding", "education", "009", true, None),
        ("con-youth", "Youth Services Manager", "youth-services", "010", false, None),
    ];
    for (cid, name, role, suffix, whatsapp, deputy) in people {
        let local = cid.trim_start_matches("con-");
        store
            .put_contact(&Contact {
                id: id(ContactId::parse, cid),
                licensee_id: lambeth(),
                name: name.into(),
                role: Role::parse(role).expect("valid"),
                organisation: "London Borough of Lambeth".into(),
                mobile: Some(PhoneNumber::parse(&format!("+447700900{suffix}")).expect("valid")),
                whatsapp_opt_in: whatsapp,
                whatsapp_opt_in_given: None,
                email: Some(EmailAddress::parse(&format!("{local}@lambeth.sim.example")).expect("valid")),
                deputy: deputy.map(|d| id(ContactId::parse, d)),
                away_until: None,
            })
            .await?;
    }
    let groups: [(&str, &str, &[&str]); 7] = [
        ("grp-gold", "Gold (leadership)", &["con-gold"]),
        ("grp-chief-executive", "Chief executive", &["con-ceo"]),
        ("grp-community-safety", "Community safety team", &["con-csl", "con-cs-officer"]),
        ("grp-comms", "Communications", &["con-comms"]),
        ("grp-police-liaison", "Police liaison", &["con-police-liaison", "con-csl"]),
        ("grp-health", "Health partners", &["con-health"]),
        ("grp-education-youth", "Education and youth services", &["con-education", "con-youth"]),
    ];
    for (gid, name, members) in groups {
        store
            .put_group(&Group {
                id: id(GroupId::parse, gid),
                licensee_id: lambeth(),
                name: name.into(),
                members: members.iter().map(|m| id(ContactId::parse, m)).collect(),
                rota: None,
            })
            .await?;
    }
    Ok(())
}
