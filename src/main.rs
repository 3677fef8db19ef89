//! CLI entry: parse arguments, install error hooks, dispatch to the library.

use std::process::ExitCode;

use btsops::cli::{Cli, Command, ConfigCmd, EXIT_CONFIG, EXIT_FAILURE};
use btsops::config::{self, ConfigError};
use clap::Parser;
use color_eyre::eyre::Result;

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A config error is one precise line (file:line:col: key: message), not a report.
            if let Some(ce) = e.downcast_ref::<ConfigError>() {
                eprintln!("btsops: config error: {ce}");
                return ExitCode::from(EXIT_CONFIG as u8);
            }
            eprintln!("btsops: {e:#}");
            ExitCode::from(EXIT_FAILURE as u8)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Config(ConfigCmd::Check(args)) => {
            let cfg = config::load(args.config.as_deref())?;
            println!("{}: ok", cfg.source.display());
            for line in cfg.summary_lines() {
                println!("  {line}");
            }
            for var in cfg.missing_password_envs() {
                eprintln!(
                    "warning: environment variable {var} (named by password_env) is not set here"
                );
            }
            Ok(0)
        }
    }
}
