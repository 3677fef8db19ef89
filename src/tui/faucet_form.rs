//! The registration form (an overlay): name, password or the three public keys, optional
//! referrer. Pure: keys edit the fields, `submit` checks them all (the chain's name rules,
//! key parsing) and turns a password into the public keys at once. The password lives only
//! in a [`Secret`], wiped from memory when the form is dropped, and is never drawn.

use zeroize::Zeroizing;

use super::keymap::{Code, Key};
use crate::chain::{PublicKey, account_name_problem};
use crate::faucet::Keys;

/// Longest secret taken, in bytes: its buffer is allocated once at this size, so typing
/// never moves it (a moved buffer would leave an unwiped copy behind).
pub const MAX_SECRET_BYTES: usize = 256;

/// Text that must not be shown, logged or kept: wiped on drop, `Debug` prints no content.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Default for Secret {
    fn default() -> Secret {
        Secret(Zeroizing::new(String::with_capacity(MAX_SECRET_BYTES)))
    }
}

impl Secret {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Characters typed, for the `•` shown instead.
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }

    /// Typed characters past `MAX_SECRET_BYTES` are dropped rather than grow the buffer.
    fn push(&mut self, c: char) {
        if self.0.len() + c.len_utf8() <= MAX_SECRET_BYTES {
            self.0.push(c);
        }
    }

    fn pop(&mut self) {
        self.0.pop();
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} chars)", self.chars())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Name,
    Password,
    Owner,
    Active,
    Memo,
    Referrer,
}

pub const FIELDS: [Field; 6] = [
    Field::Name,
    Field::Password,
    Field::Owner,
    Field::Active,
    Field::Memo,
    Field::Referrer,
];

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Password => "password",
            Field::Owner => "owner key",
            Field::Active => "active key",
            Field::Memo => "memo key",
            Field::Referrer => "referrer",
        }
    }
}

/// What a key did to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKey {
    Edited,
    Cancel,
    Submit,
}

/// A checked registration, ready for the confirmation: public keys only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub name: String,
    pub keys: Keys,
    pub referrer: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaucetForm {
    pub network: String,
    /// Public key prefix of the network.
    pub prefix: String,
    pub name: String,
    pub password: Secret,
    pub owner: String,
    pub active: String,
    pub memo: String,
    pub referrer: String,
    pub focus: Field,
    /// What the last submit found wrong, per field.
    pub errors: Vec<(Field, String)>,
}

impl FaucetForm {
    pub fn new(network: &str, prefix: &str) -> FaucetForm {
        FaucetForm {
            network: network.into(),
            prefix: prefix.into(),
            name: String::new(),
            password: Secret::default(),
            owner: String::new(),
            active: String::new(),
            memo: String::new(),
            referrer: String::new(),
            focus: Field::Name,
            errors: Vec::new(),
        }
    }

    /// What a field shows: its text, or a `•` per password character.
    pub fn shown(&self, f: Field) -> String {
        match f {
            Field::Password => "•".repeat(self.password.chars()),
            other => self.text(other).to_string(),
        }
    }

    fn text(&self, f: Field) -> &str {
        match f {
            Field::Name => &self.name,
            Field::Password => "",
            Field::Owner => &self.owner,
            Field::Active => &self.active,
            Field::Memo => &self.memo,
            Field::Referrer => &self.referrer,
        }
    }

    pub fn error(&self, f: Field) -> Option<&str> {
        self.errors
            .iter()
            .find(|(x, _)| *x == f)
            .map(|(_, e)| e.as_str())
    }

    fn push(&mut self, c: char) {
        match self.focus {
            Field::Name => self.name.push(c),
            Field::Password => self.password.push(c),
            Field::Owner => self.owner.push(c),
            Field::Active => self.active.push(c),
            Field::Memo => self.memo.push(c),
            Field::Referrer => self.referrer.push(c),
        }
    }

    fn pop(&mut self) {
        match self.focus {
            Field::Name => {
                self.name.pop();
            }
            Field::Password => self.password.pop(),
            Field::Owner => {
                self.owner.pop();
            }
            Field::Active => {
                self.active.pop();
            }
            Field::Memo => {
                self.memo.pop();
            }
            Field::Referrer => {
                self.referrer.pop();
            }
        }
    }

    fn move_focus(&mut self, by: isize) {
        let i = FIELDS.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = FIELDS.len() as isize;
        self.focus = FIELDS[(i + by).rem_euclid(n) as usize];
    }

    /// One key: Tab/Down and BackTab/Up move between fields, Enter submits, Esc cancels,
    /// anything printable is typed into the focused field.
    pub fn key(&mut self, k: Key) -> FormKey {
        match k.code {
            Code::Esc => return FormKey::Cancel,
            Code::Enter => return FormKey::Submit,
            Code::Tab | Code::Down => self.move_focus(1),
            Code::BackTab | Code::Up => self.move_focus(-1),
            Code::Backspace => self.pop(),
            Code::Char(c) if !k.ctrl && !k.alt && !c.is_control() => self.push(c),
            _ => {}
        }
        FormKey::Edited
    }

    /// Pasted text into the focused field (control characters dropped).
    pub fn paste(&mut self, text: &str) {
        for c in text.chars().filter(|c| !c.is_control()) {
            self.push(c);
        }
    }

    /// Checks every field; on success the public keys (derived from the password, if one
    /// was given). `None`: the errors stay on the form, next to their fields.
    pub fn submit(&mut self) -> Option<Filled> {
        self.errors = self.problems();
        if !self.errors.is_empty() {
            return None;
        }
        let keys = if self.password.is_empty() {
            Keys::from_public(&self.owner, &self.active, &self.memo, &self.prefix)
        } else {
            Keys::from_password(&self.name, self.password.expose(), &self.prefix)
        };
        match keys {
            Ok(keys) => Some(Filled {
                name: self.name.clone(),
                keys,
                referrer: Some(self.referrer.trim().to_string()).filter(|r| !r.is_empty()),
            }),
            Err(e) => {
                self.errors = vec![(Field::Password, e)];
                None
            }
        }
    }

    fn problems(&self) -> Vec<(Field, String)> {
        let mut out = Vec::new();
        if self.name.is_empty() {
            out.push((Field::Name, "required".to_string()));
        } else if let Some(p) = account_name_problem(&self.name) {
            out.push((Field::Name, p));
        }
        let keys = [
            (Field::Owner, &self.owner),
            (Field::Active, &self.active),
            (Field::Memo, &self.memo),
        ];
        let any_key = keys.iter().any(|(_, k)| !k.trim().is_empty());
        if !self.password.is_empty() {
            if any_key {
                out.push((
                    Field::Password,
                    "a password or the three keys, not both".to_string(),
                ));
            }
        } else if !any_key {
            out.push((
                Field::Password,
                "a password, or the three public keys below".to_string(),
            ));
        } else {
            for (f, k) in keys {
                if k.trim().is_empty() {
                    out.push((f, "required without a password".to_string()));
                } else if let Err(e) = PublicKey::parse(k.trim(), &self.prefix) {
                    out.push((f, e.to_string()));
                }
            }
        }
        let referrer = self.referrer.trim();
        if !referrer.is_empty()
            && let Some(p) = account_name_problem(referrer)
        {
            out.push((Field::Referrer, p));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(form: &mut FaucetForm, text: &str) {
        for c in text.chars() {
            form.key(Key::char(c));
        }
    }

    #[test]
    fn the_password_becomes_keys_and_is_never_shown() {
        let mut f = FaucetForm::new("testnet", "TEST");
        typed(&mut f, "new-user-1");
        f.key(Key::code(Code::Tab));
        typed(&mut f, "s3cret pass");
        assert_eq!(f.shown(Field::Password), "•".repeat(11));
        assert!(!format!("{f:?}").contains("s3cret"));
        let filled = f.submit().expect("valid");
        let want = Keys::from_password("new-user-1", "s3cret pass", "TEST").expect("keys");
        assert_eq!(filled.keys, want);
        assert_eq!(filled.referrer, None);
    }

    #[test]
    fn each_field_gets_its_own_error() {
        let mut f = FaucetForm::new("testnet", "TEST");
        typed(&mut f, "Bad_Name");
        assert!(f.submit().is_none());
        assert!(f.error(Field::Name).is_some());
        assert!(f.error(Field::Password).is_some(), "no password, no keys");
        f.focus = Field::Owner;
        typed(&mut f, "TEST-not-a-key");
        f.focus = Field::Referrer;
        typed(&mut f, "Nobody!");
        assert!(f.submit().is_none());
        assert!(f.error(Field::Owner).is_some());
        assert_eq!(
            f.error(Field::Active),
            Some("required without a password"),
            "{:?}",
            f.errors
        );
        assert!(f.error(Field::Referrer).is_some());
        assert!(f.error(Field::Password).is_none());
    }
}
