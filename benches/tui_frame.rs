//! Overview frame with 500 endpoints against an empty frame, both drawn into an
//! off-screen buffer as the run loop's change check does. Reports p50/p99 and the
//! p99 ratio (machines here are noisy: ratios, not absolute times, are the result).
//! Context target: p99 < 2 ms.

use std::time::Instant;

use btsops::monitor::{
    EndpointKind, EndpointSnapshot, FleetSnapshot, Latency, NetworkSummary, Status, StatusCounts,
};
use btsops::theme::Theme;
use btsops::tui::{App, Keymap, Msg, update, view};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const T0: f64 = 1_764_000_000.0;

fn fleet(n: usize) -> FleetSnapshot {
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
        e.status = statuses[i % statuses.len()];
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
        });
    }
    snap
}

fn app(n: usize, w: u16, h: u16) -> App {
    let mut app = App::new(Theme::default_theme(), Keymap::defaults());
    update(&mut app, Msg::Resize(w, h));
    update(&mut app, Msg::Tick(T0));
    update(&mut app, Msg::Snapshot(Box::new(fleet(n))));
    app
}

/// p50 and p99 of drawing `app`, in microseconds.
fn measure(app: &App, area: Rect, rounds: usize) -> (f64, f64) {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut buf = Buffer::empty(area);
        let t = Instant::now();
        view::draw(app, area, &mut buf);
        times.push(t.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(&buf);
    }
    times.sort_by(f64::total_cmp);
    (times[rounds / 2], times[rounds * 99 / 100])
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
        let (e50, e99) = measure(&app(0, w, h), area, rounds);
        let (f50, f99) = measure(&app(500, w, h), area, rounds);
        println!(
            "overview {w}x{h}: empty p50 {e50:.0} us p99 {e99:.0} us; 500 rows p50 {f50:.0} us p99 {f99:.0} us; p99 ratio {:.1}x (target p99 < 2000 us)",
            f99 / e99.max(1.0)
        );
    }
}
