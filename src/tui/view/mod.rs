//! Views: pure functions of `&App` that draw into a buffer, one file per pane.
//! They never read the clock (`App::now` is the time) and never change state.

pub mod alerts;
pub mod confirm;
pub mod detail;
pub mod events;
pub mod faucet;
pub mod faucet_form;
pub mod fmt;
pub mod help;
pub mod lb;
pub mod output;
pub mod overview;
pub mod status;
pub mod stress;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::widgets::Widget;

use super::app::{App, Pane};
use super::overlay::Overlay;

/// The whole screen as a widget, so it can draw into any buffer (the terminal's,
/// or a scratch one to tell whether anything changed).
pub struct Screen<'a>(pub &'a App);

impl Widget for Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(self.0, area, buf);
    }
}

/// Draws the frame, and puts the cursor on the input line when one is open.
pub fn frame(app: &App, f: &mut Frame<'_>) {
    let area = f.area();
    f.render_widget(Screen(app), area);
    if let Some(p) = cursor(app, area) {
        f.set_cursor_position(p);
    }
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height < 3 || area.width < 20 {
        buf.set_stringn(
            area.x,
            area.y,
            "btsops: window too small",
            area.width as usize,
            app.theme.banner,
        );
        return;
    }
    let header = Rect { height: 1, ..area };
    // A replay gets its timeline above the status bar.
    let timeline = u16::from(app.replay.is_some() && area.height >= 6);
    let body = Rect {
        y: area.y + 1,
        height: area.height - 2 - timeline,
        ..area
    };
    let footer = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    status::tabs(app, header, buf);
    match app.pane {
        Pane::Overview => overview::draw(app, body, buf),
        Pane::Detail => detail::draw(app, body, buf),
        Pane::Events => events::draw(app, body, buf),
        Pane::Alerts => alerts::draw(app, body, buf),
        Pane::Lb => lb::draw(app, body, buf),
        Pane::Faucet => faucet::draw(app, body, buf),
        Pane::Stress => stress::draw(app, body, buf),
    }
    status::bar(app, footer, buf);
    if timeline > 0 {
        let row = Rect {
            y: footer.y - 1,
            ..footer
        };
        status::timeline(app, row, buf);
    }
    status::long_notice(app, body, buf);
    for o in &app.overlays {
        match o {
            Overlay::Help { scroll } => help::draw(app, *scroll, body, buf),
            Overlay::Confirm(plan) => confirm::draw(app, plan, body, buf),
            Overlay::Arm(network) => confirm::draw_arm(app, network, body, buf),
            Overlay::Error(text) => status::long_error(app, text, body, buf),
            Overlay::FaucetForm(form) => faucet_form::draw(app, form, body, buf),
            Overlay::Output => output::draw(app, body, buf),
        }
    }
    status::completions(app, body, buf);
}

/// Where the terminal cursor goes: after the text of an open input line.
pub fn cursor(app: &App, area: Rect) -> Option<Position> {
    let text = status::input_line(app)?;
    let x = area.x + text.chars().count() as u16;
    Some(Position::new(
        x.min(area.right().saturating_sub(1)),
        area.bottom().saturating_sub(1),
    ))
}
