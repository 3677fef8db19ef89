//! CLI entry: parse arguments, install error hooks, dispatch to the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use btsops::cli::{
    ActionArgs, AgentArgs, CheckArgs, Cli, Command, ConfigCmd, EXIT_CONFIG, EXIT_FAILURE,
    ExportArgs, FaucetCmd, FaucetRegisterArgs, KeysCmd, LbActionArgs, LbCmd, ReplayArgs, StressCmd,
    TxCmd, WatchArgs,
};
use btsops::cmd;
use btsops::config::{self, ConfigError};
use clap::Parser;
use color_eyre::eyre::{Result, eyre};

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A config error is one precise line (file:line:col: key: message), not a report.
            if let Some(ce) = e.downcast_ref::<ConfigError>() {
                cmd::print_stderr(&format!("btsops: config error: {ce}"));
                return ExitCode::from(EXIT_CONFIG as u8);
            }
            cmd::print_stderr(&format!("btsops: {}", cmd::error_text(&e)));
            ExitCode::from(EXIT_FAILURE as u8)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    // `btsops --config F check` and `btsops check --config F` mean the same; given
    // both ways, the subcommand's own wins.
    let top = cli.config.config;
    let Some(command) = cli.command else {
        return console(top.as_deref(), cli.read_only, cli.record);
    };
    if cli.record.is_some() {
        // `check` and `watch` take their own `--record` after the subcommand.
        return Err(eyre!(
            "--record before a subcommand is the console's; give it after the subcommand \
             (btsops check --record FILE, btsops watch --record FILE)"
        ));
    }
    match command {
        Command::Replay(mut args) => {
            args.config = args.config.or(top);
            replay(args)
        }
        Command::Demo => demo(),
        Command::Config(ConfigCmd::Check(args)) => {
            let cfg = config::load(args.config.or(top).as_deref())?;
            // The theme and the keys are config too: a bad one must fail here, not
            // when the console starts.
            btsops::theme::load_for(&cfg, false)?;
            btsops::tui::check_action_keys(&cfg)?;
            let mut text = format!("{}: ok\n", cfg.source.display());
            for line in cfg.summary_lines() {
                text.push_str(&format!("  {line}\n"));
            }
            cmd::print_stdout(&text)?;
            for var in cfg.missing_password_envs() {
                cmd::print_stderr(&format!(
                    "warning: environment variable {var} (named by password_env) is not set here"
                ));
            }
            Ok(0)
        }
        Command::Check(CheckArgs {
            config: cfg_arg,
            json,
            timeout,
            record,
        }) => {
            let cfg = config::load(cfg_arg.config.or(top).as_deref())?;
            let out = cmd::check::run(&cfg, json, timeout, record)?;
            cmd::print_stdout(&out.text)?;
            if let Some(e) = &out.record_error {
                cmd::print_stderr(&format!("btsops: --record {e}"));
            }
            Ok(out.code)
        }
        Command::Watch(WatchArgs {
            config: cfg_arg,
            json,
            record,
            for_s,
        }) => {
            let cfg = config::load(cfg_arg.config.or(top).as_deref())?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            cmd::watch::run(&cfg, json, record, for_s, &mut out)
        }
        Command::Action(ActionArgs {
            name,
            target,
            config: cfg_arg,
            yes,
            armed,
            read_only,
        }) => {
            let cfg = config::load(cfg_arg.config.or(top).as_deref())?;
            btsops::tui::check_action_keys(&cfg)?;
            let req = cmd::action::Request {
                name,
                target,
                yes,
                armed,
                read_only,
            };
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            cmd::action::act(&cfg, &req, &mut out)
        }
        Command::Export(ExportArgs {
            config: cfg_arg,
            listen,
            for_s,
        }) => {
            let cfg = config::load(cfg_arg.config.or(top).as_deref())?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            cmd::export::run(&cfg, listen, for_s, &mut out)
        }
        Command::Keys(KeysCmd::Derive {
            account,
            password_stdin: _,
            prefix,
            show_private,
            json,
        }) => {
            // Before the password is asked for or read: it would be typed for nothing.
            cmd::keys::check_account(&account)?;
            let input = if std::io::stdin().is_terminal() {
                cmd::prompt::read_secret(&format!("password for {account}: "))?
            } else {
                cmd::read_stdin("password")?
            };
            let password = cmd::first_line(&input);
            if let Some(w) = cmd::keys::password_warning(password) {
                cmd::print_stderr(&w);
            }
            cmd::print_stdout(&cmd::keys::derive(
                &account,
                password,
                &prefix,
                show_private,
                json,
            )?)?;
            Ok(0)
        }
        Command::Keys(KeysCmd::Pub {
            wif_stdin: _,
            prefix,
        }) => {
            let input = cmd::read_stdin("WIF")?;
            cmd::print_stdout(&cmd::keys::public_of_wif(cmd::first_line(&input), &prefix)?)?;
            Ok(0)
        }
        Command::Tx(TxCmd::Hex { without_sig }) => {
            let tx = cmd::tx::parse(&cmd::read_stdin("transaction JSON")?)?;
            if let Some(w) = cmd::tx::validate_warning(&tx) {
                cmd::print_stderr(&w);
            }
            cmd::print_stdout(&cmd::tx::hex(&tx, without_sig))?;
            Ok(0)
        }
        Command::Tx(TxCmd::Id { chain_id, json }) => {
            let tx = cmd::tx::parse(&cmd::read_stdin("transaction JSON")?)?;
            if let Some(w) = cmd::tx::validate_warning(&tx) {
                cmd::print_stderr(&w);
            }
            cmd::print_stdout(&cmd::tx::id(&tx, chain_id.as_deref(), json)?)?;
            Ok(0)
        }
        Command::Simnet(args) => cmd::simnet::run(
            args.fleet.as_deref(),
            args.scenario.as_deref(),
            args.write_config.as_deref(),
        ),
        Command::Lb(sub) => {
            use btsops::lb::Action;
            match sub {
                LbCmd::Status(args) => {
                    let cfg = config::load(args.config.config.or(top).as_deref())?;
                    let stdout = std::io::stdout();
                    cmd::lb::status(&cfg, args.lb.as_deref(), args.json, &mut stdout.lock())
                }
                LbCmd::Drain(a) => lb_action(a, Action::Drain, top),
                LbCmd::Maint(a) => lb_action(a, Action::Maint, top),
                LbCmd::Ready(a) => lb_action(a, Action::Ready, top),
                LbCmd::Cut(a) => lb_action(a, Action::Cut, top),
                LbCmd::Weight(w) => lb_action(w.action, Action::Weight(w.weight), top),
            }
        }
        Command::Agent(AgentArgs {
            config: cfg_arg,
            listen,
        }) => {
            let cfg = config::load(cfg_arg.config.or(top).as_deref())?;
            let stdout = std::io::stdout();
            cmd::agent::run(&cfg, listen, &mut stdout.lock())
        }
        Command::Faucet(FaucetCmd::Register(args)) => faucet_register(args, top),
        Command::Faucet(FaucetCmd::Stats(args)) => {
            let cfg = config::load(args.config.config.or(top).as_deref())?;
            let stdout = std::io::stdout();
            cmd::faucet::stats(&cfg, args.json, &mut stdout.lock())
        }
        Command::Stress(StressCmd::Run(mut args)) => {
            args.config.config = args.config.config.or(top);
            cmd::stress::run(&args)
        }
        Command::Tx(TxCmd::Sign { chain_id, wif_file }) => {
            // Check the key file before reading stdin, so a refused file fails fast.
            let keys = cmd::tx::read_wif_file(&wif_file)?;
            let tx = cmd::tx::parse(&cmd::read_stdin("transaction JSON")?)?;
            cmd::print_stdout(&cmd::tx::sign(tx, &chain_id, &keys)?)?;
            Ok(0)
        }
    }
}

/// `lb drain|maint|ready|weight|cut`.
fn lb_action(args: LbActionArgs, action: btsops::lb::Action, top: Option<PathBuf>) -> Result<u8> {
    let cfg = config::load(args.config.config.or(top).as_deref())?;
    let req = cmd::lb::Request {
        target: args.target,
        action,
        yes: args.yes,
        force: args.force,
        armed: args.armed,
        read_only: args.read_only,
        verify_timeout: args.timeout,
    };
    let stdout = std::io::stdout();
    cmd::lb::act(&cfg, &req, &mut stdout.lock())
}

/// `faucet register`: the config first (a config error exits 3 before stdin is read).
fn faucet_register(args: FaucetRegisterArgs, top: Option<PathBuf>) -> Result<u8> {
    let cfg = config::load(args.config.config.or(top).as_deref())?;
    let keys = match (args.owner, args.active, args.memo) {
        (Some(owner), Some(active), Some(memo)) => cmd::faucet::KeySource::Public {
            owner,
            active,
            memo,
        },
        _ => {
            let input = cmd::read_stdin("password")?;
            let password = zeroize::Zeroizing::new(cmd::first_line(&input).to_string());
            // Zeroed now; the copy goes as soon as the keys are derived.
            drop(input);
            cmd::faucet::KeySource::Password(password)
        }
    };
    let req = cmd::faucet::RegisterRequest {
        name: args.name,
        keys,
        referrer: args.referrer,
        yes: args.yes,
        armed: args.armed,
        read_only: args.read_only,
        json: args.json,
    };
    let stdout = std::io::stdout();
    cmd::faucet::register(&cfg, req, &mut stdout.lock())
}

/// The console on the configured fleet, until the operator quits.
fn console(
    config_path: Option<&std::path::Path>,
    read_only: bool,
    record: Option<PathBuf>,
) -> Result<u8> {
    use btsops::tui;
    // The config first: a config error must exit 3 with its file:line like every
    // other subcommand, even where the console could not have run anyway.
    let path = config::locate(config_path)?;
    let loaded = tui::load(&path, btsops::theme::no_color_env())?;
    tui::terminal::require_tty()?;
    let mut app = tui::App::new(loaded.theme, loaded.keymap);
    app.config_path = Some(loaded.config.source.clone());
    app.read_only = read_only;
    app.bell = loaded.config.ui.bell;
    // Acknowledgements and snoozes of the last run; a console without a home still runs.
    app.state_file = tui::marks::default_file();
    if let Some(file) = &app.state_file {
        match tui::marks::load(file) {
            Ok(marks) => app.restore_marks(marks),
            Err(e) => {
                // Not overwritten either: it may be a newer version's, or worth a look.
                app.state_file = None;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                tui::update(&mut app, tui::Msg::Tick(now));
                let text = format!(
                    "saved acknowledgements and snoozes not read, this run keeps its own in memory: {e}"
                );
                tui::update(&mut app, tui::Msg::Notice { text, error: true });
            }
        }
    }
    let mut opts = btsops::monitor::EngineOptions::from_config(&loaded.config.monitor);
    opts.record = record;
    let rt = btsops::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    rt.block_on(tui::live::run(
        app,
        loaded.config,
        opts,
        tui::Options::default(),
    ))?;
    // Probe tasks were stopped by the engine's shutdown; nothing can block here.
    drop(rt);
    Ok(0)
}

/// A recording played into the console.
fn replay(args: ReplayArgs) -> Result<u8> {
    use btsops::tui;
    let speed = args.speed;
    if !(speed.is_finite() && (tui::app::MIN_SPEED..=tui::app::MAX_SPEED).contains(&speed)) {
        return Err(eyre!(
            "--speed must be between {} and {}",
            tui::app::MIN_SPEED,
            tui::app::MAX_SPEED
        ));
    }
    let no_color = btsops::theme::no_color_env();
    let (theme, keymap) = match &args.config {
        Some(p) => {
            let l = tui::load(p, no_color)?;
            (l.theme, l.keymap)
        }
        None if no_color => (btsops::theme::Theme::mono(), tui::Keymap::defaults()),
        None => (
            btsops::theme::Theme::default_theme(),
            tui::Keymap::defaults(),
        ),
    };
    // The file before the terminal: a missing or empty recording is said plainly,
    // even where no console could run.
    let tui::replay::Playable {
        messages: records,
        warnings,
    } = tui::replay::playable(&args.file)?;
    if records.is_empty() {
        return Err(eyre!(
            "{}: no snapshots or events to replay",
            args.file.display()
        ));
    }
    tui::terminal::require_tty()?;
    let mut app = tui::App::new(theme, keymap);
    // In the console, where they are read while it plays (until a key), not after.
    tui::replay::show_notes(&mut app, &args.file, &warnings, &records);
    let span = (
        records.first().map_or(0.0, |(t, _)| *t),
        records.last().map_or(0.0, |(t, _)| *t),
    );
    let start = tui::Replay {
        paused: args.paused,
        speed,
        ended: false,
        span,
    };
    let rt = btsops::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    rt.block_on(tui::replay::run(app, records, start))?;
    Ok(0)
}

/// The console on an in-process simulated fleet.
fn demo() -> Result<u8> {
    use btsops::tui;
    tui::terminal::require_tty()?;
    let theme = if btsops::theme::no_color_env() {
        btsops::theme::Theme::mono()
    } else {
        btsops::theme::Theme::default_theme()
    };
    let app = tui::App::new(theme, tui::Keymap::defaults());
    let rt = btsops::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    rt.block_on(btsops::demo::run(app))?;
    drop(rt);
    Ok(0)
}
