//! contrib/: the Prometheus alert rules pass `promtool check rules` (where promtool is on
//! PATH; required under BTSOPS_REQUIRE_PROMTOOL=1, else the file is parsed as YAML), the
//! Grafana dashboard is valid JSON with queries, and every metric either names is in
//! what `btsops export` serves for a fleet with nodes, a load balancer and a faucet.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::export::{names, scrape, value};

const LONG: Duration = Duration::from_secs(60);

fn contrib(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(contrib(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `btsops_…` name in a text.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("btsops_") {
        let tail = &rest[i..];
        let len = tail
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        out.insert(tail[..len].to_string());
        rest = &tail[len..];
    }
    out
}

fn alert_exprs() -> Vec<String> {
    let docs = yaml_rust2::YamlLoader::load_from_str(&read("prometheus/alerts.yml"))
        .expect("alerts.yml is YAML");
    let groups = docs[0]["groups"].as_vec().expect("a groups list");
    let mut exprs = Vec::new();
    for g in groups {
        for r in g["rules"].as_vec().expect("rules") {
            assert!(
                r["alert"].as_str().is_some(),
                "a rule without a name: {r:?}"
            );
            exprs.push(
                r["expr"]
                    .as_str()
                    .expect("each rule has an expr")
                    .to_string(),
            );
        }
    }
    exprs
}

#[test]
fn alert_rules_pass_promtool_or_parse_as_yaml() {
    let found = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        let mut cmd = std::process::Command::new("promtool");
        cmd.args(["check", "rules"])
            .arg(contrib("prometheus/alerts.yml"));
        let out = support::process::output_within(&mut cmd, Duration::from_secs(60));
        assert!(
            out.status.success(),
            "promtool check rules:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        support::require::skip_or_fail(
            &["BTSOPS_REQUIRE_PROMTOOL"],
            "alert_rules_pass_promtool_or_parse_as_yaml",
            "no promtool on PATH (Debian: apt-get install prometheus); parsing as YAML only",
        );
    }
    // Either way: the rules the README promises are there.
    let exprs = alert_exprs().join("\n");
    for m in [
        "btsops_endpoint_lag_seconds",
        "btsops_endpoint_status",
        "btsops_endpoint_chain_mismatch",
        "btsops_lb_backend_healthy_servers",
        "btsops_endpoint_cert_days_left",
        "btsops_faucet_registrar_runway_registrations",
    ] {
        assert!(exprs.contains(m), "no alert over {m}");
    }
}

#[test]
fn grafana_dashboard_is_json_with_queries() {
    let v: serde_json::Value =
        serde_json::from_str(&read("grafana/btsops.json")).expect("btsops.json is JSON");
    let panels = v["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10);
    for p in panels {
        let targets = p["targets"].as_array().expect("targets");
        assert!(
            targets
                .iter()
                .all(|t| t["expr"].as_str().is_some_and(|e| e.contains("btsops_"))),
            "{p}"
        );
    }
}

/// Nodes, a load balancer in front of them (simnet's stand-in) and a faucet, exported by
/// the `btsops export` process; scraped until every source has reported.
#[test]
fn every_metric_in_alerts_and_dashboard_is_exported() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fleet = rt.block_on(support::faucet::start());
    let standin = rt.block_on(support::standin::start_on(
        &fleet,
        support::faucet::NET,
        &["a"],
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = support::faucet::write_config(dir.path(), &fleet, Default::default());
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[[lb]]\nname = \"lb\"\nnetwork = \"{}\"\npublic_url = \"{}\"\nruntime_api = \"tcp:{}\"\nbackend = \"{}\"\n",
        support::faucet::NET,
        support::standin::frontend(&standin),
        standin.runtime_api,
        support::haproxy::BACKEND,
    ));
    text.push_str("\n[monitor]\nprobe_interval_ms = 300\n");
    std::fs::write(&path, text).unwrap();
    let (child, addr) = support::export::spawn(&path, dir.path(), 120);
    let scraped = rt.block_on(async {
        let deadline = Instant::now() + LONG;
        loop {
            let (s, text) = scrape(addr).await;
            let ready = value(&s, "btsops_faucet_up", &[]) == Some(1.0)
                && value(&s, "btsops_lb_up", &[("lb", "lb")]) == Some(1.0)
                && value(
                    &s,
                    "btsops_endpoint_status",
                    &[("endpoint", "a"), ("status", "ok")],
                ) == Some(1.0)
                && names(&s).contains("btsops_endpoint_latency_seconds_bucket");
            if ready {
                break (s, text);
            }
            assert!(
                Instant::now() < deadline,
                "not every source reported:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    support::export::stop(child);
    let (s, text) = scraped;
    let present = names(&s);
    // Families declared with no series yet: a certificate needs a wss:// endpoint,
    // and simnet serves plain ws://. Declared (HELP and TYPE) is what Prometheus and
    // promtool need to accept a rule; the value itself is covered by the monitor's TLS
    // tests and the exporter's unit tests.
    let declared: BTreeSet<String> = s.docs.keys().cloned().collect();
    let mut wanted = metric_names(&alert_exprs().join("\n"));
    wanted.extend(metric_names(&read("grafana/btsops.json")));
    let missing: Vec<_> = wanted
        .iter()
        .filter(|m| !present.contains(*m) && !declared.contains(*m))
        .collect();
    assert!(missing.is_empty(), "not exported: {missing:?}\n{text}");
    let without_series: Vec<_> = wanted.iter().filter(|m| !present.contains(*m)).collect();
    assert_eq!(
        without_series,
        [&"btsops_endpoint_cert_days_left".to_string()],
        "only the certificate has no series on plain ws://\n{text}"
    );
    // The LB and faucet figures are the fleet's.
    assert_eq!(
        value(&s, "btsops_lb_backend_healthy_servers", &[("lb", "lb")]),
        Some(1.0)
    );
    assert_eq!(
        value(
            &s,
            "btsops_lb_server_mode",
            &[("server", "a"), ("mode", "ready")]
        ),
        Some(1.0)
    );
    assert!(
        value(&s, "btsops_faucet_registrar_runway_registrations", &[]).is_some_and(|v| v > 0.0)
    );
}
