//! The console's I/O for the faucet: the KPI reader (a whole `faucet::collect` read on a
//! period and on demand, its progress on the way), the registration the ops task sends,
//! and asking the chain, a bounded number of times, for the new account's id.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::faucet_pane::FaucetMsg;
use super::msg::{FaucetOutcome, Msg};
use crate::audit;
use crate::config::{Config, Faucet, Network};
use crate::faucet::collect::{self, TIMEOUT};
use crate::faucet::{Class, FaucetClient, Keys, Request};

/// How often the pane's numbers are read again: registrations come in minutes, and a
/// read of a warm cache asks the node for one statistics object per account.
pub const READ_PERIOD: Duration = Duration::from_secs(60);
/// Times the chain is asked for a new account, and how long apart (a block or two).
pub const ACCOUNT_POLLS: u32 = 20;
pub const ACCOUNT_POLL_EVERY: Duration = Duration::from_millis(500);

/// What registering from the console needs of the config.
#[derive(Debug, Clone)]
pub struct FaucetSetup {
    pub faucet: Faucet,
    pub network: Network,
    /// Where failures are kept for the pane (the KPI cache); `None`: not kept.
    pub cache_dir: Option<PathBuf>,
}

impl FaucetSetup {
    pub fn from_config(config: &Config, cache_dir: Option<PathBuf>) -> Option<FaucetSetup> {
        let (f, n) = collect::faucet_config(config).ok()?;
        Some(FaucetSetup {
            faucet: f.clone(),
            network: n.clone(),
            cache_dir,
        })
    }
}

fn wall_clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Reads the KPIs every `period` and whenever the returned `Notify` is notified, until
/// the feed closes. `None` when the config has no `[faucet]`.
pub fn spawn_reader(
    config: Config,
    cache_dir: Option<PathBuf>,
    period: Duration,
    tx: mpsc::Sender<Msg>,
) -> Option<(Arc<Notify>, JoinHandle<()>)> {
    config.faucet.as_ref()?;
    let notify = Arc::new(Notify::new());
    let wake = notify.clone();
    let task = tokio::spawn(async move {
        loop {
            let progress_tx = tx.clone();
            // Progress is a hint: dropped when the feed is full, never waited for.
            let mut progress = move |p| {
                let _ = progress_tx.try_send(Msg::Faucet(FaucetMsg::Progress(p)));
            };
            let (result, warnings) =
                match collect::collect(&config, cache_dir.as_deref(), &mut progress).await {
                    Ok((s, w)) => (Ok(Box::new(s)), w),
                    Err(e) => (Err(e), Vec::new()),
                };
            let msg = Msg::Faucet(FaucetMsg::Read {
                time: wall_clock(),
                result,
                warnings,
            });
            if tx.send(msg).await.is_err() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = wake.notified() => {}
            }
        }
    });
    Some((notify, task))
}

/// One registration: the request, its audit line (built here, written by the caller
/// before the result is shown) and what the faucet answered.
pub async fn register(
    setup: Option<&FaucetSetup>,
    network: &str,
    endpoint: &str,
    request: Request,
) -> (audit::Entry, FaucetOutcome) {
    let name = request.name.clone();
    let failed = |why: String| {
        let mut entry = audit::Entry::now(network, endpoint, &format!("register {name}"));
        entry.result = format!("failed: {why}");
        let outcome = FaucetOutcome {
            name: name.clone(),
            class: Class::FaucetDown.label().into(),
            registered: false,
            status: None,
            body: why,
        };
        (entry, outcome)
    };
    let Some(setup) = setup else {
        return failed("no [faucet] in the config".into());
    };
    let client =
        match FaucetClient::new(&setup.faucet.url, setup.faucet.ca_file.as_deref(), TIMEOUT) {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
    let reply = client.register(&request).await;
    let entry = reply.audit_entry(network, client.endpoint(), &request);
    let registered = reply.class() == Class::Registered;
    if !registered {
        // For the pane's last failures; a cache that cannot be written loses only that.
        let _ = collect::remember_failure(
            &setup.faucet,
            setup.cache_dir.as_deref(),
            &request.name,
            &reply,
            collect::unix_now(),
        );
    }
    let outcome = FaucetOutcome {
        name,
        class: reply.class().label().into(),
        registered,
        status: reply.status,
        body: reply.body,
    };
    (entry, outcome)
}

/// The request of a confirmed `Op::FaucetRegister`.
pub fn request(name: &str, keys: &Keys, referrer: &Option<String>) -> Request {
    Request {
        name: name.into(),
        keys: keys.clone(),
        referrer: referrer.clone(),
    }
}

/// Asks the network's nodes for `name` until it exists (at most `ACCOUNT_POLLS` times)
/// and sends its id, or why it is not known, to the pane.
pub async fn poll_account(setup: FaucetSetup, name: String, tx: mpsc::Sender<Msg>) {
    let result = find_account(&setup.network, &name).await;
    let _ = tx
        .send(Msg::Faucet(FaucetMsg::Account { name, result }))
        .await;
}

async fn find_account(net: &Network, name: &str) -> Result<String, String> {
    let c = collect::connect(net).await?;
    let mut last_err = None;
    for i in 0..ACCOUNT_POLLS {
        if i > 0 {
            tokio::time::sleep(ACCOUNT_POLL_EVERY).await;
        }
        match c.get_account_by_name(name).await {
            Ok(Some(a)) => {
                c.close().await;
                return Ok(a.id);
            }
            Ok(None) => {}
            Err(e) => last_err = Some(format!("{}: get_account_by_name: {e}", c.endpoint())),
        }
    }
    c.close().await;
    Err(last_err.unwrap_or_else(|| {
        format!(
            "not on chain after {ACCOUNT_POLLS} reads {} ms apart",
            ACCOUNT_POLL_EVERY.as_millis()
        )
    }))
}
