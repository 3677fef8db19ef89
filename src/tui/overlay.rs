//! Overlays drawn above the panes, newest on top: the help, a confirmation. The top
//! one takes the keys; closing it shows the one below.

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
}
