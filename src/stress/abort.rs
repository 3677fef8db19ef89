//! The run's stop switch: the first reason wins, everything waiting wakes at once.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Abort {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    reason: Mutex<Option<String>>,
    flag: watch::Sender<bool>,
}

impl Default for Abort {
    fn default() -> Self {
        Abort {
            inner: Arc::new(Inner {
                reason: Mutex::new(None),
                flag: watch::Sender::new(false),
            }),
        }
    }
}

impl Abort {
    /// Stops the run for `why` unless it already stopped for another reason.
    pub fn trigger(&self, why: impl Into<String>) {
        let mut r = self
            .inner
            .reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if r.is_none() {
            *r = Some(why.into());
        }
        drop(r);
        self.inner.flag.send_replace(true);
    }

    pub fn is_set(&self) -> bool {
        *self.inner.flag.borrow()
    }

    pub fn reason(&self) -> Option<String> {
        self.inner
            .reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Resolves once the run is stopped.
    pub async fn wait(&self) {
        let mut rx = self.inner.flag.subscribe();
        // The sender lives in `self`, so this only ends when the flag is set.
        let _ = rx.wait_for(|set| *set).await;
    }
}
