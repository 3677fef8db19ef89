//! Seeds beyond L1 on loopback: hostile seeds written here (random bytes, a huge length
//! prefix, silence after the key, garbage after the key) get a truthful status with
//! bounded reads while every other probe keeps going; simnet's seeds answer at L2, and
//! one on another chain is crit, one behind is lagging.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use btsops::chain::p2p::{
    BLOCK, EphemeralKey, KEY_LEN, MAX_HELLO_BYTES, StreamKeys, parse_peer_key,
};
use btsops::monitor::seed_probe;
use btsops::monitor::{SeedLevel, Status};
use btsops::simnet::{Fleet, FleetDescription, FleetHandle};
use support::monitor::{CHAIN_ID, config_text, ep, last_snapshot, parse, start_engine, wait_for};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const LONG: Duration = Duration::from_secs(20);
/// How long a hostile connection may live: every loop below ends by then.
const CONN_LIFE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
enum Hostile {
    /// Bytes that are no key: the first is 0x5a.
    RandomBytes,
    /// A valid key exchange, then a hello header announcing `size` bytes, then an
    /// endless stream of encrypted zeros (bounded by `CONN_LIFE` and 64 MiB).
    HugeLength(u32),
    /// A valid key, then nothing, whatever the peer sends.
    SilentAfterKey,
    /// A valid key exchange, then unencrypted noise.
    GarbageAfterKey,
}

/// Deterministic noise (xorshift), so a failure reproduces.
fn noise(n: usize, mut x: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn serve(mut s: TcpStream, how: Hostile) {
    let ours = EphemeralKey::from_bytes(&[0x42; 32]).expect("valid test key");
    let _ = tokio::time::timeout(CONN_LIFE, async {
        if let Hostile::RandomBytes = how {
            let mut b = noise(64 * 1024, 7);
            b[0] = 0x5a;
            let _ = s.write_all(&b).await;
            return None;
        }
        s.write_all(ours.public()).await.ok()?;
        let mut theirs = [0u8; KEY_LEN];
        s.read_exact(&mut theirs).await.ok()?;
        match how {
            Hostile::SilentAfterKey => {
                let mut sink = [0u8; 64];
                while s.read(&mut sink).await.ok()? > 0 {}
            }
            Hostile::GarbageAfterKey => {
                s.write_all(&noise(4096, 11)).await.ok()?;
                let mut sink = [0u8; 64];
                while s.read(&mut sink).await.ok()? > 0 {}
            }
            Hostile::HugeLength(size) => {
                let secret = ours.shared_secret(&parse_peer_key(&theirs).ok()?).ok()?;
                let mut enc = StreamKeys::from_secret(&secret).encryptor();
                let mut first = [0u8; BLOCK];
                first[..4].copy_from_slice(&size.to_le_bytes());
                first[4..8].copy_from_slice(&5006u32.to_le_bytes());
                enc.encrypt(&mut first).ok()?;
                s.write_all(&first).await.ok()?;
                let mut chunk = vec![0u8; 64 * 1024];
                for _ in 0..1024 {
                    enc.encrypt(&mut chunk).ok()?;
                    s.write_all(&chunk).await.ok()?;
                }
            }
            Hostile::RandomBytes => {}
        }
        Some(())
    })
    .await;
}

/// A hostile seed on an OS-picked loopback port; aborted when the handle drops.
struct Seed {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Seed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn hostile(how: Hostile) -> Seed {
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = l.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(serve(s, how));
        }
    });
    Seed { addr, task }
}

const TIMEOUT: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_seeds_fail_at_the_right_level() {
    let random = hostile(Hostile::RandomBytes).await;
    let err = seed_probe::probe(&random.addr.to_string(), TIMEOUT)
        .await
        .expect_err("random bytes are no L1 answer");
    assert_eq!(err.0, "protocol");
    assert!(
        err.1.contains("0x5a") && err.1.contains("not a graphene"),
        "{err:?}"
    );

    // A header announcing more than a hello may take is refused at its first block:
    // the probe never reads (or allocates) what it announces, so it ends with that
    // error, not with a timeout while trying to read 4 GiB.
    for size in [u32::MAX, MAX_HELLO_BYTES + 1] {
        let huge = hostile(Hostile::HugeLength(size)).await;
        let a = seed_probe::probe(&huge.addr.to_string(), TIMEOUT)
            .await
            .expect("the key is a valid L1 answer");
        let (kind, msg) = a.l2.expect_err("no hello");
        assert_eq!(kind, "protocol");
        assert!(msg.contains(&format!("announces {size} bytes")), "{msg}");
    }

    let silent = hostile(Hostile::SilentAfterKey).await;
    let a = seed_probe::probe(&silent.addr.to_string(), TIMEOUT)
        .await
        .expect("the key is a valid L1 answer");
    let (kind, msg) = a.l2.expect_err("no hello");
    assert_eq!(kind, "timeout");
    assert!(msg.contains("no hello within"), "{msg}");

    let garbage = hostile(Hostile::GarbageAfterKey).await;
    let a = seed_probe::probe(&garbage.addr.to_string(), TIMEOUT)
        .await
        .expect("the key is a valid L1 answer");
    let (kind, msg) = a.l2.expect_err("noise is no hello");
    assert_eq!(kind, "protocol", "{msg}");
    assert!(msg.starts_with("L2: "), "{msg}");
}

/// One node, a healthy seed, a seed 4 blocks behind and one that will be put on
/// another chain; one-second blocks.
fn fleet_toml() -> String {
    format!(
        r#"
[[network]]
name = "mainnet"
chain_id = "{CHAIN_ID}"
block_interval = 1

  [[network.node]]
  name = "a"

  [[network.seed]]
  name = "seed-1"

  [[network.seed]]
  name = "behind"
  lag_blocks = 4

  [[network.seed]]
  name = "other"
"#
    )
}

async fn start_fleet() -> FleetHandle {
    let desc = FleetDescription::from_toml(&fleet_toml()).expect("fleet parses");
    Fleet::start(&desc).await.expect("fleet starts")
}

fn seed_entry(name: &str, addr: SocketAddr) -> String {
    format!("\n  [[network.seed]]\n  name = \"{name}\"\n  addr = \"{addr}\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_seeds_get_a_status_and_other_probes_keep_going() {
    let fleet = start_fleet().await;
    let random = hostile(Hostile::RandomBytes).await;
    let huge = hostile(Hostile::HugeLength(u32::MAX)).await;
    let silent = hostile(Hostile::SilentAfterKey).await;
    let garbage = hostile(Hostile::GarbageAfterKey).await;
    let mut text = config_text(&fleet, &["a"], &["seed-1"]);
    for (name, s) in [
        ("random", &random),
        ("huge", &huge),
        ("silent", &silent),
        ("garbage", &garbage),
    ] {
        text.push_str(&seed_entry(name, s.addr));
    }
    let engine = start_engine(&parse(&text));
    let hostile_names = ["huge", "silent", "garbage"];
    let s = wait_for(&engine, "every seed judged", LONG, |s| {
        ep(s, "random").status == Status::Down
            && hostile_names.iter().all(|n| {
                ep(s, n).seed_level == Some(SeedLevel::L1) && ep(s, n).status == Status::Warn
            })
            && ep(s, "seed-1").seed_level == Some(SeedLevel::L2)
            && ep(s, "a").status == Status::Ok
    })
    .await;
    assert!(
        ep(&s, "random").reasons[0].contains("not a graphene"),
        "{:?}",
        ep(&s, "random").reasons
    );
    assert_eq!(ep(&s, "random").seed_level, None);
    for n in hostile_names {
        let e = ep(&s, n);
        assert!(e.reasons[0].contains("L1 only"), "{n}: {:?}", e.reasons);
        assert_eq!((e.chain_id.as_ref(), e.head_num), (None, None), "{n}");
    }
    assert!(ep(&s, "huge").reasons[0].contains("announces 4294967295 bytes"));
    assert!(ep(&s, "silent").reasons[0].contains("no hello within"));

    // Every probe goes on: the node, the healthy seed and the hostile ones each
    // complete three more rounds, and the healthy ones stay ok.
    let before: Vec<(String, u64)> = s
        .endpoints
        .iter()
        .map(|e| (e.name.clone(), e.probes))
        .collect();
    let s = wait_for(&engine, "three more rounds everywhere", LONG, |s| {
        before.iter().all(|(n, p)| ep(s, n).probes >= p + 3)
    })
    .await;
    assert_eq!(ep(&s, "a").status, Status::Ok, "{:?}", ep(&s, "a").reasons);
    assert_eq!(
        ep(&s, "seed-1").status,
        Status::Ok,
        "{:?}",
        ep(&s, "seed-1").reasons
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simnet_seeds_answer_at_l2_crit_on_another_chain_and_lagging_when_behind() {
    let fleet = start_fleet().await;
    support::simnet::wait_head(&fleet, 6).await;
    let engine = start_engine(&parse(&config_text(
        &fleet,
        &["a"],
        &["seed-1", "behind", "other"],
    )));
    let s = wait_for(&engine, "seeds at L2 with a lag", LONG, |s| {
        ["seed-1", "behind", "other"]
            .iter()
            .all(|n| ep(s, n).seed_level == Some(SeedLevel::L2) && ep(s, n).lag_blocks.is_some())
    })
    .await;
    let ok = ep(&s, "seed-1");
    assert_eq!(ok.status, Status::Ok, "{:?}", ok.reasons);
    assert_eq!(ok.chain_id.as_deref(), Some(CHAIN_ID));
    assert!(ok.lag_blocks.is_some_and(|b| b <= 1), "{ok:?}");
    let hello = ok.seed_hello.as_ref().expect("hello facts");
    assert_eq!(hello.user_agent, "BitShares Reference Implementation");

    let behind = ep(&s, "behind");
    assert_eq!(behind.status, Status::Warn, "{:?}", behind.reasons);
    assert!(
        behind.lag_blocks.is_some_and(|b| (3..=5).contains(&b)),
        "{behind:?}"
    );
    assert!(
        behind
            .reasons
            .iter()
            .any(|r| r.contains("blocks behind best")),
        "{:?}",
        behind.reasons
    );

    fleet
        .faults("mainnet", "other")
        .expect("seed other")
        .wrong_chain_id();
    let s = wait_for(&engine, "seed on another chain", LONG, |s| {
        ep(s, "other").chain_mismatch
    })
    .await;
    let other = ep(&s, "other");
    assert_eq!(other.status, Status::Crit, "{:?}", other.reasons);
    assert!(
        other.reasons[0].contains("is not the network's"),
        "{:?}",
        other.reasons
    );
    assert_eq!(
        other.lag_blocks, None,
        "heights of another chain are not compared"
    );
    // The node and the other seeds are unaffected.
    assert_eq!(ep(&s, "a").status, Status::Ok);
    assert_eq!(ep(&s, "seed-1").status, Status::Ok);
    engine.shutdown().await;
}

/// A `watch --record` recording keeps the level each seed answered at, and replays it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_keep_the_seed_level() {
    let fleet = start_fleet().await;
    let silent = hostile(Hostile::SilentAfterKey).await;
    let mut text = config_text(&fleet, &["a"], &["seed-1"]);
    text.push_str(&seed_entry("silent", silent.addr));
    let cfg = parse(&text);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rec.jsonl");
    let mut opts = btsops::monitor::EngineOptions::from_config(&cfg.monitor);
    opts.record = Some(path.clone());
    let engine = btsops::monitor::Engine::start(&cfg, opts).expect("engine starts");
    wait_for(&engine, "both levels seen", LONG, |s| {
        ep(s, "seed-1").seed_level == Some(SeedLevel::L2)
            && ep(s, "silent").seed_level == Some(SeedLevel::L1)
    })
    .await;
    engine.shutdown().await;
    let records = btsops::monitor::Recording::read_all(&path).expect("recording reads");
    let last = last_snapshot(&records);
    assert_eq!(ep(last, "seed-1").seed_level, Some(SeedLevel::L2));
    assert_eq!(ep(last, "silent").seed_level, Some(SeedLevel::L1));
    let hello = ep(last, "seed-1")
        .seed_hello
        .as_ref()
        .expect("hello facts recorded");
    assert_eq!(hello.core_protocol_version, 106);
}
