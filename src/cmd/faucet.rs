//! `btsops faucet register` and `btsops faucet stats`: registration through the configured
//! faucet behind the safety gate, with an audit line per registration, and the onboarding
//! KPIs read from the chain.

use std::io::Write;

use color_eyre::eyre::{Result, WrapErr, eyre};
use serde_json::json;
use zeroize::Zeroizing;

use crate::audit;
use crate::cli::{EXIT_FAILURE, EXIT_REFUSED};
use crate::config::{Config, Faucet, Network};
use crate::faucet::collect::{self, Stats, TIMEOUT};
use crate::faucet::{Class, FaucetClient, Keys, Reply, Request};
use crate::safety::{self, Gate};

/// Where the new account's keys come from.
pub enum KeySource {
    /// Derived as `keys derive` does; wiped from memory when dropped.
    Password(Zeroizing<String>),
    Public {
        owner: String,
        active: String,
        memo: String,
    },
}

pub struct RegisterRequest {
    pub name: String,
    pub keys: KeySource,
    pub referrer: Option<String>,
    pub yes: bool,
    pub armed: bool,
    pub read_only: bool,
    pub json: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| eyre!("starting the runtime: {e}"))
}

fn cache_dir() -> Option<std::path::PathBuf> {
    crate::faucet::cache::cache_dir()
}

fn faucet_config(cfg: &Config) -> Result<(&Faucet, &Network)> {
    collect::faucet_config(cfg).map_err(|e| eyre!("{e}"))
}

/// `faucet register`: exit 0 when the faucet registered the account, 1 when it did not
/// (or the name was refused before sending), 4 when the gate refused.
pub fn register(cfg: &Config, req: RegisterRequest, out: &mut impl Write) -> Result<u8> {
    let (f, net) = faucet_config(cfg)?;
    let gate = Gate {
        read_only: cfg.ui.read_only || req.read_only,
        protected: net.protected,
        armed: req.armed,
        confirmed: req.yes,
    };
    if let Err(r) = safety::check(gate, &net.name) {
        super::print_stderr(&format!("btsops: refused: {r}"));
        return Ok(EXIT_REFUSED as u8);
    }
    if let Err(why) = crate::faucet::client::check_name(&req.name) {
        super::print_stderr(&format!("btsops: not sent: {why}"));
        return Ok(EXIT_FAILURE as u8);
    }
    let keys = match req.keys {
        KeySource::Password(pw) => {
            let keys = Keys::from_password(&req.name, &pw, &net.prefix).map_err(|e| eyre!("{e}"));
            // The password goes (zeroed) as soon as the public keys exist.
            drop(pw);
            keys?
        }
        KeySource::Public {
            owner,
            active,
            memo,
        } => Keys::from_public(&owner, &active, &memo, &net.prefix).map_err(|e| eyre!("{e}"))?,
    };
    let request = Request {
        name: req.name.clone(),
        keys,
        referrer: req.referrer.clone(),
    };
    let client =
        FaucetClient::new(&f.url, f.ca_file.as_deref(), TIMEOUT).map_err(|e| eyre!("{e}"))?;
    let reply = runtime()?.block_on(client.register(&request));

    let entry = reply.audit_entry(&net.name, client.endpoint(), &request);
    let registered = reply.class() == Class::Registered;
    // On disk before the operator sees the result.
    audit::append_default(&entry).wrap_err("writing the audit log")?;
    if !registered
        && let Err(e) = collect::remember_failure(
            f,
            cache_dir().as_deref(),
            &request.name,
            &reply,
            collect::unix_now(),
        )
    {
        super::print_stderr(&format!("btsops: warning: {e}"));
    }
    write_reply(&request, &reply, req.json, out)?;
    Ok(if registered { 0 } else { EXIT_FAILURE as u8 })
}

fn write_reply(req: &Request, reply: &Reply, as_json: bool, out: &mut impl Write) -> Result<()> {
    if as_json {
        let doc = json!({
            "name": req.name,
            "registered": reply.class() == Class::Registered,
            "class": reply.class(),
            "sent": reply.sent,
            "http_status": reply.status,
            "reply": reply.body,
            "keys": req.keys,
        });
        writeln!(out, "{doc}")?;
        return Ok(());
    }
    if reply.class() == Class::Registered {
        writeln!(out, "registered {}", req.name)?;
    } else {
        writeln!(out, "not registered: {}", reply.class().label())?;
    }
    let status = reply
        .status
        .map_or("no HTTP reply".to_string(), |s| format!("HTTP {s}"));
    writeln!(out, "faucet reply ({status}): {}", reply.body)?;
    writeln!(
        out,
        "owner  {}\nactive {}\nmemo   {}",
        req.keys.owner, req.keys.active, req.keys.memo
    )?;
    Ok(())
}

/// Reads the chain (past what the cache holds), updates the cache, computes the KPIs.
pub async fn collect(cfg: &Config) -> Result<Stats> {
    let (stats, warnings) = collect::collect(cfg, cache_dir().as_deref(), &mut |_| {})
        .await
        .map_err(|e| eyre!("{e}"))?;
    for w in warnings {
        super::print_stderr(&format!("btsops: warning: {w}"));
    }
    Ok(stats)
}

/// `faucet stats`: exit 0 when the chain was read.
pub fn stats(cfg: &Config, as_json: bool, out: &mut impl Write) -> Result<u8> {
    let s = runtime()?.block_on(collect(cfg))?;
    let (f, _) = faucet_config(cfg)?;
    if as_json {
        let doc = json!({
            "network": f.network,
            "registrar": s.registrar,
            "faucet": {
                "url": f.url.as_str(),
                "reachable": s.probe.reachable,
                "http_status": s.probe.status,
                "latency_ms": s.probe.latency_ms,
            },
            "kpis": s.kpis,
            "read": {
                "pages": s.read.pages,
                "ops": s.read.ops,
                "fee_calls": s.fee_reads.calls,
                "statistics": s.fee_reads.stats,
                "accounts": s.fee_reads.accounts,
            },
        });
        writeln!(out, "{doc}")?;
        return Ok(0);
    }
    write_stats_text(f, &s, out)?;
    Ok(0)
}

use crate::faucet::kpi::coins;

fn write_stats_text(f: &Faucet, s: &Stats, out: &mut impl Write) -> Result<()> {
    let k = &s.kpis;
    let since = k.since.as_ref().map_or(String::new(), |d| {
        format!(" (history trimmed: counts since {d})")
    });
    writeln!(
        out,
        "faucet {} on {}, registrar {}",
        f.url, f.network, s.registrar
    )?;
    let reach = match s.probe.status {
        Some(st) if s.probe.reachable => format!(
            "reachable in {:.0} ms (HTTP {st} to a malformed probe)",
            s.probe.latency_ms.unwrap_or(0.0)
        ),
        _ => format!("DOWN: {}", s.probe.detail),
    };
    writeln!(out, "  faucet:        {reach}")?;
    writeln!(
        out,
        "  registered:    today {}, 7 days {}, 30 days {}, since {}: {}{since}",
        k.today, k.last_7_days, k.last_30_days, f.start_date, k.since_start
    )?;
    writeln!(
        out,
        "  target:        {} by {}: {} to go in {} days, {:.1}/day needed, {} (expected {} by now)",
        f.target_accounts,
        f.target_date,
        k.pace.remaining,
        k.pace.days_left,
        k.pace.needed_per_day,
        if k.pace.on_track {
            "on track"
        } else {
            "BEHIND"
        },
        k.pace.expected_by_now
    )?;
    writeln!(
        out,
        "  rewards:       {} (registrar {}, referrer {}, lifetime referrer {})",
        coins(k.rewards.total),
        coins(k.rewards.as_registrar),
        coins(k.rewards.as_referrer),
        coins(k.rewards.as_lifetime_referrer)
    )?;
    writeln!(
        out,
        "  balance:       {}, fee {}: runway {} registrations",
        coins(k.balance),
        coins(k.fee),
        k.runway
    )?;
    for r in &k.last_registrations {
        let t = crate::rpc::ChainTime::from_unix_timestamp(r.time)
            .map_or(String::new(), |t| t.to_string());
        writeln!(out, "  registered     {t} {} {}", r.name, r.account)?;
    }
    for x in &k.last_failures {
        let t = crate::rpc::ChainTime::from_unix_timestamp(x.time)
            .map_or(String::new(), |t| t.to_string());
        writeln!(
            out,
            "  failed         {t} {} {}: {}",
            x.name, x.class, x.text
        )?;
    }
    Ok(())
}
