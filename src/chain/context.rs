//! The one secp256k1 context: building one costs far more than a signature, so it is
//! created once and shared (contexts are immutable after creation and `Sync`).

use secp256k1::{All, Secp256k1};
use std::sync::OnceLock;

static SECP: OnceLock<Secp256k1<All>> = OnceLock::new();

pub(crate) fn secp() -> &'static Secp256k1<All> {
    SECP.get_or_init(Secp256k1::new)
}
