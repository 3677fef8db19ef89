//! Text from a node is data, never terminal input.
//!
//! Error messages, `get_info` and other strings a node sends end up in the table of
//! `check`, the lines of `watch`, the console, recordings and `alert_command`
//! arguments. A hostile node could put escape sequences in them (clear the screen,
//! move the cursor, forge table lines) or send a 200 KB error that no longer fits in
//! a process argument. [`node_text`] makes such text safe once, where it is captured,
//! so every consumer gets clean text.

/// Longest node-supplied text kept, in characters: an error message of a real node
/// is a few hundred characters at most.
pub const MAX_NODE_TEXT: usize = 500;

/// Marks where text was cut.
const ELLIPSIS: char = '…';

/// `text` with control characters replaced and its length capped at `max_chars`
/// (an ellipsis marks the cut). Line breaks and tabs become spaces (one line per
/// entry in tables and logs); other C0/C1 controls, DEL and the bidirectional
/// overrides that can reorder what a terminal shows become U+FFFD, so the operator
/// sees that something was there.
pub fn sanitize(text: &str, max_chars: usize) -> String {
    clean(text, max_chars, false)
}

/// As [`sanitize`] with [`MAX_NODE_TEXT`]: for one-line node text.
pub fn node_text(text: &str) -> String {
    sanitize(text, MAX_NODE_TEXT)
}

/// As [`sanitize`] but keeps line breaks (`\n`): for multi-line text shown in a
/// scrolling pane (a raw reply), where each line is drawn on its own.
pub fn sanitize_lines(text: &str, max_chars: usize) -> String {
    clean(text, max_chars, true)
}

/// Whether `text` would pass [`sanitize`] unchanged (ignoring length).
pub fn is_clean(text: &str) -> bool {
    text.chars().all(|c| clean_char(c, false) == c)
}

fn clean(text: &str, max_chars: usize, keep_newline: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4) + 4));
    for (n, c) in text.chars().enumerate() {
        if n >= max_chars {
            out.push(ELLIPSIS);
            break;
        }
        out.push(clean_char(c, keep_newline));
    }
    out
}

fn clean_char(c: char, keep_newline: bool) -> char {
    match c {
        '\n' if keep_newline => '\n',
        '\n' | '\r' | '\t' => ' ',
        c if c.is_control() || is_bidi_control(c) => char::REPLACEMENT_CHARACTER,
        c => c,
    }
}

/// Embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) and the
/// implicit marks: they make a terminal show text in another order than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_cannot_reach_the_terminal() {
        let hostile = "ok\x1b[2J\x1b[H\u{9b}31mforged\r\nline\x07\u{202e}";
        let s = node_text(hostile);
        assert!(is_clean(&s), "{s:?}");
        assert!(!s.contains('\x1b') && !s.contains('\u{9b}') && !s.contains('\n'));
        assert_eq!(
            s,
            "ok\u{fffd}[2J\u{fffd}[H\u{fffd}31mforged  line\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn length_is_capped_with_a_mark() {
        let s = sanitize(&"é".repeat(200_000), 10);
        assert_eq!(s.chars().count(), 11);
        assert!(s.ends_with(ELLIPSIS));
        assert_eq!(sanitize("short", 10), "short");
        assert_eq!(sanitize("exactly10!", 10), "exactly10!");
    }

    #[test]
    fn lines_are_kept_only_where_asked() {
        assert_eq!(sanitize_lines("a\nb\x1bc\r", 100), "a\nb\u{fffd}c ");
        assert!(!is_clean("a\nb"));
        assert!(is_clean("plain text, ünïcode ✓"));
    }
}
