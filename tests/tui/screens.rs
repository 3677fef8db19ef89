//! Whole screens on `TestBackend`, snapshotted with insta: the text, then every run
//! of non-default style, so a theme change shows up in review.

use btsops::theme::Theme;
use btsops::tui::App;
use btsops::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;

use super::fleet::{app_with, press};
use super::replay::{incident_offset, replayed};

/// The screen as text, then its styled runs as `row: from-to style`.
pub fn render(app: &App) -> String {
    let (w, h) = app.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::frame(app, f)).unwrap();
    describe(term.backend().buffer())
}

pub fn describe(buf: &Buffer) -> String {
    let area = buf.area;
    let mut text = String::new();
    let mut styles = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut runs: Vec<(u16, u16, Style)> = Vec::new();
        let mut skip = 0;
        for x in 0..area.width {
            let c = &buf[(x, y)];
            if skip == 0 {
                line.push_str(c.symbol());
                skip = unicode_width(c.symbol()).saturating_sub(1);
            } else {
                skip -= 1;
            }
            let s = c.style();
            let plain = Style::default()
                .fg(ratatui::style::Color::Reset)
                .bg(ratatui::style::Color::Reset);
            let s = if s == plain { Style::default() } else { s };
            match runs.last_mut() {
                Some((_, end, st)) if *st == s && *end == x => *end = x + 1,
                _ => runs.push((x, x + 1, s)),
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
        let runs: Vec<String> = runs
            .into_iter()
            .filter(|(_, _, s)| *s != Style::default())
            .map(|(a, b, s)| format!("{a}-{b} {}", style_text(s)))
            .collect();
        if !runs.is_empty() {
            styles.push_str(&format!("{y:>2}: {}\n", runs.join(" | ")));
        }
    }
    format!("{text}--- styles ---\n{styles}")
}

fn unicode_width(s: &str) -> usize {
    // Every symbol the console draws is one cell wide; wide glyphs would need two.
    s.chars().count().max(1)
}

fn style_text(s: Style) -> String {
    let mut out = Vec::new();
    if let Some(c) = s.fg.filter(|c| *c != ratatui::style::Color::Reset) {
        out.push(format!("fg:{c:?}"));
    }
    if let Some(c) = s.bg.filter(|c| *c != ratatui::style::Color::Reset) {
        out.push(format!("bg:{c:?}"));
    }
    if !s.add_modifier.is_empty() {
        out.push(format!("+{:?}", s.add_modifier));
    }
    out.join(" ")
}

pub fn themes() -> [(&'static str, Theme); 3] {
    let high_contrast = Theme::builtin("high-contrast").expect("stock theme parses");
    [
        ("default", Theme::default_theme()),
        ("mono", Theme::mono()),
        ("high-contrast", high_contrast),
    ]
}

/// Each pane: its name and the keys that open it from a fresh app.
const SCREENS: [(&str, &str); 5] = [
    ("overview", ""),
    ("detail", ": node Space lagging Enter"),
    ("events", "2"),
    ("alerts", "3 j"),
    ("help", "?"),
];

/// Every pane, both sizes, both themes, from the replayed fixture recording. The
/// overview is also taken mid-incident, while `a` and the seed are down.
#[test]
fn screens() {
    for (theme_name, theme) in themes() {
        for (w, h) in [(80, 24), (200, 50)] {
            for (screen, keys) in SCREENS {
                let mut app = replayed(theme.clone(), w, h, None);
                press(&mut app, keys);
                let name = format!("{screen}_{w}x{h}_{theme_name}");
                insta::assert_snapshot!(name, render(&app));
            }
            let app = replayed(theme.clone(), w, h, Some(incident_offset()));
            let screen = render(&app);
            // The incident screen shows what its name claims.
            for name in ["a", "seed-1"] {
                assert!(
                    screen
                        .lines()
                        .any(|l| l.contains("down") && l.split_whitespace().any(|w| w == name)),
                    "{name} not down on the incident screen:\n{screen}"
                );
            }
            insta::assert_snapshot!(format!("incident_{w}x{h}_{theme_name}"), screen);
        }
    }
}

/// The hand-built fleet has what the recording lacks: unknown endpoints, a wrong
/// chain id, the clock-offset warning, an expiring certificate.
#[test]
fn hand_built_screens() {
    for (screen, keys) in [("overview", ""), ("detail", "j j Enter")] {
        let mut app = app_with(Theme::default_theme(), 80, 24);
        press(&mut app, keys);
        insta::assert_snapshot!(format!("handbuilt_{screen}_80x24"), render(&app));
    }
}

/// The alerts pane on the hand-built fleet, both sizes: severities, a cleared alert
/// with its end and length; one snoozed (`z`), the snoozed list (`Z`), and the list
/// again after unsnoozing it there (`u`, `Z`).
#[test]
fn alerts_pane_screens() {
    for (w, h) in [(80, 24), (200, 50)] {
        for (screen, keys) in [
            ("alerts", "3"),
            ("snoozed", "3 j z Z"),
            ("unsnoozed", "3 j z Z u Z"),
        ] {
            let mut app = app_with(Theme::default_theme(), w, h);
            press(&mut app, keys);
            insta::assert_snapshot!(format!("handbuilt_{screen}_{w}x{h}"), render(&app));
        }
    }
}

#[test]
fn status_is_never_colour_alone() {
    // In mono every status still reads: the words are on screen.
    let app = app_with(Theme::mono(), 80, 24);
    let s = render(&app);
    for word in ["▼ down", "✗ crit", "▲ warn", "✓ ok", "? ---"] {
        assert!(s.contains(word), "{word} missing:\n{s}");
    }
}

#[test]
fn overview_fits_300_columns_and_tiny_windows() {
    let app = app_with(Theme::default_theme(), 300, 80);
    let s = render(&app);
    assert!(s.contains("version") && s.contains("cert"), "{s}");
    let app = app_with(Theme::default_theme(), 10, 2);
    assert!(render(&app).contains("btsops"));
}

#[test]
fn command_line_and_filter_show_at_the_bottom() {
    let mut app = app_with(Theme::default_theme(), 80, 24);
    press(&mut app, "/ eu");
    let s = render(&app);
    assert!(
        s.lines().nth(23).is_some_and(|l| l.starts_with("/eu")),
        "{s}"
    );
    press(&mut app, "Enter :");
    let s = render(&app);
    assert!(s.lines().nth(23).is_some_and(|l| l.starts_with(':')), "{s}");
}
