//! The console: Elm-like. Inputs become `Msg`s, the pure `app::update` folds them
//! into `App` and returns `Effect`s, and views draw `&App`. Background tasks never
//! touch `App`: they send `Msg`s on the feed channel that `terminal::run` reads.
//! This module knows the monitor's data types, never simnet.

mod act;
mod actions;
pub mod alert_command;
pub mod app;
pub mod columns;
pub mod commands;
pub mod complete;
mod faucet_act;
pub mod faucet_form;
pub mod faucet_pane;
pub mod faucet_task;
pub mod keymap;
pub mod lb_pane;
pub mod live;
pub mod marks;
pub mod msg;
pub mod node_action_task;
pub mod node_actions;
pub mod ops;
pub mod ops_task;
pub mod overlay;
pub mod replay;
pub mod state;
pub mod stress_pane;
pub mod stress_task;
pub mod terminal;
mod update;
pub mod view;

use std::path::Path;

pub use app::{App, Effect, Msg, Reloaded, Replay, ReplayCmd, update};
pub use keymap::Keymap;
pub use terminal::{Options, TuiError, run};

use crate::config::{self, ConfigError};
use crate::theme;

/// Whether the environment forbids colour (`NO_COLOR`).
pub fn theme_no_color() -> bool {
    theme::no_color_env()
}

/// Reads the config at `path` with its theme and keymap, all checked: what startup
/// and `:reload` both use, so a reload accepts exactly what a start accepts.
pub fn load(path: &Path, no_color: bool) -> Result<Reloaded, ConfigError> {
    let config = config::load(Some(path))?;
    let theme = theme::load_for(&config, no_color)?;
    let keymap = Keymap::from_config(&config.source, &config.keys)?;
    keymap.check_action_keys(&config.source, &config.actions)?;
    Ok(Reloaded {
        config,
        theme,
        keymap,
    })
}

/// The config's `[[action]]` keys against its keymap (`config check`, `btsops action`).
pub fn check_action_keys(config: &config::Config) -> Result<(), ConfigError> {
    Keymap::from_config(&config.source, &config.keys)?
        .check_action_keys(&config.source, &config.actions)
}
