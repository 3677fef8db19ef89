//! The help overlay as a pager with a legend, and Tab completion on the `:` line.

use btsops::theme::Theme;
use btsops::tui::App;
use btsops::tui::app::Input;
use btsops::tui::columns::Column;
use btsops::tui::overlay::Overlay;
use btsops::tui::view::help::{LEGEND, max_scroll};

use super::fleet::{app, app_with, press};
use super::replay::replayed;
use super::screens::{render, themes};

fn help_scroll(a: &App) -> Option<u16> {
    a.overlays.iter().find_map(|o| match o {
        Overlay::Help { scroll } => Some(*scroll),
        _ => None,
    })
}

#[test]
fn help_scrolls_like_a_pager_and_q_or_esc_close_it() {
    let mut a = app();
    press(&mut a, "?");
    assert_eq!(help_scroll(&a), Some(0));
    let max = max_scroll(&a);
    assert!(
        max > a.page as u16,
        "the help fits one page at 80x24? {max}"
    );
    press(&mut a, "j j k");
    assert_eq!(help_scroll(&a), Some(1));
    press(&mut a, "PageDown");
    assert_eq!(help_scroll(&a), Some(1 + a.page as u16));
    press(&mut a, "PageUp PageUp");
    assert_eq!(help_scroll(&a), Some(0));
    // The end shows the legend; up from there moves at once.
    press(&mut a, "G");
    assert_eq!(help_scroll(&a), Some(max));
    assert!(render(&a).contains("Bytes per second this console writes"));
    press(&mut a, "j k");
    assert_eq!(help_scroll(&a), Some(max - 1));
    press(&mut a, "g");
    assert_eq!(help_scroll(&a), Some(0));
    // `q` closes the help and does not quit; so does Esc; Ctrl-C still quits.
    press(&mut a, "q");
    assert_eq!(help_scroll(&a), None);
    assert!(!a.quit);
    press(&mut a, "? Esc");
    assert_eq!(help_scroll(&a), None);
    assert!(!a.quit);
    press(&mut a, "? C-c");
    assert!(a.quit);
}

/// Every mark the screens draw is in the legend.
#[test]
fn every_drawn_symbol_is_explained() {
    let legend: String = LEGEND.iter().map(|(s, m)| format!("{s} {m} ")).collect();
    let marks = "✓▲✗▼!~•↓↑●○×≠";
    let mut screens = Vec::new();
    for keys in ["", "3", "j j Enter", "p"] {
        let mut a = app_with(Theme::mono(), 200, 50);
        press(&mut a, keys);
        screens.push(render(&a));
    }
    screens.push(render(&replayed(Theme::mono(), 200, 50, None)));
    for s in &screens {
        let text = s.split("--- styles ---").next().unwrap_or("");
        for m in marks.chars().filter(|m| text.contains(*m)) {
            assert!(legend.contains(m), "{m} is drawn but not in the legend");
        }
    }
    for word in ["lag b/s", "LIB lag", "? ---", "connecting…"] {
        assert!(legend.contains(word), "{word} not in the legend");
    }
}

/// The help's last page (its legend), both sizes, every theme.
#[test]
fn help_legend_screens() {
    for (theme_name, theme) in themes() {
        for (w, h) in [(80, 24), (200, 50)] {
            let mut a = app_with(theme.clone(), w, h);
            press(&mut a, "? G");
            insta::assert_snapshot!(format!("help_legend_{w}x{h}_{theme_name}"), render(&a));
        }
    }
}

#[test]
fn tab_completes_commands_and_sort_columns() {
    let mut a = app();
    press(&mut a, ": rel Tab");
    assert_eq!(a.input, Input::Command("reload".into()));
    press(&mut a, "Esc");
    // Several commands fit: the line goes as far as they agree, and they are listed
    // above it.
    press(&mut a, ": sn Tab");
    assert_eq!(a.input, Input::Command("snooze".into()));
    assert_eq!(a.completions, ["snooze", "snoozed"]);
    assert!(render(&a).contains("snooze  snoozed"));
    // `:sort ` lists its columns.
    press(&mut a, "Esc : sort Space Tab");
    assert_eq!(a.completions, Column::sort_keys());
    let screen = render(&a);
    assert!(
        screen.contains("status  network  name  head  lag"),
        "{screen}"
    );
    press(&mut a, "ve Tab");
    assert_eq!(a.input, Input::Command("sort version".into()));
    assert!(a.completions.is_empty());
    press(&mut a, "Enter");
    assert_eq!(a.overview.sort, Column::Version);
    // Version does not fit at 80 columns, but what the rows are sorted by shows.
    let screen = render(&a);
    assert!(screen.contains("version↓"), "{screen}");
}
