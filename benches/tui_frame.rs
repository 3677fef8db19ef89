//! Overview frame with 500 endpoints against an empty frame, each frame the whole path
//! a terminal frame takes: the view drawn into an off-screen buffer, the diff against
//! the previous frame, and the changed cells written through crossterm (to a byte sink,
//! so the terminal's own speed is not measured). Consecutive frames alternate between
//! two fleets so every diff has cells to write. Reports p50/p99 of each stage and the
//! whole, and the p99 ratio (machines here are noisy: ratios, not absolute times, are
//! the result). Context target: p99 < 2 ms.

use std::io::Write;
use std::time::Instant;

use btsops::monitor::{
    EndpointKind, EndpointSnapshot, FleetSnapshot, Latency, NetworkSummary, Status, StatusCounts,
};
use btsops::theme::Theme;
use btsops::tui::{App, Keymap, Msg, update, view};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const T0: f64 = 1_764_000_000.0;

fn fleet(n: usize, shift: usize) -> FleetSnapshot {
    let statuses = [
        Status::Ok,
        Status::Ok,
        Status::Ok,
        Status::Warn,
        Status::Crit,
        Status::Down,
    ];
    let mut snap = FleetSnapshot::empty();
    snap.time = T0;
    for i in 0..n {
        let network = format!("net-{}", i % 4);
        let name = format!("node-{i:03}");
        let mut e = EndpointSnapshot::new(
            EndpointKind::Node,
            &network,
            &name,
            "wss://x.example.org/ws",
        );
        e.status = statuses[(i + shift) % statuses.len()];
        e.head_num = Some(80_000_000 + (i % 7) as u32);
        e.lag_blocks = Some((i % 7) as u64);
        e.lag_s = Some((i % 9) as f64);
        e.latency = Latency {
            samples: 60,
            p50_ms: Some(40.0 + (i % 13) as f64),
            p95_ms: Some(80.0),
            p99_ms: Some(120.0 + (i % 17) as f64),
            max_ms: Some(200.0),
            last_ms: Some(45.0),
            history: (0..60)
                .map(|j| Some(((i + j) % 23) as f64 * 10.0))
                .collect(),
        };
        e.availability_pct = Some(99.0 + (i % 10) as f64 / 10.0);
        e.reasons = if e.status == Status::Ok {
            vec![]
        } else {
            vec!["lag 3 blocks".into()]
        };
        snap.endpoints.push(e);
    }
    for k in 0..4 {
        let mut counts = StatusCounts::default();
        for e in snap
            .endpoints
            .iter()
            .filter(|e| e.network == format!("net-{k}"))
        {
            counts.add(e.status);
        }
        snap.networks.push(NetworkSummary {
            name: format!("net-{k}"),
            chain_id: "0".repeat(64),
            best_head: Some(80_000_006),
            best_node: Some("node-006".into()),
            counts,
            status: Status::Down,
            versions: Vec::new(),
        });
    }
    snap
}

fn app(n: usize, shift: usize, w: u16, h: u16) -> App {
    let mut app = App::new(Theme::default_theme(), Keymap::defaults());
    update(&mut app, Msg::Resize(w, h));
    update(&mut app, Msg::Tick(T0));
    update(&mut app, Msg::Snapshot(Box::new(fleet(n, shift))));
    app
}

/// p50 and p99 in microseconds of one stage.
struct Stage(f64, f64);

fn stage(mut times: Vec<f64>) -> Stage {
    times.sort_by(f64::total_cmp);
    Stage(times[times.len() / 2], times[times.len() * 99 / 100])
}

/// View, diff, write and the whole frame, alternating between `apps`.
fn measure(apps: &[App; 2], area: Rect, rounds: usize) -> [Stage; 4] {
    let mut backend = CrosstermBackend::new(std::io::sink());
    let mut prev = Buffer::empty(area);
    let mut t = [(); 4].map(|_| Vec::with_capacity(rounds));
    for i in 0..rounds {
        let mut buf = Buffer::empty(area);
        let t0 = Instant::now();
        view::draw(&apps[i % 2], area, &mut buf);
        let t1 = Instant::now();
        let changes = prev.diff(&buf);
        let t2 = Instant::now();
        backend.draw(changes.into_iter()).expect("write to a sink");
        Write::flush(&mut backend).expect("flush a sink");
        let t3 = Instant::now();
        let us = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e6;
        t[0].push(us(t0, t1));
        t[1].push(us(t1, t2));
        t[2].push(us(t2, t3));
        t[3].push(us(t0, t3));
        prev = buf;
    }
    t.map(stage)
}

fn main() {
    // `cargo test --benches` runs this too: keep that run short.
    let rounds = if std::env::args().any(|a| a == "--bench") {
        2000
    } else {
        20
    };
    for (w, h) in [(80, 24), (200, 50)] {
        let area = Rect::new(0, 0, w, h);
        let empty = measure(&[app(0, 0, w, h), app(0, 1, w, h)], area, rounds);
        let full = measure(&[app(500, 0, w, h), app(500, 1, w, h)], area, rounds);
        for (name, s) in [("empty", &empty), ("500 rows", &full)] {
            println!(
                "overview {w}x{h} {name}: view p50 {:.0}/p99 {:.0} us, diff {:.0}/{:.0} us, write {:.0}/{:.0} us, frame {:.0}/{:.0} us",
                s[0].0, s[0].1, s[1].0, s[1].1, s[2].0, s[2].1, s[3].0, s[3].1
            );
        }
        println!(
            "overview {w}x{h}: frame p99 ratio 500 rows/empty {:.1}x (target p99 < 2000 us)",
            full[3].1 / empty[3].1.max(1.0)
        );
    }
}
