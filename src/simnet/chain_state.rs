//! One simulated chain: genesis, accounts, balances, blocks and dynamic global properties.
//!
//! Pure and synchronous: the async driver (`node.rs`) only tells it the wall-clock second and
//! publishes the snapshots. A [`ChainState`] is cheap to clone (its tables sit behind `Arc`s
//! and are copied on write), so every block yields an immutable snapshot that lagging or
//! stalled nodes keep serving while the network moves on.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha224, Sha256};

/// `GRAPHENE_100_PERCENT`.
pub const PERCENT_100: u16 = 10000;
/// `membership_expiration_date` of a lifetime member (u32::MAX seconds).
pub const LIFETIME_EXPIRATION: i64 = u32::MAX as i64;
/// Clients treat 1.2.5 as the default voting account.
pub const PROXY_TO_SELF: u64 = 5;
pub const TEMP_ACCOUNT: u64 = 4;
pub const COMMITTEE_ACCOUNT: u64 = 0;
pub const NULL_ACCOUNT: u64 = 3;
/// Number of the special accounts genesis creates first (1.2.0 … 1.2.5).
pub const SPECIAL_ACCOUNTS: u64 = 6;

pub const MAINNET_CHAIN_ID: &str =
    "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
pub const TESTNET_CHAIN_ID: &str =
    "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";

/// The fee parameters simnet charges (core asset satoshis). Defaults are the oracle's
/// genesis-dev values (PROTOCOL §21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSchedule {
    pub transfer_fee: i64,
    pub transfer_price_per_kbyte: i64,
    pub account_create_basic_fee: i64,
    pub account_create_premium_fee: i64,
    pub account_create_price_per_kbyte: i64,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        FeeSchedule {
            transfer_fee: 2_000_000,
            transfer_price_per_kbyte: 1_000_000,
            account_create_basic_fee: 500_000,
            account_create_premium_fee: 200_000_000,
            account_create_price_per_kbyte: 100_000,
        }
    }
}

/// An account genesis creates after the special ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisAccount {
    pub name: String,
    pub owner_key: String,
    pub active_key: String,
    pub memo_key: String,
    pub lifetime_member: bool,
    /// Account name; `None` = temp-account for basic members, self for lifetime members
    /// (what a real genesis does).
    pub registrar: Option<String>,
    pub referrer: Option<String>,
    pub referrer_percent: u16,
    /// Core asset satoshis.
    pub balance: i64,
}

/// Everything fixed about a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    pub chain_id: String,
    pub prefix: String,
    pub core_symbol: String,
    pub block_interval: u32,
    pub maintenance_interval: u32,
    pub maintenance_skip_slots: u32,
    pub witness_count: u32,
    /// Witnesses (1.6.N, N in 1..=witness_count) that produce nothing: their slots pass
    /// without a block and count as missed, as when a real witness's node is down.
    pub absent_witnesses: Vec<u32>,
    pub fees: FeeSchedule,
    pub maximum_transaction_size: u32,
    pub maximum_time_until_expiration: u32,
    pub network_percent_of_fee: u16,
    pub lifetime_referrer_percent_of_fee: u16,
    pub accounts: Vec<GenesisAccount>,
}

impl ChainSpec {
    /// A chain with the real node's defaults; callers override fields.
    pub fn new(chain_id: impl Into<String>, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        ChainSpec {
            chain_id: chain_id.into(),
            core_symbol: prefix.clone(),
            prefix,
            block_interval: 3,
            maintenance_interval: 86400,
            maintenance_skip_slots: 3,
            witness_count: 11,
            absent_witnesses: Vec::new(),
            fees: FeeSchedule::default(),
            maximum_transaction_size: 2048,
            maximum_time_until_expiration: 86400,
            network_percent_of_fee: 2000,
            lifetime_referrer_percent_of_fee: 3000,
            accounts: Vec::new(),
        }
    }

    /// The all-zero public key in this chain's prefix, which special accounts use as memo key.
    pub fn null_key(&self) -> String {
        format!("{}1111111111111111111111111111111114T1Anm", self.prefix)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    #[error("account {0:?} appears twice")]
    DuplicateAccount(String),
    #[error("account {account:?}: {role} {name:?} is not an earlier account")]
    UnknownAccount {
        account: String,
        role: &'static str,
        name: String,
    },
    #[error("account {account:?}: key {key:?} does not start with the chain prefix {prefix:?}")]
    KeyPrefix {
        account: String,
        key: String,
        prefix: String,
    },
    #[error("account {0:?}: referrer_percent above 10000")]
    ReferrerPercent(String),
    #[error("account {0:?}: negative balance")]
    NegativeBalance(String),
    #[error("block_interval must be 1..=30 seconds")]
    BlockInterval,
    #[error("witness_count must be at least 1")]
    WitnessCount,
}

/// `authority`: the threshold and weighted keys / accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub weight_threshold: u32,
    pub account_auths: Vec<(u64, u16)>,
    pub key_auths: Vec<(String, u16)>,
}

impl Authority {
    pub fn key(key: &str) -> Self {
        Authority {
            weight_threshold: 1,
            account_auths: Vec::new(),
            key_auths: vec![(key.to_string(), 1)],
        }
    }
    fn empty(threshold: u32) -> Self {
        Authority {
            weight_threshold: threshold,
            account_auths: Vec::new(),
            key_auths: Vec::new(),
        }
    }
}

/// Account 1.2.x.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub instance: u64,
    pub name: String,
    pub membership_expiration: i64,
    pub registrar: u64,
    pub referrer: u64,
    pub lifetime_referrer: u64,
    pub network_fee_percentage: u16,
    pub lifetime_referrer_fee_percentage: u16,
    pub referrer_rewards_percentage: u16,
    pub owner: Authority,
    pub active: Authority,
    pub memo_key: String,
    pub num_committee_voted: u32,
    pub creation_block_num: u32,
    pub creation_time: i64,
}

impl Account {
    pub fn is_lifetime_member(&self) -> bool {
        self.membership_expiration == LIFETIME_EXPIRATION
    }
}

/// Account statistics 2.6.x (same instance as the account).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountStats {
    pub total_ops: u64,
    pub removed_ops: u64,
    /// Instance of the newest 2.9.x history link.
    pub most_recent_op: u64,
    pub lifetime_fees_paid: i64,
    pub pending_fees: i64,
    pub pending_vested_fees: i64,
    pub core_in_balance: i64,
}

/// Balance object 2.5.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub instance: u64,
    pub amount: i64,
}

/// Block id: sha224 of the header, truncated to 20 bytes, block number big-endian in bytes 0..4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BlockId(pub [u8; 20]);

impl BlockId {
    pub fn num(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
    /// `ref_block_prefix` as TaPoS uses it: bytes 4..8 little-endian.
    pub fn ref_prefix(&self) -> u32 {
        u32::from_le_bytes([self.0[4], self.0[5], self.0[6], self.0[7]])
    }
}

/// One operation of a pending transaction, for the history it will leave.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingOp {
    /// `[tag, {...}]` as sent.
    pub op: serde_json::Value,
    /// `operation_result`: `[0,{}]` or `[1,"1.2.N"]`.
    pub result: serde_json::Value,
    /// Accounts whose history gets this op (fee payer and the accounts it names).
    pub accounts: Vec<u64>,
}

/// A transaction as included in a block: its id and its JSON (`processed_transaction`).
#[derive(Debug, Clone, PartialEq)]
pub struct IncludedTx {
    pub id: String,
    pub json: serde_json::Value,
    pub ops: Vec<PendingOp>,
    /// `trx.expiration`, unix seconds: the id is remembered until then.
    pub expiration: i64,
}

/// Operation history object 1.11.x.
#[derive(Debug, Clone, PartialEq)]
pub struct OpHistory {
    pub op: serde_json::Value,
    pub result: serde_json::Value,
    pub block_num: u32,
    pub trx_in_block: u16,
    pub op_in_trx: u16,
    pub block_time: i64,
}

/// A produced block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub num: u32,
    pub id: BlockId,
    pub previous: BlockId,
    pub timestamp: i64,
    pub witness: u64,
    pub transaction_merkle_root: [u8; 20],
    pub witness_signature: [u8; 65],
    pub transactions: Vec<IncludedTx>,
}

/// Dynamic global properties 2.1.0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicGlobals {
    pub head_block_number: u32,
    pub head_block_id: BlockId,
    pub time: i64,
    pub current_witness: u64,
    pub next_maintenance_time: i64,
    pub last_vote_tally_time: i64,
    pub last_budget_time: i64,
    pub accounts_registered_this_interval: u32,
    pub recently_missed_count: u32,
    pub current_aslot: u64,
    pub recent_slots_filled: u128,
    pub dynamic_flags: u32,
    pub last_irreversible_block_num: u32,
}

/// An immutable view of the chain after some block.
#[derive(Debug, Clone)]
pub struct ChainState {
    pub spec: Arc<ChainSpec>,
    pub genesis_time: i64,
    pub accounts: Arc<Vec<Account>>,
    /// Name → account instance (registrations make names lookups hot).
    pub names: Arc<BTreeMap<String, u64>>,
    pub stats: Arc<Vec<AccountStats>>,
    /// (account instance, asset instance) → balance.
    pub balances: Arc<BTreeMap<(u64, u64), Balance>>,
    pub next_balance_instance: u64,
    pub core_supply: i64,
    pub accumulated_fees: i64,
    pub dgp: DynamicGlobals,
    /// 1.11.x, index = instance.
    pub history: Arc<Vec<OpHistory>>,
    /// Account instance → its 1.11.x instances, oldest first.
    pub account_history: Arc<BTreeMap<u64, Vec<u64>>>,
    /// 2.9.x objects (account ↔ op links) created so far.
    pub history_links: u64,
}

impl ChainState {
    pub fn head_num(&self) -> u32 {
        self.dgp.head_block_number
    }

    pub fn account(&self, instance: u64) -> Option<&Account> {
        self.accounts.get(usize::try_from(instance).ok()?)
    }

    pub fn account_by_name(&self, name: &str) -> Option<&Account> {
        self.account(*self.names.get(name)?)
    }

    /// Adds an account (its instance must be the next one) with empty statistics.
    pub fn push_account(&mut self, account: Account) {
        Arc::make_mut(&mut self.names).insert(account.name.clone(), account.instance);
        Arc::make_mut(&mut self.accounts).push(account);
        Arc::make_mut(&mut self.stats).push(AccountStats::default());
    }

    pub fn stats(&self, instance: u64) -> Option<&AccountStats> {
        self.stats.get(usize::try_from(instance).ok()?)
    }

    /// Core-asset (1.3.0) balance; 0 when the account never held any.
    pub fn core_balance(&self, account: u64) -> i64 {
        self.balances
            .get(&(account, 0))
            .map(|b| b.amount)
            .unwrap_or(0)
    }

    /// Accounts whose owner, active or memo key is `key`, in id order (`get_key_references`).
    pub fn key_references(&self, key: &str) -> Vec<u64> {
        self.accounts
            .iter()
            .filter(|a| {
                a.memo_key == key
                    || a.owner.key_auths.iter().any(|(k, _)| k == key)
                    || a.active.key_auths.iter().any(|(k, _)| k == key)
            })
            .map(|a| a.instance)
            .collect()
    }

    /// Credits (or debits, with a negative amount) a balance, creating the 2.5.x object on
    /// first use as a real node does.
    pub fn adjust_balance(&mut self, account: u64, asset: u64, delta: i64) {
        let next = self.next_balance_instance;
        let balances = Arc::make_mut(&mut self.balances);
        let entry = balances.entry((account, asset)).or_insert(Balance {
            instance: next,
            amount: 0,
        });
        if entry.instance == next {
            self.next_balance_instance += 1;
        }
        entry.amount += delta;
    }
}

/// The chain a network runs: current state plus what only the producer needs.
#[derive(Debug, Clone)]
pub struct Chain {
    state: ChainState,
    /// Id of every block, index = number − 1; for TaPoS and `previous`.
    block_ids: Vec<BlockId>,
    /// Set right after a maintenance block: no block before this time (skipped slots).
    resume_at: i64,
    pending: Vec<IncludedTx>,
    /// Ids of transactions in blocks or pending, with their expiration (duplicate check).
    known_txs: BTreeMap<String, i64>,
}

fn align_up(t: i64, step: i64) -> i64 {
    if step <= 0 {
        return t;
    }
    (t.div_euclid(step) + 1) * step
}

impl Chain {
    /// Builds genesis at `genesis_time` (unix seconds, rounded down to the block interval).
    pub fn genesis(spec: ChainSpec, genesis_time: i64) -> Result<Chain, GenesisError> {
        if !(1..=30).contains(&spec.block_interval) {
            return Err(GenesisError::BlockInterval);
        }
        if spec.witness_count == 0 {
            return Err(GenesisError::WitnessCount);
        }
        let interval = i64::from(spec.block_interval);
        let genesis_time = genesis_time - genesis_time.rem_euclid(interval);
        let null_key = spec.null_key();
        let special = |instance: u64, name: &str, reg: u64, net: u16, threshold: u32| Account {
            instance,
            name: name.to_string(),
            membership_expiration: LIFETIME_EXPIRATION,
            registrar: reg,
            referrer: reg,
            lifetime_referrer: reg,
            network_fee_percentage: net,
            lifetime_referrer_fee_percentage: PERCENT_100 - net,
            referrer_rewards_percentage: 0,
            owner: Authority::empty(threshold),
            active: Authority::empty(threshold),
            memo_key: null_key.clone(),
            num_committee_voted: 0,
            creation_block_num: 0,
            creation_time: genesis_time,
        };
        let net = spec.network_percent_of_fee;
        let mut accounts = vec![
            special(0, "committee-account", 0, net, 1),
            special(1, "witness-account", 1, net, 1),
            special(2, "relaxed-committee-account", 2, net, 1),
            special(3, "null-account", 3, 0, 1),
            special(4, "temp-account", 4, net, 0),
            special(5, "proxy-to-self", 3, 0, 1),
        ];
        let mut balances = BTreeMap::new();
        let mut next_balance_instance = 0u64;
        let mut supply = 0i64;
        for g in &spec.accounts {
            if accounts.iter().any(|a| a.name == g.name) {
                return Err(GenesisError::DuplicateAccount(g.name.clone()));
            }
            for key in [&g.owner_key, &g.active_key, &g.memo_key] {
                if !key.starts_with(&spec.prefix) {
                    return Err(GenesisError::KeyPrefix {
                        account: g.name.clone(),
                        key: key.clone(),
                        prefix: spec.prefix.clone(),
                    });
                }
            }
            if g.referrer_percent > PERCENT_100 {
                return Err(GenesisError::ReferrerPercent(g.name.clone()));
            }
            if g.balance < 0 {
                return Err(GenesisError::NegativeBalance(g.name.clone()));
            }
            let instance = accounts.len() as u64;
            let find =
                |role: &'static str, name: &Option<String>| -> Result<Option<u64>, GenesisError> {
                    match name {
                        None => Ok(None),
                        Some(n) => accounts
                            .iter()
                            .find(|a| &a.name == n)
                            .map(|a| Some(a.instance))
                            .ok_or_else(|| GenesisError::UnknownAccount {
                                account: g.name.clone(),
                                role,
                                name: n.clone(),
                            }),
                    }
                };
            let registrar = find("registrar", &g.registrar)?;
            let referrer = find("referrer", &g.referrer)?;
            let (registrar, referrer, lifetime_referrer, lifetime_pct, expiration) =
                if g.lifetime_member {
                    // Upgrading makes an account its own registrar, referrer and lifetime
                    // referrer (PROTOCOL §21); explicit registrar/referrer still win.
                    (
                        registrar.unwrap_or(instance),
                        referrer.unwrap_or(instance),
                        instance,
                        PERCENT_100 - net,
                        LIFETIME_EXPIRATION,
                    )
                } else {
                    let referrer = referrer.unwrap_or(COMMITTEE_ACCOUNT);
                    let lifetime_referrer = accounts
                        .get(referrer as usize)
                        .map(|a| a.lifetime_referrer)
                        .unwrap_or(COMMITTEE_ACCOUNT);
                    (
                        registrar.unwrap_or(TEMP_ACCOUNT),
                        referrer,
                        lifetime_referrer,
                        spec.lifetime_referrer_percent_of_fee,
                        0,
                    )
                };
            accounts.push(Account {
                instance,
                name: g.name.clone(),
                membership_expiration: expiration,
                registrar,
                referrer,
                lifetime_referrer,
                network_fee_percentage: net,
                lifetime_referrer_fee_percentage: lifetime_pct,
                referrer_rewards_percentage: g.referrer_percent,
                owner: Authority::key(&g.owner_key),
                active: Authority::key(&g.active_key),
                memo_key: g.memo_key.clone(),
                num_committee_voted: 0,
                creation_block_num: 0,
                creation_time: genesis_time,
            });
            if g.balance > 0 {
                balances.insert(
                    (instance, 0),
                    Balance {
                        instance: next_balance_instance,
                        amount: g.balance,
                    },
                );
                next_balance_instance += 1;
                supply = supply.saturating_add(g.balance);
            }
        }
        let stats = vec![AccountStats::default(); accounts.len()];
        let names = accounts
            .iter()
            .map(|a| (a.name.clone(), a.instance))
            .collect();
        let maintenance = i64::from(spec.maintenance_interval.max(1));
        let dgp = DynamicGlobals {
            head_block_number: 0,
            head_block_id: BlockId::default(),
            time: genesis_time,
            current_witness: 0,
            next_maintenance_time: align_up(genesis_time, maintenance),
            last_vote_tally_time: genesis_time,
            last_budget_time: genesis_time,
            accounts_registered_this_interval: 0,
            recently_missed_count: 0,
            current_aslot: 0,
            recent_slots_filled: u128::MAX,
            dynamic_flags: 0,
            last_irreversible_block_num: 0,
        };
        Ok(Chain {
            state: ChainState {
                spec: Arc::new(spec),
                genesis_time,
                accounts: Arc::new(accounts),
                names: Arc::new(names),
                stats: Arc::new(stats),
                balances: Arc::new(balances),
                next_balance_instance,
                core_supply: supply,
                accumulated_fees: 0,
                dgp,
                history: Arc::new(Vec::new()),
                account_history: Arc::new(BTreeMap::new()),
                history_links: 0,
            },
            block_ids: Vec::new(),
            resume_at: i64::MIN,
            pending: Vec::new(),
            known_txs: BTreeMap::new(),
        })
    }

    pub fn state(&self) -> &ChainState {
        &self.state
    }

    /// Mutable state for transaction application (effects land in the next snapshot).
    pub fn state_mut(&mut self) -> &mut ChainState {
        &mut self.state
    }

    pub fn block_id(&self, num: u32) -> Option<BlockId> {
        let idx = usize::try_from(num).ok()?.checked_sub(1)?;
        self.block_ids.get(idx).copied()
    }

    /// Queues an already applied transaction for the next block.
    pub fn push_pending(&mut self, tx: IncludedTx) {
        self.known_txs.insert(tx.id.clone(), tx.expiration);
        self.pending.push(tx);
    }

    /// Whether a transaction with this id is pending or in a block and not yet expired.
    pub fn is_known_tx(&self, id: &str) -> bool {
        self.known_txs.contains_key(id)
    }

    pub fn pending(&self) -> &[IncludedTx] {
        &self.pending
    }

    /// The slot time a block produced at wall-clock `now` gets, if any is due: the last slot
    /// boundary not after `now`, strictly after the head, and past any maintenance skip.
    pub fn due_slot(&self, now: i64) -> Option<i64> {
        let interval = i64::from(self.state.spec.block_interval);
        let slot = now - now.rem_euclid(interval);
        (slot > self.state.dgp.time && slot >= self.resume_at).then_some(slot)
    }

    /// Produces the block for wall-clock second `now` when a slot is due; slots between the
    /// head and `now` count as missed, as on a real chain whose witnesses skipped them.
    pub fn produce_block(&mut self, now: i64) -> Option<Block> {
        let slot_time = self.due_slot(now)?;
        let spec = Arc::clone(&self.state.spec);
        let interval = i64::from(spec.block_interval);
        let head_time = self.state.dgp.time;
        let slots = ((slot_time - head_time) / interval).max(1) as u64;
        let aslot = self.state.dgp.current_aslot + slots;
        let witness = 1 + (aslot % u64::from(spec.witness_count.max(1))) as u32;
        if spec.absent_witnesses.contains(&witness) {
            // That witness's slot: nothing is produced, the next present witness's block
            // counts it as missed.
            return None;
        }
        // The first block follows genesis directly; a gap there is not "missed".
        let missed = if self.state.dgp.head_block_number == 0 {
            0
        } else {
            slots - 1
        };
        let num = self.state.dgp.head_block_number + 1;
        let witness = u64::from(witness);
        let previous = self.state.dgp.head_block_id;
        let transactions = std::mem::take(&mut self.pending);
        self.known_txs.retain(|_, exp| *exp >= slot_time);
        self.record_history(num, slot_time, &transactions);
        let merkle = merkle_root(&transactions);
        let id = block_id(num, &previous, slot_time, witness, &merkle);
        let signature = fake_signature(&id);
        self.block_ids.push(id);

        let d = &mut self.state.dgp;
        d.recent_slots_filled = if missed >= 128 {
            1
        } else {
            ((d.recent_slots_filled << 1) | 1) << missed
        };
        d.recently_missed_count = if missed > 0 {
            d.recently_missed_count
                .saturating_add(4 * missed.min(u64::from(u32::MAX / 4)) as u32)
        } else {
            d.recently_missed_count.saturating_sub(3)
        };
        d.head_block_number = num;
        d.head_block_id = id;
        d.time = slot_time;
        d.current_witness = witness;
        d.current_aslot = aslot;
        d.dynamic_flags = 0;
        let n = spec.witness_count;
        // LIB = the block 70 % of the active witnesses confirmed; with round-robin
        // production that is head − (N − 1) + floor(30 % · N).
        let lib_lag = (n - 1) - (n * 30 / 100);
        d.last_irreversible_block_num = num.saturating_sub(lib_lag);
        if slot_time >= d.next_maintenance_time {
            let maintenance = i64::from(spec.maintenance_interval.max(1));
            d.dynamic_flags = 1;
            d.last_budget_time = slot_time;
            d.last_vote_tally_time = slot_time;
            d.accounts_registered_this_interval = 0;
            d.next_maintenance_time = align_up(slot_time, maintenance);
            self.resume_at = slot_time + interval * (1 + i64::from(spec.maintenance_skip_slots));
        }
        Some(Block {
            num,
            id,
            previous,
            timestamp: slot_time,
            witness,
            transaction_merkle_root: merkle,
            witness_signature: signature,
            transactions,
        })
    }
}

impl Chain {
    /// Ops get their 1.11.x objects when their block is produced (position and time are
    /// known only then); the accounts they touch count them in `total_ops`.
    fn record_history(&mut self, block_num: u32, block_time: i64, txs: &[IncludedTx]) {
        if txs.iter().all(|t| t.ops.is_empty()) {
            return;
        }
        let st = &mut self.state;
        let history = Arc::make_mut(&mut st.history);
        let by_account = Arc::make_mut(&mut st.account_history);
        let stats = Arc::make_mut(&mut st.stats);
        for (trx_in_block, tx) in txs.iter().enumerate() {
            for (op_in_trx, op) in tx.ops.iter().enumerate() {
                let id = history.len() as u64;
                history.push(OpHistory {
                    op: op.op.clone(),
                    result: op.result.clone(),
                    block_num,
                    trx_in_block: trx_in_block as u16,
                    op_in_trx: op_in_trx as u16,
                    block_time,
                });
                let mut seen = Vec::new();
                for a in &op.accounts {
                    if seen.contains(a) {
                        continue;
                    }
                    seen.push(*a);
                    by_account.entry(*a).or_default().push(id);
                    if let Some(s) = stats.get_mut(*a as usize) {
                        s.total_ops += 1;
                        s.most_recent_op = st.history_links;
                    }
                    st.history_links += 1;
                }
            }
        }
    }
}

fn merkle_root(txs: &[IncludedTx]) -> [u8; 20] {
    let mut out = [0u8; 20];
    if txs.is_empty() {
        return out;
    }
    // Not the real pairwise tree (that needs chain/'s digests); a stable hash of the ids
    // so blocks with transactions show a non-zero root.
    let mut h = Sha224::new();
    for t in txs {
        h.update(t.id.as_bytes());
    }
    out.copy_from_slice(&h.finalize()[..20]);
    out
}

/// sha224 over the header fields as fc::raw packs them (previous, timestamp, witness varint,
/// merkle root, no extensions), truncated to 20 bytes, number in the first 4.
pub fn block_id(
    num: u32,
    previous: &BlockId,
    timestamp: i64,
    witness: u64,
    merkle: &[u8; 20],
) -> BlockId {
    let mut h = Sha224::new();
    h.update(previous.0);
    h.update((timestamp as u32).to_le_bytes());
    let mut w = witness;
    loop {
        let byte = (w & 0x7f) as u8;
        w >>= 7;
        if w == 0 {
            h.update([byte]);
            break;
        }
        h.update([byte | 0x80]);
    }
    h.update(merkle);
    h.update([0u8]);
    let digest = h.finalize();
    let mut id = [0u8; 20];
    id.copy_from_slice(&digest[..20]);
    id[..4].copy_from_slice(&num.to_be_bytes());
    BlockId(id)
}

/// A 65-byte compact-signature-shaped value (recovery byte 0x1f/0x20); simnet witnesses do
/// not sign, and no client verifies block signatures.
fn fake_signature(id: &BlockId) -> [u8; 65] {
    let mut sig = [0u8; 65];
    sig[0] = 0x1f + (id.0[19] & 1);
    let a = Sha256::digest(id.0);
    let b = Sha256::digest(a);
    sig[1..33].copy_from_slice(&a);
    sig[33..65].copy_from_slice(&b);
    sig
}

/// Genesis accounts for the simnet unit tests, one key for every role.
#[cfg(test)]
pub(crate) mod test_accounts {
    use super::GenesisAccount;

    pub const KEY: &str = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

    pub fn acct(name: &str, ltm: bool, balance: i64) -> GenesisAccount {
        GenesisAccount {
            name: name.into(),
            owner_key: KEY.into(),
            active_key: KEY.into(),
            memo_key: KEY.into(),
            lifetime_member: ltm,
            registrar: None,
            referrer: None,
            referrer_percent: 0,
            balance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_accounts::{KEY, acct};

    fn spec() -> ChainSpec {
        let mut s = ChainSpec::new(MAINNET_CHAIN_ID, "BTS");
        s.block_interval = 3;
        s.accounts = vec![acct("faucet", true, 1_000_000), acct("alice", false, 0)];
        s
    }

    #[test]
    fn genesis_creates_special_accounts_then_configured_ones() {
        let c = Chain::genesis(spec(), 1_700_000_001).unwrap();
        let s = c.state();
        let names: Vec<&str> = s.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "committee-account",
                "witness-account",
                "relaxed-committee-account",
                "null-account",
                "temp-account",
                "proxy-to-self",
                "faucet",
                "alice"
            ]
        );
        let faucet = s.account_by_name("faucet").unwrap();
        assert!(faucet.is_lifetime_member());
        assert_eq!(
            (faucet.registrar, faucet.referrer, faucet.lifetime_referrer),
            (6, 6, 6)
        );
        assert_eq!(faucet.lifetime_referrer_fee_percentage, 8000);
        let alice = s.account_by_name("alice").unwrap();
        assert_eq!((alice.registrar, alice.referrer), (TEMP_ACCOUNT, 0));
        assert_eq!(s.core_balance(6), 1_000_000);
        assert_eq!(s.core_balance(7), 0);
        assert_eq!(s.core_supply, 1_000_000);
        assert_eq!(s.genesis_time % 3, 0);
        assert_eq!(s.key_references(KEY), vec![6, 7]);
    }

    #[test]
    fn genesis_rejects_bad_input() {
        let mut s = spec();
        s.accounts.push(acct("alice", false, 0));
        assert!(matches!(
            Chain::genesis(s, 0),
            Err(GenesisError::DuplicateAccount(_))
        ));
        let mut s = spec();
        s.accounts[1].registrar = Some("nobody".into());
        assert!(matches!(
            Chain::genesis(s, 0),
            Err(GenesisError::UnknownAccount { .. })
        ));
        let mut s = spec();
        s.accounts[1].memo_key = "TEST6MRy".into();
        assert!(matches!(
            Chain::genesis(s, 0),
            Err(GenesisError::KeyPrefix { .. })
        ));
    }

    #[test]
    fn blocks_chain_and_carry_their_number() {
        let mut c = Chain::genesis(spec(), 1_700_000_001).unwrap();
        let t0 = c.state().genesis_time;
        assert!(c.produce_block(t0).is_none(), "no slot at genesis time");
        let b1 = c.produce_block(t0 + 3).unwrap();
        let b2 = c.produce_block(t0 + 7).unwrap();
        assert_eq!(b1.num, 1);
        assert_eq!(b1.id.num(), 1);
        assert_eq!(b2.id.num(), 2);
        assert_eq!(b2.previous, b1.id);
        assert_eq!(b2.timestamp, t0 + 6, "times sit on slot boundaries");
        assert!(c.produce_block(t0 + 8).is_none(), "slot already filled");
        assert_eq!(c.block_id(2), Some(b2.id));
        assert_eq!(c.block_id(0), None);
        let d = &c.state().dgp;
        assert_eq!(d.head_block_number, 2);
        assert_eq!(d.head_block_id, b2.id);
        assert_eq!(d.current_aslot, 2);
        assert_eq!(d.recent_slots_filled, u128::MAX);
    }

    #[test]
    fn missed_slots_shift_the_participation_register() {
        let mut c = Chain::genesis(spec(), 0).unwrap();
        c.produce_block(3).unwrap();
        c.produce_block(12).unwrap(); // slots at 6 and 9 missed
        let d = &c.state().dgp;
        assert_eq!(d.current_aslot, 4);
        assert_eq!(d.recent_slots_filled.count_ones(), 126);
        assert_eq!(d.recently_missed_count, 8);
    }

    #[test]
    fn an_absent_witness_leaves_its_slots_missed() {
        let mut s = spec();
        s.absent_witnesses = vec![3];
        let mut c = Chain::genesis(s, 0).unwrap();
        let n = u64::from(c.state().spec.witness_count);
        let mut produced = Vec::new();
        let mut most_recently_missed = 0;
        for slot in 1..=(2 * n as i64) {
            if let Some(b) = c.produce_block(slot * 3) {
                produced.push(b);
            }
            most_recently_missed = most_recently_missed.max(c.state().dgp.recently_missed_count);
        }
        assert!(
            produced.iter().all(|b| b.witness != 3),
            "witness 3 produced"
        );
        // One slot a round passes without a block: two rounds, two misses.
        assert_eq!(produced.len() as u64, 2 * n - 2);
        let d = &c.state().dgp;
        assert_eq!(d.current_aslot, 2 * n);
        assert_eq!(d.recent_slots_filled.count_ones(), 126);
        // Raised by each miss (and decaying as blocks follow, as on the real chain).
        assert_eq!(most_recently_missed, 4);
    }

    #[test]
    fn lib_trails_head_by_seventy_percent_of_witnesses() {
        let mut c = Chain::genesis(spec(), 0).unwrap();
        for i in 1..=20 {
            c.produce_block(i * 3).unwrap();
        }
        assert_eq!(c.state().dgp.last_irreversible_block_num, 13);
    }

    #[test]
    fn maintenance_sets_the_flag_and_skips_slots() {
        let mut s = spec();
        s.maintenance_interval = 30;
        let mut c = Chain::genesis(s, 0).unwrap();
        for i in 1..10 {
            c.produce_block(i * 3).unwrap();
        }
        assert_eq!(c.state().dgp.next_maintenance_time, 30);
        let b = c.produce_block(30).unwrap();
        assert_eq!(b.num, 10);
        assert_eq!(c.state().dgp.dynamic_flags, 1);
        assert_eq!(c.state().dgp.next_maintenance_time, 60);
        assert!(c.produce_block(33).is_none());
        assert!(c.produce_block(39).is_none());
        let b = c.produce_block(42).unwrap();
        assert_eq!(b.num, 11);
        assert_eq!(c.state().dgp.dynamic_flags, 0);
    }

    #[test]
    fn snapshots_are_independent_of_later_changes() {
        let mut c = Chain::genesis(spec(), 0).unwrap();
        let snap = c.state().clone();
        c.state_mut().adjust_balance(7, 0, 500);
        c.produce_block(3).unwrap();
        assert_eq!(snap.core_balance(7), 0);
        assert_eq!(snap.head_num(), 0);
        assert_eq!(c.state().core_balance(7), 500);
        let b = c.state().balances.get(&(7, 0)).unwrap();
        assert_eq!(b.instance, 1, "new balance objects take the next 2.5.x id");
    }
}
