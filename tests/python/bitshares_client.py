"""Drives a btsops simnet node with the unmodified python-bitshares 0.7.1 library.

Usage: python bitshares_client.py WS_URL
Reads chain properties, objects, an account and a block, then transfers 12.5 BTS from
alice to bob and registers carol-test1 with the faucet (keys from the README passwords).
Prints one JSON line per step; exits non-zero on the first failure.
"""
import json
import sys

from bitshares import BitShares
from bitshares.account import Account
from bitshares.block import Block
from bitsharesbase.account import PasswordKey


def active_wif(name, password):
    return str(PasswordKey(name, password, role="active", prefix="BTS").get_private_key())


def step(name, value):
    print(json.dumps({"step": name, "value": value}, default=str), flush=True)


def main():
    url = sys.argv[1]
    bts = BitShares(
        node=url,
        keys=[
            active_wif("faucet", "simnet-faucet-password"),
            active_wif("alice", "simnet-alice-password"),
        ],
        num_retries=1,
    )
    step("chain_id", bts.rpc.get_chain_properties()["chain_id"])
    step("head", bts.rpc.get_dynamic_global_properties()["head_block_number"])
    step("objects", [o["id"] for o in bts.rpc.get_objects(["2.0.0", "2.1.0", "1.3.0"])])
    alice = Account("alice", blockchain_instance=bts)
    step("alice", {"id": alice["id"], "balances": [str(b) for b in alice.balances]})
    step("block1", Block(1, blockchain_instance=bts)["timestamp"])
    tx = bts.transfer("bob", 12.5, "BTS", account="alice")
    step("transfer", tx["operations"][0][0])
    tx = bts.create_account(
        "carol-test1",
        registrar="faucet",
        referrer="faucet",
        password="carol-password",
        storekeys=False,
    )
    step("account_create", tx["operations"][0][0])


if __name__ == "__main__":
    main()
