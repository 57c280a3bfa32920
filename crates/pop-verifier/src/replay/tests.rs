use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

fn t(s: i64) -> UnixTime {
    UnixTime::from_secs(s)
}

#[test]
fn second_use_is_refused_until_expiry() {
    let guard = InMemoryReplayGuard::new(10);
    assert_eq!(guard.check_and_record("a", t(200), t(100)), Ok(()));
    assert_eq!(
        guard.check_and_record("a", t(200), t(150)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(
        guard.check_and_record("a", t(200), t(199)),
        Err(ReplayError::Replayed)
    );
    // At expires_at the entry is gone and the key may be recorded again.
    assert_eq!(guard.check_and_record("a", t(300), t(200)), Ok(()));
}

#[test]
fn already_expired_entries_are_refused() {
    let guard = InMemoryReplayGuard::new(10);
    assert_eq!(
        guard.check_and_record("a", t(100), t(100)),
        Err(ReplayError::AlreadyExpired)
    );
    assert!(guard.is_empty());
}

#[test]
fn full_guard_fails_closed_and_recovers_after_expiry() {
    let guard = InMemoryReplayGuard::new(2);
    assert_eq!(guard.check_and_record("a", t(200), t(100)), Ok(()));
    assert_eq!(guard.check_and_record("b", t(300), t(100)), Ok(()));
    assert_eq!(
        guard.check_and_record("c", t(300), t(100)),
        Err(ReplayError::Full { max: 2 })
    );
    // Full does not forget unexpired entries.
    assert_eq!(
        guard.check_and_record("a", t(200), t(150)),
        Err(ReplayError::Replayed)
    );
    // Once "a" expires there is room again, and "b" is still remembered.
    assert_eq!(guard.check_and_record("c", t(400), t(200)), Ok(()));
    assert_eq!(
        guard.check_and_record("b", t(400), t(250)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(guard.len(), 2);
}

#[test]
fn keys_sharing_an_expiry_are_each_remembered_and_each_dropped() {
    let guard = InMemoryReplayGuard::new(10);
    for key in ["p|x|1", "p|x|2", "p|x|3"] {
        assert_eq!(guard.check_and_record(key, t(200), t(100)), Ok(()));
    }
    assert_eq!(guard.check_and_record("p|x|4", t(300), t(100)), Ok(()));
    for key in ["p|x|3", "p|x|1", "p|x|2"] {
        assert_eq!(
            guard.check_and_record(key, t(200), t(150)),
            Err(ReplayError::Replayed),
            "{key}"
        );
    }
    assert_eq!(guard.len(), 4);
    // At 200 the three that share the expiry go together; the later one stays.
    assert_eq!(guard.check_and_record("p|x|2", t(400), t(200)), Ok(()));
    assert_eq!(guard.len(), 2);
    assert_eq!(
        guard.check_and_record("p|x|4", t(400), t(250)),
        Err(ReplayError::Replayed)
    );
}

#[test]
fn concurrent_presentations_see_exactly_one_acceptance() {
    const THREADS: usize = 16;
    for round in 0..20 {
        let guard = Arc::new(InMemoryReplayGuard::new(1000));
        let accepted = Arc::new(AtomicUsize::new(0));
        let replayed = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(std::sync::Barrier::new(THREADS));
        let key = format!("jti-{round}");
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (guard, accepted, replayed, barrier, key) = (
                    Arc::clone(&guard),
                    Arc::clone(&accepted),
                    Arc::clone(&replayed),
                    Arc::clone(&barrier),
                    key.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    match guard.check_and_record(&key, t(1_000), t(500)) {
                        Ok(()) => accepted.fetch_add(1, Ordering::SeqCst),
                        Err(ReplayError::Replayed) => replayed.fetch_add(1, Ordering::SeqCst),
                        Err(other) => panic!("unexpected {other:?}"),
                    };
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(replayed.load(Ordering::SeqCst), THREADS - 1);
    }
}

#[test]
fn replay_keys_are_unambiguous() {
    assert_ne!(replay_key("n", "a|1", "b"), replay_key("n", "a", "1|b"));
    assert_eq!(replay_key("abca-pop", "client", "x"), "abca-pop|6:client|x");
}

/// A guard that records one key at a time and counts its calls: the provided batch method.
#[derive(Default)]
struct OneByOne {
    inner: InMemoryReplayGuard,
    calls: AtomicUsize,
}

impl ReplayGuard for OneByOne {
    fn check_and_record(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.check_and_record(key, expires_at, now)
    }
}

#[test]
fn a_batch_is_recorded_all_or_none_in_memory() {
    let guard = InMemoryReplayGuard::new(4);
    assert_eq!(guard.check_and_record("live", t(300), t(100)), Ok(()));
    // A live key, a key given twice, an expired entry, no room: nothing of the batch is kept.
    let refused: [(&[(&str, UnixTime)], ReplayError); 4] = [
        (&[("a", t(200)), ("live", t(200))], ReplayError::Replayed),
        (
            &[("a", t(200)), ("b", t(200)), ("a", t(200))],
            ReplayError::Replayed,
        ),
        (&[("a", t(200)), ("b", t(100))], ReplayError::AlreadyExpired),
        (
            &[("a", t(200)), ("b", t(200)), ("c", t(200)), ("d", t(200))],
            ReplayError::Full { max: 4 },
        ),
    ];
    for (batch, error) in refused {
        assert_eq!(guard.check_and_record_all(batch, t(100)), Err(error));
        assert_eq!(guard.len(), 1, "{batch:?} left nothing behind");
    }
    assert_eq!(
        guard.check_and_record_all(&[("a", t(200)), ("b", t(250)), ("c", t(200))], t(100)),
        Ok(())
    );
    for key in ["a", "b", "c", "live"] {
        assert_eq!(
            guard.check_and_record(key, t(400), t(150)),
            Err(ReplayError::Replayed),
            "{key}"
        );
    }
    // Each entry lives until its own expiry.
    assert_eq!(guard.check_and_record("a", t(400), t(200)), Ok(()));
    assert_eq!(
        guard.check_and_record("b", t(400), t(200)),
        Err(ReplayError::Replayed)
    );
}

#[test]
fn the_provided_batch_records_one_by_one_up_to_the_refused_entry() {
    let guard = OneByOne::default();
    assert_eq!(guard.check_and_record("live", t(300), t(100)), Ok(()));
    assert_eq!(
        guard.check_and_record_all(&[("a", t(200)), ("live", t(200)), ("b", t(200))], t(100)),
        Err(ReplayError::Replayed)
    );
    // One call for the setup, two for the batch: "b" was never tried, "a" stays recorded.
    assert_eq!(guard.calls.load(Ordering::Relaxed), 3);
    assert_eq!(
        guard.check_and_record("a", t(200), t(100)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(guard.check_and_record("b", t(200), t(100)), Ok(()));
    // A key given twice is a replay of itself.
    assert_eq!(
        guard.check_and_record_all(&[("c", t(200)), ("c", t(200))], t(100)),
        Err(ReplayError::Replayed)
    );
}

#[test]
fn record_all_hands_out_the_accepted_proofs_in_order_or_none() {
    let guard = InMemoryReplayGuard::new(10);
    let proofs = |keys: &[&str]| {
        keys.iter()
            .enumerate()
            .map(|(i, key)| Unrecorded::new(i, (*key).to_owned(), t(200)))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        Unrecorded::record_all(proofs(&["x", "y", "z"]), &guard, t(100)),
        Ok(vec![0, 1, 2])
    );
    assert_eq!(
        Unrecorded::record_all(proofs(&["w", "y"]), &guard, t(100)),
        Err(ReplayError::Replayed)
    );
    assert_eq!(guard.len(), 3, "w was not recorded");
    assert_eq!(
        Unrecorded::record_all(Vec::<Unrecorded<()>>::new(), &guard, t(100)),
        Ok(vec![])
    );
}

#[test]
fn a_repeated_key_is_found_in_batches_of_any_size() {
    for len in [0usize, 1, 2, 8, 9, 100] {
        let keys: Vec<String> = (0..len).map(|i| format!("k{i}")).collect();
        let mut entries: Vec<(&str, UnixTime)> = keys.iter().map(|k| (k.as_str(), t(1))).collect();
        assert!(!repeats_a_key(&entries), "{len} distinct keys");
        if let Some(&(first, _)) = entries.first() {
            entries.push((first, t(2)));
            assert!(repeats_a_key(&entries), "{len} keys and the first again");
        }
    }
}
