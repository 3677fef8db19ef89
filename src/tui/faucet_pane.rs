//! The faucet pane's state: what `[faucet]` says, the last KPI read (numbers from the
//! chain, via `faucet::collect`), a read under way with its progress, and the last
//! registration sent from this console. Pure; the poller (`faucet_task`) sends
//! `Msg::Faucet` and `update` folds it in here.

use time::Date;

use crate::config::Config;
use crate::faucet::collect::{Progress, Stats};

/// What the config says about the faucet.
#[derive(Debug, Clone, PartialEq)]
pub struct FaucetConf {
    pub network: String,
    /// The faucet's base URL as configured.
    pub url: String,
    /// Where registrations are POSTed.
    pub endpoint: String,
    pub registrar: String,
    /// The network's public key prefix (keys derived in the form use it).
    pub prefix: String,
    pub target_accounts: u64,
    pub start_date: Date,
    pub target_date: Date,
}

impl FaucetConf {
    pub fn from_config(config: &Config) -> Option<FaucetConf> {
        let f = config.faucet.as_ref()?;
        let prefix = config
            .network(&f.network)
            .map_or_else(|| "BTS".to_string(), |n| n.prefix.clone());
        Some(FaucetConf {
            network: f.network.clone(),
            url: f.url.to_string(),
            endpoint: crate::faucet::client::endpoint_of(&f.url)
                .map_or_else(|e| e, |u| u.to_string()),
            registrar: f.registrar.clone(),
            prefix,
            target_accounts: f.target_accounts,
            start_date: f.start_date,
            target_date: f.target_date,
        })
    }
}

/// The last registration sent from here, and what the chain says of it since.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub name: String,
    /// The reply's class, as the client names it.
    pub class: String,
    pub registered: bool,
    pub status: Option<u16>,
    /// The faucet's reply, verbatim.
    pub reply: String,
    /// `None` while the chain is asked; then its id, or why it is not known.
    pub account: Option<Result<String, String>>,
}

/// What the background reader sends.
#[derive(Debug, Clone)]
pub enum FaucetMsg {
    /// A read is under way: history ops read so far.
    Progress(Progress),
    /// A read finished (unix time), with warnings to show.
    Read {
        time: f64,
        result: Result<Box<Stats>, String>,
        warnings: Vec<String>,
    },
    /// What the chain says of an account registered from here (bounded polling).
    Account {
        name: String,
        result: Result<String, String>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct FaucetPane {
    /// `None`: no `[faucet]` in the config.
    pub conf: Option<FaucetConf>,
    /// The last good read, and when it finished.
    pub stats: Option<Box<Stats>>,
    pub read_at: Option<f64>,
    /// The last read failed (the last good one stays shown).
    pub error: Option<String>,
    /// A read is under way, with how far it got.
    pub progress: Option<Progress>,
    pub last: Option<Registered>,
}

impl FaucetPane {
    /// Takes `[faucet]` from a (re)loaded config; a changed faucet forgets the old reads.
    pub fn configure(&mut self, config: &Config) {
        let conf = FaucetConf::from_config(config);
        if conf != self.conf {
            *self = FaucetPane {
                conf,
                ..FaucetPane::default()
            };
        }
    }

    /// Folds a message in; true when the chain now has an account registered from here
    /// (time to read the numbers again).
    pub fn fold(&mut self, msg: FaucetMsg) -> bool {
        match msg {
            FaucetMsg::Progress(p) => {
                self.progress = Some(p);
                false
            }
            FaucetMsg::Read {
                time,
                result,
                warnings,
            } => {
                self.progress = None;
                match result {
                    Ok(s) => {
                        self.stats = Some(s);
                        self.read_at = Some(time);
                        self.error = (!warnings.is_empty()).then(|| warnings.join("; "));
                    }
                    Err(e) => self.error = Some(e),
                }
                false
            }
            FaucetMsg::Account { name, result } => {
                let on_chain = result.is_ok();
                match self.last.as_mut().filter(|l| l.name == name) {
                    Some(l) => {
                        l.account = Some(result);
                        on_chain
                    }
                    None => false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_read_keeps_the_last_good_one_and_ids_go_to_their_registration() {
        let mut p = FaucetPane::default();
        p.fold(FaucetMsg::Progress(Progress {
            read: 100,
            total: 1000,
        }));
        assert_eq!(p.progress.map(|x| x.read), Some(100));
        p.fold(FaucetMsg::Read {
            time: 5.0,
            result: Err("no node answered".into()),
            warnings: Vec::new(),
        });
        assert!(p.progress.is_none() && p.stats.is_none());
        assert_eq!(p.error.as_deref(), Some("no node answered"));
        p.last = Some(Registered {
            name: "a-1".into(),
            class: "registered".into(),
            registered: true,
            status: Some(200),
            reply: "{}".into(),
            account: None,
        });
        p.fold(FaucetMsg::Account {
            name: "b-2".into(),
            result: Ok("1.2.9".into()),
        });
        assert_eq!(p.last.as_ref().and_then(|l| l.account.clone()), None);
        assert!(p.fold(FaucetMsg::Account {
            name: "a-1".into(),
            result: Ok("1.2.10".into()),
        }));
        assert_eq!(
            p.last.as_ref().and_then(|l| l.account.clone()),
            Some(Ok("1.2.10".into()))
        );
    }
}
