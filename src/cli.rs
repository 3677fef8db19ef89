//! Command-line interface: clap definitions of every subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit code every subcommand uses for a bad or missing config file.
pub const EXIT_CONFIG: i32 = 3;
/// Exit code for any other failure (bad input, I/O, a refused key file).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of a mutating command that was refused before anything was sent (no --yes,
/// read-only, protected network, the last server of a backend).
pub const EXIT_REFUSED: i32 = 4;

#[derive(Debug, Parser)]
#[command(
    name = "btsops",
    version,
    about = "Terminal operations console for BitShares infrastructure",
    override_usage = "btsops [--config FILE] [--read-only] [--record FILE]    the console\n       \
                      btsops [--config FILE] <COMMAND> [ARGS]                  a subcommand"
)]
pub struct Cli {
    /// Without a subcommand: the console on the configured fleet.
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// The console refuses every action that changes the fleet (as ui.read_only does).
    #[arg(long)]
    pub read_only: bool,
    /// The console also writes what it sees (snapshots and events) as JSON lines to
    /// FILE, for `btsops replay FILE`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the configuration file.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Derive account keys from a password, or a public key from a WIF.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Offline tools on a transaction given as JSON on stdin (the shape
    /// broadcast_transaction takes).
    #[command(subcommand)]
    Tx(TxCmd),
    /// One probe round of every endpoint: a table, or JSON with --json. Exit 0 when all
    /// are ok, 1 when any warns, 2 when any is critical or down, 3 on a config error.
    Check(CheckArgs),
    /// Play a recording (from `btsops --record`, `watch --record` or `check --record`)
    /// in the console, for incident review: Space pauses (and plays again at the end),
    /// + and - change the speed, . steps, Left/Right seek 10 s, g/G go to the start/end.
    Replay(ReplayArgs),
    /// The console on a simulated fleet started in this process, with a scenario
    /// that stalls, slows, freezes and mis-chains nodes and then heals them.
    Demo,
    /// Run the monitor headless and print each status change as it happens (one JSON
    /// object per line with --json), until Ctrl-C or --for seconds.
    Watch(WatchArgs),
    /// Run the monitor headless and serve it over HTTP: Prometheus metrics on /metrics,
    /// the healthy public nodes on /nodes.json (the wallet's node list shape), and
    /// /healthz; until Ctrl-C or SIGTERM.
    Export(ExportArgs),
    /// Run a node action ([[action]] in the config) on a target, through the safety gate:
    /// output streamed as it comes, killed with its whole process group at its timeout,
    /// one audit line. Exit 0 when the command exited 0, 1 when it failed or timed out,
    /// 4 when refused.
    Action(ActionArgs),
    /// Run a simulated BitShares fleet on loopback until SIGINT/SIGTERM: prints one JSON
    /// line per endpoint, then {"ready":true}.
    Simnet(SimnetArgs),
    /// HAProxy load balancers (the config's [[lb]]): status, and server actions that are
    /// applied, then verified by re-reading the state. Exit 0 only when verified, 1 when
    /// not, 4 when refused, 3 on a config error.
    #[command(subcommand)]
    Lb(LbCmd),
    /// HAProxy agent-check server fed by the monitor: answers `up`, or `down #reason`
    /// for a node whose head is behind the network's best, on another chain, or not
    /// answering the monitor. Prints one line per verdict change; runs until SIGINT or
    /// SIGTERM.
    Agent(AgentArgs),
    /// Account registration through the config's [faucet], and its onboarding KPIs read
    /// from the chain.
    #[command(subcommand)]
    Faucet(FaucetCmd),
    /// Stress tests of the [stress] testnet: signed transfer floods and RPC read floods.
    #[command(subcommand)]
    Stress(StressCmd),
}

#[derive(Debug, Subcommand)]
pub enum StressCmd {
    /// Run a plan headless: a progress line on stderr, a JSON report and a Markdown
    /// summary at the end (also when stopped or aborted). Exit 0 only for a run that
    /// completed, 1 for an aborted one, 4 when refused before anything was sent.
    Run(StressRunArgs),
}

#[derive(Debug, Args)]
pub struct StressRunArgs {
    /// The plan file (TOML; see stress-plan.example.toml).
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Confirm the run (required: without it nothing is sent).
    #[arg(long)]
    pub yes: bool,
    /// Allow the run on a protected network.
    #[arg(long)]
    pub armed: bool,
    /// Refuse every mutating action (as ui.read_only does).
    #[arg(long)]
    pub read_only: bool,
    /// Where the JSON report goes (the Markdown goes beside it, .md); default the data
    /// dir's stress/reports/.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Serve Prometheus text on http://ADDR/metrics while the run lasts.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum FaucetCmd {
    /// Register an account through the faucet (`POST /api/v1/accounts`). Exit 0 when the
    /// faucet registered it, 1 when it did not, 4 when refused before sending.
    Register(FaucetRegisterArgs),
    /// Registrations today / 7 / 30 days / since start_date, pace to target, referral
    /// rewards, registrar balance and runway, last registrations and failures: read from
    /// the chain (cached between runs), never from the faucet's replies.
    Stats(FaucetStatsArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("keys").required(true).args(["password_stdin", "owner"])))]
pub struct FaucetRegisterArgs {
    /// The new account's name (checked against the chain's name rules before sending).
    pub name: String,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Derive the keys from the password on the first line of stdin, as `keys derive` does.
    #[arg(long)]
    pub password_stdin: bool,
    /// Owner public key (with --active and --memo, instead of a password).
    #[arg(long, value_name = "KEY", requires_all = ["active", "memo"])]
    pub owner: Option<String>,
    #[arg(long, value_name = "KEY", requires = "owner")]
    pub active: Option<String>,
    #[arg(long, value_name = "KEY", requires = "owner")]
    pub memo: Option<String>,
    /// Referrer account name (default: the faucet's own).
    #[arg(long, value_name = "ACCOUNT")]
    pub referrer: Option<String>,
    /// Confirm the registration (required: without it nothing is sent).
    #[arg(long)]
    pub yes: bool,
    /// Allow it on a protected network (mainnet always is).
    #[arg(long)]
    pub armed: bool,
    /// Refuse every mutating action (as ui.read_only does).
    #[arg(long)]
    pub read_only: bool,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FaucetStatsArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Address to listen on, e.g. 127.0.0.1:8096 (HAProxy's `agent-addr` and
    /// `agent-port`); port 0 picks a free one (printed at start).
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum LbCmd {
    /// Every server of every configured load balancer (or of one): mode, status, weight,
    /// open sessions, last check.
    Status(LbStatusArgs),
    /// No new connections to the server; open ones stay (`set server B/S state drain`).
    Drain(LbActionArgs),
    /// Take the server out of the rotation (`set server B/S state maint`).
    Maint(LbActionArgs),
    /// Put the server back in the rotation (`set server B/S state ready`).
    Ready(LbActionArgs),
    /// Set the server's weight, 0..=256 (0: no new traffic although it still shows UP).
    Weight(LbWeightArgs),
    /// Close every open session on the server (`shutdown sessions server B/S`).
    Cut(LbActionArgs),
}

#[derive(Debug, Args)]
pub struct LbStatusArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this load balancer (its name in the config).
    pub lb: Option<String>,
    /// One JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LbActionArgs {
    /// LB/BACKEND/SERVER: the config's [[lb]] name, then HAProxy's backend and server names.
    #[arg(value_name = "LB/BACKEND/SERVER")]
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Confirm the action (required: without it nothing is sent).
    #[arg(long)]
    pub yes: bool,
    /// Take out the last server of a backend taking new traffic.
    #[arg(long)]
    pub force: bool,
    /// Allow the action on a protected network (mainnet always is).
    #[arg(long)]
    pub armed: bool,
    /// Refuse every mutating action (as ui.read_only does).
    #[arg(long)]
    pub read_only: bool,
    /// Seconds to keep re-reading the state before calling the action failed (default 3).
    #[arg(long, value_name = "S", allow_negative_numbers = true, value_parser = timeout_seconds)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct LbWeightArgs {
    #[command(flatten)]
    pub action: LbActionArgs,
    /// The new weight.
    #[arg(value_name = "N", value_parser = clap::value_parser!(u32).range(0..=256))]
    pub weight: u32,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording (JSON lines).
    pub file: PathBuf,
    /// Recording seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Start paused on the first record.
    #[arg(long)]
    pub paused: bool,
    /// Take the theme and [keys] from this config (no fleet is contacted).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Events as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write snapshots and events as JSON lines to FILE, for replay.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Stop after S seconds instead of at Ctrl-C or SIGTERM.
    #[arg(long = "for", value_name = "S", allow_negative_numbers = true, value_parser = run_seconds)]
    pub for_s: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct ActionArgs {
    /// The action's name (`name` in its [[action]]).
    pub name: String,
    /// A node's or network's name, or LB/BACKEND/SERVER, as the action's scope says.
    #[arg(long, value_name = "T")]
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Confirm the action (required: without it nothing runs).
    #[arg(long)]
    pub yes: bool,
    /// Allow the action on a protected network (mainnet always is).
    #[arg(long)]
    pub armed: bool,
    /// Refuse every mutating action (as ui.read_only does).
    #[arg(long)]
    pub read_only: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Address to serve on, e.g. 127.0.0.1:9877 (port 0: the OS picks one; the first
    /// line printed names it).
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Stop after S seconds instead of at Ctrl-C or SIGTERM.
    #[arg(long = "for", value_name = "S", allow_negative_numbers = true, value_parser = run_seconds)]
    pub for_s: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// One JSON document (see README, "check --json") instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Per-call timeout in seconds, at most 3600 (default: monitor.timeout_ms from the
    /// config).
    #[arg(long, value_name = "S", allow_negative_numbers = true, value_parser = timeout_seconds)]
    pub timeout: Option<std::time::Duration>,
    /// Also write the round's snapshots and events as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SimnetArgs {
    /// Fleet description (TOML); default: a mainnet-like and a testnet-like chain.
    #[arg(long, value_name = "FILE")]
    pub fleet: Option<PathBuf>,
    /// Faults to inject over time (TOML events: at, target, fault, duration).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Write a btsops config for the running fleet to this path.
    #[arg(long, value_name = "PATH")]
    pub write_config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Owner, active and memo public keys of an account whose keys come from a password
    /// (sha256(account + role + password), as the reference wallet derives them).
    Derive {
        /// Account name.
        #[arg(long)]
        account: String,
        /// Read the password from the first line of stdin (the only way to give it, so it
        /// never shows in the process list or shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Public-key prefix: BTS for mainnet, TEST for the public testnet.
        #[arg(long, default_value = "BTS")]
        prefix: String,
        /// Also print the private keys (WIF).
        #[arg(long)]
        show_private: bool,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Public key of the WIF private key on stdin.
    Pub {
        /// Read the WIF from stdin (the only way to give it).
        #[arg(long, required = true)]
        wif_stdin: bool,
        #[arg(long, default_value = "BTS")]
        prefix: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TxCmd {
    /// Serialized bytes as hex, as the node's get_transaction_hex returns them.
    Hex {
        /// Leave out the signature vector (get_transaction_hex_without_sig: the bytes that get signed).
        #[arg(long)]
        without_sig: bool,
    },
    /// Transaction id (line `id`); with --chain-id also the signing digest (line `digest`).
    Id {
        #[arg(long, value_name = "HEX")]
        chain_id: Option<String>,
        /// One JSON object ({"id", "digest"}) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Sign with the keys of an owner-only WIF file; prints the signed transaction JSON.
    Sign {
        #[arg(long, value_name = "HEX")]
        chain_id: String,
        /// One WIF per line; refused unless only its owner can read it (0600 or 0400).
        #[arg(long, value_name = "FILE")]
        wif_file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// Config file (default: $BTSOPS_CONFIG, else ~/.config/btsops/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Check the config and print one line per network. Exit 0 when valid, 3 when not.
    Check(ConfigArg),
}

/// `check --timeout`.
fn timeout_seconds(s: &str) -> Result<std::time::Duration, String> {
    positive_seconds(s, crate::cmd::check::MAX_TIMEOUT_S)
}

/// `watch --for`: anything up to about thirty years.
fn run_seconds(s: &str) -> Result<std::time::Duration, String> {
    positive_seconds(s, 1e9)
}

/// A number of seconds in (0, max], refused by clap like any other usage error (exit 2),
/// so the commands get a duration that is already valid.
fn positive_seconds(s: &str, max: f64) -> Result<std::time::Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= max {
        Ok(std::time::Duration::from_secs_f64(v))
    } else {
        Err(format!("must be more than 0 and at most {max} seconds"))
    }
}
