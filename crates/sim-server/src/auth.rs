//! API keys and Binance's request signing: `HMAC-SHA256(secret, query
//! string ‖ body)` without the `signature` parameter itself, hex in
//! `signature`, the key in `X-MBX-APIKEY`, and `timestamp` within
//! `recvWindow` of the server's clock.

use kestrel_sim::AccountId;
use ring::hmac;

use crate::error::ApiError;

/// One API key and its account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// The public key, sent in `X-MBX-APIKEY`.
    pub key: String,
    /// The secret HMAC signatures are made with. For an Ed25519 key, a
    /// secret of the server's own that only it signs with: the calls of a
    /// WebSocket API session logged on with the key (`session.logon`).
    pub secret: String,
    /// The account it trades.
    pub account: AccountId,
    /// An Ed25519 key's public half: the client signs with the private
    /// half, base64 in `signature`, as Binance's Ed25519 keys do.
    pub ed25519: Option<[u8; 32]>,
}

impl ApiKey {
    /// An HMAC key.
    pub fn hmac(key: &str, secret: &str, account: AccountId) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
            account,
            ed25519: None,
        }
    }

    /// An Ed25519 key with this public half.
    pub fn ed25519(key: &str, public: [u8; 32], account: AccountId) -> Self {
        Self {
            key: key.into(),
            secret: crate::http::new_control_token(),
            account,
            ed25519: Some(public),
        }
    }

    /// Whether `signature` signs `payload` with this key: HMAC-SHA256 hex
    /// with the secret, or for an Ed25519 key also the client's base64
    /// Ed25519 signature.
    fn signs(&self, payload: &str, signature: &str) -> bool {
        let hmac = hmac::Key::new(hmac::HMAC_SHA256, self.secret.as_bytes());
        if hex(hmac::sign(&hmac, payload.as_bytes()).as_ref()).eq_ignore_ascii_case(signature) {
            return true;
        }
        let Some(public) = self.ed25519 else {
            return false;
        };
        use base64::Engine;
        let decoded: String = form_urlencoded::parse(format!("s={signature}").as_bytes())
            .map(|(_, v)| v.into_owned())
            .next()
            .unwrap_or_default();
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(decoded) else {
            return false;
        };
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
            .verify(payload.as_bytes(), &bytes)
            .is_ok()
    }
}

/// The server's keys.
#[derive(Clone, Debug, Default)]
pub struct ApiKeys(pub Vec<ApiKey>);

/// The clocks a request's `timestamp` may follow.
///
/// * The **wall clock**, which clients that sign with their own time use:
///   Binance's rule, within `recvWindow` behind and 1 s ahead.
/// * The **venue clock**, for clients that set their offset from
///   `serverTime` once (python-binance's async client, ccxt's
///   `adjustForTimeDifference`, Kestrel's gateway). A replay faster or
///   slower than real time, or stepped, moves the venue clock away from any
///   fixed offset, so in its frame a timestamp need only lie within the
///   replay: from its start (less `recvWindow`) to 1 s past the latest the
///   venue clock could read for a client that synced at any point. The
///   wall-clock check still bounds how long a captured request stays good
///   for the clients that sign with their own time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningClocks {
    /// Wall-clock ms.
    pub wall: u64,
    /// The venue clock at the replay's start, ms.
    pub venue_start: u64,
    /// The latest venue time a synced client could sign with, ms.
    pub venue_latest: u64,
}

impl SigningClocks {
    /// One clock for both frames (tests, and a replay at real time from now).
    pub fn at(now_ms: u64) -> Self {
        Self {
            wall: now_ms,
            venue_start: now_ms,
            venue_latest: now_ms,
        }
    }
}

/// The Ed25519 public key in a PEM `PUBLIC KEY` (SubjectPublicKeyInfo),
/// the form Binance takes Ed25519 keys in; `None` if it is not one.
pub fn ed25519_public_key_from_pem(pem: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    // The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
    const PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    let key = der.strip_prefix(&PREFIX)?;
    key.try_into().ok()
}

/// `recvWindow` when the request names none, and the most it may name.
const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;
const MAX_RECV_WINDOW_MS: u64 = 60_000;
/// How far ahead of the server a timestamp may be.
const MAX_AHEAD_MS: u64 = 1_000;

impl ApiKeys {
    /// The account of an `X-MBX-APIKEY` value.
    pub fn account(&self, key: Option<&str>) -> Result<AccountId, ApiError> {
        let key = key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::api_key(-2014))?;
        self.0
            .iter()
            .find(|k| k.key == key)
            .map(|k| k.account)
            .ok_or_else(|| ApiError::api_key(-2015))
    }

    /// Checks a signed request: key, signature, then its `timestamp`
    /// against either of `clocks` ([`SigningClocks`]).
    pub fn verify(
        &self,
        key: Option<&str>,
        query: &str,
        body: &str,
        clocks: SigningClocks,
    ) -> Result<AccountId, ApiError> {
        let account = self.account(key)?;
        let api_key = self
            .0
            .iter()
            .find(|k| k.account == account && Some(k.key.as_str()) == key)
            .ok_or_else(|| ApiError::api_key(-2015))?;
        let (query, query_sig) = split_signature(query);
        let (body, body_sig) = split_signature(body);
        let signature = query_sig
            .or(body_sig)
            .ok_or_else(|| ApiError::mandatory("signature"))?;
        // Clients differ on what they sign: the parameters as sent (ccxt), or
        // their values before form encoding (python-binance). Both match the
        // bytes when no value needs escaping; otherwise either is accepted.
        let signs = |payload: &str| api_key.signs(payload, signature);
        if !signs(&format!("{query}{body}")) && !signs(&decoded(&query, &body)) {
            return Err(ApiError::signature());
        }
        let param = |name: &str| {
            form_urlencoded::parse(query.as_bytes())
                .chain(form_urlencoded::parse(body.as_bytes()))
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let timestamp: u64 = param("timestamp")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| ApiError::mandatory("timestamp"))?;
        let window = match param("recvWindow") {
            Some(w) => w
                .parse::<u64>()
                .ok()
                .filter(|w| *w <= MAX_RECV_WINDOW_MS)
                .ok_or_else(|| ApiError::bad_param("recvWindow"))?,
            None => DEFAULT_RECV_WINDOW_MS,
        };
        let within = |now_ms: u64| {
            if timestamp > now_ms + MAX_AHEAD_MS {
                Err(ApiError::timestamp(
                    "Timestamp for this request was 1000ms ahead of the server's time.",
                ))
            } else if now_ms.saturating_sub(timestamp) > window {
                Err(ApiError::timestamp(
                    "Timestamp for this request is outside of the recvWindow.",
                ))
            } else {
                Ok(account)
            }
        };
        let venue = timestamp <= clocks.venue_latest + MAX_AHEAD_MS
            && timestamp + window >= clocks.venue_start;
        if venue {
            return Ok(account);
        }
        within(clocks.wall)
    }
}

/// The query and body with every key and value form-decoded.
fn decoded(query: &str, body: &str) -> String {
    let part = |s: &str| {
        form_urlencoded::parse(s.as_bytes())
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    format!("{}{}", part(query), part(body))
}

/// `params` without its `signature=…` pair, and that value.
fn split_signature(params: &str) -> (String, Option<&str>) {
    let mut rest = Vec::new();
    let mut signature = None;
    for pair in params.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("signature=") {
            Some(sig) => signature = Some(sig),
            None => rest.push(pair),
        }
    }
    (rest.join("&"), signature)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// Signs `payload` as a client does (for tests and our own gateway).
pub fn sign(secret: &str, payload: &str) -> String {
    hex(hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
        payload.as_bytes(),
    )
    .as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ApiKeys {
        ApiKeys(vec![ApiKey::hmac(
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
            AccountId(7),
        )])
    }

    #[test]
    fn matches_binance_documented_example() {
        // Binance API docs, "SIGNED endpoint examples for POST /api/v3/order".
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            sign(&keys().0[0].secret, payload),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
        // Mixed query string and body are concatenated with nothing between
        // (the docs' third example).
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
        let body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let mixed = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";
        assert_eq!(sign(&keys().0[0].secret, &format!("{query}{body}")), mixed);
        let key = Some(keys().0[0].key.clone());
        assert_eq!(
            keys().verify(
                key.as_deref(),
                query,
                &format!("{body}&signature={mixed}"),
                SigningClocks::at(1_499_827_319_559)
            ),
            Ok(AccountId(7))
        );
    }

    #[test]
    fn a_pem_public_key_reads_as_its_32_bytes() {
        // RFC 8410's example public key.
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let key = ed25519_public_key_from_pem(pem).unwrap();
        assert_eq!(&key[..4], &[0x19, 0xbf, 0x44, 0x09]);
        assert_eq!(
            ed25519_public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n"),
            None
        );
        assert_eq!(ed25519_public_key_from_pem(""), None);
    }

    #[test]
    fn ed25519_keys_sign_in_base64_and_sessions_with_the_servers_secret() {
        use base64::Engine;
        use ring::signature::{Ed25519KeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let public: [u8; 32] = pair.public_key().as_ref().try_into().unwrap();
        let key = ApiKey::ed25519("ed", public, AccountId(3));
        let keys = ApiKeys(vec![key.clone()]);
        let at = SigningClocks::at(1_000_000);
        let payload = "symbol=BTCUSDT&timestamp=1000000";
        let signature =
            base64::engine::general_purpose::STANDARD.encode(pair.sign(payload.as_bytes()));
        let escaped: String = form_urlencoded::byte_serialize(signature.as_bytes()).collect();
        let query = format!("{payload}&signature={escaped}");
        assert_eq!(keys.verify(Some("ed"), &query, "", at), Ok(AccountId(3)));
        let tampered = query.replace("BTCUSDT", "ETHUSDT");
        let code = keys
            .verify(Some("ed"), &tampered, "", at)
            .map_err(|e| e.code);
        assert_eq!(code, Err(-1022));
        // A logged-on session's calls, signed with the server's own secret.
        let session = format!("{payload}&signature={}", sign(&key.secret, payload));
        assert_eq!(keys.verify(Some("ed"), &session, "", at), Ok(AccountId(3)));
    }

    #[test]
    fn a_timestamp_may_follow_the_wall_clock_or_the_venues() {
        let k = keys();
        let key = Some(k.0[0].key.as_str());
        let signed = |p: &str| format!("{p}&signature={}", sign(&k.0[0].secret, p));
        // Wall clock in 2026, the venue replaying 2024 from 23:54:15 and
        // now at 23:55:00.
        let wall = 1_796_000_000_000;
        let clocks = SigningClocks {
            wall,
            venue_start: 1_723_161_255_000,
            venue_latest: 1_723_161_300_000,
        };
        let at = |t: u64| k.verify(key, &signed(&format!("timestamp={t}")), "", clocks);
        assert_eq!(at(wall), Ok(AccountId(7)));
        assert_eq!(at(1_723_161_300_000 - 2_000), Ok(AccountId(7)));
        // A client synced early in a fast replay lags the venue: still in.
        assert_eq!(at(1_723_161_256_000), Ok(AccountId(7)));
        assert_eq!(
            at(1_723_161_255_000 - 6_000).map_err(|e| e.code),
            Err(-1021)
        );
        assert_eq!(
            at(1_723_161_300_000 + 2_000).map_err(|e| e.code),
            Err(-1021)
        );
        assert_eq!(at(wall + 5_000).map_err(|e| e.code), Err(-1021));
        assert_eq!(at(wall - 6_000).map_err(|e| e.code), Err(-1021));
    }

    #[test]
    fn bad_signatures_keys_and_times_are_refused_with_their_codes() {
        let k = keys();
        let key = Some(k.0[0].key.as_str());
        let signed = |p: &str| format!("{p}&signature={}", sign(&k.0[0].secret, p));
        let code = |r: Result<AccountId, ApiError>| r.map_err(|e| e.code).err();
        let now = SigningClocks::at(1_000_000);
        assert_eq!(
            code(k.verify(key, &signed("timestamp=1000000"), "", now)),
            None
        );
        assert_eq!(
            code(k.verify(key, "timestamp=1000000&signature=00", "", now)),
            Some(-1022)
        );
        assert_eq!(
            code(k.verify(Some("nope"), &signed("timestamp=1"), "", now)),
            Some(-2015)
        );
        assert_eq!(
            code(k.verify(None, &signed("timestamp=1"), "", now)),
            Some(-2014)
        );
        assert_eq!(
            code(k.verify(key, &signed("timestamp=994000"), "", now)),
            Some(-1021)
        );
        assert_eq!(
            code(k.verify(key, &signed("timestamp=1001500"), "", now)),
            Some(-1021)
        );
        assert_eq!(
            code(k.verify(key, &signed("timestamp=994000&recvWindow=10000"), "", now)),
            None
        );
        assert_eq!(
            code(k.verify(key, &signed("recvWindow=10"), "", now)),
            Some(-1102)
        );
        // A value with `:` signed before encoding (python-binance) or after (ccxt).
        let decoded = "newClientOrderId=a:b/c&timestamp=1000000";
        let encoded = "newClientOrderId=a%3Ab%2Fc&timestamp=1000000";
        for signed_text in [decoded, encoded] {
            let body = format!("{encoded}&signature={}", sign(&k.0[0].secret, signed_text));
            assert_eq!(code(k.verify(key, "", &body, now)), None, "{signed_text}");
        }
    }
}
