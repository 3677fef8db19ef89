#!/usr/bin/env python3
"""Drive a BitShares API node with the unmodified python-bitshares client library.

Used by tests/simnet_python.rs to show that simnet speaks the real protocol well enough
for an existing client: connect, read chain properties, objects, an account and a block,
transfer, and register an account with account_create. Prints one JSON object with what
it saw and did; exits non-zero on the first failure.
"""
import argparse
import json
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--wif", required=True, help="active key of --sender and --registrar")
    p.add_argument("--sender", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--amount", type=float, default=1.5)
    p.add_argument("--registrar", required=True, help="a lifetime member")
    p.add_argument("--new-account", required=True)
    p.add_argument("--new-password", default="btsops-pybitshares-test-password")
    p.add_argument(
        "--extra-chain",
        help="chain_id:prefix:symbol of a chain python-bitshares does not know (the oracle's)",
    )
    a = p.parse_args()

    if a.extra_chain:
        from bitsharesbase import chains

        chain_id, prefix, symbol = a.extra_chain.split(":")
        chains.known_chains["EXTRA"] = {"chain_id": chain_id, "core_symbol": symbol, "prefix": prefix}

    from bitshares import BitShares
    from bitshares.account import Account
    from bitshares.block import Block

    bts = BitShares(node=a.url, keys=[a.wif], nobroadcast=False, num_retries=0, blocking="head")
    out = {}
    props = bts.rpc.get_chain_properties()
    out["chain_id"] = props["chain_id"]
    out["prefix"] = bts.prefix
    dgp = bts.rpc.get_dynamic_global_properties()
    out["head_block_number"] = dgp["head_block_number"]
    core, dgp2 = bts.rpc.get_objects(["1.3.0", "2.1.0"])
    out["core_symbol"] = core["symbol"]
    assert dgp2["id"] == "2.1.0"
    sender = Account(a.sender, blockchain_instance=bts)
    out["sender_id"] = sender["id"]
    out["sender_balance_before"] = float(sender.balance(core["symbol"]))
    head = Block(dgp["head_block_number"], blockchain_instance=bts)
    out["head_block_witness"] = head["witness"]

    tx = bts.transfer(a.to, a.amount, core["symbol"], account=a.sender)
    out["transfer_block_num"] = tx.get("block_num")

    bts.create_account(
        a.new_account,
        registrar=a.registrar,
        referrer=a.registrar,
        referrer_percent=50,
        password=a.new_password,
        storekeys=False,
    )
    deadline = time.time() + 30
    new = None
    while time.time() < deadline:
        try:
            new = Account(a.new_account, blockchain_instance=bts, lazy=False)
            break
        except Exception:
            time.sleep(0.5)
    if new is None:
        raise SystemExit("account %s never appeared" % a.new_account)
    out["new_account_id"] = new["id"]
    out["new_account_registrar"] = new["registrar"]
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line the Rust test can show
        print("pybitshares_client failed: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        raise
