//! The contacts file: one row per contact, the same format for import and
//! export (documented for councils in `docs/directory.md`). Every row is
//! parsed to the domain types and every error is reported by row and column;
//! a file with any error yields no contacts at all.

use crate::domain::rota::Rota;
use crate::domain::{Contact, EmailAddress, PhoneNumber, Role};
use crate::ids::{ContactId, GroupId, LicenseeId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use time::{Date, PrimitiveDateTime, Time};

/// The columns, in the order export writes them. Import accepts them in any order.
pub const HEADERS: [&str; 13] = [
    "id",
    "name",
    "role",
    "organisation",
    "mobile",
    "email",
    "whatsapp_opt_in",
    "deputy",
    "groups",
    "away_until",
    "rota",
    "whatsapp_opt_in_on",
    "whatsapp_opt_in_how",
];

/// Refuse files over these, before reading a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_rows: usize,
}

impl Default for Limits {
    /// 1 MiB and 2,000 contacts: far above a council's directory, far below
    /// what a Lambda or a DynamoDB change can take.
    fn default() -> Self {
        Self { max_bytes: 1024 * 1024, max_rows: 2000 }
    }
}

/// One row as it is in the file: text, before parsing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    #[serde(default)]
    pub mobile: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub whatsapp_opt_in: String,
    #[serde(default)]
    pub deputy: String,
    #[serde(default)]
    pub groups: String,
    #[serde(default)]
    pub away_until: String,
    #[serde(default)]
    pub rota: String,
    /// The day they opted in, `YYYY-MM-DD`.
    #[serde(default)]
    pub whatsapp_opt_in_on: String,
    /// How they opted in (e.g. "signed consent form").
    #[serde(default)]
    pub whatsapp_opt_in_how: String,
}

/// A row error: the spreadsheet's own row number (the header is row 1), the
/// column and why. Never the cell's value (it may be a phone number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, column {}: {}", self.row, self.column, self.reason)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is {size} bytes; the most SIM accepts is {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("the file has more than {max} contacts; the most SIM accepts in one file is {max}")]
    TooManyRows { max: usize },
    #[error("the file has {} error(s); nothing was changed", .0.len())]
    Rows(Vec<RowError>),
}

/// An imported contact and the groups the file puts them in.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedContact {
    pub contact: Contact,
    pub groups: Vec<GroupId>,
    /// The rotas the person takes turns on, and when their first turn starts (UK time).
    pub rota: Vec<(GroupId, PrimitiveDateTime)>,
}

/// The rotas of a parsed file: each one's schedule and members in turn order.
pub fn rotas(imported: &[ImportedContact]) -> BTreeMap<GroupId, (Rota, Vec<ContactId>)> {
    rotas_of(imported.iter().enumerate(), &mut Vec::new())
}

/// A rota turn as written in the `rota` column: `grp-duty@2026-11-09` (09:00
/// UK time) or `grp-duty@2026-11-09T08:00`.
fn rota_turn(entry: &str) -> Option<(GroupId, PrimitiveDateTime)> {
    let (group, when) = entry.split_once('@')?;
    let group = GroupId::parse(group).ok()?;
    let (day, at) = match when.split_once('T') {
        None => (when, Time::from_hms(9, 0, 0).ok()?),
        Some((day, at)) => (day, Time::parse(at, TIME).ok()?),
    };
    Some((group, Date::parse(day, DATE).ok()?.with_time(at)))
}

fn write_turn(group: &GroupId, starts: PrimitiveDateTime) -> String {
    let day = starts.date().format(DATE).unwrap_or_default();
    if starts.time() == Time::from_hms(9, 0, 0).expect("valid") {
        format!("{group}@{day}")
    } else {
        format!("{group}@{day}T{}", starts.time().format(TIME).unwrap_or_default())
    }
}

/// The rotas a file defines, from each member's first turn: members in turn
/// order, turns as long as the spacing between them (a week for a rota of
/// one), every turn following on from the one before. Errors are per row.
fn rotas_of<'a>(
    parsed: impl Iterator<Item = (usize, &'a ImportedContact)>,
    errors: &mut Vec<RowError>,
) -> BTreeMap<GroupId, (Rota, Vec<ContactId>)> {
    let mut turns: BTreeMap<&GroupId, Vec<(PrimitiveDateTime, usize, &ContactId)>> = BTreeMap::new();
    for (row, c) in parsed {
        for (g, starts) in &c.rota {
            turns.entry(g).or_default().push((*starts, row, &c.contact.id));
        }
    }
    let mut rotas = BTreeMap::new();
    for (group, mut list) in turns {
        list.sort();
        let (first, first_row, _) = list[0];
        let days = list.get(1).map_or(7, |(second, _, _)| (*second - first).whole_days());
        let error = |row: usize, reason: String| RowError { row, column: "rota".into(), reason };
        let Some(rota) = u8::try_from(days).ok().and_then(|d| Rota::new(first, d).ok()) else {
            errors.push(error(
                list[1].1,
                format!(
                    "{group}: turns must be 1 to 28 days apart; this one starts {days} day(s) after row {first_row}'s"
                ),
            ));
            continue;
        };
        let mut ok = true;
        for (i, (starts, row, _)) in list.iter().enumerate() {
            let expected = rota.turn_starts(i as i64);
            if *starts != expected {
                ok = false;
                let at = |t: PrimitiveDateTime| write_turn(group, t);
                errors.push(error(
                    *row,
                    format!(
                        "{group}: turns follow on {days} day(s) apart from row {first_row}'s; this one should be {}",
                        at(expected)
                    ),
                ));
            }
        }
        if ok {
            rotas.insert(group.clone(), (rota, list.iter().map(|(_, _, id)| (*id).clone()).collect()));
        }
    }
    rotas
}

const MAX_NAME: usize = 100;
const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");
const TIME: &[time::format_description::FormatItem<'static>] = time::macros::format_description!("[hour]:[minute]");

fn text(value: &str, column: &str, required: bool, errors: &mut Vec<(String, String)>) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push((column.into(), "is required".into()));
    } else if value.chars().count() > MAX_NAME {
        errors.push((column.into(), format!("must be at most {MAX_NAME} characters")));
    } else if value.chars().any(char::is_control) {
        errors.push((column.into(), "must not contain control characters or line breaks".into()));
    } else if value.starts_with(['=', '+', '-', '@']) {
        // Spreadsheets run such a cell as a formula when the export is opened.
        errors.push((column.into(), "must not start with =, +, - or @".into()));
    }
    value.to_owned()
}

fn optional(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

fn opt_in_date(value: &str) -> Option<time::Date> {
    time::Date::parse(value, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// When and how a WhatsApp opt-in was given: both or neither, and only with the opt-in.
fn opt_in_given(row: &ContactRow, opted_in: bool, errors: &mut Vec<(String, String)>) -> Option<crate::domain::OptIn> {
    let how = text(&row.whatsapp_opt_in_how, "whatsapp_opt_in_how", false, errors);
    let on = match optional(&row.whatsapp_opt_in_on) {
        None => None,
        Some(d) => {
            let parsed = opt_in_date(d);
            if parsed.is_none() {
                errors.push((
                    "whatsapp_opt_in_on".into(),
                    "must be a date like 2026-03-01 (the day they opted in)".into(),
                ));
            }
            parsed
        }
    };
    let given = match (on, how.is_empty()) {
        (Some(on), false) => Some(crate::domain::OptIn { on, how }),
        (Some(_), true) => {
            errors.push(("whatsapp_opt_in_how".into(), "is required with the date: say how they opted in".into()));
            None
        }
        (None, false) if optional(&row.whatsapp_opt_in_on).is_none() => {
            errors.push(("whatsapp_opt_in_on".into(), "is required with how they opted in".into()));
            None
        }
        (None, _) => None,
    };
    if given.is_some() && !opted_in {
        errors.push(("whatsapp_opt_in".into(), "is no but when and how they opted in are given".into()));
    }
    given
}

fn yes_no(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" => Some(false),
        "yes" | "y" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// Parses one row; the errors are (column, reason). The console's contact
/// form goes through it too, so a page and a file accept the same values.
pub fn parse_row(row: &ContactRow, licensee: &LicenseeId) -> Result<ImportedContact, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let id = ContactId::parse(row.id.trim()).map_err(|e| errors.push(("id".into(), e.to_string()))).ok();
    let name = text(&row.name, "name", true, &mut errors);
    let role = Role::parse(row.role.trim()).map_err(|e| errors.push(("role".into(), e.into()))).ok();
    let organisation = text(&row.organisation, "organisation", true, &mut errors);
    let mobile = match optional(&row.mobile) {
        None => None,
        Some(m) => PhoneNumber::parse(m).map_err(|e| errors.push(("mobile".into(), e.into()))).ok(),
    };
    let email = match optional(&row.email) {
        None => None,
        Some(m) => EmailAddress::parse(m).map_err(|e| errors.push(("email".into(), e.into()))).ok(),
    };
    let whatsapp_opt_in = match yes_no(&row.whatsapp_opt_in) {
        Some(true) if optional(&row.mobile).is_none() => {
            errors.push(("whatsapp_opt_in".into(), "is yes but the contact has no mobile".into()));
            true
        }
        Some(v) => v,
        None => {
            errors.push(("whatsapp_opt_in".into(), "must be yes or no (or empty for no)".into()));
            false
        }
    };
    let whatsapp_opt_in_given = opt_in_given(row, whatsapp_opt_in, &mut errors);
    let deputy = match optional(&row.deputy) {
        None => None,
        Some(d) => ContactId::parse(d).map_err(|e| errors.push(("deputy".into(), e.to_string()))).ok(),
    };
    let away_until = match optional(&row.away_until) {
        None => None,
        Some(d) => time::Date::parse(d, DATE)
            .map_err(|_| {
                errors.push(("away_until".into(), "must be a date like 2026-12-24 (their last day away)".into()))
            })
            .ok(),
    };
    let mut groups = Vec::new();
    for g in row.groups.split([';', ',', ' ']).map(str::trim).filter(|g| !g.is_empty()) {
        match GroupId::parse(g) {
            Ok(g) if !groups.contains(&g) => groups.push(g),
            Ok(_) => {}
            Err(e) => errors.push(("groups".into(), format!("'{g}' {e}"))),
        }
    }
    let mut rota: Vec<(GroupId, PrimitiveDateTime)> = Vec::new();
    for entry in row.rota.split([';', ',', ' ']).map(str::trim).filter(|e| !e.is_empty()) {
        match rota_turn(entry) {
            None => errors.push((
                "rota".into(),
                format!(
                    "'{entry}' must be a group and the start of this person's first turn, e.g. grp-duty@2026-11-09"
                ),
            )),
            Some((g, _)) if groups.contains(&g) => {
                errors.push(("rota".into(), format!("{g} is in groups too: list a rota in the rota column only")))
            }
            Some((g, _)) if rota.iter().any(|(r, _)| r == &g) => {
                errors.push(("rota".into(), format!("{g} is listed twice: give the first turn only")))
            }
            Some(turn) => rota.push(turn),
        }
    }
    match (id, role) {
        (Some(id), Some(role)) if errors.is_empty() => Ok(ImportedContact {
            contact: Contact {
                id,
                licensee_id: licensee.clone(),
                name,
                role,
                organisation,
                mobile,
                whatsapp_opt_in,
                whatsapp_opt_in_given,
                email,
                deputy,
                away_until,
            },
            groups,
            rota,
        }),
        _ => Err(errors),
    }
}

/// Parses a whole file for `licensee`: every contact, or every error.
pub fn parse(bytes: &[u8], licensee: &LicenseeId, limits: Limits) -> Result<Vec<ImportedContact>, CsvError> {
    if bytes.len() > limits.max_bytes {
        return Err(CsvError::TooLarge { size: bytes.len(), max: limits.max_bytes });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let mut errors = Vec::new();
    let header_error = |column: &str, reason: String| RowError { row: 1, column: column.into(), reason };
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_ascii_lowercase()).collect::<csv::StringRecord>(),
        Err(e) => return Err(CsvError::Rows(vec![header_error("(header)", reading_error(&e))])),
    };
    for h in headers.iter() {
        if !HEADERS.contains(&h) {
            errors.push(header_error(h, format!("is not a column SIM knows; the columns are {}", HEADERS.join(", "))));
        }
    }
    for required in ["id", "name", "role", "organisation"] {
        if !headers.iter().any(|h| h == required) {
            errors.push(header_error(required, "is a required column and is missing".into()));
        }
    }
    if !errors.is_empty() {
        return Err(CsvError::Rows(errors));
    }

    let mut parsed: Vec<(usize, ImportedContact)> = Vec::new();
    let mut row_ids: Vec<(usize, ContactId)> = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut count = 0;
    loop {
        let row = count + 2;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(RowError { row, column: "(row)".into(), reason: reading_error(&e) });
                count += 1;
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        count += 1;
        if count > limits.max_rows {
            return Err(CsvError::TooManyRows { max: limits.max_rows });
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank line a spreadsheet left at the end
        }
        match record.deserialize::<ContactRow>(Some(&headers)) {
            Err(e) => errors.push(RowError { row, column: "(row)".into(), reason: reading_error(&e) }),
            Ok(r) => {
                // Every row's id counts for the checks across rows, even a row with errors,
                // so one mistake is reported once, not again as a missing deputy.
                if let Ok(id) = ContactId::parse(r.id.trim()) {
                    row_ids.push((row, id));
                }
                match parse_row(&r, licensee) {
                    Ok(c) => parsed.push((row, c)),
                    Err(row_errors) => {
                        errors.extend(row_errors.into_iter().map(|(column, reason)| RowError { row, column, reason }))
                    }
                }
            }
        }
    }

    // Across rows: ids are unique, deputies are contacts in the file.
    let mut first_row: HashMap<ContactId, usize> = HashMap::new();
    for (row, id) in row_ids {
        if let Some(first) = first_row.get(&id) {
            errors.push(RowError { row, column: "id".into(), reason: format!("repeats the id of row {first}") });
        } else {
            first_row.insert(id, row);
        }
    }
    for (row, c) in &parsed {
        if let Some(deputy) = &c.contact.deputy {
            if deputy == &c.contact.id {
                errors.push(RowError {
                    row: *row,
                    column: "deputy".into(),
                    reason: "cannot be the contact themself".into(),
                });
            } else if !first_row.contains_key(deputy) {
                errors.push(RowError {
                    row: *row,
                    column: "deputy".into(),
                    reason: format!("'{deputy}' is not the id of a contact in this file"),
                });
            }
        }
    }
    let rotas = rotas_of(parsed.iter().map(|(row, c)| (*row, c)), &mut errors);
    // A group is a rota in every row or in none.
    for (row, c) in &parsed {
        for g in c.groups.iter().filter(|g| rotas.contains_key(*g)) {
            errors.push(RowError {
                row: *row,
                column: "groups".into(),
                reason: format!("{g} is a rota in this file: give this person's first turn in the rota column"),
            });
        }
    }
    if errors.is_empty() {
        Ok(parsed.into_iter().map(|(_, c)| c).collect())
    } else {
        errors.sort_by_key(|e| e.row);
        Err(CsvError::Rows(errors))
    }
}

/// A reading error without the cell's contents.
fn reading_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text: save the spreadsheet as \"CSV UTF-8\"".into(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} cells; the header has {expected_len}")
        }
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(i) => format!("cell {} cannot be read", i + 1),
            None => "cannot be read".into(),
        },
        _ => "cannot be read as CSV".into(),
    }
}

/// Writes the directory in the import format: contacts sorted by id, each
/// with the groups they are in.
pub fn export(contacts: &[Contact], groups: &[crate::domain::Group]) -> Result<Vec<u8>, csv::Error> {
    let mut membership: BTreeMap<&ContactId, BTreeSet<&str>> = BTreeMap::new();
    let mut turns: BTreeMap<&ContactId, Vec<String>> = BTreeMap::new();
    for g in groups {
        for (i, m) in g.members.iter().enumerate() {
            match &g.rota {
                None => {
                    membership.entry(m).or_default().insert(g.id.as_str());
                }
                Some(rota) => turns.entry(m).or_default().push(write_turn(&g.id, rota.turn_starts(i as i64))),
            }
        }
    }
    let mut sorted: Vec<&Contact> = contacts.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut writer = csv::Writer::from_writer(Vec::new());
    for c in sorted {
        writer.serialize(ContactRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            role: c.role.to_string(),
            organisation: c.organisation.clone(),
            mobile: c.mobile.as_ref().map(|m| m.as_str().to_owned()).unwrap_or_default(),
            email: c.email.as_ref().map(|m| m.as_str().to_owned()).unwrap_or_default(),
            whatsapp_opt_in: if c.whatsapp_opt_in { "yes" } else { "no" }.into(),
            deputy: c.deputy.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            groups: membership.get(&c.id).map(|g| g.iter().copied().collect::<Vec<_>>().join(";")).unwrap_or_default(),
            away_until: c.away_until.and_then(|d| d.format(DATE).ok()).unwrap_or_default(),
            rota: turns.get(&c.id).map(|t| t.join(";")).unwrap_or_default(),
            whatsapp_opt_in_on: c.whatsapp_opt_in_given.as_ref().map(|g| g.on.to_string()).unwrap_or_default(),
            whatsapp_opt_in_how: c.whatsapp_opt_in_given.as_ref().map(|g| g.how.clone()).unwrap_or_default(),
        })?;
    }
    if contacts.is_empty() {
        writer.write_record(HEADERS)?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambeth() -> LicenseeId {
        LicenseeId::parse("lambeth").unwrap()
    }

    const GOOD: &str = "id,name,role,organisation,mobile,email,whatsapp_opt_in,deputy,groups\n\
        c-1,Ada Lovelace,gold,Lambeth Council,+44 7700 900001,ada@lambeth.gov.uk,yes,c-2,grp-gold;grp-comms\n\
        c-2,Grace Hopper,comms,Lambeth Council,,grace@lambeth.gov.uk,,,grp-comms\n";

    #[test]
    fn a_good_file_parses_to_contacts_and_groups() {
        let parsed = parse(GOOD.as_bytes(), &lambeth(), Limits::default()).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].contact.mobile.as_ref().unwrap().as_str(), "+447700900001");
        assert!(parsed[0].contact.whatsapp_opt_in);
        assert_eq!(parsed[0].contact.deputy, Some(ContactId::parse("c-2").unwrap()));
        assert_eq!(parsed[0].groups.len(), 2);
        assert!(!parsed[1].contact.whatsapp_opt_in && parsed[1].contact.mobile.is_none());
    }

    #[test]
    fn when_and_how_a_whatsapp_opt_in_was_given_is_kept_and_checked() {
        let file = "id,name,role,organisation,mobile,whatsapp_opt_in,whatsapp_opt_in_on,whatsapp_opt_in_how\n\
            c-1,Ada,gold,Lambeth,+447700900001,yes,2026-03-01,signed consent form\n";
        let parsed = parse(file.as_bytes(), &lambeth(), Limits::default()).unwrap();
        let given = parsed[0].contact.whatsapp_opt_in_given.clone().unwrap();
        assert_eq!((given.on.to_string().as_str(), given.how.as_str()), ("2026-03-01", "signed consent form"));
        let groups = [];
        let again = parse(&export(&[parsed[0].contact.clone()], &groups).unwrap(), &lambeth(), Limits::default());
        assert_eq!(again.unwrap()[0].contact, parsed[0].contact, "export keeps it");

        let file = "id,name,role,organisation,mobile,whatsapp_opt_in,whatsapp_opt_in_on,whatsapp_opt_in_how\n\
            c-1,Ada,gold,Lambeth,+447700900001,yes,1 March,by email\n\
            c-2,Bo,gold,Lambeth,+447700900002,yes,2026-03-01,\n\
            c-3,Cy,gold,Lambeth,+447700900003,no,2026-03-01,signed form\n";
        let Err(CsvError::Rows(errors)) = parse(file.as_bytes(), &lambeth(), Limits::default()) else {
            panic!("accepted")
        };
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(2, "whatsapp_opt_in_on"), (3, "whatsapp_opt_in_how"), (4, "whatsapp_opt_in")]);
    }

    #[test]
    fn every_error_is_listed_by_row_and_column_without_the_value() {
        let file = "id,name,role,organisation,mobile,email,whatsapp_opt_in,deputy,groups\n\
            c-1,Ada,Gold Lead,Lambeth,07700900001,ada@,maybe,c-9,grp-gold\n\
            c-1,,gold,Lambeth,,,yes,,\n";
        let Err(CsvError::Rows(errors)) = parse(file.as_bytes(), &lambeth(), Limits::default()) else {
            panic!("accepted")
        };
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            at,
            [
                (2, "role"),
                (2, "mobile"),
                (2, "email"),
                (2, "whatsapp_opt_in"),
                (3, "name"),
                (3, "whatsapp_opt_in"),
                (3, "id")
            ]
        );
        assert!(errors.iter().all(|e| !e.to_string().contains("07700900001")));
    }

    #[test]
    fn deputies_must_be_in_the_file_and_ids_unique() {
        let file = "id,name,role,organisation,deputy\nc-1,A,gold,L,c-9\nc-1,B,gold,L,\nc-3,C,gold,L,c-3\n";
        let Err(CsvError::Rows(errors)) = parse(file.as_bytes(), &lambeth(), Limits::default()) else {
            panic!("accepted")
        };
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(2, "deputy"), (3, "id"), (4, "deputy")]);
    }

    #[test]
    fn unknown_and_missing_columns_are_refused_on_row_1() {
        let Err(CsvError::Rows(errors)) = parse(b"id,name,phone\nc-1,A,+447700900001\n", &lambeth(), Limits::default())
        else {
            panic!("accepted")
        };
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(1, "phone"), (1, "role"), (1, "organisation")]);
    }

    #[test]
    fn names_that_a_spreadsheet_would_run_as_formulas_are_refused() {
        let file = "id,name,role,organisation\nc-1,=HYPERLINK(\"http://x\"),gold,L\nc-2,B,gold,@SUM(A1)\n";
        let Err(CsvError::Rows(errors)) = parse(file.as_bytes(), &lambeth(), Limits::default()) else {
            panic!("accepted")
        };
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(2, "name"), (3, "organisation")]);
    }

    #[test]
    fn files_over_the_limits_are_refused() {
        let small = Limits { max_bytes: 100, max_rows: 1 };
        assert!(matches!(parse(&[b'a'; 101], &lambeth(), small), Err(CsvError::TooLarge { size: 101, max: 100 })));
        let two_rows = "id,name,role,organisation\nc-1,A,gold,L\nc-2,B,gold,L\n";
        assert!(matches!(parse(two_rows.as_bytes(), &lambeth(), small), Err(CsvError::TooManyRows { max: 1 })));
    }

    #[test]
    fn export_reads_back_as_the_same_directory() {
        let parsed = parse(GOOD.as_bytes(), &lambeth(), Limits::default()).unwrap();
        let contacts: Vec<Contact> = parsed.iter().map(|c| c.contact.clone()).collect();
        let groups = vec![crate::domain::Group {
            id: GroupId::parse("grp-comms").unwrap(),
            licensee_id: lambeth(),
            name: "Comms".into(),
            members: vec![contacts[0].id.clone(), contacts[1].id.clone()],
            rota: None,
        }];
        let out = export(&contacts, &groups).unwrap();
        let again = parse(&out, &lambeth(), Limits::default()).unwrap();
        assert_eq!(again.iter().map(|c| &c.contact).collect::<Vec<_>>(), contacts.iter().collect::<Vec<_>>());
        assert_eq!(again[0].groups, [GroupId::parse("grp-comms").unwrap()]);
    }

    #[test]
    fn rotas_come_from_each_members_first_turn() {
        let file = "id,name,role,organisation,rota\n\
            c-1,A,comms,L,grp-duty@2026-11-09\n\
            c-2,B,comms,L,grp-duty@2026-11-02\n\
            c-3,C,comms,L,grp-duty@2026-11-16\n";
        let parsed = parse(file.as_bytes(), &lambeth(), Limits::default()).unwrap();
        let found = rotas(&parsed);
        let (rota, order) = &found[&GroupId::parse("grp-duty").unwrap()];
        assert_eq!(*rota, Rota::weekly_from(time::macros::date!(2026 - 11 - 02)));
        assert_eq!(order.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["c-2", "c-1", "c-3"]);

        let daily = "id,name,role,organisation,rota\nc-1,A,comms,L,grp-d@2026-11-02T08:00\nc-2,B,comms,L,grp-d@2026-11-03T08:00\n";
        let parsed = parse(daily.as_bytes(), &lambeth(), Limits::default()).unwrap();
        assert_eq!(rotas(&parsed)[&GroupId::parse("grp-d").unwrap()].0, Rota::parse("2026-11-02T08:00", 1).unwrap());

        let bad = "id,name,role,organisation,groups,rota\n\
            c-1,A,comms,L,,grp-duty@2026-11-09\n\
            c-2,B,comms,L,grp-duty,grp-duty@2026-11-02\n\
            c-3,C,comms,L,grp-duty,\n\
            c-4,D,comms,L,,grp-duty@9 November\n";
        let Err(CsvError::Rows(errors)) = parse(bad.as_bytes(), &lambeth(), Limits::default()) else {
            panic!("accepted")
        };
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(3, "rota"), (4, "groups"), (5, "rota"), (5, "rota")], "{errors:?}");
    }
}
