//! Keys: parsing key names, the default keymap from the registry, and `[keys]`
//! overrides from the config, checked at load.

use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::commands::{COMMANDS, CommandId, CommandSpec, Scope};
use crate::config::{ActionSpec, ConfigError, KeyBinding};

/// A key press the console can bind, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: Code,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// Upper case letters are their own keys; Shift is folded into the char.
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

const NAMED: [(&str, Code); 15] = [
    ("Enter", Code::Enter),
    ("Esc", Code::Esc),
    ("Tab", Code::Tab),
    ("BackTab", Code::BackTab),
    ("Backspace", Code::Backspace),
    ("Delete", Code::Delete),
    ("Up", Code::Up),
    ("Down", Code::Down),
    ("Left", Code::Left),
    ("Right", Code::Right),
    ("PageUp", Code::PageUp),
    ("PageDown", Code::PageDown),
    ("Home", Code::Home),
    ("End", Code::End),
    ("Space", Code::Char(' ')),
];

impl Key {
    pub const fn char(c: char) -> Key {
        Key {
            code: Code::Char(c),
            ctrl: false,
            alt: false,
        }
    }

    pub const fn code(code: Code) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// Parses `q`, `G`, `?`, `Enter`, `S-Tab`, `C-l`, `M-x`, `F5`, `Space`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut rest = s;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        while rest.len() > 2 && rest.as_bytes()[1] == b'-' {
            match &rest[..2] {
                "C-" => ctrl = true,
                "M-" | "A-" => alt = true,
                "S-" => shift = true,
                p => return Err(format!("unknown modifier {p:?} (use C-, M- or S-)")),
            }
            rest = &rest[2..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                let c = if shift { c.to_ascii_uppercase() } else { c };
                shift = false;
                // Terminals send C-x the same whatever the case.
                Code::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
            _ => {
                if let Some((_, code)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)) {
                    *code
                } else if let Some(n) = rest
                    .strip_prefix('F')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    Code::F(n)
                } else {
                    return Err(format!(
                        "unknown key {s:?} (examples: q, G, ?, Enter, Esc, Tab, S-Tab, Up, PageDown, F5, Space, C-l, M-x)"
                    ));
                }
            }
        };
        let code = match (code, shift) {
            (Code::Tab, true) => Code::BackTab,
            (c, false) => c,
            (_, true) => return Err(format!("S- only combines with letters and Tab: {s:?}")),
        };
        Ok(Key { code, ctrl, alt })
    }

    /// The console's key for a terminal key press, `None` for releases and keys it
    /// never binds.
    pub fn from_event(e: KeyEvent) -> Option<Key> {
        if e.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = e.modifiers.contains(KeyModifiers::CONTROL);
        let alt = e.modifiers.contains(KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::Char(c) => Code::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Enter => Code::Enter,
            KeyCode::Esc => Code::Esc,
            KeyCode::Tab if e.modifiers.contains(KeyModifiers::SHIFT) => Code::BackTab,
            KeyCode::Tab => Code::Tab,
            KeyCode::BackTab => Code::BackTab,
            KeyCode::Backspace => Code::Backspace,
            KeyCode::Delete => Code::Delete,
            KeyCode::Up => Code::Up,
            KeyCode::Down => Code::Down,
            KeyCode::Left => Code::Left,
            KeyCode::Right => Code::Right,
            KeyCode::PageUp => Code::PageUp,
            KeyCode::PageDown => Code::PageDown,
            KeyCode::Home => Code::Home,
            KeyCode::End => Code::End,
            KeyCode::F(n) => Code::F(n),
            _ => return None,
        };
        Some(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("C-")?;
        }
        if self.alt {
            f.write_str("M-")?;
        }
        match self.code {
            Code::Char(' ') => f.write_str("Space"),
            Code::Char(c) => write!(f, "{c}"),
            Code::F(n) => write!(f, "F{n}"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == other)
                    .map(|(n, _)| *n)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

/// Prefix keys of terminal multiplexers: binding them would either never reach the
/// console (the multiplexer eats them) or take the prefix from an operator who uses
/// it there.
const MULTIPLEXER_PREFIXES: [(char, &str); 2] =
    [('b', "tmux"), ('a', "GNU screen (and many tmux setups)")];

/// The active bindings: every command with the keys that trigger it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<(CommandId, Scope, Vec<Key>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::defaults()
    }
}

impl Keymap {
    /// The registry's default keys.
    pub fn defaults() -> Keymap {
        let bindings = COMMANDS
            .iter()
            .map(|c| {
                let keys = c.keys.iter().filter_map(|k| Key::parse(k).ok()).collect();
                (c.id, c.scope, keys)
            })
            .collect();
        Keymap { bindings }
    }

    /// The defaults with `[keys]` overrides applied, checked against `COMMANDS`.
    pub fn from_config(file: &Path, overrides: &[KeyBinding]) -> Result<Keymap, ConfigError> {
        Self::build(COMMANDS, file, overrides)
    }

    /// As `from_config`, over any registry (tests use one with a fleet-changing command).
    pub fn build(
        registry: &[CommandSpec],
        file: &Path,
        overrides: &[KeyBinding],
    ) -> Result<Keymap, ConfigError> {
        let err = |b: &KeyBinding, message: String| ConfigError {
            file: file.to_path_buf(),
            line: b.line,
            column: b.column,
            key: format!("keys.{}", b.command),
            message,
        };
        let mut bindings: Vec<(CommandId, Scope, Vec<Key>, Option<&KeyBinding>)> = registry
            .iter()
            .map(|c| {
                let keys = c.keys.iter().filter_map(|k| Key::parse(k).ok()).collect();
                (c.id, c.scope, keys, None)
            })
            .collect();
        for b in overrides {
            let Some(pos) = registry.iter().position(|c| c.name == b.command) else {
                let mut names: Vec<_> = registry.iter().map(|c| c.name).collect();
                names.sort();
                return Err(err(
                    b,
                    format!(
                        "unknown command {:?} (commands: {})",
                        b.command,
                        names.join(", ")
                    ),
                ));
            };
            let spec = &registry[pos];
            let mut keys = Vec::new();
            for k in &b.keys {
                let key = Key::parse(k).map_err(|m| err(b, m))?;
                if key.ctrl && !key.alt {
                    if let Code::Char(c) = key.code {
                        if let Some((_, who)) = MULTIPLEXER_PREFIXES.iter().find(|(p, _)| *p == c) {
                            return Err(err(
                                b,
                                format!("{key} is the prefix key of {who}; pick another key"),
                            ));
                        }
                        if spec.mutates {
                            return Err(err(
                                b,
                                format!(
                                    "{} changes the fleet and may not sit on a single Ctrl key ({key}); use a plain key, it asks for confirmation",
                                    spec.name
                                ),
                            ));
                        }
                    }
                }
                if keys.contains(&key) {
                    return Err(err(b, format!("{key} is listed twice")));
                }
                keys.push(key);
            }
            bindings[pos].2 = keys;
            bindings[pos].3 = Some(b);
        }
        // Any key bound twice where both commands could apply: the override that
        // caused it is the line to blame.
        for (i, (id_a, scope_a, keys_a, from_a)) in bindings.iter().enumerate() {
            for (id_b, scope_b, keys_b, from_b) in &bindings[i + 1..] {
                if !scope_a.overlaps(*scope_b) {
                    continue;
                }
                if let Some(k) = keys_a.iter().find(|k| keys_b.contains(k)) {
                    let name = |id: &CommandId| {
                        registry
                            .iter()
                            .find(|c| c.id == *id)
                            .map(|c| c.name)
                            .unwrap_or("?")
                    };
                    let (blame, other) = match (from_a, from_b) {
                        (_, Some(b)) => (*b, name(id_a)),
                        (Some(a), None) => (*a, name(id_b)),
                        (None, None) => continue,
                    };
                    return Err(err(
                        blame,
                        format!(
                            "{k} is already bound to {other}; rebind {other} too, or pick another key"
                        ),
                    ));
                }
            }
        }
        Ok(Keymap {
            bindings: bindings
                .into_iter()
                .map(|(id, scope, keys, _)| (id, scope, keys))
                .collect(),
        })
    }

    /// `[[action]]` keys: each must parse, be plain (a Ctrl key is too easy to hit for
    /// something that runs on the fleet, and tmux/screen eat theirs), and be bound to no
    /// command in any pane and to no other action. The error points at the action's
    /// `key` line.
    pub fn check_action_keys(
        &self,
        file: &Path,
        actions: &[ActionSpec],
    ) -> Result<(), ConfigError> {
        let mut seen: Vec<(Key, &str)> = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            let err = |message: String| ConfigError {
                file: file.to_path_buf(),
                line: a.key_line,
                column: a.key_column,
                key: format!("action[{i}].key"),
                message,
            };
            let key = Key::parse(&a.key).map_err(err)?;
            if key.ctrl || key.alt {
                return Err(err(format!(
                    "{key}: an action runs on the fleet and takes a plain key (it asks for confirmation)"
                )));
            }
            if let Some((id, _, _)) = self
                .bindings
                .iter()
                .find(|(_, _, keys)| keys.contains(&key))
            {
                let name = COMMANDS
                    .iter()
                    .find(|c| c.id == *id)
                    .map(|c| c.name)
                    .unwrap_or("?");
                return Err(err(format!(
                    "{key} is already bound to {name}; pick another key for action {:?} (or rebind {name} in [keys])",
                    a.name
                )));
            }
            if let Some((_, other)) = seen.iter().find(|(k, _)| *k == key) {
                return Err(err(format!("{key} is already the key of action {other:?}")));
            }
            seen.push((key, &a.name));
        }
        Ok(())
    }

    /// The action a key runs, if any (checked at load to clash with no command).
    pub fn action_for(key: Key, actions: &[ActionSpec]) -> Option<&ActionSpec> {
        actions
            .iter()
            .find(|a| Key::parse(&a.key).is_ok_and(|k| k == key))
    }

    /// The command a key triggers in a pane: the pane's own binding first, then the
    /// replay keys while a recording plays, then global.
    pub fn lookup(&self, key: Key, pane: Scope, replaying: bool) -> Option<CommandId> {
        let find = |scope: Scope| {
            self.bindings
                .iter()
                .find(|(_, s, keys)| *s == scope && keys.contains(&key))
                .map(|(id, _, _)| *id)
        };
        find(pane)
            .or_else(|| if replaying { find(Scope::Replay) } else { None })
            .or_else(|| find(Scope::Global))
    }

    pub fn keys_of(&self, id: CommandId) -> &[Key] {
        self.bindings
            .iter()
            .find(|(i, _, _)| *i == id)
            .map(|(_, _, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// The first key of a command as text, for hints ("? help").
    pub fn hint(&self, id: CommandId) -> String {
        self.keys_of(id)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| format!(":{}", super::commands::spec(id).name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn binding(command: &str, keys: &[&str], line: usize) -> KeyBinding {
        KeyBinding {
            command: command.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            line,
            column: 1,
        }
    }

    #[test]
    fn parses_and_prints_keys() {
        for s in [
            "q", "G", "?", "Enter", "BackTab", "C-l", "M-x", "F5", "Space", "PageDown",
        ] {
            assert_eq!(Key::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Key::parse("S-Tab").unwrap(), Key::code(Code::BackTab));
        assert_eq!(Key::parse("S-g").unwrap(), Key::char('G'));
        assert_eq!(Key::parse("C-L").unwrap(), Key::parse("C-l").unwrap());
        assert!(Key::parse("Ctrl+x").is_err());
        assert!(Key::parse("X-a").is_err());
    }

    #[test]
    fn defaults_have_no_conflicts() {
        Keymap::from_config(Path::new("c.toml"), &[]).unwrap();
        let km = Keymap::defaults();
        assert_eq!(
            km.lookup(Key::char('q'), Scope::Alerts, false),
            Some(CommandId::Quit)
        );
        assert_eq!(
            km.lookup(Key::char('a'), Scope::Alerts, false),
            Some(CommandId::Ack)
        );
        assert_eq!(km.lookup(Key::char('a'), Scope::Overview, false), None);
    }

    #[test]
    fn override_replaces_defaults() {
        let km = Keymap::from_config(Path::new("c.toml"), &[binding("quit", &["x"], 3)]).unwrap();
        assert_eq!(
            km.lookup(Key::char('x'), Scope::Overview, false),
            Some(CommandId::Quit)
        );
        assert_eq!(km.lookup(Key::char('q'), Scope::Overview, false), None);
    }

    #[test]
    fn duplicate_names_file_line_and_key() {
        let e =
            Keymap::from_config(Path::new("c.toml"), &[binding("help", &["j"], 7)]).unwrap_err();
        assert_eq!(e.file, PathBuf::from("c.toml"));
        assert_eq!((e.line, e.key.as_str()), (7, "keys.help"));
        assert!(e.message.contains("already bound to down"), "{e}");
        assert!(e.to_string().starts_with("c.toml:7:1: keys.help:"), "{e}");
    }

    #[test]
    fn same_key_in_two_panes_is_fine() {
        // `a` acks in alerts; pinning with `a` in the overview never meets it.
        Keymap::from_config(Path::new("c.toml"), &[binding("pin", &["a"], 2)]).unwrap();
    }

    #[test]
    fn multiplexer_prefixes_are_refused() {
        for k in ["C-b", "C-a"] {
            let e = Keymap::from_config(Path::new("c.toml"), &[binding("redraw", &[k], 4)])
                .unwrap_err();
            assert_eq!((e.line, e.key.as_str()), (4, "keys.redraw"));
            assert!(e.message.contains("prefix"), "{e}");
        }
    }

    #[test]
    fn fleet_changing_commands_stay_off_single_ctrl_keys() {
        let mut registry = COMMANDS.to_vec();
        registry.push(CommandSpec {
            id: CommandId::Reload,
            name: "drain",
            aliases: &[],
            arg: None,
            keys: &["D"],
            scope: Scope::Overview,
            description: "Take the node out of its load balancers",
            mutates: true,
        });
        let e = Keymap::build(
            &registry,
            Path::new("c.toml"),
            &[binding("drain", &["C-d"], 9)],
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (9, "keys.drain"));
        assert!(e.message.contains("Ctrl"), "{e}");
        Keymap::build(
            &registry,
            Path::new("c.toml"),
            &[binding("drain", &["M-d"], 9)],
        )
        .unwrap();
    }

    #[test]
    fn unknown_command_and_bad_key_are_errors() {
        let e =
            Keymap::from_config(Path::new("c.toml"), &[binding("qiut", &["x"], 5)]).unwrap_err();
        assert!(e.message.contains("unknown command \"qiut\""), "{e}");
        let e = Keymap::from_config(Path::new("c.toml"), &[binding("quit", &["Ctrl+x"], 6)])
            .unwrap_err();
        assert_eq!(e.line, 6);
    }
}
