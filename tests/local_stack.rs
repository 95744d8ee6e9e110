//! The local stack as a newcomer uses it: the README's own curl examples are
//! run against it, embedded and on moto.

use serde_json::Value;
use sim::clock::ManualClock;
use sim::ids::SequentialIds;
use sim_cli::local::{build, serve, Backing, Stack};
use sim_tests::*;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

/// The shell block that follows `<!-- readme-example: NAME -->` in README.md.
fn readme_example(name: &str) -> String {
    let readme = std::fs::read_to_string(format!("{}/../README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let marker = format!("<!-- readme-example: {name} -->");
    let after = &readme[readme.find(&marker).unwrap_or_else(|| panic!("README lacks {marker}"))..];
    let start = after.find("```sh\n").unwrap() + "```sh\n".len();
    let end = after[start..].find("\n```").unwrap();
    after[start..start + end].to_owned()
}

/// Runs a README block with bash in `dir`, against the stack at `address`.
async fn run(block: &str, dir: &PathBuf, address: &str, env: &[(&str, &str)]) -> Value {
    let script = block.replace("127.0.0.1:3000", address);
    let mut command = Command::new("bash");
    command.arg("-c").arg(&script).current_dir(dir).envs(env.iter().copied());
    // Off the runtime's thread: the stack answering curl runs on it.
    let output =
        tokio::time::timeout(std::time::Duration::from_secs(60), tokio::task::spawn_blocking(move || command.output()))
            .await
            .expect("the README example answered within a minute")
            .unwrap()
            .unwrap();
    assert!(output.status.success(), "README example failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&output.stdout)))
}

async fn start(backing: Backing) -> (Stack, String, PathBuf) {
    let clock = Arc::new(ManualClock::new(START));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let base_url = format!("http://{address}");
    let stack = build(&backing, &base_url, clock, Arc::new(SequentialIds::default())).await.expect("stack builds");
    // The working folder a newcomer runs from: the stack writes its key there.
    let dir = std::env::temp_dir().join(unique("sim-readme"));
    std::fs::create_dir_all(dir.join(".sim-local")).unwrap();
    std::fs::write(dir.join(".sim-local/api-key"), stack.keys.met_cad.reveal()).unwrap();
    let served = stack.clone();
    tokio::spawn(async move { serve(&served, listener).await });
    (stack, address, dir)
}

async fn readme_examples_work(backing: Backing) {
    let (stack, address, dir) = start(backing).await;
    let accepted = run(&readme_example("report"), &dir, &address, &[]).await;
    assert_eq!(accepted["status"], "accepted", "{accepted}");
    let id = accepted["id"].as_str().unwrap();

    let again = run(&readme_example("report"), &dir, &address, &[]).await;
    assert_eq!((again["status"].as_str(), again["id"].as_str()), (Some("already_received"), Some(id)));

    let key = stack.keys.met_cad.reveal().to_owned();
    let status = run(&readme_example("status"), &dir, &address, &[("ID", id), ("SIM_KEY", &key)]).await;
    assert_eq!(status["police_reference"], "CAD 1234/21NOV26");
    assert_eq!(status["licensee_id"], "lambeth");

    // The README's example is CRITICAL: five people alerted by SMS and email,
    // three of them (opted in) on WhatsApp, each message with its own link.
    let embedded = stack.outbox.sms.is_some();
    let mut page = String::new();
    let mut sent = (Vec::new(), Vec::new());
    for _ in 0..100 {
        let url = format!("http://{address}/outbox");
        let out = tokio::task::spawn_blocking(move || Command::new("curl").args(["-s", &url]).output());
        page = out.await.unwrap().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
        if !embedded {
            let (sms, email) = moto_sent().await;
            let ours = |text: &String| text.contains(&format!("http://{address}/a/"));
            sent = (
                sms.into_iter().filter(|(_, t)| ours(t)).collect(),
                email.into_iter().filter(|(_, _, h)| ours(h)).collect(),
            );
        }
        let delivered = page.contains("WHATSAPP (3)")
            && if embedded {
                page.contains("SMS (5)") && page.contains("EMAIL (5)")
            } else {
                sent.0.len() == 5 && sent.1.len() == 5
            };
        if delivered {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(page.contains("WHATSAPP (3)"), "{page}");
    if embedded {
        assert!(page.contains("SMS (5)") && page.contains("EMAIL (5)"), "{page}");
        assert!(page.contains("SIM: CRITICAL stabbing in Lambeth (Brixton North)"), "{page}");
        assert!(
            page.contains(&format!("http://{address}/a/inc-000001.con-gold.sms.")),
            "personal links on the stack's own address"
        );
    } else {
        assert_eq!((sent.0.len(), sent.1.len()), (5, 5), "SMS through moto's SNS and email through its SES");
        assert!(page.contains("Sent to the provider at AWS_ENDPOINT_URL"));
    }
    // Categorised: the hand-off marker is gone.
    let status = run(&readme_example("status"), &dir, &address, &[("ID", id), ("SIM_KEY", &key)]).await;
    assert_eq!(status["handoff"], "done", "{status}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn the_readme_examples_work_on_the_embedded_stack() {
    readme_examples_work(Backing::Embedded { speed: 1 }).await;
}

#[tokio::test]
async fn the_readme_examples_work_on_the_stack_backed_by_moto() {
    needs_moto!();
    moto().await;
    readme_examples_work(Backing::Aws { table: unique("sim-local") }).await;
}
