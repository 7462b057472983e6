//! API credentials and Binance's request signature.

use std::fmt;

use ring::hmac;

/// An API key and its secret. Read from the environment, never from a file
/// in the repository; `Debug` never prints the secret.
#[derive(Clone)]
pub struct Credentials {
    /// The public key, sent in `X-MBX-APIKEY`.
    pub api_key: String,
    secret: hmac::Key,
}

impl Credentials {
    /// Credentials from a key and its secret.
    pub fn new(api_key: impl Into<String>, secret: &str) -> Self {
        Self {
            api_key: api_key.into(),
            secret: hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
        }
    }

    /// Credentials from the environment variables `key_var` and
    /// `secret_var`; `None` if either is unset or empty.
    pub fn from_env(key_var: &str, secret_var: &str) -> Option<Self> {
        let key = std::env::var(key_var).ok().filter(|k| !k.is_empty())?;
        let secret = std::env::var(secret_var).ok().filter(|s| !s.is_empty())?;
        Some(Self::new(key, &secret))
    }

    /// HMAC-SHA256 of `payload` in lower-case hex, as Binance's
    /// `signature` parameter.
    pub fn sign(&self, payload: &str) -> Signature {
        let tag = hmac::sign(&self.secret, payload.as_bytes());
        let mut hex = [0u8; 64];
        for (pair, b) in hex.chunks_exact_mut(2).zip(tag.as_ref()) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 15)];
        }
        Signature(hex)
    }
}

/// An HMAC-SHA256 signature in lower-case hex, kept on the stack: a
/// request is signed on its way from a decision to the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        // Only hex digits are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.as_str())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Binance's spot API documentation ("SIGNED
    /// endpoint examples for POST /api/v3/order").
    #[test]
    fn binance_documentation_example() {
        let c = Credentials::new(
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        );
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            c.sign(payload).as_str(),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
        assert!(!format!("{c:?}").contains("NhqP"));
    }
}
