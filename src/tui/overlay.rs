//! Overlays drawn above the panes, newest on top: the help, a confirmation, a long
//! error, the faucet's registration form. The top one takes the keys; closing it shows the one below.

use super::ops::Plan;

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// An action waiting for `y` (or `F` when it needs force).
    Confirm(Box<Plan>),
    /// Arming a protected network, waiting for `y`.
    Arm(String),
    /// An error too long for the status bar, in full until the next key.
    Error(String),
    /// The faucet registration form; takes every key while on top.
    FaucetForm(Box<super::faucet_form::FaucetForm>),
    /// The output of the node action running or last run (`App::node_actions`).
    Output,
}
