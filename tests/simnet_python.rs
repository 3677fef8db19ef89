//! An unmodified client library against `btsops simnet`: python-bitshares 0.7.1 (the
//! virtualenv `.ci/run` builds) connects, reads chain properties, objects, an account and a
//! block, transfers, and registers an account; our own client then sees the effects. The
//! same script is checked against the real node in `oracle_python.rs`.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use btsops::chain::PrivateKey;
use btsops::rpc::{ConnectOptions, RpcClient};
use serde_json::Value;
use support::ops::core_balance;
use support::process::lines_until;
use support::pybitshares;

/// Stops the simnet process however the test ends.
struct Simnet(Child);

impl Drop for Simnet {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_bitshares_reads_transfers_and_registers_on_simnet() {
    let test = "python_bitshares_reads_transfers_and_registers_on_simnet";
    let Some(python) = pybitshares::python(test) else {
        return;
    };
    // The default fleet (README): faucet is a lifetime member, its keys come from its password.
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .arg("simnet")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn btsops simnet");
    let stdout = child.stdout.take().unwrap();
    let _simnet = Simnet(child);
    let mut url = None;
    let ready = |l: &str| serde_json::from_str::<Value>(l).is_ok_and(|v| v["ready"] == true);
    for line in lines_until(stdout, Duration::from_secs(60), "btsops simnet", ready) {
        let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if v["name"] == "main-1" {
            url = v["url"].as_str().map(str::to_string);
        }
    }
    let url = url.expect("main-1 endpoint");
    let ours = RpcClient::connect(&url, ConnectOptions::default())
        .await
        .unwrap();
    // The script reads the head block; wait for the first one.
    let deadline = Instant::now() + Duration::from_secs(15);
    while ours
        .get_dynamic_global_properties()
        .await
        .unwrap()
        .head_block_number
        < 1
    {
        assert!(Instant::now() < deadline, "no block 1");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let bob_before = core_balance(&ours, "bob").await;
    let wif = PrivateKey::from_password("faucet", "active", "simnet-faucet-password")
        .unwrap()
        .to_wif();
    let run = {
        let (python, url, wif) = (python.clone(), url.clone(), wif.to_string());
        tokio::task::spawn_blocking(move || {
            #[rustfmt::skip]
            let out = pybitshares::run_client(&python, &[
                "--url", &url, "--wif", &wif, "--sender", "faucet", "--to", "bob",
                "--amount", "12.5", "--registrar", "faucet", "--new-account", "py-simnet1",
            ]);
            out
        })
    };
    let out = run.await.expect("python client");
    assert_eq!(out["chain_id"], support::simnet::MAINNET_ID);
    assert_eq!(out["prefix"], "BTS");
    assert_eq!(out["core_symbol"], "BTS");
    assert_eq!(out["sender_id"], "1.2.6");
    assert_eq!(out["new_account_registrar"], "1.2.6");
    assert!(
        out["transfer_block_num"].as_u64().is_some(),
        "blocking broadcast confirmed: {out}"
    );

    // The effects, seen through our own client.
    let acct = ours
        .get_account_by_name("py-simnet1")
        .await
        .unwrap()
        .expect("registered");
    assert_eq!(Some(acct.id.as_str()), out["new_account_id"].as_str());
    assert_eq!(acct.registrar, "1.2.6");
    assert_eq!(core_balance(&ours, "bob").await, bob_before + 1_250_000);
}
