//! Threads that do background work in the embedded default — the queue consumers, the blocking
//! threads of their file writes (the outbox), the WAL checkpoints — give way to the threads that
//! answer requests.
//!
//! The dev server runs both on the same cores. A background thread that wakes (a message
//! arrived, a sleep ended) preempts whatever runs; when that is a request handler holding the
//! shared SQLite connection, every other request waits until the handler gets a core back.
//! On Linux such threads run under `SCHED_BATCH`: the same share of the CPU as any other
//! thread (no starvation, so a consumer holding the connection is not left waiting behind
//! requests, the priority inversion a lower nice value causes), but their wake-ups do not
//! preempt a running thread. `make bench-load` measured it (docs/benchmarks.md, session 12).

/// Puts the calling thread under the background policy (on Linux `SCHED_BATCH`, which needs no
/// privilege); elsewhere, or if the kernel refuses, the thread keeps the normal policy.
pub fn run_as_background_thread() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is the calling thread, `param` is a valid sched_param that outlives the
        // call, and SCHED_BATCH takes priority 0.
        let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
        if rc != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "SCHED_BATCH refused; normal policy kept");
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn a_background_thread_runs_under_sched_batch_and_others_keep_the_normal_policy() {
        // SAFETY: sched_getscheduler(0) only reads the calling thread's policy.
        let policy = || unsafe { libc::sched_getscheduler(0) };
        let before = std::thread::spawn(policy).join().unwrap();
        let after = std::thread::spawn(move || {
            super::run_as_background_thread();
            policy()
        })
        .join()
        .unwrap();
        assert_eq!(before, libc::SCHED_OTHER);
        assert_eq!(after, libc::SCHED_BATCH);
        assert_eq!(policy(), libc::SCHED_OTHER, "the calling thread is not changed");
    }
}
