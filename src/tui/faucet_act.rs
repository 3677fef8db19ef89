//! The faucet's side of the safe actions, inside `update`: `n` opens the registration
//! form (refused with the reason when the gate would refuse), the form's keys, its submit
//! turning into a `Plan` with one `Op::FaucetRegister` (public keys only: the form, and
//! the password in it, are dropped there), and the result folded into the pane.

use super::act;
use super::faucet_form::{FaucetForm, Filled, FormKey};
use super::faucet_pane::Registered;
use super::keymap::Key;
use super::msg::{ActionReport, Effect};
use super::ops::{self, Op, Plan};
use super::overlay::Overlay;
use super::state::App;

const NO_FAUCET: &str = "no [faucet] in the config: add one (network, url, registrar, target_accounts, start_date, target_date; see config.example.toml)";

/// Opens the registration form, unless there is no faucet or the gate refuses now.
pub(super) fn open_form(app: &mut App) -> Vec<Effect> {
    let Some(conf) = &app.faucet.conf else {
        app.notify(NO_FAUCET, true);
        return Vec::new();
    };
    let (network, prefix) = (conf.network.clone(), conf.prefix.clone());
    if let Err(r) = ops::gate(act::context(app, &network), &network) {
        app.notify(format!("register: refused: {r}"), true);
        return Vec::new();
    }
    app.overlays
        .push(Overlay::FaucetForm(Box::new(FaucetForm::new(
            &network, &prefix,
        ))));
    Vec::new()
}

/// `r` in the pane: read the numbers now.
pub(super) fn refresh(app: &mut App) -> Vec<Effect> {
    if app.faucet.conf.is_none() {
        app.notify(NO_FAUCET, true);
        return Vec::new();
    }
    app.notify("reading the faucet's numbers from the chain", false);
    vec![Effect::FaucetRefresh]
}

/// A key for the form on top.
pub(super) fn form_key(app: &mut App, k: Key) -> Vec<Effect> {
    let Some(Overlay::FaucetForm(form)) = app.overlays.last_mut() else {
        return Vec::new();
    };
    match form.key(k) {
        FormKey::Edited => Vec::new(),
        FormKey::Cancel => {
            app.overlays.pop();
            app.notify("cancelled", false);
            Vec::new()
        }
        FormKey::Submit => {
            let Some(filled) = form.submit() else {
                // The errors show next to their fields.
                return Vec::new();
            };
            // The form goes, and the password with it (wiped on drop).
            app.overlays.pop();
            match plan(app, filled) {
                Some(p) => act::ask(app, p),
                None => Vec::new(),
            }
        }
    }
}

fn plan(app: &mut App, f: Filled) -> Option<Plan> {
    let Some(conf) = &app.faucet.conf else {
        app.notify(NO_FAUCET, true);
        return None;
    };
    let fee = app
        .faucet
        .stats
        .as_ref()
        .map(|s| {
            format!(
                " ({} at the last read)",
                crate::faucet::kpi::coins(s.kpis.fee)
            )
        })
        .unwrap_or_default();
    Some(Plan {
        title: format!("register {}", f.name),
        network: conf.network.clone(),
        ops: vec![Op::FaucetRegister {
            endpoint: conf.endpoint.clone(),
            name: f.name,
            keys: f.keys,
            referrer: f.referrer,
        }],
        consequences: vec![format!(
            "the registrar {} pays the account_create fee{fee}",
            conf.registrar
        )],
        needs_force: false,
    })
}

/// A registration's result: on screen (the reply verbatim and its class) and in the pane
/// (the numbers are read again once the chain has the account).
pub(super) fn done(app: &mut App, r: ActionReport) -> Vec<Effect> {
    let Some(f) = r.faucet else {
        return Vec::new();
    };
    let audit = match &r.audit {
        Ok(p) => format!("audit: {}", p.display()),
        Err(e) => format!("AUDIT LOG NOT WRITTEN: {e}"),
    };
    let status = f
        .status
        .map_or("no HTTP reply".to_string(), |s| format!("HTTP {s}"));
    app.notify(
        format!("{}: {} ({status}): {} ({audit})", r.title, f.class, f.body),
        !f.registered || r.audit.is_err(),
    );
    app.faucet.last = Some(Registered {
        name: f.name,
        class: f.class,
        registered: f.registered,
        status: f.status,
        reply: f.body,
        account: None,
    });
    Vec::new()
}
