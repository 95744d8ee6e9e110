//! Importing the contacts file and exporting it.
//!
//! The file is uploaded as `multipart/form-data` (a file input): councils
//! keep the directory in a spreadsheet and save it as CSV, and a file keeps
//! its quoting and line breaks exactly, where pasting hundreds of rows into a
//! text box does not. The upload is checked and shown as a dry run (added,
//! changed, removed); nothing is stored between the two steps: the dry-run
//! page carries the file back in its confirm form with the directory version
//! it was checked against, and applying plans it again, refusing it if the
//! directory changed meanwhile. Errors are listed by row and column, never
//! with the cell's value.

use super::{contact_link, error_summary, nav};
use crate::posted::{self, CsrfForm};
use crate::{pages, Deps, Failure, SignedIn};
use http::{header, HeaderValue, Request, Response, StatusCode};
use sim::directory::{self, CsvError, ImportError, Limits, Plan};
use sim::domain::staff::ConsoleRole;
use sim::web::{self, html};

pub fn form(who: &SignedIn, errors: &[(String, String)], status: StatusCode) -> Response<String> {
    let title = if errors.is_empty() { "Import contacts" } else { "Error: import contacts" };
    pages::page(
        status,
        title,
        html! {
            (nav(who, "/console/directory/import"))
            (error_summary(errors))
            h1 { "Import contacts from a spreadsheet" }
            p { "Save your contacts spreadsheet as CSV (UTF-8), one row per contact, with the columns "
                strong { (sim::directory::csv::HEADERS.join(", ")) } ". "
                "Export the directory to get a file in this format to start from." }
            p { "The file replaces the directory: contacts not in it are removed, and you are asked to confirm that. "
                "Nothing changes until you have checked the differences and applied them." }
            form method="post" action="/console/directory/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(who.session.csrf);
                label for="file" { "Contacts file (CSV)" }
                input type="file" id="file" name="file" accept=".csv,text/csv";
                button type="submit" { "Check the file" }
            }
        },
    )
}

fn row_errors(error: &CsvError) -> Vec<(String, String)> {
    match error {
        CsvError::Rows(rows) => rows.iter().map(|r| ("file".to_owned(), r.to_string())).collect(),
        other => vec![("file".to_owned(), format!("The file could not be used: {other}."))],
    }
}

fn file_errors(who: &SignedIn, errors: &[(String, String)]) -> Response<String> {
    form(who, errors, StatusCode::UNPROCESSABLE_ENTITY)
}

/// The dry run: what applying the file would do.
fn dry_run(
    who: &SignedIn,
    plan: &Plan,
    contacts: &[sim::domain::Contact],
    file: &str,
    errors: &[(String, String)],
    status: StatusCode,
) -> Response<String> {
    let title = if errors.is_empty() { "Check the import" } else { "Error: check the import" };
    pages::page(
        status,
        title,
        html! {
            (nav(who, "/console/directory/import"))
            (error_summary(errors))
            h1 { "Check the changes before applying them" }
            p { (plan.added.len()) " to add, " (plan.changed.len()) " to change, " (plan.removed.len()) " to remove, "
                (plan.unchanged) " unchanged, " (plan.groups.len()) " groups whose members change." }
            @if !plan.added.is_empty() {
                table {
                    caption { "Contacts to add" }
                    thead { tr { th scope="col" { "Id" } th scope="col" { "Name" } th scope="col" { "Role" } } }
                    tbody { @for c in &plan.added { tr { td { (c.id) } td { (c.name) } td { (c.role) } } } }
                }
            }
            @if !plan.changed.is_empty() {
                table {
                    caption { "Contacts to change" }
                    thead { tr { th scope="col" { "Contact" } th scope="col" { "What changes" } } }
                    tbody { @for c in &plan.changed { tr {
                        td { (contact_link(contacts, &c.after.id)) } td { (c.fields.join(", ").replace('_', " ")) }
                    } } }
                }
            }
            @if !plan.removed.is_empty() {
                table {
                    caption { strong { "Contacts to remove" } }
                    thead { tr { th scope="col" { "Id" } th scope="col" { "Name" } th scope="col" { "Role" } } }
                    tbody { @for c in &plan.removed { tr { td { (c.id) } td { (c.name) } td { (c.role) } } } }
                }
            }
            @if !plan.groups.is_empty() {
                table {
                    caption { "Groups" }
                    thead { tr { th scope="col" { "Group" } th scope="col" { "Joining" } th scope="col" { "Leaving" } } }
                    tbody { @for g in &plan.groups { tr {
                        td { (g.id) @if g.new { " (new)" } }
                        td { @for (i, m) in g.joined.iter().enumerate() { @if i > 0 { ", " } (m) } }
                        td { @for (i, m) in g.left.iter().enumerate() { @if i > 0 { ", " } (m) } }
                    } } }
                }
            }
            @if plan.is_empty() {
                div class="done" role="status" { p { "The file matches the directory: there is nothing to change." } }
            } @else {
                form method="post" action="/console/directory/import/apply" {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    input type="hidden" name="version" value=(plan.base_version);
                    input type="hidden" name="file" value=(file);
                    @if !plan.removed.is_empty() {
                        div class="warning" {
                            div class="choice" {
                                input type="checkbox" id="confirm_removals" name="confirm_removals" value="yes";
                                " " label for="confirm_removals" {
                                    "Yes, remove the " (plan.removed.len()) " contacts listed above from the directory"
                                }
                            }
                        }
                    }
                    button type="submit" { "Apply these changes" }
                }
            }
            p { a href="/console/directory/import" { "Check a different file" } }
        },
    )
}

/// `POST /console/directory/import`: the uploaded file checked, shown as a dry run.
pub async fn check(deps: &Deps, who: &SignedIn, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(parts) = multipart(content_type, req.body()) else {
        return Ok(pages::problem(StatusCode::BAD_REQUEST, "The upload could not be read. Go back and try again."));
    };
    let field = |name: &str| parts.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice());
    if !posted::csrf_ok(who, std::str::from_utf8(field("csrf").unwrap_or_default()).unwrap_or_default()) {
        return Ok(posted::expired());
    }
    let file = field("file").unwrap_or_default();
    if file.is_empty() {
        return Ok(file_errors(who, &[("file".into(), "Choose a CSV file to import".into())]));
    }
    let Ok(text) = std::str::from_utf8(file) else {
        return Ok(file_errors(who, &[("file".into(), "The file must be saved as CSV UTF-8".into())]));
    };
    plan_page(deps, who, text, &[], StatusCode::OK).await
}

async fn plan_page(
    deps: &Deps,
    who: &SignedIn,
    text: &str,
    errors: &[(String, String)],
    status: StatusCode,
) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    match directory::plan_import(&*deps.store, licensee, text.as_bytes(), Limits::default()).await {
        Ok(plan) => {
            let contacts = deps.store.contacts(licensee).await?;
            Ok(dry_run(who, &plan, &contacts, text, errors, status))
        }
        Err(ImportError::File(e)) => Ok(file_errors(who, &row_errors(&e))),
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(ImportError::Stale | ImportError::RemovalsNotConfirmed(_)) => Ok(stale(who)),
    }
}

fn stale(who: &SignedIn) -> Response<String> {
    form(
        who,
        &[(
            "file".into(),
            "Someone changed the directory since this file was checked, so nothing was applied: \
             check the file again to see the differences as they are now"
                .into(),
        )],
        StatusCode::CONFLICT,
    )
}

#[derive(serde::Deserialize)]
struct ApplyForm {
    csrf: String,
    version: u32,
    file: String,
    confirm_removals: Option<String>,
}

impl CsrfForm for ApplyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /console/directory/import/apply`: the checked file applied as one change.
pub async fn apply(deps: &Deps, who: &SignedIn, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let form: ApplyForm = match posted::read(who, req, ConsoleRole::Admin) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let licensee = &who.member.licensee_id;
    let plan = match directory::plan_import(&*deps.store, licensee, form.file.as_bytes(), Limits::default()).await {
        Ok(plan) if plan.base_version == form.version => plan,
        Ok(_) | Err(ImportError::Stale) => return Ok(stale(who)),
        Err(ImportError::File(e)) => return Ok(file_errors(who, &row_errors(&e))),
        Err(ImportError::Store(e)) => return Err(e.into()),
        Err(ImportError::RemovalsNotConfirmed(_)) => return Ok(stale(who)),
    };
    let confirmed = form.confirm_removals.as_deref() == Some("yes");
    match directory::apply(&*deps.store, &plan, confirmed, who.member.id.as_str(), &*deps.clock).await {
        Ok(_) => Ok(web::redirect("/console/directory/changes")),
        Err(ImportError::RemovalsNotConfirmed(n)) => {
            let errors = [(
                "confirm_removals".to_owned(),
                format!("Confirm that the {n} contacts listed are to be removed, or correct the file"),
            )];
            plan_page(deps, who, &form.file, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ImportError::Stale) => Ok(stale(who)),
        Err(ImportError::File(e)) => Ok(file_errors(who, &row_errors(&e))),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// `GET /console/directory/export`: the directory as a CSV download, in the import format.
pub async fn export(deps: &Deps, who: &SignedIn) -> Result<Response<String>, Failure> {
    let licensee = &who.member.licensee_id;
    let bytes = match directory::export(&*deps.store, licensee).await {
        Ok(b) => b,
        Err(directory::ExportError::Store(e)) => return Err(e.into()),
        Err(directory::ExportError::Csv(e)) => {
            tracing::error!(error = %e, "directory export failed");
            return Ok(pages::problem(StatusCode::INTERNAL_SERVER_ERROR, "The file could not be written."));
        }
    };
    let mut response = Response::new(String::from_utf8_lossy(&bytes).into_owned());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"sim-directory-{licensee}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(web::response::HSTS));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

/// The fields of a `multipart/form-data` body, (name, content), in order;
/// `None` if it is not one.
pub fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"'))?;
    if boundary.is_empty() {
        return None;
    }
    let delimiter = format!("--{boundary}").into_bytes();
    let mut fields = Vec::new();
    let mut rest = &body[find(body, &delimiter)? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(fields);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let end_of_headers = find(rest, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&rest[..end_of_headers]).ok()?;
        let content = &rest[end_of_headers + 4..];
        let mut next = delimiter.clone();
        next.splice(0..0, *b"\r\n");
        let end = find(content, &next)?;
        let name = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| l.split(';').filter_map(|p| p.trim().strip_prefix("name=")).next())
            .map(|n| n.trim_matches('"').to_owned())?;
        fields.push((name, content[..end].to_vec()));
        rest = &content[end + next.len()..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::multipart;

    #[test]
    fn multipart_fields_are_read_as_browsers_send_them() {
        let body = "------b1\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
                    ------b1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n\
                    Content-Type: text/csv\r\n\r\nid,name\r\nc-1,\"A\r\nB\"\r\n\r\n------b1--\r\n";
        let fields = multipart("multipart/form-data; boundary=----b1", body.as_bytes()).unwrap();
        assert_eq!(fields[0], ("csrf".to_owned(), b"tok".to_vec()));
        assert_eq!(fields[1], ("file".to_owned(), b"id,name\r\nc-1,\"A\r\nB\"\r\n".to_vec()));
        assert!(multipart("application/x-www-form-urlencoded", body.as_bytes()).is_none());
        assert!(multipart("multipart/form-data; boundary=other", body.as_bytes()).is_none());
    }
}
