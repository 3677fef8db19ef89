//! Command-line interface: clap definitions of every subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit code every subcommand uses for a bad or missing config file.
pub const EXIT_CONFIG: i32 = 3;
/// Exit code for any other failure (bad input, I/O, a refused key file).
pub const EXIT_FAILURE: i32 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "btsops",
    version,
    about = "Terminal operations console for BitShares infrastructure"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the configuration file.
    #[command(subcommand)]
    Config(ConfigCmd),
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
