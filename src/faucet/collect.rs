//! One KPI read as `faucet stats` and the console's faucet pane both do it: connect to a
//! node of the faucet's network, bring the cache up to the registrar's newest op, read the
//! fees of its accounts (only what changed, when the cache knows them), its balance and the
//! fee, probe the faucet, compute. Errors are text naming the endpoint and call.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::cache::{self, Cache};
use super::client::{FaucetClient, Probe, Reply};
use super::history::{self, FeeReads, ReadStats};
use super::kpi::{self, Failure, Kpis, Targets};
use crate::config::{Config, Faucet, Network};
use crate::rpc::{ConnectOptions, RpcClient};

/// Timeout of one faucet request or RPC call.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// What one read computed, and how much it read.
#[derive(Debug, Clone)]
pub struct Stats {
    pub kpis: Kpis,
    /// `name (1.2.N)`.
    pub registrar: String,
    pub read: ReadStats,
    pub fee_reads: FeeReads,
    pub probe: Probe,
}

/// How far a read has got: history ops read of those to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub read: u64,
    pub total: u64,
}

/// The `[faucet]` section and its network.
pub fn faucet_config(cfg: &Config) -> Result<(&Faucet, &Network), String> {
    let f = cfg
        .faucet
        .as_ref()
        .ok_or_else(|| format!("{}: no [faucet] section", cfg.source.display()))?;
    // config.rs checked that the network exists.
    let n = cfg.network(&f.network).ok_or_else(|| {
        format!(
            "{}: faucet.network {:?} is not a configured network",
            cfg.source.display(),
            f.network
        )
    })?;
    Ok((f, n))
}

/// The cache file of this faucet's registrar in `dir`, if there is a cache dir.
pub fn cache_path(f: &Faucet, dir: Option<&Path>) -> Option<PathBuf> {
    dir.map(|d| cache::file_for(d, &f.network, &f.registrar))
}

/// Failures are known only to whoever sent the request: kept with the KPI cache. An
/// error is returned as text to show (the registration itself is unaffected).
pub fn remember_failure(
    f: &Faucet,
    cache_dir: Option<&Path>,
    name: &str,
    reply: &Reply,
    now: i64,
) -> Result<(), String> {
    let Some(path) = cache_path(f, cache_dir) else {
        return Ok(());
    };
    let mut c = cache::load(&path).unwrap_or_default();
    c.push_failure(Failure {
        time: now,
        name: name.into(),
        class: reply.class().label().into(),
        text: reply.verdict.texts.join("; "),
    });
    cache::save(&path, &c).map_err(|e| format!("{}: {e}", path.display()))
}

/// The first node of the network that answers.
pub async fn connect(net: &Network) -> Result<RpcClient, String> {
    let mut last = None;
    for node in &net.nodes {
        let credentials = match &node.credentials {
            Some(c) => Some(crate::rpc::Credentials::new(
                c.user.clone(),
                c.password().map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        let opts = ConnectOptions {
            timeout: TIMEOUT,
            credentials,
            ca_file: node.ca_file.clone(),
            ..ConnectOptions::default()
        };
        match RpcClient::connect(node.url.as_str(), opts).await {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => format!("no node of network {:?} answered; last: {e}", net.name),
        None => format!(
            "network {:?} has no [[network.node]] to read the chain from",
            net.name
        ),
    })
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Reads the chain (past what the cache in `cache_dir` holds), updates the cache,
/// computes the KPIs. Also returns warnings to show (a cache that could not be written).
pub async fn collect(
    cfg: &Config,
    cache_dir: Option<&Path>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Stats, Vec<String>), String> {
    let (f, net) = faucet_config(cfg)?;
    let c = connect(net).await?;
    let result = read(&c, f, cache_dir, progress).await;
    c.close().await;
    let (mut stats, warnings) = result?;
    stats.probe = FaucetClient::new(&f.url, f.ca_file.as_deref(), TIMEOUT)?
        .probe()
        .await;
    Ok((stats, warnings))
}

async fn read(
    c: &RpcClient,
    f: &Faucet,
    cache_dir: Option<&Path>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Stats, Vec<String>), String> {
    let err = |e: history::HistoryError| e.to_string();
    let chain_id = c.get_chain_id().await.map_err(|e| e.to_string())?;
    let head = c
        .get_dynamic_global_properties()
        .await
        .map_err(|e| e.to_string())?
        .head_block_number;
    let r = history::registrar(c, &f.registrar).await.map_err(err)?;
    let path = cache_path(f, cache_dir);
    let loaded = path.as_deref().and_then(cache::load);
    let mut fresh_cache = false;
    let mut cached = match loaded {
        Some(c) if c.matches(&chain_id, &r.id, r.total_ops) => c,
        other => {
            fresh_cache = true;
            let mut fresh = Cache::fresh(&chain_id, &r.id);
            fresh.failures = other.map(|o| o.failures).unwrap_or_default();
            fresh
        }
    };
    let read = history::refresh_with_progress(c, &r, &mut cached, &mut |read, total| {
        progress(Progress { read, total })
    })
    .await
    .map_err(err)?;
    let (fees, fee_reads) = history::account_fees(c, &cached.registrations, &mut cached.fees, head)
        .await
        .map_err(err)?;
    let mut warnings = Vec::new();
    // Written only when something was read: a warm run with nothing new writes nothing.
    if let Some(p) = &path
        && (read.ops > 0 || fee_reads.accounts > 0 || fresh_cache)
        && let Err(e) = cache::save(p, &cached)
    {
        warnings.push(format!("KPI cache {}: {e}", p.display()));
    }
    let (balance, fee) = history::balance_and_fee(c, &r).await.map_err(err)?;
    let kpis = kpi::compute(&kpi::Input {
        registrations: &cached.registrations,
        failures: &cached.failures,
        fees: &fees,
        registrar_id: &r.id,
        trimmed_since: cached.trimmed_since,
        balance,
        fee,
        targets: Targets {
            accounts: f.target_accounts,
            start: f.start_date,
            end: f.target_date,
        },
        now: unix_now(),
    });
    Ok((
        Stats {
            kpis,
            registrar: format!("{} ({})", f.registrar, r.id),
            read,
            fee_reads,
            probe: Probe {
                reachable: false,
                status: None,
                latency_ms: None,
                detail: "not probed yet".into(),
            },
        },
        warnings,
    ))
}
