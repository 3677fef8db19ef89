//! Node actions in the console, through the real ops task: the key on a selected node
//! opens a confirmation showing the exact argv, `y` runs it with its output streamed
//! into the output overlay, the result and the audit line arrive together; read-only,
//! unarmed protected networks and replays are refused before anything runs.

use std::path::Path;

use btsops::monitor::{EndpointKind, EndpointSnapshot, FleetSnapshot};
use btsops::theme::Theme;
use btsops::tui::ops_task::{self, LbClients, OpsOptions};
use btsops::tui::overlay::Overlay;
use btsops::tui::{App, Keymap, Msg, update};
use tokio::sync::mpsc;

use super::failover::{audit_lines, pump, sent};
use super::fleet::press;
use super::lb::confirming;
use super::screens::render;

const CHAIN: &str = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";

fn config(dir: &Path, protected: bool, read_only: bool) -> btsops::config::Config {
    let text = format!(
        r#"[ui]
read_only = {read_only}

[[network]]
name = "test"
role = "testnet"
protected = {protected}
chain_id = "{CHAIN}"
prefix = "TEST"
  [[network.node]]
  name = "n1"
  url = "ws://127.0.0.1:9/ws"
  host = "h1 $(id)"

[[action]]
name = "hello"
key = "R"
scope = "node"
command = ["sh", "-c", "echo hello \"$1\"; echo warning >&2; echo bye", "sh", "{{host}}"]
"#
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    let cfg = btsops::config::load(Some(&path)).expect("config loads");
    btsops::tui::check_action_keys(&cfg).expect("action keys are free");
    cfg
}

fn app(cfg: &btsops::config::Config) -> App {
    let mut app = App::new(Theme::mono(), Keymap::defaults());
    update(&mut app, Msg::Resize(100, 30));
    update(&mut app, Msg::Tick(1_700_000_000.0));
    app.configure(cfg);
    let mut fs = FleetSnapshot::empty();
    fs.time = 1_700_000_000.0;
    fs.endpoints.push(EndpointSnapshot::new(
        EndpointKind::Node,
        "test",
        "n1",
        "ws://127.0.0.1:9/ws",
    ));
    update(&mut app, Msg::Snapshot(Box::new(fs)));
    press(&mut app, ": node Space n1 Enter");
    assert_eq!(app.detail.node.as_deref(), Some("n1"));
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_key_confirms_the_argv_runs_it_and_streams_its_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let audit = tmp.path().join("state");
    let cfg = config(tmp.path(), false, false);
    let mut app = app(&cfg);
    let (tx, mut rx) = mpsc::channel(64);
    let opts = OpsOptions {
        audit_dir: Some(audit.clone()),
        ..OpsOptions::default()
    };
    let (ops, ops_task) = ops_task::spawn_ops(LbClients::new(&cfg), opts, tx);
    // The help lists the action with its key and command.
    let help: Vec<String> = btsops::tui::view::help::lines(&app, 98)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let at = help
        .iter()
        .position(|l| l.starts_with("Node actions"))
        .unwrap_or_else(|| panic!("no actions in the help: {help:#?}"));
    assert!(
        help[at + 1].contains("R ")
            && help[at + 1].contains("hello")
            && help[at + 1].contains("sh -c"),
        "{}",
        help[at + 1]
    );

    assert!(press(&mut app, "R").is_empty());
    assert!(confirming(&app), "no confirmation:\n{}", render(&app));
    let screen = render(&app);
    assert!(
        screen.contains(r#"sh -c 'echo hello "$1"; echo warning >&2; echo bye' sh 'h1 $(id)'"#),
        "{screen}"
    );
    let plan = sent(press(&mut app, "y"));
    assert!(matches!(app.overlays.last(), Some(Overlay::Output)));
    ops.send(plan).expect("ops task runs");
    let mut output_before_result = false;
    pump(
        &mut app,
        &mut rx,
        "the action's result",
        |m| match m {
            Msg::ActionOutput { .. } => output_before_result = true,
            Msg::ActionDone(_) => {
                assert!(output_before_result, "no output streamed before the result");
                assert_eq!(
                    audit_lines(&audit).len(),
                    1,
                    "audit line missing at the result"
                );
            }
            _ => {}
        },
        |a| a.running.is_none(),
    )
    .await;
    let out = app.node_actions.output.as_ref().expect("output kept");
    let lines: Vec<(bool, &str)> = out.lines.iter().map(|(e, t)| (*e, t.as_str())).collect();
    assert!(lines.contains(&(false, "hello h1 $(id)")), "{lines:?}");
    assert!(lines.contains(&(true, "warning")), "{lines:?}");
    assert_eq!(
        out.result.as_deref().map(|r| r.starts_with("exit 0")),
        Some(true)
    );
    let screen = render(&app);
    assert!(
        screen.contains("hello h1 $(id)") && screen.contains("exit 0"),
        "{screen}"
    );
    let a = &audit_lines(&audit)[0];
    assert_eq!(
        (
            a["action"].as_str(),
            a["target"].as_str(),
            a["result"].as_str()
        ),
        (Some("action hello"), Some("node n1"), Some("exit 0"))
    );
    // Esc closes the overlay; the status bar keeps the result.
    press(&mut app, "Esc");
    assert!(app.overlays.is_empty());
    assert!(
        render(&app).contains("hello on node n1: exit 0"),
        "{}",
        render(&app)
    );
    ops_task.abort();
}

#[test]
fn refused_when_read_only_or_protected_and_unarmed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (protected, read_only, why) in [(false, true, "read-only"), (true, false, "protected")] {
        let cfg = config(tmp.path(), protected, read_only);
        let mut app = app(&cfg);
        assert!(press(&mut app, "R").is_empty());
        assert!(!confirming(&app), "{why}: a confirmation opened");
        let screen = render(&app);
        assert!(
            screen.contains("refused") && screen.contains(why),
            "{why}: {screen}"
        );
    }
    // Armed, the protected network's action asks for confirmation.
    let cfg = config(tmp.path(), true, false);
    let mut app = app(&cfg);
    press(&mut app, "A y");
    press(&mut app, "R");
    assert!(confirming(&app), "{}", render(&app));
}
