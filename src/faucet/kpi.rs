//! Onboarding KPIs from what the chain says about the registrar (PROTOCOL §20, §21). Pure:
//! `history.rs` reads the chain and the cache, this turns the records into numbers.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Basis points of 100% (`GRAPHENE_100_PERCENT`).
const PERCENT_100: i128 = 10_000;
const DAY: i64 = 86_400;

/// One `account_create` the registrar paid for, as read from its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The registrar's own history sequence number of the op.
    pub seq: u64,
    /// `1.2.N` of the new account (`result[1]`).
    pub account: String,
    pub name: String,
    pub referrer: String,
    /// Unix seconds of the block.
    pub time: i64,
    pub block_num: u32,
    /// Core satoshis the registrar paid.
    pub fee: i64,
}

/// A registration attempt that failed, recorded by `faucet register` (the chain knows
/// nothing of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub time: i64,
    pub name: String,
    pub class: String,
    pub text: String,
}

/// What a registered account has paid in fees, and who shares them (its stored
/// percentages, basis points).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFees {
    /// lifetime_fees_paid + pending_fees + pending_vested_fees.
    pub total: i64,
    pub network_pct: u16,
    pub lifetime_pct: u16,
    pub referrer_pct: u16,
    pub registrar: String,
    pub referrer: String,
    pub lifetime_referrer: String,
}

/// What `me` earns from fees, by role (PROTOCOL §21, floor per account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rewards {
    pub as_registrar: i64,
    pub as_referrer: i64,
    pub as_lifetime_referrer: i64,
    pub total: i64,
}

/// §21's split of `fees` for each account, summed over the roles `me` holds.
pub fn rewards(fees: &[AccountFees], me: &str) -> Rewards {
    let mut r = Rewards::default();
    for a in fees {
        let pct = |x: i64, p: u16| (i128::from(x) * i128::from(p) / PERCENT_100) as i64;
        let network = pct(a.total, a.network_pct);
        let lifetime = pct(a.total, a.lifetime_pct);
        let referral = a.total - network - lifetime;
        let referrer = pct(referral, a.referrer_pct);
        let registrar = referral - referrer;
        if a.registrar == me {
            r.as_registrar += registrar;
        }
        if a.referrer == me {
            r.as_referrer += referrer;
        }
        if a.lifetime_referrer == me {
            r.as_lifetime_referrer += lifetime;
        }
    }
    r.total = r.as_registrar + r.as_referrer + r.as_lifetime_referrer;
    r
}

/// `[faucet]` targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub accounts: u64,
    pub start: Date,
    pub end: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    /// Accounts still to register by the target date.
    pub remaining: u64,
    /// Whole days from today (inclusive) to the target date.
    pub days_left: i64,
    /// Registrations per day needed from now on.
    pub needed_per_day: f64,
    /// Where a straight line from start to target stands today.
    pub expected_by_now: u64,
    pub on_track: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    pub today: u64,
    pub last_7_days: u64,
    pub last_30_days: u64,
    pub since_start: u64,
    /// Set when the node's history is trimmed: counts only cover ops from this date on.
    pub since: Option<String>,
    pub pace: Pace,
    pub rewards: Rewards,
    /// Registrar's core balance, satoshis.
    pub balance: i64,
    /// The current `account_create` fee for a cheap name, satoshis.
    pub fee: i64,
    /// Registrations the balance still pays for at that fee.
    pub runway: i64,
    /// Newest first.
    pub last_registrations: Vec<Registration>,
    pub last_failures: Vec<Failure>,
    /// Registrations per UTC day over the last `DAILY_DAYS` days, oldest first, today
    /// last (the console's chart).
    pub daily: Vec<u64>,
}

/// Core-asset satoshis as coins (precision 5), e.g. `1234.56789`.
pub fn coins(sat: i64) -> String {
    crate::chain::to_pretty_string(sat, 5, "")
        .trim_end()
        .to_string()
}

/// Days in [`Kpis::daily`].
pub const DAILY_DAYS: usize = 30;

/// Registrations per UTC day of the `days` days ending with `today`, oldest first.
pub fn per_day(registrations: &[Registration], today: Date, days: usize) -> Vec<u64> {
    let mut out = vec![0u64; days];
    let today_start = day_start(today);
    for r in registrations {
        let back = today_start.div_euclid(DAY) - r.time.div_euclid(DAY);
        if let Ok(back) = usize::try_from(back)
            && back < days
        {
            out[days - 1 - back] += 1;
        }
    }
    out
}

/// Everything the KPIs are computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Input<'a> {
    pub registrations: &'a [Registration],
    pub failures: &'a [Failure],
    pub fees: &'a [AccountFees],
    pub registrar_id: &'a str,
    pub trimmed_since: Option<i64>,
    pub balance: i64,
    pub fee: i64,
    pub targets: Targets,
    /// Unix seconds.
    pub now: i64,
}

/// How many of the newest registrations and failures the KPIs list.
pub const LAST_SHOWN: usize = 5;

fn date_of(unix: i64) -> Option<Date> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(|t| t.date())
}

fn day_start(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp()
}

pub fn compute(i: &Input<'_>) -> Kpis {
    let today = date_of(i.now).unwrap_or(i.targets.start);
    let today_start = day_start(today);
    let count = |from: i64| i.registrations.iter().filter(|r| r.time >= from).count() as u64;
    let since_start = count(day_start(i.targets.start));
    let pace = pace(since_start, today, i.targets);
    let mut last: Vec<Registration> = i.registrations.to_vec();
    last.sort_by_key(|r| std::cmp::Reverse(r.seq));
    last.truncate(LAST_SHOWN);
    let mut failures: Vec<Failure> = i.failures.to_vec();
    failures.sort_by_key(|f| std::cmp::Reverse(f.time));
    failures.truncate(LAST_SHOWN);
    Kpis {
        today: count(today_start),
        last_7_days: count(i.now - 7 * DAY),
        last_30_days: count(i.now - 30 * DAY),
        since_start,
        since: i.trimmed_since.and_then(date_of).map(|d| d.to_string()),
        pace,
        rewards: rewards(i.fees, i.registrar_id),
        balance: i.balance,
        fee: i.fee,
        runway: if i.fee > 0 {
            i.balance.max(0) / i.fee
        } else {
            0
        },
        last_registrations: last,
        last_failures: failures,
        daily: per_day(i.registrations, today, DAILY_DAYS),
    }
}

fn pace(done: u64, today: Date, t: Targets) -> Pace {
    let remaining = t.accounts.saturating_sub(done);
    let days_left = ((t.end - today).whole_days() + 1).max(0);
    let needed_per_day = if days_left > 0 {
        remaining as f64 / days_left as f64
    } else {
        remaining as f64
    };
    let total_days = (t.end - t.start).whole_days().max(1);
    let elapsed = (today - t.start).whole_days().clamp(0, total_days);
    let expected_by_now =
        (t.accounts as i128 * i128::from(elapsed) / i128::from(total_days)) as u64;
    Pace {
        remaining,
        days_left,
        needed_per_day,
        expected_by_now,
        on_track: done >= expected_by_now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn reg(seq: u64, time: i64) -> Registration {
        Registration {
            seq,
            account: format!("1.2.{}", 100 + seq),
            name: format!("a-{seq}"),
            referrer: "1.2.6".into(),
            time,
            block_num: seq as u32,
            fee: 500_000,
        }
    }

    fn targets() -> Targets {
        Targets {
            accounts: 100,
            start: date!(2026 - 11 - 01),
            end: date!(2026 - 12 - 31),
        }
    }

    #[test]
    fn windows_count_by_block_time() {
        let now = day_start(date!(2026 - 12 - 06)) + 12 * 3600;
        let regs = [
            reg(1, day_start(date!(2026 - 10 - 30))), // before start_date
            reg(2, now - 33 * DAY),
            reg(3, now - 20 * DAY),
            reg(4, now - 6 * DAY),
            reg(5, now - 13 * 3600), // yesterday
            reg(6, now - 3600),
            reg(7, now),
        ];
        let k = compute(&Input {
            registrations: &regs,
            failures: &[],
            fees: &[],
            registrar_id: "1.2.6",
            trimmed_since: None,
            balance: 1_000_000,
            fee: 300_000,
            targets: targets(),
            now,
        });
        assert_eq!(
            (k.today, k.last_7_days, k.last_30_days, k.since_start),
            (2, 4, 5, 6)
        );
        assert_eq!(k.runway, 3);
        assert_eq!(k.last_registrations[0].seq, 7);
        assert_eq!(k.last_registrations.len(), LAST_SHOWN);
        assert_eq!(k.since, None);
        // 35 of 60 days gone: 58 expected, 6 done.
        assert_eq!(k.pace.expected_by_now, 58);
        assert!(!k.pace.on_track);
        assert_eq!(k.pace.remaining, 94);
        assert_eq!(k.pace.days_left, 26);
        // Per day, today last: 2 today, 1 yesterday, 1 six days ago, 1 twenty days ago.
        assert_eq!(k.daily.len(), DAILY_DAYS);
        assert_eq!(&k.daily[DAILY_DAYS - 2..], &[1, 2]);
        assert_eq!(k.daily[DAILY_DAYS - 7], 1);
        assert_eq!(k.daily[DAILY_DAYS - 21], 1);
        assert_eq!(k.daily.iter().sum::<u64>(), 5, "reg 2 is 33 days back");
    }

    #[test]
    fn a_trimmed_history_says_since_when() {
        let now = day_start(date!(2026 - 12 - 06));
        let regs = [reg(1, now - 3 * DAY)];
        let k = compute(&Input {
            registrations: &regs,
            failures: &[],
            fees: &[],
            registrar_id: "1.2.6",
            trimmed_since: Some(now - 5 * DAY + 60),
            balance: 0,
            fee: 0,
            targets: targets(),
            now,
        });
        assert_eq!(k.since.as_deref(), Some("2026-12-01"));
        assert_eq!((k.last_7_days, k.runway), (1, 0), "no fee, no runway");
    }

    #[test]
    fn rewards_follow_the_split_for_each_role() {
        let a = AccountFees {
            total: 1_000_001,
            network_pct: 2000,
            lifetime_pct: 3000,
            referrer_pct: 5000,
            registrar: "1.2.6".into(),
            referrer: "1.2.9".into(),
            lifetime_referrer: "1.2.6".into(),
        };
        // network 200000, lifetime 300000, referral 500001 → referrer 250000, registrar 250001.
        let r = rewards(std::slice::from_ref(&a), "1.2.6");
        assert_eq!(
            (r.as_registrar, r.as_referrer, r.as_lifetime_referrer),
            (250_001, 0, 300_000)
        );
        assert_eq!(r.total, 550_001);
        let r = rewards(&[a], "1.2.9");
        assert_eq!((r.as_referrer, r.total), (250_000, 250_000));
    }
}
