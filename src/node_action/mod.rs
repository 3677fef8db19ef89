//! Node actions (`[[action]]` in the config, like k9s plugins): a command run on a
//! node, a load balancer's server or a network, e.g. `["ssh", "{host}", "docker",
//! "restart", "witness_node"]`.
//!
//! - here: the action's spec and its expansion for one target (pure). A placeholder's
//!   value always stays inside the one argument it was written in; nothing is ever
//!   run through a shell unless the argv itself names one, and then no placeholder may
//!   sit in the shell's script (config validation refuses it; pass values as the
//!   script's positional arguments instead).
//! - [`run`]: runs an expanded argv in its own process group with a timeout, streaming
//!   its output, and kills the whole group when the time is up.

pub mod run;

use std::time::Duration;

/// What an action runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// An API node (`[[network.node]]`).
    Node,
    /// A server of a load balancer's backend.
    LbServer,
    /// A whole network.
    Network,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Node, Scope::LbServer, Scope::Network];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Node => "node",
            Scope::LbServer => "lb_server",
            Scope::Network => "network",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The placeholders an argument may hold.
pub const PLACEHOLDERS: [&str; 5] = ["host", "name", "url", "network", "region"];

/// Programs whose `-c` argument is a script: a placeholder there would be spliced into
/// shell code, which is what this module exists to prevent.
const SHELLS: [&str; 8] = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish"];

/// Default time an action may run before its process group is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// One `[[action]]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSpec {
    pub name: String,
    /// The console key, as written (checked against the keymap by the console).
    pub key: String,
    pub scope: Scope,
    /// Program and arguments, placeholders unexpanded.
    pub command: Vec<String>,
    pub timeout: Duration,
    /// Where `key` was written, for a clash error.
    pub key_line: usize,
    pub key_column: usize,
}

/// The values of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub host: Option<String>,
    pub name: String,
    pub url: Option<String>,
    pub network: String,
    pub region: Option<String>,
}

impl Values {
    fn get(&self, placeholder: &str) -> Option<&str> {
        match placeholder {
            "host" => self.host.as_deref(),
            "name" => Some(&self.name),
            "url" => self.url.as_deref(),
            "network" => Some(&self.network),
            "region" => self.region.as_deref(),
            _ => None,
        }
    }
}

/// A piece of an argument template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits `{word}` placeholders out of an argument. Braces around anything that is not
/// a lower-case word (JSON, `${VAR}` is still `$` + `{VAR}`…) are text; an unknown
/// lower-case word is an error, so a typo (`{hots}`) is caught at load.
fn pieces(arg: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let word_len = after
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
            .count();
        if word_len > 0 && after[word_len..].starts_with('}') {
            let word = &after[..word_len];
            if !PLACEHOLDERS.contains(&word) {
                return Err(format!(
                    "unknown placeholder {{{word}}} in {arg:?} (placeholders: {})",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                ));
            }
            if open > 0 {
                out.push(Piece::Text(&rest[..open]));
            }
            out.push(Piece::Placeholder(word));
            rest = &after[word_len + 1..];
        } else {
            out.push(Piece::Text(&rest[..=open]));
            rest = after;
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

fn has_placeholder(arg: &str) -> Result<bool, String> {
    Ok(pieces(arg)?
        .iter()
        .any(|p| matches!(p, Piece::Placeholder(_))))
}

/// Checks a command as written in the config; the message says what to change.
pub fn check_command(argv: &[String]) -> Result<(), String> {
    let Some(program) = argv.first().filter(|p| !p.trim().is_empty()) else {
        return Err("needs a program, e.g. [\"ssh\", \"{host}\", \"docker\", \"restart\", \"witness_node\"] (run without a shell)".into());
    };
    if has_placeholder(program)? {
        return Err(format!(
            "the program {program:?} may not come from a placeholder"
        ));
    }
    for a in argv {
        has_placeholder(a)?;
    }
    let base = program.rsplit('/').next().unwrap_or(program);
    if SHELLS.contains(&base) {
        // `sh -c SCRIPT [NAME ARGS…]`: the script is the argument after the first
        // option that contains `c` (`-c`, `-ec`, `-xc`).
        let script = argv
            .iter()
            .skip(1)
            .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))
            .and_then(|i| argv.get(i + 2));
        if let Some(script) = script
            && has_placeholder(script)?
        {
            return Err(format!(
                "a placeholder in the script of {base} -c would be spliced into shell code; pass it as an argument instead, e.g. [\"{base}\", \"-c\", \"docker restart \\\"$1\\\"\", \"{base}\", \"{{name}}\"]"
            ));
        }
    }
    Ok(())
}

/// The argv for one target: each argument with its placeholders replaced, still one
/// argument each. An error names the placeholder that has no value for this target.
pub fn expand(command: &[String], v: &Values) -> Result<Vec<String>, String> {
    command
        .iter()
        .map(|arg| {
            let mut out = String::new();
            for p in pieces(arg)? {
                match p {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Placeholder(w) => match v.get(w) {
                        Some(val) => out.push_str(val),
                        None => {
                            return Err(format!(
                                "{{{w}}} has no value for {} (set {w} in its config entry)",
                                v.name
                            ));
                        }
                    },
                }
            }
            Ok(out)
        })
        .collect()
}

/// An argv as the confirmation shows it: each argument quoted when it is not plain, so
/// the operator sees exactly where one ends (`ssh 'a b' docker restart x`).
pub fn display(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The values of a configured node: `{host}` is its `host` when set, else its URL's host.
pub fn node_values(network: &crate::config::Network, node: &crate::config::Node) -> Values {
    Values {
        host: node
            .host
            .clone()
            .or_else(|| node.url.host_str().map(str::to_string)),
        name: node.name.clone(),
        url: Some(node.url.to_string()),
        network: network.name.clone(),
        region: node.region.clone(),
    }
}

/// The values of a network: `{name}` and `{network}` are its name.
pub fn network_values(network: &crate::config::Network) -> Values {
    Values {
        host: None,
        name: network.name.clone(),
        url: None,
        network: network.name.clone(),
        region: None,
    }
}

/// The values of a load balancer's server: `{host}` is the server's address as the
/// load balancer has it, `{region}` the load balancer's.
pub fn lb_server_values(network: &str, region: Option<&str>, server: &str, addr: &str) -> Values {
    Values {
        host: Some(addr.to_string()).filter(|a| !a.is_empty()),
        name: server.to_string(),
        url: None,
        network: network.to_string(),
        region: region.map(str::to_string),
    }
}

/// A target resolved from the config: where it belongs, what it is called in the audit
/// log, and its placeholder values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub network: String,
    /// `node eu-1`, `network mainnet`, `lb-eu/be/node1`.
    pub target: String,
    pub values: Values,
}

/// Resolves a node or network target by name; a load balancer's server needs the
/// server's address from a read of the load balancer ([`lb_server_values`]).
pub fn resolve(
    config: &crate::config::Config,
    scope: Scope,
    name: &str,
) -> Result<Resolved, String> {
    match scope {
        Scope::Node => config
            .networks
            .iter()
            .find_map(|n| n.nodes.iter().find(|x| x.name == name).map(|x| (n, x)))
            .map(|(n, x)| Resolved {
                network: n.name.clone(),
                target: format!("node {name}"),
                values: node_values(n, x),
            })
            .ok_or_else(|| format!("no [[network.node]] named {name:?}")),
        Scope::Network => config
            .network(name)
            .map(|n| Resolved {
                network: n.name.clone(),
                target: format!("network {name}"),
                values: network_values(n),
            })
            .ok_or_else(|| format!("no [[network]] named {name:?}")),
        Scope::LbServer => Err("a load balancer's server is named LB/BACKEND/SERVER".into()),
    }
}

/// The audit line of a run of action `name` on `target`: the argv as run, how it ended.
pub fn audit_entry(
    name: &str,
    network: &str,
    target: &str,
    timeout: Duration,
    argv: &[String],
    outcome: &run::Outcome,
) -> crate::audit::Entry {
    let mut e = crate::audit::Entry::now(network, target, &format!("action {name}"));
    e.before = serde_json::json!({ "argv": argv });
    e.after = serde_json::json!({
        "exit": match outcome.exit {
            run::Exit::Code(c) => serde_json::json!(c),
            _ => serde_json::Value::Null,
        },
        "elapsed_s": (outcome.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
    });
    e.result = outcome.exit.describe(timeout);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn values() -> Values {
        Values {
            host: Some("n1.example.org".into()),
            name: "eu-1".into(),
            url: Some("wss://n1.example.org/ws".into()),
            network: "mainnet".into(),
            region: None,
        }
    }

    #[test]
    fn placeholders_expand_inside_their_own_argument() {
        let cmd = argv(&[
            "ssh",
            "{host}",
            "docker",
            "restart",
            "--name={name}-{network}",
        ]);
        assert_eq!(
            expand(&cmd, &values()).unwrap(),
            argv(&[
                "ssh",
                "n1.example.org",
                "docker",
                "restart",
                "--name=eu-1-mainnet"
            ])
        );
    }

    #[test]
    fn a_value_with_shell_metacharacters_stays_one_argument() {
        let mut v = values();
        v.name = "x; rm -rf / $(id) `id` | cat > y & 'q' \"z\"".into();
        let out = expand(&argv(&["echo", "{name}"]), &v).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[1], v.name);
    }

    #[test]
    fn a_missing_value_names_the_placeholder() {
        let e = expand(&argv(&["x", "{region}"]), &values()).unwrap_err();
        assert!(e.contains("{region}") && e.contains("eu-1"), "{e}");
    }

    #[test]
    fn other_braces_are_text_and_typos_are_errors() {
        let cmd = argv(&["jq", "{.a}", "${HOME}", "{}"]);
        assert_eq!(expand(&cmd, &values()).unwrap(), cmd);
        let e = check_command(&argv(&["ssh", "{hots}"])).unwrap_err();
        assert!(e.contains("{hots}"), "{e}");
    }

    #[test]
    fn no_placeholder_in_a_shell_script() {
        let e = check_command(&argv(&["sh", "-c", "docker restart {name}"])).unwrap_err();
        assert!(e.contains("spliced"), "{e}");
        let e = check_command(&argv(&["/bin/bash", "-ec", "echo {host}"])).unwrap_err();
        assert!(e.contains("spliced"), "{e}");
        // As a positional argument of the script it is fine.
        check_command(&argv(&[
            "sh",
            "-c",
            "docker restart \"$1\"",
            "sh",
            "{name}",
        ]))
        .unwrap();
        assert!(check_command(&argv(&["{host}"])).is_err());
        assert!(check_command(&[]).is_err());
    }

    #[test]
    fn display_quotes_what_is_not_plain() {
        assert_eq!(
            display(&argv(&["ssh", "a b", "it's", "x=1"])),
            "ssh 'a b' 'it'\\''s' x=1"
        );
    }
}
