//! Tab completion on the `:` command line: command names, then each command's
//! arguments (`:sort` columns, `:network` networks, `:node` endpoints). Pure: the
//! line in, the completed line and the choices out.

use super::columns::Column;
use super::commands::{COMMANDS, CommandId, by_name};
use super::state::App;

/// What Tab does to a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The line after completing as far as every choice agrees.
    pub line: String,
    /// Every word that fits what was typed, when more than one does (to list them).
    pub choices: Vec<String>,
}

/// Completes the last word of `line`.
pub fn complete(app: &App, line: &str) -> Completion {
    let (head, word, candidates) = match line.split_once(char::is_whitespace) {
        None => (String::new(), line, first_words(app)),
        Some((cmd, arg)) => {
            let arg = arg.trim_start();
            let words = by_name(cmd)
                .map(|c| arguments(app, c.id))
                .unwrap_or_default();
            (format!("{cmd} "), arg, words)
        }
    };
    let mut choices: Vec<String> = candidates
        .into_iter()
        .filter(|c| c.starts_with(word))
        .collect();
    choices.dedup();
    match choices.len() {
        0 => Completion {
            line: line.to_string(),
            choices,
        },
        1 => {
            let only = &choices[0];
            // A command that takes an argument gets its space, ready for it.
            let space = head.is_empty() && by_name(only).is_some_and(|c| c.arg.is_some());
            Completion {
                line: format!("{head}{only}{}", if space { " " } else { "" }),
                choices: Vec::new(),
            }
        }
        _ => Completion {
            line: format!("{head}{}", common_prefix(&choices)),
            choices,
        },
    }
}

/// What a line may start with: a command, a network, a node.
fn first_words(app: &App) -> Vec<String> {
    let mut v: Vec<String> = COMMANDS.iter().map(|c| c.name.to_string()).collect();
    v.extend(app.networks().into_iter().map(String::from));
    v.extend(app.fleet.endpoints.iter().map(|e| e.name.clone()));
    v.sort();
    v
}

/// The words a command takes.
fn arguments(app: &App, id: CommandId) -> Vec<String> {
    match id {
        CommandId::Sort => Column::sort_keys().into_iter().map(String::from).collect(),
        CommandId::Network => {
            let mut v = vec!["all".to_string()];
            v.extend(app.networks().into_iter().map(String::from));
            v
        }
        CommandId::Arm => app.protected.iter().cloned().collect(),
        CommandId::Node => {
            let mut v: Vec<String> = app.fleet.endpoints.iter().map(|e| e.name.clone()).collect();
            v.sort();
            v
        }
        _ => Vec::new(),
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut n = first.len();
    for w in &words[1..] {
        n = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(n);
    }
    first[..n].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::Theme;
    use crate::tui::keymap::Keymap;

    fn app() -> App {
        App::new(Theme::mono(), Keymap::defaults())
    }

    #[test]
    fn completes_command_names() {
        let a = app();
        let c = complete(&a, "rel");
        assert_eq!(c.line, "reload");
        assert!(c.choices.is_empty());
        // Several: as far as they agree, and the list.
        let c = complete(&a, "s");
        assert!(c.choices.contains(&"sort".to_string()), "{c:?}");
        assert!(c.choices.contains(&"snooze".to_string()), "{c:?}");
        assert_eq!(c.line, "s");
        let c = complete(&a, "sn");
        assert_eq!(c.line, "snooze");
        assert_eq!(c.choices, ["snooze", "snoozed"]);
        // One that takes an argument gets a space.
        assert_eq!(complete(&a, "nod").line, "node ");
        assert_eq!(complete(&a, "sor").choices, ["sort", "sort-reverse"]);
        assert_eq!(complete(&a, "xyz").line, "xyz");
    }

    #[test]
    fn completes_sort_columns() {
        let a = app();
        let c = complete(&a, "sort ");
        assert_eq!(c.choices, Column::sort_keys());
        assert_eq!(complete(&a, "sort ve").line, "sort version");
        assert_eq!(complete(&a, "sort la").choices, ["lag", "latency"]);
        assert_eq!(complete(&a, "sort la").line, "sort la");
    }
}
