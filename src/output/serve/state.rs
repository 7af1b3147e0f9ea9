//! What the server's threads share: the last site built without errors, the
//! generation, and the errors of the last rebuild.
//!
//! The builder thread swaps a finished [`ServedSite`] in under the lock, so a request
//! sees either the old site or the new one, never half a build. Every finished
//! rebuild, with or without errors, starts a new generation: pages learn of it
//! through [`Live::wait_past`] and reload, to show the new site or the errors.
//! A waiting page holds no thread: it waits on a `tokio` watch channel of the
//! generation.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use super::live::Problem;
use super::site::ServedSite;

/// The state one request sees.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The last site built without errors (empty before the first one).
    pub site: Arc<ServedSite>,
    /// How many rebuilds finished, with or without errors.
    pub generation: u64,
    /// A rebuild is under way.
    pub building: bool,
    /// The errors of the last rebuild; none when it succeeded.
    pub problems: Arc<[Problem]>,
    /// How long the last rebuild took.
    pub last_rebuild_ms: u64,
}

/// `GET /__casebook/status`: what tests and the benchmark wait on.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Rebuilds finished, with or without errors: a page served at an older one reloads.
    pub generation: u64,
    /// A rebuild is under way.
    pub building: bool,
    /// Errors of the last rebuild; 0 when it succeeded.
    pub errors: usize,
    /// How long the last rebuild took.
    pub last_rebuild_ms: u64,
    /// Files in the site being served.
    pub files: usize,
}

impl Snapshot {
    /// The JSON answer of the status and reload endpoints.
    pub fn status(&self) -> Status {
        Status {
            generation: self.generation,
            building: self.building,
            errors: self.problems.len(),
            last_rebuild_ms: self.last_rebuild_ms,
            files: self.site.len(),
        }
    }
}

/// The shared state and the signal that it changed.
pub struct Live {
    state: Mutex<Snapshot>,
    /// The generation, for requests that wait for the next one.
    generation: watch::Sender<u64>,
}

impl Default for Live {
    /// Before the first build: no site, generation 0, building.
    fn default() -> Live {
        Live {
            state: Mutex::new(Snapshot {
                site: Arc::new(ServedSite::default()),
                generation: 0,
                building: true,
                problems: Arc::from(Vec::new()),
                last_rebuild_ms: 0,
            }),
            generation: watch::Sender::new(0),
        }
    }
}

impl Live {
    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().clone()
    }

    /// Marks a rebuild as under way.
    pub fn start_building(&self) {
        self.lock().building = true;
    }

    /// Ends a rebuild: swaps `site` in (`None` keeps the last good one), records
    /// its errors and starts the next generation. Returns that generation.
    pub fn finish(&self, site: Option<ServedSite>, problems: Vec<Problem>, took: Duration) -> u64 {
        let mut state = self.lock();
        if let Some(site) = site {
            state.site = Arc::new(site);
        }
        state.problems = Arc::from(problems);
        state.generation += 1;
        state.building = false;
        state.last_rebuild_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        let generation = state.generation;
        drop(state);
        self.generation.send_replace(generation);
        generation
    }

    /// Waits until the generation is no longer `since`, or `timeout` passed, and
    /// returns the state then. A waiting request is a future, not a thread.
    pub async fn wait_past(&self, since: u64, timeout: Duration) -> Snapshot {
        let mut generations = self.generation.subscribe();
        let _ = tokio::time::timeout(timeout, generations.wait_for(|&g| g != since)).await;
        self.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finished_rebuild_is_a_generation() {
        let live = Live::default();
        assert_eq!(live.snapshot().generation, 0);
        assert!(live.snapshot().building);
        let first = live.finish(
            Some(ServedSite::default()),
            Vec::new(),
            Duration::from_millis(5),
        );
        assert_eq!(first, 1);
        let state = live.snapshot();
        assert!(!state.building);
        assert_eq!(state.last_rebuild_ms, 5);
        live.start_building();
        let problem = Problem {
            place: None,
            message: "broken".into(),
        };
        let kept = Arc::clone(&live.snapshot().site);
        assert_eq!(live.finish(None, vec![problem], Duration::ZERO), 2);
        let state = live.snapshot();
        assert!(
            Arc::ptr_eq(&kept, &state.site),
            "a failed rebuild keeps the site"
        );
        assert_eq!(state.status().errors, 1);
        live.finish(Some(ServedSite::default()), Vec::new(), Duration::ZERO);
        assert_eq!(live.snapshot().status().errors, 0);
    }

    /// Runs `future` to its end on a runtime of its own, with timers.
    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    #[test]
    fn waiting_returns_at_once_for_an_old_generation() {
        let live = Live::default();
        live.finish(None, Vec::new(), Duration::ZERO);
        let state = block_on(live.wait_past(0, Duration::from_secs(60)));
        assert_eq!(state.generation, 1);
    }

    #[test]
    fn waiting_times_out_without_a_rebuild() {
        let live = Live::default();
        let state = block_on(live.wait_past(0, Duration::from_millis(1)));
        assert_eq!(state.generation, 0);
    }

    #[test]
    fn waiting_wakes_on_a_rebuild() {
        let live = Arc::new(Live::default());
        let waiter = {
            let live = Arc::clone(&live);
            std::thread::spawn(move || {
                block_on(live.wait_past(0, Duration::from_secs(60))).generation
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        live.finish(None, Vec::new(), Duration::ZERO);
        assert_eq!(waiter.join().expect("waiter"), 1);
    }
}
