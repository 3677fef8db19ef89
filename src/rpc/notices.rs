//! The notice queue between a connection's reader task and its one consumer, bounded
//! in bytes as well as in count.
//!
//! A count bound alone is not enough: a node may send notices of up to a frame each
//! (a megabyte for the monitor), and a consumer that is busy waiting on a call (the
//! probe, whose reply the node holds back) does not read them. 1,024 such notices,
//! parsed, were gigabytes. So every queued notice is charged its estimated in-memory
//! size, and when the budget is exceeded the **oldest** notices go first: a consumer
//! that wants the chain head wants the newest ones. A single notice larger than the
//! whole budget is dropped on arrival. Every drop is counted.
//!
//! The reader never waits on the consumer: replies to calls share the socket.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::sync::Notify;

use super::types::Notice;

/// Limits of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeLimits {
    /// Most notices held at once.
    pub max_count: usize,
    /// Most estimated bytes held at once (see [`value_bytes`]).
    pub max_bytes: usize,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<(Notice, usize)>,
    bytes: usize,
    /// The reader is gone: once the queue is drained the consumer gets `None`.
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Notify,
    dropped: AtomicU64,
    limits: NoticeLimits,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Plain pushes and pops: a poisoned queue is still consistent.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The reader's end. Dropping it (the reader ended or was aborted) closes the queue.
pub struct NoticeSender {
    shared: Arc<Shared>,
}

/// The consumer's end: [`recv`](Self::recv) yields queued notices, then `None` once
/// the connection is gone.
pub struct NoticeReceiver {
    shared: Arc<Shared>,
}

/// A read-only view of a queue's drop counter, for the connection's owner.
#[derive(Clone)]
pub struct NoticeStats {
    shared: Arc<Shared>,
}

impl NoticeStats {
    /// Notices dropped so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

/// A new queue; the drop counter is readable from either end.
pub fn queue(limits: NoticeLimits) -> (NoticeSender, NoticeReceiver) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue::default()),
        ready: Notify::new(),
        dropped: AtomicU64::new(0),
        limits,
    });
    (
        NoticeSender {
            shared: Arc::clone(&shared),
        },
        NoticeReceiver { shared },
    )
}

impl NoticeSender {
    /// Queues `notice`, dropping the oldest ones (or this one, if it alone is over the
    /// byte budget) to stay within the limits. Never waits.
    pub fn push(&self, notice: Notice) {
        let cost = notice_bytes(&notice);
        let limits = self.shared.limits;
        let mut dropped = 0u64;
        {
            let mut q = self.shared.lock();
            if cost > limits.max_bytes || limits.max_count == 0 {
                dropped += 1;
            } else {
                q.items.push_back((notice, cost));
                q.bytes += cost;
                while q.bytes > limits.max_bytes || q.items.len() > limits.max_count {
                    let Some((_, c)) = q.items.pop_front() else {
                        break;
                    };
                    q.bytes -= c;
                    dropped += 1;
                }
            }
        }
        if dropped > 0 {
            self.shared.dropped.fetch_add(dropped, Ordering::Relaxed);
        }
        self.shared.ready.notify_one();
    }

    /// Notices dropped so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Whether a notice whose frame text is `text_len` bytes long is too big to queue
    /// at all: its parsed form is about as big or bigger, and the whole budget cannot
    /// hold it. The reader then drops it unparsed and calls [`count_drop`](Self::count_drop).
    pub fn too_big(&self, text_len: usize) -> bool {
        text_len > self.shared.limits.max_bytes
    }

    /// Counts a notice dropped before it reached the queue.
    pub fn count_drop(&self) {
        self.shared.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// A handle on the drop counter that outlives neither end's use.
    pub fn stats(&self) -> NoticeStats {
        NoticeStats {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Estimated bytes queued now.
    pub fn queued_bytes(&self) -> usize {
        self.shared.lock().bytes
    }
}

impl Drop for NoticeSender {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
    }
}

impl NoticeReceiver {
    /// The oldest queued notice; waits for one; `None` once the connection is gone and
    /// the queue is empty.
    pub async fn recv(&mut self) -> Option<Notice> {
        loop {
            // Registered before looking, so a push between the look and the wait still
            // wakes us (`notify_one` stores a permit when nobody waits).
            let ready = self.shared.ready.notified();
            {
                let mut q = self.shared.lock();
                if let Some((notice, cost)) = q.items.pop_front() {
                    q.bytes -= cost;
                    return Some(notice);
                }
                if q.closed {
                    return None;
                }
            }
            ready.await;
        }
    }

    /// Notices dropped so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

/// Estimated heap bytes of a notice once parsed.
pub fn notice_bytes(n: &Notice) -> usize {
    std::mem::size_of::<Notice>() + n.args.iter().map(value_bytes).sum::<usize>()
}

/// Estimated bytes a parsed JSON value occupies: the value itself plus its strings,
/// elements and map entries. An estimate (allocator slack and map index overhead are
/// approximated), but proportional to what a hostile notice really costs: a megabyte
/// of `[0,0,0,…]` is tens of megabytes once parsed, which its text length would hide.
/// Recursion is bounded by serde_json's nesting limit (128) on everything parsed.
pub fn value_bytes(v: &Value) -> usize {
    const ENTRY_OVERHEAD: usize = std::mem::size_of::<String>() + 2 * std::mem::size_of::<usize>();
    std::mem::size_of::<Value>()
        + match v {
            Value::String(s) => s.len(),
            Value::Array(a) => a.iter().map(value_bytes).sum(),
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| ENTRY_OVERHEAD + k.len() + value_bytes(v))
                .sum(),
            Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notice(n: u64, pad: usize) -> Notice {
        Notice {
            callback: 7,
            args: vec![json!([{"id": "2.1.0", "head_block_number": n, "pad": "x".repeat(pad)}])],
        }
    }

    fn drain(rx: &mut NoticeReceiver) -> Vec<u64> {
        let mut out = Vec::new();
        let mut q = rx.shared.lock();
        while let Some((n, c)) = q.items.pop_front() {
            q.bytes -= c;
            out.push(n.args[0][0]["head_block_number"].as_u64().unwrap_or(0));
        }
        out
    }

    #[test]
    fn over_budget_drops_the_oldest_and_counts() {
        let one = notice_bytes(&notice(0, 1000));
        let (tx, mut rx) = queue(NoticeLimits {
            max_count: 100,
            max_bytes: one * 3,
        });
        for n in 1..=10 {
            tx.push(notice(n, 1000));
        }
        assert!(tx.queued_bytes() <= one * 3);
        assert_eq!(drain(&mut rx), vec![8, 9, 10], "the newest are kept");
        assert_eq!(rx.dropped(), 7);
    }

    #[test]
    fn count_bound_still_holds() {
        let (tx, mut rx) = queue(NoticeLimits {
            max_count: 2,
            max_bytes: usize::MAX,
        });
        for n in 1..=5 {
            tx.push(notice(n, 0));
        }
        assert_eq!(drain(&mut rx), vec![4, 5]);
        assert_eq!(tx.dropped(), 3);
    }

    #[test]
    fn a_notice_bigger_than_the_budget_is_dropped_alone() {
        let (tx, mut rx) = queue(NoticeLimits {
            max_count: 10,
            max_bytes: 4096,
        });
        tx.push(notice(1, 10));
        tx.push(notice(2, 100_000));
        tx.push(notice(3, 10));
        assert_eq!(drain(&mut rx), vec![1, 3]);
        assert_eq!(rx.dropped(), 1);
    }

    #[test]
    fn parsed_size_is_charged_not_text_length() {
        let text = format!("[{}0]", "0,".repeat(10_000));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(value_bytes(&v) >= 10_000 * std::mem::size_of::<Value>());
        assert!(value_bytes(&v) > text.len() * 4);
    }

    #[tokio::test]
    async fn receiver_drains_then_sees_the_end() {
        let (tx, mut rx) = queue(NoticeLimits {
            max_count: 10,
            max_bytes: 1 << 20,
        });
        tx.push(notice(1, 0));
        drop(tx);
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_none());
    }
}
