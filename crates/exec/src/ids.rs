//! Client order ids that stay unique across restarts.
//!
//! An id is `<prefix>-<session>-<counter>` in base 36: the session is the
//! clock's time (ms) when the generator started, so a restarted process
//! never reuses an earlier session's ids, and within a session the counter
//! only grows. A backtest's clock is simulated, so its ids repeat exactly
//! from run to run. A recovered session resumes its own counter
//! ([`ClientOrderIds::resume`]) from the journal.

use kestrel_model::ClientOrderId;

/// Hands out client order ids.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientOrderIds {
    prefix: String,
    session: u64,
    next: u64,
}

/// Appends `n` in base 36 to `out` at `len`, returning the new length.
fn push_base36(out: &mut [u8; 48], mut len: usize, mut n: u64) -> usize {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let start = len;
    loop {
        out[len] = DIGITS[(n % 36) as usize];
        len += 1;
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out[start..len].reverse();
    len
}

impl ClientOrderIds {
    /// A generator for a session starting at `session_ms` (clock time).
    /// `prefix` is kept to at most 8 id-safe characters.
    pub fn new(prefix: &str, session_ms: u64) -> Self {
        let prefix: String = prefix
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(8)
            .collect();
        Self {
            prefix,
            session: session_ms,
            next: 0,
        }
    }

    /// A generator continuing `session` after `issued` ids.
    pub fn resume(prefix: &str, session_ms: u64, issued: u64) -> Self {
        Self {
            next: issued,
            ..Self::new(prefix, session_ms)
        }
    }

    /// A generator with the same prefix for a new session: after a
    /// restart, ids never collide with any the previous process may have
    /// sent without journaling.
    pub fn with_session(&self, session_ms: u64) -> Self {
        Self {
            prefix: self.prefix.clone(),
            session: session_ms,
            next: 0,
        }
    }

    /// Whether `id` is one of this session's that it had not issued:
    /// after a crash, the generator restored from the journal counts only
    /// the ids journaled, so a venue order with such an id was sent while
    /// its record was lost.
    pub fn not_yet_issued(&self, id: &str) -> bool {
        let Some((session, n)) = id
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|rest| rest.split_once('-'))
        else {
            return false;
        };
        let base36 = |t: &str| u64::from_str_radix(t, 36).ok();
        base36(session) == Some(self.session) && base36(n).is_some_and(|n| n >= self.next)
    }

    /// How many ids this session has issued.
    pub fn issued(&self) -> u64 {
        self.next
    }

    /// The next id. At most 8 + 1 + 9 + 1 + 13 = 32 characters, within
    /// Binance's 36.
    pub fn next_id(&mut self) -> ClientOrderId {
        // 8 prefix bytes, two dashes and two u64s in base 36 (13 digits
        // each) fit in 36 bytes, with no allocation per order.
        let mut text = [0u8; 48];
        let mut len = self.prefix.len();
        text[..len].copy_from_slice(self.prefix.as_bytes());
        text[len] = b'-';
        len = push_base36(&mut text, len + 1, self.session);
        text[len] = b'-';
        len = push_base36(&mut text, len + 1, self.next);
        self.next += 1;
        // Only [a-z0-9-]: always valid text and a valid id.
        let text = std::str::from_utf8(&text[..len]).unwrap_or_default();
        ClientOrderId::new(text).unwrap_or_else(|_| unreachable!("client id {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_differ_across_sessions_and_repeat_for_the_same_clock() {
        let mut a = ClientOrderIds::new("kst", 1_723_161_256_000);
        let first = a.next_id();
        assert_eq!(first.as_str(), "kst-lzlxpykg-0");
        let mut seen: HashSet<_> = (0..10_000).map(|_| a.next_id()).collect();
        seen.insert(first);
        assert_eq!(seen.len(), 10_001);
        let mut restarted = ClientOrderIds::new("kst", 1_723_161_256_001);
        assert!(!seen.contains(&restarted.next_id()));
        let mut again = ClientOrderIds::new("kst", 1_723_161_256_000);
        assert_eq!(
            again.next_id(),
            first,
            "same clock, same ids: backtests repeat"
        );
        let mut resumed = ClientOrderIds::resume("kst", 1_723_161_256_000, a.issued());
        assert!(!seen.contains(&resumed.next_id()));
        let mut restored = ClientOrderIds::resume("kst0", 1_723_161_256_000, 2);
        let sent = ClientOrderIds::new("kst0", 1_723_161_256_000).next_id();
        assert!(
            !restored.not_yet_issued(sent.as_str()),
            "{sent} was journaled"
        );
        let lost = restored.clone().next_id();
        assert!(restored.not_yet_issued(lost.as_str()));
        assert!(!restored.with_session(7).not_yet_issued(lost.as_str()));
        assert!(
            !ClientOrderIds::resume("kst1", 1_723_161_256_000, 2).not_yet_issued(lost.as_str())
        );
        assert!(!restored.not_yet_issued("kst0-zz-"));
        restored.next_id();
        assert!(!restored.not_yet_issued(lost.as_str()), "issued now");
        let long = ClientOrderIds::new("a very long prefix!", u64::MAX).next_id();
        assert!(long.as_str().len() <= 36);
    }
}
