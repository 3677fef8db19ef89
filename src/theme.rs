//! Console themes: `themes/*.toml`, loaded strictly, with `NO_COLOR` honoured.
//!
//! The three stock themes are compiled in, so the binary works from any folder; a
//! theme named by path is read from disk. Errors are `ConfigError`s naming file,
//! line and key, exactly like the config file's, because a theme is config too.

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::config::{self, Config, ConfigError};

/// The stock themes: name, file name (for errors), text.
const BUILTIN: [(&str, &str, &str); 3] = [
    (
        "default",
        "themes/default.toml",
        include_str!("../themes/default.toml"),
    ),
    (
        "high-contrast",
        "themes/high-contrast.toml",
        include_str!("../themes/high-contrast.toml"),
    ),
    (
        "mono",
        "themes/mono.toml",
        include_str!("../themes/mono.toml"),
    ),
];

/// Every style the console draws with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub ok: Style,
    pub warn: Style,
    pub crit: Style,
    pub down: Style,
    pub unknown: Style,
    pub text: Style,
    pub dim: Style,
    pub header: Style,
    pub selected: Style,
    pub pinned: Style,
    pub border: Style,
    pub title: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub accent: Style,
    pub chart: Style,
    pub banner: Style,
    pub bar: Style,
    pub input: Style,
}

impl Theme {
    /// The compiled-in default theme. Infallible: its file is checked by tests.
    pub fn default_theme() -> Theme {
        Self::builtin("default").unwrap_or_else(|_| Theme::plain("default"))
    }

    /// The compiled-in mono theme, what `NO_COLOR` selects.
    pub fn mono() -> Theme {
        Self::builtin("mono").unwrap_or_else(|_| Theme::plain("mono"))
    }

    /// A stock theme by name.
    pub fn builtin(name: &str) -> Result<Theme, ConfigError> {
        match BUILTIN.iter().find(|(n, _, _)| *n == name) {
            Some((n, file, text)) => parse(n, Path::new(file), text),
            None => Err(ConfigError {
                file: PathBuf::from(name),
                line: 0,
                column: 0,
                key: String::new(),
                message: format!(
                    "no stock theme {name:?} (stock themes: {})",
                    builtin_names().join(", ")
                ),
            }),
        }
    }

    /// No styling at all; only a fallback if a stock theme failed its own tests.
    fn plain(name: &str) -> Theme {
        let s = Style::default();
        Theme {
            name: name.into(),
            ok: s,
            warn: s,
            crit: s,
            down: s,
            unknown: s,
            text: s,
            dim: s,
            header: s,
            selected: s.add_modifier(Modifier::REVERSED),
            pinned: s,
            border: s,
            title: s,
            tab: s,
            tab_active: s.add_modifier(Modifier::REVERSED),
            accent: s,
            chart: s,
            banner: s,
            bar: s.add_modifier(Modifier::REVERSED),
            input: s,
        }
    }
}

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _, _)| *n).collect()
}

/// True when the environment asks for no colour (`NO_COLOR` set and non-empty).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Resolves `ui.theme` from the config: a stock name, else a path (relative to the
/// config file's folder). `no_color` forces mono, whatever was asked for, but a bad
/// theme is still an error so the operator hears about it.
pub fn load(spec: &str, config_file: &Path, no_color: bool) -> Result<Theme, ConfigError> {
    let theme = if builtin_names().contains(&spec) {
        Theme::builtin(spec)?
    } else {
        load_file(&resolve(spec, config_file))?
    };
    Ok(if no_color { Theme::mono() } else { theme })
}

/// The theme `cfg` asks for, as [`load`] does, but with every error pointing at the
/// `ui.theme` line of the config: the operator edits the config, and a bare theme
/// path (or an OS error about a file they never named) does not say where.
pub fn load_for(cfg: &Config, no_color: bool) -> Result<Theme, ConfigError> {
    let spec = cfg.ui.theme.as_str();
    let (line, column) = cfg.ui.theme_at.unwrap_or((0, 0));
    let at = |message: String| ConfigError {
        file: cfg.source.clone(),
        line,
        column,
        key: "ui.theme".into(),
        message,
    };
    if !builtin_names().contains(&spec) && !resolve(spec, &cfg.source).exists() {
        let bare = Path::new(spec);
        // A bare word is almost surely a misspelt stock name, not a missing file.
        if bare.components().count() == 1 && bare.extension().is_none() {
            return Err(at(format!(
                "unknown theme {spec:?} (stock themes: {}; or a path to a theme file)",
                builtin_names().join(", ")
            )));
        }
    }
    load(spec, &cfg.source, no_color).map_err(|e| at(format!("bad theme file: {e}")))
}

/// A theme path as written in the config: relative to the config file's folder.
fn resolve(spec: &str, config_file: &Path) -> PathBuf {
    let path = PathBuf::from(spec);
    match config_file.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    }
}

/// Reads and checks one theme file.
pub fn load_file(path: &Path) -> Result<Theme, ConfigError> {
    let text =
        crate::files::read_text(path, config::MAX_CONFIG_BYTES).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read theme: {e}"),
        })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse(&name, path, &text)
}

/// Parses theme text; `file` is used in errors.
pub fn parse(name: &str, file: &Path, text: &str) -> Result<Theme, ConfigError> {
    let raw: raw::Root = toml::from_str(text).map_err(|e| config::toml_error(file, text, &e))?;
    let st = raw.status.unwrap_or_default();
    let ui = raw.ui.unwrap_or_default();
    let s = |v: Option<Spanned<raw::Style>>, key: &str| style(file, text, v, key);
    Ok(Theme {
        name: name.to_string(),
        ok: s(st.ok, "status.ok")?,
        warn: s(st.warn, "status.warn")?,
        crit: s(st.crit, "status.crit")?,
        down: s(st.down, "status.down")?,
        unknown: s(st.unknown, "status.unknown")?,
        text: s(ui.text, "ui.text")?,
        dim: s(ui.dim, "ui.dim")?,
        header: s(ui.header, "ui.header")?,
        selected: s(ui.selected, "ui.selected")?,
        pinned: s(ui.pinned, "ui.pinned")?,
        border: s(ui.border, "ui.border")?,
        title: s(ui.title, "ui.title")?,
        tab: s(ui.tab, "ui.tab")?,
        tab_active: s(ui.tab_active, "ui.tab_active")?,
        accent: s(ui.accent, "ui.accent")?,
        chart: s(ui.chart, "ui.chart")?,
        banner: s(ui.banner, "ui.banner")?,
        bar: s(ui.bar, "ui.bar")?,
        input: s(ui.input, "ui.input")?,
    })
}

fn style(
    file: &Path,
    text: &str,
    v: Option<Spanned<raw::Style>>,
    key: &str,
) -> Result<Style, ConfigError> {
    let Some(v) = v else {
        return Ok(Style::default());
    };
    let r = v.into_inner();
    let mut out = Style::default();
    for (c, which) in [(&r.fg, "fg"), (&r.bg, "bg")] {
        if let Some(c) = c {
            let colour = colour(c.get_ref()).ok_or_else(|| {
                config::error_at(
                    file,
                    text,
                    c.span(),
                    format!("{key}.{which}"),
                    format!(
                        "unknown colour {:?}: themes use the 16 ANSI colours only ({})",
                        c.get_ref(),
                        COLOURS.map(|(n, _)| n).join(", ")
                    ),
                )
            })?;
            out = if which == "fg" {
                out.fg(colour)
            } else {
                out.bg(colour)
            };
        }
    }
    for (flag, m) in [
        (r.bold, Modifier::BOLD),
        (r.dim, Modifier::DIM),
        (r.italic, Modifier::ITALIC),
        (r.underlined, Modifier::UNDERLINED),
        (r.reversed, Modifier::REVERSED),
    ] {
        if flag == Some(true) {
            out = out.add_modifier(m);
        }
    }
    Ok(out)
}

/// The colours a theme may name. Only the 16 ANSI ones, so the terminal's palette
/// (tuned by its owner for their background) decides the actual shades.
const COLOURS: [(&str, Color); 17] = [
    ("default", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("white", Color::Gray),
    ("bright-black", Color::DarkGray),
    ("bright-red", Color::LightRed),
    ("bright-green", Color::LightGreen),
    ("bright-yellow", Color::LightYellow),
    ("bright-blue", Color::LightBlue),
    ("bright-magenta", Color::LightMagenta),
    ("bright-cyan", Color::LightCyan),
    ("bright-white", Color::White),
];

fn colour(name: &str) -> Option<Color> {
    COLOURS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

mod raw {
    //! The file as written. Unknown keys anywhere are errors.
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Root {
        pub status: Option<Status>,
        pub ui: Option<Ui>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Status {
        pub ok: Option<Spanned<Style>>,
        pub warn: Option<Spanned<Style>>,
        pub crit: Option<Spanned<Style>>,
        pub down: Option<Spanned<Style>>,
        pub unknown: Option<Spanned<Style>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Ui {
        pub text: Option<Spanned<Style>>,
        pub dim: Option<Spanned<Style>>,
        pub header: Option<Spanned<Style>>,
        pub selected: Option<Spanned<Style>>,
        pub pinned: Option<Spanned<Style>>,
        pub border: Option<Spanned<Style>>,
        pub title: Option<Spanned<Style>>,
        pub tab: Option<Spanned<Style>>,
        pub tab_active: Option<Spanned<Style>>,
        pub accent: Option<Spanned<Style>>,
        pub chart: Option<Spanned<Style>>,
        pub banner: Option<Spanned<Style>>,
        pub bar: Option<Spanned<Style>>,
        pub input: Option<Spanned<Style>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Style {
        pub fg: Option<Spanned<String>>,
        pub bg: Option<Spanned<String>>,
        pub bold: Option<bool>,
        pub dim: Option<bool>,
        pub italic: Option<bool>,
        pub underlined: Option<bool>,
        pub reversed: Option<bool>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_themes_parse() {
        for name in builtin_names() {
            Theme::builtin(name).unwrap();
        }
    }

    #[test]
    fn default_theme_sets_no_background_and_no_black_or_white_text() {
        // A background or black/white text is what turns unreadable on the other
        // kind of terminal (dark vs light).
        let t = Theme::builtin("default").unwrap();
        for s in [
            t.ok,
            t.warn,
            t.crit,
            t.down,
            t.unknown,
            t.text,
            t.dim,
            t.header,
            t.selected,
            t.pinned,
            t.border,
            t.title,
            t.tab,
            t.tab_active,
            t.accent,
            t.chart,
            t.banner,
            t.bar,
            t.input,
        ] {
            assert_eq!(s.bg, None, "{s:?}");
            assert!(
                !matches!(
                    s.fg,
                    Some(Color::Black | Color::White | Color::Gray | Color::DarkGray)
                ),
                "{s:?}"
            );
        }
    }

    #[test]
    fn mono_has_no_colour() {
        let t = Theme::mono();
        for s in [t.ok, t.warn, t.crit, t.down, t.unknown, t.selected, t.bar] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
    }

    #[test]
    fn no_color_forces_mono() {
        let t = load("default", Path::new("/x/config.toml"), true).unwrap();
        assert_eq!(t, Theme::mono());
    }

    #[test]
    fn bad_colour_names_file_line_and_key() {
        let text = "[status]\nok = { fg = \"green\" }\nwarn = { fg = \"orange\" }\n";
        let e = parse("t", Path::new("my.toml"), text).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "status.warn.fg"));
        assert!(e.to_string().starts_with("my.toml:3:"), "{e}");
        assert!(e.message.contains("orange"), "{e}");
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "[ui]\nheader = { bold = true }\nheadr = { bold = true }\n";
        let e = parse("t", Path::new("my.toml"), text).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("headr"), "{e}");
        let text = "[ui]\nheader = { bolt = true }\n";
        let e = parse("t", Path::new("my.toml"), text).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("bolt"), "{e}");
    }

    #[test]
    fn unknown_stock_name_is_read_as_a_path() {
        let e = load("nope.toml", Path::new("/nonexistent/config.toml"), false).unwrap_err();
        assert_eq!(e.file, PathBuf::from("/nonexistent/nope.toml"));
    }
}
