//! TOML configuration: schema, lookup, and validation with precise errors.
//!
//! The file is parsed into `raw` structs that keep each value's byte span, then
//! validated into the plain public structs the rest of btsops uses. Every error
//! names the file, the line and column, and the key, because an operator fixing a
//! config at 3 a.m. should never have to guess which of twelve nodes is wrong.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::chain::ChainId;
pub use crate::node_action::{ActionSpec, Scope};

/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "BTSOPS_CONFIG";

/// Largest config file read. A thousand-endpoint fleet takes about 150 KiB; anything
/// much bigger is a wrong path (`--config /dev/zero` once read until the OOM killer came).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Longest per-call timeout, `monitor.timeout_ms` and `check --timeout` alike: a round
/// takes up to three timeouts, and a cron job that waits hours for one is a mistake.
pub const MAX_TIMEOUT_S: u64 = 3600;
/// Longest `monitor.probe_interval_ms`: probing less than hourly is not monitoring.
pub const MAX_PROBE_INTERVAL_MS: u64 = 3_600_000;
/// Longest `monitor.seed_interval_ms` (seeds are probed politely, but daily at least).
pub const MAX_SEED_INTERVAL_MS: u64 = 86_400_000;
/// Longest `monitor.window_s`: a week.
pub const MAX_WINDOW_S: u64 = 7 * 86_400;

/// A configuration problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is not tied to a place in the file.
    pub line: usize,
    pub column: usize,
    /// Dotted path of the offending key, e.g. `network[0].node[2].url`; empty when unknown.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Whether a network is the real-money chain or a test chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Mainnet,
    Testnet,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Mainnet => "mainnet",
            Role::Testnet => "testnet",
        })
    }
}

/// Optional login for an endpoint. The password lives in an environment variable
/// so it is never written into the config file.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password_env: String,
}

impl Credentials {
    /// Reads the password from its environment variable at the moment it is needed.
    pub fn password(&self) -> Result<String, String> {
        std::env::var(&self.password_env).map_err(|_| {
            format!(
                "environment variable {} (password for user {:?}) is not set",
                self.password_env, self.user
            )
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password_env", &self.password_env)
            .finish()
    }
}

/// Status thresholds for one network. Each pair is (warn, crit).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub lag_warn_s: f64,
    pub lag_crit_s: f64,
    pub lag_warn_blocks: u64,
    pub lag_crit_blocks: u64,
    pub latency_warn_ms: f64,
    pub latency_crit_ms: f64,
    /// Share of successful probes over the window, in percent; lower is worse.
    pub availability_warn_pct: f64,
    pub availability_crit_pct: f64,
    /// Witness participation in percent; lower is worse.
    pub participation_warn_pct: f64,
    pub participation_crit_pct: f64,
    /// TLS certificate days to expiry; lower is worse.
    pub cert_warn_days: i64,
    pub cert_crit_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            lag_warn_s: 6.0,
            lag_crit_s: 30.0,
            lag_warn_blocks: 2,
            lag_crit_blocks: 10,
            latency_warn_ms: 300.0,
            latency_crit_ms: 1500.0,
            availability_warn_pct: 99.0,
            availability_crit_pct: 90.0,
            participation_warn_pct: 80.0,
            participation_crit_pct: 50.0,
            cert_warn_days: 14,
            cert_crit_days: 3,
        }
    }
}

/// A websocket JSON-RPC API node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub url: url::Url,
    pub region: Option<String>,
    pub host: Option<String>,
    pub credentials: Option<Credentials>,
    pub ca_file: Option<PathBuf>,
    /// Listed on the exporter's `/nodes.json` (while healthy) for wallets to use.
    pub public: bool,
}

/// A P2P seed node, probed by TCP connect and its 33-byte key.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    pub name: String,
    /// `host:port`.
    pub addr: String,
    pub region: Option<String>,
    pub host: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub name: String,
    pub role: Role,
    /// Mutating actions are refused until the operator arms the network. Always true on mainnet.
    pub protected: bool,
    /// 64 lowercase hex digits.
    pub chain_id: String,
    /// Public-key prefix, e.g. `BTS` or `TEST`.
    pub prefix: String,
    pub thresholds: Thresholds,
    pub nodes: Vec<Node>,
    pub seeds: Vec<Seed>,
}

/// Where HAProxy's runtime API listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeApi {
    Unix(PathBuf),
    Tcp(String),
    /// A program (and its arguments, split on whitespace, run without a shell) whose
    /// stdin/stdout is the socket, e.g. `ssh lb1 socat stdio UNIX-CONNECT:/run/haproxy/admin.sock`.
    Exec(Vec<String>),
}

impl fmt::Display for RuntimeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeApi::Unix(p) => write!(f, "unix:{}", p.display()),
            RuntimeApi::Tcp(a) => write!(f, "tcp:{a}"),
            RuntimeApi::Exec(argv) => write!(f, "exec:{}", argv.join(" ")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    pub name: String,
    /// Name of the network whose nodes sit behind this load balancer.
    pub network: String,
    pub public_url: Option<url::Url>,
    pub runtime_api: RuntimeApi,
    pub backend: String,
    pub region: Option<String>,
    pub host: Option<String>,
    pub credentials: Option<Credentials>,
    pub ca_file: Option<PathBuf>,
}

/// A calendar date `YYYY-MM-DD`.
pub type Date = time::Date;

#[derive(Debug, Clone, PartialEq)]
pub struct Faucet {
    pub network: String,
    pub url: url::Url,
    pub registrar: String,
    pub target_accounts: u64,
    pub start_date: Date,
    pub target_date: Date,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stress {
    /// Must name a testnet.
    pub network: String,
    pub keys_file: Option<PathBuf>,
    /// The plan the console's stress pane opens with (relative to the config file).
    pub plan: Option<PathBuf>,
    pub max_tps: u32,
    pub max_duration_s: u64,
    pub max_total: u64,
    /// Fraction in 0..=1: a run stops when more of its requests fail.
    pub max_error_rate: f64,
}

impl Default for Stress {
    fn default() -> Self {
        Stress {
            network: String::new(),
            keys_file: None,
            plan: None,
            max_tps: 200,
            max_duration_s: 300,
            max_total: 50_000,
            max_error_rate: 0.05,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ui {
    /// Name of a theme in themes/, or a path to a theme file.
    pub theme: String,
    /// Line and column where `theme` was written, `None` when defaulted: the theme
    /// is loaded after parsing, and its errors must still point at the config line.
    pub theme_at: Option<(usize, usize)>,
    /// Disables every mutating action.
    pub read_only: bool,
    /// Ring the terminal bell when an alert fires.
    pub bell: bool,
    /// Program and arguments run (without a shell, with a timeout) when an alert
    /// fires; the alert's message is appended as the last argument. Empty: none.
    pub alert_command: Vec<String>,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            theme: "default".into(),
            theme_at: None,
            read_only: false,
            bell: false,
            alert_command: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    pub probe_interval_ms: u64,
    pub timeout_ms: u64,
    /// Sliding window for latency percentiles and availability.
    pub window_s: u64,
    /// Warn when the console host's clock seems off by more than this.
    pub clock_warn_s: f64,
    /// How often each seed node is probed. Slower than API nodes: every probe is a P2P
    /// connection the seed logs and drops (PROTOCOL.md §10: keep the probe rate low).
    pub seed_interval_ms: u64,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor {
            probe_interval_ms: 1000,
            timeout_ms: 5000,
            window_s: 300,
            clock_warn_s: 2.0,
            seed_interval_ms: 10_000,
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from.
    pub source: PathBuf,
    pub ui: Ui,
    pub monitor: Monitor,
    pub networks: Vec<Network>,
    pub lbs: Vec<LoadBalancer>,
    pub faucet: Option<Faucet>,
    pub stress: Option<Stress>,
    /// `[keys]` overrides as written; the console checks them against its command
    /// registry (config stays below tui/ and does not know the commands).
    pub keys: Vec<KeyBinding>,
    /// `[[action]]` node actions; their keys are checked against the keymap like `[keys]`.
    pub actions: Vec<ActionSpec>,
}

/// One `[keys]` entry: a command name and the keys that replace its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBinding {
    pub command: String,
    pub keys: Vec<String>,
    pub line: usize,
    pub column: usize,
}

impl Config {
    pub fn network(&self, name: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.name == name)
    }

    /// Environment variables named by `password_env` that are not set now. Not an
    /// error (they may be set only where btsops runs), but worth a warning.
    pub fn missing_password_envs(&self) -> Vec<String> {
        let node_creds = self
            .networks
            .iter()
            .flat_map(|n| n.nodes.iter().filter_map(|x| x.credentials.as_ref()));
        let lb_creds = self.lbs.iter().filter_map(|l| l.credentials.as_ref());
        let mut missing: Vec<String> = node_creds
            .chain(lb_creds)
            .filter(|c| std::env::var_os(&c.password_env).is_none())
            .map(|c| c.password_env.clone())
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// One line per network for `config check`.
    pub fn summary_lines(&self) -> Vec<String> {
        self.networks
            .iter()
            .map(|n| {
                let lbs = self.lbs.iter().filter(|l| l.network == n.name).count();
                format!(
                    "{}: {}{}, chain {}…, prefix {}, {} node(s), {} seed(s), {} load balancer(s)",
                    n.name,
                    n.role,
                    if n.protected { " (protected)" } else { "" },
                    &n.chain_id[..8],
                    n.prefix,
                    n.nodes.len(),
                    n.seeds.len(),
                    lbs
                )
            })
            .collect()
    }
}

/// Finds the config file: `--config`, else `$BTSOPS_CONFIG`, else the XDG config dir.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let xdg = default_path();
    match xdg {
        Some(p) if p.exists() => Ok(p),
        _ => Err(ConfigError {
            file: xdg.unwrap_or_else(|| PathBuf::from("config.toml")),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!(
                "no config file found (looked at --config, ${CONFIG_ENV} and this path); \
                 copy config.example.toml there, or run `btsops demo` to try the console on its simulated fleet"
            ),
        }),
    }
}

/// `~/.config/btsops/config.toml` or the platform's equivalent.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "btsops").map(|d| d.config_dir().join("config.toml"))
}

/// Locates, reads and validates the config.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let path = locate(explicit)?;
    // A regular file of sane size only: a device or FIFO named by mistake must fail
    // here, not read without end or wait for a writer.
    let text = crate::files::read_text(&path, MAX_CONFIG_BYTES).map_err(|e| ConfigError {
        file: path.clone(),
        line: 0,
        column: 0,
        key: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    parse(&path, &text)
}

/// Parses and validates config text; `file` is used in errors and to resolve relative paths.
pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
    let ctx = Ctx { file, text };
    let raw: raw::Root = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
    validate(&ctx, raw)
}

struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    fn at<T>(
        &self,
        v: &Spanned<T>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        self.err(v.span(), key, message)
    }

    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let mut message = plain_expected(e.message().trim());
        if message.contains("unknown field `password`") {
            message.push_str(
                "; passwords never go in the config file: set `password_env` to the name of an environment variable holding it",
            );
        }
        let span = e.span().unwrap_or(0..0);
        let key = key_at(self.text, span.start);
        let mut err = self.err(span, key, message);
        if e.span().is_none() {
            err.line = 0;
        }
        err
    }

    /// Resolves `~/` and paths relative to the config file's folder.
    fn path(&self, p: &str) -> PathBuf {
        if let Some(rest) = p.strip_prefix("~/") {
            if let Some(home) = directories::BaseDirs::new() {
                return home.home_dir().join(rest);
            }
        }
        let pb = PathBuf::from(p);
        if pb.is_absolute() {
            pb
        } else {
            self.file.parent().map(|d| d.join(&pb)).unwrap_or(pb)
        }
    }
}

/// serde names the Rust type it wanted (`expected u64`, `expected a sequence`); an
/// operator editing TOML wants the kind of value instead.
fn plain_expected(message: &str) -> String {
    const WORDS: [(&str, &str); 14] = [
        ("expected u8", "expected a number (a whole number ≥ 0)"),
        ("expected u16", "expected a number (a whole number ≥ 0)"),
        ("expected u32", "expected a number (a whole number ≥ 0)"),
        ("expected u64", "expected a number (a whole number ≥ 0)"),
        ("expected usize", "expected a number (a whole number ≥ 0)"),
        ("expected i8", "expected a number (a whole number)"),
        ("expected i16", "expected a number (a whole number)"),
        ("expected i32", "expected a number (a whole number)"),
        ("expected i64", "expected a number (a whole number)"),
        ("expected f32", "expected a number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a table"),
        ("expected a boolean", "expected true or false"),
    ];
    for (rust, plain) in WORDS {
        if let Some(head) = message.strip_suffix(rust) {
            return format!("{head}{plain}");
        }
    }
    message.to_string()
}

pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let upto = &text[..offset.min(text.len())];
    let line = upto.matches('\n').count() + 1;
    let column = upto
        .rfind('\n')
        .map(|i| upto.len() - i)
        .unwrap_or(upto.len() + 1);
    (line, column)
}

/// The key written on the line where a parse error points, for errors whose
/// message does not already say it (wrong types name the expected type only).
fn key_at(text: &str, offset: usize) -> String {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let line = text[start..].lines().next().unwrap_or("");
    match line.split_once('=') {
        Some((k, _)) if !k.trim_start().starts_with('[') => k.trim().to_string(),
        _ => String::new(),
    }
}

mod raw {
    //! The file as written, with spans. Every struct rejects unknown keys.
    use serde::Deserialize;
    use toml::Spanned;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Root {
        pub ui: Option<Ui>,
        pub monitor: Option<Monitor>,
        #[serde(default)]
        pub network: Vec<Network>,
        #[serde(default)]
        pub lb: Vec<Lb>,
        pub faucet: Option<Faucet>,
        pub stress: Option<Stress>,
        pub keys: Option<std::collections::BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
        #[serde(default)]
        pub action: Vec<Action>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Action {
        pub name: Spanned<String>,
        pub key: Spanned<String>,
        pub scope: Spanned<String>,
        pub command: Spanned<Vec<String>>,
        pub timeout_s: Option<Spanned<u64>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Ui {
        pub theme: Option<Spanned<String>>,
        pub read_only: Option<bool>,
        pub bell: Option<bool>,
        pub alert_command: Option<Spanned<Vec<String>>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Monitor {
        pub probe_interval_ms: Option<Spanned<u64>>,
        pub timeout_ms: Option<Spanned<u64>>,
        pub window_s: Option<Spanned<u64>>,
        pub clock_warn_s: Option<Spanned<f64>>,
        pub seed_interval_ms: Option<Spanned<u64>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Network {
        pub name: Spanned<String>,
        pub role: Spanned<String>,
        pub protected: Option<Spanned<bool>>,
        pub chain_id: Spanned<String>,
        pub prefix: Spanned<String>,
        pub lag_warn_s: Option<Spanned<f64>>,
        pub lag_crit_s: Option<Spanned<f64>>,
        pub lag_warn_blocks: Option<Spanned<u64>>,
        pub lag_crit_blocks: Option<Spanned<u64>>,
        pub latency_warn_ms: Option<Spanned<f64>>,
        pub latency_crit_ms: Option<Spanned<f64>>,
        pub availability_warn_pct: Option<Spanned<f64>>,
        pub availability_crit_pct: Option<Spanned<f64>>,
        pub participation_warn_pct: Option<Spanned<f64>>,
        pub participation_crit_pct: Option<Spanned<f64>>,
        pub cert_warn_days: Option<Spanned<i64>>,
        pub cert_crit_days: Option<Spanned<i64>>,
        #[serde(default)]
        pub node: Vec<Node>,
        #[serde(default)]
        pub seed: Vec<Seed>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Node {
        pub name: Spanned<String>,
        pub url: Spanned<String>,
        pub region: Option<String>,
        pub host: Option<String>,
        pub user: Option<Spanned<String>>,
        pub password_env: Option<Spanned<String>>,
        pub ca_file: Option<String>,
        pub public: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Seed {
        pub name: Spanned<String>,
        pub addr: Spanned<String>,
        pub region: Option<String>,
        pub host: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Lb {
        pub name: Spanned<String>,
        pub network: Spanned<String>,
        pub public_url: Option<Spanned<String>>,
        pub runtime_api: Spanned<String>,
        pub backend: Spanned<String>,
        pub region: Option<String>,
        pub host: Option<String>,
        pub user: Option<Spanned<String>>,
        pub password_env: Option<Spanned<String>>,
        pub ca_file: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Faucet {
        pub network: Spanned<String>,
        pub url: Spanned<String>,
        pub registrar: Spanned<String>,
        pub target_accounts: Spanned<u64>,
        pub start_date: Spanned<String>,
        pub target_date: Spanned<String>,
        pub ca_file: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Stress {
        pub network: Spanned<String>,
        pub keys_file: Option<String>,
        pub plan: Option<String>,
        pub max_tps: Option<Spanned<u32>>,
        pub max_duration_s: Option<Spanned<u64>>,
        pub max_total: Option<Spanned<u64>>,
        pub max_error_rate: Option<Spanned<f64>>,
    }
}

fn validate(ctx: &Ctx<'_>, raw: raw::Root) -> Result<Config, ConfigError> {
    let ui = match raw.ui {
        None => Ui::default(),
        Some(u) => {
            let alert_command = match u.alert_command {
                None => Vec::new(),
                Some(c) => {
                    if c.get_ref().first().is_none_or(|p| p.trim().is_empty()) {
                        return Err(ctx.at(
                            &c,
                            "ui.alert_command",
                            "needs a program, e.g. [\"notify-send\", \"btsops\"] (run without a shell)",
                        ));
                    }
                    c.into_inner()
                }
            };
            let theme_at = u.theme.as_ref().map(|t| line_col(ctx.text, t.span().start));
            Ui {
                theme: u
                    .theme
                    .map(Spanned::into_inner)
                    .unwrap_or_else(|| Ui::default().theme),
                theme_at,
                read_only: u.read_only.unwrap_or(false),
                bell: u.bell.unwrap_or(false),
                alert_command,
            }
        }
    };
    let monitor = match raw.monitor {
        Some(m) => validate_monitor(ctx, m)?,
        None => Monitor::default(),
    };

    // Endpoint names are unique across the whole file: screens, logs and commands
    // refer to an endpoint by its name alone.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut claim = |name: &Spanned<String>, key: String| -> Result<(), ConfigError> {
        let n = name.get_ref();
        if n.trim().is_empty() {
            return Err(ctx.at(name, key, "name must not be empty"));
        }
        if let Some(first) = names.insert(n.clone(), key.clone()) {
            return Err(ctx.at(
                name,
                key,
                format!("duplicate name {n:?} (already used by {first})"),
            ));
        }
        Ok(())
    };

    let mut networks = Vec::new();
    let mut network_names: HashMap<String, String> = HashMap::new();
    for (i, n) in raw.network.into_iter().enumerate() {
        let key = format!("network[{i}]");
        if let Some(first) = network_names.insert(n.name.get_ref().clone(), key.clone()) {
            return Err(ctx.at(
                &n.name,
                format!("{key}.name"),
                format!(
                    "duplicate network name {:?} (already used by {first})",
                    n.name.get_ref()
                ),
            ));
        }
        networks.push(validate_network(ctx, &key, n, &mut claim)?);
    }

    let known = |v: &Spanned<String>, key: String| -> Result<String, ConfigError> {
        if network_names.contains_key(v.get_ref()) {
            Ok(v.get_ref().clone())
        } else {
            let mut known: Vec<_> = network_names.keys().cloned().collect();
            known.sort();
            Err(ctx.at(
                v,
                key,
                format!(
                    "unknown network {:?} (configured: {})",
                    v.get_ref(),
                    known.join(", ")
                ),
            ))
        }
    };

    let mut lbs = Vec::new();
    for (i, l) in raw.lb.into_iter().enumerate() {
        let key = format!("lb[{i}]");
        claim(&l.name, format!("{key}.name"))?;
        let network = known(&l.network, format!("{key}.network"))?;
        let public_url = l
            .public_url
            .as_ref()
            .map(|u| ws_url(ctx, u, format!("{key}.public_url")))
            .transpose()?;
        lbs.push(LoadBalancer {
            name: l.name.into_inner(),
            network,
            public_url,
            runtime_api: runtime_api(ctx, &l.runtime_api, format!("{key}.runtime_api"))?,
            backend: non_empty(ctx, &l.backend, format!("{key}.backend"))?,
            region: l.region,
            host: l.host,
            credentials: credentials(ctx, &key, l.user, l.password_env)?,
            ca_file: l.ca_file.map(|p| ctx.path(&p)),
        });
    }

    let faucet = raw
        .faucet
        .map(|f| -> Result<Faucet, ConfigError> {
            let url = parse_url(ctx, &f.url, "faucet.url".into(), &["http", "https"])?;
            let start_date = date(ctx, &f.start_date, "faucet.start_date")?;
            let target_date = date(ctx, &f.target_date, "faucet.target_date")?;
            if target_date <= start_date {
                return Err(ctx.at(
                    &f.target_date,
                    "faucet.target_date",
                    format!("must be after start_date ({start_date})"),
                ));
            }
            if *f.target_accounts.get_ref() == 0 {
                return Err(ctx.at(
                    &f.target_accounts,
                    "faucet.target_accounts",
                    "must be at least 1",
                ));
            }
            Ok(Faucet {
                network: known(&f.network, "faucet.network".into())?,
                url,
                registrar: non_empty(ctx, &f.registrar, "faucet.registrar".into())?,
                target_accounts: f.target_accounts.into_inner(),
                start_date,
                target_date,
                ca_file: f.ca_file.map(|p| ctx.path(&p)),
            })
        })
        .transpose()?;

    let stress = raw
        .stress
        .map(|s| -> Result<Stress, ConfigError> {
            let network = known(&s.network, "stress.network".into())?;
            if networks
                .iter()
                .any(|n| n.name == network && n.role != Role::Testnet)
            {
                return Err(ctx.at(
                    &s.network,
                    "stress.network",
                    format!("stress tests only run on a testnet; {network:?} has role mainnet"),
                ));
            }
            let d = Stress::default();
            let max_error_rate = s
                .max_error_rate
                .as_ref()
                .map(|v| *v.get_ref())
                .unwrap_or(d.max_error_rate);
            if let Some(v) = &s.max_error_rate {
                if !(0.0..=1.0).contains(v.get_ref()) {
                    return Err(ctx.at(
                        v,
                        "stress.max_error_rate",
                        "must be a fraction between 0 and 1",
                    ));
                }
            }
            Ok(Stress {
                network,
                keys_file: s.keys_file.map(|p| ctx.path(&p)),
                plan: s.plan.map(|p| ctx.path(&p)),
                max_tps: positive(ctx, s.max_tps.as_ref(), "stress.max_tps", d.max_tps)?,
                max_duration_s: positive(
                    ctx,
                    s.max_duration_s.as_ref(),
                    "stress.max_duration_s",
                    d.max_duration_s,
                )?,
                max_total: positive(ctx, s.max_total.as_ref(), "stress.max_total", d.max_total)?,
                max_error_rate,
            })
        })
        .transpose()?;

    let keys = key_bindings(ctx, raw.keys.unwrap_or_default())?;
    let actions = actions(ctx, raw.action)?;

    // A fleet of nothing would "pass" every check; that is a mistake in the file.
    let endpoints = networks
        .iter()
        .map(|n| n.nodes.len() + n.seeds.len())
        .sum::<usize>()
        + lbs.iter().filter(|l| l.public_url.is_some()).count();
    if endpoints == 0 {
        return Err(ConfigError {
            file: ctx.file.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            message: "no endpoints to monitor: add a [[network.node]] (url), a [[network.seed]] \
                      (addr) or an [[lb]] with a public_url"
                .into(),
        });
    }

    Ok(Config {
        source: ctx.file.to_path_buf(),
        ui,
        monitor,
        networks,
        lbs,
        faucet,
        stress,
        keys,
        actions,
    })
}

/// `[[action]]` entries: unique names, a known scope, a command without a shell splice,
/// a positive timeout. Keys are checked by the console's keymap, which knows the bindings.
fn actions(ctx: &Ctx<'_>, raw: Vec<raw::Action>) -> Result<Vec<ActionSpec>, ConfigError> {
    let mut out: Vec<ActionSpec> = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        let key = format!("action[{i}]");
        let name = non_empty(ctx, &a.name, format!("{key}.name"))?;
        if out.iter().any(|o| o.name == name) {
            return Err(ctx.at(
                &a.name,
                format!("{key}.name"),
                format!("duplicate action name {name:?}"),
            ));
        }
        let scope = Scope::parse(a.scope.get_ref()).ok_or_else(|| {
            ctx.at(
                &a.scope,
                format!("{key}.scope"),
                format!(
                    "unknown scope {:?} (scopes: {})",
                    a.scope.get_ref(),
                    Scope::ALL.map(Scope::as_str).join(", ")
                ),
            )
        })?;
        crate::node_action::check_command(a.command.get_ref())
            .map_err(|m| ctx.at(&a.command, format!("{key}.command"), m))?;
        let timeout = positive(
            ctx,
            a.timeout_s.as_ref(),
            &format!("{key}.timeout_s"),
            crate::node_action::DEFAULT_TIMEOUT.as_secs(),
        )?;
        if a.key.get_ref().trim().is_empty() {
            return Err(ctx.at(&a.key, format!("{key}.key"), "needs a key, e.g. \"R\""));
        }
        let (key_line, key_column) = line_col(ctx.text, a.key.span().start);
        out.push(ActionSpec {
            name,
            key: a.key.into_inner(),
            scope,
            command: a.command.into_inner(),
            timeout: std::time::Duration::from_secs(timeout),
            key_line,
            key_column,
        });
    }
    Ok(out)
}

/// Shapes `[keys]` (a key or a list of keys per command) in file order; what the
/// names mean is checked by the console's keymap.
fn key_bindings(
    ctx: &Ctx<'_>,
    table: std::collections::BTreeMap<Spanned<String>, Spanned<toml::Value>>,
) -> Result<Vec<KeyBinding>, ConfigError> {
    let mut out = Vec::new();
    for (name, value) in table {
        let key = format!("keys.{}", name.get_ref());
        let keys = match value.get_ref() {
            toml::Value::String(k) => vec![k.clone()],
            toml::Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ctx.at(&value, key.clone(), "expected a key or a list of keys"))?,
            _ => return Err(ctx.at(&value, key, "expected a key or a list of keys")),
        };
        let (line, column) = line_col(ctx.text, name.span().start);
        out.push(KeyBinding {
            command: name.into_inner(),
            keys,
            line,
            column,
        });
    }
    out.sort_by_key(|b| (b.line, b.column));
    Ok(out)
}

/// A `ConfigError` at a byte span of `text`, for other strict TOML files (themes).
pub fn error_at(
    file: &Path,
    text: &str,
    span: std::ops::Range<usize>,
    key: impl Into<String>,
    message: impl Into<String>,
) -> ConfigError {
    Ctx { file, text }.err(span, key, message)
}

/// A `ConfigError` from a TOML parse failure, located like config errors are.
pub fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    Ctx { file, text }.toml_error(e)
}

fn validate_monitor(ctx: &Ctx<'_>, m: raw::Monitor) -> Result<Monitor, ConfigError> {
    let d = Monitor::default();
    let out = Monitor {
        probe_interval_ms: capped(
            ctx,
            m.probe_interval_ms.as_ref(),
            "monitor.probe_interval_ms",
            d.probe_interval_ms,
            MAX_PROBE_INTERVAL_MS,
        )?,
        timeout_ms: capped(
            ctx,
            m.timeout_ms.as_ref(),
            "monitor.timeout_ms",
            d.timeout_ms,
            MAX_TIMEOUT_S * 1000,
        )?,
        window_s: capped(
            ctx,
            m.window_s.as_ref(),
            "monitor.window_s",
            d.window_s,
            MAX_WINDOW_S,
        )?,
        clock_warn_s: m
            .clock_warn_s
            .as_ref()
            .map(|v| *v.get_ref())
            .unwrap_or(d.clock_warn_s),
        seed_interval_ms: capped(
            ctx,
            m.seed_interval_ms.as_ref(),
            "monitor.seed_interval_ms",
            d.seed_interval_ms,
            MAX_SEED_INTERVAL_MS,
        )?,
    };
    if let Some(v) = &m.clock_warn_s {
        if v.get_ref().partial_cmp(&0.0) != Some(Ordering::Greater) {
            return Err(ctx.at(v, "monitor.clock_warn_s", "must be greater than 0"));
        }
    }
    // Both are capped above, so this cannot overflow; saturating all the same.
    if out.window_s.saturating_mul(1000) < out.probe_interval_ms {
        let span = m.window_s.as_ref().map(|v| v.span()).unwrap_or(0..0);
        return Err(ctx.err(
            span,
            "monitor.window_s",
            "window must be at least one probe interval",
        ));
    }
    Ok(out)
}

fn validate_network(
    ctx: &Ctx<'_>,
    key: &str,
    n: raw::Network,
    claim: &mut impl FnMut(&Spanned<String>, String) -> Result<(), ConfigError>,
) -> Result<Network, ConfigError> {
    let name = non_empty(ctx, &n.name, format!("{key}.name"))?;
    let role = match n.role.get_ref().as_str() {
        "mainnet" => Role::Mainnet,
        "testnet" => Role::Testnet,
        other => {
            return Err(ctx.at(
                &n.role,
                format!("{key}.role"),
                format!("unknown role {other:?}: expected \"mainnet\" or \"testnet\""),
            ));
        }
    };
    let protected = match (&n.protected, role) {
        (Some(p), Role::Mainnet) if !*p.get_ref() => {
            return Err(ctx.at(
                p,
                format!("{key}.protected"),
                "a mainnet network is always protected; remove this key or use role = \"testnet\"",
            ));
        }
        (Some(p), _) => *p.get_ref(),
        (None, r) => r == Role::Mainnet,
    };
    let chain_id = n.chain_id.get_ref();
    if chain_id.len() != 64 || !chain_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ctx.at(
            &n.chain_id,
            format!("{key}.chain_id"),
            format!(
                "chain id must be 64 hex digits, got {} characters: {chain_id:?}",
                chain_id.len()
            ),
        ));
    }
    // The public chains' ids are known: a mainnet role on the testnet's chain (or the
    // reverse) would arm mutations on the wrong chain or protect the wrong one.
    let public = if chain_id.eq_ignore_ascii_case(&ChainId::MAINNET.to_hex()) {
        Some(Role::Mainnet)
    } else if chain_id.eq_ignore_ascii_case(&ChainId::TESTNET.to_hex()) {
        Some(Role::Testnet)
    } else {
        None
    };
    if let Some(chain) = public.filter(|c| *c != role) {
        return Err(ctx.at(
            &n.chain_id,
            format!("{key}.chain_id"),
            format!(
                "this is the public BitShares {chain}'s chain id, but role is \"{role}\"; \
                 fix the role or the chain id"
            ),
        ));
    }
    let prefix = n.prefix.get_ref();
    if prefix.is_empty()
        || prefix.len() > 16
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(ctx.at(
            &n.prefix,
            format!("{key}.prefix"),
            format!(
                "address prefix must be 1-15 upper-case letters (e.g. BTS, TEST), got {prefix:?}"
            ),
        ));
    }
    let thresholds = thresholds(ctx, key, &n)?;

    let mut nodes = Vec::new();
    for (j, x) in n.node.into_iter().enumerate() {
        let nkey = format!("{key}.node[{j}]");
        claim(&x.name, format!("{nkey}.name"))?;
        nodes.push(Node {
            url: ws_url(ctx, &x.url, format!("{nkey}.url"))?,
            name: x.name.into_inner(),
            region: x.region,
            host: x.host,
            credentials: credentials(ctx, &nkey, x.user, x.password_env)?,
            ca_file: x.ca_file.map(|p| ctx.path(&p)),
            public: x.public.unwrap_or(false),
        });
    }
    let mut seeds = Vec::new();
    for (j, s) in n.seed.into_iter().enumerate() {
        let skey = format!("{key}.seed[{j}]");
        claim(&s.name, format!("{skey}.name"))?;
        seeds.push(Seed {
            addr: host_port(ctx, &s.addr, format!("{skey}.addr"))?,
            name: s.name.into_inner(),
            region: s.region,
            host: s.host,
        });
    }
    Ok(Network {
        name,
        role,
        protected,
        chain_id: chain_id.to_ascii_lowercase(),
        prefix: prefix.clone(),
        thresholds,
        nodes,
        seeds,
    })
}

/// Fills defaults, then checks each warn/crit pair is ordered so that crit is the worse one.
fn thresholds(ctx: &Ctx<'_>, key: &str, n: &raw::Network) -> Result<Thresholds, ConfigError> {
    let d = Thresholds::default();
    fn get<T: Copy>(v: &Option<Spanned<T>>, default: T) -> T {
        v.as_ref().map(|s| *s.get_ref()).unwrap_or(default)
    }
    let t = Thresholds {
        lag_warn_s: get(&n.lag_warn_s, d.lag_warn_s),
        lag_crit_s: get(&n.lag_crit_s, d.lag_crit_s),
        lag_warn_blocks: get(&n.lag_warn_blocks, d.lag_warn_blocks),
        lag_crit_blocks: get(&n.lag_crit_blocks, d.lag_crit_blocks),
        latency_warn_ms: get(&n.latency_warn_ms, d.latency_warn_ms),
        latency_crit_ms: get(&n.latency_crit_ms, d.latency_crit_ms),
        availability_warn_pct: get(&n.availability_warn_pct, d.availability_warn_pct),
        availability_crit_pct: get(&n.availability_crit_pct, d.availability_crit_pct),
        participation_warn_pct: get(&n.participation_warn_pct, d.participation_warn_pct),
        participation_crit_pct: get(&n.participation_crit_pct, d.participation_crit_pct),
        cert_warn_days: get(&n.cert_warn_days, d.cert_warn_days),
        cert_crit_days: get(&n.cert_crit_days, d.cert_crit_days),
    };
    // Each pair as (warn key, warn span, warn, crit key, crit span, crit, higher is worse).
    // Comparisons go through partial_cmp so a NaN (TOML allows `nan`) fails them too.
    type Span = Option<std::ops::Range<usize>>;
    fn sp<T>(v: &Option<Spanned<T>>) -> Span {
        v.as_ref().map(|s| s.span())
    }
    let pairs: [(&str, Span, f64, &str, Span, f64, bool); 6] = [
        (
            "lag_warn_s",
            sp(&n.lag_warn_s),
            t.lag_warn_s,
            "lag_crit_s",
            sp(&n.lag_crit_s),
            t.lag_crit_s,
            true,
        ),
        (
            "lag_warn_blocks",
            sp(&n.lag_warn_blocks),
            t.lag_warn_blocks as f64,
            "lag_crit_blocks",
            sp(&n.lag_crit_blocks),
            t.lag_crit_blocks as f64,
            true,
        ),
        (
            "latency_warn_ms",
            sp(&n.latency_warn_ms),
            t.latency_warn_ms,
            "latency_crit_ms",
            sp(&n.latency_crit_ms),
            t.latency_crit_ms,
            true,
        ),
        (
            "availability_warn_pct",
            sp(&n.availability_warn_pct),
            t.availability_warn_pct,
            "availability_crit_pct",
            sp(&n.availability_crit_pct),
            t.availability_crit_pct,
            false,
        ),
        (
            "participation_warn_pct",
            sp(&n.participation_warn_pct),
            t.participation_warn_pct,
            "participation_crit_pct",
            sp(&n.participation_crit_pct),
            t.participation_crit_pct,
            false,
        ),
        (
            "cert_warn_days",
            sp(&n.cert_warn_days),
            t.cert_warn_days as f64,
            "cert_crit_days",
            sp(&n.cert_crit_days),
            t.cert_crit_days as f64,
            false,
        ),
    ];
    for (wk, ws, w, ck, cs, c, higher_is_worse) in pairs {
        let (want, relation) = if higher_is_worse {
            (Ordering::Less, "less")
        } else {
            (Ordering::Greater, "greater")
        };
        if w.partial_cmp(&c) != Some(want) {
            // Point at whichever of the pair the user wrote (crit first), so the error lands on their line.
            let (span, k) = match (cs, ws) {
                (Some(s), _) => (s, ck),
                (None, Some(s)) => (s, wk),
                (None, None) => (n.name.span(), ck),
            };
            return Err(ctx.err(
                span,
                format!("{key}.{k}"),
                format!("thresholds out of order: {wk} ({w}) must be {relation} than {ck} ({c})"),
            ));
        }
    }
    for (v, name) in [
        (&n.availability_warn_pct, "availability_warn_pct"),
        (&n.availability_crit_pct, "availability_crit_pct"),
        (&n.participation_warn_pct, "participation_warn_pct"),
        (&n.participation_crit_pct, "participation_crit_pct"),
    ] {
        if let Some(v) = v {
            if !(0.0..=100.0).contains(v.get_ref()) {
                return Err(ctx.at(
                    v,
                    format!("{key}.{name}"),
                    "must be a percentage between 0 and 100",
                ));
            }
        }
    }
    for (v, name) in [
        (&n.lag_warn_s, "lag_warn_s"),
        (&n.latency_warn_ms, "latency_warn_ms"),
    ] {
        if let Some(v) = v {
            if v.get_ref().partial_cmp(&0.0) != Some(Ordering::Greater) {
                return Err(ctx.at(v, format!("{key}.{name}"), "must be greater than 0"));
            }
        }
    }
    Ok(t)
}

fn non_empty(ctx: &Ctx<'_>, v: &Spanned<String>, key: String) -> Result<String, ConfigError> {
    if v.get_ref().trim().is_empty() {
        Err(ctx.at(v, key, "must not be empty"))
    } else {
        Ok(v.get_ref().clone())
    }
}

fn positive<T>(
    ctx: &Ctx<'_>,
    v: Option<&Spanned<T>>,
    key: &str,
    default: T,
) -> Result<T, ConfigError>
where
    T: Copy + PartialEq + Default,
{
    match v {
        None => Ok(default),
        Some(s) if *s.get_ref() == T::default() => Err(ctx.at(s, key, "must be greater than 0")),
        Some(s) => Ok(*s.get_ref()),
    }
}

/// Like `positive`, and at most `max`: durations beyond it overflow the engine's
/// arithmetic (and mean a typo, not a wish).
fn capped(
    ctx: &Ctx<'_>,
    v: Option<&Spanned<u64>>,
    key: &str,
    default: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let got = positive(ctx, v, key, default)?;
    match v {
        Some(s) if got > max => Err(ctx.at(s, key, format!("must be at most {max}"))),
        _ => Ok(got),
    }
}

fn parse_url(
    ctx: &Ctx<'_>,
    v: &Spanned<String>,
    key: String,
    schemes: &[&str],
) -> Result<url::Url, ConfigError> {
    // Errors quote the URL without its user-info: a password written there must not
    // reach the terminal either.
    let shown = crate::secrets::redact_userinfo(v.get_ref());
    let u = url::Url::parse(v.get_ref())
        .map_err(|e| ctx.at(v, key.clone(), format!("bad URL {shown:?}: {e}")))?;
    if !schemes.contains(&u.scheme()) {
        return Err(ctx.at(
            v,
            key,
            format!(
                "bad URL {shown:?}: scheme must be one of {}",
                schemes.join(", ")
            ),
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(ctx.at(v, key, format!("bad URL {shown:?}: no host")));
    }
    // The URL is shown on screen, in `check --json` and in recordings.
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ctx.at(
            v,
            key,
            format!(
                "bad URL {shown:?}: no user or password in a URL (it is shown and recorded); \
                 set `user`, and `password_env` to the name of an environment variable holding the password"
            ),
        ));
    }
    Ok(u)
}

/// Node URLs: websocket, or the plain HTTP form of the same port (one-shot calls).
fn ws_url(ctx: &Ctx<'_>, v: &Spanned<String>, key: String) -> Result<url::Url, ConfigError> {
    parse_url(ctx, v, key, &["ws", "wss", "http", "https"])
}

fn host_port(ctx: &Ctx<'_>, v: &Spanned<String>, key: String) -> Result<String, ConfigError> {
    let s = v.get_ref();
    let shown = crate::secrets::redact_userinfo(s);
    let bad = |why: &str| {
        ctx.at(
            v,
            key.clone(),
            format!("bad address {shown:?}: {why} (expected host:port)"),
        )
    };
    if s.contains('@') {
        return Err(bad("no user or password in an address"));
    }
    let (host, port) = s.rsplit_once(':').ok_or_else(|| bad("no port"))?;
    if host.is_empty() {
        return Err(bad("no host"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(s.clone()),
        _ => Err(bad("port must be 1-65535")),
    }
}

fn runtime_api(ctx: &Ctx<'_>, v: &Spanned<String>, key: String) -> Result<RuntimeApi, ConfigError> {
    let s = v.get_ref();
    if let Some(p) = s.strip_prefix("unix:") {
        if p.is_empty() {
            return Err(ctx.at(
                v,
                key,
                "unix: needs a socket path, e.g. unix:/run/haproxy/admin.sock",
            ));
        }
        return Ok(RuntimeApi::Unix(ctx.path(p)));
    }
    if let Some(a) = s.strip_prefix("tcp:") {
        let spanned = Spanned::new(v.span(), a.to_string());
        return Ok(RuntimeApi::Tcp(host_port(ctx, &spanned, key)?));
    }
    if let Some(cmd) = s.strip_prefix("exec:") {
        let argv: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        if argv.is_empty() {
            return Err(ctx.at(
                v,
                key,
                "exec: needs a command, e.g. exec:ssh lb1 socat stdio UNIX-CONNECT:/run/haproxy/admin.sock",
            ));
        }
        return Ok(RuntimeApi::Exec(argv));
    }
    Err(ctx.at(
        v,
        key,
        format!(
            "bad runtime_api {:?}: expected unix:/path/to/socket, tcp:host:port or exec:command",
            crate::secrets::redact_userinfo(s)
        ),
    ))
}

fn date(ctx: &Ctx<'_>, v: &Spanned<String>, key: &str) -> Result<Date, ConfigError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(v.get_ref(), &fmt).map_err(|e| {
        ctx.at(
            v,
            key,
            format!("bad date {:?} (expected YYYY-MM-DD): {e}", v.get_ref()),
        )
    })
}

fn credentials(
    ctx: &Ctx<'_>,
    key: &str,
    user: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
) -> Result<Option<Credentials>, ConfigError> {
    match (user, password_env) {
        (None, None) => Ok(None),
        (Some(u), None) => Err(ctx.at(
            &u,
            format!("{key}.user"),
            "user needs password_env (the name of an environment variable holding the password)",
        )),
        (None, Some(p)) => {
            Err(ctx.at(&p, format!("{key}.password_env"), "password_env needs user"))
        }
        (Some(u), Some(p)) => {
            let env = p.get_ref();
            if env.is_empty() || !env.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(ctx.at(
                    &p,
                    format!("{key}.password_env"),
                    format!("{env:?} is not an environment variable name (letters, digits, _)"),
                ));
            }
            Ok(Some(Credentials {
                user: u.into_inner(),
                password_env: env.clone(),
            }))
        }
    }
}
