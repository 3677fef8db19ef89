//! The one gate every mutating action passes (DESIGN.md §5): confirmed, not read-only,
//! and not on a protected network unless armed. Pure, so the console and the headless
//! commands refuse for the same reasons.

/// What is known when an action is about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gate {
    /// `ui.read_only` in the config, or `--read-only`.
    pub read_only: bool,
    /// The target's network is `protected` (mainnet always is).
    pub protected: bool,
    /// The operator armed the network (`--armed`, or arming in the console).
    pub armed: bool,
    /// The operator confirmed this action (`--yes`, or the confirmation overlay).
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("read-only mode: mutating actions are disabled (ui.read_only or --read-only)")]
    ReadOnly,
    #[error("network {0:?} is protected: arm it first (A in the console, --armed headless)")]
    Protected(String),
    #[error("not confirmed: add --yes to do it")]
    NotConfirmed,
}

/// `Ok` when the action may go ahead; else the first reason it may not, read-only first
/// (it overrides everything, including an armed network).
pub fn check(gate: Gate, network: &str) -> Result<(), Refusal> {
    if gate.read_only {
        return Err(Refusal::ReadOnly);
    }
    if gate.protected && !gate.armed {
        return Err(Refusal::Protected(network.to_string()));
    }
    if !gate.confirmed {
        return Err(Refusal::NotConfirmed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_refuses_and_read_only_wins() {
        let ok = Gate {
            confirmed: true,
            ..Gate::default()
        };
        assert_eq!(check(ok, "testnet"), Ok(()));
        assert_eq!(
            check(
                Gate {
                    confirmed: false,
                    ..ok
                },
                "testnet"
            ),
            Err(Refusal::NotConfirmed)
        );
        let protected = Gate {
            protected: true,
            ..ok
        };
        assert_eq!(
            check(protected, "mainnet"),
            Err(Refusal::Protected("mainnet".into()))
        );
        assert_eq!(
            check(
                Gate {
                    armed: true,
                    ..protected
                },
                "mainnet"
            ),
            Ok(())
        );
        let all = Gate {
            read_only: true,
            protected: true,
            armed: true,
            confirmed: true,
        };
        assert_eq!(check(all, "mainnet"), Err(Refusal::ReadOnly));
    }
}
